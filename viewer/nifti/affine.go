package nifti

import (
	"fmt"
	"math"

	"delineate/viewer"
)

// SformAffine is the voxel→RAS affine stored in srow_x/y/z, whatever
// sform_code says.
func (h *Header) SformAffine() viewer.Mat4 {
	var a viewer.Mat4
	for r := range 3 {
		a[r] = h.Srow[r]
	}
	a[3][3] = 1
	return a
}

// QformAffine is the voxel→RAS affine described by the quaternion, offsets,
// pixdim and qfac, whatever qform_code says.
func (h *Header) QformAffine() viewer.Mat4 {
	dx, _ := usableSpacing(h.Pixdim[1])
	dy, _ := usableSpacing(h.Pixdim[2])
	dz, _ := usableSpacing(h.Pixdim[3])
	qfac := 1.0
	if h.Pixdim[0] < 0 {
		qfac = -1
	}
	// NIfTI-1 keeps b, c, d in float32, so 1−b²−c²−d² below float32
	// rounding means a rotation of 180°, not a tiny first component.
	eps := 1e-7
	if h.Version == 2 {
		eps = 1e-15
	}
	return quaternToAffine(h.Quatern, h.QOffset, viewer.Vec3{dx, dy, dz}, qfac, eps)
}

// Affine returns the voxel→RAS affine (in millimetres) that Read uses and
// which header field it came from: "sform", "qform" or "pixdim".
func (h *Header) Affine() (viewer.Mat4, string) {
	g, src, _ := h.geometry()
	return g.AffineRAS(), src
}

// usableSpacing turns a pixdim into a positive spacing. Negative pixdims
// are common in files from sloppy writers that meant a flip; the flip
// belongs in the quaternion, so only the magnitude is kept.
func usableSpacing(p float64) (float64, bool) {
	if a := math.Abs(p); !(a >= minSpacing && a <= maxSpacing) {
		return 1, false
	}
	return math.Abs(p), p > 0
}

// Plausible ranges, in millimetres. Anything outside is a damaged header,
// and would break reslicing downstream (a spacing of 1e-150 squares to
// zero; an origin of 1e20 leaves no precision for the voxel index).
const (
	minSpacing = 1e-6
	maxSpacing = 1e6
	maxOrigin  = 1e9
)

// checkGeometry is viewer.Geometry.Validate plus the plausibility ranges.
func checkGeometry(g viewer.Geometry) error {
	if err := g.Validate(); err != nil {
		return err
	}
	for i := range 3 {
		if s := g.Spacing[i]; s < minSpacing || s > maxSpacing {
			return fmt.Errorf("spacing %d is %g mm", i, s)
		}
		if math.Abs(g.Origin[i]) > maxOrigin {
			return fmt.Errorf("origin is %g mm from the isocentre", g.Origin[i])
		}
	}
	return nil
}

// unitScale converts the header's spatial unit to millimetres.
func (h *Header) unitScale() (float64, string) {
	switch h.XYZTUnits & 7 {
	case unitsMeter:
		return 1000, "metres"
	case unitsMicron:
		return 1e-3, "micrometres"
	}
	return 1, ""
}

// geometry picks the header's best description of voxel placement, in the
// order the NIfTI standard recommends for display (sform, then qform, then
// the ANALYZE-style pixdim scaling), skipping any that is degenerate.
func (h *Header) geometry() (viewer.Geometry, string, []string) {
	dims := h.Dims()
	scale, unit := h.unitScale()
	var warns []string
	if unit != "" {
		warns = append(warns, fmt.Sprintf("spatial units are %s: converted to millimetres", unit))
	}
	try := func(a viewer.Mat4) (viewer.Geometry, error) {
		for r := range 3 {
			for c := range 4 {
				a[r][c] *= scale
			}
		}
		g := viewer.GeometryFromAffineRAS(a, dims)
		return g, checkGeometry(g)
	}
	if h.SformCode > 0 {
		g, err := try(h.SformAffine())
		if err == nil {
			if w := shearWarning(g.Direction); w != "" {
				warns = append(warns, w)
			}
			return g, "sform", warns
		}
		warns = append(warns, fmt.Sprintf("sform is unusable (%v): ignored", err))
	}
	if h.QformCode > 0 {
		g, err := try(h.QformAffine())
		if err == nil {
			return g, "qform", warns
		}
		warns = append(warns, fmt.Sprintf("qform is unusable (%v): ignored", err))
	}
	if h.SformCode <= 0 && h.QformCode <= 0 {
		warns = append(warns, "no sform or qform: orientation unknown, voxel axes assumed to be RAS with pixdim spacing")
	} else {
		warns = append(warns, "orientation unknown: voxel axes assumed to be RAS with pixdim spacing")
	}
	var a viewer.Mat4
	for i := range 3 {
		s, ok := usableSpacing(h.Pixdim[i+1])
		if !ok && dims[i] > 1 {
			warns = append(warns, fmt.Sprintf("pixdim[%d] = %g: using %g", i+1, h.Pixdim[i+1], s))
		}
		a[i][i] = s
	}
	a[3][3] = 1
	g, err := try(a)
	if err != nil {
		// Only the unit scale can push a usable pixdim out of range:
		// keep the numbers as millimetres.
		warns = append(warns, "spacing out of range in the stated units: taken as millimetres")
		g = viewer.GeometryFromAffineRAS(a, dims)
	}
	return g, "pixdim", warns
}

