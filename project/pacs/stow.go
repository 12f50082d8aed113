package pacs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// StoreOptions tunes a store.
type StoreOptions struct {
	// Progress, if set, is called as bytes go out and after each request;
	// calls are serialized (the request body is written on its own
	// goroutine), keep it quick.
	Progress func(Progress)
	// BatchBytes bounds the DICOM bytes of one STOW-RS request (default
	// 64 MiB; a larger file goes alone).
	BatchBytes int64
	// StudyInstanceUID, if set, stores to /studies/{uid}: the server then
	// refuses instances of other studies (409).
	StudyInstanceUID string

	sendInvalid bool // tests: send files with empty UIDs, to see the server drop them
}

// Stored is an instance the server listed as stored.
type Stored struct {
	File           string
	SOPInstanceUID string
	SOPClassUID    string
	RetrieveURL    string
}

// StoreFailure is a file that was not stored, and why.
type StoreFailure struct {
	File           string
	SOPInstanceUID string // "" when the file has none
	Reason         string
	Code           int // the server's FailureReason (0008,1197), 0 when it gave none
}

// StoreResult says what became of each file: every file given is either
// in Stored or in Failed.
type StoreResult struct {
	Stored []Stored
	Failed []StoreFailure
	Bytes  int64 // DICOM bytes sent
}

// CollectFiles expands paths (files and folders, recursively) into the
// DICOM files to store, sorted: files in folders are taken when they
// start like DICOM ("DICM" at byte 128) and are not a DICOMDIR; a file
// named explicitly is always taken, so that a bad one is reported.
func CollectFiles(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || strings.EqualFold(d.Name(), "DICOMDIR") || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			if cachedOK(path) {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// FailureReasonText names the common STOW-RS FailureReason codes (PS3.18
// and PS3.4 C-STORE statuses).
func FailureReasonText(code int) string {
	switch {
	case code == 0x0110:
		return "processing failure"
	case code == 0x0122:
		return "SOP class not supported"
	case code == 0x0124:
		return "not authorised"
	case code == 0xA770 || code == 0xA700 || code&0xFF00 == 0xA700:
		return "out of resources"
	case code == 0xA900 || code&0xFF00 == 0xA900:
		return "data set does not match the SOP class"
	case code == 0xC122:
		return "referenced transfer syntax not supported"
	case code&0xF000 == 0xC000:
		return "cannot understand"
	}
	return fmt.Sprintf("failure reason %d", code)
}

type storeItem struct {
	file string
	size int64
	uids instanceUIDs
}

// Store sends files with STOW-RS and checks the answer: a file counts as
// stored only when its SOP Instance UID is in the response's
// ReferencedSOPSequence (Orthanc answers 200 and stores nothing for an
// instance with empty UIDs, without listing it as failed). Files that are
// not DICOM or have empty UIDs are refused before sending. The returned
// error is for the transfer as a whole (auth, network, cancel); per-file
// outcomes are in the result, which is returned too, with what was
// settled so far.
//
// A request is repeated only when it surely did not reach the server (a
// failed connect, or 503), since a STOW whose answer was lost may have
// stored some of its instances.
func (c *Client) Store(ctx context.Context, files []string, opt StoreOptions) (*StoreResult, error) {
	res := &StoreResult{}
	if opt.BatchBytes <= 0 {
		opt.BatchBytes = 64 << 20
	}
	path := "/studies"
	if opt.StudyInstanceUID != "" {
		if !validUID(opt.StudyInstanceUID) {
			return nil, fmt.Errorf("pacs: %q is not a DICOM UID", opt.StudyInstanceUID)
		}
		path += "/" + opt.StudyInstanceUID
	}
	var p Progress
	p.Total = len(files)
	var items []storeItem
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return res, c.wrap("store", path, err)
		}
		st, err := os.Stat(f)
		if err != nil {
			res.Failed = append(res.Failed, StoreFailure{File: f, Reason: err.Error()})
			continue
		}
		u, err := readInstanceUIDs(f)
		if err != nil {
			res.Failed = append(res.Failed, StoreFailure{File: f, Reason: "not a DICOM file: " + err.Error()})
			continue
		}
		if !opt.sendInvalid && (u.sop == "" || u.study == "" || u.series == "") {
			res.Failed = append(res.Failed, StoreFailure{File: f, SOPInstanceUID: u.sop,
				Reason: "empty Study, Series or SOP Instance UID: a server cannot file it (Orthanc answers 200 and stores nothing); give the file its UIDs first"})
			continue
		}
		items = append(items, storeItem{file: f, size: st.Size(), uids: u})
	}
	p.Instances, p.Failed = len(res.Failed), len(res.Failed)
	if opt.Progress != nil {
		opt.Progress(p)
	}
	for len(items) > 0 {
		n, size := 0, int64(0)
		for n < len(items) && (n == 0 || size+items[n].size <= opt.BatchBytes) && n < 1000 {
			size += items[n].size
			n++
		}
		batch := items[:n]
		items = items[n:]
		if err := c.storeBatch(ctx, path, batch, res, &p, opt.Progress); err != nil {
			return res, err
		}
	}
	return res, nil
}

