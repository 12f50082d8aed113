package labels

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"delineate/viewer"
)

func grid(nx, ny, nz int, sp viewer.Vec3) viewer.Geometry {
	return viewer.Geometry{Dims: [3]int{nx, ny, nz}, Spacing: sp, Origin: viewer.Vec3{-10, 20, 5}, Direction: viewer.Identity3}
}

// cubeFixture: a 10×10×10 int16 image, 0.5×1×2 mm voxels (1 mm³), with a
// 3×3×3 cube of label 1 at (2..4, 3..5, 4..6) whose intensities are
// 100 + (i−2) + 3(j−3) + 9(k−4), i.e. 100..126, and label 7 on one voxel
// of intensity −1000. Everything else is label 0 and intensity 5000.
func cubeFixture(t testing.TB) (img *viewer.Volume, lab *viewer.LabelMap) {
	g := grid(10, 10, 10, viewer.Vec3{0.5, 1, 2})
	img, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	lab, err = viewer.NewLabelMap(g, 7)
	if err != nil {
		t.Fatal(err)
	}
	px := img.Data.Raw().([]int16)
	for i := range px {
		px[i] = 5000
	}
	for k := 4; k <= 6; k++ {
		for j := 3; j <= 5; j++ {
			for i := 2; i <= 4; i++ {
				n := g.Index(i, j, k)
				px[n] = int16(100 + (i - 2) + 3*(j-3) + 9*(k-4))
				lab.Set(n, 1)
			}
		}
	}
	n := g.Index(9, 9, 9)
	px[n] = -1000
	lab.Set(n, 7)
	return img, lab
}

// 100..126: mean 113, population variance (27²−1)/12 = 60.667.
var cubeStd = math.Sqrt((27*27 - 1) / 12.0)

func checkCube(t *testing.T, st *Stats, withIntensity bool) {
	t.Helper()
	if len(st.Labels) != 2 {
		t.Fatalf("labels %+v", st.Labels)
	}
	a, b := st.Labels[0], st.Labels[1]
	if a.ID != 1 || a.Voxels != 27 || math.Abs(a.VolumeML-0.027) > 1e-12 {
		t.Errorf("label 1: %+v", a)
	}
	if b.ID != 7 || b.Voxels != 1 || math.Abs(b.VolumeML-0.001) > 1e-12 {
		t.Errorf("label 7: %+v", b)
	}
	if !withIntensity {
		if a.Mean != nil || a.Std != nil || a.Min != nil || a.Max != nil {
			t.Errorf("intensity stats without a matching grid: %+v", a)
		}
		return
	}
	if a.Mean == nil || *a.Mean != 113 || math.Abs(*a.Std-cubeStd) > 1e-12 || *a.Min != 100 || *a.Max != 126 {
		t.Errorf("label 1 intensities: mean %v std %v (want %v) min %v max %v", p(a.Mean), p(a.Std), cubeStd, p(a.Min), p(a.Max))
	}
	if b.Mean == nil || *b.Mean != -1000 || *b.Std != 0 || *b.Min != -1000 || *b.Max != -1000 {
		t.Errorf("label 7 intensities: %v %v %v %v", p(b.Mean), p(b.Std), p(b.Min), p(b.Max))
	}
}

