package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"delineate/viewer/dicom"
)

// fakeDICOMweb answers the QIDO and WADO requests the browser makes, from
// a folder of DICOM files, and takes STOW-RS stores (as Orthanc answers
// them; the real Orthanc is exercised by project/pacs's tests).
type fakeDICOMweb struct {
	mu     sync.Mutex
	files  []fakeInstance
	stored [][]byte
	user   string
	pass   string
}

type fakeInstance struct {
	study, series, sop, class, modality string
	data                                []byte
}

func newFakeDICOMweb(t testing.TB, dir string) (*fakeDICOMweb, *httptest.Server) {
	f := &fakeDICOMweb{user: "tester", pass: "s3cret"}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.dcm"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := dcm.ParseUntilEOF(bytes.NewReader(b), nil, dcm.SkipPixelData())
		if err != nil {
			t.Fatal(err)
		}
		get := func(tg tag.Tag) string {
			e, err := ds.FindElementByTag(tg)
			if err != nil {
				return ""
			}
			return strings.Trim(fmt.Sprint(e.Value.GetValue()), "[]")
		}
		f.files = append(f.files, fakeInstance{get(tag.StudyInstanceUID), get(tag.SeriesInstanceUID), get(tag.SOPInstanceUID), get(tag.SOPClassUID), get(tag.Modality), b})
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeDICOMweb) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.pass {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/dicom-web"), "/"), "/")
	str := func(v string) map[string]any { return map[string]any{"vr": "UI", "Value": []any{v}} }
	var out []map[string]any
	switch {
	case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "studies":
		f.stow(w, r)
		return
	case len(parts) == 1 && parts[0] == "studies":
		if len(f.files) > 0 {
			x := f.files[0]
			out = append(out, map[string]any{"0020000D": str(x.study), "00080020": map[string]any{"vr": "DA", "Value": []any{"20000101"}},
				"00081030": map[string]any{"vr": "LO", "Value": []any{"Fixture CT"}}, "00080061": map[string]any{"vr": "CS", "Value": []any{"CT"}},
				"00201206": map[string]any{"vr": "IS", "Value": []any{1}}, "00201208": map[string]any{"vr": "IS", "Value": []any{len(f.files)}}})
		}
	case len(parts) == 3 && parts[2] == "series":
		x := f.files[0]
		out = append(out, map[string]any{"0020000D": str(x.study), "0020000E": str(x.series), "00080060": map[string]any{"vr": "CS", "Value": []any{"CT"}},
			"00200011": map[string]any{"vr": "IS", "Value": []any{2}}, "0008103E": map[string]any{"vr": "LO", "Value": []any{"Axial"}},
			"00201209": map[string]any{"vr": "IS", "Value": []any{len(f.files)}}})
	case len(parts) == 5 && parts[4] == "instances":
		for _, x := range f.files {
			out = append(out, map[string]any{"0020000D": str(x.study), "0020000E": str(x.series), "00080018": str(x.sop), "00080016": str(x.class)})
		}
	case len(parts) == 4 || len(parts) == 6: // WADO-RS series or instance
		mw := multipart.NewWriter(w)
		w.Header().Set("Content-Type", `multipart/related; type="application/dicom"; boundary=`+mw.Boundary())
		for _, x := range f.files {
			if len(parts) == 6 && x.sop != parts[5] {
				continue
			}
			pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/dicom"}})
			pw.Write(x.data)
		}
		mw.Close()
		return
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/dicom+json")
	json.NewEncoder(w).Encode(out)
}

// stow stores every part and lists it as Orthanc does.
func (f *fakeDICOMweb) stow(w http.ResponseWriter, r *http.Request) {
	_, params, _ := mimeParams(r.Header.Get("Content-Type"))
	mr := multipart.NewReader(r.Body, params["boundary"])
	var refs []any
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		f.mu.Lock()
		f.stored = append(f.stored, b)
		f.mu.Unlock()
		ds, err := dcm.ParseUntilEOF(bytes.NewReader(b), nil, dcm.SkipPixelData())
		if err != nil {
			continue
		}
		e, _ := ds.FindElementByTag(tag.SOPInstanceUID)
		c, _ := ds.FindElementByTag(tag.SOPClassUID)
		refs = append(refs, map[string]any{
			"00081150": map[string]any{"vr": "UI", "Value": []any{strings.Trim(fmt.Sprint(c.Value.GetValue()), "[]")}},
			"00081155": map[string]any{"vr": "UI", "Value": []any{strings.Trim(fmt.Sprint(e.Value.GetValue()), "[]")}},
		})
	}
	w.Header().Set("Content-Type", "application/dicom+json")
	json.NewEncoder(w).Encode(map[string]any{"00081199": map[string]any{"vr": "SQ", "Value": refs}, "00081198": map[string]any{"vr": "SQ"}})
}

func testPACSServer(ws *Workstation, url string) pacsServer {
	s := pacsServer{Name: "test PACS", URL: url + "/dicom-web", Auth: "basic", User: "tester"}
	ws.savePACSServers([]pacsServer{s})
	ws.pacsSecrets = map[string]string{s.secretKey(): "s3cret"}
	return s
}

