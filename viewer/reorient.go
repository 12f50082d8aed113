package viewer

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// ReorientGeometry is the geometry Reorient gives: index axis a of the
// result is axis perm[a] of g, reversed when flip[a]. The origin moves to
// the voxel that becomes (0,0,0) and the direction columns follow the axes,
// so every voxel keeps its patient position. It panics if perm is not a
// permutation of 0, 1, 2.
func ReorientGeometry(g Geometry, perm [3]int, flip [3]bool) Geometry {
	checkPerm(perm)
	var first Vec3 // source index of the new voxel (0,0,0)
	out := Geometry{}
	for a := 0; a < 3; a++ {
		src := perm[a]
		out.Dims[a] = g.Dims[src]
		out.Spacing[a] = g.Spacing[src]
		sign := 1.0
		if flip[a] {
			sign = -1
			first[src] = float64(g.Dims[src] - 1)
		}
		for r := 0; r < 3; r++ {
			out.Direction[r][a] = sign * g.Direction[r][src]
		}
	}
	out.Origin = g.IndexToLPS(first)
	return out
}

func checkPerm(perm [3]int) {
	var seen [3]bool
	for _, p := range perm {
		if p < 0 || p > 2 || seen[p] {
			panic(fmt.Sprintf("viewer: %v is not a permutation of the axes 0, 1, 2", perm))
		}
		seen[p] = true
	}
}

// Reorient returns v with its voxels re-stored so that index axis a is
// source axis perm[a], reversed when flip[a]; the geometry changes with the
// data (see ReorientGeometry), so the image is the same patient, voxel for
// voxel — only the storage order differs. The identity returns a new Volume
// sharing v's data, which is safe because volumes are immutable. It panics
// if perm is not a permutation.
func Reorient(v *Volume, perm [3]int, flip [3]bool) *Volume {
	out := &Volume{
		Geometry:    ReorientGeometry(v.Geometry, perm, flip),
		Modality:    v.Modality,
		Description: v.Description,
		Windows:     slices.Clone(v.Windows),
		Warnings:    slices.Clone(v.Warnings),
	}
	if perm == [3]int{0, 1, 2} && flip == [3]bool{} {
		out.Data = v.Data
		return out
	}
	d := v.Dims
	srcStride := [3]int{1, d[0], d[0] * d[1]}
	var start int
	var step [3]int
	for a := 0; a < 3; a++ {
		st := srcStride[perm[a]]
		if flip[a] {
			start += (d[perm[a]] - 1) * st
			st = -st
		}
		step[a] = st
	}
	nd := out.Dims
	switch s := typed(v.Data).(type) {
	case Voxels[uint8]:
		out.Data = Voxels[uint8](reorientCopy(s, nd, start, step))
	case Voxels[int8]:
		out.Data = Voxels[int8](reorientCopy(s, nd, start, step))
	case Voxels[uint16]:
		out.Data = Voxels[uint16](reorientCopy(s, nd, start, step))
	case Voxels[int16]:
		out.Data = Voxels[int16](reorientCopy(s, nd, start, step))
	case Voxels[int32]:
		out.Data = Voxels[int32](reorientCopy(s, nd, start, step))
	case Voxels[uint32]:
		out.Data = Voxels[uint32](reorientCopy(s, nd, start, step))
	case Voxels[float32]:
		out.Data = Voxels[float32](reorientCopy(s, nd, start, step))
	default:
		// Unreachable for data built by this package; keep the geometry
		// honest rather than pair it with unpermuted voxels.
		panic(fmt.Sprintf("viewer: cannot reorient voxel type %v", v.Data.Type()))
	}
	return out
}

func reorientCopy[T Number](src []T, nd [3]int, start int, step [3]int) []T {
	dst := make([]T, nd[0]*nd[1]*nd[2])
	i := 0
	for n2 := 0; n2 < nd[2]; n2++ {
		for n1 := 0; n1 < nd[1]; n1++ {
			off := start + n1*step[1] + n2*step[2]
			row := dst[i : i+nd[0]]
			for n0 := range row {
				row[n0] = src[off]
				off += step[0]
			}
			i += nd[0]
		}
	}
	return dst
}

// FlipAxis reverses index axis axis (0, 1 or 2) of v, keeping every voxel's
// patient position.
func FlipAxis(v *Volume, axis int) *Volume {
	var flip [3]bool
	flip[axis] = true
	return Reorient(v, [3]int{0, 1, 2}, flip)
}

