package phantom

import (
	"math"
	"math/rand/v2"
	"sync"
)

// The anatomy is fixed in patient millimetres (LPS, centred on the origin):
// the grid only samples it. So a coarse grid shows the same body as a fine
// one, and the ground truth does not depend on the sampling.
//
// Heights are compressed: the field covers pelvis to lower neck in about
// 32 cm where a real trunk needs 50, so every organ is a little flatter than
// life. Nobody notices at first glance, and it keeps the default volume
// small enough to generate at start-up.

// trunk outline and layer thicknesses, by height z.
var (
	bodyA  = curve{{-165, 168}, {-120, 160}, {-75, 148}, {-30, 150}, {20, 156}, {80, 160}, {130, 160}, {165, 156}}
	bodyBA = curve{{-165, 108}, {-100, 115}, {-40, 118}, {10, 112}, {70, 108}, {130, 100}, {165, 94}}
	bodyBP = curve{{-165, 100}, {165, 100}}
	fatL   = curve{{-165, 28}, {-60, 25}, {0, 18}, {80, 14}, {165, 14}}
	fatA   = curve{{-165, 30}, {-60, 28}, {0, 18}, {80, 12}, {165, 10}}
	fatP   = curve{{-165, 18}, {0, 14}, {165, 12}}
	// The wall thickens at the top (shoulder girdle and pectoral muscles),
	// which is what narrows the thoracic cavity towards the lung apices.
	muscL = curve{{-165, 16}, {-60, 14}, {0, 12}, {90, 14}, {115, 24}, {135, 42}, {150, 62}, {165, 75}}
	muscA = curve{{-165, 12}, {0, 12}, {60, 18}, {120, 24}, {140, 30}, {165, 40}}
	muscP = curve{{-165, 14}, {40, 14}, {100, 26}, {140, 34}, {165, 45}}
)

const skinMM = 2.0

// The cross-section is a "squircle", X²(1 + cY²) + Y² = 1, squarer than an
// ellipse for c < 0 (a real trunk is), and flatter at the back, where the
// patient lies on the table. Unlike a superellipse it needs no pow per voxel.
const (
	squircleAnt  = -0.35
	squirclePost = -0.6
)

// layer returns the semi-axes (lateral, anterior, posterior) of trunk layer
// n at height z: 0 skin surface, 1 under the skin, 2 under the fat, 3 the
// inner surface of the muscle wall (the body cavity).
func layer(z float64, n int) (a, bA, bP float64) {
	a, bA, bP = bodyA.at(z), bodyBA.at(z), bodyBP.at(z)
	if n >= 1 {
		a, bA, bP = a-skinMM, bA-skinMM, bP-skinMM
	}
	if n >= 2 {
		a, bA, bP = a-fatL.at(z), bA-fatA.at(z), bP-fatP.at(z)
	}
	if n >= 3 {
		a, bA, bP = a-muscL.at(z), bA-muscA.at(z), bP-muscP.at(z)
	}
	return a, bA, bP
}

// halfWidth is the squircle's half-width at y, or −1 where the row misses it.
func halfWidth(a, bA, bP, y float64) float64 {
	b, c := bA, squircleAnt
	if y >= 0 {
		b, c = bP, squirclePost
	}
	if a <= 0 || b <= 0 {
		return -1
	}
	y2 := y * y / (b * b)
	if y2 >= 1 {
		return -1
	}
	return a * math.Sqrt((1-y2)/(1+c*y2))
}

// contour is the point of the squircle (a, bA, bP) in direction θ, measured
// from posterior (+y) towards the side s (+1 patient left, −1 right), so 90°
// is lateral and 180° anterior. Ribs follow it.
func contour(a, bA, bP, theta, s float64) (x, y float64) {
	dx, dy := math.Sin(theta), math.Cos(theta)
	b, c := bA, squircleAnt
	if dy >= 0 {
		b, c = bP, squirclePost
	}
	u, v := dx*dx/(a*a), dy*dy/(b*b)
	// Solve c·u·v·r⁴ + (u+v)·r² − 1 = 0 for r², in the form that stays
	// stable as c·u·v → 0.
	r2 := 2 / ((u + v) + math.Sqrt((u+v)*(u+v)+4*c*u*v))
	r := math.Sqrt(r2)
	return s * r * dx, r * dy
}

// trunk paints skin, subcutaneous fat, the muscle wall and, inside it, the
// visceral fat that every organ is then placed into.
type trunk struct{ bb box }

func newTrunk() *trunk {
	return &trunk{bb: box{v3{-bodyA.maxv(), -bodyBA.maxv(), -1e9}, v3{bodyA.maxv(), bodyBP.maxv(), 1e9}}.pad(0.5)}
}

func (t *trunk) bounds() box { return t.bb }

