package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer"
)

// labelsPanel lists the labels of the label map being edited: a colour
// swatch, id, name, and Visible/Locked checks per row. Selecting a row
// makes its label the active (painting) label; the name and colour of the
// selected label are edited below the list.
type labelsPanel struct {
	ws       *Workstation
	ids      []int // the rows: ids in the table, in the map, and the active one
	selected int   // id of the selected row, 0 for none
	syncing  bool  // set while the panel selects a row itself
	rows     map[fyne.CanvasObject]labelRow

	list      *widget.List
	name      *widget.Entry
	colourBtn *widget.Button
	swatch    *canvas.Rectangle
	box       *fyne.Container
}

func newLabelsPanel(ws *Workstation) *labelsPanel {
	p := &labelsPanel{ws: ws, rows: map[fyne.CanvasObject]labelRow{}}
	p.list = widget.NewList(func() int { return len(p.ids) }, p.createRow, p.updateRow)
	p.list.OnSelected = func(i widget.ListItemID) {
		if i < 0 || i >= len(p.ids) {
			return
		}
		p.selectLabel(p.ids[i])
	}
	p.name = widget.NewEntry()
	p.name.SetPlaceHolder("Name")
	p.name.OnSubmitted = func(s string) { p.rename(s) }
	p.name.OnChanged = func(s string) {
		if !p.syncing {
			p.rename(s)
		}
	}
	p.swatch = canvas.NewRectangle(color.Transparent)
	p.swatch.SetMinSize(fyne.NewSize(18, 18))
	p.colourBtn = widget.NewButton("Colour…", p.pickColour)
	showAll := widget.NewButton("Show all", func() { p.setAllVisible(true) })
	hideAll := widget.NewButton("Hide all", func() { p.setAllVisible(false) })
	edit := container.NewBorder(nil, nil, container.NewCenter(p.swatch), p.colourBtn, p.name)
	p.box = container.NewBorder(
		container.NewBorder(nil, nil, widget.NewLabelWithStyle("Label table", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewHBox(showAll, hideAll)),
		edit, nil, nil, p.list)
	p.setEditEnabled(false)
	return p
}

// labelRow is the template of one list row.
type labelRow struct {
	swatch  *canvas.Rectangle
	id      *widget.Label
	name    *widget.Label
	visible *widget.Check
	locked  *widget.Check
}

func (p *labelsPanel) createRow() fyne.CanvasObject {
	sw := canvas.NewRectangle(color.Transparent)
	sw.SetMinSize(fyne.NewSize(14, 14))
	id := widget.NewLabel("000")
	name := widget.NewLabel("")
	name.Truncation = fyne.TextTruncateEllipsis
	vis := widget.NewCheck("", nil)
	lock := widget.NewCheck("L", nil)
	row := container.NewBorder(nil, nil, container.NewHBox(container.NewCenter(sw), id), container.NewHBox(vis, lock), name)
	p.rows[row] = labelRow{swatch: sw, id: id, name: name, visible: vis, locked: lock}
	return row
}

func (p *labelsPanel) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(p.ids) {
		return
	}
	id := p.ids[i]
	l := p.entry(id)
	r, ok := p.rows[o]
	if !ok {
		return
	}
	r.swatch.FillColor = l.Colour
	r.swatch.Refresh()
	r.id.SetText(strconv.Itoa(id))
	r.name.SetText(l.Name)
	r.visible.OnChanged, r.locked.OnChanged = nil, nil
	r.visible.SetChecked(l.Visible)
	r.locked.SetChecked(l.Locked)
	r.visible.OnChanged = func(b bool) { p.setVisible(id, b) }
	r.locked.OnChanged = func(b bool) { p.setLocked(id, b) }
}

// entry is the table entry for id, or the one a first edit would create:
// "Label N" in the colour it is drawn in now, visible and unlocked.
func (p *labelsPanel) entry(id int) viewer.Label {
	lm := p.ws.editor.labels
	if lm != nil {
		if l, ok := lm.Table.Get(id); ok {
			return l
		}
	}
	c := viewer.DefaultLabelColours().Colour(id)
	if sc := p.ws.scene; sc != nil && sc.Colours != nil {
		c = sc.Colours.Colour(id)
		c.A = 255
	}
	return viewer.Label{ID: id, Name: fmt.Sprintf("Label %d", id), Colour: c, Visible: true}
}

// update changes id's table entry (creating it on first edit) and redraws
// the views with the new colours.
func (p *labelsPanel) update(id int, f func(*viewer.Label)) {
	lm := p.ws.editor.labels
	if lm == nil || id <= 0 {
		return
	}
	l := p.entry(id)
	f(&l)
	if err := lm.Table.Set(l); err != nil {
		p.ws.showError(err)
		return
	}
	p.applyColours()
}

func (p *labelsPanel) applyColours() {
	if sc := p.ws.scene; sc != nil && p.ws.editor.labels != nil {
		sc.Colours = p.ws.editor.labels.Table.Colours()
		sc.MarkLabelsChanged()
	}
	p.ws.refreshViews()
	p.list.Refresh()
}

func (p *labelsPanel) setVisible(id int, on bool) {
	p.update(id, func(l *viewer.Label) { l.Visible = on })
}

func (p *labelsPanel) setLocked(id int, on bool) {
	p.update(id, func(l *viewer.Label) { l.Locked = on })
}