// File → Open from PACS: a search lists the study, picking it lists its
// series, and Retrieve fetches the series into the cache and opens it;
// a wrong password says what to do.
func TestPACSBrowserSearchRetrieveOpen(t *testing.T) {
	_, srv := newFakeDICOMweb(t, filepath.Join("..", "testdata", "conformance", "seg", "series"))
	ws := newTestWorkstation(t)
	ws.pacsCache = t.TempDir()
	s := testPACSServer(ws, srv.URL)
	ws.openPACSBrowser()
	b := ws.pacsWin
	b.search()
	waitFor(t, "the study", func() bool { return len(b.studies) == 1 })
	if line := b.studyLine(b.studies[0]); !strings.Contains(line, "2000-01-01") || !strings.Contains(line, "Fixture CT") || !strings.Contains(line, "3 images") {
		t.Errorf("study row %q", line)
	}
	b.studyList.Select(0)
	waitFor(t, "its series", func() bool { return len(b.series) == 1 })
	b.seriesList.Select(0)
	b.retrieveAndOpen()
	waitFor(t, "the series opened", func() bool { return ws.scene != nil && ws.scene.Volume.Dims[2] == 3 && ws.pacsFrom != nil })
	if ws.pacsFrom.series != b.series[0].SeriesInstanceUID {
		t.Errorf("origin %+v", ws.pacsFrom)
	}
	cached, _ := filepath.Glob(filepath.Join(ws.pacsCache, "*", "*", "*.dcm"))
	if len(cached) != 3 {
		t.Errorf("%d files in the cache", len(cached))
	}
	ws.pacsSecrets[s.secretKey()] = "wrong"
	b.search()
	waitFor(t, "the refusal", func() bool { return strings.Contains(b.status.Text, "refused the credentials") })
	b.win.Close()
}

func mimeParams(v string) (string, map[string]string, error) { return mime.ParseMediaType(v) }

// Send Labels to PACS: labels drawn on a study opened from PACS go back as
// a DICOM SEG that the server lists as stored, and that reads back as the
// same labels.
func TestSendLabelsToPACS(t *testing.T) {
	fake, srv := newFakeDICOMweb(t, filepath.Join("..", "testdata", "conformance", "seg", "series"))
	ws := newTestWorkstation(t)
	ws.pacsCache = t.TempDir()
	s := testPACSServer(ws, srv.URL)
	ws.openPACSBrowser()
	b := ws.pacsWin
	b.search()
	waitFor(t, "the study", func() bool { return len(b.studies) == 1 })
	b.studyList.Select(0)
	b.retrieveAndOpen()
	waitFor(t, "the study opened", func() bool { return ws.scene != nil && ws.scene.Volume.Arriving.Done() && ws.pacsFrom != nil })
	b.win.Close()
	if !ws.editor.ensureLabels() {
		t.Fatal("no label map")
	}
	lm := ws.editor.labels
	for i := 0; i < 20; i++ {
		lm.Volume.Data.Raw().([]uint8)[i+30] = 1
	}
	ws.sendLabelsToPACS()
	waitFor(t, "the SEG written", func() bool { return ws.pacsPending != nil })
	ws.storeSEG(s, ws.pacsPending)
	waitFor(t, "the SEG stored", func() bool { return strings.HasPrefix(ws.status.Text, "Stored on test PACS") })
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.stored) != 1 {
		t.Fatalf("%d files stored", len(fake.stored))
	}
	path := filepath.Join(t.TempDir(), "back.dcm")
	os.WriteFile(path, fake.stored[0], 0o644)
	seg, err := dicom.ReadSEG(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := seg.LabelsOn(ws.scene.Volume.Geometry)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < lm.Volume.Data.Len(); i++ {
		if back.Volume.Data.At(i) != lm.Volume.Data.At(i) {
			t.Fatalf("voxel %d: %v back, %v sent", i, back.Volume.Data.At(i), lm.Volume.Data.At(i))
		}
	}
}

// Without a project, the session remembers who made the labels: an
// accepted model prediction becomes AUTOMATIC segments named after the
// model in a SEG.
func TestSessionProvenanceForSEG(t *testing.T) {
	ws := newTestWorkstation(t)
	if err := ws.SetVolume(ctVolume(t), nil, "test CT"); err != nil {
		t.Fatal(err)
	}
	selectModel(t, ws, "builtin:ct-tissue")
	ws.ai.run()
	waitFor(t, "the prediction", func() bool { return ws.preds.current != nil })
	ws.preds.accept()
	segs := ws.session.Provenance.SEGSegments()
	bone := -1
	for _, l := range ws.editor.labels.Table.Labels {
		if l.Name == "bone" {
			bone = l.ID
		}
	}
	if s, ok := segs[bone]; !ok || s.AlgorithmType != dicom.AlgorithmAutomatic || !strings.Contains(s.AlgorithmName, "ct-tissue") {
		t.Fatalf("bone (label %d): %+v in %+v", bone, s, segs)
	}
}
