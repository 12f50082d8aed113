package builtin

import "math"

// 2D binary morphology and hole filling on one plane, on 0/1 byte masks
// of nu×nv pixels (x fastest). The structuring element is a disc in
// millimetres, exact for anisotropic pixels: pixel offset (dx, dy) is in
// it when (dx·du)² + (dy·dv)² ≤ r². A disc is a stack of row spans, so a
// pixel is within the disc of a feature pixel exactly when, for some row
// offset dy, the nearest feature along row y+dy is at most the span's
// half-width w[|dy|] away. Turned around: a feature at row distance dr
// from column x covers the pixels of that column up to h[dr] rows above
// and below it. So a dilation is two sweeps over the plane — the row
// distances, then the vertical reach carried down and up the columns —
// whatever the radius, and an erosion is the complement of the dilation
// of the background. That is exact and costs a few operations per pixel,
// less than a distance transform.

// disc holds the half-widths w[dy] (in pixels along x) of the disc's rows
// dy = 0..ry.
type disc []int

func newDisc(rMM, du, dv float64) disc {
	ry := int(math.Floor(rMM/dv + 1e-9))
	d := make(disc, ry+1)
	for dy := 0; dy <= ry; dy++ {
		h := rMM*rMM - float64(dy*dy)*dv*dv
		d[dy] = int(math.Floor(math.Sqrt(max(h, 0))/du + 1e-9))
	}
	return d
}

const farPx = math.MaxUint16

// rowDist sets dist[i] to the distance in pixels along its row from pixel
// i to the nearest pixel whose mask value is want (0 on such pixels,
// farPx when the row has none). Pixels beyond the plane's edge are never
// features: the edge of the field of view neither erodes nor dilates.
func rowDist(m []uint8, nu, nv int, want uint8, dist []uint16) {
	for y := 0; y < nv; y++ {
		row, d := m[y*nu:(y+1)*nu], dist[y*nu:(y+1)*nu]
		last := -1
		for x := range row {
			if row[x] == want {
				last = x
			}
			if last < 0 {
				d[x] = farPx
			} else {
				d[x] = uint16(min(x-last, farPx))
			}
		}
		last = -1
		for x := nu - 1; x >= 0; x-- {
			if row[x] == want {
				last = x
			}
			if last >= 0 {
				d[x] = min(d[x], uint16(min(last-x, farPx)))
			}
		}
	}
}

// erode2D sets out to the pixels of in whose whole disc (clipped to the
// plane) lies in in.
func erode2D(in, out []uint8, nu, nv int, d disc, w *worker) {
	rowDist(in, nu, nv, 0, w.dist)
	cover(w.dist, nu, nv, d, out, w)
	for i, x := range in[:nu*nv] {
		out[i] = x &^ out[i]
	}
}

// dilate2D sets out to the pixels whose disc meets in.
func dilate2D(in, out []uint8, nu, nv int, d disc, w *worker) {
	rowDist(in, nu, nv, 1, w.dist)
	cover(w.dist, nu, nv, d, out, w)
}

// cover sets out to 1 where a feature (row distance dist) lies within the
// disc, by carrying each column's vertical reach down the plane and then
// up it.
func cover(dist []uint16, nu, nv int, d disc, out []uint8, w *worker) {
	// h[dr]: how many rows a feature at row distance dr reaches, the
	// largest dy with w[dy] ≥ dr (w falls with dy).
	w0 := d[0]
	h := grow(w.reachH, w0+1)
	w.reachH = h
	for dr := 0; dr <= w0; dr++ {
		for dy := len(d) - 1; dy >= 0; dy-- {
			if d[dy] >= dr {
				h[dr] = int32(dy)
				break
			}
		}
	}
	reach := grow(w.reach, nu)
	w.reach = reach
	for x := range reach {
		reach[x] = -1
	}
	for y := 0; y < nv; y++ {
		row, o := dist[y*nu:(y+1)*nu], out[y*nu:(y+1)*nu]
		yy := int32(y)
		for x, dr := range row {
			if int(dr) <= w0 {
				reach[x] = max(reach[x], yy+h[dr])
			}
			o[x] = b2u(reach[x] >= yy)
		}
	}
	for x := range reach {
		reach[x] = int32(nv)
	}
	for y := nv - 1; y >= 0; y-- {
		row, o := dist[y*nu:(y+1)*nu], out[y*nu:(y+1)*nu]
		yy := int32(y)
		for x, dr := range row {
			if int(dr) <= w0 {
				reach[x] = min(reach[x], yy-h[dr])
			}
			o[x] |= b2u(reach[x] <= yy)
		}
	}
}

