package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenDICOMAndThumbnail(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join("..", "..", "testdata", "dicom", "two-series-empty-uid"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Series) != 2 || !st.FromDICOM(0) {
		t.Fatalf("%d series", len(st.Series))
	}
	for i, s := range st.Series {
		th, err := st.Thumbnail(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		if th.Dims[0] != s.Dims[0] || th.Dims[1] != s.Dims[1] || th.Dims[2] != 1 {
			t.Errorf("thumbnail of %v is %v", s.Dims, th.Dims)
		}
		full, err := st.Load(context.Background(), i, Options{})
		if err != nil {
			t.Fatal(err)
		}
		k := s.Dims[2] / 2
		for j := 0; j < s.Dims[1]; j++ {
			for ii := 0; ii < s.Dims[0]; ii++ {
				if th.Value(ii, j, 0) != full.Value(ii, j, k) {
					t.Fatalf("thumbnail voxel (%d,%d) differs from slice %d", ii, j, k)
				}
			}
		}
		if p := full.IndexToLPS([3]float64{0, 0, float64(k)}); p != th.Origin {
			t.Errorf("thumbnail origin %v, slice %d is at %v", th.Origin, k, p)
		}
	}
	if _, err := st.Load(context.Background(), 5, Options{}); err == nil {
		t.Error("series 5 of 2 loaded")
	}
}

func TestOpenNIfTI(t *testing.T) {
	p := filepath.Join("..", "..", "..", "shared", "data", "ct-abdomen-small", "example_ct_sm.nii.gz")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference data %s not present: %v", p, err)
	}
	st, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Series) != 1 || st.FromDICOM(0) || st.Series[0].Dims != [3]int{122, 101, 30} || st.Series[0].Format != "nifti" {
		t.Fatalf("%+v", st.Series)
	}
}

// A 4D NIfTI and a multi-volume DICOM series open as one series of
// several volumes, loaded one at a time: the same values either way
// (the NIfTI is dcm2niix's conversion of the DICOM, rows bottom-up).
func TestOpenMultiVolume(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "conformance", "geometry")
	nii, err := Open(context.Background(), filepath.Join(dir, "fmri-dcm2niix.nii.gz"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dcm, err := Open(context.Background(), filepath.Join(dir, "fmri"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*Study{nii, dcm} {
		if s := st.Series[0]; s.Volumes != 4 || s.TimeStep != 2 {
			t.Fatalf("%s: %d volumes, time step %v", st.Path, s.Volumes, s.TimeStep)
		}
	}
	for vt := 0; vt < 4; vt++ {
		a, err := nii.Load(context.Background(), 0, Options{Volume: vt})
		if err != nil {
			t.Fatal(err)
		}
		b, err := dcm.Load(context.Background(), 0, Options{Volume: vt})
		if err != nil {
			t.Fatal(err)
		}
		// voxel (3, 2, 1): NIfTI row 2 is DICOM row 9 of 12.
		if got, want := a.Value(3, 2, 1), b.Value(3, 9, 1); got != want || want != float64(1000*vt+100+90+3) {
			t.Errorf("volume %d: NIfTI %v, DICOM %v", vt, got, want)
		}
	}
	if _, err := nii.Load(context.Background(), 0, Options{Volume: 4}); err == nil {
		t.Error("a fifth volume loads")
	}
}
