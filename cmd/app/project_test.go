package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
