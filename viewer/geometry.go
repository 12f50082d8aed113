package viewer

import (
	"fmt"
	"math"
)

// Vec3 is a point or direction in patient space (millimetres) or in
// continuous voxel-index space.
type Vec3 [3]float64

// Mat3 is a 3×3 matrix, row-major: M[row][col].
type Mat3 [3][3]float64

// Mat4 is a 4×4 homogeneous affine, row-major.
type Mat4 [4][4]float64

// Identity3 is the 3×3 identity.
var Identity3 = Mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}

// Geometry places a voxel grid in patient space.
//
// Direction's columns are the unit vectors, in DICOM LPS coordinates, along
// which the voxel indices i, j and k increase. Origin is the LPS position of
// the centre of voxel (0,0,0). So, in LPS,
//
//	p = Origin + Direction · diag(Spacing) · (i, j, k)ᵀ
//
// The RAS (NIfTI) affine is the same map with the first two patient axes
// negated.
type Geometry struct {
	Dims      [3]int
	Spacing   Vec3
	Origin    Vec3
	Direction Mat3
}

// NumVoxels is the number of voxels in the grid.
func (g Geometry) NumVoxels() int { return g.Dims[0] * g.Dims[1] * g.Dims[2] }

// VoxelML is one voxel's volume in millilitres (spacing in mm).
func (g Geometry) VoxelML() float64 { return g.Spacing[0] * g.Spacing[1] * g.Spacing[2] / 1000 }

// Index returns the linear offset of voxel (i,j,k); i varies fastest.
func (g Geometry) Index(i, j, k int) int { return i + g.Dims[0]*(j+g.Dims[1]*k) }

// AffineLPS maps voxel index (i,j,k,1) to DICOM patient coordinates (LPS, mm).
func (g Geometry) AffineLPS() Mat4 {
	var a Mat4
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			a[r][c] = g.Direction[r][c] * g.Spacing[c]
		}
		a[r][3] = g.Origin[r]
	}
	a[3][3] = 1
	return a
}

// AffineRAS maps voxel index to NIfTI world coordinates (RAS, mm).
func (g Geometry) AffineRAS() Mat4 { return lpsRAS(g.AffineLPS()) }

// lpsRAS negates the first two rows: LPS↔RAS is its own inverse.
func lpsRAS(a Mat4) Mat4 {
	for c := 0; c < 4; c++ {
		a[0][c] = -a[0][c]
		a[1][c] = -a[1][c]
	}
	return a
}

// IndexToLPS maps a (continuous) voxel index to LPS millimetres.
func (g Geometry) IndexToLPS(idx Vec3) Vec3 {
	var p Vec3
	for r := 0; r < 3; r++ {
		p[r] = g.Origin[r]
		for c := 0; c < 3; c++ {
			p[r] += g.Direction[r][c] * g.Spacing[c] * idx[c]
		}
	}
	return p
}

// IndexToRAS maps a voxel index to RAS millimetres.
func (g Geometry) IndexToRAS(idx Vec3) Vec3 {
	p := g.IndexToLPS(idx)
	return Vec3{-p[0], -p[1], p[2]}
}

// LPSToIndex maps LPS millimetres to a continuous voxel index.
func (g Geometry) LPSToIndex(p Vec3) Vec3 {
	inv, ok := g.Direction.Inverse()
	if !ok {
		return Vec3{math.NaN(), math.NaN(), math.NaN()}
	}
	d := Vec3{p[0] - g.Origin[0], p[1] - g.Origin[1], p[2] - g.Origin[2]}
	var idx Vec3
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			idx[r] += inv[r][c] * d[c]
		}
		if g.Spacing[r] != 0 {
			idx[r] /= g.Spacing[r]
		}
	}
	return idx
}

// SameGrid reports whether two geometries describe the same voxel grid, with
// positions compared to tolMM millimetres over the whole extent of the grid.
func (g Geometry) SameGrid(o Geometry, tolMM float64) bool {
	if g.Dims != o.Dims {
		return false
	}
	a, b := g.AffineLPS(), o.AffineLPS()
	// Compare the corners: this bounds the position error anywhere in the grid.
	for _, c := range g.corners() {
		pa, pb := applyAffine(a, c), applyAffine(b, c)
		for r := 0; r < 3; r++ {
			if math.Abs(pa[r]-pb[r]) > tolMM {
				return false
			}
		}
	}
	return true
}

