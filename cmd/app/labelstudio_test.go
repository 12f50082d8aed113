package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/project"
	"delineate/project/labelstudio"
	"delineate/project/labelstudio/lstest"
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

// The whole round trip by the CLI against the contract server, on the real
// J2K CT and its reference labels: dry run (nothing that changes the
// server), upload (a person's task skipped), annotate, pull from the
// server into the image's grid; the token (from a 0600 file) is never
// printed.
func TestLabelStudioServerRoundTripCLI(t *testing.T) {
	series := sharedData(t, "ct-dicom-series-j2k")
	ref := sharedData(t, "ct-dicom-series-reference/example_seg_dicom.nii.gz")
	work := t.TempDir()
	out := filepath.Join(work, "ls")
	if code, _, errs := cli(t, "export", "labelstudio", series, "--labels", ref, "--out", out, "--model-version", "ref-1"); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	s := lstest.New()
	defer s.Close()
	// The team uploaded slices 0..9 earlier; slice 3 is already annotated.
	for k := 0; k < 10; k++ {
		s.AddTask(fmt.Sprintf("/data/upload/3/%08x-case_0001_axial_%04d.png", 0xabc0+k, k))
	}
	s.Tasks[3].Annotations = []map[string]any{{"id": 1, "completed_by": 4, "result": []any{}}}
	tokFile := filepath.Join(work, "token")
	os.WriteFile(tokFile, []byte(s.PAT+"\n"), 0o600)
	server := []string{"--url", s.URL, "--project-id", "3", "--token-file", tokFile}
	tasks := filepath.Join(out, "tasks.json")

	code, stdout, errs := cli(t, append([]string{"labelstudio", "upload", "--tasks", tasks, "--dry-run"}, server...)...)
	if code != 0 || !strings.Contains(stdout, "10 tasks on the server; 20 requests planned") { // 9 posts, 1 upload of 10 files, 10 posts after it
		t.Fatalf("dry run: exit %d, %s %s", code, stdout, errs)
	}
	for _, r := range s.Requests() {
		if r != "GET /api/tasks/" && r != "POST /api/token/refresh" {
			t.Errorf("the dry run sent %s", r)
		}
	}
	var plan []labelstudio.Planned
	if b, err := os.ReadFile(filepath.Join(out, "upload-plan.json")); err != nil || json.Unmarshal(b, &plan) != nil || len(plan) != 20 {
		t.Fatalf("plan: %v, %d entries", err, len(plan))
	}
	code, stdout2, errs2 := cli(t, append([]string{"labelstudio", "upload", "--tasks", tasks}, server...)...)
	if code != 0 || !strings.Contains(stdout2, "uploaded 9 predictions, imported 10 new tasks with theirs, skipped 1, failed 0") {
		t.Fatalf("upload: exit %d, %s %s", code, stdout2, errs2)
	}
	t.Logf("dry run: %s", strings.SplitN(stdout, "\n", 2)[0])
	t.Logf("upload: %s", stdout2)
	for _, text := range []string{stdout, errs, stdout2, errs2} {
		if strings.Contains(text, s.PAT) || strings.Contains(text, "access-") {
			t.Error("a token was printed")
		}
	}
	if len(s.Tasks[3].Predictions) != 0 {
		t.Error("the annotated task got a prediction")
	}
	if s.Uploads != 10 {
		t.Errorf("%d image files uploaded, want the 10 the project lacked", s.Uploads)
	}
	// A person accepts every prediction; pull from the server.
	for _, st := range s.Tasks {
		if len(st.Predictions) > 0 {
			st.Annotations = []map[string]any{{"id": st.ID, "completed_by": 4, "updated_at": "2026-12-03T12:00:00Z", "result": st.Predictions[0].Result}}
		}
	}
	s.Tasks[3].Annotations = nil // the person's (empty) work on slice 3 is left out of the comparison
	back := filepath.Join(work, "back.nii.gz")
	code, stdout, errs = cli(t, append([]string{"labelstudio", "pull", "--tasks", tasks, "--image", series, "--out", back}, server...)...)
	if code != 0 {
		t.Fatalf("pull: %s", errs)
	}
	t.Logf("pull: %s%s", errs, stdout)
	if !strings.Contains(errs, "19 annotated") {
		t.Errorf("pull summary: %s", errs)
	}
	a, _ := nifti.Read(ref)
	b, err := nifti.Read(back)
	if err != nil {
		t.Fatal(err)
	}
	diff := 0
	for i := 0; i < a.Data.Len(); i++ {
		k := i / (512 * 512)
		if k != 3 && a.Data.At(i) != b.Data.At(i) { // slice 3 was not annotated from the prediction
			diff++
		}
	}
	if diff != 0 {
		t.Errorf("%d voxels differ after upload → annotate → pull", diff)
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("contract violations: %v", v)
	}
}
