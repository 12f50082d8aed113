package view

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"delineate/viewer"
)

// predScene is renderScene (grey 128, label 1 at i 10..13, j 8..11,
// k 4..11) with a prediction of label 3 at i 12..17, j 9..12, k 5..9,
// overlapping the label's right columns, and label 1 at i 2..3, j 2..3.
func predScene(t *testing.T) *Scene {
	t.Helper()
	s := renderScene(t)
	s.SetWindow(viewer.Window{Center: 100, Width: 200}) // value 100 → 128
	g := s.Volume.Geometry
	p := constVolume(t, g, viewer.Uint8, 0)
	ps := p.Data.Raw().([]uint8)
	for k := 5; k < 10; k++ {
		for j := 9; j < 13; j++ {
			for i := 12; i < 18; i++ {
				ps[g.Index(i, j, k)] = 3
			}
		}
		for j := 2; j < 4; j++ {
			for i := 2; i < 4; i++ {
				ps[g.Index(i, j, k)] = 1
			}
		}
	}
	if err := s.SetPrediction(p); err != nil {
		t.Fatal(err)
	}
	return s
}

// mix is blendPixel on one pixel: c over p at c's alpha.
func mix(p color.RGBA, c color.NRGBA) color.RGBA {
	px := []byte{p.R, p.G, p.B, p.A}
	blendPixel(px, c)
	return color.RGBA{px[0], px[1], px[2], px[3]}
}

func TestPredictionKnownPixels(t *testing.T) {
	s := predScene(t)
	s.Opacity = 0.4
	v := NewViewport(s, viewer.Axial)
	v.W, v.H = 320, 240 // 10 px per voxel, image at (0, 0)
	v.HideCrosshair = true
	v.SetSlice(6)
	if x0, y0, _, _ := v.ImageRect(); x0 != 0 || y0 != 0 {
		t.Fatalf("image at %g, %g", x0, y0)
	}
	img := v.Render(nil)
	// 10 screen pixels a voxel: voxel (i, j) covers x 10i … 10i+9,
	// y 10j … 10j+9, and the hatch is where (x + y) mod 6 < 2.
	grey := color.RGBA{128, 128, 128, 255}
	labelFill := color.RGBA{uint8((128*154 + 255*102 + 128) >> 8), uint8((128*154 + 128) >> 8), uint8((128*154 + 128) >> 8), 255}
	blue := color.NRGBA{0, 0, 255, 255}      // default colour of id 3
	blueHatch := color.NRGBA{0, 0, 255, 128} // at opacity 0.5
	for _, c := range []struct {
		name string
		x, y int
		want color.RGBA
	}{
		// Voxel (15, 10): inside the prediction, on grey.
		{"gap", 150, 105, grey},                   // 255 ≡ 3
		{"gap", 151, 105, grey},                   // ≡ 4
		{"hatch", 153, 105, mix(grey, blueHatch)}, // ≡ 0
		{"hatch", 154, 105, mix(grey, blueHatch)}, // ≡ 1
		{"gap", 155, 105, grey},                   // ≡ 2
		// Voxel (13, 10): inside the prediction and the label, whose fill
		// still shows between the hatch lines and under them.
		{"label gap", 132, 105, labelFill},
		{"label hatch", 135, 105, mix(labelFill, blueHatch)},
		// One-pixel outline along the prediction's sides.
		{"right side of (17, 10)", 179, 105, mix(grey, blue)},
		{"one pixel in", 178, 103, grey}, // 281 ≡ 5
		{"top side of (15, 9)", 152, 90, mix(grey, blue)},
		{"below the top side", 152, 91, grey}, // 243 ≡ 3
		{"bottom side of (15, 12)", 152, 129, mix(grey, blue)},
		{"left side of (12, 10), over the label", 120, 105, mix(labelFill, blue)},
		// Outside the prediction the label fill is untouched, and so is the
		// grey.
		{"label only", 105, 105, labelFill},
		{"grey only", 50, 150, grey},
	} {
		if got := rgbaAt(img, c.x, c.y); got != c.want {
			t.Errorf("%s: pixel (%d,%d) = %v, want %v", c.name, c.x, c.y, got, c.want)
		}
	}

	// Hidden, the image is exactly what it is without a prediction.
	s.ShowPrediction = false
	hidden := v.Render(nil)
	s.ShowPrediction = true
	pred := s.Prediction
	s.Prediction = nil
	without := v.Render(nil)
	s.Prediction = pred
	if !equalImages(hidden, without) {
		t.Error("ShowPrediction false still draws it")
	}
	if equalImages(v.Render(nil), without) {
		t.Error("shown again, the prediction is not drawn")
	}
}

func equalImages(a, b *image.RGBA) bool {
	if a.Rect != b.Rect {
		return false
	}
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				return false
			}
		}
	}
	return true
}

