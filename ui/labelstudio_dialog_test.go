package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/project"
	"delineate/project/labelstudio"
	"delineate/project/labelstudio/lstest"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// From the open project case: the dialog's preview shows the slice in
// view with its masks, the export runs in the background, and the upload
// runs as a dry run (nothing but reads reach the server) and then for
// real, with the token remembered in a 0600 file outside the project.
func TestLabelStudioExportAndUploadFromUI(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	data := t.TempDir()
	img := filepath.Join(data, "ct.nii.gz")
	vol := ctVolume(t)
	if err := nifti.Write(img, vol, nifti.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	lab, _ := viewer.NewVolume(vol.Geometry, viewer.Uint8)
	ld := lab.Data.Raw().([]uint8)
	for k := 3; k < 9; k++ {
		for j := 5; j < 14; j++ {
			for i := 5; i < 18; i++ {
				ld[vol.Index(i, j, k)] = 2
			}
		}
	}
	labPath := filepath.Join(data, "lab.nii.gz")
	if err := nifti.Write(labPath, lab, nifti.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "proj")
	p, err := project.Create(dir, "ls", &viewer.LabelTable{Labels: []viewer.Label{{ID: 2, Name: "kidney"}}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := p.AddCase(img, project.Done)
	c.Labels = labPath
	p.Save()
	p.Close()

	ws := newTestWorkstation(t)
	ws.OpenProject(dir)
	ws.worklist.step(1)
	waitFor(t, "the case and its labels", func() bool { return ws.editor.labels != nil && ws.scene != nil })
	ws.scene.Cursor = [3]int{10, 10, 5}
	src, err := ws.lsSource()
	if err != nil {
		t.Fatal(err)
	}
	it, k := ws.previewItem(src, viewer.Axial)
	if it == nil || k != 5 {
		t.Fatalf("preview item %v, slice %d", it, k)
	}
	task, grey, err := labelstudio.Preview(*it, src.table, k, labelstudio.ExportOptions{})
	if err != nil || len(task.Predictions[0].Result) != 1 || task.Predictions[0].Result[0].Value.BrushLabels[0] != "kidney" {
		t.Fatalf("preview task %+v, %v", task, err)
	}
	if pi := previewImage(grey, task, src.table); pi.Bounds() != grey.Bounds() {
		t.Errorf("preview image %v", pi.Bounds())
	}

	out := filepath.Join(t.TempDir(), "lsout")
	ws.runLabelStudioExport(src, out, labelstudio.ExportOptions{})
	waitFor(t, "the export", func() bool { return !ws.loading.box.Visible() && ws.lastLSTasks != "" })
	if !strings.HasPrefix(ws.status.Text, "Wrote ") || !strings.Contains(ws.status.Text, "6 tasks") {
		t.Fatalf("status %q", ws.status.Text)
	}

	s := lstest.New()
	defer s.Close()
	s.Labels = map[string]bool{"kidney": true}
	cl := &labelstudio.Client{URL: s.URL, Token: s.Legacy}
	ws.runUpload(cl, ws.lastLSTasks, labelstudio.UploadOptions{ProjectID: 3, DryRun: true})
	waitFor(t, "the dry run", func() bool { return strings.HasPrefix(ws.status.Text, "Dry run:") })
	for _, r := range s.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("the dry run sent %s", r)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "upload-plan.json")); err != nil {
		t.Error("no plan written")
	}
	ws.runUpload(cl, ws.lastLSTasks, labelstudio.UploadOptions{ProjectID: 3, ImageDir: filepath.Join(out, "images")})
	waitFor(t, "the upload", func() bool { return strings.HasPrefix(ws.status.Text, "Uploaded ") })
	if !strings.Contains(ws.status.Text, "imported 6 new task(s)") || len(s.Tasks) != 6 {
		t.Errorf("status %q, server holds %d tasks", ws.status.Text, len(s.Tasks))
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("contract violations %v", v)
	}

	// A person corrects slice 5 (clears it) and accepts the rest; the pull
	// brings the annotations back as a prediction held by the case, shown
	// for review.
	s.Lock()
	for _, st := range s.Tasks {
		res := st.Predictions[0].Result
		if strings.HasSuffix(st.Data["image"].(string), "_0005.png") {
			res = []labelstudio.Result{}
		}
		st.Annotations = []map[string]any{{"id": st.ID, "completed_by": 21, "updated_at": "2026-12-03T11:30:00Z", "result": res}}
	}
	s.Unlock()
	ws.runPull(ws.worklist.proj, cl, 3, "", ws.lastLSTasks)
	waitFor(t, "the pulled prediction", func() bool {
		// The case reopens: its labels and its held prediction load independently.
		return (ws.preds.current != nil && ws.preds.current.held != "" && ws.editor.labels != nil) || strings.HasPrefix(ws.status.Text, "Error")
	})
	if c := ws.worklist.proj.Case("case_0001"); len(c.Predictions) != 1 || !strings.Contains(c.Predictions[0].Source, "annotator 21") {
		t.Fatalf("case predictions %+v (status %q)", c.Predictions, ws.status.Text)
	}
	if got, want := ws.preds.current.counts[2], countLabel(ws.editor.labels, 2)-13*9; got != want {
		t.Errorf("pulled prediction has %d voxels of label 2, want %d (slice 5 cleared)", got, want)
	}

	if err := labelstudio.SaveToken(s.URL, s.Legacy); err != nil {
		t.Fatal(err)
	}
	tp, _ := labelstudio.TokenPath(s.URL)
	st, err := os.Stat(tp)
	if err != nil || st.Mode().Perm() != 0o600 || strings.HasPrefix(tp, dir) {
		t.Errorf("token file %s: %v %v", tp, st.Mode(), err)
	}
	if labelstudio.LoadToken(s.URL) != s.Legacy {
		t.Error("token not remembered")
	}
	ws.worklist.setProject(nil)
}