// rect is a pixel box [x0, x1) × [y0, y1) of a plane.
type rect struct{ x0, y0, x1, y1 int }

func (r rect) empty() bool { return r.x0 >= r.x1 || r.y0 >= r.y1 }

// bounds is the bounding box of the pixels where m is 1.
func bounds(m []uint8, nu, nv int) rect {
	r := rect{x0: nu, y0: nv}
	for y := 0; y < nv; y++ {
		row := m[y*nu : (y+1)*nu]
		first := -1
		for x, v := range row {
			if v != 0 {
				first = x
				break
			}
		}
		if first < 0 {
			continue
		}
		last := first
		for x := nu - 1; x > first; x-- {
			if row[x] != 0 {
				last = x
				break
			}
		}
		r.x0, r.x1 = min(r.x0, first), max(r.x1, last+1)
		r.y0, r.y1 = min(r.y0, y), max(r.y1, y+1)
	}
	return r
}

// label2D numbers the 4-connected components of the pixels of box b where
// m[i] == val, 0.. in scan order, into lab (−1 elsewhere in the plane),
// breadth first with w's queue. It returns the number of components.
func label2D(m []uint8, val uint8, nu, nv int, b rect, lab []int32, w *worker) int {
	for i := range lab[:nu*nv] {
		lab[i] = -1
	}
	count := int32(0)
	for y := b.y0; y < b.y1; y++ {
		for s := y*nu + b.x0; s < y*nu+b.x1; s++ {
			if m[s] != val || lab[s] >= 0 {
				continue
			}
			q := append(w.queue[:0], int32(s))
			lab[s] = count
			for h := 0; h < len(q); h++ {
				p := int(q[h])
				x, y := p%nu, p/nu
				if x > b.x0 && m[p-1] == val && lab[p-1] < 0 {
					lab[p-1] = count
					q = append(q, int32(p-1))
				}
				if x+1 < b.x1 && m[p+1] == val && lab[p+1] < 0 {
					lab[p+1] = count
					q = append(q, int32(p+1))
				}
				if y > b.y0 && m[p-nu] == val && lab[p-nu] < 0 {
					lab[p-nu] = count
					q = append(q, int32(p-nu))
				}
				if y+1 < b.y1 && m[p+nu] == val && lab[p+nu] < 0 {
					lab[p+nu] = count
					q = append(q, int32(p+nu))
				}
			}
			w.queue = q
			count++
		}
	}
	return int(count)
}

// holes2D finds the holes of m (pixels 0 enclosed by pixels 1, 4-connected)
// within m's bounding box, which is all a hole can occupy: it labels the
// box's background into w.lab (−1 elsewhere) and returns the number of
// background components, with w.open[c] set for those that reach the box's
// edge (so are not holes) and w.area[c] the pixel count of each.
func holes2D(m []uint8, nu, nv int, w *worker) int {
	b := bounds(m, nu, nv)
	if b.empty() {
		for i := range w.lab[:nu*nv] {
			w.lab[i] = -1
		}
		w.open, w.area = w.open[:0], w.area[:0]
		return 0
	}
	n := label2D(m, 0, nu, nv, b, w.lab, w)
	w.open = grow(w.open, n)
	w.area = grow(w.area, n)
	lab := w.lab[:nu*nv]
	for _, c := range lab {
		if c >= 0 {
			w.area[c]++
		}
	}
	mark := func(i int) {
		if c := lab[i]; c >= 0 {
			w.open[c] = true
		}
	}
	for x := b.x0; x < b.x1; x++ {
		mark(b.y0*nu + x)
		mark((b.y1-1)*nu + x)
	}
	for y := b.y0; y < b.y1; y++ {
		mark(y*nu + b.x0)
		mark(y*nu + b.x1 - 1)
	}
	return n
}

// grow returns s resized to n zeroed elements, reusing its storage.
func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	s = s[:n]
	clear(s)
	return s
}
