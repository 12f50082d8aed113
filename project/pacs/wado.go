package pacs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Progress is how far a retrieve or a store has come. It is passed by
// value to the caller's callback, on the goroutine doing the transfer.
type Progress struct {
	Bytes     int64 // DICOM bytes received (retrieve) or sent (store) in this call
	Instances int   // instances done: in the cache (retrieve) or answered (store)
	Total     int   // instances expected; 0 while unknown
	Skipped   int   // of Instances, those already in the cache (retrieve)
	Failed    int   // of Instances, those the server did not store (store)
}

// RetrieveOptions tunes a retrieve.
type RetrieveOptions struct {
	// Progress, if set, is called after each instance and about every MiB.
	Progress func(Progress)
	// NoSync skips the fsync of each cache file before its rename (faster
	// on slow disks; a crash may then leave an empty file, which the next
	// retrieve replaces as it checks files for a DICOM header).
	NoSync bool
}

// Retrieved is what a retrieve put in (or found in) the cache.
type Retrieved struct {
	StudyInstanceUID string
	Series           []string // series UIDs, sorted
	Files            []string // cache paths of every instance, sorted
	Fetched          int      // instances written by this call
	Skipped          int      // instances already in the cache
	Bytes            int64    // DICOM bytes received
}

// SeriesDir is where the cache under root keeps a series:
// root/StudyUID/SeriesUID, with one SOPInstanceUID.dcm per instance.
// UIDs are not patient data; nothing else names the files.
func SeriesDir(root, studyUID, seriesUID string) string {
	return filepath.Join(root, studyUID, seriesUID)
}

// CachePath is the cache file of one instance.
func CachePath(root, studyUID, seriesUID, sopUID string) string {
	return filepath.Join(root, studyUID, seriesUID, sopUID+".dcm")
}

// wadoAccept asks for the instances as stored: without transfer-syntax=*
// Orthanc transcodes to Explicit VR Little Endian and fails (500) on a
// compressed instance it cannot decode.
const wadoAccept = `multipart/related; type="application/dicom"; transfer-syntax=*`

// RetrieveStudy retrieves every series of a study into the cache under
// root (see RetrieveSeries).
func (c *Client) RetrieveStudy(ctx context.Context, root, studyUID string, opt RetrieveOptions) (*Retrieved, error) {
	if !validUID(studyUID) {
		return nil, fmt.Errorf("pacs: %q is not a DICOM UID", studyUID)
	}
	series, err := c.Search(ctx, Query{Level: Series, StudyInstanceUID: studyUID})
	if err != nil {
		return nil, err
	}
	if len(series) == 0 {
		return nil, &Error{Kind: KindNotFound, Op: "retrieve", Path: "/studies/" + studyUID, Detail: "no series in this study"}
	}
	total := 0
	for _, s := range series {
		total += s.NumberOfInstances
	}
	all := &Retrieved{StudyInstanceUID: studyUID}
	var base Progress
	for _, s := range series {
		o := opt
		if opt.Progress != nil {
			b := base
			o.Progress = func(p Progress) {
				opt.Progress(Progress{Bytes: b.Bytes + p.Bytes, Instances: b.Instances + p.Instances,
					Skipped: b.Skipped + p.Skipped, Total: max(total, b.Instances+p.Total)})
			}
		}
		r, err := c.RetrieveSeries(ctx, root, studyUID, s.SeriesInstanceUID, o)
		if err != nil {
			return all, err
		}
		all.Series = append(all.Series, s.SeriesInstanceUID)
		all.Files = append(all.Files, r.Files...)
		all.Fetched += r.Fetched
		all.Skipped += r.Skipped
		all.Bytes += r.Bytes
		base.Bytes += r.Bytes
		base.Instances += len(r.Files)
		base.Skipped += r.Skipped
	}
	sort.Strings(all.Series)
	sort.Strings(all.Files)
	return all, nil
}

