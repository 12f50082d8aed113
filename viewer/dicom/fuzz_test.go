package dicom

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadDICOM feeds arbitrary bytes through the whole path a user's file
// takes: scan, group, place, decode. Anything but a clean error is a bug.
func FuzzLoadDICOM(f *testing.F) {
	// Small seeds keep the fuzzer fast: the constructed fixtures cover every
	// transfer syntax and layout we handle in a few KB each.
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "dicom", "*", "*"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "x.dcm")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip()
		}
		res, err := Scan(context.Background(), p, Options{Workers: 1})
		if err != nil {
			return
		}
		for _, s := range res.Series {
			if s.Geometry.NumVoxels() > 1<<22 {
				continue // plausible header, but too big to decode per exec
			}
			_, _ = s.Load(context.Background(), Options{Workers: 1})
		}
	})
}
