package dicom

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	// Begin, if set, is given the volume before its pixels are read, and
	// Slice each slice index as soon as that slice is final (from worker
	// goroutines, in no particular order), so a viewer can show a large
	// series while it loads. Slices not yet announced hold zeros. When the
	// header's range is wider than the stored samples (the volume must be
	// rescaled once all of it is read) Begin is not called.
	Begin func(*viewer.Volume)
	Slice func(k int)
	// RawStack loads a tilted or irregularly spaced series as its slices
	// are stored, on an approximate regular grid, instead of resampling it
	// to where its positions say its pixels are (regrid.go).
	RawStack bool
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
	notDICOM, segs := 0, 0
	for i, h := range headers {
		switch {
		case errors.Is(errs[i], errNotDICOM):
			notDICOM++
		case errors.Is(errs[i], errSEGFile):
			segs++
		case errs[i] != nil:
			res.Warnings = append(res.Warnings, "skipped "+errs[i].Error())
		default:
			ok = append(ok, h)
		}
	}
	if segs > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d DICOM SEG files are segmentations, not images: open one as labels over its series (File → Open Labels, --labels)", segs))
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
	mid.regrid = nil
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
