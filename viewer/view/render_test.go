package view

import (
	"image"
	"image/color"
	"testing"

	"delineate/viewer"
)

// renderScene is a 32×24×16 volume of constant value 100 (a uniform grey
// under any window) with a label-1 box at i 10..13, j 8..11, k 4..11.
func renderScene(t *testing.T) *Scene {
	t.Helper()
	g := geom([3]int{32, 24, 16}, viewer.Vec3{1, 1, 2}, dirLPS)
	s := NewScene(constVolume(t, g, viewer.Int16, 100))
	lab := constVolume(t, g, viewer.Uint8, 0)
	ls := lab.Data.Raw().([]uint8)
	for k := 4; k < 12; k++ {
		for j := 8; j < 12; j++ {
			for i := 10; i < 14; i++ {
				ls[g.Index(i, j, k)] = 1
			}
		}
	}
	if err := s.SetLabels(lab); err != nil {
		t.Fatal(err)
	}
	return s
}

func rgbaAt(img *image.RGBA, x, y int) color.RGBA { return img.RGBAAt(x, y) }

func TestRenderCentreGrey(t *testing.T) {
	s := renderScene(t)
	s.ShowLabels = false
	win := viewer.Window{Center: 50, Width: 200}
	s.SetWindow(win)
	want := win.Grey(100) // round((100 − (−50)) / 200 · 255) = 191
	if want != 191 {
		t.Fatalf("window grey %d, want 191", want)
	}
	for _, p := range viewer.Planes {
		v := NewViewport(s, p)
		v.W, v.H = 64, 48
		v.HideCrosshair = true
		img := v.Render(nil)
		if img.Rect != image.Rect(0, 0, 64, 48) {
			t.Fatalf("%v: image %v", p, img.Rect)
		}
		if got := rgbaAt(img, 32, 24); got != (color.RGBA{191, 191, 191, 255}) {
			t.Errorf("%v: centre pixel %v, want grey 191", p, got)
		}
	}
}

// Every screen pixel is the image pixel under its centre (nearest
// neighbour, no smoothing) or opaque black outside the image.
func TestRenderNearestNeighbour(t *testing.T) {
	vol := patternVolume(t, geom([3]int{13, 9, 7}, viewer.Vec3{0.9, 1.3, 2.2}, dirLIA))
	s := NewScene(vol)
	s.SetWindow(viewer.Window{Center: 127.5, Width: 255}) // grey = value
	for _, p := range viewer.Planes {
		for _, zc := range []struct{ zoom, px, py float64 }{{1, 0, 0}, {2.7, -31, 12.5}, {0.3, 5, 5}, {9, 100, -40}} {
			v := NewViewport(s, p)
			v.W, v.H = 123, 77
			v.Zoom, v.PanX, v.PanY = zc.zoom, zc.px, zc.py
			v.HideCrosshair = true
			img := v.Render(nil)
			for y := range v.H {
				for x := range v.W {
					want := color.RGBA{0, 0, 0, 255}
					if idx, ok := v.ScreenToVoxel(float64(x)+0.5, float64(y)+0.5); ok {
						g := uint8(vol.Value(idx[0], idx[1], idx[2]))
						want = color.RGBA{g, g, g, 255}
					}
					if got := rgbaAt(img, x, y); got != want {
						t.Fatalf("%v zoom %+v: pixel (%d,%d) = %v, want %v", p, zc, x, y, got, want)
					}
				}
			}
		}
	}
}

