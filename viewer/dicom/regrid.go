package dicom

import (
	"context"
	"fmt"
	"math"

	"delineate/viewer"
)

// A volume is a regular orthogonal grid; a stack of DICOM slices need not
// be one. With gantry tilt every slice is displaced in its plane by an
// amount that grows along the stack, and a series with missing or
// unevenly spaced slices has no single step. Putting such slices on a grid
// as if they were regular moves every pixel away from where its
// ImagePositionPatient says it is (on a 15° tilt of a head CT, by
// centimetres at the ends of the stack), and every measurement and export
// inherits that. So the series is resampled, as Slicer's acquisition
// geometry regularisation and dcm2niix's tilt correction do:
//
//   - the output grid keeps the slices' row and column directions, their
//     pixel spacing and size, and the first slice's position as origin; its
//     third axis is the slice normal;
//   - along the normal the step is the smallest step of the stack (shrunk
//     a little so the grid ends exactly at the last slice), so no slice's
//     detail is lost; a regular stack keeps its slices as they are;
//   - each output voxel is interpolated linearly in its slice's plane
//     (bilinear: a tilted slice is a shifted image) and between the two
//     slices around it along the normal; where that falls outside the
//     stored pixels it gets the volume's lowest value (air, for CT).
//
// Options.RawStack loads the slices as stored instead, on the approximate
// grid, with a warning saying so.

// regridPlan says how the stored stack maps onto the output grid.
type regridPlan struct {
	raw   viewer.Geometry // the stack as stored: slice k at index k
	dist  []float64       // each stored slice's position along the normal, from the first
	shift [][2]float64    // each stored slice's in-plane offset from the first, in pixels (i, j)
	z     []float64       // the output slices' positions along the normal, from the first
	// msgs are the warnings that describe the resampling; rawMsgs replace
	// them when the raw stack is asked for.
	msgs, rawMsgs []string
}

// planRegrid decides whether the sorted slices need resampling and sets
// s.Geometry to the output grid (s.regrid nil when they do not). raw is
// the geometry of the stack as stored (mean step, unsheared).
func (s *Series) planRegrid(raw viewer.Geometry, rowDir, colDir, normal viewer.Vec3) {
	n := len(s.slices)
	if n < 2 {
		return
	}
	ps := [2]float64{raw.Spacing[0], raw.Spacing[1]} // along i (columns), along j (rows)
	p0 := s.slices[0].pos
	plan := &regridPlan{raw: raw, dist: make([]float64, n), shift: make([][2]float64, n)}
	maxShift := 0.0
	for k, sl := range s.slices {
		d := viewer.Vec3{sl.pos[0] - p0[0], sl.pos[1] - p0[1], sl.pos[2] - p0[2]}
		plan.dist[k] = d.Dot(normal)
		plan.shift[k] = [2]float64{d.Dot(rowDir) / ps[0], d.Dot(colDir) / ps[1]}
		maxShift = math.Max(maxShift, math.Max(math.Abs(plan.shift[k][0]), math.Abs(plan.shift[k][1])))
	}
	sheared := maxShift > 0.01 // a hundredth of a pixel: rounding in the headers is far smaller

	lo, hi := math.Inf(1), math.Inf(-1)
	gaps := 0
	mean := plan.dist[n-1] / float64(n-1)
	for k := 1; k < n; k++ {
		d := plan.dist[k] - plan.dist[k-1]
		lo, hi = math.Min(lo, d), math.Max(hi, d)
		if d > 1.5*mean {
			gaps++
		}
	}
	irregular := hi-lo > math.Max(0.01, 0.01*mean)
	if !sheared && !irregular {
		return
	}
	span := plan.dist[n-1]
	m := n
	if irregular {
		// The smallest step, shrunk so that the grid ends on the last
		// slice; a stack with a few stray tiny steps would make a huge
		// grid, so the slice count is bounded.
		intervals := int(math.Ceil(span/lo - 1e-3))
		m = intervals + 1
		if m > 4*n || lo <= 0 {
			m = n
		}
	}
	plan.z = make([]float64, m)
	step := span / float64(m-1)
	for i := range plan.z {
		plan.z[i] = step * float64(i)
		if !irregular {
			plan.z[i] = plan.dist[i] // a regular stack keeps its slices
		}
	}
	g := raw
	g.Dims[2] = m
	g.Spacing[2] = step
	g.Origin = p0
	s.Geometry = g

	if sheared {
		last := s.slices[n-1].pos
		shift := viewer.Vec3{last[0] - p0[0], last[1] - p0[1], last[2] - p0[2]}
		angle := math.Acos(math.Min(1, math.Abs(unit(shift).Dot(normal)))) * 180 / math.Pi
		plan.msgs = append(plan.msgs, fmt.Sprintf("slices are stacked %.2f° off the slice normal (gantry tilt): resampled onto an orthogonal grid (bilinear, the lowest value outside the stored pixels); load the raw stack to see the slices as stored", angle))
		plan.rawMsgs = append(plan.rawMsgs, fmt.Sprintf("raw stack: slices are stacked %.2f° off the slice normal (gantry tilt) and are shown unsheared, up to %.1f pixels from where their positions say", angle, maxShift))
	}
	if irregular {
		what := fmt.Sprintf("non-uniform slice spacing (%.3f–%.3f mm)", lo, hi)
		if gaps > 0 {
			what = fmt.Sprintf("%d gaps between slices (steps %.3f–%.3f mm): missing slices?", gaps, lo, hi)
		}
		plan.msgs = append(plan.msgs, fmt.Sprintf("%s; resampled onto a regular %.3f mm grid (%d slices from %d, linear interpolation between neighbours)", what, step, m, n))
		plan.rawMsgs = append(plan.rawMsgs, fmt.Sprintf("raw stack: %s; positions are approximated with a %.3f mm grid", what, mean))
	}
	s.Warnings = append(s.Warnings, plan.msgs...)
	s.regrid = plan
}

