package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"delineate/project/pacs"
	"delineate/project/pacs/pacstest"
)

// The CLI over a small fake DICOMweb server (the client itself is tested
// against a real Orthanc in project/pacs). The fixture SEG's UIDs:
const (
	segPath  = "../../testdata/conformance/seg/seg-binary.dcm"
	segStudy = "2.25.325306265001612589099584219191710156535"
	segSer   = "2.25.175265421757770212870652981150406769027"
	segSOP   = "2.25.150757018533875411389629932898043578773"
)

// fakeDICOMweb serves the fixture SEG (pacstest, the in-process server);
// its Stored lists what STOW-RS stored on it.
func fakeDICOMweb(t *testing.T) (url string, srv *pacstest.Server) {
	t.Helper()
	srv = pacstest.New(t, segPath)
	return srv.Root(), srv
}

func secretFile(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPACSUsage(t *testing.T) {
	pw := secretFile(t, pacstest.Password)
	for _, args := range [][]string{
		{"pacs"}, {"pacs", "find"}, {"pacs", "query"}, {"pacs", "query", "--url", "http://x", "--password", "hunter2"},
		{"pacs", "query", "--url", "http://x", "--level", "patient"}, {"pacs", "query", "--url", "http://x", "--date", "2022"},
		{"pacs", "query", "--url", "http://x", "--password-file", pw}, {"pacs", "query", "--url", "http://x", "--user", "u", "--password-file", pw, "--token-file", pw},
		{"pacs", "retrieve", "--url", "http://x", "--out", "d"}, {"pacs", "store", "--url", "http://x"},
	} {
		code, _, errs := cli(t, args...)
		if code != 2 || !strings.Contains(errs, "usage: delineate pacs") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
		if strings.Contains(errs, "hunter2") {
			t.Errorf("%v: the password was echoed", args)
		}
	}
}

func TestPACSQuery(t *testing.T) {
	url, _ := fakeDICOMweb(t)
	pw := secretFile(t, pacstest.Password)
	code, out, errs := cli(t, "pacs", "query", "--url", url, "--user", pacstest.User, "--password-file", pw, "--modality", "SEG", "--date", "20000101-20001231")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, segStudy) || !strings.Contains(out, "2000-01-01") || !strings.Contains(out, "SEG") {
		t.Errorf("table:\n%s", out)
	}
	if strings.Contains(out+errs, "Synthetic") || strings.Contains(out+errs, "FIXTURE-SEG") {
		t.Errorf("patient data without --phi:\n%s", out)
	}
	_, out, _ = cli(t, "pacs", "query", "--url", url, "--user", pacstest.User, "--password-file", pw, "--phi")
	if !strings.Contains(out, "Fixture^Synthetic") || !strings.Contains(out, "FIXTURE-SEG") {
		t.Errorf("--phi table:\n%s", out)
	}
	code, out, _ = cli(t, "pacs", "query", "--url", url, "--user", pacstest.User, "--password-file", pw, "--level", "series", "--json")
	var rs []pacsResult
	if err := json.Unmarshal([]byte(out), &rs); code != 0 || err != nil || len(rs) != 1 || rs[0].SeriesInstanceUID != segSer ||
		rs[0].Modality != "SEG" || rs[0].Instances != 1 || rs[0].PatientName != "" {
		t.Errorf("--json: exit %d, %v, %+v", code, err, rs)
	}
	bad := secretFile(t, "wrong-7")
	code, _, errs = cli(t, "pacs", "query", "--url", url, "--user", pacstest.User, "--password-file", bad)
	if code != 1 || !strings.Contains(errs, "wrong user name or password") || strings.Contains(errs, "wrong-7") {
		t.Errorf("wrong password: exit %d, %q", code, errs)
	}
}

func TestPACSRetrieveStore(t *testing.T) {
	url, srv := fakeDICOMweb(t)
	pw := secretFile(t, pacstest.Password)
	dir := t.TempDir()
	args := []string{"pacs", "retrieve", "--url", url, "--user", pacstest.User, "--password-file", pw, "--study", segStudy, "--out", dir}
	code, out, errs := cli(t, args...)
	if code != 0 || !strings.Contains(out, "1 fetched, 0 already there") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	got, _ := os.ReadFile(pacs.CachePath(dir, segStudy, segSer, segSOP))
	want, _ := os.ReadFile(segPath)
	if !bytes.Equal(got, want) {
		t.Error("the retrieved SEG differs")
	}
	code, out, _ = cli(t, append(args, "--series", segSer)...)
	if code != 0 || !strings.Contains(out, "0 fetched, 1 already there") {
		t.Errorf("second retrieve: %s", out)
	}
	code, out, errs = cli(t, "pacs", "retrieve", "--url", url, "--user", pacstest.User, "--password-file", pw, "--study", "1.2.3", "--out", dir)
	if code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("unknown study: exit %d, %s", code, errs)
	}
	notDICOM := filepath.Join(t.TempDir(), "x.dcm")
	os.WriteFile(notDICOM, []byte("nope"), 0o644)
	code, out, errs = cli(t, "pacs", "store", "--url", url, "--user", pacstest.User, "--password-file", pw, segPath, notDICOM)
	if code != 1 || len(srv.Stored()) != 1 || !strings.Contains(out, "stored 1 of 2 files") || !strings.Contains(out, "x.dcm: not a DICOM file") {
		t.Errorf("store: exit %d, %d stored, %s %s", code, len(srv.Stored()), out, errs)
	}
}

func TestPACSKeyring(t *testing.T) {
	keyring.MockInit()
	url, _ := fakeDICOMweb(t)
	code, _, errs := cli(t, "pacs", "query", "--url", url, "--user", pacstest.User)
	if code != 2 || !strings.Contains(errs, "pacs keyring") {
		t.Errorf("no password anywhere: exit %d, %s", code, errs)
	}
	if err := pacsKeyring([]string{"--url", url, "--user", pacstest.User}, strings.NewReader(pacstest.Password+"\n"), io.Discard); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "pacs", "query", "--url", url, "--user", pacstest.User)
	if code != 0 || !strings.Contains(out, segStudy) {
		t.Errorf("password from the keyring: exit %d, %s %s", code, out, errs)
	}
}
