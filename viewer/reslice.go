package viewer

import (
	"fmt"
	"math"
	"strings"
)

// Plane is one of the three radiological viewing planes.
type Plane int

// The viewing planes. Axial is the zero value because it is what a viewer
// shows first.
const (
	Axial Plane = iota
	Coronal
	Sagittal
)

// Planes lists the planes in the order the UI shows them.
var Planes = [3]Plane{Axial, Coronal, Sagittal}

// String is the lower-case name ParsePlane accepts, so flags round-trip.
func (p Plane) String() string {
	switch p {
	case Axial:
		return "axial"
	case Coronal:
		return "coronal"
	case Sagittal:
		return "sagittal"
	}
	return fmt.Sprintf("Plane(%d)", int(p))
}

// ParsePlane reads a plane name as typed on a command line: axial
// (transverse, ax, tra, a), coronal (cor, c) or sagittal (sag, s), in any
// case.
func ParsePlane(s string) (Plane, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "axial", "ax", "a", "transverse", "transversal", "tra":
		return Axial, nil
	case "coronal", "cor", "c":
		return Coronal, nil
	case "sagittal", "sag", "s":
		return Sagittal, nil
	}
	return 0, fmt.Errorf("plane %q: want axial, coronal or sagittal", s)
}

// ObliqueCos is the smallest |cosine| between an index axis and the patient
// axis it stands for that still counts as aligned: about 1.15°. Scanners
// write directions with rounding noise well below that, while a deliberate
// oblique acquisition tilts by several degrees.
const ObliqueCos = 0.9998

// AxisMap says which index axis stands for each patient axis. Patient axes
// are numbered as LPS coordinates: 0 = x (right→left), 1 = y
// (anterior→posterior), 2 = z (inferior→superior).
type AxisMap struct {
	// Axis[p] is the index axis (0 = i, 1 = j, 2 = k) nearest patient axis p.
	Axis [3]int
	// Neg[p] is true when that index increases towards −p (right, anterior
	// or inferior), so it must be walked backwards to run along +p.
	Neg [3]bool
	// Cos[p] is |cosine| of the angle between index axis Axis[p] and
	// patient axis p; 1 for a perfectly aligned scan.
	Cos [3]float64
}

// MaxAngle is the largest deviation, in degrees, of any index axis from the
// patient axis it stands for.
func (m AxisMap) MaxAngle() float64 {
	c := min(m.Cos[0], m.Cos[1], m.Cos[2])
	return math.Acos(min(c, 1)) * 180 / math.Pi
}

// Oblique reports whether the grid is tilted by more than rounding noise.
func (m AxisMap) Oblique() bool { return min(m.Cos[0], m.Cos[1], m.Cos[2]) < ObliqueCos }

// permutations lists the axis permutations, identity first so that ties go
// to the storage order.
var permutations = [6][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}

// NearestAxes matches patient axes to index axes. Taking the largest
// |cosine| per patient axis independently can pick the same index axis twice
// for a strongly oblique grid (two axes both near 45°), so every one of the
// six permutations is scored and the one with the largest total |cosine|
// wins; ties go to the earlier permutation (identity first), so the answer
// is deterministic.
//
// The warning is empty for an aligned grid. For an oblique one it says how
// far it is tilted and that the nearest orthogonal planes are shown without
// resampling: a voxel-exact view the annotator can trust is worth more than
// a true-plane view that interpolates labels.
func NearestAxes(g Geometry) (AxisMap, string) {
	var cos [3][3]float64 // cos[p][a]: patient axis p, index axis a (signed)
	for a := 0; a < 3; a++ {
		col := g.Direction.Column(a)
		n := col.Norm()
		for p := 0; p < 3; p++ {
			if n > 0 {
				cos[p][a] = col[p] / n
			}
		}
	}
	best, bestScore := 0, -1.0
	for i, perm := range permutations {
		s := math.Abs(cos[0][perm[0]]) + math.Abs(cos[1][perm[1]]) + math.Abs(cos[2][perm[2]])
		if s > bestScore+1e-12 {
			best, bestScore = i, s
		}
	}
	var m AxisMap
	for p := 0; p < 3; p++ {
		a := permutations[best][p]
		m.Axis[p] = a
		m.Neg[p] = cos[p][a] < 0
		m.Cos[p] = math.Abs(cos[p][a])
	}
	if !m.Oblique() {
		return m, ""
	}
	return m, fmt.Sprintf("oblique grid: index axes are up to %.1f° off the patient axes; "+
		"showing the nearest orthogonal planes (axial ⟂ %s, coronal ⟂ %s, sagittal ⟂ %s) without resampling, "+
		"so orientation labels are approximate",
		m.MaxAngle(), axisName(m.Axis[2]), axisName(m.Axis[1]), axisName(m.Axis[0]))
}

func axisName(a int) string { return string("ijk"[a]) }