func (t *trunk) paint(y, z float64, xs []float64, row []tissue) {
	var h [4]float64
	for n := range h {
		a, bA, bP := layer(z, n)
		h[n] = halfWidth(a, bA, bP, y)
	}
	for i, x := range xs {
		ax := math.Abs(x)
		switch {
		case ax < h[3]:
			row[i] = tVisceralFat
		case ax < h[2]:
			row[i] = tMuscle
		case ax < h[1]:
			row[i] = tSubcutFat
		case ax < h[0]:
			row[i] = tSkin
		}
	}
}

// dome is the height of the diaphragm at (x, y): two domes, the right one
// higher (the liver pushes it up), and a flatter central tendon under the
// heart. Each dome falls off faster posteriorly, where the costophrenic
// recesses reach lowest.
//
// Near the walls the domes would fall too far, putting lung in front of the
// abdomen; there the diaphragm's costal attachment holds it up, lowest at
// the back, where the posterior recesses reach down beside the kidneys.
func dome(x, y float64) float64 {
	r := domeCap(x+65, y-5, 20)
	l := domeCap(x-62, y-5, 8)
	c := -0.01*(x-5)*(x-5) - 0.004*(y+10)*(y+10)
	att := -25 - y/3 // −5 in front (y = −60), −45 at the back (y = 60)
	att = min(max(att, -45), -5)
	return max(r, l, c, att)
}

func domeCap(dx, dy, top float64) float64 {
	ky := 0.0035
	if dy > 0 {
		ky = 0.006
	}
	return top - 0.007*dx*dx - ky*dy*dy
}

const diaphragmHalf = 2.5 // mm, half the thickness of the diaphragm

// diaphragm paints the muscle sheet along the dome, in the cavity only.
type diaphragm struct{ bb box }

func (d *diaphragm) bounds() box { return d.bb }

func (d *diaphragm) paint(y, z float64, xs []float64, row []tissue) {
	if !d.bb.rowIn(y, z) {
		return
	}
	for i, x := range xs {
		if row[i] == tVisceralFat && d.bb.xIn(x) && math.Abs(z-dome(x, y)) < diaphragmHalf {
			row[i] = tDiaphragm
		}
	}
}

// lung fills the cavity of one side (s = −1 right, +1 left) above the
// diaphragm, below the apex, outside the mediastinum. Organs painted later
// (heart, vessels, airways) carve it.
type lung struct {
	s  float64
	t  tissue
	bb box
}

func newLung(s float64, t tissue) *lung {
	a := bodyA.maxv()
	lo, hi := 0.0, a
	if s < 0 {
		lo, hi = -a, 0
	}
	return &lung{s: s, t: t, bb: box{v3{lo, -bodyBA.maxv(), -90}, v3{hi, bodyBP.maxv(), 170}}.pad(0.5)}
}

func (l *lung) bounds() box { return l.bb }

// mediastinum is the half-width of the central gap between the lungs at y:
// the lungs almost meet in front (the anterior junction line) and are kept
// apart by the great vessels, airways and oesophagus behind.
func mediastinum(y float64) float64 {
	switch {
	case y < -40:
		return 5
	case y < -10:
		return lerp(5, 18, (y+40)/30)
	case y < 35:
		return 18
	}
	return 17
}

func (l *lung) paint(y, z float64, xs []float64, row []tissue) {
	if !l.bb.rowIn(y, z) {
		return
	}
	med := mediastinum(y)
	for i, x := range xs {
		if row[i] != tVisceralFat || l.s*x <= med || !l.bb.xIn(x) {
			continue
		}
		if z <= dome(x, y)+diaphragmHalf {
			continue
		}
		dx, dy := x-l.s*40, y-10
		if z >= 150-0.006*(dx*dx+dy*dy) {
			continue
		}
		row[i] = l.t
	}
}

// inRegion is whether the lung would be painted at p in an empty cavity;
// the vessel trees use it to spread their targets.
func (l *lung) inRegion(p v3, heart *ellipsoid) bool {
	a, bA, bP := layer(p.z, 3)
	if math.Abs(p.x) >= halfWidth(a, bA, bP, p.y) || heart.q2(p) <= 1.1 {
		return false
	}
	row := []tissue{tVisceralFat}
	l.paint(p.y, p.z, []float64{p.x}, row)
	return row[0] == l.t
}

// Spine: a vertebral body per level with discs between, the neural arch,
// spinous and transverse processes, following the spine's curve.
var (
	spineY  = curve{{-165, 30}, {-80, 34}, {0, 40}, {80, 44}, {165, 42}}
	vertRX  = curve{{-165, 25}, {-90, 23}, {-60, 18}, {100, 15}, {165, 14}}
	vertRY  = curve{{-165, 19}, {-90, 18}, {-60, 15}, {100, 13}, {165, 12}}
	canalRX = curve{{-165, 12}, {-60, 10}, {165, 10}}
	canalRY = curve{{-165, 9}, {165, 8}}
)

