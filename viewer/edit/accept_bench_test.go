package edit

import (
	"sync"
	"testing"

	"delineate/viewer"
)

var (
	acceptBenchOnce sync.Once
	acceptBenchMap  *viewer.LabelMap
	acceptBenchPred *viewer.LabelMap
)

// acceptBench is a 512×512×300 CT-sized pair (0.7×0.7×1.5 mm, uint8): the
// user's map holds four organ-like ellipsoids (labels 1..4, ~9 M voxels);
// the prediction holds the same organs shifted by a few voxels plus two
// more (5, 6), as a model run on the same study would. Built once: 157 MB.
func acceptBench(b *testing.B) (*viewer.LabelMap, *viewer.LabelMap) {
	acceptBenchOnce.Do(func() {
		dims := [3]int{512, 512, 300}
		g := viewer.Geometry{Dims: dims, Spacing: viewer.Vec3{0.7, 0.7, 1.5}, Direction: viewer.Identity3}
		m, err := viewer.NewLabelMap(g, 255)
		if err != nil {
			panic(err)
		}
		p, err := viewer.NewLabelMap(g, 255)
		if err != nil {
			panic(err)
		}
		type organ struct{ c, r [3]float64 }
		organs := []organ{
			{[3]float64{180, 240, 150}, [3]float64{90, 70, 60}},
			{[3]float64{340, 240, 140}, [3]float64{50, 40, 40}},
			{[3]float64{260, 330, 120}, [3]float64{40, 40, 80}},
			{[3]float64{260, 160, 170}, [3]float64{60, 30, 50}},
			{[3]float64{120, 340, 100}, [3]float64{25, 25, 40}},
			{[3]float64{400, 330, 100}, [3]float64{25, 25, 40}},
		}
		in := func(o organ, i, j, k int, d float64) bool {
			x, y, z := (float64(i)-o.c[0]-d)/o.r[0], (float64(j)-o.c[1]+d)/o.r[1], (float64(k)-o.c[2])/o.r[2]
			return x*x+y*y+z*z < 1
		}
		md, pd := m.Data.Raw().([]uint8), p.Data.Raw().([]uint8)
		for k := range dims[2] {
			for j := range dims[1] {
				for i := range dims[0] {
					at := g.Index(i, j, k)
					for id, o := range organs {
						if id < 4 && in(o, i, j, k, 0) {
							md[at] = uint8(id + 1)
						}
						if in(o, i, j, k, 4) {
							pd[at] = uint8(id + 1)
						}
					}
				}
			}
		}
		acceptBenchMap, acceptBenchPred = m, p
	})
	return acceptBenchMap, acceptBenchPred
}

// BenchmarkPlanAccept is the preview: one pass over the whole volume.
func BenchmarkPlanAccept(b *testing.B) {
	m, p := acceptBench(b)
	for _, c := range []struct {
		name string
		o    AcceptOptions
	}{
		{"all", AcceptOptions{SliceHi: -1}},
		{"replace", AcceptOptions{SliceHi: -1, Replace: true, Labels: []int{1, 2, 3, 4, 5, 6}}},
		{"one-label-empty-only", AcceptOptions{SliceHi: -1, Labels: []int{2}, Policy: Policy{Overwrite: OverwriteEmptyOnly}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s, err := PlanAccept(m, p, c.o); err != nil || s.Added == 0 {
					b.Fatal(s, err)
				}
			}
		})
	}
}

// BenchmarkAcceptPrediction is the edit: the counting pass, then the
// Change's box read, rewritten and written back (undone between runs,
// untimed).
func BenchmarkAcceptPrediction(b *testing.B) {
	m, p := acceptBench(b)
	o := AcceptOptions{SliceHi: -1, Replace: true, Labels: []int{1, 2, 3, 4, 5, 6}}
	b.ReportAllocs()
	for b.Loop() {
		c, _, err := AcceptPrediction(m, p, o)
		if err != nil || c == nil {
			b.Fatal(err)
		}
		b.StopTimer()
		writeBox(m, c.Box, c.Before)
		b.StartTimer()
	}
}