// StoredGeometry is the geometry of the slices as stored: Geometry itself,
// or for a resampled series the approximate grid RawStack loads onto.
func (s *Series) StoredGeometry() viewer.Geometry {
	if s.regrid != nil {
		return s.regrid.raw
	}
	return s.Geometry
}

// rawStack returns the series as stored (no resampling), with the raw
// stack's warnings in place of the resampling ones.
func (s *Series) rawStack() *Series {
	c := *s
	c.Geometry = s.regrid.raw
	c.regrid = nil
	c.Warnings = nil
	drop := map[string]bool{}
	for _, m := range s.regrid.msgs {
		drop[m] = true
	}
	for _, w := range s.Warnings {
		if !drop[w] {
			c.Warnings = append(c.Warnings, w)
		}
	}
	c.Warnings = append(c.Warnings, s.regrid.rawMsgs...)
	return &c
}

// loadRegridded loads the stored stack and resamples it onto s.Geometry.
func (s *Series) loadRegridded(ctx context.Context, opt Options) (*viewer.Volume, error) {
	raw := s.rawStack()
	if err := viewer.CheckAllocation(int64(s.Geometry.Dims[0]*s.Geometry.Dims[1])*int64(s.Geometry.Dims[2]+raw.Geometry.Dims[2])*4, "the resampled series"); err != nil {
		return nil, err
	}
	ropt := opt
	ropt.Begin, ropt.Slice = nil, nil // the stored stack is not what will be shown
	src, err := raw.Load(ctx, ropt)
	if err != nil {
		return nil, err
	}
	out, err := viewer.NewVolume(s.Geometry, src.Data.Type())
	if err != nil {
		return nil, fmt.Errorf("resampled geometry: %w", err)
	}
	out.Modality, out.Description, out.Windows = src.Modality, src.Description, src.Windows
	out.FrameOfReferenceUID = src.FrameOfReferenceUID
	out.Warnings = append(append([]string(nil), s.Warnings...), src.Warnings[len(raw.Warnings):]...)
	if err := s.regrid.apply(ctx, src.Data, out.Data, s.Geometry.Dims, opt.workers()); err != nil {
		return nil, err
	}
	return out, nil
}

// apply resamples src (the stored stack) into dst (the output grid).
func (p *regridPlan) apply(ctx context.Context, src, dst viewer.VoxelData, dims [3]int, workers int) error {
	switch d := dst.Raw().(type) {
	case []uint8:
		return regridInto(ctx, p, src.Raw().([]uint8), d, dims, workers)
	case []int8:
		return regridInto(ctx, p, src.Raw().([]int8), d, dims, workers)
	case []uint16:
		return regridInto(ctx, p, src.Raw().([]uint16), d, dims, workers)
	case []int16:
		return regridInto(ctx, p, src.Raw().([]int16), d, dims, workers)
	case []uint32:
		return regridInto(ctx, p, src.Raw().([]uint32), d, dims, workers)
	case []int32:
		return regridInto(ctx, p, src.Raw().([]int32), d, dims, workers)
	case []float32:
		return regridInto(ctx, p, src.Raw().([]float32), d, dims, workers)
	}
	return fmt.Errorf("resampling: unsupported voxel type %v", dst.Type())
}

