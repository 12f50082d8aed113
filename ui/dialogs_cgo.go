//go:build cgo

package ui

import (
	"path/filepath"

	sqdialog "github.com/sqweek/dialog"
)

// Native dialogs (GTK on Linux) look and behave like the rest of the
// desktop. They block their goroutine, never the window's.

func (ws *Workstation) chooseFile() {
	go func() {
		p, err := sqdialog.File().Title("Open image (DICOM or NIfTI)").Load()
		if err == nil {
			do(func() { ws.OpenPath(p) })
		}
	}()
}

func (ws *Workstation) chooseFolder() {
	go func() {
		p, err := sqdialog.Directory().Title("Open DICOM folder").Browse()
		if err == nil {
			do(func() { ws.OpenPath(p) })
		}
	}()
}

func (ws *Workstation) chooseLabels() {
	go func() {
		p, err := sqdialog.File().Title("Open label map").Filter("NIfTI", "nii", "gz").Filter("DICOM SEG", "dcm").Load()
		if err == nil {
			do(func() { ws.openLabels(filepath.Clean(p)) })
		}
	}()
}

func (ws *Workstation) chooseSaveLabels() {
	go func() {
		p, err := sqdialog.File().Title("Save label map").Filter("NIfTI", "nii.gz", "nii").Save()
		if err == nil {
			do(func() { ws.saveLabels(filepath.Clean(p), false) })
		}
	}()
}

func (ws *Workstation) chooseLabelNames() {
	go func() {
		p, err := sqdialog.File().Title("Open label names").Load()
		if err == nil {
			do(func() { ws.openLabelNames(filepath.Clean(p)) })
		}
	}()
}

func (ws *Workstation) chooseModelFolder() {
	go func() {
		p, err := sqdialog.Directory().Title("Add model folder (with model.json)").Browse()
		if err == nil {
			do(func() { ws.addModel(filepath.Clean(p)) })
		}
	}()
}

// chooseFolderFor asks for a folder and hands it to action.
func (ws *Workstation) chooseFolderFor(title string, action func(string)) {
	go func() {
		p, err := sqdialog.Directory().Title(title).Browse()
		if err == nil {
			do(func() { action(filepath.Clean(p)) })
		}
	}()
}
