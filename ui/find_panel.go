package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/inference"
	"delineate/inference/yolo"
	"delineate/viewer"
)

// findPanel is the AI tab's text-prompt section: a YOLO-family detector
// (a folder with detector.json or model.onnx), a prompt ("lung nodule,
// liver lesion"), and a run on the slice in view or on every slice as a
// job. What it finds lands in the prediction layer for review, one label
// per class, and the status bar lists the 3D findings.
type findPanel struct {
	ws       *Workstation
	sel      *widget.Select
	prompt   *widget.Entry
	sliceBtn *widget.Button
	allBtn   *widget.Button
	box      *fyne.Container

	mu    sync.Mutex // guards the opened models, used from jobs
	model *yolo.Model
	enc   *yolo.TextEncoder
	desc  *yolo.Description
}

func newFindPanel(ws *Workstation) *findPanel {
	f := &findPanel{ws: ws}
	f.sel = widget.NewSelect(nil, nil)
	f.sel.PlaceHolder = "Detector"
	f.prompt = widget.NewEntry()
	f.prompt.SetPlaceHolder("find: lung nodule, liver lesion (empty: every class)")
	f.prompt.OnSubmitted = func(string) { f.run(false) }
	f.sliceBtn = widget.NewButton("This slice (Enter)", func() { f.run(false) })
	f.allBtn = widget.NewButton("All slices", func() { f.run(true) })
	choose := widget.NewButton("Folder…", func() {
		ws.chooseFolderFor("Detector folder (detector.json or model.onnx)", func(d string) { f.addDir(d) })
	})
	f.box = container.NewVBox(
		widget.NewLabelWithStyle("Find", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, choose, f.sel),
		f.prompt,
		container.NewGridWithColumns(2, f.sliceBtn, f.allBtn),
	)
	f.scan()
	return f
}

// scan lists detector folders inside the models folders.
func (f *findPanel) scan() {
	for _, d := range yolo.FindDetectors(inference.ModelDirs(f.ws.modelsDir)) {
		f.addDir(d)
	}
}

func (f *findPanel) addDir(d string) { addFolderOption(f.sel, d) }

// open opens (or reuses) the selected detector; called from a job.
func (f *findPanel) open(dir, device string) (*yolo.Model, *yolo.Description, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.desc != nil && f.desc.Dir == dir && f.model != nil {
		return f.model, f.desc, nil
	}
	rt := f.ws.ai.rt
	if rt == nil {
		return nil, nil, errors.New("ONNX Runtime is not loaded: detectors cannot run")
	}
	d, err := yolo.LoadDescription(dir)
	if err != nil {
		return nil, nil, err
	}
	m, err := yolo.Open(rt, d.Path(d.Model), d.Names, device, 0)
	if err != nil {
		return nil, nil, err
	}
	var enc *yolo.TextEncoder
	if m.TextFeats {
		if d.TextEncoder == "" {
			m.Close()
			return nil, nil, errors.New("this detector takes text prompts (txt_feats) but its detector.json names no text_encoder and vocab")
		}
		if enc, err = yolo.OpenTextEncoder(rt, d.Path(d.TextEncoder), d.Path(d.Vocab), "", "", device, 0); err != nil {
			m.Close()
			return nil, nil, err
		}
	}
	if f.model != nil {
		f.model.Close()
	}
	if f.enc != nil {
		f.enc.Close()
	}
	f.model, f.enc, f.desc = m, enc, d
	return m, d, nil
}

// run detects on the slice in view (all: every slice of its plane) as a
// background job.
func (f *findPanel) run(all bool) {
	ws := f.ws
	if ws.scene == nil || ws.scene.Volume == nil {
		ws.showError(errors.New("open a study first"))
		return
	}
	if ws.studyLoading() {
		return
	}
	if f.sel.Selected == "" {
		ws.showError(errors.New("choose a detector folder (Folder…)"))
		return
	}
	plane, k := viewer.Axial, ws.scene.Cursor[2]
	if ws.active != nil {
		l := ws.active.Viewport().Layout()
		plane, k = l.Plane, ws.scene.Cursor[l.NormalAxis]
	}
	dir, prompt, device := f.sel.Selected, f.prompt.Text, ws.ai.deviceSel.Selected
	vol, gen, title := ws.scene.Volume, ws.loadGen, ws.title
	name := "Find"
	if strings.TrimSpace(prompt) != "" {
		name = "Find: " + strings.TrimSpace(prompt)
	}
	ws.ai.runner.Submit(name, title, func(ctx context.Context, j *inference.Job) (any, error) {
		return f.detect(ctx, j, dir, device, prompt, vol, plane, k, all)
	}, func(j *inference.Job) {
		do(func() { ws.findFinished(j, vol, gen) })
	})
	ws.status.SetText(fmt.Sprintf("Queued %s on %s", name, title))
	ws.jobs.refresh()
}

