package builtin

import "context"

// bone keeps the components above boneLowHU that reach boneSeedHU, after
// setting aside the intermediate-density voxels that cannot be bone (step
// 4 of SegmentCT, first half).
func (s *seg[T]) bone(ctx context.Context) error {
	const stage = "bone"
	if err := s.notBone(ctx); err != nil {
		return err
	}
	rs, err := buildRuns(ctx, s.p, stage, 0.72, 0.75, s.g.Dims, func(i int) bool {
		return s.out[i]&(fBody|fLung|fAir|fCand) == fBody && float32(s.src[i]) > boneLowHU
	})
	if err != nil {
		return err
	}
	c, err := connect(ctx, s.p, stage, 0.75, 0.8, rs)
	if err != nil {
		return err
	}
	nx, ny, nz := s.g.Dims[0], s.g.Dims[1], s.g.Dims[2]
	nw := len(s.p.workers)
	seeds := make([][]int64, nw)
	for w := range nw {
		seeds[w] = make([]int64, len(c.size))
	}
	err = s.p.each(ctx, stage, 0.8, 0.82, nz, func(w *worker, k int) {
		sd := seeds[w.id]
		for j := 0; j < ny; j++ {
			a, b := rs.row(j, k)
			base := (j + ny*k) * nx
			for r := a; r < b; r++ {
				id := c.comp[r]
				for _, v := range s.src[base+int(rs.x0[r]) : base+int(rs.x1[r])] {
					if float32(v) >= boneSeedHU {
						sd[id]++
					}
				}
			}
		}
	})
	if err != nil {
		return err
	}
	minVox := max(int64(boneMinML/s.voxelML), 1)
	keep := make([]bool, len(c.size))
	for id, sz := range c.size {
		var n int64
		for w := range nw {
			n += seeds[w][id]
		}
		keep[id] = sz >= minVox && n > 0
	}
	return s.paint(ctx, stage, 0.82, 0.85, rs, func(r int, f uint8) uint8 {
		if keep[c.comp[r]] {
			f |= fBone
		}
		return f
	}, fCand)
}

// notBone marks with fCand the intermediate-density voxels
// (boneLowHU..boneSeedHU) that are in a thick region (boneThickMM) or far
// from every seed voxel (boneNearMM). "Near" is a cylinder, the disc in
// each plane and as many planes either side: it is the disc dilation of
// the plane's seeds, kept as one bitset per plane (an eighth of a byte per
// voxel) so that each plane can OR its neighbours' without touching
// another worker's bytes.
func (s *seg[T]) notBone(ctx context.Context) error {
	const stage = "bone"
	pl := s.pl
	n := pl.size()
	words := (n + 63) / 64
	near := make([]uint64, words*pl.n)
	dn := newDisc(boneNearMM, pl.du, pl.dv)
	err := s.p.each(ctx, stage, 0.7, 0.71, pl.n, func(w *worker, k int) {
		gatherHU(pl, k, s.src, w.hu)
		any := false
		for i, v := range w.hu[:n] {
			w.m[i] = b2u(v >= boneSeedHU)
			any = any || v >= boneSeedHU
		}
		if !any {
			return // no seeds: nothing is near them
		}
		dilate2D(w.m, w.m2, pl.nu, pl.nv, dn, w)
		b := near[k*words : (k+1)*words]
		for i, x := range w.m2[:n] {
			b[i>>6] |= uint64(x) << (i & 63)
		}
	})
	if err != nil {
		return err
	}
	reach := int(boneNearMM / s.g.Spacing[pl.a])
	dt := newDisc(boneThickMM, pl.du, pl.dv)
	return s.p.each(ctx, stage, 0.71, 0.72, pl.n, func(w *worker, k int) {
		acc := grow(w.bits, words)
		w.bits = acc
		for q := max(0, k-reach); q <= min(pl.n-1, k+reach); q++ {
			for i, b := range near[q*words : (q+1)*words] {
				acc[i] |= b
			}
		}
		gatherFlags(pl, k, s.out, w.fl)
		gatherHU(pl, k, s.src, w.hu)
		any := false
		for i, f := range w.fl[:n] {
			v := w.hu[i]
			w.m[i] = b2u(f&(fBody|fLung|fAir) == fBody && v > boneLowHU && v < boneSeedHU)
			any = any || w.m[i] != 0
		}
		if !any {
			return
		}
		erode2D(w.m, w.m2, pl.nu, pl.nv, dt, w)
		dilate2D(w.m2, w.m3, pl.nu, pl.nv, dt, w)
		for i := range n {
			far := acc[i>>6]&(1<<(i&63)) == 0
			if w.m[i] != 0 && (w.m3[i] != 0 || far) {
				w.fl[i] |= fCand
			}
		}
		scatter(pl, k, w.fl, s.out)
	})
}

