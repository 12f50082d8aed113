package viewer

import (
	"math"
	"strings"
	"testing"
)

func TestPlaneNames(t *testing.T) {
	for _, c := range []struct {
		s    string
		want Plane
	}{
		{"axial", Axial}, {"AX", Axial}, {"transverse", Axial}, {"tra", Axial},
		{"coronal", Coronal}, {"Cor", Coronal}, {"sagittal", Sagittal}, {" sag ", Sagittal},
	} {
		if got, err := ParsePlane(c.s); err != nil || got != c.want {
			t.Errorf("ParsePlane(%q) = %v, %v", c.s, got, err)
		}
	}
	if _, err := ParsePlane("oblique"); err == nil {
		t.Error("ParsePlane(oblique) succeeded")
	}
	for _, p := range Planes {
		if q, err := ParsePlane(p.String()); err != nil || q != p {
			t.Errorf("round trip of %v: %v, %v", p, q, err)
		}
	}
}

// layoutWant is a layout's axes in a compact, readable form.
type layoutWant struct {
	col     int
	colFlip bool
	row     int
	rowFlip bool
	normal  int
}

func checkLayouts(t *testing.T, name string, g Geometry, want [3]layoutWant) {
	t.Helper()
	for _, p := range Planes {
		l, err := NewSliceLayout(g, p)
		if err != nil {
			t.Fatal(err)
		}
		got := layoutWant{l.ColAxis, l.ColFlip, l.RowAxis, l.RowFlip, l.NormalAxis}
		if got != want[p] {
			t.Errorf("%s %v: layout %+v, want %+v", name, p, got, want[p])
		}
		if l.Width != g.Dims[l.ColAxis] || l.Height != g.Dims[l.RowAxis] || l.Slices != g.Dims[l.NormalAxis] {
			t.Errorf("%s %v: size %d×%d×%d for dims %v", name, p, l.Width, l.Height, l.Slices, g.Dims)
		}
		if w, h := SliceSize(g, p); w != l.Width || h != l.Height {
			t.Errorf("%s %v: SliceSize %d×%d", name, p, w, h)
		}
		if n := SliceCount(g, p); n != l.Slices {
			t.Errorf("%s %v: SliceCount %d", name, p, n)
		}
		if c, r := PixelSpacing(g, p); c != g.Spacing[l.ColAxis] || r != g.Spacing[l.RowAxis] {
			t.Errorf("%s %v: PixelSpacing %g×%g", name, p, c, r)
		}
	}
}

var testSpacing = Vec3{0.8, 1.1, 1.7}

func TestLayoutIdentityLPS(t *testing.T) {
	g := Geometry{Dims: [3]int{4, 5, 6}, Spacing: testSpacing, Direction: Identity3}
	checkLayouts(t, "LPS", g, [3]layoutWant{
		Axial:    {col: 0, row: 1, normal: 2},
		Coronal:  {col: 0, row: 2, rowFlip: true, normal: 1},
		Sagittal: {col: 1, row: 2, rowFlip: true, normal: 0},
	})
	w, h := SliceSize(g, Coronal)
	c, r := PixelSpacing(g, Coronal)
	if w != 4 || h != 6 || c != 0.8 || r != 1.7 || SliceCount(g, Coronal) != 5 {
		t.Errorf("coronal: %d×%d, %g×%g mm, %d slices", w, h, c, r, SliceCount(g, Coronal))
	}
}

func TestLayoutRASStored(t *testing.T) {
	// NIfTI's usual storage: i runs towards the patient's right, j towards
	// anterior (an identity RAS affine).
	g := GeometryFromAffineRAS(Mat4{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}, [3]int{4, 5, 6})
	checkLayouts(t, "RAS", g, [3]layoutWant{
		Axial:    {col: 0, colFlip: true, row: 1, rowFlip: true, normal: 2},
		Coronal:  {col: 0, colFlip: true, row: 2, rowFlip: true, normal: 1},
		Sagittal: {col: 1, colFlip: true, row: 2, rowFlip: true, normal: 0},
	})
}

