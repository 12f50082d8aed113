package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// A case holding a prediction pulled from Label Studio: opening the case
// shows it for review (named by the project's table); accepting it adds
// its voxels, records them as the annotator's edits and the case stops
// holding it.
func TestHeldPredictionFromLabelStudio(t *testing.T) {
	data := t.TempDir()
	img := filepath.Join(data, "ct.nii.gz")
	vol := ctVolume(t)
	if err := nifti.Write(img, vol, nifti.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "proj")
	table := &viewer.LabelTable{Labels: []viewer.Label{{ID: 3, Name: "tumour"}}}
	p, err := project.Create(dir, "held", table)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.AddCase(img, project.NeedsReview)
	if err != nil {
		t.Fatal(err)
	}
	pred, _ := viewer.NewVolume(vol.Geometry, viewer.Uint8)
	pd := pred.Data.Raw().([]uint8)
	n := 0
	for k := 2; k < 5; k++ {
		for j := 9; j < 12; j++ {
			for i := 9; i < 12; i++ {
				pd[vol.Index(i, j, k)] = 3
				n++
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "predictions"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := nifti.Write(filepath.Join(dir, "predictions", "case_0001_labelstudio_1.nii.gz"), pred, nifti.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Predictions = []project.Prediction{{Path: "predictions/case_0001_labelstudio_1.nii.gz", Model: "Label Studio", Source: "annotated in Label Studio by annotator 12 at 2026-12-03T10:00:00Z (3 slices)"}}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	p.Close()

	ws := newTestWorkstation(t)
	ws.OpenProject(dir)
	ws.worklist.step(1)
	waitFor(t, "the held prediction", func() bool { return ws.preds.current != nil && ws.preds.current.held != "" })
	pr := ws.preds.current
	if pr.counts[3] != n || !strings.Contains(ws.preds.entryName(pr), "held by the case") {
		t.Fatalf("held prediction %q, counts %v", ws.preds.entryName(pr), pr.counts)
	}
	if l, ok := pr.labels.Table.Get(3); !ok || l.Name != "tumour" {
		t.Errorf("label 3 is %+v, want the project's name", l)
	}
	ws.preds.accept()
	if got := countLabel(ws.editor.labels, 3); got != n {
		t.Fatalf("accepted %d voxels of label 3, want %d", got, n)
	}
	waitFor(t, "the save", func() bool {
		q, err := project.Open(dir)
		if err != nil {
			return false
		}
		defer q.Close()
		qc := q.Case("case_0001")
		return len(qc.Predictions) == 0 && len(qc.Provenance.Edits) == 1 && !ws.worklist.saving.Load()
	})
	q, _ := project.Open(dir)
	e := q.Case("case_0001").Provenance.Edits[0]
	src := q.Case("case_0001").Provenance.Sources["3"]
	q.Close()
	if e.Label != 3 || e.Voxels != n || !strings.Contains(e.Tool, "annotator 12") || src != project.FromPerson {
		t.Errorf("edit %+v, source %q", e, src)
	}
	ws.worklist.setProject(nil)
}