// DefaultAlignTolMM is the voxel-position tolerance AlignTo uses when given
// tolMM ≤ 0. NIfTI stores its affine in float32, which alone moves corner
// positions by ~10⁻⁵ mm, and converters disagree by ~10⁻³ mm on oblique
// DICOM; a hundredth of a millimetre absorbs both yet is far below any
// voxel, so a real misregistration is never waved through.
const DefaultAlignTolMM = 0.01

// AlignTo returns lab on img's grid. Label maps often come back from other
// tools with the image's voxels in a different storage order (dcm2niix, for
// one, flips rows relative to DICOM), and drawing them by index would
// mirror them; this finds the axis permutation and flips that put lab's
// voxel centres on img's, to within tolMM millimetres (DefaultAlignTolMM
// when tolMM ≤ 0).
//
// When lab already is on img's grid it is returned as is. When a
// permutation/flip is needed the result is a re-indexed copy that carries
// img's geometry exactly, so later SameGrid checks need no tolerance. Any
// other difference (a resampled or cropped label map) is an error saying how
// the grids differ: resampling labels is a decision for the user, not for a
// viewer.
func AlignTo(img Geometry, lab *Volume, tolMM float64) (*Volume, error) {
	if lab == nil || lab.Data == nil {
		return nil, fmt.Errorf("align: no label map")
	}
	if lab.Data.Len() != lab.NumVoxels() {
		return nil, fmt.Errorf("align: label map has %d voxels for dims %v", lab.Data.Len(), lab.Dims)
	}
	if !(tolMM > 0) {
		tolMM = DefaultAlignTolMM
	}
	if lab.SameGrid(img, tolMM) {
		return lab, nil
	}
	for _, perm := range permutations {
		for f := 0; f < 8; f++ {
			flip := [3]bool{f&1 != 0, f&2 != 0, f&4 != 0}
			if !ReorientGeometry(lab.Geometry, perm, flip).SameGrid(img, tolMM) {
				continue
			}
			out := Reorient(lab, perm, flip)
			out.Geometry = img
			return out, nil
		}
	}
	return nil, fmt.Errorf("align: label map does not lie on the image grid: %s", describeMismatch(img, lab.Geometry, tolMM))
}

// describeMismatch says, in terms a user can act on, how lab's grid differs
// from img's. Axes are first matched by direction, so a label map that is
// merely stored in another order but also, say, one slice short is reported
// as "one slice short", not as a permutation.
func describeMismatch(img, lab Geometry, tolMM float64) string {
	var cos [3][3]float64 // img axis a vs lab axis b
	for a := 0; a < 3; a++ {
		ca := unit(img.Direction.Column(a))
		for b := 0; b < 3; b++ {
			cos[a][b] = ca.Dot(unit(lab.Direction.Column(b)))
		}
	}
	best, bestScore := permutations[0], -1.0
	for _, p := range permutations {
		s := math.Abs(cos[0][p[0]]) + math.Abs(cos[1][p[1]]) + math.Abs(cos[2][p[2]])
		if s > bestScore+1e-12 {
			best, bestScore = p, s
		}
	}
	var dims [3]int
	var sp Vec3
	maxAngle := 0.0
	for a := 0; a < 3; a++ {
		dims[a] = lab.Dims[best[a]]
		sp[a] = lab.Spacing[best[a]]
		c := min(math.Abs(cos[a][best[a]]), 1)
		maxAngle = max(maxAngle, math.Acos(c)*180/math.Pi)
	}
	var diffs []string
	if dims != img.Dims {
		diffs = append(diffs, fmt.Sprintf("dims %s vs image %s", fmtDims(dims), fmtDims(img.Dims)))
	}
	for a := 0; a < 3; a++ {
		if math.Abs(sp[a]-img.Spacing[a]) > 1e-4*max(sp[a], img.Spacing[a]) {
			diffs = append(diffs, fmt.Sprintf("spacing %s mm vs image %s mm", fmtVec(sp, "×"), fmtVec(img.Spacing, "×")))
			break
		}
	}
	if maxAngle > 0.01 {
		diffs = append(diffs, fmt.Sprintf("axes differ in direction by up to %.2f°", maxAngle))
	}
	ci, cl := gridCentre(img), gridCentre(lab)
	off := Vec3{cl[0] - ci[0], cl[1] - ci[1], cl[2] - ci[2]}
	if off.Norm() > tolMM {
		diffs = append(diffs, fmt.Sprintf("grid centres %.3g mm apart (label − image, LPS: %s mm)", off.Norm(), fmtVec(off, ", ")))
	}
	if len(diffs) == 0 {
		// Everything agrees to within the thresholds above but corners
		// still miss: a tiny tilt or spacing drift that adds up over the
		// grid's extent.
		diffs = append(diffs, fmt.Sprintf("corner voxels more than %g mm apart (small differences in spacing or direction add up over the grid)", tolMM))
	}
	return strings.Join(diffs, "; ")
}

