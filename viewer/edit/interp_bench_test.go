package edit

import "testing"

// BenchmarkInterpolateSlices keeps every 10th slice of the organ across k
// and fills the 9 between each pair.
func BenchmarkInterpolateSlices(b *testing.B) {
	m, _ := benchOrgan(b)
	forBox(Box{Max: m.Dims}, func(i, j, k, _ int) {
		if k%10 != 0 {
			m.Set(m.Index(i, j, k), 0)
		}
	})
	orig := toolAll(m)
	benchLoop(b, m, orig, func() *Change { return InterpolateSlices(m, 1, 2) })
}
