package ui

import (
	"fmt"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/edit"
)

// worklist is the Worklist tab: the open project's cases with their
// status, a status filter, progress, next/previous and status keys. The
// project and its autosave live in package project; this only shows them.
type worklist struct {
	ws      *Workstation
	proj    *project.Project
	current string // the open case's id
	saved   uint64 // the editor history's version last autosaved
	saving  atomic.Bool

	filter   *widget.Select
	list     *widget.List
	progress *widget.Label
	note     *widget.Label
	rows     []project.CaseSummary
	box      *fyne.Container
}

// AutosaveEvery is how often edits are saved into the project.
var AutosaveEvery = 10 * time.Second

func newWorklist(ws *Workstation) *worklist {
	w := &worklist{ws: ws}
	opts := []string{"all"}
	for _, s := range project.Statuses {
		opts = append(opts, string(s))
	}
	w.filter = widget.NewSelect(opts, nil)
	w.filter.SetSelected("all")
	w.filter.OnChanged = func(string) { w.refresh() }
	w.progress = widget.NewLabel("No project. File → Open Project… or New Project…")
	w.progress.Wrapping = fyne.TextWrapWord
	w.note = widget.NewLabel("")
	w.note.Wrapping = fyne.TextWrapWord
	w.note.TextStyle = fyne.TextStyle{Italic: true}
	w.list = widget.NewList(func() int { return len(w.rows) },
		func() fyne.CanvasObject { return widget.NewLabel("case_0000  needs review  image") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := w.rows[i]
			mark := " "
			if r.ID == w.current {
				mark = "▶"
			}
			missing := ""
			if !r.ImageFound {
				missing = "  (image missing)"
			}
			o.(*widget.Label).SetText(fmt.Sprintf("%s %s  %-12s %s%s", mark, r.ID, r.Status, filepath.Base(r.Image), missing))
		})
	w.list.OnSelected = func(i widget.ListItemID) {
		if i < len(w.rows) && w.rows[i].ID != w.current {
			w.open(w.rows[i].ID)
		}
	}
	buttons := container.NewGridWithColumns(4,
		widget.NewButton("◀ Prev (Alt+←)", func() { w.step(-1) }),
		widget.NewButton("Next ▶ (Alt+→)", func() { w.step(1) }),
		widget.NewButton("Done (Alt+D)", func() { w.setStatus(project.Done) }),
		widget.NewButton("Review (Alt+U)", func() { w.setStatus(project.NeedsReview) }))
	top := container.NewVBox(w.progress, container.NewBorder(nil, nil, widget.NewLabel("Show"), nil, w.filter), buttons, w.note)
	w.box = container.NewBorder(top, nil, nil, nil, w.list)
	go w.autosaveLoop()
	return w
}

// setProject shows a project (nil closes the current one).
func (w *worklist) setProject(p *project.Project) {
	if w.proj != nil {
		w.autosave()
		w.proj.Close()
	}
	w.proj, w.current = p, ""
	w.note.SetText("")
	if p != nil {
		switch {
		case p.ReadOnly() != "":
			w.note.SetText("Read-only: " + p.ReadOnly())
		case p.Recovered != "":
			w.note.SetText(p.Recovered)
		}
	}
	w.refresh()
}

func (w *worklist) refresh() {
	w.rows = w.rows[:0]
	if w.proj == nil {
		w.list.Refresh()
		return
	}
	s := w.proj.Summarise()
	for _, r := range s.List {
		if w.filter.Selected == "all" || string(r.Status) == w.filter.Selected {
			w.rows = append(w.rows, r)
		}
	}
	w.progress.SetText(fmt.Sprintf("%s: %d of %d done", s.Name, s.Done, s.Cases))
	w.list.Refresh()
}

// open loads a case's image and labels in the background.
func (w *worklist) open(id string) {
	c := w.proj.Case(id)
	if c == nil {
		return
	}
	w.autosave()
	w.current = id
	w.saved = 0
	w.ws.pendingHeld = nil
	for _, h := range c.Predictions {
		w.ws.pendingHeld = append(w.ws.pendingHeld, heldPrediction{rel: h.Path, path: w.proj.Resolve(h.Path), name: h.Model, source: h.Source})
	}
	labels := ""
	if c.Labels != "" {
		labels = w.proj.Resolve(c.Labels)
	}
	w.ws.OpenPathWithLabels(w.proj.Resolve(c.Image), labels)
	w.ws.pendingTable = w.proj.Table()
	w.ws.status.SetText(fmt.Sprintf("Opening %s (%s)", id, c.Status))
	w.refresh()
}

// step opens the next (+1) or previous (−1) case of the filtered list.
func (w *worklist) step(d int) {
	if w.proj == nil || len(w.rows) == 0 {
		return
	}
	at := -1
	for i, r := range w.rows {
		if r.ID == w.current {
			at = i
		}
	}
	next := at + d
	if at < 0 {
		next = 0
	}
	if next < 0 || next >= len(w.rows) {
		return
	}
	w.list.Select(next)
}

func (w *worklist) setStatus(s project.Status) {
	if w.proj == nil || w.current == "" {
		return
	}
	if err := w.proj.SetStatus(w.current, s); err == nil {
		err = w.proj.Save()
		if err != nil {
			w.ws.showError(err)
		}
	} else {
		w.ws.showError(err)
	}
	w.refresh()
}

func (w *worklist) autosaveLoop() {
	for range time.Tick(AutosaveEvery) {
		do(w.autosave)
	}
}

