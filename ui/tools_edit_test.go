package ui

import (
	"slices"
	"strconv"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer"
)

// editSetup opens ctVolume in a single axial view, laid out, with an empty
// label map; it returns the view and the slice k it shows.
func editSetup(t *testing.T) (*Workstation, *SliceView, int) {
	t.Helper()
	ws := newTestWorkstation(t)
	if err := ws.SetVolume(ctVolume(t), nil, "test CT"); err != nil {
		t.Fatal(err)
	}
	ws.setSinglePlane(viewer.Axial)
	ws.win.Canvas().Capture()
	if !ws.editor.ensureLabels() {
		t.Fatal("no label map")
	}
	return ws, ws.views[viewer.Axial], ws.scene.Cursor[2]
}

// voxelPos is where voxel idx (on the shown slice) lies in sv, in Fyne units.
func voxelPos(sv *SliceView, idx [3]int) fyne.Position {
	x, y := sv.Viewport().VoxelToScreen(idx)
	sx, sy := sv.pixelScale()
	return fyne.NewPos(float32(x/sx), float32(y/sy))
}

func labelData(lm *viewer.LabelMap) []int {
	out := make([]int, lm.Data.Len())
	for i := range out {
		out[i] = lm.At(i)
	}
	return out
}

// findButton finds a label-operation button by its text.
func findButton(t *testing.T, e *editor, text string) *widget.Button {
	t.Helper()
	for _, d := range e.disableable {
		if b, ok := d.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}

// checkUndo undoes once and wants the labels back to before.
func checkUndo(t *testing.T, e *editor, before []int, what string) {
	t.Helper()
	e.undo()
	if !slices.Equal(labelData(e.labels), before) {
		t.Errorf("undo of %s did not restore the labels", what)
	}
}

// Fill (F) fills exactly the bright 3×3 block: one slice in 2D, all 12 in
// 3D; undo clears each.
func TestFillTool2D3D(t *testing.T) {
	ws, sv, k := editSetup(t)
	e := ws.editor
	test.TypeOnCanvas(ws.win.Canvas(), "f")
	if e.mode != modeFill {
		t.Fatalf("key f: mode %v", e.mode)
	}
	before := labelData(e.labels)
	click(sv, voxelPos(sv, [3]int{10, 10, k}))
	if n := countLabel(e.labels, 1); n != 9 {
		t.Errorf("2D fill: %d voxels, want 9", n)
	}
	for j := 9; j < 12; j++ {
		for i := 9; i < 12; i++ {
			if e.labels.At(e.labels.Index(i, j, k)) != 1 {
				t.Errorf("voxel %d,%d,%d not filled", i, j, k)
			}
		}
	}
	checkUndo(t, e, before, "2D fill")
	e.sphereChk.SetChecked(true)
	click(sv, voxelPos(sv, [3]int{10, 10, k}))
	if n := countLabel(e.labels, 1); n != 9*12 {
		t.Errorf("3D fill: %d voxels, want %d", n, 9*12)
	}
	checkUndo(t, e, before, "3D fill")
	// Tolerance 1000 from the block reaches the 40 HU body too (16×12 per slice).
	e.sphereChk.SetChecked(false)
	e.tolEntry.SetText("1000")
	click(sv, voxelPos(sv, [3]int{10, 10, k}))
	if n := countLabel(e.labels, 1); n != 16*12 {
		t.Errorf("tolerance 1000 fill: %d voxels, want %d", n, 16*12)
	}
}

// The overwrite policy: "empty only" keeps label 1 from a fill of label 2,
// "only label(s)" with 1 lets it through.
func TestOverwritePolicy(t *testing.T) {
	ws, sv, k := editSetup(t)
	e := ws.editor
	e.setMode(modeFill)
	at := voxelPos(sv, [3]int{10, 10, k})
	click(sv, at)
	e.label = 2
	e.policySel.SetSelected(policyNames[1])
	click(sv, at)
	if n := countLabel(e.labels, 2); n != 0 {
		t.Errorf("empty-only fill overwrote %d voxels", n)
	}
	e.policySel.SetSelected(policyNames[2])
	if e.onlyEntry.Hidden {
		t.Error("ids entry hidden for only label(s)")
	}
	e.onlyEntry.SetText("3, 4")
	click(sv, at)
	if n := countLabel(e.labels, 2); n != 0 {
		t.Errorf("only-3,4 fill overwrote %d voxels of label 1", n)
	}
	e.onlyEntry.SetText("1")
	click(sv, at)
	if n := countLabel(e.labels, 2); n != 9 {
		t.Errorf("only-1 fill: %d voxels of 2, want 9", n)
	}
}

// A threshold-limited brush paints only voxels in [600, 800]; Sample (T)
// fills the range from a click and restores the tool.
func TestThresholdBrushAndSample(t *testing.T) {
	ws, sv, k := editSetup(t)
	e := ws.editor
	e.setMode(modeBrush)
	e.radius.SetValue(5)
	e.thrChk.SetChecked(true)
	e.loEntry.SetText("600")
	e.hiEntry.SetText("800")
	before := labelData(e.labels)
	click(sv, voxelPos(sv, [3]int{10, 10, k}))
	if n := countLabel(e.labels, 1); n != 9 {
		t.Errorf("threshold brush painted %d voxels, want 9", n)
	}
	img := ws.scene.Volume
	for i := 0; i < e.labels.Data.Len(); i++ {
		if e.labels.At(i) == 1 && (img.Data.At(i) < 600 || img.Data.At(i) > 800) {
			t.Fatalf("painted voxel %d of %g HU", i, img.Data.At(i))
		}
	}
	checkUndo(t, e, before, "threshold brush")

	e.thrChk.SetChecked(false)
	e.loEntry.SetText("")
	test.TypeOnCanvas(ws.win.Canvas(), "t")
	if _, ok := sv.Tool.(*sampleTool); !ok {
		t.Fatalf("key t: tool %T", sv.Tool)
	}
	click(sv, voxelPos(sv, [3]int{10, 10, k}))
	if _, ok := sv.Tool.(*brushTool); !ok {
		t.Errorf("after sampling: tool %T", sv.Tool)
	}
	lo, err1 := strconv.ParseFloat(e.loEntry.Text, 64)
	hi, err2 := strconv.ParseFloat(e.hiEntry.Text, 64)
	if err1 != nil || err2 != nil || !e.thrChk.Checked || lo > 40 || hi < 700 {
		t.Errorf("sampled %q..%q (check %v), want a range over 40..700", e.loEntry.Text, e.hiEntry.Text, e.thrChk.Checked)
	}
	if n := countLabel(e.labels, 1); n != 0 {
		t.Errorf("sampling click painted %d voxels", n)
	}
}

// paint sets label id on the box [i0,i1)×[j0,j1)×[k0,k1).
func paint(lm *viewer.LabelMap, id, i0, i1, j0, j1, k0, k1 int) {
	for k := k0; k < k1; k++ {
		for j := j0; j < j1; j++ {
			for i := i0; i < i1; i++ {
				lm.Set(lm.Index(i, j, k), id)
			}
		}
	}
}

// The label-operation buttons, each with exact results and exact undo.
func TestLabelOperationButtons(t *testing.T) {
	ws, _, k := editSetup(t)
	e := ws.editor
	lm := e.labels
	paint(lm, 1, 2, 5, 2, 5, k, k+1) // 9 voxels
	paint(lm, 1, 15, 16, 15, 16, k, k+1)
	before := labelData(lm)
	// Label operations run in the background: wait for each to land.
	settle := func() { waitFor(t, "the operation", func() bool { return !e.busy.Load() }) }

	test.Tap(findButton(t, e, "Keep largest"))
	settle()
	if n := countLabel(lm, 1); n != 9 {
		t.Errorf("keep largest: %d voxels, want 9", n)
	}
	checkUndo(t, e, before, "keep largest")

	e.minIsland.SetText("5")
	test.Tap(findButton(t, e, "Remove islands <"))
	settle()
	if n := countLabel(lm, 1); n != 9 {
		t.Errorf("remove islands < 5: %d voxels, want 9", n)
	}
	checkUndo(t, e, before, "remove islands")

	test.Tap(findButton(t, e, "Split islands"))
	if n1, n2 := countLabel(lm, 1), countLabel(lm, 2); n1 != 9 || n2 != 1 {
		t.Errorf("split: %d of 1, %d of 2; want 9 and 1", n1, n2)
	}
	checkUndo(t, e, before, "split")

	// A ring with a hole: fill holes gives the full 3×3.
	lm.Set(lm.Index(3, 3, k), 0)
	ring := labelData(lm)
	test.Tap(findButton(t, e, "Fill holes (3D per check)"))
	settle()
	if lm.At(lm.Index(3, 3, k)) != 1 {
		t.Error("fill holes left the hole")
	}
	checkUndo(t, e, ring, "fill holes")
	lm.Set(lm.Index(3, 3, k), 1)

	// Median smoothing removes the lone voxel.
	e.smoothMM.SetText("1")
	test.Tap(findButton(t, e, "Smooth"))
	settle()
	if lm.At(lm.Index(15, 15, k)) != 0 {
		t.Error("median smoothing kept a lone voxel")
	}
	checkUndo(t, e, before, "smooth")

	// Interpolation (I) along the axial normal: two 3×3 squares two slices
	// apart give the slice between.
	paint(lm, 0, 0, 24, 0, 20, 0, 12)
	paint(lm, 1, 2, 5, 2, 5, 2, 3)
	paint(lm, 1, 2, 5, 2, 5, 4, 5)
	two := labelData(lm)
	test.TypeOnCanvas(ws.win.Canvas(), "i")
	settle()
	if n := countLabel(lm, 1); n != 27 {
		t.Errorf("interpolate: %d voxels, want 27", n)
	}
	checkUndo(t, e, two, "interpolate")
}

// Grow from seeds (G) runs in the background with the editor disabled, then
// lands as one undo step.
func TestGrowFromSeedsBackground(t *testing.T) {
	ws, sv, k := editSetup(t)
	e := ws.editor
	lm := e.labels
	lm.Set(lm.Index(10, 10, k), 1) // the bright block
	lm.Set(lm.Index(1, 1, k), 2)   // air
	lm.Set(lm.Index(6, 6, k), 3)   // body
	before := labelData(lm)
	e.growROI.SetChecked(false)
	test.TypeOnCanvas(ws.win.Canvas(), "g")
	waitFor(t, "grow to finish", func() bool { return !e.busy.Load() })
	if n := countLabel(lm, 1); n != 9*12 {
		t.Errorf("grow: block label has %d voxels, want %d", n, 9*12)
	}
	if n := countLabel(lm, 0); n != 0 {
		t.Errorf("grow left %d voxels unlabelled", n)
	}
	if u, _ := e.history.Steps(); u != 1 {
		t.Errorf("%d undo steps, want 1", u)
	}
	checkUndo(t, e, before, "grow")

	// Limited to the labels' box + 10: i 1..10 → 0..20, so i 21..23 stay 0.
	e.growROI.SetChecked(true)
	findButton(t, e, "Grow from seeds (G)").OnTapped()
	waitFor(t, "grow in the box to finish", func() bool { return !e.busy.Load() })
	if n := countLabel(lm, 0); n != 3*20*12 {
		t.Errorf("grow in box left %d voxels unlabelled, want %d", n, 3*20*12)
	}
	checkUndo(t, e, before, "grow in box")

	// While busy, nothing edits the labels.
	e.setBusy(true, "Growing…")
	if !findButton(t, e, "Keep largest").Disabled() {
		t.Error("buttons enabled while busy")
	}
	e.setMode(modeBrush)
	click(sv, voxelPos(sv, [3]int{10, 10, k}))
	e.keepLargest()
	if !slices.Equal(labelData(lm), before) {
		t.Error("labels edited while busy")
	}
	e.setBusy(false, "")
}
