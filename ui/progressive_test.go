package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
)

// A DICOM series is on screen as soon as its buffer exists and is finished
// (histogram, "auto" preset) once every slice is read.
func TestOpenShowsTheSeriesWhileItLoads(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "data", "ct-dicom-series-raw")
	if _, err := os.Stat(dir); err != nil {
		dir = filepath.Join("..", "testdata", "dicom", "shuffled")
	}
	ws := newTestWorkstation(t)
	ws.OpenPath(dir)
	waitFor(t, "the series on screen", func() bool { return ws.scene != nil })
	vol := ws.scene.Volume
	if vol.Arriving == nil {
		t.Fatal("the series was not shown while it loaded")
	}
	waitFor(t, "the whole series", func() bool { return vol.Arriving.Done() && ws.panel.counts != nil })
	if ws.scene.Volume != vol {
		t.Error("the finished series replaced the one shown")
	}
	found := false
	for _, p := range ws.panel.presets {
		found = found || p.Name == "auto"
	}
	if !found {
		t.Errorf("no auto preset once loaded: %+v", ws.panel.presets)
	}
}

// While a study loads, what needs all of it waits: a model run, a fill, a
// brush stroke say so and change nothing; slices not yet read draw black.
func TestLoadingStudyRefusesWholeVolumeWork(t *testing.T) {
	ws := newTestWorkstation(t)
	vol := ctVolume(t)
	vol.Arriving = viewer.NewArrival(vol.Dims[2])
	vol.Arriving.Set(0)
	if err := ws.SetVolume(vol, nil, "loading CT"); err != nil {
		t.Fatal(err)
	}
	selectModel(t, ws, "builtin:ct-tissue")
	ws.ai.run()
	if !strings.Contains(ws.status.Text, "still loading") || len(ws.ai.runner.Jobs()) != 0 {
		t.Errorf("model run while loading: status %q", ws.status.Text)
	}
	if ws.editor.ensureLabels() || ws.editor.labels != nil {
		t.Error("a label map was made while the study loads")
	}
	l, _ := viewer.NewSliceLayout(vol.Geometry, viewer.Axial)
	img, err := viewer.RenderLayout(vol, l, 1, ws.scene.LUT, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range img.Pix {
		if p != 0 {
			t.Fatal("a slice not yet read is drawn")
		}
	}
	vol.Arriving.Complete()
	if ws.studyLoading() || !ws.editor.ensureLabels() {
		t.Error("still refused once loaded")
	}
}
