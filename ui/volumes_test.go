package ui

import (
	"path/filepath"
	"strings"
	"testing"
)

// A multi-volume series opens at its first volume with the volume bar;
// "." and "," step through time under the same labels and views.
func TestVolumeBarStepsThroughTime(t *testing.T) {
	ws := newTestWorkstation(t)
	ws.OpenPath(filepath.Join("..", "testdata", "conformance", "geometry", "fmri"))
	waitFor(t, "the first volume", func() bool {
		return ws.scene != nil && ws.scene.Volume.Arriving.Done() && ws.volumes.box.Visible()
	})
	if got := ws.volumes.label.Text; got != "1/4 · t=+0.00 s" {
		t.Errorf("bar says %q", got)
	}
	if !ws.editor.ensureLabels() {
		t.Fatal("no label map")
	}
	labels := ws.scene.Labels
	first := ws.scene.Volume
	ws.win.Canvas().OnTypedRune()('.')
	waitFor(t, "volume 2", func() bool { return ws.scene.Volume != first })
	if v := ws.scene.Volume.Data.At(0); v != 1000 {
		t.Errorf("volume 2 starts with %v, want 1000", v)
	}
	if ws.scene.Labels != labels {
		t.Error("the labels were replaced by a volume step")
	}
	if !strings.HasPrefix(ws.volumes.label.Text, "2/4") {
		t.Errorf("bar says %q", ws.volumes.label.Text)
	}
	ws.volumes.step(10) // clamped to the last
	waitFor(t, "volume 4", func() bool { return ws.scene.Volume.Data.At(0) == 3000 })
	ws.win.Canvas().OnTypedRune()(',')
	waitFor(t, "volume 3", func() bool { return ws.scene.Volume.Data.At(0) == 2000 })
}

// A gantry-tilted series opens resampled; "Slices as Stored" reloads it as
// stored and says so.
func TestRawStackToggle(t *testing.T) {
	ws := newTestWorkstation(t)
	ws.OpenPath(filepath.Join("..", "testdata", "conformance", "geometry", "tilt"))
	waitFor(t, "the resampled series", func() bool {
		return ws.scene != nil && ws.scene.Volume.Arriving.Done() && strings.Contains(strings.Join(ws.warnings, " "), "resampled")
	})
	resampled := ws.scene.Volume
	ws.rawStack = true
	ws.reloadSeries()
	waitFor(t, "the raw stack", func() bool {
		return ws.scene.Volume != resampled && ws.scene.Volume.Arriving.Done() && strings.Contains(strings.Join(ws.warnings, " "), "raw stack")
	})
}