// maxShearDeg is how far from perpendicular two index axes of the sform may
// be before the file is called sheared. float32 storage of an oblique
// rotation leaves about 1e-5°; real shear (a CT gantry tilt kept by the
// converter) is degrees.
const maxShearDeg = 0.01

// shear is the largest angle, in degrees, by which two index axes of the
// direction matrix dir (unit columns) depart from perpendicular, and which
// two (0, 1, 2 for i, j, k). A rotation, with or without a flip, has 0.
func shear(dir viewer.Mat3) (deg float64, a, b int) {
	for _, p := range [3][2]int{{0, 1}, {0, 2}, {1, 2}} {
		u, w := dir.Column(p[0]), dir.Column(p[1])
		nu, nw := math.Sqrt(u.Dot(u)), math.Sqrt(w.Dot(w))
		if nu == 0 || nw == 0 {
			continue
		}
		c := math.Min(math.Abs(u.Dot(w))/(nu*nw), 1)
		if d := math.Asin(c) * 180 / math.Pi; d > deg {
			deg, a, b = d, p[0], p[1]
		}
	}
	return deg, a, b
}

// shearWarning says what happens to a sheared sform. The grid keeps it:
// Geometry's direction columns are the sform's, not perpendicular, so voxel
// positions, alignment of other volumes and the sform of a saved copy are
// as the file says. But the slices are drawn as a rectangular voxel grid
// (see viewer.NearestAxes), and a qform, which can only hold a rotation,
// is written as the nearest one.
func shearWarning(dir viewer.Mat3) string {
	deg, a, b := shear(dir)
	if !(deg > maxShearDeg) {
		return ""
	}
	return fmt.Sprintf("sheared sform: index axes %c and %c are %.2f° from perpendicular (a gantry tilt?); "+
		"the slices are shown as a rectangular voxel grid, without the shear, "+
		"while voxel positions and the sform of a saved copy keep it (its qform gets the nearest rotation)",
		"ijk"[a], "ijk"[b], deg)
}

// quaternToAffine builds the qform affine: rotation from the unit
// quaternion (a, b, c, d) with a ≥ 0 derived from b, c, d, then scaling by
// the spacing, the third axis flipped when qfac is −1. When 1−b²−c²−d² is
// below eps (the precision b, c, d were stored with), the rotation is taken
// to be exactly 180°.
func quaternToAffine(q, off, spacing viewer.Vec3, qfac, eps float64) viewer.Mat4 {
	b, c, d := q[0], q[1], q[2]
	var a float64
	if s := b*b + c*c + d*d; 1-s < eps {
		// a is lost in the rounding of b, c, d: renormalise them and take
		// a = 0.
		if s > 0 {
			n := math.Sqrt(s)
			b, c, d = b/n, c/n, d/n
		} else {
			a = 1
		}
	} else {
		a = math.Sqrt(1 - s)
	}
	r := viewer.Mat3{
		{a*a + b*b - c*c - d*d, 2 * (b*c - a*d), 2 * (b*d + a*c)},
		{2 * (b*c + a*d), a*a + c*c - b*b - d*d, 2 * (c*d - a*b)},
		{2 * (b*d - a*c), 2 * (c*d + a*b), a*a + d*d - c*c - b*b},
	}
	sc := viewer.Vec3{spacing[0], spacing[1], spacing[2] * qfac}
	var m viewer.Mat4
	for i := range 3 {
		for j := range 3 {
			m[i][j] = r[i][j] * sc[j]
		}
		m[i][3] = off[i]
	}
	m[3][3] = 1
	return m
}