func p(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func TestComputeCube(t *testing.T) {
	img, lab := cubeFixture(t)
	names := &viewer.LabelTable{}
	names.Set(viewer.Label{ID: 1, Name: "cube"})
	names.Set(viewer.Label{ID: 2, Name: "absent"})
	st, err := Compute(img, lab.Volume, names)
	if err != nil {
		t.Fatal(err)
	}
	if !st.GeometryMatch {
		t.Error("geometry_match false on the same grid")
	}
	checkCube(t, st, true)
	if st.Labels[0].Name != "cube" || st.Labels[1].Name != "" {
		t.Errorf("names %q %q", st.Labels[0].Name, st.Labels[1].Name)
	}
	if len(st.UnexpectedLabels) != 1 || st.UnexpectedLabels[0] != 7 {
		t.Errorf("unexpected labels %v, want [7]", st.UnexpectedLabels)
	}
}

func TestComputeNoNamesJSON(t *testing.T) {
	img, lab := cubeFixture(t)
	st, err := Compute(img, lab.Volume, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	s := string(b)
	if !strings.Contains(s, `"unexpected_labels":[]`) || !strings.Contains(s, `"geometry_match":true`) ||
		!strings.Contains(s, `{"id":1,"name":"","voxels":27,"volume_ml":0.027,"mean":113,`) {
		t.Errorf("JSON %s", s)
	}
	if strings.Contains(s, "Mismatch") {
		t.Errorf("internal field in JSON: %s", s)
	}
}

// Every image type and both label widths give the same answer.
func TestComputeTypes(t *testing.T) {
	img16, lab := cubeFixture(t)
	for _, it := range []viewer.DataType{viewer.Int16, viewer.Int32, viewer.Uint32, viewer.Float32} {
		for _, wide := range []bool{false, true} {
			img := convert(t, img16, it, func(x float64) float64 { return x + 1000 }) // keep uint32 non-negative
			l := lab.Volume
			if wide {
				l = convert(t, l, viewer.Uint16, func(x float64) float64 { return x })
			}
			st, err := Compute(img, l, nil)
			if err != nil {
				t.Fatal(err)
			}
			a := st.Labels[0]
			if a.Voxels != 27 || math.Abs(*a.Mean-1113) > 1e-9 || math.Abs(*a.Std-cubeStd) > 1e-9 || *a.Min != 1100 || *a.Max != 1126 {
				t.Errorf("%v wide=%v: %+v mean %v std %v", it, wide, a, p(a.Mean), p(a.Std))
			}
		}
	}
	// A float label volume (as some tools write) with integer values works;
	// with fractions it is an error.
	fl := convert(t, lab.Volume, viewer.Float32, func(x float64) float64 { return x })
	if st, err := Compute(img16, fl, nil); err != nil || len(st.Labels) != 2 {
		t.Errorf("float labels: %v %+v", err, st)
	}
	fl.Data.Raw().([]float32)[0] = 0.5
	if _, err := Compute(img16, fl, nil); err == nil {
		t.Error("fractional label accepted")
	}
}

func convert(t testing.TB, v *viewer.Volume, dt viewer.DataType, f func(float64) float64) *viewer.Volume {
	out, err := viewer.NewVolume(v.Geometry, dt)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < v.Data.Len(); i++ {
		x := f(v.Data.At(i))
		switch d := out.Data.Raw().(type) {
		case []int16:
			d[i] = int16(x)
		case []int32:
			d[i] = int32(x)
		case []uint32:
			d[i] = uint32(x)
		case []float32:
			d[i] = float32(x)
		case []uint16:
			d[i] = uint16(x)
		}
	}
	return out
}

func TestComputeNaN(t *testing.T) {
	img16, lab := cubeFixture(t)
	img := convert(t, img16, viewer.Float32, func(x float64) float64 { return x })
	px := img.Data.Raw().([]float32)
	px[img.Index(9, 9, 9)] = float32(math.NaN())
	px[img.Index(2, 3, 4)] = float32(math.NaN()) // the 100 voxel
	st, err := Compute(img, lab.Volume, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := st.Labels[0], st.Labels[1]
	if a.Voxels != 27 || *a.Min != 101 || math.Abs(*a.Mean-113.5) > 1e-12 {
		t.Errorf("label 1 with a NaN: %+v min %v mean %v", a, p(a.Min), p(a.Mean))
	}
	if b.Voxels != 1 || b.Mean != nil {
		t.Errorf("all-NaN label 7: %+v mean %v", b, p(b.Mean))
	}
}

func TestComputeMismatchedGeometry(t *testing.T) {
	img, lab := cubeFixture(t)
	// Shifted by 0.01 mm: beyond the 1e-3 mm tolerance.
	shifted := *lab.Volume
	shifted.Origin[2] += 0.01
	st, err := Compute(img, &shifted, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.GeometryMatch || st.Mismatch == "" {
		t.Errorf("geometry_match %v mismatch %q", st.GeometryMatch, st.Mismatch)
	}
	checkCube(t, st, false)

	// Within tolerance: a match.
	shifted.Origin[2] = lab.Origin[2] + 1e-4
	if st, err := Compute(img, &shifted, nil); err != nil || !st.GeometryMatch {
		t.Errorf("1e-4 mm shift: %v %+v", err, st)
	}

	// Different dims: counts and volumes from the label map's own spacing.
	small, _ := viewer.NewLabelMap(grid(4, 4, 4, viewer.Vec3{2, 2, 2}), 3)
	small.Set(0, 3)
	small.Set(5, 3)
	st, err = Compute(img, small.Volume, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.GeometryMatch || len(st.Labels) != 1 || st.Labels[0].Voxels != 2 || st.Labels[0].VolumeML != 0.016 || st.Labels[0].Mean != nil {
		t.Errorf("different grid: %+v", st)
	}
	b, _ := json.Marshal(st)
	if !strings.Contains(string(b), `"mean":null,"std":null,"min":null,"max":null`) {
		t.Errorf("JSON %s", b)
	}

	// No image at all.
	if st, err := Compute(nil, lab.Volume, nil); err != nil || st.GeometryMatch || st.Labels[0].Voxels != 27 {
		t.Errorf("no image: %v %+v", err, st)
	}
}

// A label map stored with its axes permuted and flipped (same voxels in
// space) is aligned first and gives the same statistics.
func TestComputePermutedLabels(t *testing.T) {
	img, lab := cubeFixture(t)
	r := viewer.Reorient(lab.Volume, [3]int{2, 0, 1}, [3]bool{true, false, true})
	if r.SameGrid(img.Geometry, GridTolMM) {
		t.Fatal("reoriented map still on the same grid; test proves nothing")
	}
	st, err := Compute(img, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !st.GeometryMatch {
		t.Fatalf("permuted labels not aligned: %s", st.Mismatch)
	}
	checkCube(t, st, true)
}

func TestComputeErrors(t *testing.T) {
	img, lab := cubeFixture(t)
	if _, err := Compute(img, nil, nil); err == nil {
		t.Error("nil labels accepted")
	}
	bad := *lab.Volume
	bad.Data = bad.Data.(viewer.Voxels[uint8])[:10]
	if _, err := Compute(img, &bad, nil); err == nil {
		t.Error("short label data accepted")
	}
	neg := convert(t, img, viewer.Int16, func(x float64) float64 { return -1 })
	if _, err := Compute(img, neg, nil); err == nil {
		t.Error("negative labels accepted")
	}
}

func TestHistogram(t *testing.T) {
	img, lab := cubeFixture(t)
	h := Histogram(img, lab.Volume, 1, 3, 100, 127)
	if len(h) != 3 || h[0] != 9 || h[1] != 9 || h[2] != 9 {
		t.Errorf("histogram %v, want [9 9 9]", h)
	}
	// hi is inclusive, out-of-range values are dropped.
	h = Histogram(img, lab.Volume, 1, 2, 110, 126)
	if h[0]+h[1] != 17 || h[1] != 9 {
		t.Errorf("histogram %v", h)
	}
	if h := Histogram(img, lab.Volume, 7, 1, -2000, 0); h[0] != 1 {
		t.Errorf("label 7 histogram %v", h)
	}
	if h := Histogram(img, lab.Volume, 300, 4, 0, 1); len(h) != 4 || h[0]+h[1]+h[2]+h[3] != 0 {
		t.Errorf("absent id histogram %v", h)
	}
	r := viewer.Reorient(lab.Volume, [3]int{1, 0, 2}, [3]bool{false, true, false})
	if h := Histogram(img, r, 1, 3, 100, 127); h[0] != 9 || h[2] != 9 {
		t.Errorf("permuted histogram %v", h)
	}
	if Histogram(img, lab.Volume, 1, 0, 0, 1) != nil || Histogram(img, lab.Volume, 1, 4, 1, 1) != nil {
		t.Error("bad bins/range gave a histogram")
	}
	shifted := *lab.Volume
	shifted.Origin[0] += 1
	if Histogram(img, &shifted, 1, 4, 0, 200) != nil {
		t.Error("histogram on a mismatched grid")
	}
}

// Large volumes take the parallel path; it must agree with the serial one.
func TestComputeParallelAgrees(t *testing.T) {
	img, lab := bigFixture(t, 128, 128, 80)
	st, err := Compute(img, lab.Volume, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Serial reference via At.
	type acc struct {
		n        int64
		sum, sq  float64
		min, max float64
	}
	ref := map[int]*acc{}
	for i := 0; i < lab.Data.Len(); i++ {
		id := lab.At(i)
		if id == 0 {
			continue
		}
		a := ref[id]
		if a == nil {
			a = &acc{min: math.Inf(1), max: math.Inf(-1)}
			ref[id] = a
		}
		x := img.Data.At(i)
		a.n++
		a.sum += x
		a.sq += x * x
		a.min, a.max = min(a.min, x), max(a.max, x)
	}
	if len(st.Labels) != len(ref) {
		t.Fatalf("%d labels, want %d", len(st.Labels), len(ref))
	}
	for _, l := range st.Labels {
		a := ref[l.ID]
		m := a.sum / float64(a.n)
		sd := math.Sqrt(a.sq/float64(a.n) - m*m)
		if l.Voxels != a.n || math.Abs(*l.Mean-m) > 1e-9 || math.Abs(*l.Std-sd) > 1e-6 || *l.Min != a.min || *l.Max != a.max {
			t.Errorf("label %d: %+v mean %v std %v; want n %d mean %v std %v", l.ID, l, *l.Mean, *l.Std, a.n, m, sd)
		}
	}
}

// bigFixture: an int16 CT-like image with a few blocky labels.
func bigFixture(t testing.TB, nx, ny, nz int) (*viewer.Volume, *viewer.LabelMap) {
	g := grid(nx, ny, nz, viewer.Vec3{0.8, 0.8, 1.5})
	img, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := viewer.NewLabelMap(g, 20)
	if err != nil {
		t.Fatal(err)
	}
	px := img.Data.Raw().([]int16)
	lv := lab.Data.Raw().([]uint8)
	seed := uint32(1)
	for k := 0; k < nz; k++ {
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				n := g.Index(i, j, k)
				seed = seed*1664525 + 1013904223
				px[n] = int16(int(seed>>20)%2000 - 1000)
				if i > nx/8 && i < nx*7/8 && j > ny/8 && j < ny*7/8 {
					lv[n] = uint8(1 + (i * 4 / nx) + 4*(j*4/ny) + (k % 3))
				}
			}
		}
	}
	return img, lab
}

func BenchmarkCompute512x512x300(b *testing.B) {
	img, lab := bigFixture(b, 512, 512, 300)
	b.SetBytes(int64(img.Data.Len()))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(img, lab.Volume, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCountOnly512x512x300(b *testing.B) {
	_, lab := bigFixture(b, 512, 512, 300)
	b.SetBytes(int64(lab.Data.Len()))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(nil, lab.Volume, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// Histograms gives, in one pass, what Histogram gives label by label over
// each label's own min..max.
func TestHistogramsAgreeWithHistogram(t *testing.T) {
	img, lab := cubeFixture(t)
	st, err := Compute(img, lab.Volume, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := Histograms(img, lab.Volume, st, 7)
	if len(all) == 0 {
		t.Fatal("no histograms")
	}
	for _, l := range st.Labels {
		lo, hi := *l.Min, *l.Max
		if !(hi > lo) {
			hi = lo + 1
		}
		want := Histogram(img, lab.Volume, l.ID, 7, lo, hi)
		if !slices.Equal(all[l.ID], want) {
			t.Errorf("label %d: %v, want %v", l.ID, all[l.ID], want)
		}
	}
}