func TestRenderOverlayFillAndOutline(t *testing.T) {
	s := renderScene(t)
	s.SetWindow(viewer.Window{Center: 100, Width: 200}) // value 100 → 128
	s.Opacity = 1
	v := NewViewport(s, viewer.Axial)
	v.W, v.H = 320, 240 // 10 px per voxel
	v.HideCrosshair = true
	v.SetSlice(6)
	px := func(img *image.RGBA, i, j int) color.RGBA {
		x, y := v.VoxelToScreen([3]int{i, j, v.Slice})
		return rgbaAt(img, int(x), int(y))
	}
	grey := color.RGBA{128, 128, 128, 255}
	red := color.RGBA{255, 0, 0, 255}
	img := v.Render(nil)
	if got := px(img, 11, 9); got != red {
		t.Errorf("inside the label at opacity 1: %v, want %v", got, red)
	}
	if got := px(img, 5, 5); got != grey {
		t.Errorf("outside the label: %v, want %v", got, grey)
	}
	s.Opacity = 0.4 // 8-bit blend: a = round(0.4·256) = 102
	img = v.Render(img)
	if got, want := px(img, 11, 9), (color.RGBA{uint8((128*154 + 255*102 + 128) >> 8), uint8((128*154 + 128) >> 8), uint8((128*154 + 128) >> 8), 255}); got != want {
		t.Errorf("inside the label at opacity 0.4: %v, want %v", got, want)
	}
	// Outlines are drawn at screen resolution along the label's boundary:
	// voxel (10, 9) is on the box's left side, voxel (11, 8) on its top.
	s.Outline = true
	img = v.Render(img)
	x0, y0, _, _ := v.ImageRect() // 10 screen pixels per voxel
	left, top := int(x0)+10*10, int(y0)+8*10
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{
		{left, top + 15, red},      // left side of (10, 9)
		{left + 1, top + 15, grey}, // one pixel in: one pixel thick
		{left + 5, top + 15, grey}, // centre of a boundary voxel
		{left + 9, top + 15, grey}, // right side of (10, 9) borders (11, 9): same label
		{left - 1, top + 15, grey}, // outside the label
		{left + 15, top, red},      // top side of (11, 8)
		{left + 15, top + 1, grey},
		{left + 15, top + 35, grey}, // centre of (11, 11), on the bottom row
		{left + 15, top + 39, red},  // bottom side of (11, 11)
	} {
		if got := rgbaAt(img, c.x, c.y); got != c.want {
			t.Errorf("outline at screen (%d,%d): %v, want %v", c.x, c.y, got, c.want)
		}
	}
	v.LineWidth = 3
	img = v.Render(img)
	for dx, want := range []color.RGBA{red, red, red, grey} {
		if got := rgbaAt(img, left+dx, top+15); got != want {
			t.Errorf("3-pixel outline at +%d: %v, want %v", dx, got, want)
		}
	}
	v.LineWidth = 0
	s.ShowLabels = false
	img = v.Render(img)
	if got := px(img, 10, 9); got != grey {
		t.Errorf("labels hidden: %v, want %v", got, grey)
	}
	// Off the box's slab there is no label.
	s.ShowLabels, s.Outline = true, false
	v.SetSlice(2)
	if got := px(v.Render(img), 11, 9); got != grey {
		t.Errorf("slice without labels: %v, want %v", got, grey)
	}
}

// Caches are redrawn when what they show changes, and not otherwise.
func TestRenderInvalidation(t *testing.T) {
	s := renderScene(t)
	s.Opacity = 1
	v := NewViewport(s, viewer.Coronal)
	v.W, v.H = 64, 64
	v.HideCrosshair = true
	v.SetSlice(9)
	x, y := v.VoxelToScreen([3]int{2, 9, 2})
	at := func() color.RGBA { return rgbaAt(v.Render(nil), int(x), int(y)) }
	before := at()
	s.SetWindow(viewer.Window{Center: 0, Width: 100}) // 100 is white
	if got := at(); got == before || got.R != 255 {
		t.Errorf("window change not drawn: %v → %v", before, got)
	}
	s.Labels.Data.Raw().([]uint8)[s.Labels.Index(2, 9, 2)] = 2 // label 2 is green
	if got := at(); got != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("an edit showed without MarkLabelsChanged: the cache is not used")
	}
	s.MarkLabelsChanged()
	if got := at(); got != (color.RGBA{0, 255, 0, 255}) {
		t.Errorf("after MarkLabelsChanged: %v, want green", got)
	}
	s.Colours = viewer.DefaultLabelColours()
	s.Colours[2] = color.RGBA{0, 0, 255, 255}
	if got := at(); got != (color.RGBA{0, 0, 255, 255}) {
		t.Errorf("new colour table: %v, want blue", got)
	}
}

func TestRenderCrosshair(t *testing.T) {
	s := renderScene(t)
	s.ShowLabels = false
	s.SetWindow(viewer.Window{Center: 100, Width: 200}) // grey 128
	v := NewViewport(s, viewer.Sagittal)
	v.W, v.H = 120, 100
	s.Cursor = [3]int{5, 7, 3}
	img := v.Render(nil)
	cx, cy := v.VoxelToScreen(s.Cursor)
	c := DefaultCrosshairColour
	mix := func(ch uint8) uint8 { return uint8((uint32(ch)*uint32(c.A) + 128*(255-uint32(c.A)) + 127) / 255) }
	want := color.RGBA{mix(c.R), mix(c.G), mix(c.B), 255}
	x0, y0, x1, y1 := v.ImageRect()
	// Along both lines, inside the image, and at their crossing.
	for _, pt := range [][2]int{{int(cx), int(y0) + 1}, {int(cx), int(y1) - 1}, {int(x0) + 1, int(cy)}, {int(x1) - 1, int(cy)}, {int(cx), int(cy)}} {
		if got := rgbaAt(img, pt[0], pt[1]); got != want {
			t.Errorf("crosshair pixel %v = %v, want %v", pt, got, want)
		}
	}
	// Beside the lines, plain grey; outside the image, black.
	if got := rgbaAt(img, int(cx)+2, int(cy)+2); got != (color.RGBA{128, 128, 128, 255}) {
		t.Errorf("off the crosshair: %v", got)
	}
	if x0 >= 1 {
		if got := rgbaAt(img, 0, int(cy)); got != (color.RGBA{0, 0, 0, 255}) {
			t.Errorf("crosshair drawn outside the image: %v", got)
		}
	}
}

