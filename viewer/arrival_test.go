package viewer

import "testing"

// A volume still loading renders its arrived slices as usual and the rest
// black, in every plane; once complete it renders as a whole.
func TestRenderArriving(t *testing.T) {
	g := Geometry{Dims: [3]int{6, 5, 4}, Spacing: Vec3{1, 1, 2}, Direction: Identity3}
	v, _ := NewVolume(g, Int16)
	d := v.Data.Raw().([]int16)
	for i := range d {
		d[i] = int16(100 + i) // never black through the window below
	}
	lut := NewWindowLUT(Window{Center: 200, Width: 400})
	full := map[Plane][]*[]uint8{}
	for _, p := range Planes {
		l, _ := NewSliceLayout(g, p)
		for k := 0; k < l.Slices; k++ {
			img, err := RenderLayout(v, l, k, lut, nil)
			if err != nil {
				t.Fatal(err)
			}
			pix := append([]uint8(nil), img.Pix...)
			full[p] = append(full[p], &pix)
		}
	}
	v.Arriving = NewArrival(4)
	v.Arriving.Set(1)
	v.Arriving.Set(3)
	for _, p := range Planes {
		l, _ := NewSliceLayout(g, p)
		for k := 0; k < l.Slices; k++ {
			img, _ := RenderLayout(v, l, k, lut, nil)
			want := *full[p][k]
			for y := 0; y < l.Height; y++ {
				for x := 0; x < l.Width; x++ {
					ks := (l.Offset(k) + y*l.RowStride + x*l.ColStride) / 30
					got, w := img.Pix[y*img.Stride+x], want[y*l.Width+x]
					if arrived := ks == 1 || ks == 3; (arrived && got != w) || (!arrived && got != 0) {
						t.Fatalf("%v slice %d pixel (%d,%d) of acquisition slice %d: %d (full render %d)", p, k, x, y, ks, got, w)
					}
				}
			}
		}
	}
	if v.Arriving.Count() != 2 || v.Arriving.Has(0) || !v.Arriving.Has(3) {
		t.Errorf("count %d", v.Arriving.Count())
	}
	v.Arriving.Complete()
	img, _ := RenderLayout(v, mustLayout(t, g, Axial), 0, lut, nil)
	for i, x := range *full[Axial][0] {
		if img.Pix[i] != x {
			t.Fatal("complete volume renders differently")
		}
	}
}

func mustLayout(t *testing.T, g Geometry, p Plane) SliceLayout {
	l, err := NewSliceLayout(g, p)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