func (g Geometry) corners() []Vec3 {
	var cs []Vec3
	for m := 0; m < 8; m++ {
		var c Vec3
		for a := 0; a < 3; a++ {
			if m&(1<<a) != 0 {
				c[a] = float64(max(g.Dims[a]-1, 0))
			}
		}
		cs = append(cs, c)
	}
	return cs
}

func applyAffine(a Mat4, v Vec3) Vec3 {
	var p Vec3
	for r := 0; r < 3; r++ {
		p[r] = a[r][0]*v[0] + a[r][1]*v[1] + a[r][2]*v[2] + a[r][3]
	}
	return p
}

// Validate checks that the geometry is usable: positive dims and spacing, a
// finite origin and a non-singular direction matrix.
func (g Geometry) Validate() error {
	for a := 0; a < 3; a++ {
		if g.Dims[a] <= 0 {
			return fmt.Errorf("dimension %d is %d", a, g.Dims[a])
		}
		if !(g.Spacing[a] > 0) || math.IsInf(g.Spacing[a], 0) {
			return fmt.Errorf("spacing %d is %g", a, g.Spacing[a])
		}
		if math.IsNaN(g.Origin[a]) || math.IsInf(g.Origin[a], 0) {
			return fmt.Errorf("origin is not finite")
		}
	}
	if d := g.Direction.Det(); math.Abs(d) < 1e-6 || math.IsNaN(d) {
		return fmt.Errorf("direction matrix is singular")
	}
	return nil
}

// GeometryFromAffine splits an index→patient affine (LPS) into spacing,
// origin and unit direction columns.
func GeometryFromAffine(a Mat4, dims [3]int) Geometry {
	g := Geometry{Dims: dims}
	for c := 0; c < 3; c++ {
		n := math.Sqrt(a[0][c]*a[0][c] + a[1][c]*a[1][c] + a[2][c]*a[2][c])
		g.Spacing[c] = n
		for r := 0; r < 3; r++ {
			if n > 0 {
				g.Direction[r][c] = a[r][c] / n
			} else if r == c {
				g.Direction[r][c] = 1
			}
		}
	}
	for r := 0; r < 3; r++ {
		g.Origin[r] = a[r][3]
	}
	return g
}

// GeometryFromAffineRAS is GeometryFromAffine for a NIfTI (RAS) affine.
func GeometryFromAffineRAS(a Mat4, dims [3]int) Geometry {
	return GeometryFromAffine(lpsRAS(a), dims)
}

// Det is the determinant.
func (m Mat3) Det() float64 {
	return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
}

// Inverse returns the inverse and false when m is singular.
func (m Mat3) Inverse() (Mat3, bool) {
	d := m.Det()
	if d == 0 || math.IsNaN(d) {
		return Mat3{}, false
	}
	var inv Mat3
	inv[0][0] = (m[1][1]*m[2][2] - m[1][2]*m[2][1]) / d
	inv[0][1] = (m[0][2]*m[2][1] - m[0][1]*m[2][2]) / d
	inv[0][2] = (m[0][1]*m[1][2] - m[0][2]*m[1][1]) / d
	inv[1][0] = (m[1][2]*m[2][0] - m[1][0]*m[2][2]) / d
	inv[1][1] = (m[0][0]*m[2][2] - m[0][2]*m[2][0]) / d
	inv[1][2] = (m[0][2]*m[1][0] - m[0][0]*m[1][2]) / d
	inv[2][0] = (m[1][0]*m[2][1] - m[1][1]*m[2][0]) / d
	inv[2][1] = (m[0][1]*m[2][0] - m[0][0]*m[2][1]) / d
	inv[2][2] = (m[0][0]*m[1][1] - m[0][1]*m[1][0]) / d
	return inv, true
}

// Column returns column c as a vector.
func (m Mat3) Column(c int) Vec3 { return Vec3{m[0][c], m[1][c], m[2][c]} }

// Dot is the scalar product.
func (v Vec3) Dot(o Vec3) float64 { return v[0]*o[0] + v[1]*o[1] + v[2]*o[2] }

// Cross is the vector product.
func (v Vec3) Cross(o Vec3) Vec3 {
	return Vec3{v[1]*o[2] - v[2]*o[1], v[2]*o[0] - v[0]*o[2], v[0]*o[1] - v[1]*o[0]}
}

// Norm is the Euclidean length.
func (v Vec3) Norm() float64 { return math.Sqrt(v.Dot(v)) }
