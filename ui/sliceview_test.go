package ui

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"delineate/viewer"
	"delineate/viewer/view"
)

// svScene is a 32×24×16 volume (1×1×2 mm, LPS) whose value rises along
// every axis (4i + 2j + 3k) with a white marker column in the right-anterior
// corner (i, j < 4), so a mirrored or transposed view shows in a golden.
// Label 1 is a ball of radius 5 around (20, 12, 8), label 2 a box at i 6..9,
// j 16..19, k 4..11.
func svScene(t *testing.T) *view.Scene {
	t.Helper()
	g := viewer.Geometry{Dims: [3]int{32, 24, 16}, Spacing: viewer.Vec3{1, 1, 2}, Direction: viewer.Identity3}
	vol, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := viewer.NewVolume(g, viewer.Uint8)
	if err != nil {
		t.Fatal(err)
	}
	vs, ls := vol.Data.Raw().([]int16), lab.Data.Raw().([]uint8)
	for k := range 16 {
		for j := range 24 {
			for i := range 32 {
				n := g.Index(i, j, k)
				vs[n] = int16(4*i + 2*j + 3*k)
				if i < 4 && j < 4 {
					vs[n] = 255
				}
				if dx, dy, dz := i-20, j-12, 2*(k-8); dx*dx+dy*dy+dz*dz <= 25 {
					ls[n] = 1
				}
				if i >= 6 && i <= 9 && j >= 16 && j <= 19 && k >= 4 && k <= 11 {
					ls[n] = 2
				}
			}
		}
	}
	s := view.NewScene(vol)
	s.SetWindow(viewer.Window{Center: 128, Width: 256})
	if err := s.SetLabels(lab); err != nil {
		t.Fatal(err)
	}
	return s
}

// svWindow puts content in an unpadded test window of the given size.
func svWindow(t *testing.T, content fyne.CanvasObject, w, h float32) fyne.Window {
	t.Helper()
	win := test.NewTempWindow(t, content)
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	return win
}

// svView is one view in its own 160×120 window.
func svView(t *testing.T, p viewer.Plane) (*SliceView, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	sv := NewSliceView(view.NewViewport(svScene(t), p))
	win := svWindow(t, sv, 160, 120)
	win.Canvas().Capture() // lays out and renders once, as showing would
	return sv, win
}

func svMouse(b desktop.MouseButton, m fyne.KeyModifier, x, y float32) *desktop.MouseEvent {
	ev := &desktop.MouseEvent{Button: b, Modifier: m}
	ev.Position = fyne.NewPos(x, y)
	return ev
}

func TestSliceViewWheelAndKeys(t *testing.T) {
	sv, win := svView(t, viewer.Axial)
	vp := sv.Viewport()
	var slices, cursors int
	var hovers []view.CursorInfo
	sv.OnSliceChanged = func() { slices++ }
	sv.OnCursorChanged = func() { cursors++ }
	sv.OnHover = func(ci view.CursorInfo) { hovers = append(hovers, ci) }
	sv.MouseIn(svMouse(0, 0, 80, 60))
	start := vp.Slice // 8: the centre of 16

	// One notch away from the user (positive DY) is one slice towards
	// superior: k up in an LPS volume.
	test.Scroll(win.Canvas(), fyne.NewPos(80, 60), 0, svWheelNotch)
	if vp.Slice != start+1 || vp.Scene.Cursor[2] != start+1 {
		t.Fatalf("wheel up: slice %d cursor %v, want %d", vp.Slice, vp.Scene.Cursor, start+1)
	}
	if slices != 1 || cursors != 1 {
		t.Errorf("wheel: OnSliceChanged %d, OnCursorChanged %d times, want 1, 1", slices, cursors)
	}
	if n := len(hovers); n < 2 || hovers[n-1].Slice != start+1 || !hovers[n-1].Inside {
		t.Errorf("no hover report for the new slice under the still pointer: %+v", hovers)
	}
	// Small touchpad deltas add up to a notch.
	for range 4 {
		sv.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: -svWheelNotch / 4}})
	}
	if vp.Slice != start {
		t.Errorf("four quarter notches down: slice %d, want %d", vp.Slice, start)
	}

	win.Canvas().Focus(sv)
	keys := []struct {
		key  fyne.KeyName
		want int
	}{
		{fyne.KeyUp, start + 1}, {fyne.KeyDown, start}, {fyne.KeyPageUp, 15}, // clamped at the last
		{fyne.KeyPageDown, 5}, {fyne.KeyHome, 0}, {fyne.KeyDown, 0}, {fyne.KeyEnd, 15},
	}
	for _, k := range keys {
		sv.TypedKey(&fyne.KeyEvent{Name: k.key})
		if vp.Slice != k.want {
			t.Errorf("%s: slice %d, want %d", k.key, vp.Slice, k.want)
		}
	}
	if long, short := svCaption(vp); long != "Axial 16/16" || short != "16/16" {
		t.Errorf("caption %q, %q, want %q, %q", long, short, "Axial 16/16", "16/16")
	}
}

