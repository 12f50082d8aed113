package viewer

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

// identityWindow maps 0..255 onto grey 0..255 one to one, so a rendered
// pixel can be compared with the voxel value itself.
var identityWindow = Window{Center: 127.5, Width: 255}

func TestIdentityWindow(t *testing.T) {
	for v := 0; v < 256; v++ {
		if g := identityWindow.Grey(float64(v)); int(g) != v {
			t.Fatalf("identity window maps %d to %d", v, g)
		}
	}
}

// patternVolume is a dims volume of type typ whose voxel values are a hash
// of the index, in 0..255, so that any misplaced voxel changes the image.
func patternVolume(t testing.TB, g Geometry, typ DataType) *Volume {
	t.Helper()
	v, err := NewVolume(g, typ)
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]float64, g.NumVoxels())
	for i := range vals {
		vals[i] = float64((i*2654435761 + 12345) >> 7 & 0xff)
	}
	setValuesAny(v.Data, vals)
	return v
}

func setValuesAny(d VoxelData, vals []float64) {
	switch s := d.Raw().(type) {
	case []int8:
		for i, v := range vals {
			s[i] = int8(v - 128) // int8 cannot hold 0..255; shifted below
		}
	default:
		setValues(d, vals)
	}
}

// Every plane, every slice, every storage order and every voxel type: the
// pixel at (x, y) is the voxel SliceLayout.Voxel names, windowed.
func TestRenderSliceMatchesLayout(t *testing.T) {
	base := Geometry{Dims: [3]int{5, 6, 7}, Spacing: testSpacing, Direction: Identity3}
	perms, flips := allReorientations()
	for _, typ := range []DataType{Uint8, Int8, Uint16, Int16, Int32, Uint32, Float32} {
		w := identityWindow
		if typ == Int8 {
			w = Window{Center: -0.5, Width: 255}
		}
		lut := NewWindowLUT(w)
		src := patternVolume(t, base, typ)
		for n := range perms {
			v := Reorient(src, perms[n], flips[n])
			var dst *image.Gray
			for _, p := range Planes {
				l, _ := NewSliceLayout(v.Geometry, p)
				for k := 0; k < l.Slices; k++ {
					var err error
					dst, err = RenderSlice(v, p, k, lut, dst)
					if err != nil {
						t.Fatal(err)
					}
					if dst.Rect.Dx() != l.Width || dst.Rect.Dy() != l.Height {
						t.Fatalf("%v: image %v, want %d×%d", p, dst.Rect, l.Width, l.Height)
					}
					for y := 0; y < l.Height; y++ {
						for x := 0; x < l.Width; x++ {
							idx := l.Voxel(k, x, y)
							want := w.Grey(v.Value(idx[0], idx[1], idx[2]))
							if got := dst.GrayAt(x, y).Y; got != want {
								t.Fatalf("%v %v %v %v slice %d pixel (%d,%d): %d, want %d",
									typ, perms[n], flips[n], p, k, x, y, got, want)
							}
						}
					}
				}
			}
		}
	}
}

