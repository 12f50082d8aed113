package dicom

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A real series with one file cut short and a stray text file: the bad file
// is named in a warning, the rest loads, nothing panics.
func TestRealSeriesWithBadFiles(t *testing.T) {
	src := sharedData(t, "ct-dicom-series-raw")
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			b = b[:len(b)/2] // truncated in the middle of the pixel data
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("scanner export notes"), 0o644)
	res, err := Scan(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Series) != 1 || res.Series[0].Slices != 19 {
		t.Fatalf("got %d series, want one of 19 slices", len(res.Series))
	}
	w := strings.Join(res.Warnings, "\n")
	if !strings.Contains(w, entries[10].Name()) || !strings.Contains(w, "truncated") {
		t.Errorf("warnings do not name the truncated file: %q", w)
	}
	if !strings.Contains(w, "not DICOM") {
		t.Errorf("warnings do not mention the non-DICOM file: %q", w)
	}
	v, err := res.Series[0].Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Dims[2] != 19 || !strings.Contains(strings.Join(v.Warnings, " "), "gap") {
		t.Errorf("dims %v warnings %v: want 19 slices and a gap warning", v.Dims, v.Warnings)
	}
}

// A cancelled context stops loading with an error, not a partial volume.
func TestLoadCancelled(t *testing.T) {
	s := scanOne(t, sharedData(t, "ct-dicom-series-j2k"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := s.Load(ctx, Options{})
	if err == nil || v != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("load after cancel: %v, %v", v, err)
	}
}

// Progress reaches its total exactly once per unit of work.
func TestLoadProgress(t *testing.T) {
	s := scanOne(t, filepath.Join("..", "..", "testdata", "dicom", "shuffled"))
	var last, total, calls int
	_, err := s.Load(context.Background(), Options{Workers: 1, Progress: func(d, n int) { last, total = d, n; calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if last != total || calls != total || total != 10 {
		t.Errorf("progress ended at %d/%d after %d calls, want 10/10 (5 files + 5 slices)", last, total, calls)
	}
}
