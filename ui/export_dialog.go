package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"delineate/project"
	"delineate/project/nnunet"
)

var notName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// exportNNUNet asks where and how to write the open project as an nnU-Net
// dataset, says what will be written, and runs the export (and its
// verification) in the background with progress and Cancel.
func (ws *Workstation) exportNNUNet() {
	p := ws.worklist.proj
	if p == nil {
		ws.showError(errors.New("open a project first (File → Open Project…)"))
		return
	}
	root := widget.NewEntry()
	root.SetText(filepath.Join(filepath.Dir(p.Dir()), "nnUNet_raw"))
	choose := widget.NewButton("Choose…", func() { ws.chooseFolderFor("nnU-Net raw folder", root.SetText) })
	id := widget.NewEntry()
	id.SetText("1")
	name := widget.NewEntry()
	name.SetText(strings.Trim(notName.ReplaceAllString(p.Name, "_"), "_"))
	statuses := widget.NewCheckGroup([]string{string(project.Done), string(project.NeedsReview), string(project.InProgress)}, nil)
	statuses.SetSelected([]string{string(project.Done)})
	channel := widget.NewSelectEntry([]string{"CT", "MR", "T1", "T2", "FLAIR"})
	if ws.scene != nil && ws.scene.Volume != nil && ws.scene.Volume.Modality != "" {
		channel.SetText(ws.scene.Volume.Modality)
	}
	summary := widget.NewLabel("")
	summary.Wrapping = fyne.TextWrapWord
	update := func() {
		n := 0
		for _, c := range p.Summarise().List {
			for _, s := range statuses.Selected {
				if string(c.Status) == s && c.Labels != "" {
					n++
				}
			}
		}
		i, _ := strconv.Atoi(id.Text)
		summary.SetText(fmt.Sprintf("Will write %d case(s) with labels to %s, verify it with nnU-Net's checks, and only then put it in place.",
			n, filepath.Join(root.Text, fmt.Sprintf("Dataset%03d_%s", i, name.Text))))
	}
	for _, e := range []*widget.Entry{root, id, name} {
		e.OnChanged = func(string) { update() }
	}
	statuses.OnChanged = func([]string) { update() }
	update()
	form := widget.NewForm(
		widget.NewFormItem("Folder", container.NewBorder(nil, nil, nil, choose, root)),
		widget.NewFormItem("Dataset id", id),
		widget.NewFormItem("Name", name),
		widget.NewFormItem("Cases", statuses),
		widget.NewFormItem("Channel", channel),
	)
	content := container.NewVBox(form, summary)
	d := dialog.NewCustomConfirm("Export nnU-Net dataset", "Export", "Cancel", content, func(ok bool) {
		if !ok {
			return
		}
		i, err := strconv.Atoi(id.Text)
		if err != nil {
			ws.showError(fmt.Errorf("dataset id %q is not a number", id.Text))
			return
		}
		var sts []project.Status
		for _, s := range statuses.Selected {
			sts = append(sts, project.Status(s))
		}
		ws.runExport(p, nnunet.ExportOptions{Root: root.Text, ID: i, Name: name.Text, Statuses: sts, Channel: channel.Text})
	}, ws.win)
	d.Resize(fyne.NewSize(640, 420))
	d.Show()
}

func (ws *Workstation) runExport(p *project.Project, o nnunet.ExportOptions) {
	ctx, cancel := context.WithCancel(context.Background())
	ws.loading.start("Exporting "+o.Folder(), cancel)
	o.Progress = func(done, total int) { do(func() { ws.loading.progress(done, total) }) }
	go func() {
		dir, rep, err := nnunet.Export(ctx, p, o)
		do(func() {
			ws.loading.stop()
			if err != nil {
				if rep != nil {
					var msgs []string
					for _, f := range rep.Findings {
						msgs = append(msgs, f.Message)
					}
					err = fmt.Errorf("%w:\n%s", err, strings.Join(msgs, "\n"))
				}
				ws.showError(err)
				return
			}
			ws.status.SetText(fmt.Sprintf("Wrote %s: %d training cases, verified with nnU-Net's integrity checks", dir, rep.Cases))
		})
	}()
}
