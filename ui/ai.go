package ui

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/inference"
	"delineate/inference/ort"
	"delineate/viewer"
)

// aiPanel picks a model and runs it on the open study as a background
// job; results arrive as predictions for review.
type aiPanel struct {
	ws      *Workstation
	runner  *inference.Runner
	rt      *ort.Runtime // nil until (or unless) ONNX Runtime loads
	rtErr   error
	cudaWhy string
	models  []inference.Entry
	// runtimeReady is closed once the runtime's load has been shown (tests
	// wait for it before touching widgets).
	runtimeReady chan struct{}

	modelSel  *widget.Select
	deviceSel *widget.Select
	threadSel *widget.Select
	runBtn    *widget.Button
	runtime   *widget.Label
	box       *fyne.Container
	find      *findPanel
	click     *clickPanel
}

func newAIPanel(ws *Workstation) *aiPanel {
	p := &aiPanel{ws: ws, runner: inference.NewRunner(1)}
	p.modelSel = widget.NewSelect(nil, nil)
	p.modelSel.PlaceHolder = "Model"
	p.deviceSel = widget.NewSelect(inference.Devices, nil)
	p.deviceSel.SetSelected("auto")
	// Intra-op threads: all cores by default; fewer keep the machine
	// responsive for other work while a long run goes on.
	threads := []string{"all"}
	for n := 1; n <= runtime.NumCPU(); n *= 2 {
		threads = append(threads, strconv.Itoa(n))
	}
	p.threadSel = widget.NewSelect(threads, nil)
	p.threadSel.SetSelected("all")
	p.runBtn = widget.NewButton("Run (Ctrl+R)", p.run)
	p.runtime = widget.NewLabel("ONNX Runtime: loading…")
	p.runtime.Wrapping = fyne.TextWrapWord
	p.runtime.TextStyle = fyne.TextStyle{Italic: true}
	p.box = container.NewVBox(
		widget.NewLabelWithStyle("Segment", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.modelSel,
		container.NewBorder(nil, nil, widget.NewLabel("Device"), nil, p.deviceSel),
		container.NewBorder(nil, nil, widget.NewLabel("Threads"), nil, p.threadSel),
		p.runBtn,
		p.runtime,
	)
	p.find = newFindPanel(ws)
	p.box.Add(widget.NewSeparator())
	p.box.Add(p.find.box)
	p.click = newClickPanel(ws)
	p.box.Add(widget.NewSeparator())
	p.box.Add(p.click.box)
	p.runner.OnChange = func(inference.JobInfo) { do(ws.jobs.refresh) }
	p.reloadModels()
	return p
}

// loadRuntime loads ONNX Runtime in the background: the window opens and
// views at once, and says why models are unavailable if it fails.
func (p *aiPanel) loadRuntime(libFlag string) {
	p.runtimeReady = make(chan struct{})
	go func() {
		defer close(p.runtimeReady)
		rt, err := ort.Load(libFlag)
		why := ""
		if err == nil {
			if ok, w := rt.Devices(); !ok {
				why = w
			}
		}
		do(func() {
			p.rt, p.rtErr, p.cudaWhy = rt, err, why
			p.showRuntime()
		})
	}()
}

func (p *aiPanel) showRuntime() {
	switch {
	case p.rtErr != nil:
		msg := p.rtErr.Error()
		var le *ort.LoadError
		if errors.As(p.rtErr, &le) {
			msg = fmt.Sprintf("ONNX Runtime not found (%d places tried; see Jobs → log). Built-in models only.", len(le.Attempts))
		}
		p.runtime.SetText(msg)
	case p.rt != nil:
		dev := "CUDA available"
		if p.cudaWhy != "" {
			dev = "CPU only: " + shortWhy(p.cudaWhy)
		}
		p.runtime.SetText(fmt.Sprintf("ONNX Runtime %s · %s", p.rt.Version, dev))
	}
}

func shortWhy(s string) string {
	if i := strings.Index(s, "("); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// reloadModels lists the built-in models and the model folders.
func (p *aiPanel) reloadModels() {
	p.models = inference.ListModels(inference.ModelDirs(p.ws.modelsDir))
	var names []string
	for _, e := range p.models {
		if e.Model != nil {
			names = append(names, modelLabel(e.Model))
		}
	}
	sel := p.modelSel.Selected
	p.modelSel.Options = names
	if sel == "" && len(names) > 0 {
		sel = names[0]
	}
	p.modelSel.SetSelected(sel)
	p.modelSel.Refresh()
}

func modelLabel(m *inference.Model) string {
	if m.Title != "" {
		return m.Name + " — " + m.Title
	}
	return m.Name
}

func (p *aiPanel) selected() *inference.Model {
	for _, e := range p.models {
		if e.Model != nil && modelLabel(e.Model) == p.modelSel.Selected {
			return e.Model
		}
	}
	return nil
}

// run queues the selected model on the open volume. The volume is
// immutable, so the job reads it while the user keeps scrolling and
// painting; the result never touches the labels until accepted.
func (p *aiPanel) run() {
	ws := p.ws
	if ws.scene == nil || ws.scene.Volume == nil {
		ws.showError(errors.New("open a study first"))
		return
	}
	if ws.studyLoading() {
		return
	}
	m := p.selected()
	if m == nil {
		ws.showError(errors.New("choose a model"))
		return
	}
	opts := inference.RunOptions{Device: p.deviceSel.Selected}
	if n, err := strconv.Atoi(p.threadSel.Selected); err == nil {
		opts.Threads = n
	}
	if m.Builtin == "" {
		if p.rt == nil {
			msg := "ONNX Runtime is not loaded; only built-in models can run"
			if p.rtErr != nil {
				msg = p.rtErr.Error()
			}
			ws.showError(errors.New(msg))
			return
		}
		opts.Backend = p.rt
	}
	vol, gen, title := ws.scene.Volume, ws.loadGen, ws.title
	p.runner.Submit(m.Name, title, func(ctx context.Context, j *inference.Job) (any, error) {
		o := opts
		o.Progress = j.Progress
		o.Logf = j.Logf
		res, err := inference.Segment(ctx, vol, m, o)
		if res != nil {
			j.SetDevice(res.Report.Device.String())
		}
		return res, err
	}, func(j *inference.Job) {
		do(func() { ws.jobFinished(j, vol, gen) })
	})
	ws.status.SetText(fmt.Sprintf("Queued %s on %s", m.Name, title))
	ws.jobs.refresh()
}

// jobFinished turns a finished run into a held prediction, when the study
// it ran on is still open.
func (ws *Workstation) jobFinished(j *inference.Job, vol *viewer.Volume, gen int) {
	ws.jobs.refresh()
	res, err := j.Result()
	switch {
	case errors.Is(err, context.Canceled):
		ws.status.SetText(fmt.Sprintf("%s cancelled; labels untouched", j.Name))
		return
	case err != nil:
		ws.status.SetText(fmt.Sprintf("%s failed: %v", j.Name, err))
		return
	}
	r, ok := res.(*inference.Result)
	if !ok || r == nil {
		return
	}
	if ws.scene == nil || ws.scene.Volume != vol || ws.loadGen != gen {
		ws.status.SetText(fmt.Sprintf("%s finished, but its study is no longer open; the result is in the Jobs panel's report only", j.Name))
		return
	}
	ws.preds.add(j.ID, j.Name, r)
	ws.status.SetText(fmt.Sprintf("Prediction from %s ready in %.1f s on %s: review it in the AI tab (Enter accepts, Esc rejects)", j.Name, r.Report.Seconds, r.Report.Device.Used))
}

// addModel copies a model folder into the user's models folder in the
// background (checking its hashes first) and lists it.
func (ws *Workstation) addModel(dir string) {
	go func() {
		dest, err := inference.AddModel(dir, inference.UserModelsDir())
		do(func() {
			if err != nil {
				ws.showError(fmt.Errorf("add model: %w", err))
				return
			}
			ws.ai.reloadModels()
			ws.status.SetText("Added model " + dest)
		})
	}()
}

// SetModels adds a models folder (--models) and preselects a model by
// name (--model).
func (ws *Workstation) SetModels(dir, name string) {
	ws.modelsDir = dir
	ws.ai.reloadModels()
	ws.ai.find.scan() // detector and SAM folders there too
	ws.ai.click.scan()
	if name == "" {
		return
	}
	for _, e := range ws.ai.models {
		if e.Model != nil && (e.Model.Name == name || e.Ref == name) {
			ws.ai.modelSel.SetSelected(modelLabel(e.Model))
		}
	}
}