// autosave saves the open case's label map into the project when it
// changed since the last save: a copy is taken here, and written in the
// background.
func (w *worklist) autosave() {
	e := w.ws.editor
	if w.proj == nil || w.current == "" || w.proj.ReadOnly() != "" || e.labels == nil || e.history.Version() == w.saved {
		return
	}
	if !w.saving.CompareAndSwap(false, true) {
		return
	}
	c := w.proj.Case(w.current)
	snapshot := e.labels.Clone()
	version := e.history.Version()
	proj := w.proj
	go func() {
		defer w.saving.Store(false)
		// Labels painted in this case join the project's table.
		proj.AddLabels(project.TableOf(snapshot))
		err := proj.SaveLabels(c, snapshot.Volume)
		do(func() {
			if err != nil {
				w.ws.showError(fmt.Errorf("autosave of %s failed: %w", c.ID, err))
				return
			}
			if proj == w.proj {
				w.saved = version
				w.ws.status.SetText(fmt.Sprintf("Autosaved %s at %s", c.ID, time.Now().Format("15:04:05")))
			}
		})
	}()
}

// OpenProject opens the project in dir and shows its worklist.
func (ws *Workstation) OpenProject(dir string) {
	p, err := project.Open(dir)
	if err != nil {
		ws.showError(err)
		return
	}
	ws.worklist.setProject(p)
	ws.tabs.SelectIndex(ws.worklistTab)
	msg := fmt.Sprintf("Project %s: %d cases", p.Name, len(p.Cases))
	if p.Recovered != "" {
		msg += " — " + p.Recovered
	}
	ws.status.SetText(msg)
}

// NewProject makes a project in dir with the label table shown now.
func (ws *Workstation) NewProject(dir string) {
	var table *viewer.LabelTable
	if ws.editor.labels != nil {
		t := ws.editor.labels.Table
		table = &t
	}
	p, err := project.Create(dir, "", table)
	if err != nil {
		ws.showError(err)
		return
	}
	ws.worklist.setProject(p)
	ws.tabs.SelectIndex(ws.worklistTab)
	ws.status.SetText(fmt.Sprintf("Created project %s; File → Add Studies… adds cases", p.Name))
}

// AddStudies adds every study found under path to the open project.
func (ws *Workstation) AddStudies(path string) {
	p := ws.worklist.proj
	if p == nil {
		ws.showError(fmt.Errorf("open or create a project first (File → Open Project…)"))
		return
	}
	found, err := project.FindStudies(path, p.Dir())
	if err != nil {
		ws.showError(err)
		return
	}
	added := 0
	for _, s := range found {
		if _, err := p.AddCase(s, project.Todo); err == nil {
			added++
		}
	}
	if err := p.Save(); err != nil {
		ws.showError(err)
	}
	ws.worklist.refresh()
	ws.status.SetText(fmt.Sprintf("Added %d of %d studies found under %s", added, len(found), filepath.Base(path)))
}

// OpenNextCase opens the next case of the worklist (the first when none
// is open).
func (ws *Workstation) OpenNextCase() { ws.worklist.step(1) }

// recordRun notes an accepted prediction in the session's provenance and
// the open case's, and autosaves the case at once.
func (w *worklist) recordRun(pr *prediction, target *viewer.LabelMap, changed int) {
	run := project.ModelRun{Model: pr.name, Voxels: changed}
	if r := pr.report; r != nil {
		run.Model, run.Version, run.Device = r.Model.Name, r.Model.Version, r.Device.Used
		for _, f := range r.Model.Files {
			run.SHA256 = append(run.SHA256, f.SHA256)
		}
	}
	for id := range pr.counts {
		if name := predictionName(pr, id); name != "" {
			for _, l := range target.Table.Labels {
				if l.Name == name {
					run.Labels = append(run.Labels, l.ID)
				}
			}
		}
	}
	sort.Ints(run.Labels)
	w.ws.session.RecordRun(run)
	if w.proj == nil || w.current == "" || w.proj.ReadOnly() != "" {
		return
	}
	c := w.proj.Case(w.current)
	if c == nil {
		return
	}
	w.proj.Update(func() { c.RecordRun(run) })
	w.autosave()
}

// recordEdit notes a manual edit in the session's provenance and the open
// case's; the periodic autosave writes the case's with the labels.
func (w *worklist) recordEdit(ch *edit.Change) {
	touched := ch.Touched()
	ids := make([]int, 0, len(touched))
	for id := range touched {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		w.ws.session.RecordEdit(project.Edit{Tool: ch.Name, Label: id, Voxels: touched[id]})
	}
	if w.proj == nil || w.current == "" || w.proj.ReadOnly() != "" {
		return
	}
	c := w.proj.Case(w.current)
	if c == nil {
		return
	}
	w.proj.Update(func() {
		for _, id := range ids {
			c.RecordEdit(project.Edit{Tool: ch.Name, Label: id, Voxels: touched[id]})
		}
	})
}

func predictionName(pr *prediction, id int) string {
	if l, ok := pr.labels.Table.Get(id); ok {
		return l.Name
	}
	return ""
}

// closeProject saves what is unsaved, synchronously (the app is closing),
// and releases the project's lock.
func (w *worklist) closeProject() {
	if w.proj == nil {
		return
	}
	e := w.ws.editor
	if w.current != "" && w.proj.ReadOnly() == "" && e.labels != nil && e.history.Version() != w.saved {
		if c := w.proj.Case(w.current); c != nil {
			_ = w.proj.SaveLabels(c, e.labels.Clone().Volume)
		}
	}
	w.proj.Close()
	w.proj = nil
}
