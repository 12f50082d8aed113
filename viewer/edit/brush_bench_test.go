package edit

import (
	"sync"
	"testing"

	"delineate/viewer"
)

// benchCT is a 512×512×300 CT-like int16 image (0.7×0.7×1 mm): air
// outside, soft tissue (40 HU with ±15 texture) in a body cylinder, and a
// ball of 1,000 HU-ish contrast (300 ± 10) holding about a million voxels.
var benchCT = sync.OnceValue(func() *viewer.Volume {
	g := testGeom([3]int{512, 512, 300}, viewer.Vec3{0.7, 0.7, 1})
	v, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		panic(err)
	}
	d := v.Data.(viewer.Voxels[int16])
	for k := 0; k < 300; k++ {
		for j := 0; j < 512; j++ {
			for i := 0; i < 512; i++ {
				x, y, z := i-256, j-256, k-150
				val := int16(-1000)
				if x*x+y*y < 230*230 {
					val = int16(40 + (i*7+j*13+k*5)%31 - 15)
				}
				if x*x+y*y+z*z <= 62*62 {
					val = int16(300 + (i+j+k)%21 - 10)
				}
				d[v.Index(i, j, k)] = val
			}
		}
	}
	return v
})

func benchMap(b *testing.B) *viewer.LabelMap {
	m, err := viewer.NewLabelMap(benchCT().Geometry, 255)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkDab2D(b *testing.B) {
	img := benchCT()
	m := benchMap(b)
	br := Brush{RadiusMM: 5, Axis: 2}
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		if PaintDab(m, img, br, [3]int{200, 200, 150}, 1+n%2, Policy{}) == nil {
			b.Fatal("no change")
		}
	}
}

func BenchmarkDab3DSphere10mm(b *testing.B) {
	img := benchCT()
	m := benchMap(b)
	br := Brush{RadiusMM: 10, Sphere: true}
	for n := 0; b.Loop(); n++ {
		if PaintDab(m, img, br, [3]int{200, 200, 150}, 1+n%2, Policy{}) == nil {
			b.Fatal("no change")
		}
	}
}

func BenchmarkDab3DSphere10mmThreshold(b *testing.B) {
	img := benchCT()
	m := benchMap(b)
	br := Brush{RadiusMM: 10, Sphere: true}
	p := Policy{Threshold: &Range{Lo: 30, Hi: 60}}
	for n := 0; b.Loop(); n++ {
		if PaintDab(m, img, br, [3]int{200, 200, 150}, 1+n%2, p) == nil {
			b.Fatal("no change")
		}
	}
}

// BenchmarkUndoDab3D times one Undo of a 10 mm sphere dab (and its Redo,
// timed separately as half of each iteration is not possible: the figure
// is Undo+Redo).
func BenchmarkUndoRedoDab3D(b *testing.B) {
	img := benchCT()
	m := benchMap(b)
	var h History
	h.Push(PaintDab(m, img, Brush{RadiusMM: 10, Sphere: true}, [3]int{200, 200, 150}, 1, Policy{}))
	for b.Loop() {
		h.Undo(m)
		h.Redo(m)
	}
}

func BenchmarkStroke2D(b *testing.B) {
	img := benchCT()
	m := benchMap(b)
	br := Brush{RadiusMM: 5, Axis: 2}
	for n := 0; b.Loop(); n++ {
		s := NewStroke(m, img, br, 1+n%2, Policy{})
		for t := 0; t <= 20; t++ {
			s.Add([3]float64{100 + 15*float64(t), 150 + 5*float64(t), 150})
		}
		if s.End() == nil {
			b.Fatal("no change")
		}
	}
}
