package ui

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/inference"
	"delineate/viewer"
	"delineate/viewer/edit"
)

// prediction is one model result held for review. It is drawn as the
// scene's prediction layer and never touches the labels until accepted.
type prediction struct {
	id     int // the job's id
	name   string
	labels *viewer.LabelMap
	report *inference.Report
	counts map[int]int // voxels per prediction id
	// held is the project path of a prediction held by the open case
	// (e.g. pulled from Label Studio), source where it came from.
	held, source string
}

// predictionsPanel holds the predictions of the open study, shows one at
// a time, and accepts all of it, some labels, or a slice range of it, as
// one undo step, after showing how many voxels that adds and removes.
type predictionsPanel struct {
	ws      *Workstation
	preds   []*prediction
	current *prediction

	list      *widget.RadioGroup
	show      *widget.Check
	opacity   *widget.Slider
	labels    *widget.CheckGroup
	rangeChk  *widget.Check
	fromEntry *widget.Entry
	toEntry   *widget.Entry
	replace   *widget.Check
	preview   *widget.Label
	acceptBtn *widget.Button
	rejectBtn *widget.Button
	box       *fyne.Container
	body      *fyne.Container

	previewGen int
	syncing    bool
}

func newPredictionsPanel(ws *Workstation) *predictionsPanel {
	p := &predictionsPanel{ws: ws}
	p.list = widget.NewRadioGroup(nil, func(s string) {
		if !p.syncing {
			p.selectByLabel(s)
		}
	})
	p.show = widget.NewCheck("Show prediction", func(on bool) {
		if sc := ws.scene; sc != nil && !p.syncing {
			sc.ShowPrediction = on
			sc.MarkPredictionChanged()
			ws.refreshViews()
		}
	})
	p.opacity = widget.NewSlider(0, 1)
	p.opacity.Step = 0.05
	p.opacity.OnChanged = func(v float64) {
		if sc := ws.scene; sc != nil && !p.syncing {
			sc.PredictionOpacity = v
			sc.MarkPredictionChanged()
			ws.refreshViews()
		}
	}
	p.labels = widget.NewCheckGroup(nil, func([]string) {
		if !p.syncing {
			p.updatePreview()
		}
	})
	all := widget.NewButton("All", func() { p.labels.SetSelected(p.labels.Options) })
	none := widget.NewButton("None", func() { p.labels.SetSelected(nil) })
	p.rangeChk = widget.NewCheck("Slices of the active view", func(bool) { p.updatePreview() })
	p.fromEntry = widget.NewEntry()
	p.fromEntry.SetPlaceHolder("from")
	p.toEntry = widget.NewEntry()
	p.toEntry.SetPlaceHolder("to")
	p.fromEntry.OnChanged = func(string) { p.updatePreview() }
	p.toEntry.OnChanged = func(string) { p.updatePreview() }
	here := widget.NewButton("Here", func() {
		if s, ok := p.activeSlice(); ok {
			p.fromEntry.SetText(strconv.Itoa(s + 1))
			p.toEntry.SetText(strconv.Itoa(s + 1))
			p.rangeChk.SetChecked(true)
		}
	})
	p.replace = widget.NewCheck("Replace (clear these labels where the prediction has none)", func(bool) { p.updatePreview() })
	p.preview = widget.NewLabel("")
	p.preview.Wrapping = fyne.TextWrapWord
	p.acceptBtn = widget.NewButton("Accept (Enter)", p.accept)
	p.acceptBtn.Importance = widget.HighImportance
	p.rejectBtn = widget.NewButton("Reject (Esc)", p.reject)
	report := widget.NewButton("Report", func() {
		if p.current != nil {
			ws.jobs.open(p.current.id)
		}
	})
	empty := widget.NewLabel("No predictions. Run a model (Ctrl+R): its result appears here for review and is drawn hatched over the labels.")
	empty.Wrapping = fyne.TextWrapWord
	p.body = container.NewVBox(
		widget.NewLabelWithStyle("Predictions", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.list,
		container.NewBorder(nil, nil, p.show, nil, p.opacity),
		container.NewBorder(nil, nil, widget.NewLabel("Labels"), container.NewHBox(all, none)),
		p.labels,
		p.rangeChk,
		container.NewGridWithColumns(3, p.fromEntry, p.toEntry, here),
		p.replace,
		p.preview,
		container.NewGridWithColumns(3, p.acceptBtn, p.rejectBtn, report),
	)
	p.body.Hide()
	p.box = container.NewVBox(empty, p.body)
	p.box.Objects[0] = empty
	return p
}

func (p *predictionsPanel) entryName(pr *prediction) string {
	if pr.held != "" {
		return fmt.Sprintf("%s (%d labels, held by the case)", pr.name, len(pr.counts))
	}
	return fmt.Sprintf("#%d %s (%d labels)", pr.id, pr.name, len(pr.counts))
}

// add holds a finished run's result and shows it.
func (p *predictionsPanel) add(id int, name string, r *inference.Result) {
	pr := &prediction{id: id, name: name, labels: r.Labels, report: r.Report, counts: map[int]int{}}
	for _, l := range r.Report.Labels {
		pr.counts[l.ID] = l.Voxels
	}
	p.preds = append(p.preds, pr)
	p.setCurrent(pr)
}

// clear drops every prediction (a new study was opened).
func (p *predictionsPanel) clear() {
	p.preds = nil
	p.current = nil
	p.sync()
}

func (p *predictionsPanel) selectByLabel(s string) {
	for _, pr := range p.preds {
		if p.entryName(pr) == s {
			p.setCurrent(pr)
			return
		}
	}
}

// setCurrent shows pr as the scene's prediction layer.
func (p *predictionsPanel) setCurrent(pr *prediction) {
	p.current = pr
	if sc := p.ws.scene; sc != nil {
		var v *viewer.Volume
		if pr != nil {
			v = pr.labels.Volume
			sc.PredictionColours = pr.labels.Table.Colours()
		}
		if err := sc.SetPrediction(v); err != nil {
			p.ws.showError(err)
		}
		sc.ShowPrediction = pr != nil
		p.ws.refreshViews()
	}
	p.sync()
}

// sync rebuilds the widgets from the held predictions.
func (p *predictionsPanel) sync() {
	p.syncing = true
	defer func() { p.syncing = false }()
	var names []string
	for _, pr := range p.preds {
		names = append(names, p.entryName(pr))
	}
	p.list.Options = names
	p.list.Refresh()
	if p.current == nil {
		p.body.Hide()
		p.box.Objects[0].Show()
		p.list.SetSelected("")
		return
	}
	p.box.Objects[0].Hide()
	p.body.Show()
	p.list.SetSelected(p.entryName(p.current))
	if sc := p.ws.scene; sc != nil {
		p.show.SetChecked(sc.ShowPrediction)
		p.opacity.SetValue(sc.PredictionOpacity)
	}
	var opts []string
	ids := make([]int, 0, len(p.current.counts))
	for id := range p.current.counts {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		opts = append(opts, p.labelOption(id))
	}
	p.labels.Options = opts
	p.labels.SetSelected(opts)
	p.labels.Refresh()
	p.syncing = false
	p.updatePreview()
}

func (p *predictionsPanel) labelOption(id int) string {
	name := ""
	if l, ok := p.current.labels.Table.Get(id); ok {
		name = l.Name
	}
	ml := float64(p.current.counts[id]) * p.current.labels.Spacing[0] * p.current.labels.Spacing[1] * p.current.labels.Spacing[2] / 1000
	return fmt.Sprintf("%d %s · %.1f mL", id, name, ml)
}

// activeSlice is the active view's slice index and its volume axis.
func (p *predictionsPanel) activeSlice() (int, bool) {
	v := p.ws.active
	if v == nil {
		return 0, false
	}
	return v.Viewport().Slice, true
}

// options reads the accept options from the widgets; the mapping from
// prediction ids to the label table is by name.
func (p *predictionsPanel) options(target *viewer.LabelMap) (edit.AcceptOptions, []viewer.Label, error) {
	pr := p.current
	var o edit.AcceptOptions
	for _, s := range p.labels.Selected {
		id, err := strconv.Atoi(strings.Fields(s)[0])
		if err == nil {
			o.Labels = append(o.Labels, id)
		}
	}
	if len(o.Labels) == 0 {
		return o, nil, errors.New("no labels chosen")
	}
	o.SliceLo, o.SliceHi = 0, -1
	if p.rangeChk.Checked && p.ws.active != nil {
		a, err1 := strconv.Atoi(strings.TrimSpace(p.fromEntry.Text))
		b, err2 := strconv.Atoi(strings.TrimSpace(p.toEntry.Text))
		if err1 != nil || err2 != nil {
			return o, nil, errors.New("slice range: enter from and to (slice numbers as the status bar shows them)")
		}
		o.Axis = p.ws.active.Viewport().Layout().NormalAxis
		o.SliceLo, o.SliceHi = min(a, b)-1, max(a, b)-1
	}
	o.Replace = p.replace.Checked
	o.Policy = p.ws.editor.policy()
	o.Policy.Threshold = nil
	var added []viewer.Label
	if target != nil {
		var present []int
		for id := range pr.counts {
			present = append(present, id)
		}
		sort.Ints(present)
		o.Mapping, added = edit.MapByName(pr.labels.Table, present, target.Table, target.Present())
	}
	return o, added, nil
}

// updatePreview counts, in the background, what accepting would add and
// remove, so the user sees it before applying.
func (p *predictionsPanel) updatePreview() {
	if p.current == nil || p.syncing {
		return
	}
	p.previewGen++
	gen := p.previewGen
	target := p.ws.editor.labels
	if target == nil {
		// No labels yet: accepting starts a label map from the prediction.
		n := 0
		for _, s := range p.labels.Selected {
			if id, err := strconv.Atoi(strings.Fields(s)[0]); err == nil {
				n += p.current.counts[id]
			}
		}
		p.preview.SetText(fmt.Sprintf("Accept adds %d voxels (no labels yet)", n))
		return
	}
	o, added, err := p.options(target)
	if err != nil {
		p.preview.SetText(err.Error())
		return
	}
	pred := p.current.labels
	snapshot := target.Clone() // painting goes on while this counts
	p.preview.SetText("counting…")
	go func() {
		sum, err := edit.PlanAccept(snapshot, pred, o)
		do(func() {
			if gen != p.previewGen {
				return
			}
			if err != nil {
				p.preview.SetText(err.Error())
				return
			}
			s := fmt.Sprintf("Accept adds %d voxels, removes %d", sum.Added, sum.Removed)
			if sum.Skipped > 0 {
				s += fmt.Sprintf(", keeps %d (locked or protected by the overwrite policy)", sum.Skipped)
			}
			if len(added) > 0 {
				s += fmt.Sprintf("; %d new label(s) in the table", len(added))
			}
			p.preview.SetText(s)
		})
	}()
}

// accept applies the chosen part of the current prediction as one undo
// step.
func (p *predictionsPanel) accept() {
	pr := p.current
	ws := p.ws
	if pr == nil || ws.editor.busy.Load() {
		return
	}
	if !ws.editor.ensureLabels() {
		return
	}
	target := ws.editor.labels
	o, added, err := p.options(target)
	if err != nil {
		ws.showError(err)
		return
	}
	for _, l := range added {
		_ = target.Table.Set(l)
	}
	c, sum, err := edit.AcceptPrediction(target, pr.labels, o)
	if err != nil {
		ws.showError(err)
		return
	}
	if c != nil {
		ws.editor.history.Push(c)
	}
	if target.Volume != ws.scene.Labels {
		// Widened to uint16 for ids above 255: the scene draws the new map.
		_ = ws.scene.SetLabels(target.Volume)
		target.Volume = ws.scene.Labels
	}
	ws.scene.Colours = target.Table.Colours()
	ws.editor.changed()
	ws.labelsChanged()
	ws.editor.refreshLabelList()
	ws.status.SetText(fmt.Sprintf("Accepted %s: +%d voxels, −%d (Ctrl+Z undoes)", pr.name, sum.Added, sum.Removed))
	all := len(o.Labels) == len(pr.counts) && o.SliceLo > o.SliceHi
	if pr.held != "" {
		ws.worklist.recordHeld(pr, c, all)
	} else {
		ws.worklist.recordRun(pr, target, sum.Added+sum.Removed)
	}
	if all {
		p.drop(pr)
	} else {
		p.updatePreview()
	}
}

// reject discards the current prediction.
func (p *predictionsPanel) reject() {
	if p.current == nil {
		return
	}
	name := p.current.name
	if p.current.held != "" {
		p.ws.worklist.recordHeld(p.current, nil, true)
	}
	p.drop(p.current)
	p.ws.status.SetText("Rejected " + name + "; labels untouched")
}

func (p *predictionsPanel) drop(pr *prediction) {
	for i, x := range p.preds {
		if x == pr {
			p.preds = append(p.preds[:i], p.preds[i+1:]...)
			break
		}
	}
	var next *prediction
	if len(p.preds) > 0 {
		next = p.preds[len(p.preds)-1]
	}
	p.setCurrent(next)
}
