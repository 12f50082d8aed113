package ui

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer"
	"delineate/viewer/edit"
)

// toolMode is what a left-drag in a slice view does.
type toolMode int

const (
	modeWindow toolMode = iota // window/level (and click = crosshair)
	modeBrush                  // paint the active label
	modeEraser                 // paint label 0
	modeFill                   // flood fill from the clicked voxel
)

// editor holds the label map being corrected, its undo history and the
// brush settings, and turns slice-view gestures into viewer/edit calls.
type editor struct {
	ws       *Workstation
	labels   *viewer.LabelMap
	history  edit.History
	mode     toolMode
	label    int
	radiusMM float64
	sphere   bool        // 3D: sphere brush, 3D fill, 3D hole filling
	sampling bool        // the next click samples the threshold range
	busy     atomic.Bool // a long operation runs: no edits until it ends

	modeSel   *widget.RadioGroup
	labelSel  *widget.Select
	radius    *widget.Slider
	radiusLbl *widget.Label
	sphereChk *widget.Check
	box       *fyne.Container

	tools // policy, threshold, fill and label-operation widgets
}

var modeNames = []string{"Window (W)", "Brush (B)", "Eraser (E)", "Fill (F)"}

func newEditor(ws *Workstation) *editor {
	e := &editor{ws: ws, label: 1, radiusMM: 5}
	e.modeSel = widget.NewRadioGroup(modeNames, func(s string) {
		for i, n := range modeNames {
			if n == s {
				e.setMode(toolMode(i))
			}
		}
	})
	e.modeSel.Horizontal = true
	e.modeSel.Required = true
	e.labelSel = widget.NewSelect(nil, func(s string) {
		if id, err := strconv.Atoi(strings.Fields(s + " 0")[0]); err == nil && id > 0 {
			e.label = id
		}
	})
	e.radiusLbl = widget.NewLabel("")
	e.radius = widget.NewSlider(0.5, 50)
	e.radius.Step = 0.5
	e.radius.OnChanged = func(v float64) { e.radiusMM = v; e.showRadius() }
	e.sphereChk = widget.NewCheck("3D", func(b bool) { e.sphere = b })
	e.buildTools()
	e.box = container.NewVBox(
		widget.NewLabelWithStyle("Edit", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		e.modeSel,
		container.NewBorder(nil, nil, nil, e.sphereChk, e.labelSel),
		container.NewBorder(nil, nil, e.radiusLbl, nil, e.radius),
		e.opsAcc,
		e.opStatus,
	)
	e.radius.SetValue(e.radiusMM)
	e.modeSel.SetSelected(modeNames[modeWindow])
	return e
}

func (e *editor) showRadius() { e.radiusLbl.SetText(fmt.Sprintf("r %.1f mm", e.radiusMM)) }

// setLabels adopts a label map (or makes an empty one when painting
// starts on an image without labels) and resets the history.
func (e *editor) setLabels(lm *viewer.LabelMap) {
	e.labels = lm
	e.history = edit.History{}
	e.refreshLabelList()
}

func (e *editor) refreshLabelList() {
	var opts []string
	seen := map[int]bool{}
	if e.labels != nil {
		for _, l := range e.labels.Table.Labels {
			opts = append(opts, fmt.Sprintf("%d  %s", l.ID, l.Name))
			seen[l.ID] = true
		}
	}
	for id := 1; len(opts) < 12 && id < 256; id++ {
		if !seen[id] {
			opts = append(opts, fmt.Sprintf("%d", id))
			seen[id] = true
		}
	}
	e.labelSel.Options = opts
	for _, o := range opts {
		if strings.Fields(o)[0] == strconv.Itoa(e.label) {
			e.labelSel.SetSelected(o)
			return
		}
	}
	e.labelSel.Refresh()
}

// setMode switches the left-drag tool of every view.
func (e *editor) setMode(m toolMode) {
	e.mode = m
	e.sampling = false
	if e.ws.ai != nil && e.ws.ai.click != nil && e.ws.ai.click.active {
		// An editing tool replaces the click tool.
		c := e.ws.ai.click
		c.active = false
		c.gen++
		c.toggle.SetChecked(false)
	}
	if e.modeSel.Selected != modeNames[m] {
		e.modeSel.SetSelected(modeNames[m])
	}
	for _, v := range e.ws.views {
		if v == nil {
			continue
		}
		switch m {
		case modeWindow:
			v.Tool = nil
		case modeFill:
			v.Tool = &fillTool{e: e}
		default:
			v.Tool = &brushTool{e: e}
		}
	}
}

// ensureLabels makes an empty label map on the image grid the first time
// the user paints on an image without one.
func (e *editor) ensureLabels() bool {
	if e.ws.studyLoading() {
		return false // brushes may follow intensities (thresholds): all of it first
	}
	if e.labels != nil {
		return true
	}
	sc := e.ws.scene
	if sc == nil {
		return false
	}
	lm, err := viewer.NewLabelMap(sc.Volume.Geometry, 255)
	if err != nil {
		e.ws.showError(err)
		return false
	}
	if w := e.ws.worklist; w.proj != nil && w.current != "" {
		// A project case: its labels are the project's, ids and names.
		lm.Table = *w.proj.Table()
		sc.Colours = lm.Table.Colours()
	}
	if err := sc.SetLabels(lm.Volume); err != nil {
		e.ws.showError(err)
		return false
	}
	e.setLabels(lm)
	e.ws.overlay.setScene(sc)
	return true
}

func (e *editor) brush(v *SliceView) edit.Brush {
	return edit.Brush{RadiusMM: e.radiusMM, Sphere: e.sphere, Axis: v.Viewport().Layout().NormalAxis}
}

func (e *editor) paintLabel() int {
	if e.mode == modeEraser {
		return 0
	}
	return e.label
}

// pushManual records a person's edit: one undo step, and in a project
// the open case's provenance (tool, label, voxels) for every label the
// change touched.
func (e *editor) pushManual(c *edit.Change) {
	if c == nil {
		return
	}
	e.history.Push(c)
	e.ws.worklist.recordEdit(c)
}

// changed redraws after an edit of the label voxels.
func (e *editor) changed() {
	if e.ws.scene != nil {
		e.ws.scene.MarkLabelsChanged()
	}
	e.ws.refreshViews()
}

func (e *editor) undo() {
	if e.labels != nil && !e.busy.Load() {
		if _, ok := e.history.Undo(e.labels); ok {
			e.changed()
		}
	}
}

func (e *editor) redo() {
	if e.labels != nil && !e.busy.Load() {
		if _, ok := e.history.Redo(e.labels); ok {
			e.changed()
		}
	}
}

// adjustRadius scales the brush by a step, as [ and ] do.
func (e *editor) adjustRadius(factor float64) {
	e.radius.SetValue(min(50, max(0.5, e.radiusMM*factor)))
}

// brushTool paints (or erases) strokes: one undo step per stroke, dabs
// interpolated between pointer events so fast strokes stay continuous.
type brushTool struct {
	e      *editor
	stroke *edit.Stroke
}

func (t *brushTool) voxel(v *SliceView, x, y float64) ([3]float64, bool) {
	idx, ok := v.Viewport().ScreenToVoxel(x, y)
	return [3]float64{float64(idx[0]), float64(idx[1]), float64(idx[2])}, ok
}

func (t *brushTool) Press(v *SliceView, ev ToolEvent) {
	if t.e.busy.Load() || !t.e.ensureLabels() {
		return
	}
	t.stroke = edit.NewStroke(t.e.labels, t.e.ws.scene.Volume, t.e.brush(v), t.e.paintLabel(), t.e.policy())
	if p, ok := t.voxel(v, ev.StartX, ev.StartY); ok {
		t.stroke.Add(p)
	}
	t.Drag(v, ev)
}

func (t *brushTool) Drag(v *SliceView, ev ToolEvent) {
	if t.stroke == nil {
		return
	}
	if p, ok := t.voxel(v, ev.X, ev.Y); ok {
		if b := t.stroke.Add(p); !b.Empty() {
			t.e.changed()
		}
	}
}

func (t *brushTool) Release(v *SliceView, ev ToolEvent) {
	if t.stroke == nil {
		return
	}
	t.Drag(v, ev)
	t.e.pushManual(t.stroke.End())
	t.stroke = nil
	t.e.changed()
}

// Click paints a single dab.
func (t *brushTool) Click(v *SliceView, ev ToolEvent) {
	if t.e.busy.Load() || !t.e.ensureLabels() {
		return
	}
	idx, ok := v.Viewport().ScreenToVoxel(ev.X, ev.Y)
	if !ok {
		return
	}
	c := edit.PaintDab(t.e.labels, t.e.ws.scene.Volume, t.e.brush(v), idx, t.e.paintLabel(), t.e.policy())
	if c != nil {
		t.e.pushManual(c)
		t.e.changed()
	}
}
