package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"delineate/project/pacs"
)

// The CLI over a small fake DICOMweb server (the client itself is tested
// against a real Orthanc in project/pacs). The fixture SEG's UIDs:
const (
	segPath  = "../../testdata/conformance/seg/seg-binary.dcm"
	segStudy = "2.25.325306265001612589099584219191710156535"
	segSer   = "2.25.175265421757770212870652981150406769027"
	segSOP   = "2.25.150757018533875411389629932898043578773"
)

func fakeDICOMweb(t *testing.T) (url string, stored *int) {
	t.Helper()
	seg, err := os.ReadFile(segPath)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	attr := func(vr string, v ...any) map[string]any { return map[string]any{"vr": vr, "Value": v} }
	study := map[string]any{"0020000D": attr("UI", segStudy), "00080020": attr("DA", "20000101"), "00081030": attr("LO", "Fixture study"),
		"00080061": attr("CS", "SEG"), "00201206": attr("IS", 1), "00201208": attr("IS", 1), "00080050": attr("SH", "ACC9"),
		"00100010": attr("PN", map[string]string{"Alphabetic": "Fixture^Synthetic"}), "00100020": attr("LO", "FIX-1")}
	series := map[string]any{"0020000D": attr("UI", segStudy), "0020000E": attr("UI", segSer), "00080060": attr("CS", "SEG"),
		"00200011": attr("IS", 3), "00201209": attr("IS", 1), "0008103E": attr("LO", "Labels")}
	inst := map[string]any{"0020000D": attr("UI", segStudy), "0020000E": attr("UI", segSer), "00080018": attr("UI", segSOP),
		"00080060": attr("CS", "SEG"), "00200013": attr("IS", 1)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "tester" || p != "pw-9" {
			w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
			w.WriteHeader(401)
			return
		}
		p := strings.TrimPrefix(r.URL.Path, "/dicom-web")
		js := func(v any) { json.NewEncoder(w).Encode([]any{v}) }
		switch {
		case r.Method == "POST" && p == "/studies":
			_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			mr := multipart.NewReader(r.Body, params["boundary"])
			var refs []any
			for {
				part, err := mr.NextPart()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(part)
				if bytes.Equal(b, seg) {
					refs = append(refs, map[string]any{"00081155": attr("UI", segSOP)})
					n++
				}
			}
			json.NewEncoder(w).Encode(map[string]any{"00081199": map[string]any{"vr": "SQ", "Value": refs}})
		case p == "/studies":
			js(study)
		case p == "/studies/"+segStudy+"/series" || p == "/series":
			js(series)
		case p == "/studies/"+segStudy+"/series/"+segSer+"/instances":
			js(inst)
		case p == "/studies/"+segStudy+"/series/"+segSer || p == "/studies/"+segStudy+"/series/"+segSer+"/instances/"+segSOP:
			mw := multipart.NewWriter(w)
			w.Header().Set("Content-Type", `multipart/related; type="application/dicom"; boundary=`+mw.Boundary())
			pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/dicom"}})
			pw.Write(seg)
			mw.Close()
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"Message":"Accessing an inexistent item"}`)
		}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/dicom-web", &n
}

func secretFile(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPACSUsage(t *testing.T) {
	pw := secretFile(t, "pw-9")
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
	pw := secretFile(t, "pw-9")
	code, out, errs := cli(t, "pacs", "query", "--url", url, "--user", "tester", "--password-file", pw, "--modality", "SEG", "--date", "20000101-20001231")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, segStudy) || !strings.Contains(out, "2000-01-01") || !strings.Contains(out, "Fixture study") {
		t.Errorf("table:\n%s", out)
	}
	if strings.Contains(out+errs, "Synthetic") || strings.Contains(out+errs, "FIX-1") || strings.Contains(out+errs, "ACC9") {
		t.Errorf("patient data without --phi:\n%s", out)
	}
	_, out, _ = cli(t, "pacs", "query", "--url", url, "--user", "tester", "--password-file", pw, "--phi")
	if !strings.Contains(out, "Fixture^Synthetic") || !strings.Contains(out, "FIX-1") {
		t.Errorf("--phi table:\n%s", out)
	}
	code, out, _ = cli(t, "pacs", "query", "--url", url, "--user", "tester", "--password-file", pw, "--level", "series", "--json")
	var rs []pacsResult
	if err := json.Unmarshal([]byte(out), &rs); code != 0 || err != nil || len(rs) != 1 || rs[0].SeriesInstanceUID != segSer ||
		rs[0].Modality != "SEG" || rs[0].Instances != 1 || rs[0].PatientName != "" {
		t.Errorf("--json: exit %d, %v, %+v", code, err, rs)
	}
	bad := secretFile(t, "wrong-7")
	code, _, errs = cli(t, "pacs", "query", "--url", url, "--user", "tester", "--password-file", bad)
	if code != 1 || !strings.Contains(errs, "wrong user name or password") || strings.Contains(errs, "wrong-7") {
		t.Errorf("wrong password: exit %d, %q", code, errs)
	}
}

func TestPACSRetrieveStore(t *testing.T) {
	url, stored := fakeDICOMweb(t)
	pw := secretFile(t, "pw-9")
	dir := t.TempDir()
	args := []string{"pacs", "retrieve", "--url", url, "--user", "tester", "--password-file", pw, "--study", segStudy, "--out", dir}
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
	code, out, errs = cli(t, "pacs", "retrieve", "--url", url, "--user", "tester", "--password-file", pw, "--study", "1.2.3", "--out", dir)
	if code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("unknown study: exit %d, %s", code, errs)
	}
	notDICOM := filepath.Join(t.TempDir(), "x.dcm")
	os.WriteFile(notDICOM, []byte("nope"), 0o644)
	code, out, errs = cli(t, "pacs", "store", "--url", url, "--user", "tester", "--password-file", pw, segPath, notDICOM)
	if code != 1 || *stored != 1 || !strings.Contains(out, "stored 1 of 2 files") || !strings.Contains(out, "x.dcm: not a DICOM file") {
		t.Errorf("store: exit %d, %d stored, %s %s", code, *stored, out, errs)
	}
}

func TestPACSKeyring(t *testing.T) {
	keyring.MockInit()
	url, _ := fakeDICOMweb(t)
	code, _, errs := cli(t, "pacs", "query", "--url", url, "--user", "tester")
	if code != 2 || !strings.Contains(errs, "pacs keyring") {
		t.Errorf("no password anywhere: exit %d, %s", code, errs)
	}
	if err := pacsKeyring([]string{"--url", url, "--user", "tester"}, strings.NewReader("pw-9\n"), io.Discard); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "pacs", "query", "--url", url, "--user", "tester")
	if code != 0 || !strings.Contains(out, segStudy) {
		t.Errorf("password from the keyring: exit %d, %s %s", code, out, errs)
	}
}
