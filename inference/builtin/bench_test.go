package builtin

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"delineate/viewer"
	"delineate/viewer/phantom"
)

// bigPhantom is the demo phantom sampled at a diagnostic CT's grid:
// 512×512×300 voxels of 0.75×0.75×1.07 mm, the same anatomy as the demo
// (a 38 cm field, 32 cm of trunk), int16 HU with routine-dose noise.
var bigPhantom = sync.OnceValues(func() (*viewer.Volume, error) {
	ct, _, _, err := phantom.Generate(phantom.Options{Dims: [3]int{512, 512, 300},
		Spacing: viewer.Vec3{0.75, 0.75, 1.07}, Seed: 3, Noise: 12})
	return ct, err
})

func BenchmarkSegmentCT512x512x300(b *testing.B) {
	ct, err := bigPhantom()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(ct.NumVoxels()) * 2)
	b.ReportMetric(float64(runtime.NumCPU()), "cpus")
	b.ResetTimer()
	for b.Loop() {
		if _, err := SegmentCT(context.Background(), ct, nil); err != nil {
			b.Fatal(err)
		}
	}
}
