package edit

import (
	"slices"
	"testing"

	"delineate/viewer"
)

// toolMap is an empty uint8 label map of dims with the given spacing.
func toolMap(t testing.TB, dims [3]int, sp viewer.Vec3) *viewer.LabelMap {
	t.Helper()
	g := viewer.Geometry{Dims: dims, Spacing: sp, Direction: viewer.Identity3}
	m, err := viewer.NewLabelMap(g, 255)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// toolFill sets every voxel of b to label.
func toolFill(m *viewer.LabelMap, b Box, label int) {
	forBox(b.Clip(m.Dims), func(i, j, k, _ int) { m.Set(m.Index(i, j, k), label) })
}

// toolCount counts the voxels holding label (in b, or everywhere when b
// is empty).
func toolCount(m *viewer.LabelMap, label int, b ...Box) int {
	box := Box{Max: m.Dims}
	if len(b) > 0 {
		box = b[0]
	}
	n := 0
	forBox(box, func(i, j, k, _ int) {
		if m.At(m.Index(i, j, k)) == label {
			n++
		}
	})
	return n
}

func toolAll(m *viewer.LabelMap) []uint16 { return readBox(m, Box{Max: m.Dims}) }

// toolUndo pushes c into a History and checks that Undo restores before
// bit for bit and Redo restores the edited map.
func toolUndo(t *testing.T, m *viewer.LabelMap, before []uint16, c *Change) {
	t.Helper()
	if c == nil {
		t.Fatal("no change to undo")
	}
	after := toolAll(m)
	var h History
	h.Push(c)
	if _, ok := h.Undo(m); !ok {
		t.Fatal("undo refused")
	}
	if !slices.Equal(toolAll(m), before) {
		t.Fatal("undo did not restore the map")
	}
	h.Redo(m)
	if !slices.Equal(toolAll(m), after) {
		t.Fatal("redo did not restore the edit")
	}
}

func toolBox(i0, j0, k0, i1, j1, k1 int) Box {
	return Box{Min: [3]int{i0, j0, k0}, Max: [3]int{i1, j1, k1}}
}

// toolBlobs puts label 1 blobs of 64, 27 and 8 voxels and a label 2
// block (8 voxels) in a 20³ map.
func toolBlobs(t *testing.T) *viewer.LabelMap {
	m := toolMap(t, [3]int{20, 20, 20}, viewer.Vec3{1, 1, 1})
	toolFill(m, toolBox(1, 1, 1, 4, 4, 4), 1)       // 27
	toolFill(m, toolBox(10, 10, 10, 14, 14, 14), 1) // 64
	toolFill(m, toolBox(16, 1, 16, 18, 3, 18), 1)   // 8
	toolFill(m, toolBox(5, 5, 5, 7, 7, 7), 2)       // another label
	return m
}

func TestKeepLargestIsland(t *testing.T) {
	m := toolBlobs(t)
	before := toolAll(m)
	c := KeepLargestIsland(m, 1)
	if got := toolCount(m, 1); got != 64 {
		t.Fatalf("kept %d voxels, want 64", got)
	}
	if got := toolCount(m, 1, toolBox(10, 10, 10, 14, 14, 14)); got != 64 {
		t.Fatalf("the largest blob lost voxels: %d", got)
	}
	if toolCount(m, 2) != 8 {
		t.Fatal("other label changed")
	}
	toolUndo(t, m, before, c)
	if KeepLargestIsland(m, 1) != nil {
		t.Fatal("second run changed something")
	}
}

func TestRemoveSmallIslands(t *testing.T) {
	for _, tc := range []struct{ min, want int }{{8, 99}, {9, 91}, {27, 91}, {28, 64}, {65, 0}} {
		m := toolBlobs(t)
		before := toolAll(m)
		c := RemoveSmallIslands(m, 1, tc.min)
		if got := toolCount(m, 1); got != tc.want {
			t.Fatalf("min %d: %d voxels left, want %d", tc.min, got, tc.want)
		}
		if toolCount(m, 2) != 8 {
			t.Fatal("other label changed")
		}
		if tc.want == 99 {
			if c != nil {
				t.Fatal("change with nothing removed")
			}
			continue
		}
		toolUndo(t, m, before, c)
	}
}

func TestSplitIslands(t *testing.T) {
	m := toolBlobs(t)
	before := toolAll(m)
	c, n, err := SplitIslands(m, 1, 10)
	if err != nil || n != 3 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	for id, want := range map[int]int{1: 0, 10: 64, 11: 27, 12: 8, 2: 8} {
		if got := toolCount(m, id); got != want {
			t.Errorf("label %d: %d voxels, want %d", id, got, want)
		}
	}
	if toolCount(m, 10, toolBox(10, 10, 10, 14, 14, 14)) != 64 {
		t.Error("largest blob not label 10")
	}
	toolUndo(t, m, before, c)

	// The largest may keep the label's own id.
	m = toolBlobs(t)
	toolFill(m, toolBox(5, 5, 5, 7, 7, 7), 0) // free id 2
	if _, n, err := SplitIslands(m, 1, 1); err != nil || n != 3 || toolCount(m, 1) != 64 || toolCount(m, 2) != 27 || toolCount(m, 3) != 8 {
		t.Fatalf("split onto own id: n=%d err=%v", n, err)
	}
	// Ids in use are refused: 1,2,3 would take label 2.
	m = toolBlobs(t)
	if _, _, err := SplitIslands(m, 1, 2); err == nil {
		t.Fatal("split onto a used id accepted")
	}
	// Ids beyond 255 widen the map.
	m = toolBlobs(t)
	before = toolAll(m)
	c, n, err = SplitIslands(m, 1, 254)
	if err != nil || n != 3 || toolCount(m, 256) != 8 || toolCount(m, 254) != 64 {
		t.Fatalf("widened split: n=%d err=%v", n, err)
	}
	toolUndo(t, m, before, c)
	// Locked labels are refused.
	m = toolBlobs(t)
	m.Table.Set(viewer.Label{ID: 1, Locked: true})
	if _, _, err := SplitIslands(m, 1, 10); err == nil {
		t.Fatal("locked label split")
	}
}

func TestIslandsLocked(t *testing.T) {
	m := toolBlobs(t)
	m.Table.Set(viewer.Label{ID: 1, Locked: true})
	before := toolAll(m)
	if KeepLargestIsland(m, 1) != nil || RemoveSmallIslands(m, 1, 100) != nil || FillHoles(m, 1, true, 0) != nil {
		t.Fatal("locked label edited")
	}
	if !slices.Equal(before, toolAll(m)) {
		t.Fatal("map changed")
	}
}

// shell draws a hollow box: b filled with label, its inside (one voxel in)
// cleared.
func toolShell(m *viewer.LabelMap, b Box, label int) {
	toolFill(m, b, label)
	toolFill(m, toolBox(b.Min[0]+1, b.Min[1]+1, b.Min[2]+1, b.Max[0]-1, b.Max[1]-1, b.Max[2]-1), 0)
}

func TestFillHoles3D(t *testing.T) {
	m := toolMap(t, [3]int{30, 20, 20}, viewer.Vec3{1, 1, 1})
	toolShell(m, toolBox(2, 2, 2, 8, 8, 8), 1)   // cavity 4³ = 64
	toolShell(m, toolBox(12, 2, 2, 18, 8, 8), 1) // cavity 64, opened below
	m.Set(m.Index(14, 2, 4), 0)                  // hole in the j=2 wall (the bbox's face)
	m.Set(m.Index(4, 4, 4), 3)                   // a nested label in the closed cavity
	m.Table.Set(viewer.Label{ID: 5, Locked: true})
	m.Set(m.Index(5, 5, 5), 5) // a locked one too
	before := toolAll(m)
	c := FillHoles(m, 1, true, 0)
	if got := toolCount(m, 1, toolBox(3, 3, 3, 7, 7, 7)); got != 62 {
		t.Fatalf("closed cavity: %d filled, want 62", got)
	}
	if got := toolCount(m, 1, toolBox(13, 3, 3, 17, 7, 7)); got != 0 {
		t.Fatalf("open cavity: %d filled, want 0", got)
	}
	if m.At(m.Index(4, 4, 4)) != 3 || m.At(m.Index(5, 5, 5)) != 5 {
		t.Fatal("nested labels overwritten")
	}
	toolUndo(t, m, before, c)
}

func TestFillHoles2D(t *testing.T) {
	// A square tube along k, open at both ends: its lumen (4×4 per slice)
	// is a hole in every k slice but not in 3D nor across i.
	m := toolMap(t, [3]int{12, 12, 10}, viewer.Vec3{1, 1, 1})
	toolFill(m, toolBox(2, 2, 1, 8, 8, 9), 1)
	toolFill(m, toolBox(3, 3, 1, 7, 7, 9), 0)
	lumen := toolBox(3, 3, 1, 7, 7, 9)
	before := toolAll(m)
	if FillHoles(m, 1, true, 0) != nil {
		t.Fatal("3D fill filled an open tube")
	}
	if FillHoles(m, 1, false, 0) != nil {
		t.Fatal("2D fill across i filled the lumen")
	}
	c := FillHoles(m, 1, false, 2)
	if got := toolCount(m, 1, lumen); got != 16*8 {
		t.Fatalf("2D fill across k: %d filled, want %d", got, 16*8)
	}
	if got := toolCount(m, 1); got != 6*6*8 {
		t.Fatalf("label has %d voxels, want %d", got, 6*6*8)
	}
	toolUndo(t, m, before, c)
}

func TestLabelledBox(t *testing.T) {
	g := viewer.Geometry{Dims: [3]int{20, 20, 10}, Spacing: viewer.Vec3{1, 1, 1}, Direction: viewer.Identity3}
	m, _ := viewer.NewLabelMap(g, 255)
	if b := LabelledBox(m, 3); !b.Empty() {
		t.Errorf("empty map gave box %+v", b)
	}
	m.Set(g.Index(5, 6, 2), 1)
	m.Set(g.Index(8, 7, 4), 3)
	want := Box{Min: [3]int{2, 3, 0}, Max: [3]int{12, 11, 8}}
	if b := LabelledBox(m, 3); b != want {
		t.Errorf("box %+v, want %+v", b, want)
	}
}