// planeShift is how a stored slice is sampled: output pixel (i, j) reads
// the slice between pixels (i+di, j+dj) and (i+di+1, j+dj+1) with weights
// fx, fy. The shift is the same for every pixel of a slice, so the
// weights are too.
type planeShift struct {
	di, dj int
	fx, fy float64
}

func newPlaneShift(sx, sy float64) planeShift {
	split := func(v float64) (int, float64) {
		f := math.Floor(v)
		frac := v - f
		switch {
		case frac < 1e-6:
			frac = 0
		case frac > 1-1e-6:
			f, frac = f+1, 0
		}
		return int(f), frac
	}
	var p planeShift
	p.di, p.fx = split(-sx)
	p.dj, p.fy = split(-sy)
	return p
}

// span is the range [lo, hi) of output indices whose samples lie within
// n stored pixels.
func span(d int, f float64, n int) (lo, hi int) {
	last := n - 1 // the last index the lower sample may take
	if f > 0 {
		last = n - 2
	}
	lo, hi = max(0, -d), min(n, last-d+1)
	return lo, max(lo, hi)
}

// sampleRow fills row with output row j sampled from plane (nx×ny) under
// shift p; NaN where the sample falls outside the stored pixels.
func sampleRow[T viewer.Number](row []float64, plane []T, nx, ny, j int, p planeShift) {
	for i := range row {
		row[i] = math.NaN()
	}
	jlo, jhi := span(p.dj, p.fy, ny)
	if j < jlo || j >= jhi {
		return
	}
	ilo, ihi := span(p.di, p.fx, nx)
	r0 := plane[(j+p.dj)*nx : (j+p.dj+1)*nx]
	r1 := r0
	if p.fy > 0 {
		r1 = plane[(j+p.dj+1)*nx : (j+p.dj+2)*nx]
	}
	w00, w10 := (1-p.fx)*(1-p.fy), p.fx*(1-p.fy)
	w01, w11 := (1-p.fx)*p.fy, p.fx*p.fy
	if p.fx == 0 {
		for i := ilo; i < ihi; i++ {
			x := i + p.di
			row[i] = w00*float64(r0[x]) + w01*float64(r1[x])
		}
		return
	}
	for i := ilo; i < ihi; i++ {
		x := i + p.di
		row[i] = w00*float64(r0[x]) + w10*float64(r0[x+1]) + w01*float64(r1[x]) + w11*float64(r1[x+1])
	}
}

func regridInto[T viewer.Number](ctx context.Context, p *regridPlan, src, dst []T, dims [3]int, workers int) error {
	nx, ny := dims[0], dims[1]
	plane := nx * ny
	round := !isFloat[T]()
	n := len(p.dist)
	pad := math.Inf(1)
	for _, v := range src {
		pad = math.Min(pad, float64(v))
	}
	shifts := make([]planeShift, n)
	for k := range shifts {
		shifts[k] = newPlaneShift(p.shift[k][0], p.shift[k][1])
	}
	return parallel(ctx, len(p.z), workers, func(m int) {
		z := p.z[m]
		// The stored slices around z and the weight of the upper one.
		k := 0
		for k+1 < n-1 && p.dist[k+1] <= z {
			k++
		}
		w := 0.0
		if k+1 < n && p.dist[k+1] > p.dist[k] {
			w = (z - p.dist[k]) / (p.dist[k+1] - p.dist[k])
		}
		w = math.Min(1, math.Max(0, w))
		if w < 1e-9 {
			w = 0
		}
		if w > 1-1e-9 {
			k, w = k+1, 0
		}
		out := dst[m*plane : (m+1)*plane]
		lower := src[k*plane : (k+1)*plane]
		a := make([]float64, nx)
		var b []float64
		if w > 0 {
			b = make([]float64, nx)
		}
		for j := 0; j < ny; j++ {
			sampleRow(a, lower, nx, ny, j, shifts[k])
			if w > 0 {
				sampleRow(b, src[(k+1)*plane:(k+2)*plane], nx, ny, j, shifts[k+1])
			}
			o := out[j*nx : (j+1)*nx]
			for i, v := range a {
				if w > 0 {
					v += (b[i] - v) * w // NaN (outside) in either stays NaN
				}
				if v != v {
					v = pad
				} else if round {
					v = math.Round(v)
				}
				o[i] = T(v)
			}
		}
	}, nil)
}
