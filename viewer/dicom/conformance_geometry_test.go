package dicom

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func conformanceDir(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata", "conformance"}, parts...)...)
}

// A 15° gantry tilt: the loaded volume holds, at every voxel, the value the
// phantom has at that voxel's patient position (bilinear interpolation of
// the stored pixels), while the raw stack is off by the tilt's shear.
func TestGantryTiltResampled(t *testing.T) {
	s := scanOne(t, conformanceDir("geometry", "tilt"))
	if !strings.Contains(strings.Join(s.Warnings, " "), "15.00° off the slice normal") {
		t.Errorf("warnings %v do not give the tilt", s.Warnings)
	}
	v, err := s.Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.Load(context.Background(), Options{RawStack: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(conformanceDir("geometry", "tilt-truth.f32"))
	if err != nil {
		t.Fatal(err)
	}
	truth := make([]float64, len(b)/4)
	for i := range truth {
		truth[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	if v.Data.Len() != len(truth) || raw.Data.Len() != len(truth) {
		t.Fatalf("%d and %d voxels, truth has %d", v.Data.Len(), raw.Data.Len(), len(truth))
	}
	if v.Origin != s.slices[0].pos || v.Spacing[2] != 3 || v.Direction[2][2] != 1 {
		t.Errorf("geometry origin %v spacing %v direction %v", v.Origin, v.Spacing, v.Direction)
	}
	// Body voxels whose position lies within the stored pixels of their
	// slice (the shear moves the top of the stack 8 mm in y).
	lowest := math.Inf(1)
	for i := 0; i < raw.Data.Len(); i++ {
		lowest = math.Min(lowest, raw.Data.At(i))
	}
	nx, ny, nz := v.Dims[0], v.Dims[1], v.Dims[2]
	var errNew, errRaw []float64
	pads := 0
	for k := 0; k < nz; k++ {
		shiftJ := s.regrid.shift[k][1]
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				n := (k*ny+j)*nx + i
				if float64(j)-shiftJ < 0 || float64(j)-shiftJ > float64(ny-1) {
					if v.Data.At(n) != lowest {
						pads++
					}
					continue
				}
				if truth[n] < -900 {
					continue
				}
				errNew = append(errNew, math.Abs(v.Data.At(n)-truth[n]))
				errRaw = append(errRaw, math.Abs(raw.Data.At(n)-truth[n]))
			}
		}
	}
	med := func(e []float64) float64 { sort.Float64s(e); return e[len(e)/2] }
	worst := func(e []float64) float64 { sort.Float64s(e); return e[len(e)-1] }
	mNew, mRaw := med(errNew), med(errRaw)
	t.Logf("%d body voxels: median |error| %.2f HU resampled, %.2f HU raw stack; worst %.1f vs %.1f", len(errNew), mNew, mRaw, worst(errNew), worst(errRaw))
	if mNew > 1.5 || worst(errNew) > 40 {
		t.Errorf("resampled: median error %.2f HU, worst %.1f", mNew, worst(errNew))
	}
	if mRaw < 10 {
		t.Errorf("the raw stack is only %.2f HU off: the fixture does not exercise the tilt", mRaw)
	}
	if pads > 0 {
		t.Errorf("%d voxels outside the stored pixels are not padded with the lowest value", pads)
	}
}

// Multi-volume series: every position imaged T times becomes T volumes of
// one geometry, in acquisition order, with what tells them apart.
func TestMultiVolumeSeries(t *testing.T) {
	cases := []struct {
		dir     string
		volumes int
		varies  string
		dims    [3]int
		labels  []string
	}{
		{"fmri", 4, "time", [3]int{16, 12, 5}, []string{"t=+0.00 s", "t=+2.00 s", "t=+4.00 s", "t=+6.00 s"}},
		{"dwi", 3, "b-value", [3]int{10, 8, 4}, []string{"b=0 s/mm²", "b=1000 s/mm²", "b=2000 s/mm²"}},
		{"mosaic4d", 3, "time", [3]int{8, 6, 4}, []string{"t=+0.00 s", "t=+2.00 s", "t=+4.00 s"}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			s := scanOne(t, conformanceDir("geometry", c.dir))
			if s.NumVolumes() != c.volumes || strings.Join(s.VolumeVaries, ",") != c.varies {
				t.Fatalf("%d volumes varying by %v, want %d by %s (warnings %v)", s.NumVolumes(), s.VolumeVaries, c.volumes, c.varies, s.Warnings)
			}
			for _, w := range s.Warnings {
				if strings.Contains(w, "duplicate") || strings.Contains(w, "left out") {
					t.Errorf("warning %q", w)
				}
			}
			for vt := 0; vt < c.volumes; vt++ {
				if got := s.Volumes[vt].Label; got != c.labels[vt] {
					t.Errorf("volume %d label %q, want %q", vt, got, c.labels[vt])
				}
				sv, err := s.Volume(vt)
				if err != nil {
					t.Fatal(err)
				}
				v, err := sv.Load(context.Background(), Options{})
				if err != nil {
					t.Fatal(err)
				}
				if v.Dims != c.dims {
					t.Fatalf("volume %d dims %v, want %v", vt, v.Dims, c.dims)
				}
				for k := 0; k < c.dims[2]; k++ {
					for j := 0; j < c.dims[1]; j++ {
						for i := 0; i < c.dims[0]; i++ {
							want := float64(1000*vt + 100*k + 10*j + i)
							if got := v.Data.At((k*c.dims[1]+j)*c.dims[0] + i); got != want {
								t.Fatalf("volume %d voxel (%d,%d,%d) = %v, want %v", vt, i, j, k, got, want)
							}
						}
					}
				}
			}
			if _, err := s.Volume(c.volumes); err == nil {
				t.Error("a volume past the last one loads")
			}
		})
	}
}

// Magnitude and phase images at the same positions are two series, not
// one series with every slice duplicated.
func TestMagnitudePhaseSplit(t *testing.T) {
	res, err := Scan(context.Background(), conformanceDir("geometry", "magphase"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Series) != 2 {
		t.Fatalf("%d series, want 2", len(res.Series))
	}
	for _, s := range res.Series {
		if s.Slices != 3 || s.NumVolumes() != 1 || len(s.Warnings) != 0 {
			t.Errorf("series of %d slices, %d volumes, warnings %v", s.Slices, s.NumVolumes(), s.Warnings)
		}
		v, err := s.Load(context.Background(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		off := v.Data.At(0)
		if off != 0 && off != 2000 {
			t.Errorf("first voxel %v: magnitude (0) or phase (2000) expected", off)
		}
	}
}
