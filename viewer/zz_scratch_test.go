package viewer

import "testing"

func BenchmarkScratchGrey(b *testing.B) {
	src := make([]float32, 262144)
	for i := range src {
		src[i] = float32(i%3000 - 1000)
	}
	dst := make([]uint8, len(src))
	lo, wd := 40-200.0, 400.0
	k := 255 / wd
	b.Run("div", func(b *testing.B) {
		for b.Loop() {
			for i, x := range src {
				dst[i] = greyAt(float64(x), lo, wd)
			}
		}
	})
	b.Run("mul", func(b *testing.B) {
		for b.Loop() {
			for i, x := range src {
				dst[i] = fastGrey(float64(x), lo, wd, k)
			}
		}
	})
}
