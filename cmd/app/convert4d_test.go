package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer/nifti"
)

func geometryFixture(name string) string {
	return filepath.Join("..", "..", "testdata", "conformance", "geometry", name)
}

// A 4-volume fMRI-like DICOM series converts to one 4D NIfTI voxel-equal
// to dcm2niix's (committed reference), with its TR as pixdim[4]; `info`
// says how many volumes there are and what tells them apart; and a 4D
// NIfTI converts to a 4D NIfTI with every volume.
func TestConvertMultiVolumeMatchesDcm2niix(t *testing.T) {
	ref := geometryFixture("fmri-dcm2niix.nii.gz")
	code, stdout, stderr := cli(t, "info", geometryFixture("fmri"))
	if code != 0 {
		t.Fatalf("info: %s", stderr)
	}
	var info struct {
		Series []struct {
			Volumes      int      `json:"volumes"`
			VolumeVaries []string `json:"volume_varies"`
			TimeStep     float64  `json:"time_step_s"`
			VolumeInfo   []struct {
				Label string `json:"label"`
			} `json:"volume_info"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(stdout), &info); err != nil {
		t.Fatal(err)
	}
	if s := info.Series; len(s) != 1 || s[0].Volumes != 4 || strings.Join(s[0].VolumeVaries, ",") != "time" || s[0].TimeStep != 2 || s[0].VolumeInfo[3].Label != "t=+6.00 s" {
		t.Fatalf("info: %s", stdout)
	}

	dir := t.TempDir()
	for _, c := range []struct{ name, in string }{
		{"dicom", geometryFixture("fmri")},
		{"nifti", ref}, // 4D in, 4D out
	} {
		out := filepath.Join(dir, c.name+".nii.gz")
		if code, _, stderr := cli(t, "convert", c.in, out); code != 0 {
			t.Fatalf("%s: convert: %s", c.name, stderr)
		}
		h, err := nifti.ReadHeader(out)
		if err != nil {
			t.Fatal(err)
		}
		if step, ok := h.TimeStep(); h.NumVolumes() != 4 || !ok || step != 2 {
			t.Fatalf("%s: %d volumes, time step %v %v", c.name, h.NumVolumes(), step, ok)
		}
		for vt := 0; vt < 4; vt++ {
			got, err := nifti.ReadVolume(out, vt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := nifti.ReadVolume(ref, vt)
			if err != nil {
				t.Fatal(err)
			}
			if got.Dims != want.Dims {
				t.Fatalf("%s volume %d: dims %v, dcm2niix %v", c.name, vt, got.Dims, want.Dims)
			}
			for i := 0; i < got.Data.Len(); i++ {
				if got.Data.At(i) != want.Data.At(i) {
					t.Fatalf("%s volume %d voxel %d: %v, dcm2niix %v", c.name, vt, i, got.Data.At(i), want.Data.At(i))
				}
			}
			ga, wa := got.AffineRAS(), want.AffineRAS()
			for r := 0; r < 3; r++ {
				for col := 0; col < 4; col++ {
					if math.Abs(ga[r][col]-wa[r][col]) > 1e-4 {
						t.Fatalf("%s: affine %v, dcm2niix %v", c.name, ga, wa)
					}
				}
			}
		}
	}
}

// A Siemens mosaic series of three volumes converts to 8×6×4×3: every
// mosaic de-mosaicked into its tiles.
func TestConvertMosaicVolumes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.nii")
	if code, _, stderr := cli(t, "convert", geometryFixture("mosaic4d"), out); code != 0 {
		t.Fatalf("convert: %s", stderr)
	}
	h, err := nifti.ReadHeader(out)
	if err != nil {
		t.Fatal(err)
	}
	if h.Dims() != [3]int{8, 6, 4} || h.NumVolumes() != 3 {
		t.Fatalf("dims %v × %d volumes", h.Dims(), h.NumVolumes())
	}
	for vt := 0; vt < 3; vt++ {
		v, err := nifti.ReadVolume(out, vt)
		if err != nil {
			t.Fatal(err)
		}
		// Rows are stored bottom-up (dcm2niix's order): voxel (i, j) of
		// the file is DICOM row 5-j.
		for k := 0; k < 4; k++ {
			if got, want := v.Value(3, 0, k), float64(1000*vt+100*k+10*5+3); got != want {
				t.Errorf("volume %d tile %d: %v, want %v", vt, k, got, want)
			}
		}
	}
}