func TestRenderSliceDst(t *testing.T) {
	g := Geometry{Dims: [3]int{4, 3, 2}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	v := patternVolume(t, g, Uint8)
	lut := NewWindowLUT(identityWindow)
	a, err := RenderSlice(v, Axial, 1, lut, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RenderSlice(v, Axial, 0, lut, a)
	if b != a {
		t.Error("same-size dst not reused")
	}
	c, _ := RenderSlice(v, Coronal, 0, lut, a)
	if c == a || c.Rect.Dx() != 4 || c.Rect.Dy() != 2 {
		t.Errorf("different-size dst: %v", c.Rect)
	}
	// A sub-image (non-zero Min) is written in place, at its own origin.
	big := image.NewGray(image.Rect(0, 0, 10, 10))
	sub := big.SubImage(image.Rect(3, 4, 7, 7)).(*image.Gray)
	got, _ := RenderSlice(v, Axial, 1, lut, sub)
	if got != sub {
		t.Fatal("sub-image not reused")
	}
	a, _ = RenderSlice(v, Axial, 1, lut, nil)
	for y := 0; y < 3; y++ {
		for x := 0; x < 4; x++ {
			if big.GrayAt(3+x, 4+y) != a.GrayAt(x, y) {
				t.Fatalf("sub-image pixel (%d,%d) differs", x, y)
			}
		}
	}
	if big.GrayAt(2, 4).Y != 0 || big.GrayAt(7, 4).Y != 0 {
		t.Error("wrote outside the sub-image")
	}
}

func TestRenderSliceErrors(t *testing.T) {
	g := Geometry{Dims: [3]int{4, 3, 2}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	v := patternVolume(t, g, Int16)
	lut := NewWindowLUT(identityWindow)
	for _, c := range []struct {
		v   *Volume
		p   Plane
		k   int
		lut *WindowLUT
		msg string
	}{
		{v, Axial, 2, lut, "out of range"},
		{v, Sagittal, -1, lut, "out of range"},
		{v, Axial, 0, nil, "no window"},
		{v, Plane(3), 0, lut, "unknown plane"},
		{&Volume{Geometry: g, Data: Voxels[int16]{1, 2}}, Axial, 0, lut, "voxels for dims"},
		{nil, Axial, 0, lut, "no volume"},
	} {
		if _, err := RenderSlice(c.v, c.p, c.k, c.lut, nil); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v slice %d: error %v, want %q", c.p, c.k, err, c.msg)
		}
	}
}

// A view renders every frame; it must not allocate once its buffers exist.
func TestRenderNoAllocations(t *testing.T) {
	g := Geometry{Dims: [3]int{64, 48, 20}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	v := patternVolume(t, g, Int16)
	lab := patternVolume(t, g, Uint8)
	lut := NewWindowLUT(Window{40, 400})
	for _, p := range Planes {
		grey, _ := RenderSlice(v, p, 3, lut, nil)
		rgba, _ := RenderOverlay(grey, lab, p, 3, 0.5, nil, nil)
		if n := testing.AllocsPerRun(20, func() { grey, _ = RenderSlice(v, p, 3, lut, grey) }); n != 0 {
			t.Errorf("%v RenderSlice: %v allocations", p, n)
		}
		if n := testing.AllocsPerRun(20, func() { rgba, _ = RenderOverlay(grey, lab, p, 3, 0.5, nil, rgba) }); n != 0 {
			t.Errorf("%v RenderOverlay: %v allocations", p, n)
		}
	}
}

func constGrey(w, h int, g uint8) *image.Gray {
	im := image.NewGray(image.Rect(0, 0, w, h))
	for i := range im.Pix {
		im.Pix[i] = g
	}
	return im
}

func TestRenderOverlayBlend(t *testing.T) {
	g := Geometry{Dims: [3]int{8, 1, 1}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	grey := constGrey(8, 1, 100)
	pal := LabelColours{{}, {255, 0, 0, 255}, {0, 0, 255, 255}, {0, 255, 0, 0}}
	lab := &Volume{Geometry: g, Data: Voxels[uint8]{0, 1, 2, 3, 4, 255, 1, 0}}
	rgb := func(r, gr, b uint8) color.RGBA { return color.RGBA{r, gr, b, 255} }
	cases := []struct {
		opacity float64
		want    []color.RGBA
	}{
		// 100·½ + 255·½ = 177.5 → 178; 100·½ = 50. Label 3 has alpha 0 (hidden);
		// 4 wraps to 1 + 3 mod 3 = 1, 255 to 1 + 254 mod 3 = 3.
		{0.5, []color.RGBA{rgb(100, 100, 100), rgb(178, 50, 50), rgb(50, 50, 178), rgb(100, 100, 100),
			rgb(178, 50, 50), rgb(100, 100, 100), rgb(178, 50, 50), rgb(100, 100, 100)}},
		{1, []color.RGBA{rgb(100, 100, 100), rgb(255, 0, 0), rgb(0, 0, 255), rgb(100, 100, 100),
			rgb(255, 0, 0), rgb(100, 100, 100), rgb(255, 0, 0), rgb(100, 100, 100)}},
		{0, []color.RGBA{rgb(100, 100, 100), rgb(100, 100, 100), rgb(100, 100, 100), rgb(100, 100, 100),
			rgb(100, 100, 100), rgb(100, 100, 100), rgb(100, 100, 100), rgb(100, 100, 100)}},
		{7, []color.RGBA{rgb(100, 100, 100), rgb(255, 0, 0), rgb(0, 0, 255), rgb(100, 100, 100), // clamped to 1
			rgb(255, 0, 0), rgb(100, 100, 100), rgb(255, 0, 0), rgb(100, 100, 100)}},
	}
	for _, c := range cases {
		out, err := RenderOverlay(grey, lab, Axial, 0, c.opacity, pal, nil)
		if err != nil {
			t.Fatal(err)
		}
		for x, want := range c.want {
			if got := out.RGBAAt(x, 0); got != want {
				t.Errorf("opacity %g label %g: %v, want %v", c.opacity, lab.Data.At(x), got, want)
			}
		}
	}
}

func TestRenderOverlayLabelTypes(t *testing.T) {
	g := Geometry{Dims: [3]int{6, 1, 1}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	grey := constGrey(6, 1, 100)
	pal := DefaultLabelColours()
	// Expected ids per voxel for each type.
	cases := []struct {
		data VoxelData
		ids  []int
	}{
		{Voxels[int8]{0, 1, -3, 127, 5, -128}, []int{0, 1, 0, 127, 5, 0}},
		{Voxels[uint16]{0, 1, 256, 300, 65535, 2}, []int{0, 1, 256, 300, 65535, 2}},
		{Voxels[int16]{0, -1, 7, 1000, -32768, 3}, []int{0, 0, 7, 1000, 0, 3}},
		{Voxels[int32]{0, -5, 9, 70000, 1, 2}, []int{0, 0, 9, 70000, 1, 2}},
		{Voxels[uint32]{0, 4000000000, 9, 70000, 1, 2}, []int{0, 0, 9, 70000, 1, 2}},
		{Voxels[float32]{0.4, 2.9999, float32(math.NaN()), -1, 1.5, 255}, []int{0, 3, 0, 0, 2, 255}},
	}
	for _, c := range cases {
		lab := &Volume{Geometry: g, Data: c.data}
		out, err := RenderOverlay(grey, lab, Axial, 0, 1, pal, nil)
		if err != nil {
			t.Fatal(err)
		}
		for x, id := range c.ids {
			want := color.RGBA{100, 100, 100, 255}
			if id > 0 {
				want = pal.Colour(id)
			}
			if got := out.RGBAAt(x, 0); got != want {
				t.Errorf("%v voxel %g (id %d): %v, want %v", c.data.Type(), c.data.At(x), id, got, want)
			}
		}
	}
}

// The overlay must land on the same pixels as the image in every plane and
// storage order: render a label map equal to the image's own voxels and
// check each overlay pixel against the grey pixel under it.
func TestRenderOverlayFollowsLayout(t *testing.T) {
	base := Geometry{Dims: [3]int{5, 6, 7}, Spacing: testSpacing, Direction: Identity3}
	src := patternVolume(t, base, Uint8)
	lut := NewWindowLUT(identityWindow)
	pal := make(LabelColours, 256)
	for i := range pal {
		pal[i] = color.RGBA{uint8(i), uint8(255 - i), 7, 255}
	}
	perms, flips := allReorientations()
	for n := range perms {
		v := Reorient(src, perms[n], flips[n])
		for _, p := range Planes {
			for k := 0; k < SliceCount(v.Geometry, p); k++ {
				grey, _ := RenderSlice(v, p, k, lut, nil)
				out, err := RenderOverlay(grey, v, p, k, 1, pal, nil)
				if err != nil {
					t.Fatal(err)
				}
				for y := 0; y < grey.Rect.Dy(); y++ {
					for x := 0; x < grey.Rect.Dx(); x++ {
						g := grey.GrayAt(x, y).Y
						want := color.RGBA{g, 255 - g, 7, 255}
						if g == 0 {
							want = color.RGBA{0, 0, 0, 255}
						}
						if got := out.RGBAAt(x, y); got != want {
							t.Fatalf("%v %v %v slice %d (%d,%d): %v, want %v", perms[n], flips[n], p, k, x, y, got, want)
						}
					}
				}
			}
		}
	}
}

func TestRenderOverlayErrors(t *testing.T) {
	g := Geometry{Dims: [3]int{4, 3, 2}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	lab := patternVolume(t, g, Uint8)
	if _, err := RenderOverlay(constGrey(3, 4, 0), lab, Axial, 0, 1, nil, nil); err == nil || !strings.Contains(err.Error(), "align") {
		t.Errorf("size mismatch: %v", err)
	}
	if _, err := RenderOverlay(constGrey(4, 3, 0), lab, Axial, 2, 1, nil, nil); err == nil {
		t.Error("slice out of range accepted")
	}
	if _, err := RenderOverlay(nil, lab, Axial, 0, 1, nil, nil); err == nil {
		t.Error("nil grey accepted")
	}
	dst := image.NewRGBA(image.Rect(0, 0, 4, 3))
	if out, err := RenderOverlay(constGrey(4, 3, 9), lab, Axial, 1, 1, nil, dst); err != nil || out != dst {
		t.Errorf("dst not reused: %v", err)
	}
}
