package builtin

import "context"

// body finds the patient: the opened threshold, its large 3D components,
// and each axial plane's holes filled (step 1 of SegmentCT).
func (s *seg[T]) body(ctx context.Context) error {
	pl := s.pl
	n := pl.size()
	d := newDisc(bodyOpenMM, pl.du, pl.dv)
	err := s.p.each(ctx, "body", 0, 0.15, pl.n, func(w *worker, k int) {
		gatherHU(pl, k, s.src, w.hu)
		for i, v := range w.hu[:n] {
			w.m[i] = b2u(v > bodyHU)
		}
		erode2D(w.m, w.m2, pl.nu, pl.nv, d, w)
		dilate2D(w.m2, w.m3, pl.nu, pl.nv, d, w)
		for i := range n {
			w.fl[i] = (w.m[i] & w.m3[i]) * fCand
		}
		scatter(pl, k, w.fl, s.out)
	})
	if err != nil {
		return err
	}

	rs, err := buildRuns(ctx, s.p, "body", 0.15, 0.2, s.g.Dims, func(i int) bool { return s.out[i]&fCand != 0 })
	if err != nil {
		return err
	}
	c, err := connect(ctx, s.p, "body", 0.2, 0.25, rs)
	if err != nil {
		return err
	}
	var largest int64
	for _, sz := range c.size {
		largest = max(largest, sz)
	}
	keep := make([]bool, len(c.size))
	minVox := max(bodyKeepFrac*float64(largest), bodyMinML/s.voxelML)
	for id, sz := range c.size {
		keep[id] = float64(sz) >= minVox
	}
	err = s.paint(ctx, "body", 0.25, 0.3, rs, func(r int, f uint8) uint8 {
		if keep[c.comp[r]] {
			f |= fBody
		}
		return f
	}, fCand)
	if err != nil {
		return err
	}

	return s.p.each(ctx, "body", 0.3, 0.4, pl.n, func(w *worker, k int) {
		gatherFlags(pl, k, s.out, w.fl)
		for i, f := range w.fl[:n] {
			w.m[i] = b2u(f&fBody != 0)
		}
		holes2D(w.m, pl.nu, pl.nv, w)
		for i, h := range w.lab[:n] {
			if h >= 0 && !w.open[h] {
				w.fl[i] |= fBody
			}
		}
		scatter(pl, k, w.fl, s.out)
	})
}

// paint rewrites the flags of every voxel of rs's runs with set(run,
// flags), slice by slice in parallel, after clearing the bits clear from
// the whole slice.
func (s *seg[T]) paint(ctx context.Context, stage string, f0, f1 float64, rs *runSet, set func(r int, f uint8) uint8, clear uint8) error {
	nx, ny := s.g.Dims[0], s.g.Dims[1]
	return s.p.each(ctx, stage, f0, f1, s.g.Dims[2], func(_ *worker, k int) {
		if clear != 0 {
			sl := s.out[k*nx*ny : (k+1)*nx*ny]
			for i := range sl {
				sl[i] &^= clear
			}
		}
		for j := 0; j < ny; j++ {
			a, b := rs.row(j, k)
			base := (j + ny*k) * nx
			for r := a; r < b; r++ {
				row := s.out[base+int(rs.x0[r]) : base+int(rs.x1[r])]
				for i := range row {
					row[i] = set(r, row[i])
				}
			}
		}
	})
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
