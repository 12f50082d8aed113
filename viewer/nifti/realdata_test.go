package nifti

import (
	"os"
	"path/filepath"
	"testing"

	"delineate/viewer"
)

// sharedData is the repository's sibling ../shared/data, which holds real
// scanner data that is not part of the repository.
const sharedData = "../../../shared/data"

func sharedFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(sharedData, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real test data not available (%s): it lives in ../shared/data next to the repository", p)
	}
	return p
}

// The expected numbers below were computed independently of this package:
// dims, datatype and affines with nibabel 5.0 (img.shape, header datatype,
// img.affine), and the voxel statistics with numpy directly on the raw
// bytes (np.frombuffer(gunzipped, dtype, offset=vox_offset), times scl_slope
// plus scl_inter; voxel (i,j,k) is element i + nx*(j + ny*k)). wsum is
// Σ v[n]·(n mod 7 + 1) over the flat array, which catches permuted or
// shifted data that a plain sum would not.
var realFiles = []struct {
	rel        string
	dims       [3]int
	typ        viewer.DataType
	affine     viewer.Mat4
	min, max   float64
	sum, wsum  float64
	probe      [3]int
	probeValue float64
	first      float64
	last       float64
}{
	{
		rel: "ct-abdomen/example_ct.nii.gz", dims: [3]int{122, 101, 112}, typ: viewer.Int16, // int32 on disk
		affine: viewer.Mat4{{3, 0, 0, -177.95632934570312}, {0, 3, 0, 11.319000244140625}, {0, 0, 3, 94.3017578125}, {0, 0, 0, 1}},
		min:    -1207, max: 3382, sum: -496851173, wsum: -1987543183,
		probe: [3]int{61, 33, 56}, probeValue: 7, first: -1023, last: -997,
	},
	{
		rel: "ct-abdomen/example_seg_fast_force_split.nii.gz", dims: [3]int{122, 101, 112}, typ: viewer.Uint8,
		affine: viewer.Mat4{{3, 0, 0, -177.95632934570312}, {0, 3, 0, 11.319000244140625}, {0, 0, 3, 94.3017578125}, {0, 0, 0, 1}},
		min:    0, max: 117, sum: 15188945, wsum: 60719070,
		probe: [3]int{61, 33, 56}, probeValue: 79, first: 0, last: 0,
	},
	{
		rel: "ct-abdomen-small/example_ct_sm.nii.gz", dims: [3]int{122, 101, 30}, typ: viewer.Int16,
		affine: viewer.Mat4{{3, 0, 0, -177.95632934570312}, {0, 3, 0, 11.319000244140625}, {0, 0, 3, 94.3017578125}, {0, 0, 0, 1}},
		min:    -1100, max: 1207, sum: -130894872, wsum: -523624416,
		probe: [3]int{61, 33, 15}, probeValue: 71, first: -1024, last: -997,
	},
	{
		rel: "ct-abdomen-small/example_seg.nii.gz", dims: [3]int{122, 101, 30}, typ: viewer.Uint8,
		affine: viewer.Mat4{{3, 0, 0, -177.95632934570312}, {0, 3, 0, 11.319000244140625}, {0, 0, 3, 94.3017578125}, {0, 0, 0, 1}},
		min:    0, max: 117, sum: 2734697, wsum: 10940831,
		probe: [3]int{61, 33, 15}, probeValue: 31, first: 0, last: 0,
	},
	{
		// int16 stored with scl_inter −1024: the rescaled HU still fit int16.
		rel: "ct-dicom-series-reference/example_ct_dicom_dcm2niix.nii.gz", dims: [3]int{512, 512, 20}, typ: viewer.Int16,
		affine: viewer.Mat4{{-0.9765625, 0, 0, 249.51171875}, {0, 0.9765625, 0, -61.51171875}, {0, 0, 2, -804.5}, {0, 0, 0, 1}},
		min:    -1024, max: 1839, sum: -3272217339, wsum: -13088768577,
		probe: [3]int{256, 170, 10}, probeValue: 115, first: -1024, last: -1024,
	},
	{
		rel: "ct-dicom-series-reference/example_seg_dicom.nii.gz", dims: [3]int{512, 512, 20}, typ: viewer.Uint8,
		affine: viewer.Mat4{{-0.9765625, 0, 0, 249.51171875}, {0, 0.9765625, 0, -61.51171875}, {0, 0, 2, -804.5}, {0, 0, 0, 1}},
		min:    0, max: 117, sum: 14229599, wsum: 56919805,
		probe: [3]int{256, 170, 10}, probeValue: 33, first: 0, last: 0,
	},
	{
		// Uncompressed, oblique.
		rel: "dicom-transfer-syntaxes/Ref/1.nii", dims: [3]int{64, 64, 35}, typ: viewer.Int16,
		affine: viewer.Mat4{
			{-3.25, 3.250000038259134e-16, -3.8879768499760497e-17, 104.0},
			{3.250000038259134e-16, 3.2309906482696533, -0.38879767060279846, -58.68431091308594},
			{0, 0.3509978950023651, 3.5789432525634766, -84.79803466796875},
			{0, 0, 0, 1}},
		min: 0, max: 2362, sum: 38036663, wsum: 152174236,
		probe: [3]int{32, 21, 17}, probeValue: 792, first: 0, last: 14,
	},
	{
		// The second and third voxel axes are swapped relative to RAS.
		rel: "mr-brain/t1_crop.nii.gz", dims: [3]int{256, 256, 256}, typ: viewer.Uint8,
		affine: viewer.Mat4{{-1, 0, 0, 127.5999984741211}, {0, 0, 1, -133.48001098632812}, {0, -1, 0, 134.47999572753906}, {0, 0, 0, 1}},
		min:    0, max: 255, sum: 279078935, wsum: 1116327926,
		probe: [3]int{128, 85, 128}, probeValue: 81, first: 0, last: 0,
	},
	{
		rel: "mr-abdomen-small/example_mr_sm.nii.gz", dims: [3]int{117, 91, 20}, typ: viewer.Int16,
		affine: viewer.Mat4{{-3, 0, 0, 168.59963989257812}, {0, -3, 0, 166.35943603515625}, {0, 0, 3, 28.989641189575195}, {0, 0, 0, 1}},
		min:    -47, max: 833, sum: 41238711, wsum: 164735756,
		probe: [3]int{58, 30, 10}, probeValue: 162, first: 0, last: 0,
	},
	{
		rel: "mr-abdomen-small/example_seg_mr.nii.gz", dims: [3]int{117, 91, 20}, typ: viewer.Uint8,
		affine: viewer.Mat4{{-3, 0, 0, 168.59963989257812}, {0, -3, 0, 166.35943603515625}, {0, 0, 3, 28.989641189575195}, {0, 0, 0, 1}},
		min:    0, max: 49, sum: 576795, wsum: 2307086,
		probe: [3]int{58, 30, 10}, probeValue: 0, first: 0, last: 0,
	},
}

