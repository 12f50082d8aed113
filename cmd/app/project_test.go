package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"delineate/project"
	"delineate/viewer/nifti"
)

// The project CLI on real data: new from a label table, add a NIfTI with
// its label map and a DICOM folder, set a status, read the status JSON;
// a label map on the wrong grid and an unknown status are refused and
// leave the project as it was.
func TestProjectCLI(t *testing.T) {
	ct := sharedData(t, "ct-abdomen")
	series := sharedData(t, "ct-dicom-series-raw")
	brain := sharedData(t, "mr-brain/t1_crop.nii.gz")
	dir := filepath.Join(t.TempDir(), "proj")
	if code, _, errs := cli(t, "project", "new", dir, "--labels", filepath.Join(ct, "labels_total_v2.json")); code != 0 {
		t.Fatalf("new: %s", errs)
	}
	if code, _, errs := cli(t, "project", "add", dir, filepath.Join(ct, "example_ct.nii.gz"), "--labels", filepath.Join(ct, "example_seg_fast_force_split.nii.gz"), "--status", "in-progress"); code != 0 {
		t.Fatalf("add: %s", errs)
	}
	if code, _, errs := cli(t, "project", "add", dir, series); code != 0 {
		t.Fatalf("add DICOM: %s", errs)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "project.json"))
	code, _, errs := cli(t, "project", "add", dir, brain, "--labels", filepath.Join(ct, "example_seg_fast_force_split.nii.gz"))
	if code != 1 || !strings.Contains(errs, "not on the image's grid") {
		t.Errorf("labels on the wrong grid: exit %d, %s", code, errs)
	}
	if code, _, errs := cli(t, "project", "set", dir, "case_0002", "--status", "finished"); code != 2 || !strings.Contains(errs, "needs review") {
		t.Errorf("unknown status: exit %d, %s", code, errs)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "project.json")); string(after) != string(before) {
		t.Error("a refused command changed the project file")
	}
	if code, _, errs := cli(t, "project", "set", dir, "case_0002", "--status", "done"); code != 0 {
		t.Fatalf("set: %s", errs)
	}
	code, out, errs := cli(t, "project", "status", dir)
	if code != 0 {
		t.Fatalf("status: %s", errs)
	}
	var s struct {
		Cases    int            `json:"cases"`
		Done     int            `json:"done"`
		ByStatus map[string]int `json:"by_status"`
		List     []struct {
			ID          string `json:"id"`
			Labels      string `json:"labels"`
			LabelsFound bool   `json:"labels_found"`
			ImageFound  bool   `json:"image_found"`
		} `json:"case_list"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.Cases != 2 || s.Done != 1 || s.ByStatus["in progress"] != 1 || !s.List[0].LabelsFound || s.List[0].Labels != "labels/case_0001.nii.gz" || !s.List[1].ImageFound {
		t.Errorf("status %+v", s)
	}
	// The label map was copied into the project byte for byte.
	a, _ := os.ReadFile(filepath.Join(ct, "example_seg_fast_force_split.nii.gz"))
	b, _ := os.ReadFile(filepath.Join(dir, "labels", "case_0001.nii.gz"))
	if len(a) == 0 || string(a) != string(b) {
		t.Error("label map not copied exactly")
	}
	// The project's own table came from the label names file.
	pj, _ := os.ReadFile(filepath.Join(dir, "project.json"))
	if !strings.Contains(string(pj), `"name": "liver"`) {
		t.Error("label table not in the project file")
	}
}

// Project → nnU-Net export → verify, on the real abdominal CT and its
// TotalSegmentator labels: every voxel keeps its label's name through the
// remapping to consecutive ids, image and labels share one grid, and an
// existing dataset is not overwritten.
func TestExportNNUNetRoundTrip(t *testing.T) {
	ct := sharedData(t, "ct-abdomen")
	dir := filepath.Join(t.TempDir(), "proj")
	root := filepath.Join(t.TempDir(), "raw")
	src := filepath.Join(ct, "example_seg_fast_force_split.nii.gz")
	for _, args := range [][]string{
		{"project", "new", dir, "--labels", filepath.Join(ct, "labels_total_v2.json")},
		{"project", "add", dir, filepath.Join(ct, "example_ct.nii.gz"), "--labels", src, "--status", "done"},
	} {
		if code, _, errs := cli(t, args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	if code, _, errs := cli(t, "export", "nnunet", dir, "--out", root, "--id", "3", "--name", "Abdomen"); code != 1 || !strings.Contains(errs, "name the channel") {
		t.Errorf("NIfTI without modality: exit %d, %s", code, errs)
	}
	if code, _, errs := cli(t, "export", "nnunet", dir, "--out", root, "--id", "3", "--name", "Abdomen", "--channel", "CT"); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	ds := filepath.Join(root, "Dataset003_Abdomen")
	if code, out, _ := cli(t, "verify", "nnunet", ds); code != 0 || !strings.Contains(out, "verify_dataset_integrity Done.") {
		t.Errorf("verify: exit %d, %s", code, out)
	}
	if code, _, errs := cli(t, "export", "nnunet", dir, "--out", root, "--id", "3", "--name", "Abdomen", "--channel", "CT"); code != 1 || !strings.Contains(errs, "not overwriting") {
		t.Errorf("second export: exit %d, %s", code, errs)
	}
	var dj struct {
		Channels map[string]string `json:"channel_names"`
		Labels   map[string]int    `json:"labels"`
		Num      int               `json:"numTraining"`
		IDs      map[string]int    `json:"delineate_project_label_ids"`
	}
	b, err := os.ReadFile(filepath.Join(ds, "dataset.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dj); err != nil {
		t.Fatal(err)
	}
	if dj.Num != 1 || dj.Channels["0"] != "CT" || dj.Labels["background"] != 0 {
		t.Errorf("dataset.json %+v", dj)
	}
	name := map[int]string{}
	for n, id := range dj.Labels {
		name[id] = n
	}
	srcName := map[int]string{0: "background"}
	for n, id := range dj.IDs {
		srcName[id] = n
	}
	a, err := nifti.Read(src)
	if err != nil {
		t.Fatal(err)
	}
	e, err := nifti.Read(filepath.Join(ds, "labelsTr", "case_0001.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := nifti.Read(filepath.Join(ds, "imagesTr", "case_0001_0000.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !img.Geometry.SameGrid(e.Geometry, 1e-6) || !a.Geometry.SameGrid(e.Geometry, 1e-6) {
		t.Fatal("image, exported and source labels are not on one grid")
	}
	diff, labelled := 0, 0
	for i := 0; i < a.Data.Len(); i++ {
		s, x := int(a.Data.At(i)), int(e.Data.At(i))
		if s != 0 {
			labelled++
		}
		if srcName[s] != name[x] {
			diff++
		}
	}
	if diff != 0 || labelled == 0 {
		t.Errorf("%d of %d voxels changed label name (%d labelled)", diff, a.Data.Len(), labelled)
	}

	// Import the dataset as a project and export it again: the same
	// labels, ids and voxels.
	back := filepath.Join(t.TempDir(), "back")
	if code, _, errs := cli(t, "import", "nnunet", ds, back); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	if code, _, errs := cli(t, "export", "nnunet", back, "--out", root, "--id", "4", "--name", "Again", "--channel", "CT"); code != 0 {
		t.Fatalf("export of the imported project: %s", errs)
	}
	var dj2 struct {
		Labels map[string]int `json:"labels"`
	}
	b2, _ := os.ReadFile(filepath.Join(root, "Dataset004_Again", "dataset.json"))
	if err := json.Unmarshal(b2, &dj2); err != nil {
		t.Fatal(err)
	}
	for n, id := range dj.Labels {
		if dj2.Labels[n] != id {
			t.Errorf("label %q: id %d after the round trip, was %d", n, dj2.Labels[n], id)
		}
	}
	e2, err := nifti.Read(filepath.Join(root, "Dataset004_Again", "labelsTr", "case_0001.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < e.Data.Len(); i++ {
		if e.Data.At(i) != e2.Data.At(i) {
			t.Fatalf("voxel %d: %v after the round trip, was %v", i, e2.Data.At(i), e.Data.At(i))
		}
	}
}

// The CLI path from a DICOM folder to a verified dataset, with the model
// run in the case's provenance: segment --report, project add --labels
// --report (refused for labels the report did not write), export, verify.
func TestDICOMToDatasetByCLI(t *testing.T) {
	series := sharedData(t, "ct-dicom-series-raw")
	work := t.TempDir()
	seg, rep := filepath.Join(work, "seg.nii.gz"), filepath.Join(work, "run.json")
	if code, _, errs := cli(t, "segment", "--model", "builtin:ct-tissue", series, seg, "--report", rep); code != 0 {
		t.Fatalf("segment: %s", errs)
	}
	dir := filepath.Join(work, "proj")
	if code, _, errs := cli(t, "project", "new", dir, "--from", seg); code != 0 {
		t.Fatalf("new: %s", errs)
	}
	other := filepath.Join(work, "other.nii.gz")
	if err := os.WriteFile(other, []byte("not these labels"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli(t, "project", "add", dir, series, "--labels", other, "--report", rep); code != 1 || !strings.Contains(errs, "describes another output") {
		t.Errorf("report of other labels: exit %d, %s", code, errs)
	}
	if code, _, errs := cli(t, "project", "add", dir, series, "--labels", seg, "--report", rep, "--status", "done"); code != 0 {
		t.Fatalf("add: %s", errs)
	}
	p, err := project.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Cases[0]
	p.Close()
	if len(p.Cases) != 1 || len(c.Provenance.Runs) != 1 {
		t.Fatalf("cases %d, runs %+v", len(p.Cases), c.Provenance.Runs)
	}
	run := c.Provenance.Runs[0]
	if run.Model != "builtin:ct-tissue" || run.Device != "cpu" || len(run.Labels) == 0 || run.Voxels == 0 {
		t.Errorf("recorded run %+v", run)
	}
	if _, err := os.Stat(filepath.Join(dir, run.Report)); err != nil {
		t.Errorf("run report not filed in the project: %v", err)
	}
	for _, id := range run.Labels {
		if s := c.Provenance.Sources[strconv.Itoa(id)]; s != project.FromModel {
			t.Errorf("label %d source %q", id, s)
		}
	}
	root := filepath.Join(work, "raw")
	if code, _, errs := cli(t, "export", "nnunet", dir, "--out", root, "--id", "3", "--name", "Series"); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	if code, out, errs := cli(t, "verify", "nnunet", filepath.Join(root, "Dataset003_Series")); code != 0 || !strings.Contains(out, "1 training cases") {
		t.Errorf("verify: exit %d, %s %s", code, out, errs)
	}
}