// affineToQuatern finds the qform (quaternion b, c, d and qfac) of a
// direction matrix whose columns are unit vectors in RAS. The matrix is
// first made exactly orthogonal, since a qform cannot carry shear; an
// improper matrix (det < 0) gets qfac = −1 and its third column negated.
// Shepperd's choice of the largest of the four quaternion components to
// divide by keeps the result accurate near 180° rotations, where the
// trace-only formula divides by almost zero.
func affineToQuatern(dir viewer.Mat3) (q viewer.Vec3, qfac float64) {
	r := orthogonalize(dir)
	qfac = 1
	if r.Det() < 0 {
		qfac = -1
		for i := range 3 {
			r[i][2] = -r[i][2]
		}
	}
	tr := r[0][0] + r[1][1] + r[2][2]
	var a, b, c, d float64
	switch {
	case tr >= r[0][0] && tr >= r[1][1] && tr >= r[2][2]:
		a = 0.5 * math.Sqrt(math.Max(1+tr, 0))
		b = (r[2][1] - r[1][2]) / (4 * a)
		c = (r[0][2] - r[2][0]) / (4 * a)
		d = (r[1][0] - r[0][1]) / (4 * a)
	case r[0][0] >= r[1][1] && r[0][0] >= r[2][2]:
		b = 0.5 * math.Sqrt(math.Max(1+r[0][0]-r[1][1]-r[2][2], 0))
		a = (r[2][1] - r[1][2]) / (4 * b)
		c = (r[0][1] + r[1][0]) / (4 * b)
		d = (r[0][2] + r[2][0]) / (4 * b)
	case r[1][1] >= r[2][2]:
		c = 0.5 * math.Sqrt(math.Max(1-r[0][0]+r[1][1]-r[2][2], 0))
		a = (r[0][2] - r[2][0]) / (4 * c)
		b = (r[0][1] + r[1][0]) / (4 * c)
		d = (r[1][2] + r[2][1]) / (4 * c)
	default:
		d = 0.5 * math.Sqrt(math.Max(1-r[0][0]-r[1][1]+r[2][2], 0))
		a = (r[1][0] - r[0][1]) / (4 * d)
		b = (r[0][2] + r[2][0]) / (4 * d)
		c = (r[1][2] + r[2][1]) / (4 * d)
	}
	// The file stores b, c, d and implies a = +sqrt(1−b²−c²−d²); q and −q
	// are the same rotation, so pick the sign that makes a non-negative.
	if a < 0 {
		b, c, d = -b, -c, -d
	}
	return viewer.Vec3{b, c, d}, qfac
}

// orthogonalize returns the orthogonal polar factor of m (the nearest
// orthogonal matrix), by the Newton iteration Q ← (Q + Q⁻ᵀ)/2, which
// converges quadratically for the nearly orthogonal matrices met here.
func orthogonalize(m viewer.Mat3) viewer.Mat3 {
	q := m
	for range 30 {
		inv, ok := q.Inverse()
		if !ok {
			return viewer.Identity3
		}
		var next viewer.Mat3
		diff := 0.0
		for i := range 3 {
			for j := range 3 {
				next[i][j] = 0.5 * (q[i][j] + inv[j][i])
				diff = math.Max(diff, math.Abs(next[i][j]-q[i][j]))
			}
		}
		q = next
		if diff < 1e-15 {
			break
		}
	}
	return q
}

// Geometry is the grid the header describes, as Read gives it to the
// volume, with any warnings about it: callers that only need the grid of a
// .nii.gz (an export that copies the file, a verifier) need not decompress
// the image.
func (h *Header) Geometry() (viewer.Geometry, []string) {
	g, _, w := h.geometry()
	return g, w
}

// Integer reports whether the voxels as read are integers: an integer
// datatype with a finite integer scl_slope and scl_inter (or none), so that
// they can hold no NaN.
func (h *Header) Integer() bool {
	switch h.Datatype {
	case DTBinary, DTUint8, DTInt8, DTInt16, DTUint16, DTInt32, DTUint32, DTInt64, DTUint64:
	default:
		return false
	}
	s, i := h.SclSlope, h.SclInter
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return true // unset: no scaling
	}
	return s == math.Trunc(s) && i == math.Trunc(i)
}
