package viewer

import (
	"slices"
	"testing"
)

func TestLabelMapCloneAndPresent(t *testing.T) {
	g := Geometry{Dims: [3]int{4, 3, 2}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	m, err := NewLabelMap(g, 255)
	if err != nil {
		t.Fatal(err)
	}
	m.Set(g.Index(1, 1, 0), 7)
	m.Set(g.Index(3, 2, 1), 2)
	m.Table.Set(Label{ID: 7, Name: "liver", Locked: true})
	if got := m.Present(); !slices.Equal(got, []int{2, 7}) {
		t.Errorf("present %v, want [2 7]", got)
	}
	if !m.Locked(7) || m.Locked(2) {
		t.Error("locked flags wrong")
	}
	c := m.Clone()
	c.Set(g.Index(0, 0, 0), 9)
	c.Table.Labels[0].Name = "changed"
	if m.At(g.Index(0, 0, 0)) != 0 || m.Table.Labels[0].Name != "liver" {
		t.Error("clone shares voxels or table with the original")
	}
	if c.At(g.Index(1, 1, 0)) != 7 {
		t.Error("clone lost a voxel")
	}
	m.Widen()
	if got := m.Present(); !slices.Equal(got, []int{2, 7}) {
		t.Errorf("present after widening %v", got)
	}
}

func TestPaintSliceFollowsLayout(t *testing.T) {
	g := Geometry{Dims: [3]int{4, 3, 2}, Spacing: Vec3{1, 1, 1}, Direction: Mat3{{-1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	m, err := NewLabelMap(g, 3)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := NewSliceLayout(g, Coronal)
	mask := make([]uint8, l.Width*l.Height)
	mask[0], mask[len(mask)-1] = 1, 1
	if n := m.PaintSlice(l, 1, mask, 3); n != 2 {
		t.Fatalf("%d changed", n)
	}
	for _, p := range [][2]int{{0, 0}, {l.Width - 1, l.Height - 1}} {
		v := l.Voxel(1, p[0], p[1])
		if m.At(m.Index(v[0], v[1], v[2])) != 3 || v[1] != 1 {
			t.Errorf("pixel %v → voxel %v not painted", p, v)
		}
	}
	if n := m.PaintSlice(l, 1, mask, 3); n != 0 {
		t.Errorf("repainting changed %d", n)
	}
}
