package dicom

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"delineate/viewer"
)

// Options control scanning and loading.
type Options struct {
	// PHI reads patient name and ID into Series. Off by default: identity
	// must not reach logs, exports or JSON unless the user asks.
	PHI bool
	// Workers bounds parallel file reads; 0 means runtime.NumCPU().
	Workers int
	// Progress, if set, is called from worker goroutines with the work done
	// so far and the total.
	Progress func(done, total int)
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.NumCPU()
}

// ScanResult lists the series found and the files that were skipped.
type ScanResult struct {
	Series   []*Series
	Warnings []string
}

// Scan reads the headers of a DICOM file or of every file under a folder
// and groups them into series. Files that are not DICOM images, or that fail
// to parse, are skipped with a warning; only when nothing usable is found is
// it an error.
func Scan(ctx context.Context, path string, opt Options) (*ScanResult, error) {
	files, err := listFiles(path)
	if err != nil {
		return nil, err
	}
	headers := make([]*header, len(files))
	errs := make([]error, len(files))
	err = parallel(ctx, len(files), opt.workers(), func(i int) {
		headers[i], errs[i] = readHeader(files[i], opt.PHI)
	}, progressOf(opt, len(files)))
	if err != nil {
		return nil, err
	}
	res := &ScanResult{}
	var ok []*header
	notDICOM := 0
	for i, h := range headers {
		switch {
		case errors.Is(errs[i], errNotDICOM):
			notDICOM++
		case errs[i] != nil:
			res.Warnings = append(res.Warnings, "skipped "+errs[i].Error())
		default:
			ok = append(ok, h)
		}
	}
	if notDICOM > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("skipped %d files that are not DICOM", notDICOM))
	}
	if len(ok) == 0 {
		msg := fmt.Sprintf("no DICOM images in %s", path)
		if len(res.Warnings) > 0 {
			msg += ": " + strings.Join(res.Warnings, "; ")
		}
		return res, errors.New(msg)
	}
	res.Series = buildSeries(ok)
	return res, nil
}

// listFiles returns the path itself, or every regular file below a folder
// in a stable order. Hidden files (.DS_Store and the like) are not images.
func listFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable sub-folder: keep what we can read
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") && p != path {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && !strings.EqualFold(name, "DICOMDIR") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// Load decodes the series into a volume. A file whose pixels cannot be
// decoded leaves its slices at the volume's minimum, with a warning; the
// rest still loads.
func (s *Series) Load(ctx context.Context, opt Options) (*viewer.Volume, error) {
	type frameKey struct {
		file  string
		frame int
	}
	type decoded struct {
		bytes  []byte
		h      *header
		lo, hi int64
		err    error
	}
	// Which frames of which files we need, in a stable order.
	var files []string
	need := map[string][]int{}
	scanned := map[string]*header{}
	for _, sl := range s.slices {
		p := sl.h.path
		if _, ok := need[p]; !ok {
			files = append(files, p)
			scanned[p] = sl.h
		}
		need[p] = appendUnique(need[p], sl.frame)
	}
	total := len(files) + len(s.slices)
	var done atomic.Int64
	report := func() {
		if opt.Progress != nil {
			opt.Progress(int(done.Add(1)), total)
		}
	}

	var mu sync.Mutex
	frames := map[frameKey]*decoded{}
	fileErr := map[string]error{}
	err := parallel(ctx, len(files), opt.workers(), func(i int) {
		defer report()
		path := files[i]
		h, err := withPixels(scanned[path])
		if err != nil {
			mu.Lock()
			fileErr[path] = err
			mu.Unlock()
			return
		}
		for _, f := range need[path] {
			d := &decoded{h: h}
			d.bytes, d.err = decodeFrameSafe(h, f)
			if d.err == nil {
				d.lo, d.hi = storedRange(d.bytes, singleSample(h))
			}
			mu.Lock()
			frames[frameKey{path, f}] = d
			mu.Unlock()
		}
	}, nil)
	if err != nil {
		return nil, err
	}

	// The output type must hold every slice's rescaled range.
	lo, hi := math.Inf(1), math.Inf(-1)
	integral := true
	good := 0
	var h0 *header
	for _, sl := range s.slices {
		d := frames[frameKey{sl.h.path, sl.frame}]
		if d == nil || d.err != nil {
			continue
		}
		good++
		h0 = d.h
		a, b := float64(d.lo)*sl.slope+sl.intercept, float64(d.hi)*sl.slope+sl.intercept
		lo, hi = math.Min(lo, math.Min(a, b)), math.Max(hi, math.Max(a, b))
		if sl.slope != math.Trunc(sl.slope) || sl.intercept != math.Trunc(sl.intercept) {
			integral = false
		}
	}
	if good == 0 {
		var msgs []string
		for _, p := range files {
			if e := fileErr[p]; e != nil {
				msgs = append(msgs, e.Error())
			}
		}
		for _, d := range frames {
			if d.err != nil {
				msgs = append(msgs, d.err.Error())
			}
		}
		sort.Strings(msgs)
		if len(msgs) > 3 {
			msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
		}
		return nil, fmt.Errorf("no slice of the series could be decoded: %s", strings.Join(msgs, "; "))
	}
	dt := chooseType(lo, hi, integral, singleSample(h0))
	vol, err := viewer.NewVolume(s.Geometry, dt)
	if err != nil {
		return nil, fmt.Errorf("series geometry: %w", err)
	}
	vol.Modality, vol.Description = s.Modality, s.Description
	vol.Windows = append([]viewer.WindowPreset(nil), s.Windows...)
	vol.Warnings = append(vol.Warnings, s.Warnings...)

	plane := s.Geometry.Dims[0] * s.Geometry.Dims[1]
	failed := make([]bool, len(s.slices))
	err = parallel(ctx, len(s.slices), opt.workers(), func(k int) {
		defer report()
		sl := s.slices[k]
		d := frames[frameKey{sl.h.path, sl.frame}]
		if d == nil || d.err != nil {
			failed[k] = true
			return
		}
		sl.h = singleSample(d.h)
		buf := make([]int64, sl.h.cols)
		switch out := vol.Data.Raw().(type) {
		case []uint8:
			fillSlice(out[k*plane:(k+1)*plane], d.bytes, sl, integral, buf)
		case []int8:
			fillSlice(out[k*plane:(k+1)*plane], d.bytes, sl, integral, buf)
		case []uint16:
			fillSlice(out[k*plane:(k+1)*plane], d.bytes, sl, integral, buf)
		case []int16:
			fillSlice(out[k*plane:(k+1)*plane], d.bytes, sl, integral, buf)
		case []uint32:
			fillSlice(out[k*plane:(k+1)*plane], d.bytes, sl, integral, buf)
		case []int32:
			fillSlice(out[k*plane:(k+1)*plane], d.bytes, sl, integral, buf)
		case []float32:
			fillSlice(out[k*plane:(k+1)*plane], d.bytes, sl, integral, buf)
		}
	}, nil)
	if err != nil {
		return nil, err
	}
	s.reportFailures(vol, failed, fileErr, func(sl slice) error {
		if d := frames[frameKey{sl.h.path, sl.frame}]; d != nil {
			return d.err
		}
		return nil
	}, lo)
	if h0.photometric == "MONOCHROME1" {
		vol.Warnf("MONOCHROME1 image: low values display bright on the scanner")
	}
	if h0.spp == 3 {
		vol.Warnf("colour image reduced to grey (luma)")
	}
	return vol, nil
}

