package dicom

import (
	"context"
	"errors"
	"math"
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
	// The truncated file leaves a gap: the stack is resampled onto its
	// regular step (20 slices again), the missing slice interpolated from
	// its neighbours, and the raw stack (19 slices) is there on request.
	s := res.Series[0]
	v, err := s.Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Dims[2] != 20 || !strings.Contains(strings.Join(v.Warnings, " "), "gap") || !strings.Contains(strings.Join(v.Warnings, " "), "resampled") {
		t.Fatalf("dims %v warnings %v: want 20 slices and a gap warning that says it was resampled", v.Dims, v.Warnings)
	}
	raw, err := s.Load(context.Background(), Options{RawStack: true})
	if err != nil {
		t.Fatal(err)
	}
	if raw.Dims[2] != 19 || !strings.Contains(strings.Join(raw.Warnings, " "), "raw stack") {
		t.Fatalf("raw stack dims %v warnings %v", raw.Dims, raw.Warnings)
	}
	plane := v.Dims[0] * v.Dims[1]
	missing := -1
	for k := 1; k < 19; k++ {
		if s.regrid.dist[k]-s.regrid.dist[k-1] > 3 {
			missing = k
		}
	}
	if missing < 0 {
		t.Fatal("no gap in the stored positions")
	}
	for m := 0; m < 20; m++ {
		for i := 0; i < plane; i += 97 {
			got := v.Data.At(m*plane + i)
			var want float64
			switch {
			case m < missing:
				want = raw.Data.At(m*plane + i)
			case m == missing:
				want = math.Round((raw.Data.At((m-1)*plane+i) + raw.Data.At(m*plane+i)) / 2)
			default:
				want = raw.Data.At((m-1)*plane + i)
			}
			if got != want {
				t.Fatalf("slice %d voxel %d = %v, want %v (missing slice %d)", m, i, got, want, missing)
			}
		}
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