func TestSliceViewWindowLevelDrag(t *testing.T) {
	sv, win := svView(t, viewer.Axial)
	sc := sv.Viewport().Scene
	start := sc.Window()
	cursor := sc.Cursor
	var got []viewer.Window
	sv.OnWindowChanged = func(w viewer.Window) { got = append(got, w) }
	sv.OnCursorChanged = func() { t.Error("a drag moved the crosshair") }

	// The test driver sends one Dragged (from the start position) and
	// DragEnd; the real one sends MouseDown first and MouseUp before
	// DragEnd. Both are one W/L gesture.
	test.Drag(win.Canvas(), fyne.NewPos(80, 60), 30, -20)
	want := sc.DragWindow(start, 30, -20)
	if sc.Window() != want || len(got) != 1 || got[0] != want {
		t.Fatalf("after drag: window %v, reported %v, want %v", sc.Window(), got, want)
	}
	if want.Width <= start.Width || want.Center <= start.Center {
		t.Errorf("drag right and up gave %v from %v: want wider and a higher level", want, start)
	}

	sv.MouseDown(svMouse(desktop.MouseButtonPrimary, 0, 50, 50))
	sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(40, 50)}, Dragged: fyne.Delta{DX: -10}})
	sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(30, 55)}, Dragged: fyne.Delta{DX: -10, DY: 5}})
	sv.MouseUp(svMouse(desktop.MouseButtonPrimary, 0, 30, 55))
	sv.DragEnd()
	if w := sc.DragWindow(want, -20, 5); sc.Window() != w {
		t.Errorf("second drag: window %v, want %v", sc.Window(), w)
	}
	if sc.Cursor != cursor {
		t.Errorf("W/L drag moved the cursor to %v", sc.Cursor)
	}
}

// Keys the view does not use reach the window's handlers while it has the
// focus, and a handler that hands keys back to the view does not loop.
func TestSliceViewForwardsOtherKeys(t *testing.T) {
	sv, win := svView(t, viewer.Axial)
	c := win.Canvas()
	var runes []rune
	var keys []fyne.KeyName
	c.SetOnTypedRune(func(r rune) { runes = append(runes, r) })
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		keys = append(keys, ev.Name)
		sv.TypedKey(ev) // as the main window does for the active view
	})
	c.Focus(sv)
	sv.TypedRune('3')
	sv.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	slice := sv.Viewport().Slice
	sv.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if fmt.Sprint(runes) != "[51]" || fmt.Sprint(keys) != "[Left]" {
		t.Errorf("forwarded runes %v keys %v, want [51] [Left]", runes, keys)
	}
	if sv.Viewport().Slice != slice+1 {
		t.Errorf("Up was not handled by the view")
	}
}

func TestSliceViewHoverOut(t *testing.T) {
	sv, _ := svView(t, viewer.Coronal) // 32×32 mm in 160×120: 20-unit margins
	var last view.CursorInfo
	sv.OnHover = func(ci view.CursorInfo) { last = ci }
	sv.MouseIn(svMouse(0, 0, 80, 60))
	if !last.Inside || last.NumSlices != 24 {
		t.Errorf("hover inside: %+v", last)
	}
	sv.MouseMoved(svMouse(0, 0, 2, 60)) // black margin
	if last.Inside {
		t.Errorf("hover on the margin reported inside: %+v", last)
	}
	sv.MouseMoved(svMouse(0, 0, 80, 60))
	sv.MouseOut()
	if last.Inside || last.NumSlices != 24 {
		t.Errorf("after MouseOut: %+v", last)
	}
}

// svRecordTool records what a Tool is told.
type svRecordTool struct{ log []string }