// RetrieveSeries makes sure every instance of a series is in the cache
// under root (SeriesDir), fetching only those that are not there yet.
//
// It first lists the series' instances (QIDO), so it knows the total for
// progress and what is missing. When most are missing it streams the
// whole series in one WADO-RS response (the fastest way, and how a first
// retrieve goes); when only a few are, it asks for those one by one, so a
// retrieve that was cut short does not transfer again what it has. Each
// instance is written to a temporary file and renamed into place whole. A
// dropped connection or a 5xx is retried from what is in the cache, up to
// the client's Retries times in a row without progress.
func (c *Client) RetrieveSeries(ctx context.Context, root, studyUID, seriesUID string, opt RetrieveOptions) (*Retrieved, error) {
	if !validUID(studyUID) || !validUID(seriesUID) {
		return nil, fmt.Errorf("pacs: study %q or series %q is not a DICOM UID", studyUID, seriesUID)
	}
	seriesPath := "/studies/" + studyUID + "/series/" + seriesUID
	insts, err := c.Search(ctx, Query{Level: Instances, StudyInstanceUID: studyUID, SeriesInstanceUID: seriesUID})
	if err != nil {
		return nil, err
	}
	if len(insts) == 0 {
		return nil, &Error{Kind: KindNotFound, Op: "retrieve", Path: seriesPath, Detail: "no instances in this series"}
	}
	dir := SeriesDir(root, studyUID, seriesUID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &retrieval{c: c, dir: dir, opt: opt, have: map[string]bool{}, expected: map[string]bool{}}
	for _, in := range insts {
		if validUID(in.SOPInstanceUID) {
			w.expected[in.SOPInstanceUID] = true
		}
	}
	w.p.Total = len(w.expected)
	for sop := range w.expected {
		if cachedOK(filepath.Join(dir, sop+".dcm")) {
			w.have[sop] = true
			w.p.Instances++
			w.p.Skipped++
		}
	}
	skipped := w.p.Skipped
	w.report(true)
	fails := 0
	for {
		var missing []string
		for sop := range w.expected {
			if !w.have[sop] {
				missing = append(missing, sop)
			}
		}
		if len(missing) == 0 {
			break
		}
		sort.Strings(missing)
		before := w.p.Instances
		if len(missing)*2 > len(w.expected) {
			err = w.stream(ctx, seriesPath)
		} else {
			for _, sop := range missing {
				if err = w.stream(ctx, seriesPath+"/instances/"+sop); err != nil {
					break
				}
			}
		}
		progressed := w.p.Instances > before
		if err == nil && !progressed {
			return nil, &Error{Kind: KindProtocol, Op: "retrieve", Path: seriesPath,
				Detail: fmt.Sprintf("the server listed %d instances it did not send", len(missing))}
		}
		if err != nil {
			k := KindOf(err)
			if k != KindUnreachable && k != KindServer {
				return nil, err
			}
			if progressed {
				fails = 0
			} else if fails++; fails > c.retries {
				return nil, err
			}
			if e := c.sleep(ctx, fails); e != nil {
				return nil, c.wrap("retrieve", seriesPath, e)
			}
		}
	}
	w.report(true)
	r := &Retrieved{StudyInstanceUID: studyUID, Series: []string{seriesUID}, Skipped: skipped,
		Fetched: w.fetched, Bytes: w.p.Bytes}
	for sop := range w.have {
		r.Files = append(r.Files, filepath.Join(dir, sop+".dcm"))
	}
	sort.Strings(r.Files)
	return r, nil
}

// cachedOK reports whether a cache file is there and starts like DICOM
// (a file cut short by a crash with NoSync is fetched again).
func cachedOK(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 132)
	n, _ := io.ReadFull(f, b)
	return n == 132 && string(b[128:]) == "DICM"
}

// retrieval is the state of one series retrieve across its attempts.
type retrieval struct {
	c          *Client
	dir        string
	opt        RetrieveOptions
	have       map[string]bool
	expected   map[string]bool
	p          Progress
	fetched    int
	lastReport time.Time
	lastBytes  int64
}

func (w *retrieval) report(force bool) {
	if w.opt.Progress == nil {
		return
	}
	if !force && w.p.Bytes-w.lastBytes < 1<<20 {
		return
	}
	w.lastBytes = w.p.Bytes
	w.opt.Progress(w.p)
}

var errStalled = errors.New("no data received within the timeout")

