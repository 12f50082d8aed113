package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"delineate/inference/ort"
	"delineate/inference/ort/orttest"
	"delineate/viewer"
)

// The Find section with the tiny YOLO-seg detector: a prompt (a synonym
// from its detector.json) on the slice in view runs as a job and lands in
// the prediction layer as one label, named by the detector.
func TestFindOnSlice(t *testing.T) {
	if lib := orttest.Lib(); lib != "" {
		t.Setenv(ort.EnvLib, lib)
	}
	ws := newTestWorkstation(t)
	if ws.ai.rt == nil {
		t.Skip("ONNX Runtime not loaded in this test environment")
	}
	g := viewer.Geometry{Dims: [3]int{512, 384, 3}, Spacing: viewer.Vec3{0.8, 0.8, 2.5}, Direction: viewer.Identity3}
	vol, _ := viewer.NewVolume(g, viewer.Int16)
	vol.Modality = "CT"
	if err := ws.SetVolume(vol, nil, "find CT"); err != nil {
		t.Fatal(err)
	}
	f := ws.ai.find
	dir, _ := filepath.Abs("../testdata/models/tiny-yoloseg")
	f.addDir(dir)
	f.prompt.SetText("pulmonary nodule")
	ws.scene.Cursor = [3]int{10, 10, 1}
	f.run(false)
	waitFor(t, "the detection", func() bool {
		return strings.HasPrefix(ws.status.Text, "Find: ") && !strings.Contains(ws.status.Text, "Queued")
	})
	if !strings.Contains(ws.status.Text, "1 finding(s): lung nodule") {
		t.Fatalf("status %q", ws.status.Text)
	}
	pr := ws.preds.current
	if pr == nil || len(pr.counts) != 1 || pr.counts[1] == 0 {
		t.Fatalf("prediction %+v", pr)
	}
	if l, ok := pr.labels.Table.Get(1); !ok || l.Name != "lung nodule" {
		t.Errorf("label 1 %+v", l)
	}
	f.prompt.SetText("kidney")
	f.run(false)
	waitFor(t, "the refusal", func() bool { return strings.Contains(ws.status.Text, "this model knows") })
}