// canalY is the centre of the spinal canal: just behind the vertebral body.
func canalY(z float64) float64 { return spineY.at(z) + vertRY.at(z) + canalRY.at(z) + 2 }

type level struct {
	bot, top float64 // vertebral body
	lumbar   bool
}

// levels lists the vertebral bodies from the top: twelve thoracic, then
// lumbar ones to below the field. A body spans [bot, top]; the gap up to the
// next body is a disc.
func levels() []level {
	// The heights are deliberately not round numbers: with every boundary
	// on a whole millimetre, 2 mm slices would sample each thin disc at the
	// same phase and the discs' voxel count would be off by a fifth.
	var out []level
	z := 168.4
	for n := 0; n < 12; n++ {
		out = append(out, level{bot: z - 16.2, top: z})
		z -= 21.37
	}
	for z > -200 {
		out = append(out, level{bot: z - 21.9, top: z, lumbar: true})
		z -= 28.83
	}
	return out
}

type spine struct {
	lv []level
	bb box
}

func newSpine() *spine {
	s := &spine{lv: levels()}
	front := math.Inf(1)
	for z := -300.0; z <= 300; z++ {
		front = min(front, spineY.at(z)-vertRY.at(z)*1.03)
	}
	s.bb = box{v3{-48, front, -1e9}, v3{48, 90, 1e9}}.pad(0.5)
	return s
}

func (s *spine) bounds() box { return s.bb }

func (s *spine) paint(y, z float64, xs []float64, row []tissue) {
	// Find the body at or below z; above it is the disc up to the next one.
	li, inBody := -1, false
	for i, l := range s.lv {
		if z >= l.bot {
			li, inBody = i, z <= l.top
			break
		}
	}
	if li < 0 {
		return
	}
	l := s.lv[li]
	yc, rx, ry := spineY.at(z), vertRX.at(z), vertRY.at(z)
	cy, crx, cry := canalY(z), canalRX.at(z), canalRY.at(z)
	dy := y - yc
	yy := dy * dy / (ry * ry)
	// Cortex: the outer 2 mm of the body and its end plates.
	ryi, rxi := ry-2, rx-2
	yyi := dy * dy / (ryi * ryi)
	endplate := z-l.bot < 1.5 || l.top-z < 1.5
	// A thoracic spinous process slopes down over the level below, so the
	// posterior elements at z may belong to this level or the one above.
	post := [2]int{li, li - 1}
	for i, x := range xs {
		if row[i] == tCanal {
			continue
		}
		q := x*x/(rx*rx) + yy
		switch {
		case !inBody && q <= 1.05: // the disc bulges a little
			row[i] = tDisc
			continue
		case inBody && q <= 1:
			if endplate || x*x/(rxi*rxi)+yyi > 1 {
				row[i] = tVertCortex
			} else {
				row[i] = tVertCancellous
			}
			continue
		}
		for _, pl := range post {
			if pl >= 0 && s.lv[pl].posterior(x, y, z, cy, crx, cry) {
				row[i] = tVertPosterior
				break
			}
		}
	}
}

// posterior reports whether (x, y, z) is in this level's posterior
// elements: the neural arch round the canal, the transverse processes and
// the spinous process, which in the thorax is long and slopes steeply down
// and in the lumbar spine is short, broad and nearly level.
func (l level) posterior(x, y, z, cy, crx, cry float64) bool {
	const archR = 6.0
	mid, h := (l.bot+l.top)/2, (l.top-l.bot)/2
	dyc := y - cy
	ax := math.Abs(x)
	if math.Abs(z-mid) <= h-1 {
		ex, ey := crx+archR, cry+archR
		if dyc > -cry && x*x/(ex*ex)+dyc*dyc/(ey*ey) <= 1 {
			return true
		}
		tp := 30.0
		if l.lumbar {
			tp = 40
		}
		if math.Abs(dyc+2) < 4.5 && ax < tp && math.Abs(z-mid) < h-4 {
			return true
		}
	}
	back := cy + cry + archR - 2
	tip := min(cy+cry+22, 88)
	if ax >= 4 || y <= back || y >= tip {
		return false
	}
	slope, thick, end := 0.9, h-3, 2.5
	if l.lumbar {
		slope, end = 0.15, h-4
	}
	u := (y - back) / (tip - back)
	return math.Abs(z-(mid-slope*(y-back))) < lerp(thick, end, u)
}