// planeSpec is the radiological layout of each plane, in patient axes: which
// way image columns (left→right on screen) and rows (top→bottom) run.
//
//	axial:    columns patient right→left (+x), rows anterior→posterior (+y)
//	coronal:  columns right→left (+x),        rows superior→inferior (−z)
//	sagittal: columns anterior→posterior (+y), rows superior→inferior (−z)
//
// So the patient's right is on the viewer's left, as if facing the patient
// (axial seen from the feet), which is how radiologists read.
var planeSpec = [3]struct {
	col, row, normal int
	colNeg, rowNeg   bool
}{
	Axial:    {col: 0, row: 1, normal: 2},
	Coronal:  {col: 0, row: 2, normal: 1, rowNeg: true},
	Sagittal: {col: 1, row: 2, normal: 0, rowNeg: true},
}

// SliceLayout is everything needed to cut one plane out of a grid, worked
// out once per (geometry, plane) so that extracting a slice is a strided
// copy: pixel (x, y) of slice k is voxel offset
//
//	Origin + k·SliceStride + x·ColStride + y·RowStride
//
// in the volume's data (i fastest). Strides are negative along flipped axes.
type SliceLayout struct {
	Plane Plane
	// Width and Height are the image size in pixels; Slices is how many
	// slices the plane has. Slice k is index k along NormalAxis, as stored.
	Width, Height, Slices int
	// ColAxis, RowAxis and NormalAxis are index axes (0 = i, 1 = j, 2 = k).
	ColAxis, RowAxis, NormalAxis int
	// ColFlip and RowFlip say that image x (or y) runs against the index.
	ColFlip, RowFlip bool
	// ColSpacing and RowSpacing are the pixel size in mm, for the aspect
	// ratio on screen.
	ColSpacing, RowSpacing float64
	// Offsets in voxels, signed as walked.
	Origin, ColStride, RowStride, SliceStride int
	// Warning is NearestAxes' warning: non-empty for oblique grids.
	Warning string
}

// NewSliceLayout works out how plane p lies in grid g.
func NewSliceLayout(g Geometry, p Plane) (SliceLayout, error) {
	if p < Axial || p > Sagittal {
		return SliceLayout{}, fmt.Errorf("unknown plane %d", int(p))
	}
	m, warn := NearestAxes(g)
	spec := planeSpec[p]
	l := SliceLayout{
		Plane:      p,
		ColAxis:    m.Axis[spec.col],
		RowAxis:    m.Axis[spec.row],
		NormalAxis: m.Axis[spec.normal],
		ColFlip:    m.Neg[spec.col] != spec.colNeg,
		RowFlip:    m.Neg[spec.row] != spec.rowNeg,
		Warning:    warn,
	}
	l.Width, l.Height, l.Slices = g.Dims[l.ColAxis], g.Dims[l.RowAxis], g.Dims[l.NormalAxis]
	l.ColSpacing, l.RowSpacing = g.Spacing[l.ColAxis], g.Spacing[l.RowAxis]
	stride := [3]int{1, g.Dims[0], g.Dims[0] * g.Dims[1]}
	l.ColStride, l.RowStride, l.SliceStride = stride[l.ColAxis], stride[l.RowAxis], stride[l.NormalAxis]
	if l.ColFlip {
		l.Origin += (l.Width - 1) * l.ColStride
		l.ColStride = -l.ColStride
	}
	if l.RowFlip {
		l.Origin += (l.Height - 1) * l.RowStride
		l.RowStride = -l.RowStride
	}
	return l, nil
}

// Offset is the data offset of pixel (0, 0) of slice k.
func (l SliceLayout) Offset(k int) int { return l.Origin + k*l.SliceStride }

// Voxel is the voxel index shown at pixel (x, y) of slice k, e.g. to turn a
// click into a voxel.
func (l SliceLayout) Voxel(k, x, y int) [3]int {
	var idx [3]int
	idx[l.NormalAxis] = k
	if l.ColFlip {
		x = l.Width - 1 - x
	}
	if l.RowFlip {
		y = l.Height - 1 - y
	}
	idx[l.ColAxis], idx[l.RowAxis] = x, y
	return idx
}

// Pixel is the inverse of Voxel: which slice shows voxel idx, and where, e.g.
// to place the crosshair of one view in the others.
func (l SliceLayout) Pixel(idx [3]int) (k, x, y int) {
	k, x, y = idx[l.NormalAxis], idx[l.ColAxis], idx[l.RowAxis]
	if l.ColFlip {
		x = l.Width - 1 - x
	}
	if l.RowFlip {
		y = l.Height - 1 - y
	}
	return k, x, y
}

// SliceCount is the number of slices of g in plane p (0 for an unknown
// plane).
func SliceCount(g Geometry, p Plane) int {
	l, err := NewSliceLayout(g, p)
	if err != nil {
		return 0
	}
	return l.Slices
}

// SliceSize is the image size of a slice of g in plane p.
func SliceSize(g Geometry, p Plane) (w, h int) {
	l, err := NewSliceLayout(g, p)
	if err != nil {
		return 0, 0
	}
	return l.Width, l.Height
}

// PixelSpacing is the size in mm of one pixel of a slice in plane p, across
// (columns) and down (rows); the UI scales by their ratio so anisotropic
// voxels are not shown squashed.
func PixelSpacing(g Geometry, p Plane) (colMM, rowMM float64) {
	l, err := NewSliceLayout(g, p)
	if err != nil {
		return 0, 0
	}
	return l.ColSpacing, l.RowSpacing
}
