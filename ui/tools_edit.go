package ui

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer"
	"delineate/viewer/edit"
)

// Overwrite policy choices, in the order of edit.OverwriteMode.
var policyNames = []string{"Overwrite all", "Empty only", "Only label(s)…"}

var smoothNames = []string{"Median", "Opening", "Closing"}

// growMargin is how far (voxels) the grow ROI reaches beyond the labels.
const growMargin = 10

// sampleRadius is the half-size (voxels) of the cube SampleRange reads.
const sampleRadius = 2

// tools holds the editor's policy, threshold, fill and label-operation
// widgets (embedded in editor).
type tools struct {
	policySel *widget.Select
	onlyEntry *widget.Entry // label ids for "only label(s)"
	thrChk    *widget.Check
	loEntry   *widget.Entry
	hiEntry   *widget.Entry
	sampleBtn *widget.Button
	thrRow    *fyne.Container
	tolEntry  *widget.Entry
	tolRow    *fyne.Container

	growROI     *widget.Check // limit grow to the labels' box + margin
	minIsland   *widget.Entry
	smoothSel   *widget.Select
	smoothMM    *widget.Entry
	opsAcc      *widget.Accordion
	opStatus    *widget.Label
	disableable []fyne.Disableable
}

func (e *editor) buildTools() {
	e.onlyEntry = widget.NewEntry()
	e.onlyEntry.SetPlaceHolder("label ids, e.g. 0,2")
	e.onlyEntry.Hide()
	e.policySel = widget.NewSelect(policyNames, func(s string) {
		e.showIf(e.onlyEntry, s == policyNames[edit.OverwriteLabels])
	})
	e.policySel.SetSelectedIndex(int(edit.OverwriteAll))

	e.thrChk = widget.NewCheck("Thr", nil)
	e.loEntry = widget.NewEntry()
	e.loEntry.SetPlaceHolder("lo HU")
	e.hiEntry = widget.NewEntry()
	e.hiEntry.SetPlaceHolder("hi HU")
	e.sampleBtn = widget.NewButton("Sample (T)", e.startSampling)
	e.thrRow = container.NewBorder(nil, nil, e.thrChk, e.sampleBtn, container.NewGridWithColumns(2, e.loEntry, e.hiEntry))
	e.tolEntry = widget.NewEntry()
	e.tolEntry.SetText("100")
	e.tolRow = container.NewBorder(nil, nil, widget.NewLabel("Fill ±"), nil, e.tolEntry)

	e.growROI = widget.NewCheck(fmt.Sprintf("ROI: labels' box + %d", growMargin), nil)
	e.growROI.SetChecked(true)
	e.minIsland = widget.NewEntry()
	e.minIsland.SetText("100")
	e.smoothSel = widget.NewSelect(smoothNames, nil)
	e.smoothSel.SetSelectedIndex(0)
	e.smoothMM = widget.NewEntry()
	e.smoothMM.SetText("2")
	btn := func(label string, fn func()) *widget.Button {
		b := widget.NewButton(label, fn)
		e.disableable = append(e.disableable, b)
		return b
	}
	ops := container.NewVBox(
		container.NewBorder(nil, nil, nil, e.growROI, btn("Grow from seeds (G)", e.growFromSeeds)),
		btn("Interpolate slices (I)", e.interpolate),
		container.NewGridWithColumns(2, btn("Keep largest", e.keepLargest), btn("Split islands", e.splitIslands)),
		container.NewBorder(nil, nil, btn("Remove islands <", e.removeSmall), widget.NewLabel("vox"), e.minIsland),
		btn("Fill holes (3D per check)", e.fillHoles),
		container.NewBorder(nil, nil, btn("Smooth", e.smooth), widget.NewLabel("mm"),
			container.NewGridWithColumns(2, e.smoothSel, e.smoothMM)),
	)
	masking := container.NewVBox(container.NewGridWithColumns(2, e.policySel, e.tolRow), e.onlyEntry, e.thrRow)
	e.opsAcc = widget.NewAccordion(
		widget.NewAccordionItem("Overwrite, threshold (T), fill ±", masking),
		widget.NewAccordionItem("Label operations (G, I)", ops))
	e.opsAcc.MultiOpen = true
	e.opStatus = widget.NewLabel("")
	e.opStatus.Truncation = fyne.TextTruncateEllipsis
	e.opStatus.Hide()
}

// typedRune acts on the editor's tool keys (F fill, T sample threshold,
// G grow from seeds, I interpolate) and reports whether r was one.
func (e *editor) typedRune(r rune) bool {
	switch r {
	case 'f', 'F':
		e.setMode(modeFill)
	case 't', 'T':
		e.startSampling()
	case 'g', 'G':
		e.growFromSeeds()
	case 'i', 'I':
		e.interpolate()
	default:
		return false
	}
	return true
}