// thoracicCentre is the height of the middle of thoracic vertebra n (1-12),
// where rib n meets the spine.
func thoracicCentre(n int) float64 {
	lv := levels()[n-1]
	return (lv.bot + lv.top) / 2
}

// ribs builds twelve pairs of ribs following the thoracic cage (just outside
// the cavity), sloping down from back to front, and the costal cartilages
// that join the upper seven to the sternum and the next three to the costal
// margin.
func ribs() (bones, cartilage []solid) {
	rib := &fill{core: tRibMarrow, wall: tRibCortex}
	cart := &fill{core: tCartilage}
	for n := 1; n <= 12; n++ {
		z0 := thoracicCentre(n)
		r := 3.6 + 0.12*float64(n)
		// Where the bone ends (degrees from posterior) and how far it falls
		// on the way: ribs slope steeply, so an axial slice cuts each into
		// short arcs, and the lower ribs end further back.
		end := [13]float64{0, 150, 150, 150, 150, 145, 140, 135, 128, 122, 115, 100, 85}[n]
		drop := [13]float64{0, 30, 45, 55, 65, 75, 82, 88, 90, 88, 85, 70, 50}[n]
		for _, s := range []float64{-1, 1} {
			yc, rx := spineY.at(z0), vertRX.at(z0)
			pts := []v3{
				{s * (rx + 1), yc + 3, z0 + 1},
				{s * (rx + 14), canalY(z0) + 2, z0},
			}
			const theta0 = 25.0
			for th := theta0; th <= end+0.1; th += 5 {
				u := (th - theta0) / (end - theta0)
				z := z0 - drop*math.Pow(u, 1.3)
				a, bA, bP := layer(z, 3)
				x, y := contour(a+r+1, bA+r+1, bP+r+1, th*math.Pi/180, s)
				pts = append(pts, v3{x, y, z})
			}
			rs := make([]float64, len(pts))
			for i := range rs {
				rs[i] = r
			}
			bones = append(bones, tube(pts, rs, rib, 1.4)...)
			if n > 10 {
				continue
			}
			// Cartilage: from the rib's end along the cage to the sternum
			// (ribs 1–7) or up to the costal margin (8–10).
			last := pts[len(pts)-1]
			zEnd, thEnd := 146-15*float64(n-1), 172.0
			if n >= 8 {
				zEnd, thEnd = last.z+30, 160
			}
			cp := []v3{last}
			for th := end + 4; th <= thEnd+0.1; th += 4 {
				u := (th - end) / (thEnd - end)
				z := lerp(last.z, zEnd, u)
				a, bA, bP := layer(z, 3)
				x, y := contour(a+r+1, bA+r+1, bP+r+1, th*math.Pi/180, s)
				cp = append(cp, v3{x, y, z})
			}
			cr := make([]float64, len(cp))
			for i := range cr {
				cr[i] = r * 0.95
			}
			cartilage = append(cartilage, tube(cp, cr, cart, 0)...)
		}
	}
	return bones, cartilage
}

// sternum is a flat bone just outside the cavity in front: manubrium, body
// and xiphoid.
func sternum() solid {
	const z0, z1 = 18.0, 152.0
	rx := curve{{18, 5}, {38, 9}, {45, 15}, {108, 16}, {118, 24}, {152, 26}}
	ry := curve{{18, 3.5}, {38, 5}, {45, 7}, {110, 7}, {120, 8.5}, {152, 8.5}}
	var cy curve
	for z := z0; z <= z1; z += 6 {
		_, bA, _ := layer(z, 3)
		cy = append(cy, struct{ z, v float64 }{z, -(bA + ry.at(z) + 0.5)})
	}
	return newColumn(curve{{0, 0}}, cy, rx, ry, z0, z1, fill{core: tSternumMarrow, wall: tSternumCortex}, 1.5)
}

// hip is one iliac wing: a curved plate sweeping from beside the spine
// forward and out, flaring towards its crest, at the bottom of the field.
type hip struct {
	s              float64
	cortex, marrow tissue
	bb             box
}

func (h *hip) bounds() box { return h.bb }

func hipRadii(z float64) (rx, ry, half float64) {
	below := max(0, -118-z)
	return 88 - 0.45*below, 48 - 0.15*below, 4 + 0.08*below
}

func newHip(s float64, cortex, marrow tissue) *hip {
	x0, x1 := 30.0, 35+88+8.0
	if s < 0 {
		x0, x1 = -x1, -x0
	}
	return &hip{s: s, cortex: cortex, marrow: marrow, bb: box{v3{x0, 22 - 48 - 10, -1e9}, v3{x1, 22 + 48 + 10, -110}}}
}

