package nnunet

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
	"delineate/viewer/nifti"
)

// fixture is a small, valid two-case CT dataset; each test breaks it in
// one way and expects nnU-Net's message for that.
type fixture struct {
	t    *testing.T
	root string
	json map[string]any
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, root: filepath.Join(t.TempDir(), "Dataset001_Test")}
	for _, d := range []string{"imagesTr", "labelsTr"} {
		os.MkdirAll(filepath.Join(f.root, d), 0o755)
	}
	f.json = map[string]any{"channel_names": map[string]string{"0": "CT"},
		"labels": json.RawMessage(`{"background": 0, "liver": 1, "spleen": 2}`), "numTraining": 2, "file_ending": ".nii.gz"}
	for _, c := range []string{"case_0001", "case_0002"} {
		f.image(c+"_0000", viewer.Geometry{Dims: [3]int{6, 5, 4}, Spacing: viewer.Vec3{0.8, 0.8, 2}, Direction: viewer.Identity3}, nil)
		f.label(c, viewer.Geometry{Dims: [3]int{6, 5, 4}, Spacing: viewer.Vec3{0.8, 0.8, 2}, Direction: viewer.Identity3}, []uint8{0, 1, 2})
	}
	f.write()
	return f
}

func (f *fixture) write() {
	b, _ := json.MarshalIndent(f.json, "", " ")
	os.WriteFile(filepath.Join(f.root, "dataset.json"), b, 0o644)
}

func (f *fixture) image(name string, g viewer.Geometry, vals []float32) {
	v, err := viewer.NewVolume(g, viewer.Float32)
	if err != nil {
		f.t.Fatal(err)
	}
	d := v.Data.Raw().([]float32)
	for i := range d {
		d[i] = float32(i%50) - 20
	}
	copy(d, vals)
	if err := nifti.Write(filepath.Join(f.root, "imagesTr", name+".nii.gz"), v, nifti.WriteOptions{Overwrite: true}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) label(name string, g viewer.Geometry, ids []uint8) {
	v, err := viewer.NewVolume(g, viewer.Uint8)
	if err != nil {
		f.t.Fatal(err)
	}
	d := v.Data.Raw().([]uint8)
	for i := range d {
		d[i] = ids[i%len(ids)]
	}
	if err := nifti.Write(filepath.Join(f.root, "labelsTr", name+".nii.gz"), v, nifti.WriteOptions{Overwrite: true}); err != nil {
		f.t.Fatal(err)
	}
}

func expect(t *testing.T, r *Report, want string) {
	t.Helper()
	if r.OK() {
		t.Fatalf("verified OK; want the error %q", want)
	}
	for _, f := range r.Findings {
		if f.Error && strings.Contains(f.Message, want) {
			return
		}
	}
	t.Errorf("no error containing %q in %+v", want, r.Findings)
}

var grid = viewer.Geometry{Dims: [3]int{6, 5, 4}, Spacing: viewer.Vec3{0.8, 0.8, 2}, Direction: viewer.Identity3}

func TestValidFixture(t *testing.T) {
	r := Verify(newFixture(t).root)
	if !r.OK() || r.Cases != 2 {
		t.Fatalf("valid fixture: %+v", r)
	}
}

func TestEachRuleHasItsMessage(t *testing.T) {
	cases := map[string]struct {
		breakIt func(f *fixture)
		want    string
	}{
		"no dataset.json": {func(f *fixture) { os.Remove(filepath.Join(f.root, "dataset.json")) }, "There needs to be a dataset.json file in folder, folder="},
		"no labelsTr":     {func(f *fixture) { os.RemoveAll(filepath.Join(f.root, "labelsTr")) }, "There needs to be a labelsTr subfolder in folder"},
		"no imagesTr":     {func(f *fixture) { os.RemoveAll(filepath.Join(f.root, "imagesTr")) }, "There needs to be a imagesTr subfolder in folder"},
		"missing key": {func(f *fixture) { delete(f.json, "file_ending"); f.write() },
			"not all required keys are present in dataset.json.\n\nRequired: \n['labels', 'channel_names', 'numTraining', 'file_ending']"},
		"wrong count": {func(f *fixture) { f.json["numTraining"] = 3; f.write() },
			"Did not find the expected number of training cases (3). Found 2 instead."},
		"missing label file": {func(f *fixture) { os.Remove(filepath.Join(f.root, "labelsTr", "case_0002.nii.gz")) },
			"not all training cases have a label file in labelsTr. Fix that. Missing: ['case_0002']"},
		"no background": {func(f *fixture) { f.json["labels"] = json.RawMessage(`{"liver": 1, "spleen": 2}`); f.write() },
			"Background label not declared (remember that this should be label 0!)"},
		"background not 0": {func(f *fixture) { f.json["labels"] = json.RawMessage(`{"background": 1, "liver": 2}`); f.write() },
			"Background label must be 0. Your background label: 1"},
		"v1 labels (id → name)": {func(f *fixture) { f.json["labels"] = json.RawMessage(`{"0": "background", "1": "liver"}`); f.write() },
			"Background label not declared (remember that this should be label 0!)"},
		"gap": {func(f *fixture) {
			f.json["labels"] = json.RawMessage(`{"background": 0, "liver": 1, "spleen": 3}`)
			f.write()
		},
			"Labels must be in consecutive order (0, 1, 2, ...). The labels [3] do not satisfy this restriction"},
		"unexpected label": {func(f *fixture) { f.label("case_0001", grid, []uint8{0, 1, 5}) },
			"Error: Unexpected labels found in file "},
		"unexpected label, summary": {func(f *fixture) { f.label("case_0001", grid, []uint8{0, 1, 5}) },
			"Some segmentation images contained unexpected labels. Please check text output above to see which one(s)."},
		"shape": {func(f *fixture) {
			g := grid
			g.Dims[2] = 5
			f.label("case_0002", g, []uint8{0, 1})
		}, "Error: Shape mismatch between segmentation and corresponding images. \nShape images: (4, 5, 6). \nShape seg: (5, 5, 6)."},
		"spacing": {func(f *fixture) {
			g := grid
			g.Spacing[2] = 2.5
			f.label("case_0002", g, []uint8{0, 1})
		}, "Error: Spacing mismatch between segmentation and corresponding images."},
		"channels": {func(f *fixture) {
			f.json["channel_names"] = map[string]string{"0": "CT", "1": "PET"}
			f.write()
		}, "Error: Unexpected number of modalities. \nExpected: 2. \nGot: 1."},
		"NaN in image": {func(f *fixture) { f.image("case_0001_0000", grid, []float32{float32(math.NaN())}) },
			"Images contain NaN pixel values. You need to fix that by replacing NaN values with something that makes sense for your images!"},
		"any image error, summary": {func(f *fixture) { f.image("case_0001_0000", grid, []float32{float32(math.NaN())}) },
			"Some images have errors. Please check text output above to see which one(s) and what's going on."},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			c.breakIt(f)
			expect(t, Verify(f.root), c.want)
		})
	}
}

// Origin and direction differences only warn, as in nnU-Net.
func TestOriginMismatchWarns(t *testing.T) {
	f := newFixture(t)
	g := grid
	g.Origin = viewer.Vec3{5, 0, 0}
	f.label("case_0001", g, []uint8{0, 1})
	r := Verify(f.root)
	if !r.OK() {
		t.Fatalf("an origin difference failed the dataset: %+v", r.Findings)
	}
	if len(r.Findings) != 1 || !strings.HasPrefix(r.Findings[0].Message, "Warning: Origin mismatch between segmentation and corresponding images.") {
		t.Errorf("findings %+v", r.Findings)
	}
}
