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
	out.Warnings = append(append([]string(nil), s.Warnings...), src.Warnings[len(raw.Warnings):]...)
	if err := s.regrid.apply(ctx, src.Data, out.Data, s.Geometry.Dims, opt.workers()); err != nil {
		return nil, err
	}
	return out, nil
}

// apply resamples src (the stored stack) into dst (the output grid).
func (p *regridPlan) apply(ctx context.Context, src, dst viewer.VoxelData, dims [3]int, workers int) error {
	pad := math.Inf(1)
	for i := 0; i < src.Len(); i++ {
		pad = math.Min(pad, src.At(i))
	}
	switch d := dst.Raw().(type) {
	case []uint8:
		return regridInto(ctx, p, src.Raw().([]uint8), d, dims, pad, workers)
	case []int8:
		return regridInto(ctx, p, src.Raw().([]int8), d, dims, pad, workers)
	case []uint16:
		return regridInto(ctx, p, src.Raw().([]uint16), d, dims, pad, workers)
	case []int16:
		return regridInto(ctx, p, src.Raw().([]int16), d, dims, pad, workers)
	case []uint32:
		return regridInto(ctx, p, src.Raw().([]uint32), d, dims, pad, workers)
	case []int32:
		return regridInto(ctx, p, src.Raw().([]int32), d, dims, pad, workers)
	case []float32:
		return regridInto(ctx, p, src.Raw().([]float32), d, dims, pad, workers)
	}
	return fmt.Errorf("resampling: unsupported voxel type %v", dst.Type())
}

func regridInto[T viewer.Number](ctx context.Context, p *regridPlan, src, dst []T, dims [3]int, pad float64, workers int) error {
	nx, ny := dims[0], dims[1]
	plane := nx * ny
	round := !isFloat[T]()
	n := len(p.dist)
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
		var upper []T
		if w > 0 {
			upper = src[(k+1)*plane : (k+2)*plane]
		}
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				v, ok := bilinearAt(lower, nx, ny, float64(i)-p.shift[k][0], float64(j)-p.shift[k][1])
				if ok && w > 0 {
					u, ok2 := bilinearAt(upper, nx, ny, float64(i)-p.shift[k+1][0], float64(j)-p.shift[k+1][1])
					v, ok = v+(u-v)*w, ok2
				}
				if !ok {
					v = pad
				}
				if round {
					v = math.Round(v)
				}
				out[j*nx+i] = T(v)
			}
		}
	}, nil)
}

// bilinearAt samples a slice at pixel (x, y); false outside its pixels.
func bilinearAt[T viewer.Number](s []T, nx, ny int, x, y float64) (float64, bool) {
	const eps = 1e-6
	if x < -eps || y < -eps || x > float64(nx-1)+eps || y > float64(ny-1)+eps {
		return 0, false
	}
	x, y = math.Max(0, math.Min(x, float64(nx-1))), math.Max(0, math.Min(y, float64(ny-1)))
	i0, j0 := int(x), int(y)
	i1, j1 := min(i0+1, nx-1), min(j0+1, ny-1)
	fx, fy := x-float64(i0), y-float64(j0)
	a := float64(s[j0*nx+i0])*(1-fx) + float64(s[j0*nx+i1])*fx
	b := float64(s[j1*nx+i0])*(1-fx) + float64(s[j1*nx+i1])*fx
	return a + (b-a)*fy, true
}
