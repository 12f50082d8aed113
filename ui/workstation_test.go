package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"delineate/viewer"
)

// ctVolume is a small CT-like volume: a body of soft tissue (40 HU) in air
// with a bright block, on an anisotropic grid.
func ctVolume(t testing.TB) *viewer.Volume {
	t.Helper()
	g := viewer.Geometry{Dims: [3]int{24, 20, 12}, Spacing: viewer.Vec3{1, 1, 2.5}, Direction: viewer.Identity3}
	v, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	v.Modality = "CT"
	d := v.Data.Raw().([]int16)
	for k := 0; k < 12; k++ {
		for j := 0; j < 20; j++ {
			for i := 0; i < 24; i++ {
				val := int16(-1000)
				if i > 3 && i < 20 && j > 3 && j < 16 {
					val = 40
				}
				if i > 8 && i < 12 && j > 8 && j < 12 {
					val = 700
				}
				d[g.Index(i, j, k)] = val
			}
		}
	}
	return v
}

func newTestWorkstation(t testing.TB) *Workstation {
	t.Helper()
	becomeUI()
	a := test.NewTempApp(t)
	ws := NewWorkstation(a)
	<-ws.ai.runtimeReady
	drainUI(time.Millisecond) // the load's result, queued for the UI
	ws.win.Resize(fyne.NewSize(1000, 700))
	return ws
}

func TestWorkstationLayouts(t *testing.T) {
	ws := newTestWorkstation(t)
	if err := ws.SetVolume(ctVolume(t), nil, "test CT"); err != nil {
		t.Fatal(err)
	}
	grid := func() *fyne.Container { return ws.viewArea.Objects[0].(*fyne.Container) }
	if n := len(grid().Objects); n != 3 {
		t.Fatalf("1×3 layout has %d views", n)
	}
	ws.setLayout(layoutGrid)
	if n := len(grid().Objects); n != 4 {
		t.Fatalf("2×2 layout has %d cells", n)
	}
	ws.setSinglePlane(viewer.Coronal)
	if ws.viewArea.Objects[0] != ws.views[viewer.Coronal] {
		t.Fatalf("single layout shows %T, want the coronal view", ws.viewArea.Objects[0])
	}
	if !strings.Contains(ws.win.Title(), "test CT") {
		t.Errorf("title %q", ws.win.Title())
	}
}

// Number keys pick presets in the panel's order: for CT, 5 is bone.
func TestPresetKeys(t *testing.T) {
	ws := newTestWorkstation(t)
	if err := ws.SetVolume(ctVolume(t), nil, "test CT"); err != nil {
		t.Fatal(err)
	}
	test.TypeOnCanvas(ws.win.Canvas(), "5")
	if w := ws.scene.Window(); w.Center != 480 || w.Width != 2500 {
		t.Errorf("key 5 gave window %+v, want bone C480/W2500", w)
	}
	if ws.panel.center.Text != "480" || ws.panel.width.Text != "2500" {
		t.Errorf("panel shows C=%s W=%s", ws.panel.center.Text, ws.panel.width.Text)
	}
	test.TypeOnCanvas(ws.win.Canvas(), "1")
	if w := ws.scene.Window(); w.Center != 40 || w.Width != 80 {
		t.Errorf("key 1 gave window %+v, want brain C40/W80", w)
	}
}

func TestWindowEntries(t *testing.T) {
	ws := newTestWorkstation(t)
	if err := ws.SetVolume(ctVolume(t), nil, "test CT"); err != nil {
		t.Fatal(err)
	}
	ws.panel.center.SetText("100")
	ws.panel.width.SetText("300")
	ws.panel.width.OnSubmitted(ws.panel.width.Text)
	if w := ws.scene.Window(); w.Center != 100 || w.Width != 300 {
		t.Errorf("typed window gave %+v", w)
	}
	ws.panel.width.SetText("nonsense")
	ws.panel.width.OnSubmitted(ws.panel.width.Text)
	if w := ws.scene.Window(); w.Center != 100 || w.Width != 300 || ws.panel.width.Text != "300" {
		t.Errorf("bad input changed the window to %+v / %q", w, ws.panel.width.Text)
	}
}

// waitFor polls until cond holds: loading runs in goroutines and reports
// back through fyne.Do. It bounds a hang, it does not time anything.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		drainUI(20 * time.Millisecond)
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestOpenPathLoadsInBackground(t *testing.T) {
	ws := newTestWorkstation(t)
	ws.OpenPath(filepath.Join("..", "testdata", "dicom", "two-series-empty-uid"))
	waitFor(t, "the study to load", func() bool { return ws.scene != nil })
	if ws.study == nil || len(ws.study.Series) != 2 {
		t.Fatalf("study %+v", ws.study)
	}
	if !ws.seriesBox.Visible() {
		t.Error("a two-series study should show the series list")
	}
	// The larger series (8×6×3 axial) loads first; picking the other loads it.
	if ws.scene.Volume.Dims != [3]int{8, 6, 3} {
		t.Errorf("first loaded %v", ws.scene.Volume.Dims)
	}
	waitFor(t, "both thumbnails", func() bool { return len(ws.thumbs) == 2 })
	if b, d := ws.thumbs[1].Bounds(), ws.study.Series[1].Dims; b.Dx()*b.Dy() != d[0]*d[1] {
		t.Errorf("thumbnail 1 is %v for a series %v", b, ws.study.Series[1].Dims)
	}
	ws.seriesList.Select(1 - ws.seriesIdx)
	waitFor(t, "the other series", func() bool { return ws.scene.Volume.Dims == [3]int{6, 4, 3} })
}

func TestOpenPathErrorIsShown(t *testing.T) {
	ws := newTestWorkstation(t)
	junk := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(junk, []byte("not an image"), 0o644)
	ws.OpenPath(junk)
	waitFor(t, "the error", func() bool { return strings.HasPrefix(ws.status.Text, "Error:") })
	if !strings.Contains(ws.status.Text, "no DICOM images") {
		t.Errorf("status %q", ws.status.Text)
	}
	if ws.scene != nil {
		t.Error("a failed open must not replace the view")
	}
}

func TestLabelsMustMatchGrid(t *testing.T) {
	ws := newTestWorkstation(t)
	vol := ctVolume(t)
	g := vol.Geometry
	g.Dims[2] = 5
	wrong, _ := viewer.NewVolume(g, viewer.Uint8)
	if err := ws.SetVolume(vol, wrong, "x"); err == nil {
		t.Fatal("labels on another grid were accepted")
	}
	good, _ := viewer.NewVolume(vol.Geometry, viewer.Uint8)
	good.Data.Raw().([]uint8)[vol.Index(10, 10, 6)] = 3
	if err := ws.SetVolume(vol, good, "x"); err != nil {
		t.Fatal(err)
	}
	if !ws.overlay.box.Visible() {
		t.Error("the label controls stay hidden with labels loaded")
	}
}
