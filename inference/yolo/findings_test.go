package yolo

import (
	"math"
	"testing"

	"delineate/viewer"
)

// A non-square, anisotropic volume whose i axis runs right-to-left and
// whose k axis runs head-to-feet: every plane's flips and axis order come
// from the layout, and a one-pixel box maps back to its voxel and that
// voxel's millimetres.
func TestToVoxelsFlippedAnisotropic(t *testing.T) {
	g := viewer.Geometry{Dims: [3]int{40, 30, 6}, Spacing: viewer.Vec3{0.8, 0.7, 3},
		Origin: viewer.Vec3{10, -20, 30}, Direction: viewer.Mat3{{-1, 0, 0}, {0, 1, 0}, {0, 0, -1}}}
	want := [3]int{5, 7, 2}
	for _, p := range []viewer.Plane{viewer.Axial, viewer.Coronal, viewer.Sagittal} {
		l, err := viewer.NewSliceLayout(g, p)
		if err != nil {
			t.Fatal(err)
		}
		k, x, y := l.Pixel(want)
		vb := ToVoxels(g, l, k, [4]float64{float64(x) + 0.2, float64(y) + 0.1, float64(x) + 0.9, float64(y) + 1})
		if vb.Min != want || vb.Max != want {
			t.Errorf("%s: box maps to %v–%v, want %v", p, vb.Min, vb.Max, want)
		}
		c := g.IndexToLPS(viewer.Vec3{5, 7, 2})
		for ax, half := range []float64{0.4, 0.35, 1.5} {
			if math.Abs(vb.MinMM[ax]-(c[ax]-half)) > 1e-9 || math.Abs(vb.MaxMM[ax]-(c[ax]+half)) > 1e-9 {
				t.Errorf("%s: axis %d mm %g–%g, want %g ± %g", p, ax, vb.MinMM[ax], vb.MaxMM[ax], c[ax], half)
			}
		}
	}
	// A wide box on the axial slice covers the voxels between its corners,
	// whichever way the layout flips them.
	l, _ := viewer.NewSliceLayout(g, viewer.Axial)
	vb := ToVoxels(g, l, 2, [4]float64{10, 4, 20, 8})
	if vb.Max[0]-vb.Min[0] != 9 || vb.Max[1]-vb.Min[1] != 3 || vb.Min[2] != 2 || vb.Max[2] != 2 {
		t.Errorf("wide box %v–%v", vb.Min, vb.Max)
	}
}

func TestGroupIntoFindings(t *testing.T) {
	g := viewer.Geometry{Dims: [3]int{40, 30, 10}, Spacing: viewer.Vec3{1, 1, 2}, Direction: viewer.Identity3}
	l, _ := viewer.NewSliceLayout(g, viewer.Axial)
	box := [4]float64{10, 10, 20, 20}
	shifted := [4]float64{11, 10, 21, 20}
	far := [4]float64{30, 0, 38, 6}
	slices := []SliceResult{
		{Layout: l, K: 3, Dets: []Detection{{Class: 0, Score: 0.6, Box: shifted, MaskPixels: 80}}},
		{Layout: l, K: 2, Dets: []Detection{{Class: 0, Score: 0.9, Box: box, MaskPixels: 100}, {Class: 1, Score: 0.5, Box: box}}},
		{Layout: l, K: 4, Dets: []Detection{{Class: 0, Score: 0.4, Box: far}}},
		{Layout: l, K: 7, Dets: []Detection{{Class: 0, Score: 0.3, Box: box}}}, // a gap: another finding
	}
	f := Group(g, slices, []string{"nodule", "cyst"}, 0.3)
	if len(f) != 4 {
		t.Fatalf("%d findings: %+v", len(f), f)
	}
	top := f[0]
	if top.Label != "nodule" || top.FirstSlice != 2 || top.LastSlice != 3 || top.BestScore != 0.9 || top.MaskVoxels != 180 {
		t.Errorf("top finding %+v", top)
	}
	if math.Abs(top.VolumeML-180*2/1000.0) > 1e-12 {
		t.Errorf("volume %g mL", top.VolumeML)
	}
	// An identity (LPS) grid shows unflipped on the axial plane: pixels
	// 10..20 × 10..19 of slices 2 and 3.
	if top.Box.Min != [3]int{10, 10, 2} || top.Box.Max != [3]int{20, 19, 3} {
		t.Errorf("box %v–%v", top.Box.Min, top.Box.Max)
	}
	if f[1].Label != "cyst" || f[1].FirstSlice != 2 {
		t.Errorf("second finding %+v", f[1])
	}
}
