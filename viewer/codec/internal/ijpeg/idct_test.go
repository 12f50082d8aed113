package ijpeg

import (
	"math"
	"math/rand"
	"testing"
)

// TestIDCTAgainstFloat: the integer IDCT stays within one level of the
// exact transform on random coefficient blocks, as libjpeg's does.
func TestIDCTAgainstFloat(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 2000; n++ {
		var b block
		for i := range b {
			if rng.Intn(3) == 0 {
				b[i] = int32(rng.Intn(401) - 200)
			}
		}
		b[0] = int32(rng.Intn(2001) - 1000)
		in := b
		idct(&b)
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				s := 0.0
				for v := 0; v < 8; v++ {
					for u := 0; u < 8; u++ {
						cu, cv := 1.0, 1.0
						if u == 0 {
							cu = math.Sqrt2 / 2
						}
						if v == 0 {
							cv = math.Sqrt2 / 2
						}
						s += cu * cv * float64(in[8*v+u]) * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
					}
				}
				if d := math.Abs(float64(b[8*y+x]) - s/4); d > 1 {
					t.Fatalf("block %d (%d,%d): %d, exact %.2f", n, x, y, b[8*y+x], s/4)
				}
			}
		}
	}
}

// TestRangeLimit: level shift and clamp, wrapping modulo 1024 the way
// libjpeg's table does.
func TestRangeLimit(t *testing.T) {
	for v, want := range map[int32]byte{-128: 0, -1: 127, 0: 128, 127: 255, 128: 255, 511: 255, 512: 0, -129: 0, -512: 0, -513: 255, 1024: 128} {
		if got := rangeLimit(v); got != want {
			t.Errorf("rangeLimit(%d) = %d, want %d", v, got, want)
		}
	}
}