func (h *hip) paint(y, z float64, xs []float64, row []tissue) {
	rx, ry, half := hipRadii(z)
	dy := y - 22
	for i, x := range xs {
		dx := h.s*x - 35
		th := math.Atan2(dx, dy) * 180 / math.Pi
		if th < 18 || th > 128 {
			continue
		}
		crest := -118 - 14*((th-70)/58)*((th-70)/58)
		if z > crest {
			continue
		}
		rho := math.Sqrt(dx*dx/(rx*rx) + dy*dy/(ry*ry))
		d := math.Sqrt(dx*dx+dy*dy) * (1 - 1/rho)
		if math.Abs(d) > half {
			continue
		}
		if math.Abs(d) > half-1.8 || crest-z < 2 {
			row[i] = h.cortex
		} else {
			row[i] = h.marrow
		}
	}
}

// scapula is a thin curved plate over the back of the upper ribs, a little
// outside the cage, triangular: wide at the top, narrowing to the inferior
// angle.
type scapula struct {
	s  float64
	t  tissue
	bb box
}

const scapulaBottom, scapulaTop = 45.0, 158.0

func newScapula(s float64, t tissue) *scapula {
	x0, x1 := 0.0, 175.0
	if s < 0 {
		x0, x1 = -x1, -x0
	}
	return &scapula{s: s, t: t, bb: box{v3{x0, -40, scapulaBottom}, v3{x1, 100, scapulaTop}}}
}

func (sc *scapula) bounds() box { return sc.bb }

func (sc *scapula) paint(y, z float64, xs []float64, row []tissue) {
	if z < scapulaBottom || z > scapulaTop {
		return
	}
	u := math.Pow((z-scapulaBottom)/(scapulaTop-scapulaBottom), 0.6)
	thLo, thHi := lerp(40, 26, u), lerp(44, 82, u)
	a, bA, bP := layer(z, 3)
	// The plate is a thin band at the cage's radius plus 16 mm: from the
	// range of that radius over the plate's angles, bound |x| on this row,
	// so that the angle and contour are only worked out near the plate.
	rmin, rmax := math.Inf(1), 0.0
	for k := 0; k <= 8; k++ {
		cx, cy := contour(a, bA, bP, lerp(thLo, thHi, float64(k)/8)*math.Pi/180, sc.s)
		r := math.Hypot(cx, cy)
		rmin, rmax = min(rmin, r), max(rmax, r)
	}
	lo2 := (rmin+16-2.2-3)*(rmin+16-2.2-3) - y*y
	hi2 := (rmax+16+2.2+3)*(rmax+16+2.2+3) - y*y
	if hi2 < 0 {
		return
	}
	for i, x := range xs {
		if x2 := x * x; x2 < lo2 || x2 > hi2 {
			continue
		}
		th := math.Atan2(sc.s*x, y) * 180 / math.Pi
		if th < thLo || th > thHi {
			continue
		}
		cx, cy := contour(a, bA, bP, th*math.Pi/180, sc.s)
		d := math.Hypot(x, y) - math.Hypot(cx, cy) - 16
		if math.Abs(d) < 2.2 {
			row[i] = sc.t
		}
	}
}

// table is the scanner couch under the patient's back: two carbon-fibre
// skins around a foam core, curving up a little at the sides.
type table struct{ bb box }

const tableTop = 104.0

func newTable() *table {
	return &table{bb: box{v3{-400, tableTop - 0.0004*400*400, -1e9}, v3{400, tableTop + 15, 1e9}}.pad(0.5)}
}

func (t *table) bounds() box { return t.bb }

func (t *table) paint(y, z float64, xs []float64, row []tissue) {
	for i, x := range xs {
		d := y - (tableTop - 0.0004*x*x)
		if row[i] != tAir || d < 0 || d > 15 || math.Abs(x) > 400 {
			continue
		}
		if d < 3.5 || d > 11.5 {
			row[i] = tTable
		} else {
			row[i] = tTableFoam
		}
	}
}

// heart is an ellipsoid along the heart's long axis (from base, back right
// and up, to apex, front left and down) with four chambers inside, sitting
// on the diaphragm.
func heart() *ellipsoid {
	long := v3{0.6, -0.5, -0.45}.unit()
	u, v, w := frame(long, v3{0, 0, 1})
	c := v3{22, -36, 40}
	h := newEllipsoid(c, u, v, w, v3{48, 54, 68})
	at := func(off v3, a v3) *ellipsoid { return newEllipsoid(c.add(off), u, v, w, a) }
	lv := at(long.scale(12).add(v3{10, 10, -4}), v3{19, 20, 40})
	rv := at(long.scale(6).add(v3{-12, -22, 0}), v3{13, 30, 40})
	la := at(v3{-4, 26, 26}, v3{18, 22, 15})
	ra := at(v3{-40, 8, 8}, v3{20, 20, 24})
	h.custom = func(p v3, _ float64, cur tissue) tissue {
		if cur != tVisceralFat && cur != tLungR && cur != tLungL {
			return 0
		}
		if p.z <= dome(p.x, p.y)+diaphragmHalf {
			return 0
		}
		switch {
		case lv.q2(p) <= 1, la.q2(p) <= 1:
			return tLeftHeart
		case rv.q2(p) <= 1, ra.q2(p) <= 1:
			return tRightHeart
		}
		return tMyocardium
	}
	return h
}

