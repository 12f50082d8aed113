package pacs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const segFixture = "../../testdata/conformance/seg/seg-binary.dcm"

// sharedData returns ../shared/data/sub (beside the repository) or skips.
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference data %s not present (../shared is beside the repository in CI): %v", p, err)
	}
	return p
}

// uploaded maps SOP Instance UIDs to the files they came from.
func uploaded(t testing.TB, files []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range files {
		u, err := readInstanceUIDs(f)
		if err != nil {
			t.Fatal(err)
		}
		m[u.sop] = f
	}
	return m
}

func sameBytes(t testing.TB, got, want string) {
	t.Helper()
	a, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s (%d bytes) differs from the uploaded %s (%d bytes)", got, len(a), want, len(b))
	}
}

// ctSeries stores the 20-slice CT on an empty server and returns the
// files, their UIDs and the client.
func ctSeries(t *testing.T) (*Client, []string, instanceUIDs) {
	t.Helper()
	c := server(t)
	dir := sharedData(t, "ct-dicom-series-raw")
	resetServer(t)
	files, err := CollectFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 20 {
		t.Fatalf("%d files in %s, want 20", len(files), dir)
	}
	var last Progress
	res, err := c.Store(context.Background(), files, StoreOptions{Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stored) != 20 || len(res.Failed) != 0 {
		t.Fatalf("stored %d, failed %v", len(res.Stored), res.Failed)
	}
	var size int64
	for _, f := range files {
		st, _ := os.Stat(f)
		size += st.Size()
	}
	if last.Instances != 20 || last.Total != 20 || last.Bytes < size {
		t.Errorf("last progress %+v, want 20/20 instances and ≥ %d bytes", last, size)
	}
	u, err := readInstanceUIDs(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return c, files, u
}

func TestStoreQueryRetrieve(t *testing.T) {
	c, files, u := ctSeries(t)
	ctx := context.Background()

	// The SEG fixture, a second study.
	res, err := c.Store(ctx, []string{segFixture}, StoreOptions{})
	if err != nil || len(res.Stored) != 1 {
		t.Fatalf("store SEG: %v, %+v", err, res)
	}
	seg, err := readInstanceUIDs(segFixture)
	if err != nil {
		t.Fatal(err)
	}

	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	studies, err := c.Search(ctx, Query{Level: Studies})
	if err != nil {
		t.Fatal(err)
	}
	if len(studies) != 2 {
		t.Fatalf("%d studies, want 2", len(studies))
	}
	// Newest first: the CT (2022) before the SEG fixture (2000).
	ct := studies[0]
	if ct.StudyInstanceUID != u.study || ct.StudyDate != "20221208" || ct.NumberOfSeries != 1 || ct.NumberOfInstances != 20 ||
		strings.Join(ct.ModalitiesInStudy, ",") != "CT" {
		t.Errorf("CT study: %v", ct)
	}
	if studies[1].StudyInstanceUID != seg.study {
		t.Errorf("second study %s, want the SEG's %s", studies[1].StudyInstanceUID, seg.study)
	}
	// The fixture's synthetic patient: given as data, left out of String.
	if s := studies[1]; s.PatientID != "FIXTURE-SEG" || !strings.HasPrefix(s.PatientName, "Fixture^") ||
		strings.Contains(s.String()+s.GoString(), "FIXTURE") || strings.Contains(s.String()+s.GoString(), "Fixture") {
		t.Errorf("SEG study: patient %q %q; String %s", s.PatientID, s.PatientName, s.String())
	}

	check := func(name string, q Query, want ...string) {
		t.Helper()
		rs, err := c.Search(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, r := range rs {
			switch q.Level {
			case Studies:
				got = append(got, r.StudyInstanceUID)
			case Series:
				got = append(got, r.SeriesInstanceUID)
			default:
				got = append(got, r.SOPInstanceUID)
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	check("ModalitiesInStudy=SEG", Query{Modality: "SEG"}, seg.study)
	check("Modality=SEG series", Query{Level: Series, Modality: "SEG"}, seg.series)
	check("SEG instances", Query{Level: Instances, StudyInstanceUID: seg.study, SeriesInstanceUID: seg.series}, seg.sop)
	check("Modality=CT series", Query{Level: Series, Modality: "CT"}, u.series)
	check("date range", Query{DateFrom: "20221201", DateTo: "20221231"}, u.study)
	check("open date range", Query{DateTo: "20101231"}, seg.study)
	check("one date", Query{DateFrom: "20000101", DateTo: "20000101"}, seg.study)
	check("patient id", Query{PatientID: "FIXTURE-SEG"}, seg.study)
	check("patient name, wildcard, any case", Query{PatientName: "fixture*"}, seg.study)
	check("patient id, none", Query{PatientID: "no-such-id"})
	check("study uid", Query{StudyInstanceUID: seg.study}, seg.study)
	check("study uid list", Query{StudyInstanceUID: seg.study + "," + u.study}, u.study, seg.study)
	check("series of a study", Query{Level: Series, StudyInstanceUID: u.study}, u.series)
	check("unknown study", Query{Level: Series, StudyInstanceUID: "1.2.3.4"})
	if ct.AccessionNumber != "" {
		check("accession", Query{AccessionNumber: ct.AccessionNumber}, u.study)
	}
	check("accession, none", Query{AccessionNumber: "NOPE123"})

	// Instances come back sorted by InstanceNumber; paging covers them all.
	all, err := c.Search(ctx, Query{Level: Instances, StudyInstanceUID: u.study, SeriesInstanceUID: u.series})
	if err != nil || len(all) != 20 {
		t.Fatalf("instances: %d, %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].InstanceNumber > all[i].InstanceNumber {
			t.Fatalf("instances not sorted: #%d before #%d", all[i-1].InstanceNumber, all[i].InstanceNumber)
		}
	}
	seen := map[string]bool{}
	for off := 0; off < 20; off += 6 {
		page, err := c.Search(ctx, Query{Level: Instances, StudyInstanceUID: u.study, SeriesInstanceUID: u.series, Limit: 6, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if want := min(6, 20-off); len(page) != want {
			t.Errorf("page at %d: %d results, want %d", off, len(page), want)
		}
		for _, r := range page {
			seen[r.SOPInstanceUID] = true
		}
	}
	if len(seen) != 20 {
		t.Errorf("pages held %d distinct instances, want 20", len(seen))
	}
	// includefield: a non-default attribute read from the stored file.
	sr, err := c.Search(ctx, Query{Level: Series, StudyInstanceUID: u.study, IncludeFields: []string{"00180050", "BodyPartExamined"}})
	if err != nil || len(sr) != 1 {
		t.Fatalf("includefield: %v %v", sr, err)
	}
	if got := sr[0].Attrs.Get("00180050").String(); got == "" {
		t.Errorf("includefield 00180050: not returned (attrs %v)", keys(sr[0].Attrs))
	}
	if sr[0].Modality != "CT" || sr[0].NumberOfInstances != 20 || sr[0].SeriesDescription == "" {
		t.Errorf("series result %v", sr[0])
	}

	// Retrieve: byte for byte what was uploaded, under StudyUID/SeriesUID.
	cache := t.TempDir()
	var calls int
	var last Progress
	r, err := c.RetrieveSeries(ctx, cache, u.study, u.series, RetrieveOptions{Progress: func(p Progress) { calls++; last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if r.Fetched != 20 || r.Skipped != 0 || len(r.Files) != 20 {
		t.Fatalf("retrieve: %+v", r)
	}
	byUID := uploaded(t, files)
	var size int64
	for _, f := range r.Files {
		sop := strings.TrimSuffix(filepath.Base(f), ".dcm")
		if filepath.Dir(f) != SeriesDir(cache, u.study, u.series) || byUID[sop] == "" {
			t.Fatalf("unexpected cache file %s", f)
		}
		sameBytes(t, f, byUID[sop])
		st, _ := os.Stat(f)
		size += st.Size()
	}
	if last.Instances != 20 || last.Total != 20 || last.Bytes != size || r.Bytes != size || calls < 21 {
		t.Errorf("progress: last %+v after %d calls; result %d bytes; files %d bytes", last, calls, r.Bytes, size)
	}
	// Again: nothing to fetch.
	r, err = c.RetrieveSeries(ctx, cache, u.study, u.series, RetrieveOptions{})
	if err != nil || r.Fetched != 0 || r.Skipped != 20 || r.Bytes != 0 {
		t.Fatalf("second retrieve: %+v, %v", r, err)
	}
	// Three lost: only those are fetched (one by one).
	for _, f := range r.Files[:3] {
		os.Remove(f)
	}
	if err := os.WriteFile(r.Files[3], []byte("truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = c.RetrieveSeries(ctx, cache, u.study, u.series, RetrieveOptions{})
	if err != nil || r.Fetched != 4 || r.Skipped != 16 || len(r.Files) != 20 {
		t.Fatalf("resumed retrieve: %+v, %v", r, err)
	}
	for _, f := range r.Files[:4] {
		sameBytes(t, f, byUID[strings.TrimSuffix(filepath.Base(f), ".dcm")])
	}
	noTemp(t, cache)

	// The SEG back through WADO, as a study.
	r, err = c.RetrieveStudy(ctx, cache, seg.study, RetrieveOptions{})
	if err != nil || len(r.Files) != 1 || r.Series[0] != seg.series {
		t.Fatalf("SEG study retrieve: %+v, %v", r, err)
	}
	if want := CachePath(cache, seg.study, seg.series, seg.sop); r.Files[0] != want {
		t.Errorf("SEG cached as %s, want %s", r.Files[0], want)
	}
	sameBytes(t, r.Files[0], segFixture)
}

func keys(d Dataset) []string {
	var k []string
	for t := range d {
		k = append(k, t)
	}
	sort.Strings(k)
	return k
}

func noTemp(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".part-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

// The JPEG 2000 series has empty Study, Series and SOP Instance UIDs:
// Orthanc answers 200 and stores nothing. Refused before sending, and,
// when sent anyway, reported as not stored because the answer does not
// list them.
func TestStoreEmptyUIDs(t *testing.T) {
	c := server(t)
	dir := sharedData(t, "ct-dicom-series-j2k")
	resetServer(t)
	files, err := CollectFiles(dir)
	if err != nil || len(files) != 20 {
		t.Fatalf("%d files, %v", len(files), err)
	}
	good := sharedData(t, "ct-dicom-series-raw")
	goodFiles, _ := CollectFiles(good)
	// Refused before sending, whatever the order.
	res, err := c.Store(context.Background(), append(append([]string{}, files[:3]...), goodFiles[:2]...), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stored) != 2 || len(res.Failed) != 3 {
		t.Fatalf("stored %d, failed %d", len(res.Stored), len(res.Failed))
	}
	for i, f := range res.Failed {
		if f.File != files[i] || !strings.Contains(f.Reason, "empty Study, Series or SOP Instance UID") {
			t.Errorf("failure %+v", f)
		}
	}
	// Sent anyway: good files first are stored, the empty-UID ones vanish
	// from the answer. An empty-UID part first makes Orthanc 1.10 drop the
	// whole request, good files too, still with 200. Either way the result
	// must agree with what the server holds.
	for _, goodFirst := range []bool{true, false} {
		resetServer(t)
		mixed := append(append([]string{}, goodFiles[:2]...), files[:3]...)
		if !goodFirst {
			mixed = append(append([]string{}, files[:3]...), goodFiles[:2]...)
		}
		res, err := c.Store(context.Background(), mixed, StoreOptions{sendInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Stored)+len(res.Failed) != 5 || len(res.Failed) < 3 {
			t.Fatalf("goodFirst=%v: stored %d, failed %d", goodFirst, len(res.Stored), len(res.Failed))
		}
		for _, f := range res.Failed {
			if strings.Contains(f.File, "j2k") && !strings.Contains(f.Reason, "UID is empty") {
				t.Errorf("goodFirst=%v: failure %+v", goodFirst, f)
			}
		}
		n, err := c.Search(context.Background(), Query{Level: Instances})
		if err != nil || len(n) != len(res.Stored) {
			t.Errorf("goodFirst=%v: the server holds %d instances (%v), the result says %d stored", goodFirst, len(n), err, len(res.Stored))
		}
		t.Logf("goodFirst=%v: %d stored, %d failed", goodFirst, len(res.Stored), len(res.Failed))
	}
	// A file that is not DICOM, named explicitly.
	bad := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(bad, []byte("not dicom"), 0o644)
	res, err = c.Store(context.Background(), []string{bad}, StoreOptions{})
	if err != nil || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Reason, "not a DICOM file") {
		t.Errorf("non-DICOM: %+v %v", res, err)
	}
}

// STOW to another study's URL: 409, the instance in FailedSOPSequence.
func TestStoreConflict(t *testing.T) {
	c := server(t)
	resetServer(t)
	res, err := c.Store(context.Background(), []string{segFixture}, StoreOptions{StudyInstanceUID: "1.2.3.4"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 1 || res.Failed[0].Code != 272 || !strings.Contains(res.Failed[0].Reason, "processing failure") {
		t.Fatalf("%+v", res)
	}
}

func TestWrongCredentials(t *testing.T) {
	server(t)
	for _, a := range []Auth{{Username: orthancUser, Password: "wrong-pass-42"}, {}, {Token: "tok-secret-42"}} {
		c, err := New(Config{URL: orthancRoot + "/dicom-web", Auth: a})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Search(context.Background(), Query{PatientName: "Fixture*"})
		if !errors.Is(err, ErrUnauthorized) || KindOf(err) != KindUnauthorized {
			t.Fatalf("%v: got %v, want ErrUnauthorized", a, err)
		}
		if err := c.Check(context.Background()); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Check: %v", err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "wrong user name or password") || strings.Contains(msg, "42") || strings.Contains(msg, "Fixture") {
			t.Errorf("message %q: want a clear reason, no secret, no query", msg)
		}
		_, err = c.Store(context.Background(), []string{segFixture}, StoreOptions{})
		if !errors.Is(err, ErrUnauthorized) {
			t.Errorf("store: got %v, want ErrUnauthorized", err)
		}
	}
}

func TestNotFound(t *testing.T) {
	c := server(t)
	ctx := context.Background()
	root := t.TempDir()
	_, err := c.RetrieveSeries(ctx, root, "1.2.3.4", "1.2.3.4.5", RetrieveOptions{})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("series: %v", err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("an unknown series left %v in the cache", ents)
	}
	_, err = c.RetrieveStudy(ctx, t.TempDir(), "1.2.3.4", RetrieveOptions{})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("study: %v", err)
	}
	// WADO itself answers 404 for an unknown series.
	w := &retrieval{c: c, dir: t.TempDir(), have: map[string]bool{}, expected: map[string]bool{}}
	err = w.stream(ctx, "/studies/1.2.3.4/series/1.2.3.4.5")
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != 404 || pe.Kind != KindNotFound || !strings.Contains(pe.Detail, "inexistent") {
		t.Errorf("WADO 404: %v", err)
	}
	if _, err := c.RetrieveSeries(ctx, t.TempDir(), "../etc", "1.2", RetrieveOptions{}); err == nil {
		t.Error("a path as a UID was accepted")
	}
}

// cutProxy forwards to Orthanc and, for the first cuts requests to a
// series, closes the connection after limit bytes of the body.
type cutProxy struct {
	target   *url.URL
	limit    int64
	cuts     int32
	cutDone  atomic.Int32
	delay    time.Duration // per 64 KiB, to make a transfer slow
	requests atomic.Int32
}

func (p *cutProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	out, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target.String()+r.URL.RequestURI(), r.Body)
	out.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), 502)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	cut := strings.Contains(r.URL.Path, "/series/") && !strings.HasSuffix(r.URL.Path, "/instances") &&
		!strings.Contains(r.URL.Path, "/instances/") && p.cutDone.Add(1) <= p.cuts
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := resp.Body.Read(buf)
		if k > 0 {
			if cut && n+int64(k) > p.limit {
				w.Write(buf[:p.limit-n])
				w.(http.Flusher).Flush()
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
				return
			}
			if _, err := w.Write(buf[:k]); err != nil {
				return
			}
			n += int64(k)
			if p.delay > 0 {
				w.(http.Flusher).Flush()
				select {
				case <-time.After(p.delay):
				case <-r.Context().Done():
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func startProxy(t *testing.T, p *cutProxy) string {
	t.Helper()
	p.target, _ = url.Parse(orthancRoot)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// A connection dropped mid-retrieve: the instances that arrived stay in
// the cache and the retrieve goes on with the rest.
func TestRetrieveResumesAfterDrop(t *testing.T) {
	_, files, u := ctSeries(t)
	p := &cutProxy{limit: 6<<20 + 12345, cuts: 1}
	c, err := New(Config{URL: startProxy(t, p) + "/dicom-web", Auth: Auth{Username: orthancUser, Password: orthancPass}})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = time.Millisecond
	cache := t.TempDir()
	r, err := c.RetrieveSeries(context.Background(), cache, u.study, u.series, RetrieveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.cutDone.Load() < 1 {
		t.Fatal("the proxy never cut the stream")
	}
	if len(r.Files) != 20 || r.Fetched != 20 {
		t.Fatalf("%+v", r)
	}
	// About 6 MB of 10.5 arrived before the cut; the rest came one by one,
	// so less than the whole series was transferred twice.
	var size int64
	byUID := uploaded(t, files)
	for _, f := range r.Files {
		sameBytes(t, f, byUID[strings.TrimSuffix(filepath.Base(f), ".dcm")])
		st, _ := os.Stat(f)
		size += st.Size()
	}
	if r.Bytes > size+int64(p.limit) {
		t.Errorf("received %d bytes for %d: the resume fetched again what it had", r.Bytes, size)
	}
	noTemp(t, cache)
	t.Logf("%d requests through the proxy; %d bytes received for %d", p.requests.Load(), r.Bytes, size)
}

func TestCancelWithinASecond(t *testing.T) {
	_, _, u := ctSeries(t)
	p := &cutProxy{delay: 50 * time.Millisecond} // ~1.3 MB/s: 8 s for the series
	c, err := New(Config{URL: startProxy(t, p) + "/dicom-web", Auth: Auth{Username: orthancUser, Password: orthancPass}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cache := t.TempDir()
	var once sync.Once
	var cancelled time.Time
	_, err = c.RetrieveSeries(ctx, cache, u.study, u.series, RetrieveOptions{Progress: func(p Progress) {
		if p.Bytes > 1<<20 {
			once.Do(func() { cancelled = time.Now(); cancel() })
		}
	}})
	took := time.Since(cancelled)
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want ErrCancelled", err)
	}
	if cancelled.IsZero() || took > time.Second {
		t.Errorf("returned %v after the cancel", took)
	}
	noTemp(t, cache)
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, _ := New(Config{URL: "http://" + addr + "/dicom-web", Retries: 2})
	c.backoff = time.Millisecond
	_, err = c.Search(context.Background(), Query{})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("got %v", err)
	}
	_, err = c.Store(context.Background(), []string{segFixture}, StoreOptions{})
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("store: got %v", err)
	}
}

func TestNewRefusesCredentialsInURL(t *testing.T) {
	_, err := New(Config{URL: "http://u:hunter2@pacs/dicom-web"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("got %v", err)
	}
	if _, err := New(Config{URL: "ftp://pacs"}); err == nil {
		t.Error("ftp accepted")
	}
	a := Auth{Username: "u", Password: "hunter2", Token: ""}
	if s := a.String() + a.GoString(); strings.Contains(s, "hunter2") {
		t.Errorf("Auth prints its secret: %s", s)
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pw")
	os.WriteFile(p, []byte("  s3cret \r\nsecond line\n"), 0o600)
	s, private, err := ReadSecretFile(p)
	if err != nil || s != "s3cret" || !private {
		t.Errorf("got %q %v %v", s, private, err)
	}
	os.Chmod(p, 0o644)
	if _, private, _ := ReadSecretFile(p); private {
		t.Error("a world-readable file counted as private")
	}
	os.WriteFile(p, []byte("\nsecret-on-line-2\n"), 0o600)
	if _, _, err := ReadSecretFile(p); err == nil || strings.Contains(err.Error(), "secret-on-line-2") {
		t.Errorf("empty first line: %v", err)
	}
}

func TestParseDateRange(t *testing.T) {
	for in, want := range map[string][2]string{
		"20220101-20221231": {"20220101", "20221231"}, "20220101": {"20220101", "20220101"},
		"20220101-": {"20220101", ""}, "-20221231": {"", "20221231"}, "2022-01-01..2022-12-31": {"20220101", "20221231"},
	} {
		a, b, err := ParseDateRange(in)
		if err != nil || a != want[0] || b != want[1] {
			t.Errorf("%q: %q %q %v", in, a, b, err)
		}
	}
	for _, bad := range []string{"2022", "20221231-20220101", "-", "abcdefgh", "1-2-3"} {
		if _, _, err := ParseDateRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Bearer tokens, HTTPS with a CA file, and retries on 5xx, against a
// small fake server.
func TestTokenTLSAndRetry(t *testing.T) {
	var tries atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			w.WriteHeader(401)
			return
		}
		if tries.Add(1) <= 2 {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, `[{"0020000D":{"vr":"UI","Value":["1.2.3"]},"00201208":{"vr":"IS","Value":[7]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Fixture^Synthetic"}]}}]`)
	})
	srv := newTLSServer(t, h)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, srv.caPEM, 0o644)
	c, err := New(Config{URL: srv.URL + "/dicom-web", Auth: Auth{Token: "tok-1"}, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = time.Millisecond
	rs, err := c.Search(context.Background(), Query{})
	if err != nil || len(rs) != 1 || rs[0].NumberOfInstances != 7 || rs[0].PatientName != "Fixture^Synthetic" {
		t.Fatalf("%v %v", rs, err)
	}
	if tries.Load() != 3 {
		t.Errorf("%d tries, want 3", tries.Load())
	}
	// Without the CA: the system roots do not know the test certificate.
	c2, _ := New(Config{URL: srv.URL + "/dicom-web", Auth: Auth{Token: "tok-1"}, Retries: -1})
	if _, err := c2.Search(context.Background(), Query{}); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: %v", err)
	}
	// Retries are bounded.
	tries.Store(-100)
	c.retries = 2
	if _, err := c.Search(context.Background(), Query{}); !errors.Is(err, ErrServer) || tries.Load() != -97 {
		t.Errorf("bounded retries: %v after %d tries", err, tries.Load()+100)
	}
}

func TestSortResults(t *testing.T) {
	rs := []Result{
		{Level: Instances, SeriesInstanceUID: "1.2", InstanceNumber: 3, SOPInstanceUID: "1.2.3"},
		{Level: Instances, SeriesInstanceUID: "1.2", InstanceNumber: 1, SOPInstanceUID: "1.2.9"},
		{Level: Instances, SeriesInstanceUID: "1.1", InstanceNumber: 9, SOPInstanceUID: "1.1.9"},
		{Level: Instances, SeriesInstanceUID: "1.2", InstanceNumber: 1, SOPInstanceUID: "1.2.1"},
	}
	SortResults(rs)
	var got []string
	for _, r := range rs {
		got = append(got, r.SOPInstanceUID)
	}
	if strings.Join(got, " ") != "1.1.9 1.2.1 1.2.9 1.2.3" {
		t.Errorf("%v", got)
	}
}

// Compressed instances come back as stored (transfer-syntax=*): without
// it Orthanc transcodes, and answers 500 for JPEG 2000 it cannot decode.
func TestRetrieveAsStored(t *testing.T) {
	c := server(t)
	dir := sharedData(t, "dicom-transfer-syntaxes/In")
	resetServer(t)
	files, err := CollectFiles(dir)
	if err != nil || len(files) == 0 {
		t.Fatalf("%d files, %v", len(files), err)
	}
	res, err := c.Store(context.Background(), files, StoreOptions{})
	if err != nil || len(res.Failed) != 0 {
		t.Fatalf("store: %v %+v", err, res.Failed)
	}
	cache := t.TempDir()
	for _, f := range files {
		u, err := readInstanceUIDs(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.RetrieveSeries(context.Background(), cache, u.study, u.series, RetrieveOptions{}); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		sameBytes(t, CachePath(cache, u.study, u.series, u.sop), f)
	}
}
