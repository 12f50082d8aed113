package view

import (
	"fmt"
	"strings"
	"testing"

	"delineate/viewer"
)

// Every voxel of a slice, placed on screen and picked back, is the same
// voxel: for every plane, storage order, zoom, pan and viewport shape.
func TestScreenVoxelRoundTrip(t *testing.T) {
	for _, dir := range []viewer.Mat3{dirLPS, dirRAS, dirLIA} {
		vol := patternVolume(t, geom([3]int{9, 7, 5}, viewer.Vec3{0.8, 1.1, 3}, dir))
		s := NewScene(vol)
		for _, p := range viewer.Planes {
			for _, size := range [][2]int{{200, 150}, {97, 301}} {
				for _, zoom := range []float64{1, 0.25, 0.5, 3.7, 32} {
					for _, pan := range [][2]float64{{0, 0}, {13.3, -7.9}, {-250, 40}} {
						v := NewViewport(s, p)
						v.W, v.H = size[0], size[1]
						v.Zoom, v.PanX, v.PanY = zoom, pan[0], pan[1]
						v.SetSlice(v.NumSlices() - 1)
						l := v.Layout()
						for y := range l.Height {
							for x := range l.Width {
								want := l.Voxel(v.Slice, x, y)
								sx, sy := v.VoxelToScreen(want)
								got, ok := v.ScreenToVoxel(sx, sy)
								if !ok || got != want {
									t.Fatalf("%v %v zoom %g pan %v: voxel %v → screen (%g,%g) → %v ok=%v",
										dir, p, zoom, pan, want, sx, sy, got, ok)
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestScreenToVoxelOutside(t *testing.T) {
	s := NewScene(patternVolume(t, geom([3]int{10, 10, 10}, viewer.Vec3{1, 1, 1}, dirLPS)))
	v := NewViewport(s, viewer.Axial)
	v.W, v.H = 200, 100 // image is 100×100 centred: x in [50, 150)
	x0, y0, x1, y1 := v.ImageRect()
	if x0 != 50 || y0 != 0 || x1 != 150 || y1 != 100 {
		t.Fatalf("ImageRect = %g,%g,%g,%g, want 50,0,150,100", x0, y0, x1, y1)
	}
	for _, pt := range [][2]float64{{49.9, 50}, {150, 50}, {100, -0.1}, {100, 100}} {
		if idx, ok := v.ScreenToVoxel(pt[0], pt[1]); ok {
			t.Errorf("ScreenToVoxel%v = %v inside, want outside", pt, idx)
		}
	}
	if idx, ok := v.ScreenToVoxel(50, 0); !ok || idx != [3]int{0, 0, 5} {
		t.Errorf("ScreenToVoxel(50,0) = %v %v, want [0 0 5] true", idx, ok)
	}
	if idx, ok := v.ScreenToVoxel(149.99, 99.99); !ok || idx != [3]int{9, 9, 5} {
		t.Errorf("ScreenToVoxel(149.99,99.99) = %v %v, want [9 9 5] true", idx, ok)
	}
}

// The image point under the pointer stays under the pointer, including
// when the zoom hits its limits.
func TestZoomAtKeepsPointFixed(t *testing.T) {
	s := NewScene(patternVolume(t, geom([3]int{64, 48, 20}, viewer.Vec3{0.7, 0.7, 2.5}, dirLPS)))
	for _, p := range viewer.Planes {
		v := NewViewport(s, p)
		v.W, v.H = 300, 220
		v.Pan(17, -9)
		l := v.Layout()
		pts := [][2]float64{{150, 110}, {10.5, 200.25}, {299, 0}}
		for _, f := range []float64{2, 1.1, 0.5, 1000, 1e-6, 3} {
			for _, pt := range pts {
				x0, y0, x1, y1 := v.ImageRect()
				u := (pt[0] - x0) / (x1 - x0) * float64(l.Width)
				w := (pt[1] - y0) / (y1 - y0) * float64(l.Height)
				v.ZoomAt(f, pt[0], pt[1])
				x0, y0, x1, y1 = v.ImageRect()
				u2 := (pt[0] - x0) / (x1 - x0) * float64(l.Width)
				w2 := (pt[1] - y0) / (y1 - y0) * float64(l.Height)
				if !near(u, u2, 1e-9) || !near(w, w2, 1e-9) {
					t.Fatalf("%v: ZoomAt(%g, %v) moved image point (%g,%g) to (%g,%g)", p, f, pt, u, w, u2, w2)
				}
				if v.Zoom < MinZoom || v.Zoom > MaxZoom {
					t.Fatalf("zoom %g outside [%g, %g]", v.Zoom, MinZoom, MaxZoom)
				}
			}
		}
	}
	v := NewViewport(s, viewer.Axial)
	v.W, v.H = 100, 100
	v.ZoomAt(1000, 50, 50)
	if v.Zoom != MaxZoom {
		t.Errorf("zoom %g, want clamped to %g", v.Zoom, MaxZoom)
	}
	v.ZoomAt(1e-9, 50, 50)
	if v.Zoom != MinZoom {
		t.Errorf("zoom %g, want clamped to %g", v.Zoom, MinZoom)
	}
	v.Reset()
	if v.Zoom != 1 || v.PanX != 0 || v.PanY != 0 {
		t.Errorf("after Reset: zoom %g pan %g,%g", v.Zoom, v.PanX, v.PanY)
	}
}

// 0.5×0.5×5 mm voxels: in the coronal and sagittal planes a voxel is ten
// times taller than wide on screen, and the fitted slice keeps the
// physical aspect.
func TestFitAspectAnisotropic(t *testing.T) {
	s := NewScene(patternVolume(t, geom([3]int{40, 60, 10}, viewer.Vec3{0.5, 0.5, 5}, dirLPS)))
	cases := []struct {
		p                  viewer.Plane
		x0, y0, x1, y1, sy float64
	}{
		// axial: 20×30 mm in 200×200 → 6.667 px/mm; 133.3×200 px.
		{viewer.Axial, 100 - 200.0/3, 0, 100 + 200.0/3, 200, 10.0 / 3},
		// coronal: 20 mm × 50 mm → 4 px/mm: 80×200 px, voxel 2×20.
		{viewer.Coronal, 60, 0, 140, 200, 20},
		// sagittal: 30 mm × 50 mm → 4 px/mm: 120×200 px, voxel 2×20.
		{viewer.Sagittal, 40, 0, 160, 200, 20},
	}
	for _, c := range cases {
		v := NewViewport(s, c.p)
		v.W, v.H = 200, 200
		x0, y0, x1, y1 := v.ImageRect()
		if !near(x0, c.x0, 1e-9) || !near(y0, c.y0, 1e-9) || !near(x1, c.x1, 1e-9) || !near(y1, c.y1, 1e-9) {
			t.Errorf("%v: ImageRect %g,%g,%g,%g want %g,%g,%g,%g", c.p, x0, y0, x1, y1, c.x0, c.y0, c.x1, c.y1)
		}
		l := v.Layout()
		sx, sy := (x1-x0)/float64(l.Width), (y1-y0)/float64(l.Height)
		if !near(sy, c.sy, 1e-9) {
			t.Errorf("%v: voxel height %g px, want %g", c.p, sy, c.sy)
		}
		if c.p != viewer.Axial && !near(sy/sx, 10, 1e-9) {
			t.Errorf("%v: voxel aspect %g, want 10", c.p, sy/sx)
		}
	}
}

func TestSetSliceClampsAndMovesCursor(t *testing.T) {
	s := NewScene(patternVolume(t, geom([3]int{8, 6, 4}, viewer.Vec3{1, 1, 1}, dirLPS)))
	if s.Cursor != [3]int{4, 3, 2} {
		t.Fatalf("initial cursor %v, want centre [4 3 2]", s.Cursor)
	}
	cases := []struct {
		p          viewer.Plane
		axis, n    int
		set, want  int
		scroll, at int
	}{
		{viewer.Axial, 2, 4, -3, 0, 2, 2},
		{viewer.Axial, 2, 4, 99, 3, -10, 0},
		{viewer.Coronal, 1, 6, 5, 5, -2, 3},
		{viewer.Sagittal, 0, 8, 8, 7, 1, 7},
	}
	for _, c := range cases {
		v := NewViewport(s, c.p)
		if v.NumSlices() != c.n {
			t.Fatalf("%v: %d slices, want %d", c.p, v.NumSlices(), c.n)
		}
		v.SetSlice(c.set)
		if v.Slice != c.want || s.Cursor[c.axis] != c.want {
			t.Errorf("%v: SetSlice(%d) → slice %d cursor %v, want %d", c.p, c.set, v.Slice, s.Cursor, c.want)
		}
		v.Scroll(c.scroll)
		if v.Slice != c.at || s.Cursor[c.axis] != c.at {
			t.Errorf("%v: Scroll(%d) → slice %d cursor %v, want %d", c.p, c.scroll, v.Slice, s.Cursor, c.at)
		}
	}
}

// Step follows the patient, not the storage order: superior, anterior,
// right.
func TestStepDirection(t *testing.T) {
	cases := []struct {
		dir  viewer.Mat3
		name string
		want [3]int // index step of Step(1) for axial, coronal, sagittal
	}{
		// LPS: k → superior, j → posterior, i → left.
		{dirLPS, "LPS", [3]int{+1, -1, -1}},
		// RAS: k → superior, j → anterior, i → right.
		{dirRAS, "RAS", [3]int{+1, +1, +1}},
		// LIA: axial normal is j → inferior, coronal is k → anterior,
		// sagittal is i → left.
		{dirLIA, "LIA", [3]int{-1, +1, -1}},
	}
	for _, c := range cases {
		s := NewScene(patternVolume(t, geom([3]int{8, 8, 8}, viewer.Vec3{1, 1, 1}, c.dir)))
		for i, p := range viewer.Planes {
			v := NewViewport(s, p)
			k := v.Slice
			v.Step(1)
			if v.Slice-k != c.want[i] {
				t.Errorf("%s %v: Step(1) moved %d slices, want %d", c.name, p, v.Slice-k, c.want[i])
			}
			v.Step(-3)
			if v.Slice-k != -2*c.want[i] {
				t.Errorf("%s %v: Step(-3) after Step(1) at %d, want %d", c.name, p, v.Slice-k, -2*c.want[i])
			}
		}
	}
}

// A click in one view moves the crosshair; the other views follow it to
// the slices through the clicked voxel.
func TestCrosshairLinking(t *testing.T) {
	for _, dir := range []viewer.Mat3{dirLPS, dirRAS, dirLIA} {
		vol := patternVolume(t, geom([3]int{12, 10, 8}, viewer.Vec3{1, 0.9, 2}, dir))
		s := NewScene(vol)
		views := map[viewer.Plane]*Viewport{}
		for _, p := range viewer.Planes {
			views[p] = NewViewport(s, p)
			views[p].W, views[p].H = 240, 180
		}
		ax := views[viewer.Axial]
		ax.SetSlice(1)
		l := ax.Layout()
		target := l.Voxel(ax.Slice, 2, 7) // image pixel (2,7) of axial slice 1
		x, y := ax.VoxelToScreen(target)
		if !ax.SetCursorAt(x, y) {
			t.Fatalf("%v: SetCursorAt(%g,%g) outside", dir, x, y)
		}
		if s.Cursor != target {
			t.Fatalf("%v: cursor %v, want %v", dir, s.Cursor, target)
		}
		for _, p := range []viewer.Plane{viewer.Coronal, viewer.Sagittal} {
			v := views[p]
			v.FollowCursor()
			if want := target[v.Layout().NormalAxis]; v.Slice != want {
				t.Errorf("%v %v: followed to slice %d, want %d", dir, p, v.Slice, want)
			}
			// The crosshair in that view sits on the clicked voxel.
			cx, cy := v.VoxelToScreen(s.Cursor)
			if got, ok := v.ScreenToVoxel(cx, cy); !ok || got != target {
				t.Errorf("%v %v: crosshair at %v, want %v", dir, p, got, target)
			}
		}
		// Clicking outside the image changes nothing.
		if ax.SetCursorAt(-5, -5) || s.Cursor != target {
			t.Errorf("%v: click outside moved the cursor to %v", dir, s.Cursor)
		}
	}
}

func TestOrientationLabels(t *testing.T) {
	want := map[viewer.Plane][4]string{
		viewer.Axial:    {"R", "L", "A", "P"},
		viewer.Coronal:  {"R", "L", "S", "I"},
		viewer.Sagittal: {"A", "P", "S", "I"},
	}
	for _, dir := range []viewer.Mat3{dirLPS, dirRAS, dirLIA} {
		s := NewScene(patternVolume(t, geom([3]int{6, 7, 8}, viewer.Vec3{1, 1, 1}, dir)))
		for _, p := range viewer.Planes {
			l, r, tp, b := NewViewport(s, p).OrientationLabels()
			if got := [4]string{l, r, tp, b}; got != want[p] {
				t.Errorf("%v %v: labels %v, want %v", dir, p, got, want[p])
			}
		}
	}
	// 30° about the patient's z axis: the axial view's edges lean both
	// ways, strongest letter first.
	c, sn := 0.8660254037844387, 0.5
	rot := viewer.Mat3{{c, -sn, 0}, {sn, c, 0}, {0, 0, 1}}
	s := NewScene(patternVolume(t, geom([3]int{6, 7, 8}, viewer.Vec3{1, 1, 1}, rot)))
	l, r, tp, b := NewViewport(s, viewer.Axial).OrientationLabels()
	if got := strings.Join([]string{l, r, tp, b}, " "); got != "RA LP AL PR" {
		t.Errorf("oblique axial labels %q, want %q", got, "RA LP AL PR")
	}
	l, r, tp, b = NewViewport(s, viewer.Coronal).OrientationLabels()
	if got := strings.Join([]string{l, r, tp, b}, " "); got != "RA LP S I" {
		t.Errorf("oblique coronal labels %q, want %q", got, "RA LP S I")
	}
}

func TestDragWindow(t *testing.T) {
	g := geom([3]int{4, 4, 4}, viewer.Vec3{1, 1, 1}, dirLPS)
	vol, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	d := vol.Data.Raw().([]int16)
	d[0], d[1] = -1000, 1500 // range 2500: 5 per pixel
	s := NewScene(vol)
	start := viewer.Window{Center: 40, Width: 400}
	cases := []struct {
		dx, dy float64
		want   viewer.Window
	}{
		{10, 0, viewer.Window{Center: 40, Width: 450}},    // right: wider
		{-10, 0, viewer.Window{Center: 40, Width: 350}},   // left: narrower
		{0, -10, viewer.Window{Center: 90, Width: 400}},   // up: level up
		{0, 20, viewer.Window{Center: -60, Width: 400}},   // down: level down
		{-1000, 0, viewer.Window{Center: 40, Width: 1}},   // width stays ≥ 1
		{3, -4, viewer.Window{Center: 60, Width: 415}},    // both
		{0.5, 0, viewer.Window{Center: 40, Width: 402.5}}, // sub-pixel (HiDPI)
	}
	for _, c := range cases {
		if got := s.DragWindow(start, c.dx, c.dy); got != c.want {
			t.Errorf("DragWindow(%v, %g, %g) = %v, want %v", start, c.dx, c.dy, got, c.want)
		}
	}
	// A normalised float MR (range 0..1) may narrow below 1.
	fv := constVolume(t, g, viewer.Float32, 0)
	fv.Data.Raw().([]float32)[5] = 1
	fs := NewScene(fv)
	if got := fs.DragWindow(viewer.Window{Center: 0.5, Width: 1}, -400, 0); !near(got.Width, 0.2, 1e-12) {
		t.Errorf("float drag: width %g, want 0.2", got.Width)
	}
	if got := fs.DragWindow(viewer.Window{Center: 0.5, Width: 1}, -1000, 0); !near(got.Width, 0.002, 1e-12) {
		t.Errorf("float drag: width %g, want clamped to 0.002", got.Width)
	}
}

func TestSetLabelsAligns(t *testing.T) {
	g := geom([3]int{6, 5, 4}, viewer.Vec3{1, 1, 2}, dirLPS)
	img := patternVolume(t, g)
	s := NewScene(img)
	lab := constVolume(t, g, viewer.Uint8, 0)
	lab.Data.Raw().([]uint8)[g.Index(1, 2, 3)] = 7
	// Store the labels in another order (as another tool might) and check
	// that they come back on the image grid.
	flipped := viewer.Reorient(lab, [3]int{2, 0, 1}, [3]bool{true, false, true})
	v0 := s.LabelsVersion()
	if err := s.SetLabels(flipped); err != nil {
		t.Fatal(err)
	}
	if s.Labels.Dims != g.Dims || s.Labels.Value(1, 2, 3) != 7 {
		t.Fatalf("labels not aligned: dims %v value %g", s.Labels.Dims, s.Labels.Value(1, 2, 3))
	}
	if s.LabelsVersion() == v0 {
		t.Error("SetLabels did not bump the labels version")
	}
	other := constVolume(t, geom([3]int{6, 5, 3}, viewer.Vec3{1, 1, 2}, dirLPS), viewer.Uint8, 0)
	if err := s.SetLabels(other); err == nil {
		t.Error("SetLabels accepted a label map on another grid")
	}
	if err := s.SetLabels(nil); err != nil || s.Labels != nil {
		t.Errorf("SetLabels(nil): %v, labels %v", err, s.Labels)
	}
}

func TestInfo(t *testing.T) {
	g := geom([3]int{10, 8, 6}, viewer.Vec3{0.5, 0.5, 2}, dirLPS)
	g.Origin = viewer.Vec3{-10, 20, 30}
	vol := patternVolume(t, g)
	s := NewScene(vol)
	lab := constVolume(t, g, viewer.Uint8, 0)
	lab.Data.Raw().([]uint8)[g.Index(3, 4, 2)] = 5
	if err := s.SetLabels(lab); err != nil {
		t.Fatal(err)
	}
	v := NewViewport(s, viewer.Axial)
	v.W, v.H = 100, 80
	v.SetSlice(2)
	x, y := v.VoxelToScreen([3]int{3, 4, 2})
	ci := v.Info(x, y)
	wantLPS := viewer.Vec3{-10 + 1.5, 20 + 2, 30 + 4}
	if !ci.Inside || ci.Voxel != [3]int{3, 4, 2} || ci.LPS != wantLPS ||
		ci.RAS != (viewer.Vec3{-wantLPS[0], -wantLPS[1], wantLPS[2]}) ||
		ci.Value != vol.Value(3, 4, 2) || ci.Label != 5 || ci.Slice != 2 || ci.NumSlices != 6 || ci.Zoom != 1 {
		t.Errorf("Info = %+v", ci)
	}
	out := v.Info(-1, -1)
	if out.Inside || out.Value != 0 || out.Label != 0 || out.NumSlices != 6 {
		t.Errorf("Info outside = %+v", out)
	}
}

func TestHistogram(t *testing.T) {
	g := geom([3]int{10, 1, 1}, viewer.Vec3{1, 1, 1}, dirLPS)
	vol, _ := viewer.NewVolume(g, viewer.Int16)
	copy(vol.Data.Raw().([]int16), []int16{-5, 0, 1, 2, 3, 4, 5, 9, 10, 11})
	got := Histogram(vol, 5, 0, 10)
	want := []int{2, 2, 2, 0, 2} // [0,2) [2,4) [4,6) [6,8) [8,10]
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Histogram = %v, want %v", got, want)
	}
	fv := constVolume(t, g, viewer.Float32, 2)
	if got := Histogram(fv, 3, 2, 2); fmt.Sprint(got) != "[10 0 0]" {
		t.Errorf("Histogram of a constant over an empty range = %v", got)
	}
	if Histogram(vol, 0, 0, 1) != nil {
		t.Error("Histogram with no bins is not nil")
	}
}