// The prediction layer against its definition, pixel by pixel, over the
// image drawn without it: in every plane, style, zoom, pan and line width,
// with the labels drawn as fill and as outlines. A screen pixel showing a
// prediction id is an outline pixel when the pixel lw away in any of the
// four directions shows another id (outside counts as 0); outline pixels
// take the id's colour (PredOutline: only where the pattern phase is a
// dash); other pixels take the colour at PredictionOpacity where the phase
// is a hatch line (PredOutlineHatch) or everywhere (PredFill). The phase is
// (x − ⌊x0⌋ + y − ⌊y0⌋) mod 6·lw, (x0, y0) the image's top-left corner.
func TestPredictionDefinition(t *testing.T) {
	g := geom([3]int{11, 9, 5}, viewer.Vec3{1, 1.5, 2}, dirRAS)
	s := NewScene(patternVolume(t, g))
	lab := patternVolume(t, g)
	for i, x := range lab.Data.Raw().([]uint8) {
		lab.Data.Raw().([]uint8)[i] = (x / 7) % 3
	}
	if err := s.SetLabels(lab); err != nil {
		t.Fatal(err)
	}
	pred := patternVolume(t, g)
	for i, x := range pred.Data.Raw().([]uint8) {
		pred.Data.Raw().([]uint8)[i] = x % 4 // 0..3, with id 3 past a short table
	}
	if err := s.SetPrediction(pred); err != nil {
		t.Fatal(err)
	}
	// A 3-entry table: id 3 wraps to 1's colour but is still its own id
	// for the outline; id 2 is translucent.
	s.PredictionColours = viewer.LabelColours{{}, {250, 20, 30, 255}, {10, 200, 40, 160}}
	s.PredictionOpacity = 0.7
	for _, p := range viewer.Planes {
		for _, labelOutline := range []bool{false, true} {
			for _, style := range []PredictionStyle{PredOutlineHatch, PredOutline, PredFill} {
				for _, zc := range []struct {
					zoom, px, py float64
					lw           int
				}{{1, 0, 0, 1}, {2.5, 13, -7, 1}, {4, -40.3, 10.6, 2}, {1.3, 3, 3, 3}, {7, -200, -90, 1}, {0.4, 5, -3, 1}, {5, 150, 60, 2}, {3, 0.5, 0.5, 4}} {
					v := NewViewport(s, p)
					v.W, v.H, v.LineWidth = 150, 110, zc.lw
					v.Zoom, v.PanX, v.PanY = zc.zoom, zc.px, zc.py
					v.HideCrosshair = true
					s.Outline, s.PredictionStyle = labelOutline, style
					s.ShowPrediction = false
					base := v.Render(nil)
					s.ShowPrediction = true
					img := v.Render(nil)
					x0, y0, _, _ := v.ImageRect()
					ox, oy := floorInt(x0), floorInt(y0)
					id := func(x, y int) uint8 {
						idx, ok := v.ScreenToVoxel(float64(x)+0.5, float64(y)+0.5)
						if !ok {
							return 0
						}
						return uint8(pred.Value(idx[0], idx[1], idx[2]))
					}
					lw := zc.lw
					for y := range v.H {
						for x := range v.W {
							want := rgbaAt(base, x, y)
							if c := id(x, y); c > 0 {
								col := s.PredictionColours.Colour(int(c))
								line := color.NRGBA(col)
								fill := color.NRGBA{col.R, col.G, col.B, uint8(0.7*float64(col.A) + 0.5)}
								ph := ((x-ox+y-oy)%(6*lw) + 6*lw) % (6 * lw)
								edge := id(x-lw, y) != c || id(x+lw, y) != c || id(x, y-lw) != c || id(x, y+lw) != c
								switch {
								case edge && (style != PredOutline || ph < 4*lw):
									want = mix(want, line)
								case edge:
								case style == PredFill || style == PredOutlineHatch && ph < 2*lw:
									want = mix(want, fill)
								}
							}
							if got := rgbaAt(img, x, y); got != want {
								t.Fatalf("%v outline %v style %d %+v: pixel (%d,%d) = %v, want %v", p, labelOutline, style, zc, x, y, got, want)
							}
						}
					}
				}
			}
		}
	}
}

