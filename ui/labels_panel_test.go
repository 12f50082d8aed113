package ui

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"delineate/viewer"
)

// cubeLabels is a label map on ctVolume's grid: label 1 a 3×3×4 cube in the
// bright block (all 700 HU), label 2 a 4×2×2 slab half in air (−1000) and
// half in soft tissue (40).
func cubeLabels(t testing.TB, img *viewer.Volume) *viewer.Volume {
	t.Helper()
	lm, err := viewer.NewLabelMap(img.Geometry, 255)
	if err != nil {
		t.Fatal(err)
	}
	for k := 4; k < 8; k++ {
		for j := 9; j < 12; j++ {
			for i := 9; i < 12; i++ {
				lm.Set(img.Index(i, j, k), 1)
			}
		}
	}
	for k := 0; k < 2; k++ {
		for j := 5; j < 7; j++ {
			for i := 2; i < 6; i++ {
				lm.Set(img.Index(i, j, k), 2)
			}
		}
	}
	return lm.Volume
}

// labelledWorkstation shows ctVolume with cubeLabels and a table naming
// label 1 only; the axial view is on slice 5, through the cube.
func labelledWorkstation(t *testing.T) *Workstation {
	t.Helper()
	ws := newTestWorkstation(t)
	img := ctVolume(t)
	table := &viewer.LabelTable{}
	if err := table.Set(viewer.Label{ID: 1, Name: "Tumour", Colour: color.RGBA{200, 50, 50, 255}, Visible: true}); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ws, func() { // loading labels measures them
		if err := ws.setVolumeTable(img, cubeLabels(t, img), table, "labelled CT"); err != nil {
			t.Fatal(err)
		}
	})
	ws.win.Canvas().Capture() // lay out, so the views have a size
	ws.scene.Cursor = [3]int{10, 10, 5}
	ws.views[viewer.Axial].Viewport().SetSlice(5)
	return ws
}

func TestLabelsPanelRows(t *testing.T) {
	ws := labelledWorkstation(t)
	p := ws.labelsPanel
	if len(p.ids) != 2 || p.ids[0] != 1 || p.ids[1] != 2 {
		t.Fatalf("rows %v, want [1 2]", p.ids)
	}
	if l := p.entry(2); l.Name != "Label 2" || !l.Visible || l.Colour != viewer.DefaultLabelColours().Colour(2) {
		t.Errorf("label 2 not in the table shows as %+v", l)
	}
	// Selecting a row makes its label the active one.
	waitStats(t, ws, func() { p.list.Select(1) }) // and draws its histogram
	if ws.editor.label != 2 || p.selected != 2 {
		t.Errorf("selecting row 1 gave active label %d (selected %d)", ws.editor.label, p.selected)
	}
	if ws.editor.labelSel.Selected != "2" {
		t.Errorf("edit panel shows label %q", ws.editor.labelSel.Selected)
	}
	if p.name.Text != "Label 2" || p.name.Disabled() {
		t.Errorf("name entry %q disabled=%v", p.name.Text, p.name.Disabled())
	}
	// Renaming creates the table entry, in the colour it was drawn in.
	p.name.SetText("Cyst")
	l, ok := ws.editor.labels.Table.Get(2)
	if !ok || l.Name != "Cyst" || l.Colour != viewer.DefaultLabelColours().Colour(2) || !l.Visible {
		t.Errorf("after rename the table has %+v, %v", l, ok)
	}
	if ws.editor.labelSel.Selected != "2  Cyst" {
		t.Errorf("edit panel shows label %q after rename", ws.editor.labelSel.Selected)
	}
}

