package edit

import (
	"testing"

	"delineate/viewer"
)

// compartments is a 21×12×8 image: a 1-voxel wall of 1000 at i = 10 splits
// two compartments of 100, with a few probe voxels at the tolerance
// boundary (±10) and just past it in the left one.
func compartments(t *testing.T) (*viewer.Volume, map[[3]int]bool) {
	probes := map[[3]int]int16{
		{2, 3, 4}: 110, {4, 4, 4}: 90, // inside ±10
		{6, 5, 4}: 111, {3, 8, 4}: 89, // outside
		{5, 5, 2}: 111, {5, 6, 6}: 110,
	}
	img := newTestImage(t, [3]int{21, 12, 8}, viewer.Vec3{0.8, 0.8, 2}, func(i, j, k int) int16 {
		if i == 10 {
			return 1000
		}
		if v, ok := probes[[3]int{i, j, k}]; ok {
			return v
		}
		return 100
	})
	out := map[[3]int]bool{}
	for p, v := range probes {
		out[p] = v < 90 || v > 110
	}
	return img, out
}

func TestFloodFill3DStaysInCompartment(t *testing.T) {
	img, excluded := compartments(t)
	m := newTestMap(t, img.Dims, img.Spacing, 255)
	before := labelsOf(m)
	c := FloodFill(m, img, [3]int{3, 3, 3}, 4, 10, true, 2, Policy{})
	for k := 0; k < 8; k++ {
		for j := 0; j < 12; j++ {
			for i := 0; i < 21; i++ {
				want := i < 10 && !excluded[[3]int{i, j, k}]
				if got := m.At(m.Index(i, j, k)) == 4; got != want {
					t.Fatalf("voxel %d,%d,%d filled=%v want %v", i, j, k, got, want)
				}
			}
		}
	}
	if c.Box != (Box{Max: [3]int{10, 12, 8}}) {
		t.Fatalf("box %v", c.Box)
	}
	checkUndoRedo(t, m, before, c)
	// The other compartment, seeded there.
	FloodFill(m, img, [3]int{15, 3, 3}, 5, 10, true, 2, Policy{})
	if n, b := countLabel(m, 5); n != 10*12*8 || b != (Box{Min: [3]int{11, 0, 0}, Max: [3]int{21, 12, 8}}) {
		t.Fatalf("right compartment: %d voxels in %v", n, b)
	}
}

func TestFloodFill2DStaysInSlice(t *testing.T) {
	img, excluded := compartments(t)
	for axis := 0; axis < 3; axis++ {
		m := newTestMap(t, img.Dims, img.Spacing, 255)
		seed := [3]int{5, 5, 4}
		before := labelsOf(m)
		c := FloodFill(m, img, seed, 4, 10, false, axis, Policy{})
		for k := 0; k < 8; k++ {
			for j := 0; j < 12; j++ {
				for i := 0; i < 21; i++ {
					p := [3]int{i, j, k}
					want := i < 10 && !excluded[p] && p[axis] == seed[axis]
					if got := m.At(m.Index(i, j, k)) == 4; got != want {
						t.Fatalf("axis %d: voxel %v filled=%v want %v", axis, p, got, want)
					}
				}
			}
		}
		checkUndoRedo(t, m, before, c)
	}
}

func TestFloodFillTolerance(t *testing.T) {
	img, _ := compartments(t)
	m := newTestMap(t, img.Dims, img.Spacing, 255)
	// Seeded on the 110 probe with tolerance 1: only 110 and 111 voxels
	// qualify, and none touches it.
	c := FloodFill(m, img, [3]int{2, 3, 4}, 1, 1, true, 0, Policy{})
	if n, _ := countLabel(m, 1); n != 1 || c.Box.Size() != 1 {
		t.Fatalf("%d voxels filled", n)
	}
	// Tolerance 900 from 100 reaches exactly 1000: the wall joins (and the
	// label-1 voxel is overwritten).
	FloodFill(m, img, [3]int{0, 0, 0}, 2, 900, true, 0, Policy{})
	if n, _ := countLabel(m, 2); n != 21*12*8 {
		t.Fatalf("tolerance 900: %d voxels", n)
	}
	m = newTestMap(t, img.Dims, img.Spacing, 255)
	FloodFill(m, img, [3]int{0, 0, 0}, 2, 899.5, true, 0, Policy{})
	if n, _ := countLabel(m, 2); n != 10*12*8 {
		t.Fatalf("tolerance 899.5: %d voxels", n)
	}
}