func TestLayoutPermutedLikeT1Crop(t *testing.T) {
	// mr-brain t1_crop: RAS affine columns i → −R (left), j → −S
	// (inferior), k → +A (anterior). So axial slices are along j, rows
	// come from k (reversed, since k runs posterior→anterior), and so on.
	a := Mat4{{-1, 0, 0, 90}, {0, 0, 1, -126}, {0, -1, 0, 72}, {0, 0, 0, 1}}
	g := GeometryFromAffineRAS(a, [3]int{4, 5, 6})
	checkLayouts(t, "t1_crop", g, [3]layoutWant{
		Axial:    {col: 0, row: 2, rowFlip: true, normal: 1},
		Coronal:  {col: 0, row: 1, normal: 2},
		Sagittal: {col: 2, colFlip: true, row: 1, normal: 0},
	})
	if _, warn := NearestAxes(g); warn != "" {
		t.Errorf("aligned volume warned: %s", warn)
	}
}

func rotX(deg float64) Mat3 {
	c, s := math.Cos(deg*math.Pi/180), math.Sin(deg*math.Pi/180)
	return Mat3{{1, 0, 0}, {0, c, -s}, {0, s, c}}
}

func rotZ(deg float64) Mat3 {
	c, s := math.Cos(deg*math.Pi/180), math.Sin(deg*math.Pi/180)
	return Mat3{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}
}

func mul3(a, b Mat3) Mat3 {
	var m Mat3
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			for k := 0; k < 3; k++ {
				m[r][c] += a[r][k] * b[k][c]
			}
		}
	}
	return m
}

func TestLayoutOblique(t *testing.T) {
	identity := [3]layoutWant{
		Axial:    {col: 0, row: 1, normal: 2},
		Coronal:  {col: 0, row: 2, rowFlip: true, normal: 1},
		Sagittal: {col: 1, row: 2, rowFlip: true, normal: 0},
	}
	// Rounding noise (0.5°) is not oblique.
	g := Geometry{Dims: [3]int{4, 5, 6}, Spacing: testSpacing, Direction: rotZ(0.5)}
	if _, warn := NearestAxes(g); warn != "" {
		t.Errorf("0.5° warned: %s", warn)
	}
	// 10° about z: still axial, same layout, with a warning naming the tilt.
	g.Direction = rotZ(10)
	checkLayouts(t, "10°", g, identity)
	m, warn := NearestAxes(g)
	if !m.Oblique() || !strings.Contains(warn, "10.0°") || !strings.Contains(warn, "oblique") {
		t.Errorf("10°: oblique %v, warning %q", m.Oblique(), warn)
	}
	if l, _ := NewSliceLayout(g, Axial); l.Warning != warn {
		t.Errorf("layout warning %q", l.Warning)
	}
	// 50° about x: j is now nearer superior than anterior and k nearer
	// posterior (well, anterior: −sin 50° in y), so axial slices run along
	// j and their rows come from k, reversed.
	g.Direction = rotX(50)
	checkLayouts(t, "50°x", g, [3]layoutWant{
		Axial:    {col: 0, row: 2, rowFlip: true, normal: 1},
		Coronal:  {col: 0, row: 1, rowFlip: true, normal: 2},
		Sagittal: {col: 2, colFlip: true, row: 1, rowFlip: true, normal: 0},
	})
	m, warn = NearestAxes(g)
	if !strings.Contains(warn, "40.0°") || m.Axis != [3]int{0, 2, 1} {
		t.Errorf("50°x: axes %v, warning %q", m.Axis, warn)
	}
}

// Picking the best |cosine| per patient axis independently would give both
// x and y the same index axis here; the permutation search must not.
func TestNearestAxesResolvesConflicts(t *testing.T) {
	col1 := unit(Vec3{-0.71, 0.704, 0})
	col0 := unit(Vec3{0.704 * 0.98, 0.71 * 0.98, 0.2}) // ⟂ col1
	col2 := col0.Cross(col1)
	var d Mat3
	for r := 0; r < 3; r++ {
		d[r][0], d[r][1], d[r][2] = col0[r], col1[r], col2[r]
	}
	// Greedy would pick index axis 1 for both x and y.
	if !(math.Abs(d[0][1]) > math.Abs(d[0][0]) && math.Abs(d[1][1]) > math.Abs(d[1][0])) {
		t.Fatalf("test matrix does not provoke a conflict: %v", d)
	}
	m, warn := NearestAxes(Geometry{Dims: [3]int{2, 2, 2}, Spacing: Vec3{1, 1, 1}, Direction: d})
	if m.Axis != [3]int{1, 0, 2} || warn == "" {
		t.Errorf("axes %v (want [1 0 2]), warning %q", m.Axis, warn)
	}
	if m.Neg != [3]bool{true, false, false} {
		t.Errorf("signs %v", m.Neg)
	}
}

