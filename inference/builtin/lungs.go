package builtin

import (
	"context"
	"slices"
)

// Histogram of a candidate lung's HU: 4 HU bins from −1024 to lowHU.
const (
	histLo   = -1024
	histBin  = 4
	histBins = (lowHU - histLo) / histBin
)

// lowComp is what airAndLungs knows of one low-density component.
type lowComp struct {
	size     int64
	contacts int64 // voxels with a face neighbour in the outside air
	lo, hi   int   // extent along the axial axis (plane indices)
	cand     int   // index into the histograms, −1 when too small to be lung
}

// airAndLungs sorts the low-density components of the body into outside
// air, lungs and air inside the body (step 2 of SegmentCT).
func (s *seg[T]) airAndLungs(ctx context.Context) error {
	const stage = "air and lungs"
	low := func(i int) bool { return float32(s.src[i]) < lowHU }
	rs, err := buildRuns(ctx, s.p, stage, 0.4, 0.45, s.g.Dims, func(i int) bool { return s.out[i]&fBody != 0 && low(i) })
	if err != nil {
		return err
	}
	c, err := connect(ctx, s.p, stage, 0.45, 0.5, rs)
	if err != nil {
		return err
	}
	comps := make([]lowComp, len(c.size))
	minCand := int64(lungCutMinML / s.voxelML)
	var nCand int
	for id := range comps {
		comps[id] = lowComp{size: c.size[id], lo: s.pl.n, hi: -1, cand: -1}
		if c.size[id] >= max(minCand, 1) {
			comps[id].cand = nCand
			nCand++
		}
	}
	nx, ny, nz := s.g.Dims[0], s.g.Dims[1], s.g.Dims[2]
	for k := 0; k < nz; k++ {
		for j := 0; j < ny; j++ {
			a, b := rs.row(j, k)
			for r := a; r < b; r++ {
				lc := &comps[c.comp[r]]
				var lo, hi int
				switch s.pl.a {
				case 0:
					lo, hi = int(rs.x0[r]), int(rs.x1[r])-1
				case 1:
					lo, hi = j, j
				default:
					lo, hi = k, k
				}
				lc.lo, lc.hi = min(lc.lo, lo), max(lc.hi, hi)
			}
		}
	}

	// Per-worker tallies, summed after: contacts with the outside air for
	// every component, HU histograms for the candidates.
	nw := len(s.p.workers)
	contacts := make([][]int64, nw)
	hists := make([][]int64, nw)
	for w := range nw {
		contacts[w] = make([]int64, len(comps))
		hists[w] = make([]int64, nCand*histBins)
	}
	outsideAir := func(i int) bool { return s.out[i]&fBody == 0 && low(i) }
	err = s.p.each(ctx, stage, 0.5, 0.55, nz, func(w *worker, k int) {
		ct, h := contacts[w.id], hists[w.id]
		for j := 0; j < ny; j++ {
			a, b := rs.row(j, k)
			base := (j + ny*k) * nx
			for r := a; r < b; r++ {
				id := c.comp[r]
				cand := comps[id].cand
				x0, x1 := int(rs.x0[r]), int(rs.x1[r])
				for x := x0; x < x1; x++ {
					i := base + x
					touch := (x == x0 && x > 0 && outsideAir(i-1)) ||
						(x == x1-1 && x1 < nx && outsideAir(i+1)) ||
						(j > 0 && outsideAir(i-nx)) || (j+1 < ny && outsideAir(i+nx)) ||
						(k > 0 && outsideAir(i-nx*ny)) || (k+1 < nz && outsideAir(i+nx*ny))
					if touch {
						ct[id]++
					}
					if cand >= 0 {
						bin := int((float32(s.src[i]) - histLo) / histBin)
						h[cand*histBins+min(max(bin, 0), histBins-1)]++
					}
				}
			}
		}
	})
	if err != nil {
		return err
	}
	kind := make([]uint8, len(comps)) // the flag each component gets; 0 = outside
	for id := range comps {
		lc := &comps[id]
		for w := range nw {
			lc.contacts += contacts[w][id]
		}
		kind[id] = fAir
		if float64(lc.contacts) >= pocketFrac*float64(lc.size) {
			kind[id] = 0
			continue
		}
		if lc.cand < 0 {
			continue
		}
		hist := make([]int64, histBins)
		for w := range nw {
			for b := range hist {
				hist[b] += hists[w][lc.cand*histBins+b]
			}
		}
		ml := float64(lc.size) * s.voxelML
		cut := lc.lo <= s.pl.superior && s.pl.superior <= lc.hi
		med := medianHU(hist, lc.size)
		if (ml >= lungMinML && med > gasHU) || (cut && ml >= lungCutMinML && med > lungCutHU) {
			kind[id] = fLung
		}
	}
	return s.paint(ctx, stage, 0.55, 0.6, rs, func(r int, f uint8) uint8 {
		if k := kind[c.comp[r]]; k == 0 {
			return f &^ fBody
		} else {
			return f | k
		}
	}, 0)
}

// medianHU is the centre of the histogram bin holding the median.
func medianHU(hist []int64, n int64) float64 {
	var cum int64
	for b, h := range hist {
		cum += h
		if 2*cum >= n {
			return histLo + (float64(b)+0.5)*histBin
		}
	}
	return lowHU
}

// lungPlanes turns airway lumen into air and fills the lungs' holes, plane
// by plane (step 3 of SegmentCT).
func (s *seg[T]) lungPlanes(ctx context.Context) error {
	pl := s.pl
	n := pl.size()
	maxAirway := int32(airwayMaxMM2 / pl.pixelMM2)
	return s.p.each(ctx, "lungs", 0.6, 0.7, pl.n, func(w *worker, k int) {
		gatherFlags(pl, k, s.out, w.fl)
		any := false
		for i, f := range w.fl[:n] {
			w.m[i] = b2u(f&fLung != 0)
			any = any || w.m[i] != 0
		}
		if !any {
			return
		}
		gatherHU(pl, k, s.src, w.hu)
		np := label2D(w.m, 1, pl.nu, pl.nv, bounds(w.m, pl.nu, pl.nv), w.lab, w)
		w.area, w.hits = grow(w.area, np), grow(w.hits, np)
		for i, p := range w.lab[:n] {
			if p >= 0 {
				w.area[p]++
				if w.hu[i] < gasHU {
					w.hits[p]++
				}
			}
		}
		airway := slices.ContainsFunc(w.area, func(a int32) bool { return a <= maxAirway })
		if airway {
			for i, p := range w.lab[:n] {
				if p >= 0 && w.area[p] <= maxAirway && 2*w.hits[p] > w.area[p] {
					w.fl[i] = w.fl[i]&^fLung | fAir
					w.m[i] = 0
				}
			}
		}
		holes2D(w.m, pl.nu, pl.nv, w)
		for i, h := range w.lab[:n] {
			if h >= 0 && !w.open[h] && w.fl[i]&fBody != 0 {
				w.fl[i] = w.fl[i]&^fAir | fLung
			}
		}
		scatter(pl, k, w.fl, s.out)
	})
}