// kidney is an ellipsoid with its long axis tilted (upper pole medial and
// back), a bright cortex around darker medulla, and a notch of sinus fat
// facing forward and in: the bean shape.
func kidney(s float64, c v3, cortex, medulla tissue) *ellipsoid {
	w := v3{-s * 0.25, 0.2, 1}
	u, v, ww := frame(w, v3{s, 0.3, 0})
	k := newEllipsoid(c, u, v, ww, v3{25, 21, 50})
	notch := axisEllipsoid(c.add(v3{-s * 23, -9, 0}), v3{13, 11, 24})
	k.custom = func(p v3, q2 float64, cur tissue) tissue {
		if cur != tVisceralFat || notch.q2(p) <= 1 {
			return 0
		}
		if q2 <= 0.42 {
			return medulla
		}
		return cortex
	}
	return k
}

// vesselTree grows a pulmonary vessel tree from a hilum. Vessels must reach
// every part of the lung, thinning towards the pleura, as they do on a real
// lung window. So each generation aims its branches at points of the lung
// near the parent's end and further from the hilum: lobar arteries from the
// hilum, then segmental, subsegmental and so on. The larger generations
// pick each target as the best of several candidates, the one furthest from
// the targets already taken, which spreads them evenly instead of in
// clumps. The seed is fixed, so every phantom has the same lungs.
func vesselTree(rng *rand.Rand, hilum v3, l *lung, heart *ellipsoid) []solid {
	gens := []struct {
		n, reach, r float64
		spread      bool
	}{{10, 50, 4.5, true}, {4, 38, 3.2, true}, {4, 28, 2.3, true}, {4, 20, 1.6, false}, {3, 13, 1.1, false}}
	taken := make([][]v3, len(gens))
	var out []solid
	var grow func(from v3, g int)
	grow = func(from v3, g int) {
		if g == len(gens) {
			return
		}
		gen := gens[g]
		base := from.sub(hilum).norm()
		for c := 0; c < int(gen.n); c++ {
			var best v3
			bestD, found := -1.0, 0
			for try := 0; try < 200 && found < 6; try++ {
				d := v3{rng.Float64()*2 - 1, rng.Float64()*2 - 1, rng.Float64()*2 - 1}
				if d.norm() > 1 || d.norm() < 0.3 {
					continue
				}
				p := from.add(d.scale(gen.reach))
				if p.sub(hilum).norm() < base+0.1*gen.reach || !l.inRegion(p, heart) {
					continue
				}
				found++
				near := math.Inf(1)
				if gen.spread {
					for _, q := range taken[g] {
						near = min(near, p.sub(q).norm())
					}
				}
				if near > bestD {
					best, bestD = p, near
				}
				if !gen.spread {
					break
				}
			}
			if found == 0 {
				continue
			}
			taken[g] = append(taken[g], best)
			seg := newSegment(from, best, gen.r, gen.r*0.8, nil, 0)
			seg.vessel, seg.vesselR, seg.vesselL = true, tVesselR, tVesselL
			out = append(out, seg)
			grow(best, g+1)
		}
	}
	grow(hilum, 0)
	return out
}

// bowelLoops scatters loops of small bowel through the lower abdomen: fluid
// filled, a few with gas, filling only the fat that the organs have left.
func bowelLoops(rng *rand.Rand) []solid {
	f := &fill{core: tBowelFluid, wall: tBowelWall, only: setOf(tVisceralFat)}
	fg := &fill{core: tBowelFluid, wall: tBowelWall, gas: tBowelGas, gasLevel: -0.45, only: setOf(tVisceralFat)}
	var out []solid
	for i := 0; i < 48; i++ {
		c := v3{-75 + 150*rng.Float64(), -85 + 95*rng.Float64(), -168 + 85*rng.Float64()}
		w := v3{rng.Float64()*2 - 1, rng.Float64()*2 - 1, rng.Float64()*2 - 1}
		if w.norm() < 0.1 {
			w = v3{0, 0, 1}
		}
		u, v, ww := frame(w, v3{1, 0, 0})
		a := v3{10 + 5*rng.Float64(), 10 + 5*rng.Float64(), 18 + 14*rng.Float64()}
		e := newEllipsoid(c, u, v, ww, a)
		e.f = *f
		if rng.Float64() < 0.25 {
			e.f = *fg
		}
		wall := 2.5 / min(a.x, a.y)
		e.wallQ2 = (1 - wall) * (1 - wall)
		out = append(out, e)
	}
	return out
}

