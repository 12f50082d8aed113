package dicom

import (
	"context"
	"math"
	"runtime"
	"testing"

	"delineate/viewer"
)

// Resampling a tilted 512×512×100 int16 stack onto its orthogonal grid
// (the work a gantry-tilted head CT adds to its load).
func BenchmarkRegridTilt(b *testing.B) {
	const nx, ny, n = 512, 512, 100
	p := &regridPlan{dist: make([]float64, n), shift: make([][2]float64, n), z: make([]float64, n)}
	for k := range p.dist {
		p.dist[k] = 3 * float64(k)
		p.z[k] = p.dist[k]
		p.shift[k] = [2]float64{0, 3 * float64(k) * math.Tan(15*math.Pi/180) / 0.5}
	}
	src, _ := viewer.NewVoxelData(viewer.Int16, nx*ny*n)
	dst, _ := viewer.NewVoxelData(viewer.Int16, nx*ny*n)
	s := src.Raw().([]int16)
	for i := range s {
		s[i] = int16(i % 2000)
	}
	b.SetBytes(int64(nx * ny * n * 2))
	b.ResetTimer()
	for range b.N {
		if err := p.apply(context.Background(), src, dst, [3]int{nx, ny, n}, runtime.NumCPU()); err != nil {
			b.Fatal(err)
		}
	}
}
