package edit

import "testing"

func BenchmarkSmoothMedian(b *testing.B) {
	m, orig := benchOrgan(b)
	benchLoop(b, m, orig, func() *Change { return Smooth(m, 1, Median, 2.5) })
}

func BenchmarkSmoothOpening(b *testing.B) {
	m, orig := benchOrgan(b)
	benchLoop(b, m, orig, func() *Change { return Smooth(m, 1, Opening, 3) })
}

func BenchmarkSmoothClosing(b *testing.B) {
	m, orig := benchOrgan(b)
	benchLoop(b, m, orig, func() *Change { return Smooth(m, 1, Closing, 3) })
}
