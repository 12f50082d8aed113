package view

import (
	"image"
	"sync"
	"testing"

	"delineate/viewer"
)

var (
	benchOnce  sync.Once
	benchScene *Scene
)

// benchSetup is a 512×512×300 int16 CT-like volume (0.7×0.7×1.5 mm) with a
// uint8 label map of large organ-like blobs, as viewer's render benchmarks
// use, built once: 225 MB.
func benchSetup(b *testing.B) *Scene {
	b.Helper()
	benchOnce.Do(func() {
		g := viewer.Geometry{Dims: [3]int{512, 512, 300}, Spacing: viewer.Vec3{0.7, 0.7, 1.5}, Direction: viewer.Identity3}
		v, err := viewer.NewVolume(g, viewer.Int16)
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
		lab, err := viewer.NewVolume(g, viewer.Uint8)
		if err != nil {
			panic(err)
		}
		ls := lab.Data.Raw().([]uint8)
		for k := range 300 {
			for j := range 512 {
				for i := range 512 {
					dx, dy, dz := float64(i-256)/200, float64(j-256)/150, float64(k-150)/130
					if dx*dx+dy*dy+dz*dz < 1 {
						ls[g.Index(i, j, k)] = uint8(1 + i/128 + 4*(k/150))
					}
				}
			}
		}
		benchScene = NewScene(v)
		if err := benchScene.SetLabels(lab); err != nil {
			panic(err)
		}
	})
	return benchScene
}

// BenchmarkSliceChange is the whole path a slice change takes in the UI:
// reslice, window, overlay, scale into a 1024² viewport, crosshair.
func BenchmarkSliceChange(b *testing.B) {
	s := benchSetup(b)
	for _, p := range viewer.Planes {
		b.Run(p.String(), func(b *testing.B) {
			v := NewViewport(s, p)
			v.W, v.H = 1024, 1024
			n := v.NumSlices()
			var dst *image.RGBA
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v.SetSlice((n/2 + i*7) % n)
				dst = v.Render(dst)
				i++
			}
		})
	}
}

// BenchmarkRenderSameSlice is pan and zoom: the slice is cached, only the
// scaling into the 1024² viewport and the crosshair are redone.
func BenchmarkRenderSameSlice(b *testing.B) {
	s := benchSetup(b)
	for _, p := range viewer.Planes {
		b.Run(p.String(), func(b *testing.B) {
			v := NewViewport(s, p)
			v.W, v.H = 1024, 1024
			dst := v.Render(nil)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// Zoom in and pan, then back, so the image stays on screen
				// and the work per frame stays the same.
				if i%2 == 0 {
					v.ZoomAt(1.7, 400, 600)
					v.Pan(3, -2)
				} else {
					v.Pan(-3, 2)
					v.ZoomAt(1/1.7, 400, 600)
				}
				dst = v.Render(dst)
				i++
			}
		})
	}
}

// BenchmarkSliceChangeOutline is BenchmarkSliceChange with label outlines,
// which are drawn while scaling rather than into the slice.
func BenchmarkSliceChangeOutline(b *testing.B) {
	s := benchSetup(b)
	s.Outline = true
	defer func() { s.Outline = false }()
	for _, p := range viewer.Planes {
		b.Run(p.String(), func(b *testing.B) {
			v := NewViewport(s, p)
			v.W, v.H = 1024, 1024
			n := v.NumSlices()
			var dst *image.RGBA
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v.SetSlice((n/2 + i*7) % n)
				dst = v.Render(dst)
				i++
			}
		})
	}
}

var (
	benchPredOnce sync.Once
	benchPred     *viewer.Volume
)

// withPrediction shows, for one benchmark, a prediction on the bench scene:
// the label blobs shifted by 6 voxels in i and j (so hatch, outlines and
// the labels' fill overlap as after a model run), built once: 79 MB.
func withPrediction(b *testing.B, s *Scene) func() {
	b.Helper()
	benchPredOnce.Do(func() {
		g := s.Volume.Geometry
		p, err := viewer.NewVolume(g, viewer.Uint8)
		if err != nil {
			panic(err)
		}
		src, dst := s.Labels.Data.Raw().([]uint8), p.Data.Raw().([]uint8)
		for k := range g.Dims[2] {
			for j := 6; j < g.Dims[1]; j++ {
				for i := 6; i < g.Dims[0]; i++ {
					dst[g.Index(i, j, k)] = src[g.Index(i-6, j-6, k)]
				}
			}
		}
		benchPred = p
	})
	if err := s.SetPrediction(benchPred); err != nil {
		b.Fatal(err)
	}
	return func() { _ = s.SetPrediction(nil) }
}

// BenchmarkSliceChangePrediction is BenchmarkSliceChange with a prediction
// shown (outline and hatch, the default), over labels drawn as a fill.
func BenchmarkSliceChangePrediction(b *testing.B) {
	s := benchSetup(b)
	defer withPrediction(b, s)()
	for _, p := range viewer.Planes {
		b.Run(p.String(), func(b *testing.B) {
			v := NewViewport(s, p)
			v.W, v.H = 1024, 1024
			n := v.NumSlices()
			var dst *image.RGBA
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v.SetSlice((n/2 + i*7) % n)
				dst = v.Render(dst)
				i++
			}
		})
	}
}

// BenchmarkRenderSameSlicePrediction is BenchmarkRenderSameSlice (pan and
// zoom) with a prediction shown, on the middle slice, where the prediction
// covers most of the view: its hatch and outlines are redrawn each frame,
// at screen resolution.
func BenchmarkRenderSameSlicePrediction(b *testing.B) {
	s := benchSetup(b)
	defer withPrediction(b, s)()
	for _, p := range viewer.Planes {
		b.Run(p.String(), func(b *testing.B) {
			v := NewViewport(s, p)
			v.W, v.H = 1024, 1024
			v.SetSlice(v.NumSlices() / 2)
			dst := v.Render(nil)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%2 == 0 {
					v.ZoomAt(1.7, 400, 600)
					v.Pan(3, -2)
				} else {
					v.Pan(-3, 2)
					v.ZoomAt(1/1.7, 400, 600)
				}
				dst = v.Render(dst)
				i++
			}
		})
	}
}
