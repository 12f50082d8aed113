package edit

import (
	"math/rand/v2"
	"testing"

	"delineate/viewer"
)

// benchDims is a realistic CT label volume.
var benchDims = [3]int{256, 256, 100}

// benchOrgan is a 256×256×100 map (0.8×0.8×2.5 mm) holding an ellipsoidal
// organ (label 1, ~1.2 M voxels) peppered with 500 holes, 2000 salt
// islands of label 1 around it, and a second organ (label 2).
func benchOrgan(b *testing.B) (*viewer.LabelMap, []uint16) {
	m := toolMap(b, benchDims, viewer.Vec3{0.8, 0.8, 2.5})
	forBox(Box{Max: benchDims}, func(i, j, k, _ int) {
		x, y, z := float64(i-110)/80, float64(j-128)/70, float64(k-50)/35
		if x*x+y*y+z*z <= 1 {
			m.Set(m.Index(i, j, k), 1)
		}
		x = float64(i - 220)
		if x*x+float64((j-128)*(j-128))+float64((k-50)*(k-50))*4 < 400 {
			m.Set(m.Index(i, j, k), 2)
		}
	})
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 2500; n++ {
		i, j, k := rng.IntN(256), rng.IntN(256), rng.IntN(100)
		x := m.Index(i, j, k)
		switch m.At(x) {
		case 0:
			m.Set(x, 1)
		case 1:
			m.Set(x, 0)
		}
	}
	return m, toolAll(m)
}

func benchLoop(b *testing.B, m *viewer.LabelMap, orig []uint16, op func() *Change) {
	full := Box{Max: m.Dims}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		writeBox(m, full, orig)
		b.StartTimer()
		if op() == nil {
			b.Fatal("no change")
		}
	}
}

func BenchmarkKeepLargestIsland(b *testing.B) {
	m, orig := benchOrgan(b)
	benchLoop(b, m, orig, func() *Change { return KeepLargestIsland(m, 1) })
}

func BenchmarkRemoveSmallIslands(b *testing.B) {
	m, orig := benchOrgan(b)
	benchLoop(b, m, orig, func() *Change { return RemoveSmallIslands(m, 1, 10) })
}

func BenchmarkSplitIslands(b *testing.B) {
	m, orig := benchOrgan(b)
	m.Widen()
	benchLoop(b, m, orig, func() *Change {
		c, _, err := SplitIslands(m, 1, 3)
		if err != nil {
			b.Fatal(err)
		}
		return c
	})
}

func BenchmarkFillHoles3D(b *testing.B) {
	m, orig := benchOrgan(b)
	benchLoop(b, m, orig, func() *Change { return FillHoles(m, 1, true, 0) })
}

func BenchmarkFillHoles2D(b *testing.B) {
	m, orig := benchOrgan(b)
	benchLoop(b, m, orig, func() *Change { return FillHoles(m, 1, false, 2) })
}