func TestRealData(t *testing.T) {
	for _, tc := range realFiles {
		t.Run(filepath.Base(tc.rel), func(t *testing.T) {
			p := sharedFile(t, tc.rel)
			v, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if v.Dims != tc.dims {
				t.Errorf("dims %v, want %v", v.Dims, tc.dims)
			}
			if v.Data.Type() != tc.typ {
				t.Errorf("type %v, want %v", v.Data.Type(), tc.typ)
			}
			assertAffine(t, v.AffineRAS(), tc.affine, 1e-4)
			lo, hi := v.Range()
			if lo != tc.min || hi != tc.max {
				t.Errorf("range %g…%g, want %g…%g", lo, hi, tc.min, tc.max)
			}
			var sum, wsum float64
			for n := range v.Data.Len() {
				x := v.Data.At(n)
				sum += x
				wsum += x * float64(n%7+1)
			}
			if sum != tc.sum || wsum != tc.wsum {
				t.Errorf("sum %.0f wsum %.0f, want %.0f %.0f", sum, wsum, tc.sum, tc.wsum)
			}
			if got := v.Value(tc.probe[0], tc.probe[1], tc.probe[2]); got != tc.probeValue {
				t.Errorf("voxel %v = %g, want %g", tc.probe, got, tc.probeValue)
			}
			if got := v.Data.At(0); got != tc.first {
				t.Errorf("first voxel %g, want %g", got, tc.first)
			}
			if got := v.Data.At(v.Data.Len() - 1); got != tc.last {
				t.Errorf("last voxel %g, want %g", got, tc.last)
			}
			if len(v.Warnings) > 0 {
				t.Errorf("unexpected warnings: %q", v.Warnings)
			}

			h, err := ReadHeader(p)
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != 1 || h.Dims() != tc.dims {
				t.Errorf("ReadHeader: version %d dims %v", h.Version, h.Dims())
			}
			aff, _ := h.Affine()
			assertAffine(t, aff, tc.affine, 1e-4)
		})
	}
}

