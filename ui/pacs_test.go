package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/project/pacs/pacstest"
	"delineate/viewer/dicom"
)

// fakePACS serves the DICOM files of dir over DICOMweb (pacstest; the
// real Orthanc is exercised by project/pacs's tests).
func fakePACS(t testing.TB, dir string) *pacstest.Server {
	files, _ := filepath.Glob(filepath.Join(dir, "*.dcm"))
	if len(files) == 0 {
		t.Fatalf("no DICOM files in %s", dir)
	}
	return pacstest.New(t, files...)
}

func testPACSServer(ws *Workstation, srv *pacstest.Server) pacsServer {
	s := pacsServer{Name: "test PACS", URL: srv.Root(), Auth: "basic", User: pacstest.User}
	ws.savePACSServers([]pacsServer{s})
	ws.pacsSecrets = map[string]string{s.secretKey(): pacstest.Password}
	return s
}

// File → Open from PACS: a search lists the study, picking it lists its
// series, and Retrieve fetches the series into the cache and opens it;
// a wrong password says what to do.
func TestPACSBrowserSearchRetrieveOpen(t *testing.T) {
	srv := fakePACS(t, filepath.Join("..", "testdata", "conformance", "seg", "series"))
	ws := newTestWorkstation(t)
	ws.pacsCache = t.TempDir()
	s := testPACSServer(ws, srv)
	ws.openPACSBrowser()
	b := ws.pacsWin
	b.search()
	waitFor(t, "the study", func() bool { return len(b.studies) == 1 })
	if line := b.studyLine(b.studies[0]); !strings.Contains(line, "2000-01-01") || !strings.Contains(line, "(no description)") || !strings.Contains(line, "3 images") {
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

// Send Labels to PACS: labels drawn on a study opened from PACS go back as
// a DICOM SEG that the server lists as stored, and that reads back as the
// same labels.
func TestSendLabelsToPACS(t *testing.T) {
	srv := fakePACS(t, filepath.Join("..", "testdata", "conformance", "seg", "series"))
	ws := newTestWorkstation(t)
	ws.pacsCache = t.TempDir()
	s := testPACSServer(ws, srv)
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
	stored := srv.Stored()
	if len(stored) != 1 || stored[0].Modality != "SEG" {
		t.Fatalf("%d files stored", len(stored))
	}
	path := filepath.Join(t.TempDir(), "back.dcm")
	os.WriteFile(path, stored[0].Data, 0o644)
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
