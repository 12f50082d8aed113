package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
	"delineate/viewer/nifti"
)

func sharedData(t testing.TB, sub string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference data %s not present (../shared is beside the repository in CI): %v", p, err)
	}
	return p
}

// cli runs the command in-process and returns exit code, stdout, stderr.
func cli(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

type infoJSON struct {
	Series []struct {
		UID         string      `json:"uid"`
		Modality    string      `json:"modality"`
		Dims        [3]int      `json:"dims"`
		Spacing     viewer.Vec3 `json:"spacing"`
		Origin      viewer.Vec3 `json:"origin"`
		Direction   viewer.Mat3 `json:"direction"`
		Files       int         `json:"files"`
		Warnings    []string    `json:"warnings"`
		PatientName string      `json:"patient_name"`
		PatientID   string      `json:"patient_id"`
	} `json:"series"`
	Warnings []string `json:"warnings"`
}

func TestInfoJ2KSeries(t *testing.T) {
	dir := sharedData(t, "ct-dicom-series-j2k")
	code, out, stderr := cli(t, "info", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var info infoJSON
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("info is not JSON: %v\n%s", err, out)
	}
	if len(info.Series) != 1 {
		t.Fatalf("%d series, want 1 (empty UIDs must still group)", len(info.Series))
	}
	s := info.Series[0]
	if s.Dims != [3]int{512, 512, 20} || s.Files != 20 || s.Modality != "CT" {
		t.Errorf("series %+v", s)
	}
	if math.Abs(s.Spacing[2]-2) > 1e-6 {
		t.Errorf("slice spacing %v, want 2 (from positions, not SliceThickness 3)", s.Spacing[2])
	}
	if s.PatientName != "" || s.PatientID != "" || strings.Contains(out, "patient_") {
		t.Errorf("info leaked patient identity without --phi")
	}
}

// convert gives dcm2niix's voxels and affine, and the reference
// segmentation lines up with the result.
func TestConvertParityWithDcm2niix(t *testing.T) {
	dir := sharedData(t, "ct-dicom-series-j2k")
	ref := sharedData(t, "ct-dicom-series-reference")
	out := filepath.Join(t.TempDir(), "out.nii.gz")
	if code, _, stderr := cli(t, "convert", dir, out); code != 0 {
		t.Fatalf("convert: exit %d: %s", code, stderr)
	}
	got, err := nifti.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := nifti.Read(filepath.Join(ref, "example_ct_dicom_dcm2niix.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Dims != want.Dims || got.Data.Type() != want.Data.Type() {
		t.Fatalf("dims %v %v, want %v %v", got.Dims, got.Data.Type(), want.Dims, want.Data.Type())
	}
	g, w := got.Data.Raw().([]int16), want.Data.Raw().([]int16)
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("voxel %d: %d, dcm2niix %d", i, g[i], w[i])
		}
	}
	ga, wa := got.AffineRAS(), want.AffineRAS()
	for r := 0; r < 3; r++ {
		for c := 0; c < 4; c++ {
			if math.Abs(ga[r][c]-wa[r][c]) > 1e-3 {
				t.Errorf("affine[%d][%d] %.5f, dcm2niix %.5f", r, c, ga[r][c], wa[r][c])
			}
		}
	}
	seg, err := nifti.Read(filepath.Join(ref, "example_seg_dicom.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !seg.SameGrid(got.Geometry, 1e-3) {
		t.Errorf("segmentation grid %+v does not line up with the conversion %+v", seg.Geometry, got.Geometry)
	}
	// Refuses to overwrite, then overwrites with --force.
	if code, _, stderr := cli(t, "convert", dir, out); code == 0 || !strings.Contains(stderr, "exists") {
		t.Errorf("second convert: exit %d, stderr %q; want a refusal to overwrite", code, stderr)
	}
	if code, _, stderr := cli(t, "convert", dir, out, "--force"); code != 0 {
		t.Errorf("convert --force: %s", stderr)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// render writes one pixel per voxel with the exact window formula, oriented
// radiologically: checked against the voxel values of the raw series.
func TestRenderAxialMatchesFormula(t *testing.T) {
	dir := sharedData(t, "ct-dicom-series-raw")
	out := filepath.Join(t.TempDir(), "ax.png")
	if code, _, stderr := cli(t, "render", dir, "--plane", "axial", "--index", "7", "--window", "40,400", "--out", out); code != 0 {
		t.Fatalf("render: %s", stderr)
	}
	img := readPNG(t, out).(*image.Gray)
	if img.Bounds().Dx() != 512 || img.Bounds().Dy() != 512 {
		t.Fatalf("size %v", img.Bounds())
	}
	vol, _, err := openVolume(context.Background(), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Identity direction: image x = i (patient right→left), y = j
	// (anterior→posterior), so pixel (x,y) is voxel (x,y,7).
	for _, p := range [][2]int{{0, 0}, {256, 256}, {100, 300}, {511, 511}, {300, 120}} {
		v := vol.Value(p[0], p[1], 7)
		want := uint8(math.Round(math.Max(0, math.Min(1, (v-(40-200))/400)) * 255))
		if got := img.GrayAt(p[0], p[1]).Y; got != want {
			t.Errorf("pixel %v: %d, want %d (HU %v)", p, got, want, v)
		}
	}
}

func TestRenderWithLabelsFromDcm2niixGrid(t *testing.T) {
	dir := sharedData(t, "ct-dicom-series-j2k")
	seg := filepath.Join(sharedData(t, "ct-dicom-series-reference"), "example_seg_dicom.nii.gz")
	out := filepath.Join(t.TempDir(), "ov.png")
	code, _, stderr := cli(t, "render", dir, "--plane", "axial", "--index", "10", "--window", "soft", "--labels", seg, "--opacity", "1", "--out", out)
	if code != 0 {
		t.Fatalf("render with labels: %s", stderr)
	}
	img := readPNG(t, out)
	coloured := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r != g || g != bb {
				coloured++
			}
		}
	}
	if coloured < 1000 {
		t.Errorf("only %d coloured pixels: labels not drawn", coloured)
	}
}

func TestCLIErrors(t *testing.T) {
	tmp := t.TempDir()
	junk := filepath.Join(tmp, "junk.txt")
	os.WriteFile(junk, []byte("not an image"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"info", filepath.Join(tmp, "missing")}, "no such file"},
		{[]string{"info", junk}, "no DICOM images"},
		{[]string{"convert", tmp, filepath.Join(tmp, "x.png")}, "must end in .nii"},
		{[]string{"render", tmp}, "--out is required"},
		{[]string{"bogus"}, "unknown command"},
	}
	for _, c := range cases {
		code, out, stderr := cli(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || out != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q, want failure mentioning %q", c.args, code, out, stderr, c.want)
		}
	}
}