func TestFloodFillPolicy(t *testing.T) {
	img, _ := compartments(t)
	m := newTestMap(t, img.Dims, img.Spacing, 255)
	// A plane of label 2 at k = 4 in the left compartment; label 3 at k = 2.
	for j := 0; j < 12; j++ {
		for i := 0; i < 10; i++ {
			m.Set(m.Index(i, j, 4), 2)
			m.Set(m.Index(i, j, 2), 3)
		}
	}
	before := labelsOf(m)
	// Empty-only: label 2 walls the fill at k = 4, label 3 at k = 2.
	c := FloodFill(m, img, [3]int{3, 3, 3}, 1, 10, true, 0, Policy{Overwrite: OverwriteEmptyOnly})
	if n, b := countLabel(m, 1); n != 10*12 || b != (Box{Min: [3]int{0, 0, 3}, Max: [3]int{10, 12, 4}}) {
		t.Fatalf("empty only: %d voxels in %v", n, b)
	}
	checkUndoRedo(t, m, before, c)
	var h History
	h.Push(c)
	h.Undo(m)
	// Locked 3 with everything allowed: the fill crosses 2, not 3.
	m.Table.Set(viewer.Label{ID: 3, Locked: true})
	FloodFill(m, img, [3]int{3, 3, 3}, 1, 10, true, 0, Policy{})
	if n, b := countLabel(m, 1); n != 10*12*5-2 || b != (Box{Min: [3]int{0, 0, 3}, Max: [3]int{10, 12, 8}}) {
		t.Fatalf("locked 3: %d voxels in %v", n, b)
	}
	if n, _ := countLabel(m, 3); n != 120 {
		t.Fatalf("locked label changed: %d left", n)
	}
	// Voxels already holding the label connect the region, and a refill
	// that changes nothing reports nil.
	if FloodFill(m, img, [3]int{3, 3, 7}, 1, 10, true, 0, Policy{Overwrite: OverwriteEmptyOnly}) != nil {
		t.Fatal("refill reported a change")
	}
	// Threshold narrows the tolerance range.
	m2 := newTestMap(t, img.Dims, img.Spacing, 255)
	FloodFill(m2, img, [3]int{0, 0, 0}, 1, 10, true, 0, Policy{Threshold: &Range{Lo: 95, Hi: 105}})
	if n, _ := countLabel(m2, 1); n != 10*12*8-6 {
		t.Fatalf("threshold: %d voxels", n)
	}
	// Seed outside the threshold, outside the grid, or no image: nothing.
	if FloodFill(m2, img, [3]int{10, 0, 0}, 1, 10, true, 0, Policy{Threshold: &Range{Lo: 95, Hi: 105}}) != nil ||
		FloodFill(m2, img, [3]int{-1, 0, 0}, 1, 10, true, 0, Policy{}) != nil ||
		FloodFill(m2, nil, [3]int{0, 0, 0}, 1, 10, true, 0, Policy{}) != nil {
		t.Fatal("fill that should do nothing changed something")
	}
}

func TestFloodFillUint16AndFloatImage(t *testing.T) {
	g := testGeom([3]int{30, 30, 30}, viewer.Vec3{1, 1, 1})
	img, _ := viewer.NewVolume(g, viewer.Float32)
	d := img.Data.(viewer.Voxels[float32])
	for k := 0; k < 30; k++ {
		for j := 0; j < 30; j++ {
			for i := 0; i < 30; i++ {
				x, y, z := i-15, j-15, k-15
				if x*x+y*y+z*z <= 100 {
					d[img.Index(i, j, k)] = 0.5
				}
			}
		}
	}
	m := newTestMap(t, g.Dims, g.Spacing, 1000)
	before := labelsOf(m)
	c := FloodFill(m, img, [3]int{15, 15, 15}, 999, 0.1, true, 0, Policy{})
	want := 0
	for i := range d {
		if d[i] == 0.5 {
			want++
		}
	}
	if n, _ := countLabel(m, 999); n != want {
		t.Fatalf("%d voxels, want %d", n, want)
	}
	checkUndoRedo(t, m, before, c)
}
