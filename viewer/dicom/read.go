package dicom

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"delineate/viewer"
)

// How a series becomes a volume, without copies that outlive a frame:
//
//  1. The output type comes from the headers before any pixel is read:
//     the rescaled range every slice's BitsStored allows (chooseType).
//     When it is as wide as the stored samples (12- or 16-bit CT and MR
//     into int16/uint16, the common case), one buffer of that type is the
//     volume, and each frame's samples are read straight from the file
//     into their slice of it (pread at the offset the scan found), then
//     rescaled in place. Fractional rescales (float32) and compressed
//     frames go through one frame-sized scratch buffer per worker.
//  2. Files are read in parallel; each slice is final as soon as its frame
//     is, so a viewer can show slices while the rest arrive (Options.Slice).
//  3. When the headers allow a wider range than the stored samples (16-bit
//     signed with an intercept), the volume holds the stored samples until
//     every slice's real range is known, and is rescaled in place then.
//  4. Finally the type is the narrowest for the real range, as before:
//     where that differs from the header's type but is of the same size
//     and every value means the same in both, the buffer is only relabelled.

// frameJob is one frame of one file and the slices it feeds (one, or the
// tiles of a mosaic).
type frameJob struct {
	frame  int
	slices []int
}

type fileJob struct {
	h      *header
	frames []frameJob
}

// planFiles groups the series' slices by file and frame, files in a
// stable order.
func (s *Series) planFiles() []fileJob {
	var jobs []fileJob
	byPath := map[string]int{}
	for k, sl := range s.slices {
		fi, ok := byPath[sl.h.path]
		if !ok {
			fi = len(jobs)
			byPath[sl.h.path] = fi
			jobs = append(jobs, fileJob{h: sl.h})
		}
		fj := &jobs[fi]
		found := false
		for x := range fj.frames {
			if fj.frames[x].frame == sl.frame {
				fj.frames[x].slices = append(fj.frames[x].slices, k)
				found = true
				break
			}
		}
		if !found {
			fj.frames = append(fj.frames, frameJob{frame: sl.frame, slices: []int{k}})
		}
	}
	return jobs
}

// headerRange is the rescaled range every slice's stored samples allow,
// and whether every rescale is integral.
func (s *Series) headerRange() (lo, hi float64, integral bool) {
	lo, hi, integral = math.Inf(1), math.Inf(-1), true
	for _, sl := range s.slices {
		switch {
		case sl.h.lut != nil: // the table's range is exact
			lo, hi = math.Min(lo, sl.h.lut.lo), math.Max(hi, sl.h.lut.hi)
			continue
		case sl.h.floatBytes > 0:
			lo, hi, integral = math.Min(lo, -math.MaxFloat32), math.Max(hi, math.MaxFloat32), false
			continue
		}
		d := newStoredDecoder(singleSample(sl.h))
		var a, b float64
		if d.signed {
			a, b = -float64(d.signBit), float64(d.signBit)-1
		} else {
			a, b = 0, float64(d.mask)
		}
		a, b = a*sl.slope+sl.intercept, b*sl.slope+sl.intercept
		lo, hi = math.Min(lo, math.Min(a, b)), math.Max(hi, math.Max(a, b))
		if sl.slope != math.Trunc(sl.slope) || sl.intercept != math.Trunc(sl.intercept) {
			integral = false
		}
	}
	return lo, hi, integral
}

// plannedType is the volume's type as the headers give it, their range,
// whether every rescale is integral, and whether the volume must hold the
// stored values until the real range is known (raw mode: the headers'
// range needs a wider type than the samples).
func (s *Series) plannedType() (out viewer.DataType, lo, hi float64, integral, rawMode bool) {
	h0 := singleSample(s.slices[0].h)
	stored := h0.bitsAllocated / 8
	for _, sl := range s.slices {
		if sl.h.bitsAllocated != h0.bitsAllocated {
			stored = 4 // mixed sample sizes: hold them as 32-bit words
		}
	}
	lo, hi, integral = s.headerRange()
	out = chooseType(lo, hi, integral, h0)
	for _, sl := range s.slices {
		if sl.h.lut != nil {
			// A table's range is exact, not a bound: no stored values
			// need holding until the real range is known.
			return out, lo, hi, integral, false
		}
	}
	return out, lo, hi, integral, integral && out.Size() != stored
}

