//go:build !cgo

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// Without cgo there are no native dialogs: Fyne's own stand in, so the
// package (and its tests) still build for CGO_ENABLED=0.

func (ws *Workstation) chooseFile() {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err == nil && r != nil {
			r.Close()
			ws.OpenPath(r.URI().Path())
		}
	}, ws.win)
}

func (ws *Workstation) chooseFolder() {
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			ws.OpenPath(u.Path())
		}
	}, ws.win)
}

func (ws *Workstation) chooseLabels() {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err == nil && r != nil {
			r.Close()
			ws.openLabels(r.URI().Path())
		}
	}, ws.win)
}

func (ws *Workstation) chooseSaveLabels() {
	dialog.ShowFileSave(func(w fyne.URIWriteCloser, err error) {
		if err == nil && w != nil {
			w.Close()
			ws.saveLabels(w.URI().Path(), true) // Fyne's dialog has confirmed the overwrite
		}
	}, ws.win)
}

func (ws *Workstation) chooseLabelNames() {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err == nil && r != nil {
			r.Close()
			ws.openLabelNames(r.URI().Path())
		}
	}, ws.win)
}

func (ws *Workstation) chooseModelFolder() {
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			ws.addModel(u.Path())
		}
	}, ws.win)
}

// chooseFolderFor asks for a folder and hands it to action.
func (ws *Workstation) chooseFolderFor(title string, action func(string)) {
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			action(u.Path())
		}
	}, ws.win)
}
