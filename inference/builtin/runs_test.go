package builtin

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"delineate/viewer"
	"delineate/viewer/edit"
)

// randomMask is a blobby random mask: noise thresholded after a box blur,
// so it has components of every size, holes and thin bridges.
func randomMask(rng *rand.Rand, d [3]int, fill float64) []bool {
	n := d[0] * d[1] * d[2]
	f := make([]float64, n)
	for i := range f {
		f[i] = rng.Float64()
	}
	m := make([]bool, n)
	g := viewer.Geometry{Dims: d}
	for k := 0; k < d[2]; k++ {
		for j := 0; j < d[1]; j++ {
			for i := 0; i < d[0]; i++ {
				var s float64
				var c int
				for dk := -1; dk <= 1; dk++ {
					for dj := -1; dj <= 1; dj++ {
						for di := -1; di <= 1; di++ {
							ii, jj, kk := i+di, j+dj, k+dk
							if ii >= 0 && jj >= 0 && kk >= 0 && ii < d[0] && jj < d[1] && kk < d[2] {
								s += f[g.Index(ii, jj, kk)]
								c++
							}
						}
					}
				}
				m[g.Index(i, j, k)] = s/float64(c) > 1-fill
			}
		}
	}
	return m
}

func maskMap(tb testing.TB, d [3]int, m []bool) *viewer.LabelMap {
	tb.Helper()
	lm, err := viewer.NewLabelMap(viewer.Geometry{Dims: d, Spacing: viewer.Vec3{1, 1, 1}, Direction: viewer.Identity3}, 255)
	if err != nil {
		tb.Fatal(err)
	}
	for i, v := range m {
		if v {
			lm.Set(i, 1)
		}
	}
	return lm
}

// TestConnectMatchesEdit checks the run-length components against
// edit.SplitIslands, the editor's voxel-by-voxel flood fill: the same
// number of islands with the same sizes.
func TestConnectMatchesEdit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := newPool(3, 1, nil)
	for trial := 0; trial < 12; trial++ {
		d := [3]int{1 + rng.IntN(40), 1 + rng.IntN(30), 1 + rng.IntN(20)}
		m := randomMask(rng, d, 0.3+0.4*rng.Float64())
		rs, err := buildRuns(context.Background(), p, "", 0, 0, d, func(i int) bool { return m[i] })
		if err != nil {
			t.Fatal(err)
		}
		c, err := connect(context.Background(), p, "", 0, 0, rs)
		if err != nil {
			t.Fatal(err)
		}
		// Every voxel of a run is in the mask, and every mask voxel in a run.
		var inRuns int64
		for _, s := range c.size {
			inRuns += s
		}
		var inMask int64
		for _, v := range m {
			if v {
				inMask++
			}
		}
		if inRuns != inMask {
			t.Fatalf("%v: runs hold %d voxels, mask %d", d, inRuns, inMask)
		}
		lm := maskMap(t, d, m)
		_, n, err := edit.SplitIslands(lm, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int64, n)
		for i := 0; i < lm.Data.Len(); i++ {
			if id := lm.At(i); id > 0 {
				want[id-1]++
			}
		}
		got := slices.Clone(c.size)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%v: sizes %v, edit finds %v", d, got, want)
		}
		// Numbered in the order first met: component 0 holds the first
		// mask voxel.
		if len(c.comp) > 0 && c.comp[0] != 0 {
			t.Errorf("first run is in component %d", c.comp[0])
		}
	}
}

// TestHolesMatchEdit checks the plane hole filling against edit.FillHoles
// on single slices.
func TestHolesMatchEdit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 30; trial++ {
		d := [3]int{1 + rng.IntN(60), 1 + rng.IntN(60), 1}
		m := randomMask(rng, d, 0.4+0.3*rng.Float64())
		w := newPool(1, d[0]*d[1], nil).workers[0]
		mm := make([]uint8, len(m))
		for i, v := range m {
			mm[i] = b2u(v)
		}
		holes2D(mm, d[0], d[1], w)
		got := slices.Clone(mm)
		for i, h := range w.lab[:len(m)] {
			if h >= 0 && !w.open[h] {
				got[i] = 1
			}
		}
		lm := maskMap(t, d, m)
		edit.FillHoles(lm, 1, false, 2)
		for i := range got {
			if int(got[i]) != lm.At(i) {
				t.Fatalf("%v: pixel %d: %d, edit.FillHoles says %d", d, i, got[i], lm.At(i))
			}
		}
	}
}

// TestMorphologyMatchesBruteForce checks erosion and dilation by a disc
// against the definition, on anisotropic pixels.
func TestMorphologyMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 40; trial++ {
		nu, nv := 1+rng.IntN(50), 1+rng.IntN(50)
		du, dv := 0.5+rng.Float64()*2, 0.5+rng.Float64()*2
		r := rng.Float64() * 8
		m := randomMask(rng, [3]int{nu, nv, 1}, 0.2+0.6*rng.Float64())
		in := make([]uint8, len(m))
		for i, v := range m {
			in[i] = b2u(v)
		}
		w := newPool(1, nu*nv, nil).workers[0]
		d := newDisc(r, du, dv)
		er, di := make([]uint8, len(in)), make([]uint8, len(in))
		erode2D(in, er, nu, nv, d, w)
		dilate2D(in, di, nu, nv, d, w)
		for y := 0; y < nv; y++ {
			for x := 0; x < nu; x++ {
				all, anyIn := in[y*nu+x] != 0, false
				for yy := 0; yy < nv; yy++ {
					for xx := 0; xx < nu; xx++ {
						ddx, ddy := float64(xx-x)*du, float64(yy-y)*dv
						if ddx*ddx+ddy*ddy > r*r*(1+1e-9) {
							continue
						}
						if in[yy*nu+xx] != 0 {
							anyIn = true
						} else {
							all = false
						}
					}
				}
				if (er[y*nu+x] != 0) != all || (di[y*nu+x] != 0) != anyIn {
					t.Fatalf("%d×%d, r %.2f, pixel %.2f×%.2f mm, (%d,%d): erode %d want %v, dilate %d want %v",
						nu, nv, r, du, dv, x, y, er[y*nu+x], all, di[y*nu+x], anyIn)
				}
			}
		}
	}
}
