package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
	"delineate/viewer/labels"
	"delineate/viewer/nifti"
)

// The SEG fixtures: testdata/make_conformance_seg.py.
var segFixtures = filepath.Join("..", "..", "testdata", "conformance", "seg")

type segCase struct {
	Own *struct {
		Dims   [3]int      `json:"dims"`
		Origin viewer.Vec3 `json:"origin"`
		Labels []int       `json:"labels"`
	} `json:"own"`
	Series struct {
		Labels []int `json:"labels"`
	} `json:"series"`
}

func segExpected(t *testing.T) map[string]segCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(segFixtures, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Cases map[string]segCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e.Cases
}

// `convert SEG OUT.nii.gz` writes the segments on the frames' own grid in
// the layout `convert` gives the series (rows bottom-up), with the names
// and colours beside it.
func TestConvertSEG(t *testing.T) {
	cases := segExpected(t)
	dir := t.TempDir()
	ct := filepath.Join(dir, "ct.nii.gz")
	if code, _, stderr := cli(t, "convert", filepath.Join(segFixtures, "series"), ct); code != 0 {
		t.Fatalf("convert series: exit %d: %s", code, stderr)
	}
	ctv, err := nifti.Read(ct)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"seg-binary.dcm", "seg-fractional.dcm"} {
		c := cases[name]
		out := filepath.Join(dir, strings.TrimSuffix(name, ".dcm")+".nii.gz")
		code, _, stderr := cli(t, "convert", filepath.Join(segFixtures, name), out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		v, err := nifti.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		if v.Dims != c.Own.Dims {
			t.Fatalf("%s: dims %v, want %v", name, v.Dims, c.Own.Dims)
		}
		// Rows bottom-up: NIfTI voxel (i, j, k) is the SEG's (i, rows-1-j, k).
		nx, ny := v.Dims[0], v.Dims[1]
		for k := 0; k < v.Dims[2]; k++ {
			for j := 0; j < ny; j++ {
				for i := 0; i < nx; i++ {
					want := c.Own.Labels[i+nx*(ny-1-j+ny*k)]
					if got := int(v.Value(i, j, k)); got != want {
						t.Fatalf("%s: voxel (%d,%d,%d) = %d, want %d", name, i, j, k, got, want)
					}
				}
			}
		}
		// Each label voxel is where the series' voxel is: same affine,
		// shifted by the slices the SEG starts after.
		for _, p := range []viewer.Vec3{{0, 0, 0}, {float64(nx - 1), float64(ny - 1), float64(v.Dims[2] - 1)}} {
			got := v.IndexToLPS(p)
			idx := ctv.LPSToIndex(got)
			want := viewer.Vec3{p[0], p[1], p[2] + float64(ctv.Dims[2]-v.Dims[2])}
			for a := 0; a < 3; a++ {
				if d := idx[a] - want[a]; d > 1e-4 || d < -1e-4 {
					t.Errorf("%s: label voxel %v is at CT index %v, want %v", name, p, idx, want)
				}
			}
		}
		tab, err := labels.ReadTable(strings.TrimSuffix(out, ".nii.gz") + ".labels.txt")
		if err != nil {
			t.Fatalf("%s: names: %v", name, err)
		}
		if l, ok := tab.Get(1); !ok || (l.Name != "Liver" && l.Name != "Probability") || l.Colour.R < 200 {
			t.Errorf("%s: label 1 = %+v", name, l)
		}
		if name == "seg-binary.dcm" {
			if l, ok := tab.Get(2); !ok || l.Name != "Lesion" || l.Colour.G < 230 {
				t.Errorf("label 2 = %+v", l)
			}
			if !strings.Contains(stderr, "more than one segment") {
				t.Errorf("no overlap warning: %s", stderr)
			}
		}
	}
	// Not again without --force (neither file).
	if code, _, stderr := cli(t, "convert", filepath.Join(segFixtures, "seg-binary.dcm"), filepath.Join(dir, "seg-binary.nii.gz")); code == 0 || !strings.Contains(stderr, "exists") {
		t.Errorf("overwrote without --force: exit %d, %s", code, stderr)
	}
	// Unsupported and truncated SEGs are refused with the reason.
	for name, want := range map[string]string{"seg-labelmap.dcm": "LABELMAP is not supported", "seg-truncated.dcm": "truncated"} {
		code, _, stderr := cli(t, "convert", filepath.Join(segFixtures, name), filepath.Join(dir, "x.nii.gz"))
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, %s", name, code, stderr)
		}
	}
}

// `render --labels SEG` draws the segments over the series they were made
// on: exactly the labelled voxels of the slice change colour.
func TestRenderSEGLabels(t *testing.T) {
	want := segExpected(t)["seg-binary.dcm"].Series.Labels
	dir := t.TempDir()
	series := filepath.Join(segFixtures, "series")
	plain, over := filepath.Join(dir, "plain.png"), filepath.Join(dir, "over.png")
	if code, _, stderr := cli(t, "render", series, "--index", "1", "--out", plain); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, _, stderr := cli(t, "render", series, "--index", "1", "--labels", filepath.Join(segFixtures, "seg-binary.dcm"), "--out", over)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "more than one segment") {
		t.Errorf("no overlap warning: %s", stderr)
	}
	a, b := readPNG(t, plain), readPNG(t, over)
	changed := 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				changed++
			}
		}
	}
	labelled := 0
	for _, l := range want[15*13 : 2*15*13] { // slice 1
		if l != 0 {
			labelled++
		}
	}
	if labelled == 0 || changed != labelled {
		t.Errorf("%d pixels changed, %d voxels of slice 1 are labelled", changed, labelled)
	}
	// A SEG whose frames are not the series' size is refused.
	code, _, stderr = cli(t, "render", series, "--labels", filepath.Join(segFixtures, "seg-size-mismatch.dcm"), "--out", filepath.Join(dir, "x.png"))
	if code == 0 || !strings.Contains(stderr, "do not match the series' size") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
