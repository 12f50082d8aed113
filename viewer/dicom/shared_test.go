package dicom

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"delineate/viewer"
	"delineate/viewer/codec"
	"delineate/viewer/nifti"
)

// sharedData returns ../shared/data (beside the repository) or skips.
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference data %s not present (../shared is beside the repository in CI): %v", p, err)
	}
	return p
}

func scanOne(t testing.TB, path string) *Series {
	t.Helper()
	res, err := Scan(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("scan %s: %v", path, err)
	}
	if len(res.Series) != 1 {
		t.Fatalf("scan %s: %d series, want 1", path, len(res.Series))
	}
	return res.Series[0]
}

func loadOne(t testing.TB, path string) *viewer.Volume {
	t.Helper()
	s := scanOne(t, path)
	for _, ts := range s.TransferSyntaxes {
		if isEncapsulatedSyntax(ts) && !codec.Supported(ts) {
			t.Skipf("%s: %s is not decodable in this build (OpenJPEG/CharLS need cgo)", path, codec.SyntaxName(ts))
		}
	}
	v, err := s.Load(context.Background(), Options{})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return v
}

func assertVec(t *testing.T, what string, got, want viewer.Vec3, tol float64) {
	t.Helper()
	for a := 0; a < 3; a++ {
		if math.Abs(got[a]-want[a]) > tol {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}

// The raw series has UIDs and is uncompressed: geometry must come from the
// positions (2 mm steps), not SliceThickness (3 mm).
func TestRawSeriesGeometry(t *testing.T) {
	s := scanOne(t, sharedData(t, "ct-dicom-series-raw"))
	g := s.Geometry
	if g.Dims != [3]int{512, 512, 20} || s.Files != 20 {
		t.Fatalf("dims %v files %d, want 512×512×20 from 20 files", g.Dims, s.Files)
	}
	assertVec(t, "spacing", g.Spacing, viewer.Vec3{0.9765625, 0.9765625, 2}, 1e-6)
	assertVec(t, "origin", g.Origin, viewer.Vec3{-249.51171875, -437.51171875, -804.5}, 1e-4)
	if g.Direction != viewer.Identity3 {
		t.Errorf("direction %v, want identity", g.Direction)
	}
	if s.Modality != "CT" || s.UID == "" {
		t.Errorf("modality %q uid %q", s.Modality, s.UID)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("unexpected warnings %v", s.Warnings)
	}
	if len(s.Windows) != 2 || s.Windows[0].Center != 40 || s.Windows[0].Width != 300 {
		t.Errorf("header windows %+v, want 40/300 and 300/1500", s.Windows)
	}
}

// The J2K series has empty UIDs yet is one series, and decodes to exactly
// the raw series' voxels (in HU: intercept −1024 applied).
func TestJ2KSeriesMatchesRaw(t *testing.T) {
	j2k := loadOne(t, sharedData(t, "ct-dicom-series-j2k"))
	raw := loadOne(t, sharedData(t, "ct-dicom-series-raw"))
	if j2k.Dims != [3]int{512, 512, 20} {
		t.Fatalf("dims %v", j2k.Dims)
	}
	if j2k.Data.Type() != viewer.Int16 {
		t.Errorf("type %v, want int16 (12-bit CT with intercept −1024 fits)", j2k.Data.Type())
	}
	a, b := j2k.Data.Raw().([]int16), raw.Data.Raw().([]int16)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("voxel %d: j2k %d raw %d", i, a[i], b[i])
		}
	}
	lo, hi := j2k.Range()
	if lo < -1024 || hi > 3071 || lo > -900 {
		t.Errorf("HU range %v..%v implausible for CT with air", lo, hi)
	}
	if !j2k.SameGrid(raw.Geometry, 1e-6) {
		t.Errorf("geometries differ: %+v vs %+v", j2k.Geometry, raw.Geometry)
	}
}

// Every transfer syntax decodes to exactly the reference voxels: dcm2niix
// de-mosaiced the Siemens frame into 64×64×35 and stored rows bottom-up.
func TestTransferSyntaxesMatchReference(t *testing.T) {
	dir := sharedData(t, "dicom-transfer-syntaxes")
	ref, err := nifti.Read(filepath.Join(dir, "Ref", "1.nii"))
	if err != nil {
		t.Fatal(err)
	}
	want := ref.Data
	for i := 1; i <= 9; i++ {
		name := filepath.Join(dir, "In", string(rune('0'+i))+".dcm")
		t.Run(filepath.Base(name), func(t *testing.T) {
			v := loadOne(t, name)
			if v.Dims != ref.Dims {
				t.Fatalf("dims %v, want %v", v.Dims, ref.Dims)
			}
			got := viewer.FlipAxis(v, 1)
			for k := 0; k < want.Len(); k++ {
				if got.Data.At(k) != want.At(k) {
					t.Fatalf("voxel %d = %v, want %v", k, got.Data.At(k), want.At(k))
				}
			}
			ga, ra := got.AffineRAS(), ref.AffineRAS()
			for r := 0; r < 3; r++ {
				for c := 0; c < 4; c++ {
					if math.Abs(ga[r][c]-ra[r][c]) > 1e-3 {
						t.Errorf("affine[%d][%d] = %.5f, want %.5f", r, c, ga[r][c], ra[r][c])
					}
				}
			}
		})
	}
}