// policy is the overwrite policy and threshold the panel sets.
func (e *editor) policy() edit.Policy {
	var p edit.Policy
	switch e.policySel.SelectedIndex() {
	case int(edit.OverwriteEmptyOnly):
		p.Overwrite = edit.OverwriteEmptyOnly
	case int(edit.OverwriteLabels):
		p.Overwrite = edit.OverwriteLabels
		p.Only = parseIDs(e.onlyEntry.Text)
	}
	p.Threshold = e.threshold()
	return p
}

// threshold is the range when the threshold check is on and both bounds
// parse (nil otherwise).
func (e *editor) threshold() *edit.Range {
	if !e.thrChk.Checked {
		return nil
	}
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(e.loEntry.Text), 64)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(e.hiEntry.Text), 64)
	if err1 != nil || err2 != nil {
		e.setOpStatus("threshold: enter lo and hi")
		return &edit.Range{Lo: math.Inf(1), Hi: math.Inf(-1)} // paints nothing
	}
	return &edit.Range{Lo: min(lo, hi), Hi: max(lo, hi)}
}

// parseIDs reads "1, 3 5" as [1 3 5], skipping what does not parse.
func parseIDs(s string) []int {
	var ids []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if id, err := strconv.Atoi(f); err == nil && id >= 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (e *editor) floatEntry(en *widget.Entry, def float64) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(en.Text), 64)
	if err != nil || math.IsNaN(v) {
		return def
	}
	return v
}

// setOpStatus shows what the last operation did (hidden when empty).
func (e *editor) setOpStatus(s string) {
	e.opStatus.SetText(s)
	e.showIf(e.opStatus, s != "")
}

// showIf shows or hides o, laying the panel out again when that changes.
func (e *editor) showIf(o fyne.CanvasObject, show bool) {
	if o.Visible() == show {
		return
	}
	if show {
		o.Show()
	} else {
		o.Hide()
	}
	if e.box != nil {
		e.opsAcc.Refresh()
		e.box.Refresh()
	}
}

// record pushes a tool's change and redraws; nil says nothing changed.
func (e *editor) record(c *edit.Change, what string) {
	if c == nil {
		e.setOpStatus(what + ": no change")
		return
	}
	e.pushManual(c)
	e.setOpStatus(fmt.Sprintf("%s: %d voxels in box", what, c.Box.Size()))
	e.changed()
}

// ready says whether a label operation may run now.
func (e *editor) ready() bool {
	return !e.busy.Load() && e.labels != nil && e.ws.scene != nil && !e.ws.studyLoading()
}

// activeAxis is the normal axis of the active view (axial when none).
func (e *editor) activeAxis() int {
	if v := e.ws.active; v != nil {
		return v.Viewport().Layout().NormalAxis
	}
	return 2
}

// startSampling makes the next click in a view set the threshold range.
// Asked again before that click, it cancels.
func (e *editor) startSampling() {
	if e.ws.scene == nil {
		return
	}
	if e.sampling { // T again cancels
		e.setMode(e.mode)
		e.setOpStatus("")
		return
	}
	e.sampling = true
	for _, v := range e.ws.views {
		if v != nil {
			v.Tool = &sampleTool{e: e}
		}
	}
	e.setOpStatus("Click a voxel to sample the threshold")
}

// sample sets the threshold entries from the neighbourhood of idx and
// restores the tool of the current mode.
func (e *editor) sample(idx [3]int) {
	r := edit.SampleRange(e.ws.scene.Volume, idx, sampleRadius)
	e.setMode(e.mode)
	if r.Lo > r.Hi {
		return
	}
	e.loEntry.SetText(strconv.FormatFloat(math.Floor(r.Lo), 'f', -1, 64))
	e.hiEntry.SetText(strconv.FormatFloat(math.Ceil(r.Hi), 'f', -1, 64))
	e.thrChk.SetChecked(true)
	e.opsAcc.Open(0) // show the range taken
	e.setOpStatus(fmt.Sprintf("Threshold %s..%s", e.loEntry.Text, e.hiEntry.Text))
}

// sampleTool is the one-click tool of Sample (T).
type sampleTool struct{ e *editor }

func (t *sampleTool) Press(*SliceView, ToolEvent)   {}
func (t *sampleTool) Drag(*SliceView, ToolEvent)    {}
func (t *sampleTool) Release(*SliceView, ToolEvent) {}

// Click samples around the clicked voxel.
func (t *sampleTool) Click(v *SliceView, ev ToolEvent) {
	if idx, ok := v.Viewport().ScreenToVoxel(ev.X, ev.Y); ok {
		t.e.sample(idx)
	}
}

// fillTool flood-fills the active label from a clicked voxel.
type fillTool struct{ e *editor }

func (t *fillTool) Press(*SliceView, ToolEvent)   {}
func (t *fillTool) Drag(*SliceView, ToolEvent)    {}
func (t *fillTool) Release(*SliceView, ToolEvent) {}

