package edit

import (
	"math"
	"testing"

	"delineate/viewer"
)

// coneMap holds a disc of radius r1 on slice 0 and of r2 on slice 10
// across axis, centred in the plane.
func coneMap(t *testing.T, axis int, r1, r2 float64) (*viewer.LabelMap, func(s, p, q int) int) {
	dims := [3]int{48, 48, 48}
	dims[axis] = 11
	m := toolMap(t, dims, viewer.Vec3{1, 1, 1})
	u, v := (axis+1)%3, (axis+2)%3
	at := func(s, p, q int) int {
		var ijk [3]int
		ijk[axis], ijk[u], ijk[v] = s, p, q
		return m.Index(ijk[0], ijk[1], ijk[2])
	}
	for s, r := range map[int]float64{0: r1, 10: r2} {
		for q := 0; q < 48; q++ {
			for p := 0; p < 48; p++ {
				if math.Hypot(float64(p-24), float64(q-24)) <= r {
					m.Set(at(s, p, q), 1)
				}
			}
		}
	}
	return m, at
}

func TestInterpolateSlicesCone(t *testing.T) {
	for axis := 0; axis < 3; axis++ {
		const r1, r2 = 4.0, 16.0
		m, at := coneMap(t, axis, r1, r2)
		m.Set(at(5, 24, 24), 2) // another label on the way: kept
		before := toolAll(m)
		c := InterpolateSlices(m, 1, axis)
		for s := 1; s < 10; s++ {
			r := r1 + (r2-r1)*float64(s)/10
			for q := 0; q < 48; q++ {
				for p := 0; p < 48; p++ {
					if s == 5 && p == 24 && q == 24 {
						if m.At(at(s, p, q)) != 2 {
							t.Fatal("other label overwritten")
						}
						continue
					}
					rho := math.Hypot(float64(p-24), float64(q-24))
					got := m.At(at(s, p, q)) == 1
					if rho <= r-1 && !got || rho > r+1 && got {
						t.Fatalf("axis %d slice %d: (%d,%d) at %.2f from centre labelled %v; expected radius %.1f", axis, s, p, q, rho, got, r)
					}
				}
			}
		}
		toolUndo(t, m, before, c)
	}
}

func TestInterpolateSlicesOnlyEmptySlices(t *testing.T) {
	m, at := coneMap(t, 2, 6, 6)
	// Slice 4 already holds a small piece of the label: it is left alone,
	// and the gaps 1..3 and 5..9 are filled.
	m.Set(at(4, 24, 24), 1)
	c := InterpolateSlices(m, 1, 2)
	if c == nil {
		t.Fatal("nothing filled")
	}
	if got := toolCount(m, 1, toolBox(0, 0, 4, 48, 48, 5)); got != 1 {
		t.Fatalf("slice 4 changed: %d voxels", got)
	}
	for _, s := range []int{1, 3, 5, 9} {
		if toolCount(m, 1, toolBox(0, 0, s, 48, 48, s+1)) == 0 {
			t.Fatalf("slice %d not filled", s)
		}
	}
	// Nothing beyond the last labelled slice, and nothing for a locked label.
	m2, _ := coneMap(t, 2, 6, 6)
	m2.Table.Set(viewer.Label{ID: 1, Locked: true})
	if InterpolateSlices(m2, 1, 2) != nil {
		t.Fatal("locked label interpolated")
	}
	m3 := toolMap(t, [3]int{8, 8, 8}, viewer.Vec3{1, 1, 1})
	m3.Set(m3.Index(3, 3, 3), 1)
	if InterpolateSlices(m3, 1, 2) != nil {
		t.Fatal("single slice interpolated")
	}
}

func TestInterpolateAnisotropic(t *testing.T) {
	// Discs drawn as ellipses in voxels (spacing 0.5 × 1 mm), i.e. circles
	// in mm: the interpolated slices are circles in mm too.
	g := viewer.Geometry{Dims: [3]int{80, 40, 5}, Spacing: viewer.Vec3{0.5, 1, 3}, Direction: viewer.Identity3}
	m, err := viewer.NewLabelMap(g, 255)
	if err != nil {
		t.Fatal(err)
	}
	r := map[int]float64{0: 6, 4: 14}
	for k, rad := range r {
		for j := 0; j < 40; j++ {
			for i := 0; i < 80; i++ {
				if math.Hypot(float64(i-40)*0.5, float64(j-20)) <= rad {
					m.Set(m.Index(i, j, k), 1)
				}
			}
		}
	}
	InterpolateSlices(m, 1, 2)
	for k := 1; k < 4; k++ {
		want := 6 + 8*float64(k)/4
		for j := 0; j < 40; j++ {
			for i := 0; i < 80; i++ {
				rho := math.Hypot(float64(i-40)*0.5, float64(j-20))
				got := m.At(m.Index(i, j, k)) == 1
				if rho <= want-1 && !got || rho > want+1 && got {
					t.Fatalf("slice %d (%d,%d) at %.2f mm labelled %v, radius %.1f", k, i, j, rho, got, want)
				}
			}
		}
	}
}