// allReorientations lists the 48 signed axis permutations.
func allReorientations() (perms [][3]int, flips [][3]bool) {
	for _, p := range permutations {
		for f := 0; f < 8; f++ {
			perms = append(perms, p)
			flips = append(flips, [3]bool{f&1 != 0, f&2 != 0, f&4 != 0})
		}
	}
	return
}

// The layouts must follow radiological convention whatever the storage
// order: one step right on screen moves towards the patient's left (axial,
// coronal) or posterior (sagittal), one step down moves posterior (axial) or
// inferior (coronal, sagittal), and the slice is perpendicular to the
// plane's normal. Checked on all 48 storage orders of a grid, tilted by a
// few degrees so the test also covers oblique grids.
func TestLayoutRadiologicalConventionAllOrders(t *testing.T) {
	base := Geometry{
		Dims: [3]int{4, 5, 6}, Spacing: testSpacing, Origin: Vec3{-10, 20, 30},
		Direction: mul3(rotZ(4), rotX(-3)),
	}
	// patient axis and sign for +x (columns), +y (rows) and the normal.
	conv := [3]struct{ col, colSign, row, rowSign, normal int }{
		Axial:    {0, +1, 1, +1, 2},
		Coronal:  {0, +1, 2, -1, 1},
		Sagittal: {1, +1, 2, -1, 0},
	}
	perms, flips := allReorientations()
	for n := range perms {
		g := ReorientGeometry(base, perms[n], flips[n])
		for _, p := range Planes {
			l, err := NewSliceLayout(g, p)
			if err != nil {
				t.Fatal(err)
			}
			c := conv[p]
			k := l.Slices / 2
			p00 := g.IndexToLPS(vec(l.Voxel(k, 0, 0)))
			p10 := g.IndexToLPS(vec(l.Voxel(k, 1, 0)))
			p01 := g.IndexToLPS(vec(l.Voxel(k, 0, 1)))
			dx, dy := sub(p10, p00), sub(p01, p00)
			if float64(c.colSign)*dx[c.col] < 0.9*l.ColSpacing {
				t.Errorf("%v %v %v: column step moves %v in LPS", perms[n], flips[n], p, dx)
			}
			if float64(c.rowSign)*dy[c.row] < 0.9*l.RowSpacing {
				t.Errorf("%v %v %v: row step moves %v in LPS", perms[n], flips[n], p, dy)
			}
			if math.Abs(dx[c.normal]) > 0.1*l.ColSpacing || math.Abs(dy[c.normal]) > 0.1*l.RowSpacing {
				t.Errorf("%v %v %v: in-plane steps %v %v leave the plane", perms[n], flips[n], p, dx, dy)
			}
			checkOffsets(t, g, l)
		}
	}
}

// checkOffsets verifies the strided-copy arithmetic against Voxel for every
// pixel of every slice, and that Pixel inverts Voxel.
func checkOffsets(t *testing.T, g Geometry, l SliceLayout) {
	t.Helper()
	seen := make([]bool, g.NumVoxels())
	for k := 0; k < l.Slices; k++ {
		for y := 0; y < l.Height; y++ {
			for x := 0; x < l.Width; x++ {
				idx := l.Voxel(k, x, y)
				off := l.Offset(k) + x*l.ColStride + y*l.RowStride
				if off != g.Index(idx[0], idx[1], idx[2]) {
					t.Fatalf("%v pixel (%d,%d) of slice %d: offset %d, voxel %v", l.Plane, x, y, k, off, idx)
				}
				if seen[off] {
					t.Fatalf("%v: voxel %v shown twice", l.Plane, idx)
				}
				seen[off] = true
				if kk, xx, yy := l.Pixel(idx); kk != k || xx != x || yy != y {
					t.Fatalf("%v: Pixel(%v) = %d,%d,%d, want %d,%d,%d", l.Plane, idx, kk, xx, yy, k, x, y)
				}
			}
		}
	}
}

func vec(i [3]int) Vec3  { return Vec3{float64(i[0]), float64(i[1]), float64(i[2])} }
func sub(a, b Vec3) Vec3 { return Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

func TestUnknownPlane(t *testing.T) {
	g := Geometry{Dims: [3]int{2, 2, 2}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	if _, err := NewSliceLayout(g, Plane(7)); err == nil {
		t.Error("plane 7 accepted")
	}
	if SliceCount(g, Plane(-1)) != 0 {
		t.Error("SliceCount of an unknown plane")
	}
	if Plane(7).String() != "Plane(7)" {
		t.Error(Plane(7).String())
	}
}