func (r *svRecordTool) Press(_ *SliceView, e ToolEvent) {
	r.log = append(r.log, fmt.Sprintf("press %g,%g", e.X, e.Y))
}
func (r *svRecordTool) Drag(_ *SliceView, e ToolEvent) {
	r.log = append(r.log, fmt.Sprintf("drag %g,%g from %g,%g", e.X, e.Y, e.StartX, e.StartY))
}
func (r *svRecordTool) Release(_ *SliceView, e ToolEvent) {
	r.log = append(r.log, fmt.Sprintf("release %g,%g", e.X, e.Y))
}

func TestSliceViewToolIsReplaceable(t *testing.T) {
	sv, _ := svView(t, viewer.Axial)
	rec := &svRecordTool{}
	sv.Tool = rec
	before := sv.Viewport().Scene.Window()
	sv.MouseDown(svMouse(desktop.MouseButtonPrimary, 0, 10, 10))
	sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(13, 14)}, Dragged: fyne.Delta{DX: 3, DY: 4}})
	sv.MouseUp(svMouse(desktop.MouseButtonPrimary, 0, 13, 14))
	sv.DragEnd()
	want := "[press 13,14 drag 13,14 from 10,10 release 13,14]"
	if got := fmt.Sprint(rec.log); got != want {
		t.Errorf("tool saw %s, want %s", got, want)
	}
	if sv.Viewport().Scene.Window() != before {
		t.Error("the window changed with another tool in place")
	}
}

func TestSliceViewCtrlWheelZoom(t *testing.T) {
	sv, _ := svView(t, viewer.Axial)
	vp := sv.Viewport()
	slice := vp.Slice
	at := fyne.NewPos(100, 40)
	before, _ := vp.ScreenToVoxel(100, 40)
	x0, _, x1, _ := vp.ImageRect()
	u := (100 - x0) / (x1 - x0)

	sv.KeyDown(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	sv.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.Delta{DY: 6 * svWheelNotch}})
	sv.KeyUp(&fyne.KeyEvent{Name: desktop.KeyControlLeft})

	if math.Abs(vp.Zoom-2) > 1e-9 {
		t.Errorf("six notches: zoom %g, want 2", vp.Zoom)
	}
	if vp.Slice != slice {
		t.Errorf("Ctrl+wheel changed the slice to %d", vp.Slice)
	}
	x0, _, x1, _ = vp.ImageRect()
	if after, _ := vp.ScreenToVoxel(100, 40); after != before || math.Abs((100-x0)/(x1-x0)-u) > 1e-9 {
		t.Errorf("the point under the pointer moved: voxel %v → %v", before, after)
	}
	// Without Ctrl the wheel is slices again.
	sv.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.Delta{DY: svWheelNotch}})
	if vp.Slice != slice+1 || math.Abs(vp.Zoom-2) > 1e-9 {
		t.Errorf("plain wheel after Ctrl: slice %d zoom %g", vp.Slice, vp.Zoom)
	}
}