// stowResponse is the part of a STOW-RS answer this client reads.
type stowResponse struct {
	referenced []Dataset
	failed     []Dataset
}

// parseStowResponse reads a STOW-RS DICOM JSON answer: one object
// (Orthanc) or an array holding one.
func parseStowResponse(b []byte) (*stowResponse, error) {
	b = bytes.TrimSpace(b)
	var d Dataset
	if len(b) > 0 && b[0] == '[' {
		var ds []Dataset
		if err := json.Unmarshal(b, &ds); err != nil {
			return nil, err
		}
		if len(ds) > 0 {
			d = ds[0]
		}
	} else if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("empty STOW-RS response")
	}
	r := &stowResponse{}
	items := func(tag string) ([]Dataset, error) {
		var out []Dataset
		for _, raw := range d.Get(tag).Value {
			var item Dataset
			if err := json.Unmarshal(raw, &item); err != nil {
				return nil, fmt.Errorf("sequence %s: %w", tag, err)
			}
			out = append(out, item)
		}
		return out, nil
	}
	var err error
	if r.referenced, err = items("00081199"); err != nil {
		return nil, err
	}
	if r.failed, err = items("00081198"); err != nil {
		return nil, err
	}
	return r, nil
}

func (c *Client) storeBatch(ctx context.Context, path string, batch []storeItem, res *StoreResult, p *Progress, progress func(Progress)) error {
	const boundary = "DelineateSTOW-7d1c0a4e9b3f4b6f8a2e5c1d0f9e8a7b"
	sentBefore := p.Bytes
	// done closes when the goroutine writing a try's body has returned (the
	// transport closes the pipe on any outcome), so p is never written by
	// two goroutines at once.
	var done chan struct{}
	body := func() (io.ReadCloser, error) {
		if done != nil {
			<-done
		}
		p.Bytes = sentBefore
		pr, pw := io.Pipe()
		d := make(chan struct{})
		done = d
		go func() {
			defer close(d)
			mw := multipart.NewWriter(pw)
			if err := mw.SetBoundary(boundary); err != nil {
				pw.CloseWithError(err)
				return
			}
			for _, it := range batch {
				part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/dicom"}})
				if err != nil {
					pw.CloseWithError(err)
					return
				}
				f, err := os.Open(it.file)
				if err != nil {
					pw.CloseWithError(localError{err})
					return
				}
				_, err = io.Copy(countWriter{part, p, progress}, f)
				f.Close()
				if err != nil {
					pw.CloseWithError(err)
					return
				}
			}
			pw.CloseWithError(mw.Close())
		}()
		return pr, nil
	}
	resp, err := c.do(ctx, request{op: "store", method: "POST", path: path, body: body, retryUnsent: true,
		header: http.Header{
			"Content-Type": {`multipart/related; type="application/dicom"; boundary=` + boundary},
			"Accept":       {"application/dicom+json"},
		},
		// 400 and 409 carry the per-instance outcome (some stored, some not).
		keep: func(status int) bool { return status == 400 || status == 409 }})
	if done != nil {
		<-done
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return c.wrap("store", path, err)
	}
	sr, perr := parseStowResponse(b)
	refusal := ""
	if perr != nil && resp.StatusCode/100 != 2 {
		// A refusal of the whole request, with an Orthanc error body or
		// none. It does not mean nothing was stored: Orthanc 1.10 answers
		// 400 "Bad file format" to good instances followed by empty-UID
		// ones, and stores the good ones. Asking the server settles it.
		e := statusError("store", path, &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(b))})
		refusal = fmt.Sprintf("the server refused the request holding it (HTTP %d%s)", resp.StatusCode, prefixed(e.Detail))
		sr = &stowResponse{}
	} else if perr != nil {
		return &Error{Kind: KindProtocol, Op: "store", Path: path, Status: resp.StatusCode, Detail: "STOW-RS response: " + perr.Error()}
	}
	stored := map[string]Dataset{}
	for _, d := range sr.referenced {
		stored[d.Get("00081155").String()] = d
	}
	failed := map[string]Dataset{}
	for _, d := range sr.failed {
		failed[d.Get("00081155").String()] = d
	}
	// Instances with UIDs that the answer does not settle: look them up.
	var unsettled []string
	for _, it := range batch {
		sop := it.uids.sop
		if _, ok := stored[sop]; !ok && validUID(sop) {
			if _, ok := failed[sop]; !ok {
				unsettled = append(unsettled, sop)
			}
		}
	}
	found, err := c.present(ctx, unsettled)
	if err != nil {
		return err
	}
	for sop := range found {
		stored[sop] = Dataset{}
	}
	for _, it := range batch {
		sop := it.uids.sop
		if d, ok := stored[sop]; ok && sop != "" {
			res.Stored = append(res.Stored, Stored{File: it.file, SOPInstanceUID: sop,
				SOPClassUID: d.Get("00081150").String(), RetrieveURL: d.Get("00081190").String()})
			p.Instances++
			continue
		}
		f := StoreFailure{File: it.file, SOPInstanceUID: sop}
		if d, ok := failed[sop]; ok && sop != "" {
			f.Code, _ = d.Get("00081197").Int()
			f.Reason = "the server refused it: " + FailureReasonText(f.Code)
			if f.Code == 0x0110 && path != "/studies" {
				f.Reason += " (not of the study stored to?)"
			}
		} else if sop == "" || it.uids.study == "" || it.uids.series == "" {
			f.Reason = "not stored: the server answered without listing it (its Study, Series or SOP Instance UID is empty)"
			if refusal != "" {
				f.Reason = "not stored: " + refusal + "; its Study, Series or SOP Instance UID is empty"
			}
		} else if refusal != "" {
			f.Reason = "not stored: " + refusal
		} else {
			f.Reason = fmt.Sprintf("not stored: the server's answer (HTTP %d) does not list it", resp.StatusCode)
		}
		res.Failed = append(res.Failed, f)
		p.Instances++
		p.Failed++
	}
	res.Bytes = p.Bytes
	if progress != nil {
		progress(*p)
	}
	return nil
}

// countWriter counts bytes sent for progress.
type countWriter struct {
	w        io.Writer
	p        *Progress
	progress func(Progress)
}

func (c countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.p.Bytes += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(*c.p)
	}
	return n, err
}

func prefixed(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// present returns which of the SOP Instance UIDs the server holds (QIDO
// with UID lists, a few dozen at a time to keep URLs short).
func (c *Client) present(ctx context.Context, sops []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(sops) > 0 {
		n := min(len(sops), 40)
		rs, err := c.Search(ctx, Query{Level: Instances, Extra: url.Values{"SOPInstanceUID": {strings.Join(sops[:n], ",")}}})
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out[r.SOPInstanceUID] = true
		}
		sops = sops[n:]
	}
	return out, nil
}
