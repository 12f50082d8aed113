package viewer

import (
	"math"
	"strings"
	"testing"
)

// indexVolume holds each voxel's own linear index, so after any reordering
// a voxel's value says where it came from.
func indexVolume(t *testing.T, g Geometry) *Volume {
	t.Helper()
	v, err := NewVolume(g, Int32)
	if err != nil {
		t.Fatal(err)
	}
	s := v.Data.Raw().([]int32)
	for i := range s {
		s[i] = int32(i)
	}
	return v
}

func obliqueGeometry() Geometry {
	return Geometry{
		Dims: [3]int{3, 4, 5}, Spacing: Vec3{0.5, 1.25, 3},
		Origin: Vec3{-12.5, 40, 7}, Direction: mul3(rotZ(20), rotX(-35)),
	}
}

func near(a, b Vec3, tol float64) bool {
	return math.Abs(a[0]-b[0]) <= tol && math.Abs(a[1]-b[1]) <= tol && math.Abs(a[2]-b[2]) <= tol
}

// The defining property: whatever the new storage order, every voxel keeps
// its value and its patient position.
func TestReorientKeepsPatientPositions(t *testing.T) {
	src := indexVolume(t, obliqueGeometry())
	src.Modality, src.Windows = "MR", []WindowPreset{{"x", 1, 2}}
	perms, flips := allReorientations()
	for n := range perms {
		perm, flip := perms[n], flips[n]
		r := Reorient(src, perm, flip)
		for a := 0; a < 3; a++ {
			if r.Dims[a] != src.Dims[perm[a]] || r.Spacing[a] != src.Spacing[perm[a]] {
				t.Fatalf("%v %v: dims %v spacing %v", perm, flip, r.Dims, r.Spacing)
			}
		}
		if r.Data.Type() != Int32 || r.Data.Len() != src.Data.Len() || r.Modality != "MR" || len(r.Windows) != 1 {
			t.Fatalf("%v %v: metadata lost", perm, flip)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("%v %v: %v", perm, flip, err)
		}
		if math.Abs(math.Abs(r.Direction.Det())-1) > 1e-12 {
			t.Fatalf("%v %v: direction not orthonormal", perm, flip)
		}
		seen := make([]bool, src.NumVoxels())
		for k := 0; k < r.Dims[2]; k++ {
			for j := 0; j < r.Dims[1]; j++ {
				for i := 0; i < r.Dims[0]; i++ {
					from := int(r.Value(i, j, k))
					seen[from] = true
					si := from % src.Dims[0]
					sj := from / src.Dims[0] % src.Dims[1]
					sk := from / (src.Dims[0] * src.Dims[1])
					want := src.IndexToLPS(Vec3{float64(si), float64(sj), float64(sk)})
					if got := r.IndexToLPS(Vec3{float64(i), float64(j), float64(k)}); !near(got, want, 1e-9) {
						t.Fatalf("%v %v voxel (%d,%d,%d) from (%d,%d,%d): at %v, was at %v",
							perm, flip, i, j, k, si, sj, sk, got, want)
					}
				}
			}
		}
		for i, ok := range seen {
			if !ok {
				t.Fatalf("%v %v: voxel %d lost", perm, flip, i)
			}
		}
	}
}

func TestReorientSpecifics(t *testing.T) {
	g := Geometry{Dims: [3]int{2, 3, 1}, Spacing: Vec3{1, 2, 5}, Origin: Vec3{10, 20, 30}, Direction: Identity3}
	v := indexVolume(t, g)
	// Flipping j reverses rows and moves the origin to the old last row.
	f := FlipAxis(v, 1)
	if got := f.Data.Raw().([]int32); !equalInts(got, []int32{4, 5, 2, 3, 0, 1}) {
		t.Errorf("flipped data %v", got)
	}
	if f.Origin != (Vec3{10, 24, 30}) || f.Direction.Column(1) != (Vec3{0, -1, 0}) {
		t.Errorf("flipped origin %v direction %v", f.Origin, f.Direction)
	}
	// Swapping i and j transposes.
	s := Reorient(v, [3]int{1, 0, 2}, [3]bool{})
	if got := s.Data.Raw().([]int32); s.Dims != [3]int{3, 2, 1} || !equalInts(got, []int32{0, 2, 4, 1, 3, 5}) {
		t.Errorf("swapped dims %v data %v", s.Dims, got)
	}
	// Identity shares the (immutable) data; flipping twice gives it back.
	if id := Reorient(v, [3]int{0, 1, 2}, [3]bool{}); &id.Data.Raw().([]int32)[0] != &v.Data.Raw().([]int32)[0] {
		t.Error("identity copied the data")
	}
	back := FlipAxis(f, 1)
	if !equalInts(back.Data.Raw().([]int32), v.Data.Raw().([]int32)) || !back.SameGrid(v.Geometry, 1e-12) {
		t.Error("flipping twice does not restore the volume")
	}
	defer func() {
		if recover() == nil {
			t.Error("Reorient accepted perm [0 0 2]")
		}
	}()
	Reorient(v, [3]int{0, 0, 2}, [3]bool{})
}