// found is a finished detection run: its masks as a label map (class+1)
// and the 3D findings.
type found struct {
	labels   *viewer.LabelMap
	counts   map[int]int
	findings []yolo.Finding
	slices   int
}

func (f *findPanel) detect(ctx context.Context, j *inference.Job, dir, device, prompt string, vol *viewer.Volume, plane viewer.Plane, k int, all bool) (*found, error) {
	j.Progress("opening the detector", 0)
	m, d, err := f.open(dir, device)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o := yolo.Options{Conf: float32(d.Conf), IoU: d.IoU}
	if o.Windows, o.Each, err = d.Renderings(vol); err != nil {
		return nil, err
	}
	if m.TextFeats {
		var phrases []string
		for _, p := range strings.Split(prompt, ",") {
			if p = strings.TrimSpace(p); p != "" {
				phrases = append(phrases, p)
			}
		}
		if len(phrases) == 0 {
			return nil, errors.New("this detector finds what you type: enter a prompt")
		}
		if err := m.SetPrompts(ctx, f.enc, phrases); err != nil {
			return nil, err
		}
	} else if strings.TrimSpace(prompt) != "" {
		if o.Classes, err = yolo.SelectClasses(m.Names, d.Synonyms, prompt); err != nil {
			return nil, err
		}
	}
	l, err := viewer.NewSliceLayout(vol.Geometry, plane)
	if err != nil {
		return nil, err
	}
	from, to := k, k
	if all {
		from, to = 0, l.Slices-1
	}
	lm, err := viewer.NewLabelMap(vol.Geometry, len(m.Names)+1)
	if err != nil {
		return nil, err
	}
	for i, n := range m.Names {
		_ = lm.Table.Set(viewer.Label{ID: i + 1, Name: n, Colour: viewer.DefaultLabelColours()[(i+1)%len(viewer.DefaultLabelColours())], Visible: true})
	}
	res := &found{labels: lm, counts: map[int]int{}}
	var slices []yolo.SliceResult
	for s := from; s <= to; s++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		j.Progress(fmt.Sprintf("slice %d", s), float64(s-from)/float64(to-from+1))
		r, err := m.DetectSlice(ctx, vol, plane, s, o)
		if err != nil {
			return nil, fmt.Errorf("slice %d: %w", s, err)
		}
		yolo.Paint(lm, r, res.counts)
		slices = append(slices, r)
	}
	res.findings = yolo.Group(vol.Geometry, slices, m.Names, 0.3)
	res.slices = len(slices)
	return res, nil
}

// findFinished puts what a Find job found in the prediction layer.
func (ws *Workstation) findFinished(j *inference.Job, vol *viewer.Volume, gen int) {
	ws.jobs.refresh()
	res, err := j.Result()
	switch {
	case errors.Is(err, context.Canceled):
		ws.status.SetText(j.Name + " cancelled")
		return
	case err != nil:
		ws.showError(fmt.Errorf("%s: %w", j.Name, err))
		return
	}
	fr, ok := res.(*found)
	if !ok || fr == nil {
		return
	}
	if ws.scene == nil || ws.scene.Volume != vol || ws.loadGen != gen {
		ws.status.SetText(j.Name + " finished, but its study is no longer open")
		return
	}
	if len(fr.counts) == 0 {
		ws.status.SetText(fmt.Sprintf("%s: nothing found on %d slice(s)", j.Name, fr.slices))
		return
	}
	pr := &prediction{id: j.ID, name: j.Name, labels: fr.labels, counts: fr.counts}
	ws.preds.preds = append(ws.preds.preds, pr)
	ws.preds.setCurrent(pr)
	var parts []string
	for i, f := range fr.findings {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("and %d more", len(fr.findings)-4))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.1f mL (slices %d–%d, best %.2f)", f.Label, f.VolumeML, f.FirstSlice+1, f.LastSlice+1, f.BestScore))
	}
	ws.status.SetText(fmt.Sprintf("%s: %d finding(s): %s — review in the AI tab (Enter accepts)", j.Name, len(fr.findings), strings.Join(parts, "; ")))
}

// addFolderOption adds a model folder to a picker's options (sorted, once)
// and selects it.
func addFolderOption(sel *widget.Select, d string) {
	if !slices.Contains(sel.Options, d) {
		sel.Options = append(sel.Options, d)
		sort.Strings(sel.Options)
		sel.Refresh()
	}
	sel.SetSelected(d)
}