// stream fetches one WADO-RS multipart response and files its parts.
func (w *retrieval) stream(ctx context.Context, path string) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(w.c.timeout, func() { cancel(errStalled) })
	defer idle.Stop()
	resp, err := w.c.do(ctx, request{op: "retrieve", method: "GET", path: path,
		header: http.Header{"Accept": {wadoAccept}}})
	if err != nil {
		return w.stallErr(ctx, path, err)
	}
	defer resp.Body.Close()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(mt, "multipart/related") || params["boundary"] == "" {
		return &Error{Kind: KindProtocol, Op: "retrieve", Path: path,
			Detail: fmt.Sprintf("Content-Type %q is not multipart/related with a boundary", resp.Header.Get("Content-Type"))}
	}
	return w.parts(ctx, &idleReader{r: resp.Body, t: idle, d: w.c.timeout}, params["boundary"], path)
}

// parts files each part of a multipart/related body.
func (w *retrieval) parts(ctx context.Context, body io.Reader, boundary, path string) error {
	mr := multipart.NewReader(body, boundary)
	buf := make([]byte, 256<<10)
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return w.stallErr(ctx, path, err)
		}
		if err := w.save(part, buf); err != nil {
			var pe *Error
			if errors.As(err, &pe) {
				pe.Path = path
				return pe
			}
			if isLocal(err) {
				return err
			}
			return w.stallErr(ctx, path, err)
		}
	}
}

// stallErr turns a read error into an *Error, naming a stall as such.
func (w *retrieval) stallErr(ctx context.Context, path string, err error) error {
	if context.Cause(ctx) == errStalled {
		return &Error{Kind: KindUnreachable, Op: "retrieve", Path: path, Detail: fmt.Sprintf("no data for %v", w.c.timeout), Err: errStalled}
	}
	return w.c.wrap("retrieve", path, err)
}

// localError marks a failure of the local disk, which retrying the
// network does not cure.
type localError struct{ err error }

func (e localError) Error() string { return e.err.Error() }
func (e localError) Unwrap() error { return e.err }

func isLocal(err error) bool {
	var le localError
	return errors.As(err, &le)
}

// save writes one part to a temporary file, reads its SOP Instance UID and
// renames it into place (or drops it when the cache has it already).
func (w *retrieval) save(part *multipart.Part, buf []byte) (err error) {
	if ct := part.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); !strings.EqualFold(mt, "application/dicom") {
			return &Error{Kind: KindProtocol, Op: "retrieve", Detail: fmt.Sprintf("a part of type %q, not application/dicom", ct)}
		}
	}
	tmp, err := os.CreateTemp(w.dir, ".part-*.tmp")
	if err != nil {
		return localError{err}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	head := &prefix{max: 16 << 10}
	n, err := io.CopyBuffer(io.MultiWriter(tmp, head, progressWriter{w}), part, buf)
	_ = n
	if err != nil {
		if _, ok := err.(*os.PathError); ok {
			return localError{err}
		}
		return err
	}
	sop := ""
	if m, err := parseFileMeta(head.b); err == nil {
		sop = m.sopInstance
	}
	if !validUID(sop) {
		if u, err := readInstanceUIDs(tmp.Name()); err == nil {
			sop = u.sop
		}
	}
	if !validUID(sop) {
		return &Error{Kind: KindProtocol, Op: "retrieve", Detail: "an instance without a valid SOP Instance UID"}
	}
	if w.have[sop] {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil
	}
	if !w.opt.NoSync {
		if err := tmp.Sync(); err != nil {
			return localError{err}
		}
	}
	if err := tmp.Close(); err != nil {
		return localError{err}
	}
	if err := os.Rename(tmp.Name(), filepath.Join(w.dir, sop+".dcm")); err != nil {
		return localError{err}
	}
	w.have[sop] = true
	w.fetched++
	w.p.Instances++
	if !w.expected[sop] {
		// Added to the series since it was listed.
		w.expected[sop] = true
		w.p.Total++
	}
	w.report(true)
	return nil
}

// progressWriter counts the bytes of parts as they arrive.
type progressWriter struct{ w *retrieval }

func (p progressWriter) Write(b []byte) (int, error) {
	p.w.p.Bytes += int64(len(b))
	p.w.report(false)
	return len(b), nil
}

// prefix keeps the first max bytes written to it.
type prefix struct {
	b   []byte
	max int
}

func (p *prefix) Write(b []byte) (int, error) {
	if room := p.max - len(p.b); room > 0 {
		p.b = append(p.b, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

// idleReader pushes back a stall timer on each read that returns data.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (r *idleReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if n > 0 {
		r.t.Reset(r.d)
	}
	return n, err
}
