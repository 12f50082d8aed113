package edit

import (
	"math"
	"math/rand/v2"
	"testing"

	"delineate/viewer"
)

// twoRegions is an int16 image with region A (≈100) where i < edge(j,k)
// and region B (≈400) elsewhere, a wavy boundary between them, plus noise.
func twoRegions(t testing.TB, dims [3]int) (*viewer.Volume, func(i, j, k int) bool) {
	g := viewer.Geometry{Dims: dims, Spacing: viewer.Vec3{1, 1, 1}, Direction: viewer.Identity3}
	img, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	inA := func(i, j, k int) bool {
		edge := float64(dims[0])/2 + float64(dims[0])/8*math.Sin(float64(j)/6+float64(k)/9)
		return float64(i) < edge
	}
	rng := rand.New(rand.NewPCG(1, 2))
	d := img.Data.(viewer.Voxels[int16])
	forBox(Box{Max: dims}, func(i, j, k, _ int) {
		v := 400
		if inA(i, j, k) {
			v = 100
		}
		d[img.Index(i, j, k)] = int16(v + rng.IntN(41) - 20)
	})
	return img, inA
}

// seedStrokes paints one line of label 1 in A and one of label 2 in B.
func seedStrokes(m *viewer.LabelMap) {
	k := m.Dims[2] / 2
	for j := m.Dims[1] / 5; j < m.Dims[1]*4/5; j++ {
		m.Set(m.Index(m.Dims[0]/8, j, k), 1)
		m.Set(m.Index(m.Dims[0]*7/8, j, k), 2)
	}
}

func TestGrowFromSeedsTwoRegions(t *testing.T) {
	dims := [3]int{64, 64, 20}
	img, inA := twoRegions(t, dims)
	m := toolMap(t, dims, viewer.Vec3{1, 1, 1})
	seedStrokes(m)
	before := toolAll(m)
	c, err := GrowFromSeeds(m, img, Box{Max: dims}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var right, total [3]int
	forBox(Box{Max: dims}, func(i, j, k, _ int) {
		want := 2
		if inA(i, j, k) {
			want = 1
		}
		total[want]++
		if m.At(m.Index(i, j, k)) == want {
			right[want]++
		}
	})
	for l := 1; l <= 2; l++ {
		if f := float64(right[l]) / float64(total[l]); f < 0.99 {
			t.Fatalf("label %d: %.4f of its region right", l, f)
		}
	}
	toolUndo(t, m, before, c)
}

func TestGrowFromSeedsROIAndRange(t *testing.T) {
	dims := [3]int{64, 64, 20}
	img, inA := twoRegions(t, dims)
	for _, withLocked := range []bool{false, true} {
		m := toolMap(t, dims, viewer.Vec3{1, 1, 1})
		seedStrokes(m)
		// A pre-existing unlocked label 3, and maybe a locked label 4, in A.
		toolFill(m, toolBox(2, 2, 2, 5, 5, 5), 3)
		if withLocked {
			m.Table.Set(viewer.Label{ID: 4, Locked: true})
			toolFill(m, toolBox(2, 50, 2, 5, 53, 5), 4)
		}
		before := toolAll(m)
		roi := toolBox(0, 8, 4, 64, 56, 16)
		if _, err := GrowFromSeeds(m, img, roi, nil); err != nil {
			t.Fatal(err)
		}
		after := toolAll(m)
		forBox(Box{Max: dims}, func(i, j, k, at int) {
			inside := i >= roi.Min[0] && i < roi.Max[0] && j >= roi.Min[1] && j < roi.Max[1] && k >= roi.Min[2] && k < roi.Max[2]
			if !inside && after[at] != before[at] {
				t.Fatalf("(%d,%d,%d) outside the roi changed", i, j, k)
			}
			// A locked class competes, but what it wins stays 0.
			if inside && after[at] == 0 && !withLocked {
				t.Fatalf("(%d,%d,%d) inside the roi left unlabelled", i, j, k)
			}
			if before[at] != 0 && after[at] != before[at] {
				t.Fatalf("(%d,%d,%d) labelled %d overwritten", i, j, k, before[at])
			}
		})
		if toolCount(m, 3) != 27 || withLocked && toolCount(m, 4) != 27 {
			t.Fatal("labels 3/4 changed")
		}
	}

	// One class with an intensity range grows over region A only.
	m := toolMap(t, dims, viewer.Vec3{1, 1, 1})
	seedStrokes(m)
	for j := 0; j < dims[1]; j++ { // drop the B stroke
		m.Set(m.Index(dims[0]*7/8, j, dims[2]/2), 0)
	}
	if _, err := GrowFromSeeds(m, img, Box{Max: dims}, nil); err == nil {
		t.Fatal("a single class without range accepted")
	}
	if _, err := GrowFromSeeds(m, img, Box{Max: dims}, &Range{Lo: 0, Hi: 250}); err != nil {
		t.Fatal(err)
	}
	bad := 0
	forBox(Box{Max: dims}, func(i, j, k, at int) {
		if (m.At(at) == 1) != inA(i, j, k) {
			bad++
		}
	})
	if bad != 0 {
		t.Fatalf("range-limited growth wrong at %d voxels", bad)
	}
}

func TestGrowFromSeedsErrors(t *testing.T) {
	dims := [3]int{8, 8, 8}
	img, _ := twoRegions(t, dims)
	m := toolMap(t, dims, viewer.Vec3{1, 1, 1})
	if _, err := GrowFromSeeds(m, img, Box{Max: dims}, nil); err == nil {
		t.Fatal("no seeds accepted")
	}
	other := toolMap(t, [3]int{8, 8, 9}, viewer.Vec3{1, 1, 1})
	if _, err := GrowFromSeeds(other, img, Box{Max: dims}, nil); err == nil {
		t.Fatal("grid mismatch accepted")
	}
	if _, err := GrowFromSeeds(m, img, Box{}, nil); err == nil {
		t.Fatal("empty roi accepted")
	}
}

func TestGrowFromSeedsNaN(t *testing.T) {
	// A float image whose middle plane is NaN: each seed keeps to its side,
	// and a seed on a NaN voxel still grows.
	dims := [3]int{16, 16, 4}
	g := viewer.Geometry{Dims: dims, Spacing: viewer.Vec3{1, 1, 1}, Direction: viewer.Identity3}
	img, err := viewer.NewVolume(g, viewer.Float32)
	if err != nil {
		t.Fatal(err)
	}
	d := img.Data.(viewer.Voxels[float32])
	forBox(Box{Max: dims}, func(i, j, k, at int) {
		if i == 8 || i == 2 && j == 2 && k == 1 {
			d[at] = float32(math.NaN())
		}
	})
	m := toolMap(t, dims, viewer.Vec3{1, 1, 1})
	m.Set(m.Index(2, 2, 1), 1)
	m.Set(m.Index(12, 2, 1), 2)
	if _, err := GrowFromSeeds(m, img, Box{Max: dims}, nil); err != nil {
		t.Fatal(err)
	}
	forBox(Box{Max: dims}, func(i, j, k, at int) {
		want := 1
		switch {
		case i == 8:
			want = 0
		case i > 8:
			want = 2
		}
		if m.At(at) != want {
			t.Fatalf("(%d,%d,%d) = %d, want %d", i, j, k, m.At(at), want)
		}
	})
}
