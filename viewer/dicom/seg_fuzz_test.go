package dicom

import (
	"os"
	"path/filepath"
	"testing"

	"delineate/viewer"
)

// FuzzReadSEG feeds arbitrary bytes through the SEG reader and both ways of
// making labels from it. Anything but a clean error is a bug.
func FuzzReadSEG(f *testing.F) {
	old := maxSEGVoxels
	maxSEGVoxels = 1 << 22 // a hostile position list must not cost gigabytes per exec
	f.Cleanup(func() { maxSEGVoxels = old })
	seeds, _ := filepath.Glob(filepath.Join(segDir, "*.dcm"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	g := viewer.Geometry{Dims: [3]int{15, 13, 3}, Spacing: viewer.Vec3{0.6, 0.8, 2.5},
		Origin: viewer.Vec3{-6, -4.5, 10}, Direction: viewer.Identity3}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "x.dcm")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip()
		}
		_ = IsSEG(p)
		s, err := ReadSEG(p)
		if err != nil {
			return
		}
		if lm, err := s.LabelMap(); err == nil && lm.NumVoxels() == 0 {
			t.Fatal("empty label map without an error")
		}
		_, _ = s.LabelsOn(g)
	})
}