func TestSliceViewPan(t *testing.T) {
	sv, _ := svView(t, viewer.Coronal)
	vp := sv.Viewport()
	sc := vp.Scene
	win, cursor := sc.Window(), sc.Cursor
	sv.OnCursorChanged = func() { t.Error("a pan moved the crosshair") }
	sv.OnWindowChanged = func(viewer.Window) { t.Error("a pan changed the window") }

	// Right drag: Fyne reports it as mouse moves between MouseDown and
	// MouseUp. A move under the threshold does not pan yet.
	sv.MouseDown(svMouse(desktop.MouseButtonSecondary, 0, 50, 50))
	sv.MouseMoved(svMouse(desktop.MouseButtonSecondary, 0, 51, 50))
	if vp.PanX != 0 || vp.PanY != 0 {
		t.Errorf("1-unit move panned to %g,%g", vp.PanX, vp.PanY)
	}
	sv.MouseMoved(svMouse(desktop.MouseButtonSecondary, 0, 58, 46))
	sv.MouseMoved(svMouse(desktop.MouseButtonSecondary, 0, 60, 45))
	sv.MouseUp(svMouse(desktop.MouseButtonSecondary, 0, 60, 45))
	if vp.PanX != 10 || vp.PanY != -5 {
		t.Errorf("right drag: pan %g,%g, want 10,-5", vp.PanX, vp.PanY)
	}
	sv.MouseMoved(svMouse(0, 0, 70, 70))
	if vp.PanX != 10 || vp.PanY != -5 {
		t.Errorf("a move after release panned to %g,%g", vp.PanX, vp.PanY)
	}

	// Ctrl + left drag.
	sv.MouseDown(svMouse(desktop.MouseButtonPrimary, fyne.KeyModifierControl, 20, 20))
	sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(27, 17)}, Dragged: fyne.Delta{DX: 7, DY: -3}})
	sv.MouseUp(svMouse(desktop.MouseButtonPrimary, fyne.KeyModifierControl, 27, 17))
	sv.DragEnd()
	if vp.PanX != 17 || vp.PanY != -8 {
		t.Errorf("Ctrl+left drag: pan %g,%g, want 17,-8", vp.PanX, vp.PanY)
	}
	// Middle drag, as in Slicer and ITK-SNAP.
	sv.MouseDown(svMouse(desktop.MouseButtonTertiary, 0, 20, 20))
	sv.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(17, 24)}, Dragged: fyne.Delta{DX: -3, DY: 4}})
	sv.MouseUp(svMouse(desktop.MouseButtonTertiary, 0, 17, 24))
	sv.DragEnd()
	if vp.PanX != 14 || vp.PanY != -4 {
		t.Errorf("middle drag: pan %g,%g, want 14,-4", vp.PanX, vp.PanY)
	}
	if sc.Window() != win || sc.Cursor != cursor {
		t.Errorf("pan changed window %v or cursor %v", sc.Window(), sc.Cursor)
	}

	test.DoubleTap(sv)
	if vp.Zoom != 1 || vp.PanX != 0 || vp.PanY != 0 {
		t.Errorf("double click: zoom %g pan %g,%g, want 1, 0,0", vp.Zoom, vp.PanX, vp.PanY)
	}
}

// A click in the axial view moves the crosshair; the coronal view, wired as
// the main window wires it, follows to the clicked voxel's slice.
func TestSliceViewCrosshairLinking(t *testing.T) {
	test.NewTempApp(t)
	sc := svScene(t)
	ax := NewSliceView(view.NewViewport(sc, viewer.Axial))
	co := NewSliceView(view.NewViewport(sc, viewer.Coronal))
	svWindow(t, container.NewGridWithColumns(2, ax, co), 330, 120).Canvas().Capture()
	var active *SliceView
	for _, v := range []*SliceView{ax, co} {
		v.OnActivated = func(s *SliceView) { active = s }
	}
	ax.OnCursorChanged = func() {
		co.Viewport().FollowCursor()
		co.Refresh()
	}

	target := [3]int{5, 17, sc.Cursor[2]}
	x, y := ax.Viewport().VoxelToScreen(target) // viewport pixels = units at scale 1
	ax.MouseDown(svMouse(desktop.MouseButtonPrimary, 0, float32(x), float32(y)))
	ax.MouseUp(svMouse(desktop.MouseButtonPrimary, 0, float32(x), float32(y)))
	if sc.Cursor != target {
		t.Fatalf("cursor %v, want %v", sc.Cursor, target)
	}
	if co.Viewport().Slice != 17 {
		t.Errorf("coronal view at slice %d, want 17", co.Viewport().Slice)
	}
	if active != ax {
		t.Errorf("the clicked view was not activated")
	}
	// The coronal view's vertical crosshair line is now at i = 5.
	cx, _ := co.Viewport().VoxelToScreen(sc.Cursor)
	if idx, ok := co.Viewport().ScreenToVoxel(cx, 60); !ok || idx[0] != 5 || idx[1] != 17 {
		t.Errorf("coronal crosshair column shows voxel %v", idx)
	}
	// A click on the black margin changes nothing.
	ax.MouseDown(svMouse(desktop.MouseButtonPrimary, 0, 1, 1))
	ax.MouseUp(svMouse(desktop.MouseButtonPrimary, 0, 1, 1))
	if sc.Cursor != target {
		t.Errorf("a click outside the image moved the cursor to %v", sc.Cursor)
	}
}