func (p *labelsPanel) setAllVisible(on bool) {
	lm := p.ws.editor.labels
	if lm == nil {
		return
	}
	for _, id := range p.ids {
		l := p.entry(id)
		l.Visible = on
		if err := lm.Table.Set(l); err != nil {
			p.ws.showError(err)
			return
		}
	}
	p.applyColours()
}

func (p *labelsPanel) rename(s string) {
	if p.selected <= 0 {
		return
	}
	if l := p.entry(p.selected); l.Name == s {
		return
	}
	lm := p.ws.editor.labels
	if lm == nil {
		return
	}
	l := p.entry(p.selected)
	l.Name = s
	if lm.Table.Set(l) != nil {
		return
	}
	if i := p.index(p.selected); i >= 0 {
		p.list.RefreshItem(i)
	}
	p.ws.editor.refreshLabelList()
}

func (p *labelsPanel) pickColour() {
	if p.selected <= 0 || p.ws.editor.labels == nil {
		return
	}
	id := p.selected
	d := dialog.NewColorPicker(fmt.Sprintf("Colour of label %d", id), "", func(c color.Color) {
		r, g, b, _ := c.RGBA()
		p.update(id, func(l *viewer.Label) { l.Colour = color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255} })
		p.showSelected()
	}, p.ws.win)
	d.Advanced = true
	d.SetColor(p.entry(id).Colour)
	d.Show()
}

// selectLabel makes id the active label and the panel's selection.
func (p *labelsPanel) selectLabel(id int) {
	if id <= 0 {
		return
	}
	p.selected = id
	e := p.ws.editor
	if e.label != id {
		e.label = id
		e.refreshLabelList()
	}
	if p.index(id) < 0 {
		p.refresh()
	}
	p.syncSelection()
	p.showSelected()
	if p.ws.stats != nil {
		p.ws.stats.setLabel(id)
	}
}

func (p *labelsPanel) index(id int) int {
	for i, x := range p.ids {
		if x == id {
			return i
		}
	}
	return -1
}

// syncSelection highlights the selected id's row without calling back.
func (p *labelsPanel) syncSelection() {
	if i := p.index(p.selected); i >= 0 {
		p.syncing = true
		p.list.Select(i)
		p.syncing = false
	}
}

func (p *labelsPanel) showSelected() {
	p.syncing = true
	defer func() { p.syncing = false }()
	if p.selected <= 0 || p.ws.editor.labels == nil {
		p.name.SetText("")
		p.swatch.FillColor = color.Transparent
		p.swatch.Refresh()
		p.setEditEnabled(false)
		return
	}
	l := p.entry(p.selected)
	p.name.SetText(l.Name)
	p.swatch.FillColor = l.Colour
	p.swatch.Refresh()
	p.setEditEnabled(true)
}

func (p *labelsPanel) setEditEnabled(on bool) {
	if on {
		p.name.Enable()
		p.colourBtn.Enable()
	} else {
		p.name.Disable()
		p.colourBtn.Disable()
	}
}

// refresh rebuilds the rows from the label map: every id in the table or
// present in the voxels, plus the active label.
func (p *labelsPanel) refresh() {
	p.ids = p.ids[:0]
	lm := p.ws.editor.labels
	if lm == nil {
		p.selected = 0
		p.list.UnselectAll()
		p.list.Refresh()
		p.showSelected()
		return
	}
	seen := map[int]bool{}
	for _, l := range lm.Table.Labels {
		seen[l.ID] = true
	}
	for _, id := range lm.Present() {
		seen[id] = true
	}
	if a := p.ws.editor.label; a > 0 {
		seen[a] = true
	}
	for id := range seen {
		p.ids = append(p.ids, id)
	}
	slices.Sort(p.ids)
	if p.index(p.selected) < 0 {
		p.selected = p.ws.editor.label
	}
	p.list.Refresh()
	p.syncSelection()
	p.showSelected()
}

// pickHoveredLabel makes the label under the pointer the active one (key P).
func (ws *Workstation) pickHoveredLabel() {
	ci := ws.lastHover
	if !ci.Inside || ci.Label <= 0 {
		ws.status.SetText("No label under the pointer")
		return
	}
	ws.labelsPanel.selectLabel(ci.Label)
	ws.status.SetText(fmt.Sprintf("Active label %d", ci.Label))
}

// labelsChanged refreshes the label table and the statistics after a new
// label map or label table was loaded.
func (ws *Workstation) labelsChanged() {
	ws.labelsPanel.refresh()
	ws.stats.compute()
}

// newSideTabs holds the label table, the statistics and the study info
// under the tool panels of the right-hand column.
func (ws *Workstation) newSideTabs() *container.AppTabs {
	labelsTab := container.NewTabItem("Labels", ws.labelsPanel.box)
	tabs := container.NewAppTabs(labelsTab,
		container.NewTabItem("AI", container.NewVScroll(container.NewVBox(ws.ai.box, widget.NewSeparator(), ws.preds.box))),
		container.NewTabItem("Jobs", ws.jobs.box),
		container.NewTabItem("Worklist", ws.worklist.box),
		container.NewTabItem("Statistics", ws.stats.box),
		container.NewTabItem("Info", ws.infoPane))
	ws.worklistTab = 3
	tabs.OnSelected = func(t *container.TabItem) {
		if t == labelsTab {
			ws.labelsPanel.refresh() // painting may have added labels
		}
	}
	return tabs
}