// bonePlanes closes the bone in each axial plane, fills the holes that are
// marrow and puts resolved edges at half height (step 4 of SegmentCT,
// second half).
func (s *seg[T]) bonePlanes(ctx context.Context) error {
	pl := s.pl
	n := pl.size()
	d := newDisc(max(boneCloseMM, min(pl.du, pl.dv)), pl.du, pl.dv)
	maxHole := int32(marrowMaxMM2 / pl.pixelMM2)
	return s.p.each(ctx, "bone", 0.85, 0.95, pl.n, func(w *worker, k int) {
		gatherFlags(pl, k, s.out, w.fl)
		any := false
		for i, f := range w.fl[:n] {
			w.m[i] = b2u(f&fBone != 0)
			any = any || w.m[i] != 0
		}
		if !any {
			return
		}
		gatherHU(pl, k, s.src, w.hu)
		closed := w.m
		if len(d) > 1 || d[0] > 0 {
			dilate2D(w.m, w.m2, pl.nu, pl.nv, d, w)
			erode2D(w.m2, w.m3, pl.nu, pl.nv, d, w)
			closed = w.m3
		}
		nh := holes2D(closed, pl.nu, pl.nv, w)
		// hits[h]: the hole's pixels at or above marrowMinHU; the hole is
		// marrow when they are the majority (its median is at least
		// marrowMinHU). A median, not a mean, because the pixels next to the
		// cortex are lifted by its partial volume.
		w.hits = grow(w.hits, nh)
		for i, h := range w.lab[:n] {
			if h >= 0 && w.hu[i] >= marrowMinHU {
				w.hits[h]++
			}
		}
		for i, h := range w.lab[:n] {
			in := closed[i] != 0 || (h >= 0 && !w.open[h] && w.area[h] <= maxHole && 2*w.hits[h] > w.area[h])
			if in && w.fl[i]&(fBody|fLung|fAir) == fBody {
				w.fl[i] |= fBone
			}
		}
		s.boneEdges(w)
		scatter(pl, k, w.fl, s.out)
	})
}

// boneEdges drops the boundary pixels of the plane's bone that sit below
// half-way up a step to a resolved cortex (boneEdgeHU): with the largest
// and smallest HU of the 3×3 neighbourhood as the two sides of the step,
// such a pixel is more soft tissue than bone. Only boundary pixels (a
// 4-neighbour is not bone) below boneSeedHU are looked at, once, so an
// edge moves by at most a pixel.
func (s *seg[T]) boneEdges(w *worker) {
	nu, nv := s.pl.nu, s.pl.nv
	for i := range nu * nv {
		w.m[i] = b2u(w.fl[i]&fBone != 0)
	}
	for y := 1; y+1 < nv; y++ {
		for x := 1; x+1 < nu; x++ {
			i := y*nu + x
			v := w.hu[i]
			if w.m[i] == 0 || v >= boneSeedHU || w.m[i-1]&w.m[i+1]&w.m[i-nu]&w.m[i+nu] != 0 {
				continue
			}
			lo, hi := v, v
			for _, r := range [3]int{i - nu, i, i + nu} {
				for _, u := range w.hu[r-1 : r+2] {
					lo, hi = min(lo, u), max(hi, u)
				}
			}
			if hi >= boneEdgeHU && v < (lo+hi)/2 {
				w.fl[i] &^= fBone
			}
		}
	}
}