func equalInts(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAlignToSameGrid(t *testing.T) {
	img := obliqueGeometry()
	lab := indexVolume(t, img)
	got, err := AlignTo(img, lab, 0)
	if err != nil || got != lab {
		t.Fatalf("same grid: %v, %v", got == lab, err)
	}
	// Float32 rounding in a NIfTI header is well within tolerance.
	lab2 := *lab
	lab2.Origin[0] += 1e-5
	lab2.Spacing[2] *= 1 + 1e-7
	if got, err := AlignTo(img, &lab2, 0); err != nil || got != &lab2 {
		t.Fatalf("same grid up to rounding: %v", err)
	}
}

// Every storage order of the image's own grid aligns back onto it, voxel
// for voxel, carrying the image's geometry exactly.
func TestAlignToUndoesReorientation(t *testing.T) {
	img := obliqueGeometry()
	want := indexVolume(t, img)
	perms, flips := allReorientations()
	for n := range perms {
		lab := Reorient(want, perms[n], flips[n])
		lab.Origin[1] += 0.002 // converter noise
		got, err := AlignTo(img, lab, 0)
		if err != nil {
			t.Fatalf("%v %v: %v", perms[n], flips[n], err)
		}
		if perms[n] == [3]int{0, 1, 2} && flips[n] == [3]bool{} {
			if got != lab {
				t.Error("same grid not returned as is")
			}
		} else if got.Geometry != img {
			t.Errorf("%v %v: geometry %+v, want the image's", perms[n], flips[n], got.Geometry)
		}
		if !equalInts(got.Data.Raw().([]int32), want.Data.Raw().([]int32)) {
			t.Errorf("%v %v: voxels not back in image order", perms[n], flips[n])
		}
	}
}

func TestAlignToMismatch(t *testing.T) {
	img := obliqueGeometry()
	mk := func(g Geometry) *Volume { return indexVolume(t, g) }
	cropped := img
	cropped.Dims[2] = 4
	spaced := img
	spaced.Spacing = Vec3{0.5, 1.25, 2.5}
	shifted := img
	shifted.Origin[2] += 2
	tilted := img
	tilted.Direction = mul3(rotZ(5), img.Direction)
	// Stored in another order *and* one slice short: reported in the
	// image's axis order.
	permCropped := ReorientGeometry(cropped, [3]int{2, 0, 1}, [3]bool{true, false, false})
	cases := []struct {
		lab  Geometry
		msgs []string
	}{
		{cropped, []string{"dims 3×4×4 vs image 3×4×5", "grid centres 1.5 mm apart"}},
		{spaced, []string{"spacing 0.5×1.25×2.5 mm vs image 0.5×1.25×3 mm"}},
		{shifted, []string{"grid centres 2 mm apart", "0, 0, 2 mm"}},
		{tilted, []string{"direction by up to 5.00°"}},
		{permCropped, []string{"dims 3×4×4 vs image 3×4×5"}},
	}
	for _, c := range cases {
		_, err := AlignTo(img, mk(c.lab), 0)
		if err == nil {
			t.Errorf("%+v aligned", c.lab)
			continue
		}
		for _, m := range c.msgs {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("error %q does not say %q", err, m)
			}
		}
	}
	// A 0.05 mm shift fails at the default tolerance but passes at 0.1 mm.
	small := img
	small.Origin[0] += 0.05
	if _, err := AlignTo(img, mk(small), 0); err == nil {
		t.Error("0.05 mm shift aligned at default tolerance")
	}
	if _, err := AlignTo(img, mk(small), 0.1); err != nil {
		t.Errorf("0.05 mm shift at 0.1 mm tolerance: %v", err)
	}
	if _, err := AlignTo(img, &Volume{Geometry: img, Data: Voxels[uint8]{1}}, 0); err == nil {
		t.Error("label map with too few voxels aligned")
	}
}

// FlipRowsInPlace gives what FlipAxis(v, 1) gives, in v's own memory.
func TestFlipRowsInPlace(t *testing.T) {
	g := Geometry{Dims: [3]int{3, 5, 2}, Spacing: Vec3{0.5, 0.7, 2}, Origin: Vec3{10, -4, 3}, Direction: Mat3{{0, 1, 0}, {-1, 0, 0}, {0, 0, 1}}}
	v, _ := NewVolume(g, Int16)
	d := v.Data.Raw().([]int16)
	for i := range d {
		d[i] = int16(i * 7)
	}
	want := FlipAxis(v, 1)
	got := FlipRowsInPlace(v)
	if got != v || &got.Data.Raw().([]int16)[0] != &d[0] {
		t.Fatal("not in place")
	}
	if got.Geometry != want.Geometry {
		t.Errorf("geometry %+v, want %+v", got.Geometry, want.Geometry)
	}
	for i, x := range want.Data.Raw().([]int16) {
		if d[i] != x {
			t.Fatalf("voxel %d: %d, want %d", i, d[i], x)
		}
	}
}

// SliceRowsReversed is one slice of FlipAxis(v, 1), v untouched.
func TestSliceRowsReversed(t *testing.T) {
	g := Geometry{Dims: [3]int{3, 4, 2}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}
	v, _ := NewVolume(g, Float32)
	d := v.Data.Raw().([]float32)
	for i := range d {
		d[i] = float32(i)
	}
	f := FlipAxis(v, 1).Data.Raw().([]float32)
	var buf VoxelData
	for k := 0; k < 2; k++ {
		buf = SliceRowsReversed(v, k, buf)
		for i, x := range buf.Raw().([]float32)[:12] {
			if x != f[k*12+i] {
				t.Fatalf("slice %d voxel %d: %g, want %g", k, i, x, f[k*12+i])
			}
		}
	}
	if d[0] != 0 || d[23] != 23 {
		t.Error("the volume changed")
	}
}