// reportFailures fills slices that could not be decoded with the minimum
// value and says which files they came from.
func (s *Series) reportFailures(vol *viewer.Volume, failed []bool, fileErr map[string]error, frameErr func(slice) error, lo float64) {
	plane := s.Geometry.Dims[0] * s.Geometry.Dims[1]
	seen := map[string]bool{}
	for k, f := range failed {
		if !f {
			continue
		}
		fillConst(vol, k*plane, (k+1)*plane, lo)
		sl := s.slices[k]
		err := fileErr[sl.h.path]
		if err == nil {
			err = frameErr(sl)
		}
		msg := fmt.Sprintf("slice %d not decoded", k)
		if err != nil {
			msg = err.Error()
		}
		if !seen[msg] {
			seen[msg] = true
			vol.Warnf("skipped %s (slice %d of %d left empty)", msg, k+1, len(s.slices))
		}
	}
}

func fillConst(vol *viewer.Volume, from, to int, v float64) {
	switch out := vol.Data.Raw().(type) {
	case []uint8:
		fill(out[from:to], uint8(v))
	case []int8:
		fill(out[from:to], int8(v))
	case []uint16:
		fill(out[from:to], uint16(v))
	case []int16:
		fill(out[from:to], int16(v))
	case []uint32:
		fill(out[from:to], uint32(v))
	case []int32:
		fill(out[from:to], int32(v))
	case []float32:
		fill(out[from:to], float32(v))
	}
}

func fill[T viewer.Number](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// singleSample describes decoded frames: colour has been reduced to one
// sample, and codecs hand back native layout.
func singleSample(h *header) *header {
	if h.spp == 1 {
		return h
	}
	c := *h
	c.spp = 1
	return &c
}

// decodeFrameSafe turns a codec panic into an error naming the file.
func decodeFrameSafe(h *header, f int) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%s: decoder failed: %v", h.path, r)
		}
	}()
	return h.decodeFrame(f)
}

func appendUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func progressOf(opt Options, total int) func() {
	if opt.Progress == nil {
		return nil
	}
	var done atomic.Int64
	return func() { opt.Progress(int(done.Add(1)), total) }
}

// parallel runs fn(0..n-1) on a bounded pool and stops handing out work once
// ctx is cancelled, so a cancel takes effect within one item.
func parallel(ctx context.Context, n, workers int, fn func(i int), after func()) error {
	if workers > n {
		workers = n
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
				if after != nil {
					after()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", errCancelled, err)
	}
	return nil
}

// Thumbnail decodes only the middle slice, as a one-slice volume: enough
// for a series picker without paying for the whole series.
func (s *Series) Thumbnail(ctx context.Context) (*viewer.Volume, error) {
	mid := *s
	mid.slices = []slice{s.slices[len(s.slices)/2]}
	mid.Geometry.Dims[2] = 1
	mid.Geometry.Origin = mid.slices[0].pos
	mid.Warnings = nil
	return mid.Load(ctx, Options{Workers: 1})
}

// withPixels reads a scanned file's pixel data into a copy of its header.
// The header fields come from the scan; only the pixel bytes are located,
// by the length walk, without parsing the data set a second time. The copy
// keeps the series itself from holding on to every file's pixels.
func withPixels(scanned *header) (*header, error) {
	data, err := readDICOMBytes(scanned.path)
	if err != nil {
		return nil, err
	}
	px, err := findPixelData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", scanned.path, err)
	}
	if !px.found {
		return nil, fmt.Errorf("%s: no pixel data", scanned.path)
	}
	h := *scanned
	h.native, h.fragments, h.hasPixels = px.native, px.fragments, true
	return &h, nil
}