// model is the phantom's anatomy: solids in painting order. It is built
// once: the anatomy never changes, only its sampling.
var model = sync.OnceValue(buildModel)

func buildModel() []solid {
	var m []solid
	add := func(s ...solid) { m = append(m, s...) }
	add(newTable())
	add(newTrunk())
	// Muscles around the spine: erector spinae behind, psoas beside the
	// lumbar bodies.
	overWall := fill{core: tMuscle, only: setOf(tSubcutFat, tMuscle, tVisceralFat)}
	for _, s := range []float64{-1, 1} {
		add(newColumn(curve{{0, s * 26}}, curve{{-165, 77}, {0, 78}, {165, 77}},
			curve{{-165, 24}, {0, 20}, {165, 18}}, curve{{-165, 11}, {165, 10}}, -1e9, 1e9, overWall, 0))
		add(newColumn(curve{{-165, s * 50}, {-120, s * 42}, {-55, s * 26}}, curve{{-165, 28}, {-55, 30}},
			curve{{-165, 22}, {-120, 18}, {-55, 6}}, curve{{-165, 18}, {-120, 15}, {-55, 6}}, -1e9, -55,
			fill{core: tMuscle, only: setOf(tVisceralFat)}, 0))
	}
	add(&diaphragm{bb: box{v3{-170, -125, -100}, v3{170, 105, 30}}})
	lungR, lungL := newLung(-1, tLungR), newLung(1, tLungL)
	add(lungR, lungL)

	// Mediastinum: heart, great vessels, airways, oesophagus. These carve
	// the lungs, so they paint over whatever is there.
	hrt := heart()
	add(hrt)
	aorta := &fill{core: tAorta}
	add(smoothTube([]v3{
		{3, -22, 50}, {-4, -30, 75}, {-8, -30, 100}, {-2, -24, 117}, {16, -12, 124}, {27, 10, 118},
		{27, 24, 98}, {23, 24, 50}, {16, 18, 10}, {8, 10, -30}, {5, 5, -70}, {4, 5, -110}, {3, 5, -175},
	}, []float64{13, 15, 15, 13, 12, 12, 12, 11.5, 11, 10.5, 10, 9.5, 9}, aorta, 0)...)
	// Pulmonary trunk from the right ventricle, splitting under the arch
	// into the arteries that feed each lung's vessel tree at its hilum.
	pa := &fill{core: tPulmonaryArtery}
	add(smoothTube([]v3{{8, -66, 58}, {10, -50, 80}, {14, -28, 96}}, []float64{13, 14, 13}, pa, 0)...)
	add(smoothTube([]v3{{14, -28, 96}, {28, -12, 102}, {42, 2, 96}, {50, 10, 88}}, []float64{11, 10, 9, 8}, pa, 0)...)
	add(smoothTube([]v3{{14, -28, 96}, {-10, -12, 95}, {-38, -6, 86}}, []float64{11, 10, 8}, pa, 0)...)
	add(smoothTube([]v3{{-22, 6, -175}, {-23, 5, -100}, {-26, -2, -40}, {-24, -8, 0}, {-20, -16, 25}},
		[]float64{11, 12, 13, 13, 13}, &fill{core: tIVC}, 0)...)
	add(smoothTube([]v3{{4, 16, 175}, {5, 17, 120}, {7, 14, 70}, {14, 10, 25}, {24, 2, -5}, {40, -12, -25}},
		[]float64{7.5, 7.5, 7.5, 7.5, 7.5, 8}, &fill{core: tEsophagus}, 0)...)
	airway := &fill{core: tAirway, wall: tAirwayWall}
	add(smoothTube([]v3{{0, -2, 175}, {0, 0, 125}, {1, 3, 100}}, []float64{9, 9, 8.5}, airway, 2)...)
	add(smoothTube([]v3{{1, 3, 100}, {-25, 8, 90}, {-45, 12, 80}}, []float64{7, 6.5, 5}, airway, 1.5)...)
	add(smoothTube([]v3{{1, 3, 100}, {22, 8, 92}, {48, 14, 78}}, []float64{7, 6.5, 5}, airway, 1.5)...)

	// Abdominal organs fill only fat, so the ones painted first win where
	// they meet. The spleen goes first and clear of everything, so that its
	// voxel count is exactly an ellipsoid's: the tests check it.
	fatOnly := setOf(tVisceralFat)
	u, v, w := frame(v3{0.25, 0.45, 1}, v3{0.7, 0.7, 0})
	sp := newEllipsoid(v3{70, 22, -50}, u, v, w, v3{17, 36, 45})
	sp.f = fill{core: tSpleen, only: fatOnly}
	add(sp)
	add(kidney(-1, v3{-68, 42, -102}, tKidneyRCortex, tKidneyRMedulla))
	add(kidney(1, v3{68, 42, -92}, tKidneyLCortex, tKidneyLMedulla))
	u, v, w = frame(v3{0.2, -0.45, -0.87}, v3{1, 0, 0})
	gb := newEllipsoid(v3{-44, -46, -56}, u, v, w, v3{14, 14, 30})
	gb.f = fill{core: tGallbladder, only: fatOnly}
	add(gb)
	liverR := axisEllipsoid(v3{-58, 0, -25}, v3{80, 90, 72})
	// The inferior surface rises towards the midline: the right lobe is
	// tall at the flank and thin where it meets the left lobe. A large
	// ellipsoid cuts it so, rather than a plane, which would leave straight
	// edges on every slice. Behind, the liver stops short of the spine,
	// curving round the vena cava.
	cut := axisEllipsoid(v3{-156, 0, 114}, v3{212, 260, 212})
	spineSide := axisEllipsoid(v3{15, 40, 0}, v3{40, 55, 1e4})
	liverR.custom = func(p v3, _ float64, cur tissue) tissue {
		if cur != tVisceralFat || cut.q2(p) > 1 || spineSide.q2(p) < 1 {
			return 0
		}
		return tLiver
	}
	u, v, w = frame(v3{1, 0.35, -0.2}, v3{0, 0, 1})
	liverL := newEllipsoid(v3{5, -52, -12}, u, v, w, v3{30, 32, 62})
	liverL.f = fill{core: tLiver, only: fatOnly}
	add(liverR, liverL)
	u, v, w = frame(v3{0.3, 0.2, 1}, v3{0.85, 0.5, 0})
	st := newEllipsoid(v3{58, -22, -30}, u, v, w, v3{44, 34, 44})
	st.f = fill{core: tStomachFluid, wall: tStomachWall, gas: tStomachGas, gasLevel: -0.3, only: fatOnly}
	st.wallQ2 = (1 - 4.0/34) * (1 - 4.0/34)
	add(st)
	add(smoothTube([]v3{{-30, 0, -90}, {-8, -14, -76}, {25, -8, -66}, {55, 14, -58}, {70, 28, -55}},
		[]float64{15, 11, 10, 9, 7}, &fill{core: tPancreas, only: fatOnly}, 0)...)
	colon := &fill{core: tColonStool, wall: tColonWall, gas: tColonGas, gasLevel: -0.1, only: fatOnly}
	add(smoothTube([]v3{
		{-88, 0, -175}, {-95, 8, -130}, {-96, 10, -90}, {-85, -15, -66}, {-45, -68, -78}, {0, -78, -90},
		{45, -66, -78}, {88, -12, -58}, {100, 18, -80}, {96, 18, -125}, {90, 12, -175},
	}, []float64{26, 22, 21, 20, 19, 19, 19, 19, 18, 18, 18}, colon, 2.5)...)
	add(bowelLoops(rand.New(rand.NewPCG(11, 12)))...)

	rng := rand.New(rand.NewPCG(2025, 1))
	add(vesselTree(rng, v3{-38, -6, 86}, lungR, hrt)...)
	add(vesselTree(rng, v3{50, 10, 88}, lungL, hrt)...)

	// Bone last: nothing overlaps it.
	add(newColumn(curve{{0, 0}}, canalYCurve(), canalRX, canalRY, -1e9, 1e9, fill{core: tCanal}, 0))
	add(newSpine())
	bones, cart := ribs()
	add(cart...)
	add(bones...)
	add(sternum())
	for _, c := range []struct {
		s              float64
		cortex, marrow tissue
		plate          tissue
	}{{-1, tClavicleRCortex, tClavicleRMarrow, tScapulaR}, {1, tClavicleLCortex, tClavicleLMarrow, tScapulaL}} {
		add(smoothTube([]v3{{c.s * 20, -72, 146}, {c.s * 50, -74, 150}, {c.s * 90, -60, 154}, {c.s * 125, -32, 158}},
			[]float64{7, 6, 5.5, 6}, &fill{core: c.marrow, wall: c.cortex}, 1.5)...)
		add(newScapula(c.s, c.plate))
	}
	add(newHip(-1, tHipRCortex, tHipRMarrow), newHip(1, tHipLCortex, tHipLMarrow))
	return m
}

// canalYCurve samples canalY as a curve for the canal's column.
func canalYCurve() curve {
	var c curve
	for z := -200.0; z <= 200; z += 5 {
		c = append(c, struct{ z, v float64 }{z, canalY(z)})
	}
	return c
}
