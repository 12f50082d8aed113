package phantom

import (
	"math"
	"sort"
)

// v3 is a point or direction in LPS millimetres. The package keeps its own
// small vector type rather than viewer.Vec3 so that the shape code reads as
// x, y, z, which is how the anatomy below is described.
type v3 struct{ x, y, z float64 }

func (a v3) add(b v3) v3           { return v3{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a v3) sub(b v3) v3           { return v3{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a v3) scale(s float64) v3    { return v3{a.x * s, a.y * s, a.z * s} }
func (a v3) dot(b v3) float64      { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a v3) norm() float64         { return math.Sqrt(a.dot(a)) }
func (a v3) unit() v3              { return a.scale(1 / a.norm()) }
func (a v3) cross(b v3) v3         { return v3{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x} }
func lerp(a, b, t float64) float64 { return a + (b-a)*t }

// box is an axis-aligned bounding box in LPS millimetres. Every solid keeps
// its paint inside its box: the rasteriser only visits voxels in the box,
// which is what makes generation fast, and the tests check that visiting
// every voxel gives the same answer.
type box struct{ lo, hi v3 }

func boxAround(c v3, h v3) box { return box{c.sub(h), c.add(h)} }

// pad grows the box by m on every side. Boxes are padded by a little more
// than rounding could ever matter, so that a voxel centre exactly on a
// tight box face is still visited.
func (b box) pad(m float64) box { return box{b.lo.sub(v3{m, m, m}), b.hi.add(v3{m, m, m})} }

// rowIn and xIn split contains for solids that paint only where some
// tissue already is, and so would otherwise paint anywhere it is found.
func (b box) rowIn(y, z float64) bool {
	return y >= b.lo.y && y <= b.hi.y && z >= b.lo.z && z <= b.hi.z
}

func (b box) xIn(x float64) bool { return x >= b.lo.x && x <= b.hi.x }

func (b box) contains(p v3) bool {
	return p.x >= b.lo.x && p.x <= b.hi.x && p.y >= b.lo.y && p.y <= b.hi.y && p.z >= b.lo.z && p.z <= b.hi.z
}

// tset is a set of tissues (there are fewer than 64).
type tset uint64

func setOf(ts ...tissue) tset {
	var s tset
	for _, t := range ts {
		s |= 1 << t
	}
	return s
}

func (s tset) has(t tissue) bool { return s&(1<<t) != 0 }

// solid is one piece of anatomy. The phantom is a list of solids painted in
// order into a tissue map, each one deciding per voxel from the tissue
// already there (so a bowel loop can fill only fat, and a vessel only lung).
//
// paint updates row[i] for the voxel centred at (xs[i], y, z); xs is
// increasing. It must treat voxels independently and leave every voxel
// outside bounds() untouched, so that painting a clipped row is exactly
// painting the voxels one at a time: the tests classify single points with
// the same code.
type solid interface {
	bounds() box
	paint(y, z float64, xs []float64, row []tissue)
}

// fill says how a hollow or layered solid paints: its core (or gas above a
// fluid level, for organs holding air in a supine patient), a wall of some
// thickness, and which tissues it may paint over.
type fill struct {
	core, wall, gas tissue
	// only, when non-zero, is the set of tissues this solid may replace; its
	// own tissues can always be replaced by its core, so overlapping pieces
	// of one organ (segments of a tube, loops of bowel) merge without
	// internal walls.
	only tset
	// gasLevel: the core is gas where y is less than the centre's y plus
	// gasLevel times the radius (anterior is −y, up for a supine patient).
	gasLevel float64
}

// pick decides the tissue for a voxel at depth class inner/wall, given the
// current tissue; 0 means leave it.
func (f *fill) pick(inner, gas bool, cur tissue) tissue {
	mine := cur == f.core || (f.wall != 0 && cur == f.wall) || (f.gas != 0 && cur == f.gas)
	if inner {
		if f.only != 0 && !f.only.has(cur) && !mine {
			return 0
		}
		if gas && f.gas != 0 {
			return f.gas
		}
		return f.core
	}
	// A wall never covers another piece's core: that is what would leave a
	// wall across the lumen where two segments of a tube overlap.
	if mine && cur != f.wall {
		return 0
	}
	if f.only != 0 && !f.only.has(cur) && !mine {
		return 0
	}
	return f.wall
}

// ellipsoid is a rotated ellipsoid: q = M (p − c), inside where |q|² ≤ 1.
// Either it paints with fill (wall as a fraction of the normalised radius)
// or, for organs with inner structure, it calls custom for every voxel
// inside it.
type ellipsoid struct {
	c      v3
	m      [3]v3 // rows of M: local axes divided by their semi-axes
	bb     box
	f      fill
	wallQ2 float64 // voxels with |q|² above this are wall
	custom func(p v3, q2 float64, cur tissue) tissue
}

// newEllipsoid makes an ellipsoid with semi-axes a along the orthonormal
// local axes u, v, w (in LPS).
func newEllipsoid(c v3, u, v, w v3, a v3) *ellipsoid {
	e := &ellipsoid{c: c}
	e.m = [3]v3{u.scale(1 / a.x), v.scale(1 / a.y), w.scale(1 / a.z)}
	var h v3
	ax := [3]v3{u.scale(a.x), v.scale(a.y), w.scale(a.z)}
	h.x = math.Sqrt(ax[0].x*ax[0].x + ax[1].x*ax[1].x + ax[2].x*ax[2].x)
	h.y = math.Sqrt(ax[0].y*ax[0].y + ax[1].y*ax[1].y + ax[2].y*ax[2].y)
	h.z = math.Sqrt(ax[0].z*ax[0].z + ax[1].z*ax[1].z + ax[2].z*ax[2].z)
	e.bb = boxAround(c, h).pad(0.5)
	return e
}

// axisEllipsoid is an ellipsoid aligned with the patient axes.
func axisEllipsoid(c v3, a v3) *ellipsoid {
	return newEllipsoid(c, v3{1, 0, 0}, v3{0, 1, 0}, v3{0, 0, 1}, a)
}

// frame returns orthonormal local axes whose third axis is along w and whose
// first is as close as possible to hint (or to another axis, if hint is
// nearly along w).
func frame(w, hint v3) (u, v, ww v3) {
	ww = w.unit()
	u = hint.sub(ww.scale(hint.dot(ww)))
	if u.norm() < 1e-3 {
		hint = v3{hint.y, hint.z, hint.x}
		u = hint.sub(ww.scale(hint.dot(ww)))
	}
	u = u.unit()
	v = ww.cross(u)
	return u, v, ww
}

// q2 is |M (p − c)|² at one point, for shapes defined relative to this one.
func (e *ellipsoid) q2(p v3) float64 {
	d := p.sub(e.c)
	a, b, c := e.m[0].dot(d), e.m[1].dot(d), e.m[2].dot(d)
	return a*a + b*b + c*c
}

func (e *ellipsoid) bounds() box { return e.bb }

func (e *ellipsoid) paint(y, z float64, xs []float64, row []tissue) {
	dy, dz := y-e.c.y, z-e.c.z
	// Along the row only x changes: each local coordinate is linear in x.
	k0 := e.m[0].y*dy + e.m[0].z*dz
	k1 := e.m[1].y*dy + e.m[1].z*dz
	k2 := e.m[2].y*dy + e.m[2].z*dz
	m0, m1, m2 := e.m[0].x, e.m[1].x, e.m[2].x
	for i, x := range xs {
		dx := x - e.c.x
		a, b, c := m0*dx+k0, m1*dx+k1, m2*dx+k2
		q2 := a*a + b*b + c*c
		if q2 > 1 {
			continue
		}
		var t tissue
		if e.custom != nil {
			t = e.custom(v3{x, y, z}, q2, row[i])
		} else {
			// The gas level is in the patient's frame: y below the centre's
			// by the given fraction of the ellipsoid's y half-extent.
			gas := e.f.gas != 0 && dy < e.f.gasLevel*(e.bb.hi.y-e.c.y)
			t = e.f.pick(e.f.wall == 0 || q2 <= e.wallQ2, gas, row[i])
		}
		if t != 0 {
			row[i] = t
		}
	}
}

// segment is a tapered tube between a and b: the points within r(t) of the
// nearest point a + t(b−a) of the segment, r running from ra to rb. A
// polyline of segments makes a vessel, a rib or the colon; fill merges
// overlapping segments of one structure.
type segment struct {
	a, ab   v3
	inv     float64 // 1/|ab|²
	ra, dr  float64
	wall    float64
	bb      box
	f       *fill
	vessel  bool // paint only lung parenchyma, as the lung's own vessel tissue
	vesselR tissue
	vesselL tissue
}

func newSegment(a, b v3, ra, rb float64, f *fill, wall float64) *segment {
	s := &segment{a: a, ab: b.sub(a), ra: ra, dr: rb - ra, f: f, wall: wall}
	if l2 := s.ab.dot(s.ab); l2 > 0 {
		s.inv = 1 / l2
	}
	r := max(ra, rb)
	s.bb = box{
		v3{min(a.x, b.x) - r, min(a.y, b.y) - r, min(a.z, b.z) - r},
		v3{max(a.x, b.x) + r, max(a.y, b.y) + r, max(a.z, b.z) + r},
	}.pad(0.5)
	return s
}

func (s *segment) bounds() box { return s.bb }

func (s *segment) paint(y, z float64, xs []float64, row []tissue) {
	wy, wz := y-s.a.y, z-s.a.z
	kyz := wy*s.ab.y + wz*s.ab.z
	// Most rows of the box miss the tube. The tube lies inside the infinite
	// cylinder of its largest radius round its line, and along a row the
	// squared distance to that line is a quadratic in x: solve it once per
	// row and skip the voxels outside (most segments are thin and oblique).
	r := max(s.ra, s.ra+s.dr) + 0.01
	dx := s.ab.x
	qa := 1 - dx*dx*s.inv
	qb := -2 * dx * kyz * s.inv
	qc := wy*wy + wz*wz - kyz*kyz*s.inv - r*r
	lo, hi := math.Inf(-1), math.Inf(1)
	if qa > 1e-9 {
		disc := qb*qb - 4*qa*qc
		if disc < 0 {
			return
		}
		sq := math.Sqrt(disc)
		lo, hi = s.a.x+(-qb-sq)/(2*qa)-0.01, s.a.x+(-qb+sq)/(2*qa)+0.01
	}
	i0, i1 := within(xs, lo, hi)
	for i := i0; i < i1; i++ {
		x := xs[i]
		cur := row[i]
		if s.vessel && cur != tLungR && cur != tLungL {
			continue
		}
		wx := x - s.a.x
		tl := (wx*s.ab.x + kyz) * s.inv
		t := min(max(tl, 0), 1)
		ex, ey, ez := wx-t*s.ab.x, wy-t*s.ab.y, wz-t*s.ab.z
		d2 := ex*ex + ey*ey + ez*ez
		r := s.ra + t*s.dr
		if d2 > r*r {
			continue
		}
		if s.vessel {
			if cur == tLungR {
				row[i] = s.vesselR
			} else {
				row[i] = s.vesselL
			}
			continue
		}
		ri := r - s.wall
		inner := s.wall <= 0 || (ri > 0 && d2 <= ri*ri)
		// The fluid level is taken from the segment's line, not its clamped
		// end, so that overlapping segments of a bending tube agree on it
		// and the level does not step at their joins.
		gas := s.f.gas != 0 && wy-tl*s.ab.y < s.f.gasLevel*r
		if nt := s.f.pick(inner, gas, cur); nt != 0 {
			row[i] = nt
		}
	}
}

// within returns the index range [i0, i1) of the increasing xs that lie in
// [lo, hi]: exactly the x with lo ≤ x ≤ hi, found by binary search.
func within(xs []float64, lo, hi float64) (int, int) {
	i0 := sort.Search(len(xs), func(i int) bool { return xs[i] >= lo })
	i1 := sort.Search(len(xs), func(i int) bool { return xs[i] > hi })
	return i0, max(i0, i1)
}

// tube turns a polyline with radii into segments.
func tube(pts []v3, radii []float64, f *fill, wall float64) []solid {
	var out []solid
	for i := 0; i+1 < len(pts); i++ {
		out = append(out, newSegment(pts[i], pts[i+1], radii[i], radii[i+1], f, wall))
	}
	return out
}

// catmullRom samples a smooth curve through control points, about step mm
// apart, so tubes bend smoothly rather than kinking at each control point.
// Radii given per control point are interpolated along with it.
func catmullRom(ctrl []v3, radii []float64, step float64) ([]v3, []float64) {
	var out []v3
	var rs []float64
	for i := 0; i+1 < len(ctrl); i++ {
		p0, p1, p2, p3 := ctrl[max(i-1, 0)], ctrl[i], ctrl[i+1], ctrl[min(i+2, len(ctrl)-1)]
		n := max(1, int(math.Ceil(p2.sub(p1).norm()/step)))
		for j := 0; j < n; j++ {
			t := float64(j) / float64(n)
			t2, t3 := t*t, t*t*t
			c0 := -0.5*t3 + t2 - 0.5*t
			c1 := 1.5*t3 - 2.5*t2 + 1
			c2 := -1.5*t3 + 2*t2 + 0.5*t
			c3 := 0.5*t3 - 0.5*t2
			out = append(out, p0.scale(c0).add(p1.scale(c1)).add(p2.scale(c2)).add(p3.scale(c3)))
			rs = append(rs, lerp(radii[i], radii[i+1], t))
		}
	}
	return append(out, ctrl[len(ctrl)-1]), append(rs, radii[len(radii)-1])
}

// smoothTube is a tube along a Catmull-Rom curve through ctrl.
func smoothTube(ctrl []v3, radii []float64, f *fill, wall float64) []solid {
	pts, rs := catmullRom(ctrl, radii, 6)
	return tube(pts, rs, f, wall)
}

// curve is a function of z given at knots, eased between them so that
// organ outlines change smoothly from slice to slice.
type curve []struct{ z, v float64 }

func (c curve) at(z float64) float64 {
	if z <= c[0].z {
		return c[0].v
	}
	for i := 1; i < len(c); i++ {
		if z <= c[i].z {
			t := (z - c[i-1].z) / (c[i].z - c[i-1].z)
			t = t * t * (3 - 2*t)
			return lerp(c[i-1].v, c[i].v, t)
		}
	}
	return c[len(c)-1].v
}

func (c curve) maxv() float64 {
	m := c[0].v
	for _, k := range c {
		m = max(m, k.v)
	}
	return m
}

// column is an elliptic cylinder along z whose centre and semi-axes follow
// curves: muscles, the spinal canal, the sternum.
type column struct {
	cx, cy, rx, ry curve
	z0, z1         float64
	f              fill
	wall           float64
	bb             box
}

func newColumn(cx, cy, rx, ry curve, z0, z1 float64, f fill, wall float64) *column {
	c := &column{cx: cx, cy: cy, rx: rx, ry: ry, z0: z0, z1: z1, f: f, wall: wall}
	lo, hi := v3{math.Inf(1), math.Inf(1), z0}, v3{math.Inf(-1), math.Inf(-1), z1}
	// Sample the curves densely for the box; the ease is monotone between
	// knots, so knot values alone would do, but sampling is simpler to trust.
	for z := max(z0, -300); z <= min(z1, 300)+1; z++ {
		zz := min(z, z1)
		x, y, a, b := cx.at(zz), cy.at(zz), rx.at(zz), ry.at(zz)
		lo.x, hi.x = min(lo.x, x-a), max(hi.x, x+a)
		lo.y, hi.y = min(lo.y, y-b), max(hi.y, y+b)
	}
	c.bb = box{lo, hi}.pad(0.5)
	return c
}

func (c *column) bounds() box { return c.bb }

func (c *column) paint(y, z float64, xs []float64, row []tissue) {
	if z < c.z0 || z > c.z1 {
		return
	}
	cx, rx, ry := c.cx.at(z), c.rx.at(z), c.ry.at(z)
	dy := y - c.cy.at(z)
	yy := dy * dy / (ry * ry)
	if yy > 1 {
		return
	}
	rxi, ryi := rx-c.wall, ry-c.wall
	yyi := 2.0
	if c.wall > 0 && rxi > 0 && ryi > 0 {
		yyi = dy * dy / (ryi * ryi)
	}
	for i, x := range xs {
		dx := x - cx
		if dx*dx/(rx*rx)+yy > 1 {
			continue
		}
		inner := c.wall <= 0 || dx*dx/(rxi*rxi)+yyi <= 1
		if t := c.f.pick(inner, false, row[i]); t != 0 {
			row[i] = t
		}
	}
}
