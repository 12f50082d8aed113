package viewer

import (
	"image"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchVol  *Volume
	benchLab  *Volume
)

// benchVolumes builds a 512×512×300 int16 CT-like volume (and a uint8 label
// map on the same grid) once for all benchmarks: 150 MB, too big to rebuild
// per benchmark.
func benchVolumes(b *testing.B) (*Volume, *Volume) {
	b.Helper()
	benchOnce.Do(func() {
		g := Geometry{Dims: [3]int{512, 512, 300}, Spacing: Vec3{0.7, 0.7, 1.5}, Direction: Identity3}
		v, err := NewVolume(g, Int16)
		if err != nil {
			panic(err)
		}
		s := v.Data.Raw().([]int16)
		x := uint32(12345)
		for i := range s {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			s[i] = int16(x%3000) - 1000
		}
		lab, err := NewVolume(g, Uint8)
		if err != nil {
			panic(err)
		}
		// Labels like a segmentation: a few large blobs (an ellipsoidal
		// body split into eight organs), background elsewhere.
		ls := lab.Data.Raw().([]uint8)
		for k := 0; k < 300; k++ {
			for j := 0; j < 512; j++ {
				for i := 0; i < 512; i++ {
					dx, dy, dz := float64(i-256)/200, float64(j-256)/150, float64(k-150)/130
					if dx*dx+dy*dy+dz*dz < 1 {
						ls[g.Index(i, j, k)] = uint8(1 + i/128 + 4*(k/150))
					}
				}
			}
		}
		benchVol, benchLab = v, lab
	})
	return benchVol, benchLab
}

func BenchmarkRenderSlice(b *testing.B) {
	v, _ := benchVolumes(b)
	lut := NewWindowLUT(Window{Center: 40, Width: 400})
	for _, p := range Planes {
		b.Run(p.String(), func(b *testing.B) {
			n := SliceCount(v.Geometry, p)
			var dst *image.Gray
			var err error
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst, err = RenderSlice(v, p, (n/2+i*7)%n, lut, dst)
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkRenderOverlay(b *testing.B) {
	v, lab := benchVolumes(b)
	lut := NewWindowLUT(Window{Center: 40, Width: 400})
	for _, p := range Planes {
		b.Run(p.String(), func(b *testing.B) {
			n := SliceCount(v.Geometry, p)
			grey, err := RenderSlice(v, p, n/2, lut, nil)
			if err != nil {
				b.Fatal(err)
			}
			var dst *image.RGBA
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst, err = RenderOverlay(grey, lab, p, (n/2+i*7)%n, 0.5, nil, dst)
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkRenderSliceDirect covers the types windowed by arithmetic rather
// than a table (one 512² axial slice of a small stack).
func BenchmarkRenderSliceDirect(b *testing.B) {
	g := Geometry{Dims: [3]int{512, 512, 4}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	for _, typ := range []DataType{Float32, Int32} {
		v, err := NewVolume(g, typ)
		if err != nil {
			b.Fatal(err)
		}
		lut := NewWindowLUT(Window{Center: 40, Width: 400})
		for _, p := range []Plane{Axial, Sagittal} {
			b.Run(typ.String()+"/"+p.String(), func(b *testing.B) {
				var dst *image.Gray
				for b.Loop() {
					if dst, err = RenderSlice(v, p, 1, lut, dst); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