// sliceRange is one slice's real rescaled range; ok false until it is
// decoded.
type sliceRange struct {
	lo, hi float64
	ok     bool
}

// Load decodes the series into a volume. A file whose pixels cannot be
// decoded leaves its slices at the volume's minimum, with a warning; the
// rest still loads.
func (s *Series) Load(ctx context.Context, opt Options) (*viewer.Volume, error) {
	if len(s.slices) == 0 {
		return nil, fmt.Errorf("the series has no slices")
	}
	if s.regrid != nil {
		if opt.RawStack {
			return s.rawStack().Load(ctx, opt)
		}
		return s.loadRegridded(ctx, opt)
	}
	jobs := s.planFiles()
	h0 := singleSample(s.slices[0].h)
	out, hlo, hhi, integral, rawMode := s.plannedType()
	bufType := out
	if rawMode {
		bufType = storedType(s.slices)
	}
	plane := s.Geometry.Dims[0] * s.Geometry.Dims[1]
	if err := viewer.CheckAllocation(int64(plane)*int64(len(s.slices))*int64(bufType.Size()), "the series"); err != nil {
		return nil, err
	}
	vol, err := viewer.NewVolume(s.Geometry, bufType)
	if err != nil {
		return nil, fmt.Errorf("series geometry: %w", err)
	}
	vol.Modality, vol.Description = s.Modality, s.Description
	vol.FrameOfReferenceUID = s.slices[0].h.frameOfRef
	vol.Windows = append([]viewer.WindowPreset(nil), s.Windows...)
	vol.Warnings = append(vol.Warnings, s.Warnings...)
	if opt.Begin != nil && !rawMode {
		opt.Begin(vol)
		// A viewer opens at the middle slice: read from there outwards, so
		// what is in view arrives first.
		mid := len(s.slices) / 2
		sort.SliceStable(jobs, func(a, b int) bool {
			return abs(jobs[a].frames[0].slices[0]-mid) < abs(jobs[b].frames[0].slices[0]-mid)
		})
	}
	// The real range decides the final type (narrow) and fills slices
	// that fail. An int16 volume stays int16 whatever its real range, so
	// its hot loop need not track one; the minimum for a failed slice is
	// then found afterwards.
	track := rawMode || out != viewer.Int16

	ranges := make([]sliceRange, len(s.slices))
	failed := make([]error, len(s.slices))
	// Progress counts files read and slices placed, as it always has.
	total := len(jobs) + len(s.slices)
	var done atomic.Int64
	var mu sync.Mutex
	report := func(n int) {
		if opt.Progress != nil {
			mu.Lock()
			opt.Progress(int(done.Add(int64(n))), total)
			mu.Unlock()
		}
	}
	err = parallel(ctx, len(jobs), opt.workers(), func(i int) {
		r := newFrameReader(jobs[i].h)
		defer r.close()
		for _, fj := range jobs[i].frames {
			if ctx.Err() != nil {
				return
			}
			errs := r.place(vol.Data, func(k int) int { return k * plane }, plane, fj, s.slices, ranges, rawMode, integral, track)
			for _, k := range fj.slices {
				if errs != nil {
					failed[k] = errs
				} else if opt.Slice != nil && !rawMode {
					opt.Slice(k)
				}
			}
			for range fj.slices {
				report(1)
			}
		}
		report(1)
	}, nil)
	if err != nil {
		return nil, err
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	good := 0
	for k, r := range ranges {
		if failed[k] != nil {
			continue
		}
		good++
		if r.ok && rawMode { // a range of stored values: rescale it
			sl := s.slices[k]
			a, b := r.lo*sl.slope+sl.intercept, r.hi*sl.slope+sl.intercept
			r.lo, r.hi = math.Min(a, b), math.Max(a, b)
		}
		if r.ok {
			lo, hi = math.Min(lo, r.lo), math.Max(hi, r.hi)
		}
	}
	if good == 0 {
		return nil, noSliceDecoded(failed)
	}
	if !track {
		lo, hi = hlo, hhi
		if good < len(s.slices) {
			lo, hi = decodedRange(vol, failed, plane)
		}
	}
	want := chooseType(lo, hi, integral, h0)
	switch {
	case rawMode:
		vol.Data, err = rescaleRaw(ctx, vol.Data, s.slices, want, plane, opt.workers())
		if err != nil {
			return nil, err
		}
	case want != out && opt.Begin == nil:
		// A viewer may be drawing the buffer already (Begin): it keeps the
		// header's type, which holds every value just the same.
		vol.Data = narrow(vol.Data, want, lo, hi)
	}
	s.reportLoadFailures(vol, failed, lo)
	vol.Warnings = append(vol.Warnings, s.pixelWarnings()...)
	return vol, nil
}

// pixelWarnings are what a reader should know about the pixels' meaning.
func (s *Series) pixelWarnings() []string {
	var w []string
	if s.slices[0].h.photometric == "MONOCHROME1" {
		w = append(w, "MONOCHROME1 image: low values display bright on the scanner")
	}
	if s.slices[0].h.spp == 3 {
		w = append(w, "colour image reduced to grey (luma)")
	}
	// What each file's header made us do to its pixels, once per series.
	seen := map[string]bool{}
	for _, sl := range s.slices {
		for _, n := range sl.h.notes {
			if !seen[n] {
				seen[n] = true
				w = append(w, n)
			}
		}
	}
	return w
}

// decodedRange is the range of the slices that did not fail.
func decodedRange(vol *viewer.Volume, failed []error, plane int) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for k, err := range failed {
		if err != nil {
			continue
		}
		for i := k * plane; i < (k+1)*plane; i++ {
			v := vol.Data.At(i)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}

func noSliceDecoded(failed []error) error {
	seen := map[string]bool{}
	var msgs []string
	for _, e := range failed {
		if e != nil && !seen[e.Error()] {
			seen[e.Error()] = true
			msgs = append(msgs, e.Error())
		}
	}
	sort.Strings(msgs)
	if len(msgs) > 3 {
		msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
	}
	return fmt.Errorf("no slice of the series could be decoded: %s", strings.Join(msgs, "; "))
}

// reportLoadFailures fills slices that could not be decoded with the
// minimum value and says which files they came from.
func (s *Series) reportLoadFailures(vol *viewer.Volume, failed []error, lo float64) {
	plane := s.Geometry.Dims[0] * s.Geometry.Dims[1]
	seen := map[string]bool{}
	for k, err := range failed {
		if err == nil {
			continue
		}
		fillConst(vol, k*plane, (k+1)*plane, lo)
		if msg := err.Error(); !seen[msg] {
			seen[msg] = true
			vol.Warnf("skipped %s (slice %d of %d left empty)", msg, k+1, len(s.slices))
		}
	}
}

// frameReader reads the frames of one file.
type frameReader struct {
	h       *header // the scanned header
	f       *os.File
	openErr error
	px      *header // with the pixel data in memory (compressed, deflated, odd layouts)
	scratch []byte
	rows    []int64
}

func newFrameReader(h *header) *frameReader { return &frameReader{h: h} }

func (r *frameReader) close() {
	if r.f != nil {
		r.f.Close()
	}
}

// direct says whether frames of this file can be read from disk straight
// into a volume of element size size: native little-endian samples, one
// per pixel, at a known offset.
func (r *frameReader) direct(size int) bool {
	h := r.h
	return h.pixelAt >= 0 && h.pixelLen >= 0 && h.spp == 1 && h.mosaicN <= 1 &&
		h.ts != tsExplicitBE && h.ts != tsDeflated && !isEncapsulatedSyntax(h.ts) && h.bitsAllocated/8 == size &&
		(h.floatBytes == 0 || h.floatBytes == 4 && size == 4)
}

// readAt reads frame f's samples into dst from the file.
func (r *frameReader) readAt(f int, dst []byte) error {
	h := r.h
	n := int64(h.frameLen())
	if int64(f+1)*n > h.pixelLen {
		return fmt.Errorf("%s: pixel data has %d bytes, frame %d needs %d", h.path, h.pixelLen, f+1, int64(f+1)*n)
	}
	if r.f == nil && r.openErr == nil {
		r.f, r.openErr = os.Open(h.path)
	}
	if r.openErr != nil {
		return r.openErr
	}
	if _, err := r.f.ReadAt(dst[:n], h.pixelAt+int64(f)*n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%s: reading frame %d: %w", h.path, f+1, err)
	}
	return nil
}

// decoded returns frame f as native little-endian samples, one per pixel,
// in memory that lives until the next call.
func (r *frameReader) decoded(f int) ([]byte, error) {
	h := r.h
	if h.pixelAt >= 0 && h.pixelLen >= 0 && h.ts != tsDeflated && (!isEncapsulatedSyntax(h.ts) || h.floatBytes > 0) {
		// Native: read just this frame, then fix its layout in memory.
		n := h.frameLen()
		if cap(r.scratch) < n {
			r.scratch = make([]byte, n)
		}
		if err := r.readAt(f, r.scratch[:n]); err != nil {
			return nil, err
		}
		c := *h
		c.native = r.scratch[:n]
		return decodeFrameSafe(&c, 0)
	}
	if r.px == nil {
		px, err := withPixels(h)
		if err != nil {
			return nil, err
		}
		r.px = px
	}
	return decodeFrameSafe(r.px, f)
}

// place puts frame fj of the file into its slices — slice k at voxel
// at(k) of dst — and records their ranges.
func (r *frameReader) place(dst viewer.VoxelData, at func(k int) int, plane int, fj frameJob, slices []slice, ranges []sliceRange, rawMode, integral, track bool) error {
	size := dst.Type().Size()
	whole := len(fj.slices) == 1 && slices[fj.slices[0]].tile < 0
	if whole && r.direct(size) {
		k := fj.slices[0]
		if err := r.readAt(fj.frame, sliceBytes(dst, at(k), plane)); err != nil {
			return err
		}
		ranges[k] = convertInPlace(dst, at(k), plane, slices[k], rawMode, integral, track)
		return nil
	}
	b, err := r.decoded(fj.frame)
	if err != nil {
		return err
	}
	if r.rows == nil {
		r.rows = make([]int64, r.h.cols)
	}
	for _, k := range fj.slices {
		sl := slices[k]
		sl.h = singleSample(r.h)
		ranges[k] = fillInto(dst, at(k), plane, b, sl, rawMode, integral, r.rows)
	}
	return nil
}

// sliceBytes is voxels [from, from+n) of d as bytes.
func sliceBytes(d viewer.VoxelData, from, n int) []byte {
	size := d.Type().Size()
	var p unsafe.Pointer
	switch s := d.Raw().(type) {
	case []uint8:
		p = unsafe.Pointer(&s[from])
	case []int8:
		p = unsafe.Pointer(&s[from])
	case []uint16:
		p = unsafe.Pointer(&s[from])
	case []int16:
		p = unsafe.Pointer(&s[from])
	case []uint32:
		p = unsafe.Pointer(&s[from])
	case []int32:
		p = unsafe.Pointer(&s[from])
	case []float32:
		p = unsafe.Pointer(&s[from])
	}
	return unsafe.Slice((*byte)(p), n*size)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
