package main

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
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

// A later volume of another type is converted when the file's type holds
// its values, and refused (errWiderType: load4D then starts over with a
// wider type) when it does not, leaving no file behind.
func TestWriteVolumesTypes(t *testing.T) {
	g := viewer.Geometry{Dims: [3]int{2, 2, 1}, Spacing: viewer.Vec3{1, 1, 1}, Direction: viewer.Identity3}
	vol := func(typ viewer.DataType, vals ...float64) *viewer.Volume {
		v, err := viewer.NewVolume(g, typ)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range vals {
			switch d := v.Data.Raw().(type) {
			case []uint8:
				d[i] = uint8(x)
			case []int16:
				d[i] = int16(x)
			}
		}
		return v
	}
	dir := t.TempDir()
	wopt := nifti.WriteOptions{Volumes: 2, NoSync: true}
	out := filepath.Join(dir, "fits.nii")
	first, second := vol(viewer.Int16, -5, 0, 1, 2), vol(viewer.Uint8, 7, 8, 9, 200)
	if err := writeVolumes(out, first, viewer.Int16, wopt, func(int) (*viewer.Volume, error) { return second, nil }, func(int) {}); err != nil {
		t.Fatal(err)
	}
	v, err := nifti.ReadVolume(out, 1)
	if err != nil || v.Data.Type() != viewer.Int16 && v.Data.Type() != viewer.Uint8 || v.Data.At(3) != 200 {
		t.Fatalf("second volume %v: %v", v, err)
	}
	out = filepath.Join(dir, "wider.nii")
	first, second = vol(viewer.Uint8, 1, 2, 3, 4), vol(viewer.Int16, -300, 0, 1, 2)
	err = writeVolumes(out, first, viewer.Uint8, wopt, func(int) (*viewer.Volume, error) { return second, nil }, func(int) {})
	if !errors.Is(err, errWiderType) {
		t.Fatalf("int16 values into uint8: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused conversion left %s", out)
	}
}