func unit(v Vec3) Vec3 {
	n := v.Norm()
	if n == 0 {
		return v
	}
	return Vec3{v[0] / n, v[1] / n, v[2] / n}
}

// gridCentre is the patient position of the middle of the grid, which does
// not depend on storage order.
func gridCentre(g Geometry) Vec3 {
	return g.IndexToLPS(Vec3{float64(g.Dims[0]-1) / 2, float64(g.Dims[1]-1) / 2, float64(g.Dims[2]-1) / 2})
}

func fmtDims(d [3]int) string { return fmt.Sprintf("%d×%d×%d", d[0], d[1], d[2]) }

func fmtVec(v Vec3, sep string) string {
	return fmt.Sprintf("%.4g%s%.4g%s%.4g", v[0], sep, v[1], sep, v[2])
}

// FlipRowsInPlace reverses index axis 1 (the rows of each slice) of v in
// its own memory and returns v with the geometry that keeps every voxel's
// patient position. Volumes are otherwise immutable: only a caller that
// owns v alone (a conversion about to write it out) may use this, to save
// the copy FlipAxis makes.
func FlipRowsInPlace(v *Volume) *Volume {
	switch s := v.Data.Raw().(type) {
	case []uint8:
		flipRows(s, v.Dims)
	case []int8:
		flipRows(s, v.Dims)
	case []uint16:
		flipRows(s, v.Dims)
	case []int16:
		flipRows(s, v.Dims)
	case []uint32:
		flipRows(s, v.Dims)
	case []int32:
		flipRows(s, v.Dims)
	case []float32:
		flipRows(s, v.Dims)
	}
	v.Geometry = ReorientGeometry(v.Geometry, [3]int{0, 1, 2}, [3]bool{false, true, false})
	return v
}

func flipRows[T Number](s []T, d [3]int) {
	nx, ny := d[0], d[1]
	tmp := make([]T, nx)
	for k := 0; k < d[2]; k++ {
		sl := s[k*nx*ny : (k+1)*nx*ny]
		for a, b := 0, ny-1; a < b; a, b = a+1, b-1 {
			ra, rb := sl[a*nx:(a+1)*nx], sl[b*nx:(b+1)*nx]
			copy(tmp, ra)
			copy(ra, rb)
			copy(rb, tmp)
		}
	}
}

// SliceRowsReversed copies slice k of v into dst (a buffer of one slice's
// voxels of v's type, allocated when nil or too small) with its rows in
// reverse order: slice k of FlipAxis(v, 1), without flipping the rest. A
// conversion streams a volume out in dcm2niix's row order this way, slice
// by slice, as the slices are read.
func SliceRowsReversed(v *Volume, k int, dst VoxelData) VoxelData {
	nx, ny := v.Dims[0], v.Dims[1]
	if dst == nil || dst.Len() < nx*ny || dst.Type() != v.Data.Type() {
		dst, _ = NewVoxelData(v.Data.Type(), nx*ny)
	}
	switch s := v.Data.Raw().(type) {
	case []uint8:
		reverseRows(dst.Raw().([]uint8), s[k*nx*ny:(k+1)*nx*ny], nx, ny)
	case []int8:
		reverseRows(dst.Raw().([]int8), s[k*nx*ny:(k+1)*nx*ny], nx, ny)
	case []uint16:
		reverseRows(dst.Raw().([]uint16), s[k*nx*ny:(k+1)*nx*ny], nx, ny)
	case []int16:
		reverseRows(dst.Raw().([]int16), s[k*nx*ny:(k+1)*nx*ny], nx, ny)
	case []uint32:
		reverseRows(dst.Raw().([]uint32), s[k*nx*ny:(k+1)*nx*ny], nx, ny)
	case []int32:
		reverseRows(dst.Raw().([]int32), s[k*nx*ny:(k+1)*nx*ny], nx, ny)
	case []float32:
		reverseRows(dst.Raw().([]float32), s[k*nx*ny:(k+1)*nx*ny], nx, ny)
	}
	return dst
}

func reverseRows[T Number](dst, src []T, nx, ny int) {
	for r := 0; r < ny; r++ {
		copy(dst[r*nx:(r+1)*nx], src[(ny-1-r)*nx:(ny-r)*nx])
	}
}
