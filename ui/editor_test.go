package ui

import (
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"delineate/viewer"
)

func countLabel(lm *viewer.LabelMap, id int) int {
	n := 0
	for i := 0; i < lm.Data.Len(); i++ {
		if lm.At(i) == id {
			n++
		}
	}
	return n
}

// click sends a left press and release at p without movement.
func click(sv *SliceView, p fyne.Position) {
	ev := &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}, Button: desktop.MouseButtonPrimary}
	sv.MouseDown(ev)
	sv.MouseUp(ev)
}

// A brush click on an image without labels creates a label map and paints
// a dab; a drag paints a stroke; undo and redo step through both exactly.
func TestBrushPaintUndoRedo(t *testing.T) {
	ws := newTestWorkstation(t)
	if err := ws.SetVolume(ctVolume(t), nil, "test CT"); err != nil {
		t.Fatal(err)
	}
	ws.setSinglePlane(viewer.Axial)
	sv := ws.views[viewer.Axial]
	test.TypeOnCanvas(ws.win.Canvas(), "b")
	if ws.editor.mode != modeBrush {
		t.Fatalf("key b: mode %v", ws.editor.mode)
	}
	ws.editor.radius.SetValue(2)
	ws.win.Canvas().Capture() // lays out and renders once, as showing would
	size := sv.Size()
	if size.Width < 10 {
		t.Fatalf("view size %v", size)
	}
	centre := fyne.NewPos(size.Width/2, size.Height/2)
	click(sv, centre)
	lm := ws.editor.labels
	if lm == nil {
		t.Fatal("no label map after a brush click")
	}
	dab := countLabel(lm, 1)
	// A 2 mm disc on a 1 mm grid: the digital disc |d| ≤ 2 has 13 voxels.
	if dab != 13 {
		t.Errorf("dab painted %d voxels, want 13", dab)
	}
	ws.scene.Cursor = [3]int{0, 0, 0}
	sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: centre}, Dragged: fyne.Delta{DX: size.Width / 5}})
	sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: centre}, Dragged: fyne.Delta{DY: size.Height / 5}})
	sv.DragEnd()
	stroke := countLabel(lm, 1)
	if stroke <= dab+10 {
		t.Fatalf("stroke painted %d voxels in all, dab alone %d", stroke, dab)
	}
	if u, _ := ws.editor.history.Steps(); u != 2 {
		t.Errorf("%d undo steps, want 2 (dab, stroke)", u)
	}
	test.TypeOnCanvas(ws.win.Canvas(), "e") // tools change, history stays
	ws.editor.undo()
	if n := countLabel(lm, 1); n != dab {
		t.Errorf("undo stroke left %d voxels, want %d", n, dab)
	}
	ws.editor.undo()
	if n := countLabel(lm, 1); n != 0 {
		t.Errorf("undo dab left %d voxels", n)
	}
	ws.editor.redo()
	ws.editor.redo()
	if n := countLabel(lm, 1); n != stroke {
		t.Errorf("redo gave %d voxels, want %d", n, stroke)
	}
	// The eraser removes label under a click.
	click(sv, centre)
	if n := countLabel(lm, 1); n != stroke-dab {
		t.Errorf("eraser click left %d voxels, want %d", n, stroke-dab)
	}
}

// W/L stays the default tool: a click moves the crosshair, not paint.
func TestWindowToolDoesNotPaint(t *testing.T) {
	ws := newTestWorkstation(t)
	if err := ws.SetVolume(ctVolume(t), nil, "test CT"); err != nil {
		t.Fatal(err)
	}
	ws.setSinglePlane(viewer.Axial)
	sv := ws.views[viewer.Axial]
	ws.win.Canvas().Capture()
	click(sv, fyne.NewPos(sv.Size().Width/2, sv.Size().Height/2))
	if ws.editor.labels != nil {
		t.Error("a window-tool click created labels")
	}
}

// Label names from a JSON map reach the label list and the colours.
func TestOpenLabelNames(t *testing.T) {
	ws := newTestWorkstation(t)
	vol := ctVolume(t)
	lab, _ := viewer.NewVolume(vol.Geometry, viewer.Uint8)
	if err := ws.SetVolume(vol, lab, "x"); err != nil {
		t.Fatal(err)
	}
	names := t.TempDir() + "/names.json"
	if err := os.WriteFile(names, []byte(`{"1": "spleen", "2": "kidney_right"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ws.openLabelNames(names)
	waitFor(t, "the names", func() bool { return len(ws.editor.labels.Table.Labels) == 2 })
	if got := ws.editor.labelSel.Options[0]; got != "1  spleen" {
		t.Errorf("first label option %q", got)
	}
	if ws.scene.Colours == nil {
		t.Error("scene colours not taken from the table")
	}
}
