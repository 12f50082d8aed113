package dicom

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"delineate/viewer"
)

// Every series of the fixtures and of the real data either streams to
// exactly the voxels, type and warnings Load gives, or says it cannot
// before handing out a slice.
func TestStreamMatchesLoad(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "dicom", "*"))
	if sh := filepath.Join("..", "..", "..", "shared", "data"); dirExists(sh) {
		for _, d := range []string{"ct-dicom-series-raw", "ct-dicom-series-j2k"} {
			dirs = append(dirs, filepath.Join(sh, d))
		}
		more, _ := filepath.Glob(filepath.Join(sh, "dicom-transfer-syntaxes", "*"))
		dirs = append(dirs, more...)
	}
	streamed := 0
	for _, dir := range dirs {
		if !dirExists(dir) {
			continue
		}
		res, err := Scan(context.Background(), dir, Options{})
		if err != nil {
			continue
		}
		for _, s := range res.Series {
			want, err := s.Load(context.Background(), Options{})
			if err != nil {
				continue
			}
			var got viewer.VoxelData
			plane := s.Geometry.Dims[0] * s.Geometry.Dims[1]
			next := 0
			warnings, err := s.Stream(context.Background(), Options{Workers: 2},
				func(g viewer.Geometry, dt viewer.DataType) error {
					if g != s.Geometry {
						t.Errorf("%s: begin with %+v", dir, g)
					}
					got, _ = viewer.NewVoxelData(dt, want.Data.Len())
					return nil
				},
				func(k int, d viewer.VoxelData) error {
					if k != next {
						t.Fatalf("%s: slice %d emitted after %d", dir, k, next-1)
					}
					next++
					for i := 0; i < plane; i++ {
						setAt(got, k*plane+i, d.At(i))
					}
					return nil
				})
			if errors.Is(err, ErrNotStreamable) {
				if next > 0 && !slices.ContainsFunc(want.Warnings, func(w string) bool { return len(w) > 0 }) {
					t.Errorf("%s: not streamable after %d slices, yet Load had no failure", dir, next)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", dir, err)
			}
			streamed++
			if got.Type() != want.Data.Type() {
				t.Errorf("%s: streamed %v, loaded %v", dir, got.Type(), want.Data.Type())
			}
			for i := 0; i < want.Data.Len(); i++ {
				if got.At(i) != want.Data.At(i) {
					t.Fatalf("%s: voxel %d streamed %g, loaded %g", dir, i, got.At(i), want.Data.At(i))
				}
			}
			if !slices.Equal(warnings, want.Warnings) {
				t.Errorf("%s: warnings %q, Load's %q", dir, warnings, want.Warnings)
			}
		}
	}
	if streamed < 10 {
		t.Errorf("only %d series streamed", streamed)
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Raw mode: signed 16-bit samples with an intercept of −1024 allow a
// rescaled range no 16-bit type holds, so the volume holds the stored
// values until the real range is known, then is rescaled in place into
// the narrowest type — the same values as rescaling afterwards. Begin is
// not called (the buffer is not final while it loads) and Stream refuses.
func TestRawModeRescalesInPlace(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "dicom", "signed")
	s := scanOne(t, dir)
	base, err := s.Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k := range s.slices {
		if s.slices[k].h.pixelRep != 1 || s.slices[k].h.bitsStored != 16 {
			t.Fatalf("the fixture is not signed 16-bit: %+v", s.slices[k].h)
		}
		s.slices[k].intercept -= 1024
	}
	if _, _, _, _, raw := s.plannedType(); !raw {
		t.Fatal("not raw mode")
	}
	began := false
	v, err := s.Load(context.Background(), Options{Begin: func(*viewer.Volume) { began = true }})
	if err != nil {
		t.Fatal(err)
	}
	if began {
		t.Error("Begin was called in raw mode")
	}
	lo, hi := base.Range()
	if want := chooseType(lo-1024, hi-1024, true, s.slices[0].h); v.Data.Type() != want {
		t.Errorf("type %v, want %v", v.Data.Type(), want)
	}
	for i := 0; i < base.Data.Len(); i++ {
		if v.Data.At(i) != base.Data.At(i)-1024 {
			t.Fatalf("voxel %d: %g, want %g", i, v.Data.At(i), base.Data.At(i)-1024)
		}
	}
	if _, err := s.Stream(context.Background(), Options{}, func(viewer.Geometry, viewer.DataType) error { return nil },
		func(int, viewer.VoxelData) error { return nil }); !errors.Is(err, ErrNotStreamable) {
		t.Errorf("Stream in raw mode: %v", err)
	}
}

// Begin gets the volume before its pixels and Slice every slice once, so a
// viewer can show it while it loads.
func TestLoadAnnouncesSlices(t *testing.T) {
	s := scanOne(t, filepath.Join("..", "..", "testdata", "dicom", "shuffled"))
	var begun *viewer.Volume
	seen := make(chan int, 100)
	v, err := s.Load(context.Background(), Options{Begin: func(v *viewer.Volume) { begun = v }, Slice: func(k int) { seen <- k }})
	if err != nil {
		t.Fatal(err)
	}
	close(seen)
	if begun != v {
		t.Error("Begin did not get the volume Load returned")
	}
	got := map[int]int{}
	for k := range seen {
		got[k]++
	}
	if len(got) != v.Dims[2] {
		t.Errorf("slices announced: %v of %d", got, v.Dims[2])
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("slice %d announced %d times", k, n)
		}
	}
}

// A series the machine's free memory cannot hold is refused before the
// volume is allocated, with the estimate (DELINEATE_MEMORY_LIMIT pretends
// the machine has that much free).
func TestLoadRefusesWhatDoesNotFit(t *testing.T) {
	s := scanOne(t, filepath.Join("..", "..", "testdata", "dicom", "shuffled"))
	t.Setenv("DELINEATE_MEMORY_LIMIT", "10")
	_, err := s.Load(context.Background(), Options{})
	var tl *viewer.TooLargeError
	if !errors.Is(err, viewer.ErrTooLarge) || !errors.As(err, &tl) || tl.Need != int64(s.Geometry.NumVoxels()*2) {
		t.Fatalf("got %v", err)
	}
	t.Setenv("DELINEATE_MEMORY_LIMIT", "")
	if _, err := s.Load(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
}
