package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"delineate/inference"
	"delineate/viewer"
)

// labelCounts counts each id of the editor's label map.
func labelCounts(ws *Workstation) map[int]int {
	c := map[int]int{}
	lm := ws.editor.labels
	if lm == nil {
		return c
	}
	for i := 0; i < lm.Data.Len(); i++ {
		c[lm.At(i)]++
	}
	return c
}

func selectModel(t *testing.T, ws *Workstation, name string) {
	t.Helper()
	for _, e := range ws.ai.models {
		if e.Model != nil && e.Model.Name == name {
			ws.ai.modelSel.SetSelected(modelLabel(e.Model))
			return
		}
	}
	t.Fatalf("model %s not listed", name)
}

// The whole review: Run (Ctrl+R) queues the built-in segmenter as a job,
// the view stays live, the result arrives as a prediction layer (labels
// untouched), Enter accepts it as one undo step, Ctrl+Z restores the
// labels exactly, and a second run rejected with Esc leaves them alone.
func TestRunReviewAcceptUndo(t *testing.T) {
	ws := newTestWorkstation(t)
	vol := ctVolume(t)
	lab, _ := viewer.NewLabelMap(vol.Geometry, 255)
	for i := 0; i < 30; i++ { // a user's own label, in the body
		lab.Set(vol.Index(6+i%10, 6+i/10, 3), 9)
	}
	if err := ws.SetVolume(vol, lab.Volume, "test CT"); err != nil {
		t.Fatal(err)
	}
	before := labelCounts(ws)
	selectModel(t, ws, "builtin:ct-tissue")
	ws.ai.run()
	waitFor(t, "the prediction", func() bool { return ws.preds.current != nil })
	if ws.scene.Prediction == nil || !ws.scene.ShowPrediction {
		t.Fatal("the prediction is not on the scene")
	}
	if got := labelCounts(ws); !equalCounts(got, before) {
		t.Fatalf("a finished run changed the labels: %v → %v", before, got)
	}
	jobs := ws.ai.runner.Jobs()
	if len(jobs) != 1 || jobs[0].State != inference.JobDone || jobs[0].Device == "" {
		t.Fatalf("jobs %+v, want one done with its device", jobs)
	}
	waitFor(t, "the preview", func() bool { return strings.HasPrefix(ws.preds.preview.Text, "Accept adds") })
	t.Logf("preview: %s", ws.preds.preview.Text)

	ws.win.Canvas().(test.WindowlessCanvas).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	after := labelCounts(ws)
	if equalCounts(after, before) {
		t.Fatal("Enter did not accept the prediction")
	}
	if ws.preds.current != nil || ws.scene.Prediction != nil {
		t.Error("an accepted-all prediction is still held")
	}
	// The body is labelled now; the user's label 9 survived only where the
	// overwrite policy allows (all, by default): check the table grew by
	// name.
	names := map[string]bool{}
	for _, l := range ws.editor.labels.Table.Labels {
		names[l.Name] = true
	}
	if !names["bone"] || !names["soft tissue"] {
		t.Errorf("label table %v lacks the built-in model's names", ws.editor.labels.Table.Labels)
	}
	ws.editor.undo()
	if got := labelCounts(ws); !equalCounts(got, before) {
		t.Fatalf("undo left %v, want %v", got, before)
	}

	ws.ai.run()
	waitFor(t, "the second prediction", func() bool { return ws.preds.current != nil })
	ws.win.Canvas().(test.WindowlessCanvas).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if ws.preds.current != nil || ws.scene.Prediction != nil {
		t.Error("Esc did not reject the prediction")
	}
	if got := labelCounts(ws); !equalCounts(got, before) {
		t.Errorf("reject changed the labels")
	}
}

// Accepting with the empty-only policy keeps the user's label and says
// so in the preview.
func TestAcceptRespectsPolicyAndLocks(t *testing.T) {
	ws := newTestWorkstation(t)
	vol := ctVolume(t)
	lab, _ := viewer.NewLabelMap(vol.Geometry, 255)
	mine := vol.Index(10, 10, 5)
	lab.Set(mine, 9)
	if err := ws.SetVolume(vol, lab.Volume, "test CT"); err != nil {
		t.Fatal(err)
	}
	ws.editor.policySel.SetSelectedIndex(1) // empty only
	selectModel(t, ws, "builtin:ct-tissue")
	ws.ai.run()
	waitFor(t, "the prediction", func() bool { return ws.preds.current != nil })
	waitFor(t, "the preview", func() bool { return strings.Contains(ws.preds.preview.Text, "keeps") })
	ws.preds.accept()
	if got := ws.editor.labels.At(mine); got != 9 {
		t.Errorf("the user's voxel became %d under the empty-only policy", got)
	}
}

func TestRunWithoutStudySaysSo(t *testing.T) {
	ws := newTestWorkstation(t)
	ws.ai.run()
	if !strings.Contains(ws.status.Text, "open a study") {
		t.Errorf("status %q", ws.status.Text)
	}
}

// Cancel stops a queued job before it starts and leaves the labels as
// they were.
func TestCancelQueuedJob(t *testing.T) {
	ws := newTestWorkstation(t)
	if err := ws.SetVolume(ctVolume(t), nil, "test CT"); err != nil {
		t.Fatal(err)
	}
	block := make(chan struct{})
	ws.ai.runner.Submit("blocker", "test", func(ctx contextT, j *inference.Job) (any, error) {
		select {
		case <-block:
		case <-ctx.Done():
		}
		return nil, ctx.Err()
	}, nil)
	selectModel(t, ws, "builtin:ct-tissue")
	ws.ai.run()
	jobs := ws.ai.runner.Jobs()
	second := ws.ai.runner.Job(jobs[len(jobs)-1].ID)
	second.Cancel()
	close(block)
	second.Wait()
	if _, err := second.Result(); !errors.Is(err, errCanceled) {
		t.Errorf("cancelled job: err %v", err)
	}
	waitFor(t, "the status", func() bool { return strings.Contains(ws.status.Text, "cancelled") })
	if ws.preds.current != nil {
		t.Error("a cancelled job left a prediction")
	}
}

func equalCounts(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