func TestLabelsPanelVisibleAndLocked(t *testing.T) {
	ws := labelledWorkstation(t)
	p := ws.labelsPanel
	vp := ws.views[viewer.Axial].Viewport()
	x, y := vp.VoxelToScreen([3]int{10, 10, 5})
	px, py := int(x), int(y)
	shown := vp.Render(nil).RGBAAt(px, py)
	ws.scene.ShowLabels = false
	bare := vp.Render(nil).RGBAAt(px, py)
	ws.scene.ShowLabels = true
	if shown == bare {
		t.Fatalf("label 1 does not show at %d,%d: %v", px, py, shown)
	}
	v0 := ws.scene.LabelsVersion()

	p.setVisible(1, false)
	if a := ws.scene.Colours.Colour(1).A; a != 0 {
		t.Errorf("hidden label 1 has alpha %d", a)
	}
	if a := ws.scene.Colours.Colour(2).A; a == 0 {
		t.Errorf("label 2 hidden along with label 1")
	}
	if ws.scene.LabelsVersion() == v0 {
		t.Errorf("hiding did not mark the labels changed")
	}
	if got := vp.Render(nil).RGBAAt(px, py); got != bare {
		t.Errorf("hidden label still drawn: %v, bare image %v", got, bare)
	}
	if l, _ := ws.editor.labels.Table.Get(1); l.Visible || l.Name != "Tumour" {
		t.Errorf("table entry after hiding %+v", l)
	}

	p.setAllVisible(true)
	if got := vp.Render(nil).RGBAAt(px, py); got != shown {
		t.Errorf("Show all: pixel %v, want %v", got, shown)
	}
	p.setAllVisible(false)
	for _, id := range []int{1, 2} {
		if l, ok := ws.editor.labels.Table.Get(id); !ok || l.Visible {
			t.Errorf("Hide all left label %d %+v %v", id, l, ok)
		}
	}
	p.setAllVisible(true)

	p.setLocked(2, true)
	if l, ok := ws.editor.labels.Table.Get(2); !ok || !l.Locked || !l.Visible || l.Name != "Label 2" {
		t.Errorf("locking label 2 gave %+v %v", l, ok)
	}
	if l, _ := ws.editor.labels.Table.Get(1); l.Locked {
		t.Errorf("label 1 locked too")
	}
}

// The row checks are wired to their own label.
func TestLabelsPanelRowChecks(t *testing.T) {
	ws := labelledWorkstation(t)
	p := ws.labelsPanel
	row := p.createRow()
	p.updateRow(1, row)
	r := p.rows[row]
	if r.id.Text != "2" || !r.visible.Checked || r.locked.Checked {
		t.Fatalf("row 1 shows id %q visible %v locked %v", r.id.Text, r.visible.Checked, r.locked.Checked)
	}
	test.Tap(r.locked)
	test.Tap(r.visible)
	l, _ := ws.editor.labels.Table.Get(2)
	if !l.Locked || l.Visible {
		t.Errorf("row checks gave %+v", l)
	}
	p.updateRow(0, row) // reused for label 1: its callbacks follow
	test.Tap(r.locked)
	if l, _ := ws.editor.labels.Table.Get(1); !l.Locked {
		t.Errorf("reused row locked %+v", l)
	}
	if l, _ := ws.editor.labels.Table.Get(2); !l.Locked || l.Visible {
		t.Errorf("reused row changed label 2: %+v", l)
	}
}

// Key P makes the label under the pointer the active one.
func TestPickHoveredLabelKey(t *testing.T) {
	ws := labelledWorkstation(t)
	sv := ws.views[viewer.Axial]
	x, y := sv.Viewport().VoxelToScreen([3]int{10, 10, 5})
	scale := float64(ws.win.Canvas().Scale())
	pos := fyne.NewPos(float32(x/scale), float32(y/scale))
	sv.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: pos}})
	if ws.lastHover.Label != 1 {
		t.Fatalf("hover over the cube reports label %d (%+v)", ws.lastHover.Label, ws.lastHover)
	}
	ws.editor.label = 3
	test.TypeOnCanvas(ws.win.Canvas(), "p")
	if ws.editor.label != 1 || ws.labelsPanel.selected != 1 {
		t.Errorf("P gave active label %d, panel %d", ws.editor.label, ws.labelsPanel.selected)
	}
	// Over background, P changes nothing.
	x, y = sv.Viewport().VoxelToScreen([3]int{15, 15, 5})
	sv.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(float32(x/scale), float32(y/scale))}})
	test.TypeOnCanvas(ws.win.Canvas(), "P")
	if ws.editor.label != 1 {
		t.Errorf("P over background changed the label to %d", ws.editor.label)
	}
}