// Click fills from the voxel under the pointer.
func (t *fillTool) Click(v *SliceView, ev ToolEvent) {
	e := t.e
	if e.busy.Load() {
		return
	}
	idx, ok := v.Viewport().ScreenToVoxel(ev.X, ev.Y)
	if !ok || !e.ensureLabels() {
		return
	}
	tol := max(0, e.floatEntry(e.tolEntry, 100))
	c := edit.FloodFill(e.labels, e.ws.scene.Volume, idx, e.label, tol, e.sphere, v.Viewport().Layout().NormalAxis, e.policy())
	e.record(c, "Fill")
}

// setBusy disables editing while a long operation runs.
func (e *editor) setBusy(b bool, msg string) {
	if b {
		e.busy.Store(true)
	}
	for _, d := range e.disableable {
		if b {
			d.Disable()
		} else {
			d.Enable()
		}
	}
	e.setOpStatus(msg)
	if !b {
		e.busy.Store(false) // last: the labels are settled before
	}
}

// runBackground runs a label operation on a copy of the labels in a
// goroutine, with editing disabled, and applies its change on the UI
// goroutine as one undo step: the window keeps drawing meanwhile.
func (e *editor) runBackground(name string, op func(work *viewer.LabelMap) (*edit.Change, error)) {
	if !e.ready() {
		return
	}
	lm := e.labels
	work := lm.Clone()
	e.setBusy(true, name+"…")
	go func() {
		c, err := op(work)
		do(func() {
			defer func() { e.setBusy(false, e.opStatus.Text) }()
			switch {
			case err != nil:
				e.setOpStatus(name + ": " + err.Error())
			case e.labels != lm:
				e.setOpStatus(name + ": labels replaced, result dropped")
			default:
				c.Apply(lm)
				e.record(c, name)
			}
		})
	}()
}

// noErr adapts an operation that cannot fail to runBackground.
func noErr(op func(*viewer.LabelMap) *edit.Change) func(*viewer.LabelMap) (*edit.Change, error) {
	return func(m *viewer.LabelMap) (*edit.Change, error) { return op(m), nil }
}

// growFromSeeds grows the seeds over the whole volume, or with the ROI
// check over the labels' bounding box grown by growMargin voxels.
func (e *editor) growFromSeeds() {
	if !e.ready() {
		return
	}
	img, limit, thr := e.ws.scene.Volume, e.growROI.Checked, e.threshold()
	e.runBackground("Grow from seeds", func(m *viewer.LabelMap) (*edit.Change, error) {
		roi := edit.Box{Max: m.Dims}
		if limit {
			if roi = edit.LabelledBox(m, growMargin); roi.Empty() {
				return nil, errors.New("no seeds")
			}
		}
		return edit.GrowFromSeeds(m, img, roi, thr)
	})
}

func (e *editor) interpolate() {
	label, axis := e.label, e.activeAxis()
	e.runBackground("Interpolate", noErr(func(m *viewer.LabelMap) *edit.Change { return edit.InterpolateSlices(m, label, axis) }))
}

func (e *editor) keepLargest() {
	label := e.label
	e.runBackground("Keep largest island", noErr(func(m *viewer.LabelMap) *edit.Change { return edit.KeepLargestIsland(m, label) }))
}

func (e *editor) removeSmall() {
	label, n := e.label, int(e.floatEntry(e.minIsland, 100))
	e.runBackground("Remove small islands", noErr(func(m *viewer.LabelMap) *edit.Change { return edit.RemoveSmallIslands(m, label, n) }))
}

// splitIslands gives each island its own id: the largest keeps the label
// when the ids after it are free, else all take ids above the highest used.
func (e *editor) splitIslands() {
	if !e.ready() {
		return
	}
	c, n, err := edit.SplitIslands(e.labels, e.label, e.label)
	first := e.label
	if err != nil {
		_, hi := e.labels.Range()
		first = int(hi) + 1
		c, n, err = edit.SplitIslands(e.labels, e.label, first)
	}
	if err != nil {
		e.setOpStatus("Split: " + err.Error())
		return
	}
	e.record(c, "Split islands")
	if c != nil {
		e.setOpStatus(fmt.Sprintf("Split into %d islands: ids %d..%d", n, first, first+n-1))
		e.refreshLabelList()
	}
}

func (e *editor) fillHoles() {
	label, threeD, axis := e.label, e.sphere, e.activeAxis()
	e.runBackground("Fill holes", noErr(func(m *viewer.LabelMap) *edit.Change { return edit.FillHoles(m, label, threeD, axis) }))
}

func (e *editor) smooth() {
	label, mm := e.label, e.floatEntry(e.smoothMM, 2)
	method := edit.SmoothMethod(max(0, e.smoothSel.SelectedIndex()))
	e.runBackground("Smooth "+method.String(), noErr(func(m *viewer.LabelMap) *edit.Change { return edit.Smooth(m, label, method, mm) }))
}