func TestSetPrediction(t *testing.T) {
	s := renderScene(t)
	g := s.Volume.Geometry
	// Stored RAS (i and j reversed): aligned onto the image's grid.
	ras := g
	ras.Direction = dirRAS
	ras.Origin = g.IndexToLPS(viewer.Vec3{float64(g.Dims[0] - 1), float64(g.Dims[1] - 1), 0})
	p := constVolume(t, ras, viewer.Uint8, 0)
	p.Data.Raw().([]uint8)[ras.Index(0, 0, 3)] = 7
	s.ShowPrediction = false
	if err := s.SetPrediction(p); err != nil {
		t.Fatal(err)
	}
	if !s.ShowPrediction || s.Prediction.Geometry != g || s.Prediction.Value(g.Dims[0]-1, g.Dims[1]-1, 3) != 7 {
		t.Fatalf("not aligned: show %v geometry %+v", s.ShowPrediction, s.Prediction.Geometry)
	}
	v0 := s.PredictionVersion()
	// Another grid: refused, saying how, and the old prediction stays.
	bad := g
	bad.Spacing[2] = 3
	err := s.SetPrediction(constVolume(t, bad, viewer.Uint8, 1))
	if err == nil || !strings.Contains(err.Error(), "spacing") {
		t.Fatalf("wrong grid: %v", err)
	}
	if s.Prediction.Geometry != g || s.PredictionVersion() != v0 {
		t.Fatal("a refused prediction replaced the old one")
	}
	if err := NewScene(nil).SetPrediction(p); err == nil {
		t.Fatal("prediction accepted without an image")
	}
	if err := s.SetPrediction(nil); err != nil || s.Prediction != nil {
		t.Fatalf("removing: %v", err)
	}
	// A prediction put in the field directly on another grid draws nothing
	// and reports it.
	s.Prediction = constVolume(t, geom([3]int{3, 3, 3}, viewer.Vec3{1, 1, 1}, dirLPS), viewer.Uint8, 1)
	v := NewViewport(s, viewer.Axial)
	v.W, v.H = 64, 48
	v.Render(nil)
	if v.Err() != errPredictionGrid {
		t.Fatalf("error %v", v.Err())
	}
	// Info reports the prediction under the pointer.
	s.Prediction = nil
	if err := s.SetPrediction(p); err != nil {
		t.Fatal(err)
	}
	v.SetSlice(3)
	x, y := v.VoxelToScreen([3]int{g.Dims[0] - 1, g.Dims[1] - 1, 3})
	if ci := v.Info(x, y); ci.Prediction != 7 {
		t.Fatalf("info prediction %d, want 7", ci.Prediction)
	}
}

// The prediction's cache is redrawn when it changes, and not otherwise.
func TestPredictionInvalidation(t *testing.T) {
	s := predScene(t)
	s.PredictionStyle = PredFill
	s.PredictionOpacity = 1
	v := NewViewport(s, viewer.Coronal)
	v.W, v.H = 128, 128
	v.HideCrosshair = true
	v.SetSlice(10)
	x, y := v.VoxelToScreen([3]int{14, 10, 7}) // inside label 3, away from its outline
	at := func() color.RGBA { return rgbaAt(v.Render(nil), int(x), int(y)) }
	blue := color.RGBA{0, 0, 255, 255}
	if got := at(); got != blue {
		t.Fatalf("fill at opacity 1: %v, want blue", got)
	}
	s.Prediction.Data.Raw().([]uint8)[s.Prediction.Index(14, 10, 7)] = 2 // green, without telling
	if got := at(); got != blue {
		t.Errorf("an in-place change showed without MarkPredictionChanged: the cache is not used (%v)", got)
	}
	s.MarkPredictionChanged()
	// Now a lone voxel of 2 in a field of 3: all outline.
	if got := at(); got != (color.RGBA{0, 255, 0, 255}) {
		t.Errorf("after MarkPredictionChanged: %v, want green", got)
	}
	s.PredictionColours = viewer.DefaultLabelColours()
	s.PredictionColours[2] = color.RGBA{255, 0, 255, 255}
	if got := at(); got != (color.RGBA{255, 0, 255, 255}) {
		t.Errorf("new colour table: %v, want magenta", got)
	}
	x, y = v.VoxelToScreen([3]int{15, 10, 7})
	s.PredictionOpacity = 0
	if got := at(); got != (color.RGBA{128, 128, 128, 255}) {
		t.Errorf("opacity 0: %v, want grey", got)
	}
	s.PredictionOpacity = 1
	s.PredictionStyle = PredOutline
	if got := at(); got != (color.RGBA{128, 128, 128, 255}) {
		t.Errorf("outline style inside: %v, want grey", got)
	}
	s.PredictionStyle = PredFill
	if got := at(); got != blue {
		t.Errorf("fill style again: %v, want blue", got)
	}
	s.ShowPrediction = false
	if got := at(); got != (color.RGBA{128, 128, 128, 255}) {
		t.Errorf("hidden: %v, want grey", got)
	}
}

func TestPredictionRenderAllocatesNothing(t *testing.T) {
	s := predScene(t)
	v := NewViewport(s, viewer.Axial)
	v.W, v.H = 200, 150
	dst := v.Render(nil)
	k := 0
	allocs := testing.AllocsPerRun(20, func() {
		k++
		v.SetSlice(k % v.NumSlices())
		v.Pan(1, 0)
		if out := v.Render(dst); out != dst {
			t.Fatal("Render replaced a right-sized dst")
		}
	})
	if allocs != 0 {
		t.Errorf("Render with a prediction allocates %g times per slice change", allocs)
	}
}
