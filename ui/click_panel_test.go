package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"delineate/inference/ort"
	"delineate/inference/ort/orttest"
	"delineate/viewer"
)

// The click tool with the tiny SAM-contract export (its decoder's mask is
// the box): a drag on the axial view gives a mask of the dragged box in
// the prediction layer; Propagate carries it through every slice.
func TestClickToolBoxAndPropagate(t *testing.T) {
	if lib := orttest.Lib(); lib != "" {
		t.Setenv(ort.EnvLib, lib)
	}
	ws := newTestWorkstation(t)
	if ws.ai.rt == nil {
		t.Skip("ONNX Runtime not loaded in this test environment")
	}
	if err := ws.SetVolume(ctVolume(t), nil, "click CT"); err != nil {
		t.Fatal(err)
	}
	ws.setSinglePlane(viewer.Axial)
	ws.win.Canvas().Capture()
	c := ws.ai.click
	dir, _ := filepath.Abs("../testdata/models/tiny-sam")
	c.addDir(dir)
	c.toggle.SetChecked(true)
	if !c.active {
		t.Fatal("the click tool did not turn on")
	}
	sv := ws.views[viewer.Axial]
	if _, ok := sv.Tool.(*clickTool); !ok {
		t.Fatalf("the axial view's tool is %T", sv.Tool)
	}
	// Drag across the middle of the view, as the pointer would.
	size := sv.Size()
	x0, y0 := float64(size.Width)*0.35, float64(size.Height)*0.35
	x1, y1 := float64(size.Width)*0.65, float64(size.Height)*0.65
	sc := float64(ws.win.Canvas().Scale())
	ev := ToolEvent{StartX: x0 * sc, StartY: y0 * sc, X: x1 * sc, Y: y1 * sc, Scale: sc}
	c.boxFrom(sv, ev)
	waitFor(t, "the SAM mask", func() bool { return c.pred != nil || strings.HasPrefix(ws.status.Text, "SAM:") })
	if c.pred == nil || c.pred.counts[1] == 0 {
		t.Fatalf("no mask (status %q)", ws.status.Text)
	}
	slice := c.pred.counts[1]
	c.propagate()
	waitFor(t, "propagation", func() bool {
		return strings.Contains(ws.status.Text, "propagated") || strings.HasPrefix(ws.status.Text, "SAM propagate:")
	})
	if !strings.Contains(ws.status.Text, "through 12 slice(s)") || c.pred.counts[1] != 12*slice {
		t.Errorf("status %q, %d voxels (one slice %d)", ws.status.Text, c.pred.counts[1], slice)
	}
	// An editing tool takes over from the click tool.
	ws.editor.setMode(modeBrush)
	if c.active || c.toggle.Checked {
		t.Error("the brush did not replace the click tool")
	}
}
