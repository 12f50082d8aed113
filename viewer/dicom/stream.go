package dicom

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"delineate/viewer"
)

// ErrNotStreamable says Stream cannot give this series slice by slice in
// its final type; Load it instead.
var ErrNotStreamable = errors.New("the series cannot be streamed slice by slice")

// Stream reads the series slice by slice and hands each to emit in slice
// order, without ever holding the volume: a conversion writes a series of
// any size with a few slices of memory, and without paying for touching a
// fresh volume-sized buffer. begin gets the geometry and the voxel type
// first. d is only valid during emit.
//
// It streams a classic series (one frame per file) whose type the headers
// settle (int16, uint8 or float32: the real range could not narrow it, see
// Load); anything else (multi-frame and mosaic files, raw mode, a slice that
// fails) is ErrNotStreamable, before emit was called or — for a failed
// slice — after: the caller then loads the series whole, where the failed
// slice is filled and reported.
func (s *Series) Stream(ctx context.Context, opt Options, begin func(g viewer.Geometry, t viewer.DataType) error, emit func(k int, d viewer.VoxelData) error) (warnings []string, err error) {
	if len(s.slices) == 0 {
		return nil, fmt.Errorf("the series has no slices")
	}
	if s.regrid != nil {
		if !opt.RawStack {
			return nil, ErrNotStreamable // resampled: Load it
		}
		s = s.rawStack()
	}
	out, _, _, integral, rawMode := s.plannedType()
	if rawMode || (out != viewer.Int16 && out != viewer.Uint8 && out != viewer.Float32) {
		return nil, ErrNotStreamable
	}
	jobs := s.planFiles()
	for _, j := range jobs {
		if len(j.frames) != 1 || len(j.frames[0].slices) != 1 || s.slices[j.frames[0].slices[0]].tile >= 0 {
			return nil, ErrNotStreamable
		}
	}
	// Files in slice order, so slices finish close to the order emit needs.
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].frames[0].slices[0] < jobs[b].frames[0].slices[0] })
	if err := begin(s.Geometry, out); err != nil {
		return nil, err
	}
	plane := s.Geometry.Dims[0] * s.Geometry.Dims[1]
	workers := min(opt.workers(), len(jobs))
	// A slice takes its buffer when it is handed out, in order, so the
	// slice emit waits for always has one: the pool can never fill up with
	// later slices.
	pool := make(chan viewer.VoxelData, 2*workers+2)
	for range cap(pool) {
		d, err := viewer.NewVoxelData(out, plane)
		if err != nil {
			return nil, err
		}
		pool <- d
	}
	type item struct {
		j   int
		buf viewer.VoxelData
	}
	type result struct {
		buf viewer.VoxelData
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan item)
	results := make([]chan result, len(jobs))
	for j := range results {
		results[j] = make(chan result, 1)
	}
	go func() {
		defer close(work)
		for j := range jobs {
			select {
			case buf := <-pool:
				select {
				case work <- item{j, buf}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	ranges := make([]sliceRange, len(s.slices))
	for range workers {
		go func() {
			for it := range work {
				fj := jobs[it.j]
				r := newFrameReader(fj.h)
				err := r.place(it.buf, func(int) int { return 0 }, plane, fj.frames[0], s.slices, ranges, false, integral, out != viewer.Int16)
				r.close()
				results[it.j] <- result{it.buf, err}
			}
		}()
	}
	for j := range jobs {
		var res result
		select {
		case res = <-results[j]:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", errCancelled, ctx.Err())
		}
		if res.err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotStreamable, res.err)
		}
		if err := emit(jobs[j].frames[0].slices[0], res.buf); err != nil {
			return nil, err
		}
		pool <- res.buf
		if opt.Progress != nil {
			opt.Progress(j+1, len(jobs))
		}
	}
	return append(append([]string(nil), s.Warnings...), s.pixelWarnings()...), nil
}
