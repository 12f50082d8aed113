package edit

import (
	"slices"
	"testing"

	"delineate/viewer"
)

func TestClosingFillsCrack(t *testing.T) {
	m := toolMap(t, [3]int{30, 30, 30}, viewer.Vec3{1, 1, 1})
	block := toolBox(5, 5, 5, 25, 25, 25)
	toolFill(m, block, 1)
	// A 1-voxel-wide slit, open to the j=5 face. A 1 mm ball closes all
	// of it but its mouth row, where the outside is 1 voxel away.
	crack := toolBox(15, 5, 10, 16, 15, 20)
	mouth := toolBox(15, 5, 10, 16, 6, 20)
	toolFill(m, crack, 0)
	slit := toolBox(10, 10, 14, 11, 20, 15) // a closed internal slit
	toolFill(m, slit, 0)
	toolFill(m, toolBox(0, 0, 0, 3, 3, 3), 2) // another label, away
	before := toolAll(m)
	c := Smooth(m, 1, Closing, 1)
	if got := toolCount(m, 1, crack); got != crack.Size()-mouth.Size() {
		t.Fatalf("crack: %d of %d filled", got, crack.Size()-mouth.Size())
	}
	if got := toolCount(m, 1, slit); got != slit.Size() {
		t.Fatalf("slit: %d of %d filled", got, slit.Size())
	}
	if got := toolCount(m, 1); got != block.Size()-mouth.Size() {
		t.Fatalf("closing of the block gave %d voxels, want %d", got, block.Size()-mouth.Size())
	}
	if toolCount(m, 2) != 27 {
		t.Fatal("other label changed")
	}
	toolUndo(t, m, before, c)
}

func TestClosingRespectsSpacing(t *testing.T) {
	// A missing slice across k, with 2.5 mm between slices: a 2 mm ball
	// cannot bridge it, a 3 mm ball can.
	for _, tc := range []struct {
		r    float64
		fill bool
	}{{2, false}, {3, true}} {
		m := toolMap(t, [3]int{20, 20, 20}, viewer.Vec3{1, 1, 2.5})
		toolFill(m, toolBox(5, 5, 5, 15, 15, 15), 1)
		gap := toolBox(5, 5, 10, 15, 15, 11)
		toolFill(m, gap, 0)
		Smooth(m, 1, Closing, tc.r)
		// The gap's rim (i or j at the block's faces) stays open: check
		// the inside.
		inner := toolBox(7, 7, 10, 13, 13, 11)
		got := toolCount(m, 1, inner)
		if tc.fill && got != inner.Size() || !tc.fill && got != 0 {
			t.Fatalf("radius %g mm: %d of %d gap voxels filled", tc.r, got, inner.Size())
		}
	}
}

func TestOpeningRemovesSpur(t *testing.T) {
	m := toolMap(t, [3]int{30, 30, 30}, viewer.Vec3{1, 1, 1})
	block := toolBox(5, 5, 5, 15, 15, 15)
	toolFill(m, block, 1)
	spur := toolBox(15, 10, 10, 19, 11, 11) // 1-voxel spur, 4 long
	toolFill(m, spur, 1)
	before := toolAll(m)
	c := Smooth(m, 1, Opening, 1.5)
	if got := toolCount(m, 1, spur); got != 0 {
		t.Fatalf("%d spur voxels left", got)
	}
	// Eroding by a 1.5 mm ball leaves 6..13 in each axis (and takes the
	// spur's root); dilating back restores faces and edges but not the 8
	// corners (√3 > 1.5).
	if got := toolCount(m, 1); got != block.Size()-8 {
		t.Fatalf("opening left %d voxels, want %d", got, block.Size()-8)
	}
	for _, p := range [][3]int{{5, 5, 5}, {14, 14, 14}, {5, 14, 5}} {
		if m.At(m.Index(p[0], p[1], p[2])) != 0 {
			t.Fatalf("corner %v kept", p)
		}
	}
	toolUndo(t, m, before, c)
}

func TestMedianRemovesSaltAndPepper(t *testing.T) {
	m := toolMap(t, [3]int{32, 32, 32}, viewer.Vec3{1, 1, 1})
	block := toolBox(8, 8, 8, 24, 24, 24)
	toolFill(m, block, 1)
	salt := [][3]int{{2, 2, 2}, {28, 3, 5}, {4, 27, 29}, {30, 30, 30}, {0, 16, 16}}
	pepper := [][3]int{{12, 12, 12}, {16, 20, 10}, {20, 14, 18}}
	for _, p := range salt {
		m.Set(m.Index(p[0], p[1], p[2]), 1)
	}
	for _, p := range pepper {
		m.Set(m.Index(p[0], p[1], p[2]), 0)
	}
	before := toolAll(m)
	c := Smooth(m, 1, Median, 1)
	for _, p := range salt {
		if m.At(m.Index(p[0], p[1], p[2])) != 0 {
			t.Fatalf("salt at %v kept", p)
		}
	}
	for _, p := range pepper {
		if m.At(m.Index(p[0], p[1], p[2])) != 1 {
			t.Fatalf("pepper at %v not filled", p)
		}
	}
	inner := toolBox(9, 9, 9, 23, 23, 23)
	if got := toolCount(m, 1, inner); got != inner.Size() {
		t.Fatalf("median ate the block: %d of %d", got, inner.Size())
	}
	// Box faces stay (18 of 27), edges and corners go (12 and 8 of 27).
	if got, want := toolCount(m, 1), block.Size()-(12*14+8); got != want {
		t.Fatalf("median left %d voxels, want %d", got, want)
	}
	toolUndo(t, m, before, c)
}

func TestSmoothKeepsOtherLabels(t *testing.T) {
	m := toolMap(t, [3]int{30, 30, 30}, viewer.Vec3{1, 1, 1})
	toolFill(m, toolBox(5, 5, 5, 25, 25, 25), 1)
	crack := toolBox(15, 5, 5, 16, 15, 25)
	toolFill(m, crack, 2)
	m.Table.Set(viewer.Label{ID: 2, Locked: true})
	before := toolAll(m)
	if c := Smooth(m, 1, Closing, 1); c != nil || !slices.Equal(before, toolAll(m)) {
		t.Fatal("closing overwrote another label")
	}
	m.Table.Set(viewer.Label{ID: 1, Locked: true})
	for _, meth := range []SmoothMethod{Median, Opening, Closing} {
		if Smooth(m, 1, meth, 2) != nil {
			t.Fatalf("%v changed a locked label", meth)
		}
	}
}

func TestEDTMatchesBruteForce(t *testing.T) {
	d := [3]int{9, 7, 5}
	sp := viewer.Vec3{0.7, 1.3, 2.1}
	mask := make([]bool, d[0]*d[1]*d[2])
	for _, x := range []int{3, 40, 111, 200, 250, 301} {
		mask[x] = true
	}
	got := sqDistanceTo(mask, d, sp, true)
	forBox(Box{Max: d}, func(i, j, k, at int) {
		best := 1e30
		forBox(Box{Max: d}, func(a, b, c, at2 int) {
			if mask[at2] {
				dx, dy, dz := float64(a-i)*sp[0], float64(b-j)*sp[1], float64(c-k)*sp[2]
				best = min(best, dx*dx+dy*dy+dz*dz)
			}
		})
		if diff := float64(got[at]) - best; diff > 1e-3 || diff < -1e-3 {
			t.Fatalf("(%d,%d,%d): %g, want %g", i, j, k, got[at], best)
		}
	})
}