// TestRealDataHeader checks ReadHeader's fields against nibabel on files
// that exercise sform/qform codes and scaling.
func TestRealDataHeader(t *testing.T) {
	p := sharedFile(t, "ct-dicom-series-reference/example_ct_dicom_dcm2niix.nii.gz")
	h, err := ReadHeader(p)
	if err != nil {
		t.Fatal(err)
	}
	// nibabel: datatype 4 (int16), sform 1, qform 1, slope 1, inter −1024,
	// pixdim[0] −1, descrip "Time=140352.457", xyzt_units 10, quatern_c 1.
	if h.Datatype != DTInt16 || h.SformCode != 1 || h.QformCode != 1 || h.SclSlope != 1 || h.SclInter != -1024 ||
		h.Pixdim[0] != -1 || h.Descrip != "Time=140352.457" || h.XYZTUnits != 10 || h.Quatern[1] != 1 || !h.Compressed {
		t.Errorf("header %+v", h)
	}
	// The qform of this file agrees with its sform.
	assertAffine(t, h.QformAffine(), h.SformAffine(), 1e-4)

	p = sharedFile(t, "ct-abdomen/example_seg_fast_force_split.nii.gz")
	h, err = ReadHeader(p)
	if err != nil {
		t.Fatal(err)
	}
	// This file has extensions: vox_offset 13168.
	if h.VoxOffset != 13168 || h.SformCode != 2 || h.QformCode != 0 {
		t.Errorf("header %+v", h)
	}
}

// TestRealDataRoundTrip writes each real file back out and reads it again:
// identical voxels and affine.
func TestRealDataRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range realFiles {
		t.Run(filepath.Base(tc.rel), func(t *testing.T) {
			v, err := Read(sharedFile(t, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, filepath.Base(tc.rel))
			if err := Write(out, v, WriteOptions{Description: "round trip"}); err != nil {
				t.Fatal(err)
			}
			w, err := Read(out)
			if err != nil {
				t.Fatal(err)
			}
			assertSameVoxels(t, w.Data, v.Data)
			assertAffine(t, w.AffineRAS(), v.AffineRAS(), 1e-4)
			if w.Description != "round trip" {
				t.Errorf("description %q", w.Description)
			}
		})
	}
}

func assertSameVoxels(t testing.TB, got, want viewer.VoxelData) {
	t.Helper()
	if got.Type() != want.Type() || got.Len() != want.Len() {
		t.Fatalf("got %v×%d, want %v×%d", got.Type(), got.Len(), want.Type(), want.Len())
	}
	for i := range want.Len() {
		if a, b := got.At(i), want.At(i); a != b && !(a != a && b != b) {
			t.Fatalf("voxel %d: got %g, want %g", i, a, b)
		}
	}
}