func TestRenderReusesDstWithoutAllocating(t *testing.T) {
	s := renderScene(t)
	v := NewViewport(s, viewer.Axial)
	v.W, v.H = 200, 150
	dst := v.Render(nil)
	k := 0
	allocs := testing.AllocsPerRun(20, func() {
		k++
		v.SetSlice(k % v.NumSlices())
		v.Pan(1, 0)
		out := v.Render(dst)
		if out != dst {
			t.Fatal("Render replaced a right-sized dst")
		}
	})
	if allocs != 0 {
		t.Errorf("Render allocates %g times per slice change", allocs)
	}
	v.W = 201
	if out := v.Render(dst); out == dst || out.Rect.Dx() != 201 {
		t.Errorf("Render kept a wrong-sized dst")
	}
}

func TestRenderNothing(t *testing.T) {
	v := NewViewport(NewScene(nil), viewer.Axial)
	v.W, v.H = 10, 10
	img := v.Render(nil)
	if got := rgbaAt(img, 5, 5); got != (color.RGBA{0, 0, 0, 255}) {
		t.Errorf("empty scene pixel %v, want black", got)
	}
	v.W = 0
	if img := v.Render(nil); !img.Rect.Empty() {
		t.Errorf("zero-size viewport gave %v", img.Rect)
	}
}

// Outlines against their definition, pixel by pixel: a screen pixel is
// drawn in its label's colour when the voxel lw pixels away in any of the
// four directions has another id (outside the image counts as id 0).
func TestRenderOutlineDefinition(t *testing.T) {
	g := geom([3]int{11, 9, 5}, viewer.Vec3{1, 1.5, 2}, dirRAS)
	s := NewScene(constVolume(t, g, viewer.Uint8, 0))
	s.SetWindow(viewer.Window{Center: 0.5, Width: 1}) // 0 is black
	lab := patternVolume(t, g)
	for i, x := range lab.Data.Raw().([]uint8) {
		lab.Data.Raw().([]uint8)[i] = x % 3 // ids 0, 1, 2 in a scatter
	}
	if err := s.SetLabels(lab); err != nil {
		t.Fatal(err)
	}
	s.Outline = true
	colours := viewer.DefaultLabelColours()
	for _, p := range viewer.Planes {
		for _, zc := range []struct {
			zoom, px, py float64
			lw           int
		}{{1, 0, 0, 1}, {2.5, 13, -7, 1}, {4, -40, 10, 2}, {1.3, 3, 3, 3}} {
			v := NewViewport(s, p)
			v.W, v.H, v.LineWidth = 150, 110, zc.lw
			v.Zoom, v.PanX, v.PanY = zc.zoom, zc.px, zc.py
			v.HideCrosshair = true
			img := v.Render(nil)
			id := func(x, y int) uint8 {
				idx, ok := v.ScreenToVoxel(float64(x)+0.5, float64(y)+0.5)
				if !ok {
					return 0
				}
				return uint8(s.Labels.Value(idx[0], idx[1], idx[2]))
			}
			for y := range v.H {
				for x := range v.W {
					want := color.RGBA{0, 0, 0, 255}
					if c := id(x, y); c > 0 {
						if id(x-zc.lw, y) != c || id(x+zc.lw, y) != c || id(x, y-zc.lw) != c || id(x, y+zc.lw) != c {
							col := colours[c]
							want = color.RGBA{col.R, col.G, col.B, 255}
						}
					}
					if got := rgbaAt(img, x, y); got != want {
						t.Fatalf("%v %+v: pixel (%d,%d) = %v, want %v", p, zc, x, y, got, want)
					}
				}
			}
		}
	}
}

func TestRenderCrosshairWidth(t *testing.T) {
	s := renderScene(t)
	s.ShowLabels = false
	v := NewViewport(s, viewer.Axial)
	v.W, v.H, v.LineWidth = 96, 72, 3
	img := v.Render(nil)
	cx, cy := v.VoxelToScreen(s.Cursor)
	bg := rgbaAt(img, 5, 5)
	line := rgbaAt(img, int(cx), 5)
	if line == bg {
		t.Fatal("no vertical line")
	}
	for dx, want := range map[int]color.RGBA{-2: bg, -1: line, 0: line, 1: line, 2: bg} {
		if got := rgbaAt(img, int(cx)+dx, 5); got != want {
			t.Errorf("vertical line at %+d: %v, want %v", dx, got, want)
		}
		if got := rgbaAt(img, 5, int(cy)+dx); got != want {
			t.Errorf("horizontal line at %+d: %v, want %v", dx, got, want)
		}
	}
	if got := rgbaAt(img, int(cx), int(cy)); got != line {
		t.Errorf("crossing %v, want %v (blended once)", got, line)
	}
}