// The widget renders at device pixels: at canvas scale 2 the viewport is
// twice the widget's size, and events are converted to match.
func TestSliceViewHiDPI(t *testing.T) {
	sv, win := svView(t, viewer.Axial)
	win.Canvas().(test.WindowlessCanvas).SetScale(2)
	win.Canvas().Capture()
	vp := sv.Viewport()
	if vp.W != 320 || vp.H != 240 {
		t.Fatalf("viewport %d×%d at scale 2, want 320×240", vp.W, vp.H)
	}
	target := [3]int{9, 3, vp.Slice}
	x, y := vp.VoxelToScreen(target)
	ux, uy := float32(x/2), float32(y/2)
	sv.MouseDown(svMouse(desktop.MouseButtonPrimary, 0, ux, uy))
	sv.MouseUp(svMouse(desktop.MouseButtonPrimary, 0, ux, uy))
	if vp.Scene.Cursor != target {
		t.Errorf("click at (%g,%g) units set cursor %v, want %v", ux, uy, vp.Scene.Cursor, target)
	}
	// W/L sensitivity is per Fyne unit, so the same gesture does the same
	// on every screen.
	start := vp.Scene.Window()
	test.Drag(win.Canvas(), fyne.NewPos(80, 60), 10, 0)
	if want := vp.Scene.DragWindow(start, 10, 0); vp.Scene.Window() != want {
		t.Errorf("HiDPI drag: window %v, want %v", vp.Scene.Window(), want)
	}
}

// The rendered widget matches the goldens in testdata/sliceview: image,
// overlay, crosshair, orientation letters and caption. To regenerate them
// after an intended change, run
//
//	DELINEATE_UPDATE_GOLDEN=1 go test ./ui -run TestSliceViewGolden
//
// and look at the new PNGs before committing them.
func TestSliceViewGolden(t *testing.T) {
	cases := []struct {
		name  string
		plane viewer.Plane
		setup func(*view.Viewport)
	}{
		{"axial.png", viewer.Axial, func(*view.Viewport) {}},
		{"coronal_zoom_outline.png", viewer.Coronal, func(vp *view.Viewport) {
			vp.Scene.Outline = true
			vp.Scene.Opacity = 1
			vp.Zoom, vp.PanX, vp.PanY = 2, 12, -6
		}},
		{"sagittal.png", viewer.Sagittal, func(vp *view.Viewport) {
			vp.SetSlice(20)
			vp.Scene.Cursor = [3]int{20, 12, 8}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sv, win := svView(t, c.plane)
			c.setup(sv.Viewport())
			sv.Refresh()
			img := win.Canvas().Capture()
			svAssertGolden(t, c.name, img)
			// Where no text is drawn, the screen is exactly the
			// viewport's render.
			ref := sv.Viewport().Render(nil)
			for _, pt := range [][2]int{{80, 60}, {70, 30}, {100, 90}} {
				got := color.NRGBAModel.Convert(img.At(pt[0], pt[1])).(color.NRGBA)
				r := ref.RGBAAt(pt[0], pt[1])
				if got != (color.NRGBA{r.R, r.G, r.B, r.A}) {
					t.Errorf("screen pixel %v = %v, render %v", pt, got, r)
				}
			}
		})
	}
}

func svAssertGolden(t *testing.T, name string, img image.Image) {
	t.Helper()
	path := filepath.Join("testdata", "sliceview", name)
	got := image.NewNRGBA(img.Bounds())
	draw.Draw(got, got.Rect, img, img.Bounds().Min, draw.Src)
	if os.Getenv("DELINEATE_UPDATE_GOLDEN") != "" {
		svWritePNG(t, path, got)
		t.Logf("wrote %s", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden: %v (DELINEATE_UPDATE_GOLDEN=1 writes it)", err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	want := image.NewNRGBA(m.Bounds())
	draw.Draw(want, want.Rect, m, m.Bounds().Min, draw.Src)
	if want.Rect != got.Rect {
		t.Fatalf("golden %s is %v, rendered %v", path, want.Rect, got.Rect)
	}
	diff, first := 0, image.Point{-1, -1}
	for y := got.Rect.Min.Y; y < got.Rect.Max.Y; y++ {
		for x := got.Rect.Min.X; x < got.Rect.Max.X; x++ {
			if got.NRGBAAt(x, y) != want.NRGBAAt(x, y) {
				if diff == 0 {
					first = image.Pt(x, y)
				}
				diff++
			}
		}
	}
	if diff > 0 {
		out := filepath.Join(os.TempDir(), "delineate-sliceview-failed", name)
		svWritePNG(t, out, got)
		t.Errorf("%s: %d pixels differ (first at %v: %v, want %v); rendered image in %s",
			path, diff, first, got.NRGBAAt(first.X, first.Y), want.NRGBAAt(first.X, first.Y), out)
	}
}

func svWritePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
