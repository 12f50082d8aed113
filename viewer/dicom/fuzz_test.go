package dicom

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"delineate/viewer"
)

// FuzzLoadDICOM feeds arbitrary bytes through the whole path a user's file
// takes: scan, group, place, decode. Anything but a clean error is a bug.
func FuzzLoadDICOM(f *testing.F) { fuzzLoad(f, false) }

// FuzzLoadDICOMPrefix is the same with a 200-byte header prefix, so that
// even these small files take the large-file path: the scan reads a prefix
// and walks up to the pixel data, the load reads frames at the offsets the
// scan found, and Stream hands out the slices.
func FuzzLoadDICOMPrefix(f *testing.F) { fuzzLoad(f, true) }

func fuzzLoad(f *testing.F, prefix bool) {
	if prefix {
		old := headerPrefix
		headerPrefix = 200
		f.Cleanup(func() { headerPrefix = old })
	}
	// Small seeds keep the fuzzer fast: the constructed fixtures cover every
	// transfer syntax and layout we handle in a few KB each.
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "dicom", "*", "*"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "conformance", "*", "*", "*.dcm"))
	seeds = append(seeds, more...)
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
			if prefix {
				_, _ = s.Stream(context.Background(), Options{Workers: 1},
					func(viewer.Geometry, viewer.DataType) error { return nil },
					func(int, viewer.VoxelData) error { return nil })
			}
		}
	})
}
