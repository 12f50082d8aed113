package project

import (
	"os"
	"path/filepath"
	"testing"

	"delineate/viewer"
)

// BenchmarkAutosave512x512x300 is one autosave of a 512×512×300 uint8
// label map holding large organ-like blobs (56 % labelled): the label map
// as .nii.gz (gzip level 2) and the project file, both atomic with fsync.
// It reports the bytes written per save.
func BenchmarkAutosave512x512x300(b *testing.B) {
	dir := b.TempDir()
	img := filepath.Join(dir, "image.nii.gz")
	os.WriteFile(img, []byte("x"), 0o644)
	p, err := Create(filepath.Join(dir, "p"), "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	c, err := p.AddCase(img, InProgress)
	if err != nil {
		b.Fatal(err)
	}
	g := viewer.Geometry{Dims: [3]int{512, 512, 300}, Spacing: viewer.Vec3{0.7, 0.7, 1}, Direction: viewer.Identity3}
	v, err := viewer.NewVolume(g, viewer.Uint8)
	if err != nil {
		b.Fatal(err)
	}
	d := v.Data.Raw().([]uint8)
	for k := range 300 {
		for j := range 512 {
			for i := range 512 {
				dx, dy, dz := float64(i-256)/200, float64(j-256)/150, float64(k-150)/130
				if dx*dx+dy*dy+dz*dz < 1 {
					d[g.Index(i, j, k)] = uint8(1 + i/128 + 4*(k/150))
				}
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := p.SaveLabels(c, v); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st, _ := os.Stat(p.Resolve(c.Labels))
	pj, _ := os.Stat(filepath.Join(p.Dir(), FileName))
	b.ReportMetric(float64(st.Size()+pj.Size()), "bytes/save")
}
