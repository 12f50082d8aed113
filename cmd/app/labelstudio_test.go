package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/project"
	"delineate/project/labelstudio"
	"delineate/viewer/nifti"
)

// annotate turns an export's tasks.json into a Label Studio JSON export in
// which annotator 12 accepted every prediction unchanged.
func annotate(t *testing.T, tasksPath, out string) {
	t.Helper()
	tasks, err := labelstudio.ReadTasks(tasksPath)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tasks {
		tasks[i].ID = 50 + i
		tasks[i].Annotations = []labelstudio.Annotation{{ID: i + 1, CompletedBy: json.RawMessage(`{"id": 12, "email": "a@b"}`), UpdatedAt: "2026-12-03T10:00:00Z", Result: tasks[i].Predictions[0].Result}}
		tasks[i].Predictions = nil
		tasks[i].Meta = nil // Label Studio exports keep data; the meta copy in data is enough
	}
	b, _ := json.Marshal(tasks)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The real J2K CT series with its TotalSegmentator reference labels:
// export → (accepted unchanged in Label Studio) → pull --image --out
// gives the same voxels, on the image's grid; an existing output is not
// overwritten.
func TestLabelStudioExportPullCLI(t *testing.T) {
	series := sharedData(t, "ct-dicom-series-j2k")
	ref := sharedData(t, "ct-dicom-series-reference/example_seg_dicom.nii.gz")
	names := sharedData(t, "ct-abdomen/labels_total_v2.json")
	work := t.TempDir()
	out := filepath.Join(work, "ls")
	code, stdout, errs := cli(t, "export", "labelstudio", series, "--labels", ref, "--names", names, "--out", out, "--model-version", "ref", "--window", "soft")
	if code != 0 {
		t.Fatalf("export: %s", errs)
	}
	if !strings.Contains(stdout, "20 tasks") {
		t.Errorf("export said %q", stdout)
	}
	raw, _ := os.ReadFile(filepath.Join(out, "tasks.json"))
	for _, bad := range []string{"1.3.12.2.1107", "CT.1.3"} { // no UIDs or source file names
		if strings.Contains(string(raw), bad) {
			t.Errorf("tasks.json carries %q", bad)
		}
	}
	if code, _, _ := cli(t, "export", "labelstudio", series, "--labels", ref, "--out", out); code == 0 {
		t.Error("a second export overwrote the first")
	}
	exp := filepath.Join(work, "export.json")
	annotate(t, filepath.Join(out, "tasks.json"), exp)
	back := filepath.Join(work, "back.nii.gz")
	code, stdout, errs = cli(t, "labelstudio", "pull", "--from-file", exp, "--image", series, "--out", back)
	if code != 0 {
		t.Fatalf("pull: %s", errs)
	}
	if !strings.Contains(stdout, "annotator 12") || strings.Contains(stdout, "a@b") {
		t.Errorf("pull said %q", stdout)
	}
	a, err := nifti.Read(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := nifti.Read(back)
	if err != nil {
		t.Fatal(err)
	}
	if a.Dims != b.Dims || a.Direction != b.Direction {
		t.Fatalf("grid %v %v vs reference %v %v", b.Dims, b.Direction, a.Dims, a.Direction)
	}
	diff := 0
	for i := 0; i < a.Data.Len(); i++ {
		if a.Data.At(i) != b.Data.At(i) {
			diff++
		}
	}
	if diff != 0 {
		t.Errorf("%d voxels differ from the reference after export → pull", diff)
	}
	if code, _, errs := cli(t, "labelstudio", "pull", "--from-file", exp, "--image", series, "--out", back); code == 0 || !strings.Contains(errs, "exists") {
		t.Errorf("pull over an existing file: exit %d, %s", code, errs)
	}
}

// Into a project: the annotations land as a prediction to review (the
// case's labels are untouched), with the annotator in its source.
func TestLabelStudioPullIntoProject(t *testing.T) {
	series := sharedData(t, "ct-dicom-series-j2k")
	ref := sharedData(t, "ct-dicom-series-reference/example_seg_dicom.nii.gz")
	work := t.TempDir()
	dir := filepath.Join(work, "proj")
	if code, _, errs := cli(t, "project", "new", dir, "--from", ref); code != 0 {
		t.Fatalf("new: %s", errs)
	}
	if code, _, errs := cli(t, "project", "add", dir, series, "--labels", ref, "--status", "needs-review"); code != 0 {
		t.Fatalf("add: %s", errs)
	}
	out := filepath.Join(work, "ls")
	if code, _, errs := cli(t, "export", "labelstudio", dir, "--out", out, "--plane", "coronal", "--slices", "200:260"); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	exp := filepath.Join(work, "export.json")
	annotate(t, filepath.Join(out, "tasks.json"), exp)
	labelsBefore, _ := os.ReadFile(filepath.Join(dir, "labels", "case_0001.nii.gz"))
	code, stdout, errs := cli(t, "labelstudio", "pull", "--from-file", exp, "--into", dir)
	if code != 0 {
		t.Fatalf("pull: %s", errs)
	}
	if !strings.Contains(stdout, "case_0001: annotated in Label Studio by annotator 12") {
		t.Errorf("pull said %q", stdout)
	}
	p, err := project.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := p.Case("case_0001")
	if len(c.Predictions) != 1 || c.Predictions[0].Model != "Label Studio" || !strings.Contains(c.Predictions[0].Source, "61 slices") {
		t.Fatalf("predictions %+v", c.Predictions)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "labels", "case_0001.nii.gz")); string(after) != string(labelsBefore) {
		t.Error("the pull changed the case's labels")
	}
	// Unchanged annotations: the prediction equals the labels.
	pr, err := nifti.Read(p.Resolve(c.Predictions[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := nifti.Read(p.Resolve(c.Labels))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < lab.Data.Len(); i++ {
		if lab.Data.At(i) != pr.Data.At(i) {
			t.Fatalf("voxel %d: prediction %v, labels %v", i, pr.Data.At(i), lab.Data.At(i))
		}
	}
}

// A bad export file is a clear error, not a panic; a base64 PNG in "rle"
// says what is wrong.
func TestLabelStudioPullBadInput(t *testing.T) {
	work := t.TempDir()
	bad := filepath.Join(work, "bad.json")
	os.WriteFile(bad, []byte(`[{"data": {"image": "x.png"}, "annotations": [{"result": [{"type": "brushlabels", "from_name": "tag", "to_name": "image", "value": {"format": "rle", "rle": "iVBORw0KGgo=", "brushlabels": ["liver"]}}]}]}]`), 0o644)
	code, _, errs := cli(t, "labelstudio", "pull", "--from-file", bad, "--image", "x.nii.gz", "--out", filepath.Join(work, "o.nii.gz"))
	if code != 1 || !strings.Contains(errs, "base64 PNG is not an RLE") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
