package nifti

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceDir holds the files testdata/make_conformance_nifti.py writes
// with nibabel, and nibabel's view of them in expected.json.
var conformanceDir = filepath.Join("..", "..", "testdata", "conformance", "nifti")

type conformanceFile struct {
	File       string      `json:"file"`
	Dim        [8]int64    `json:"dim"`
	IntentCode int         `json:"intent_code"`
	XYZTUnits  int         `json:"xyzt_units"`
	Pixdim4    float64     `json:"pixdim4"`
	SHA256     string      `json:"sha256"`
	NumVolumes int64       `json:"num_volumes"`
	VolumeSums []float64   `json:"volume_sums"`
	Samples    [][]float64 `json:"samples"`
	Affine     []float64   `json:"affine"`
	Refuse     string      `json:"refuse"`
	TimeStepS  float64     `json:"time_step_s"`
	ShearDeg   float64     `json:"shear_deg"`
	ShearAxes  string      `json:"shear_axes"`
}

func loadConformance(t *testing.T) map[string]conformanceFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir, "expected.json"))
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 testdata/make_conformance_nifti.py)", err)
	}
	var doc struct {
		Files []conformanceFile `json:"files"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	m := map[string]conformanceFile{}
	for _, f := range doc.Files {
		raw, err := os.ReadFile(filepath.Join(conformanceDir, f.File))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("%s is not the file expected.json describes: regenerate both with the script", f.File)
		}
		m[f.File] = f
	}
	if len(m) < 10 {
		t.Fatalf("expected.json lists %d files", len(m))
	}
	return m
}

// TestConformanceNibabel reads every nibabel-written fixture: the non-image
// ones must be refused as unsupported (not as damaged), the others must
// give, volume by volume, what nibabel gives.
func TestConformanceNibabel(t *testing.T) {
	for name, want := range loadConformance(t) {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(conformanceDir, name)
			h, err := ReadHeader(p)
			if err != nil {
				t.Fatal(err)
			}
			if h.Dim != want.Dim || h.IntentCode != want.IntentCode {
				t.Fatalf("header dim %v intent %d, nibabel %v %d", h.Dim, h.IntentCode, want.Dim, want.IntentCode)
			}
			if want.Refuse != "" {
				checkRefused(t, p, h, want)
				return
			}
			if err := h.CheckVolume(); err != nil {
				t.Fatalf("CheckVolume: %v", err)
			}
			if h.NumVolumes() != want.NumVolumes {
				t.Fatalf("NumVolumes %d, nibabel %d", h.NumVolumes(), want.NumVolumes)
			}
			if ts, ok := h.TimeStep(); ok != (want.TimeStepS > 0) || math.Abs(ts-want.TimeStepS) > 1e-9 {
				t.Fatalf("TimeStep %g %v, want %g", ts, ok, want.TimeStepS)
			}
			for vol := range want.NumVolumes {
				v, err := ReadVolume(p, int(vol))
				if err != nil {
					t.Fatalf("volume %d: %v", vol, err)
				}
				sum := 0.0
				for n := range v.Data.Len() {
					sum += v.Data.At(n)
				}
				if sum != want.VolumeSums[vol] {
					t.Fatalf("volume %d: sum %v, nibabel %v", vol, sum, want.VolumeSums[vol])
				}
				d := v.Dims
				got := []float64{v.Value(0, 0, 0), 0, v.Value(d[0]-1, d[1]-1, d[2]-1)}
				if min(d[0], d[1], d[2]) > 1 {
					got[1] = v.Value(1, 2, 1)
				}
				for i := range got {
					if got[i] != want.Samples[vol][i] {
						t.Fatalf("volume %d: samples %v, nibabel %v", vol, got, want.Samples[vol])
					}
				}
				var a [16]float64
				for r := range 4 {
					for c := range 4 {
						a[4*r+c] = v.AffineRAS()[r][c]
					}
				}
				for i := range a {
					if math.Abs(a[i]-want.Affine[i]) > 1e-5 {
						t.Fatalf("affine %v, nibabel %v", a, want.Affine)
					}
				}
				if h.isVectorField() {
					if w := fmt.Sprintf("components per voxel: loaded component %d only", vol+1); !hasWarning(v, w) {
						t.Fatalf("volume %d: no %q in %q", vol, w, v.Warnings)
					}
				} else if hasWarning(v, "volumes: loaded the first") {
					t.Fatalf("ReadVolume warns about the others: %q", v.Warnings)
				}
			}
			if _, err := ReadVolume(p, int(want.NumVolumes)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the file has %d", want.NumVolumes)) {
				t.Fatalf("volume past the end: %v", err)
			}

			v, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if v.Data.At(0) != want.Samples[0][0] {
				t.Fatalf("Read is not volume 0")
			}
			first := fmt.Sprintf("%dD file with %d volumes: loaded the first (volume 1 of %d)", want.Dim[0], want.NumVolumes, want.NumVolumes)
			if want.NumVolumes > 1 && !h.isVectorField() && !hasWarning(v, first) {
				t.Fatalf("no %q in %q", first, v.Warnings)
			}
			if want.ShearDeg > 0 {
				w := fmt.Sprintf("sheared sform: index axes %c and %c are %.2f° from perpendicular", want.ShearAxes[0], want.ShearAxes[1], want.ShearDeg)
				if !hasWarning(v, w) {
					t.Fatalf("no %q in %q", w, v.Warnings)
				}
			} else if hasWarning(v, "shear") {
				t.Fatalf("shear warning on an unsheared file: %q", v.Warnings)
			}
			if name == "zscore_map.nii" && len(v.Warnings) > 0 {
				t.Fatalf("a statistic map is an image: warnings %q", v.Warnings)
			}
		})
	}
}

func checkRefused(t *testing.T, p string, h *Header, want conformanceFile) {
	t.Helper()
	for _, read := range []func() error{
		func() error { _, err := Read(p); return err },
		func() error { _, err := ReadVolume(p, 1); return err },
		h.CheckVolume,
	} {
		err := read()
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("want an ErrUnsupported refusal, got %v", err)
		}
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Intent != want.IntentCode {
			t.Fatalf("UnsupportedError %+v, want intent %d", ue, want.IntentCode)
		}
		if !strings.Contains(err.Error(), want.Refuse) {
			t.Fatalf("%q lacks %q", err, want.Refuse)
		}
		if strings.HasPrefix(want.Refuse, "CIFTI") || strings.HasPrefix(want.Refuse, "data lie in dims 5") {
			if !strings.Contains(err.Error(), "not a volume image; open it with a CIFTI tool (e.g. Connectome Workbench)") {
				t.Fatalf("%q does not say what would open it", err)
			}
		}
	}
	if _, err := Read(p); !strings.Contains(err.Error(), p) {
		t.Fatalf("%q does not name the file", err)
	}
}
