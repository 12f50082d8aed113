// Package pacstest is an in-process DICOMweb server for tests of code that
// uses project/pacs (the CLI, the GUI): QIDO-RS at study, series and
// instance level, WADO-RS of a study, series or instance as
// multipart/related, and STOW-RS, over DICOM files given to it, behind
// HTTP Basic authentication. It answers as Debian's Orthanc 1.10 with the
// DICOMweb plugin 1.7 does (../shared/specs/dicomweb.md): DICOM JSON with
// IS/DS as numbers, no Value for empty attributes, 401 with an empty body,
// 404 for unknown UIDs, a STOW answer listing what was stored. project/pacs's
// own tests run the real Orthanc; this is for the layers above it, which
// must not need one.
package pacstest

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
	"sort"
	"strings"
	"sync"
	"testing"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// The credentials the server accepts.
const (
	User     = "tester"
	Password = "s3cret"
)

// Instance is one DICOM object the server holds.
type Instance struct {
	Study, Series, SOP, SOPClass   string
	Modality, StudyDate, StudyDesc string
	SeriesDesc, Accession          string
	PatientName, PatientID         string
	SeriesNumber, InstanceNumber   int
	Data                           []byte
}

// Server is the fake. Its fields are safe to read under Lock.
type Server struct {
	*httptest.Server
	mu        sync.Mutex
	instances []Instance
	// Stored counts the instances STOW-RS stored.
	stored int
}

// New starts a server holding the DICOM files at paths; it stops when the
// test ends.
func New(t testing.TB, paths ...string) *Server {
	t.Helper()
	s := &Server{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in, err := parse(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		s.instances = append(s.instances, in)
	}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// Root is the DICOMweb root URL.
func (s *Server) Root() string { return s.URL + "/dicom-web" }

// Stored returns the instances STOW-RS stored, in order.
func (s *Server) Stored() []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Instance
	for _, in := range s.instances[len(s.instances)-s.stored:] {
		out = append(out, in)
	}
	return out
}

func parse(b []byte) (Instance, error) {
	ds, err := dcm.ParseUntilEOF(bytes.NewReader(b), nil, dcm.SkipPixelData())
	if err != nil {
		return Instance{}, err
	}
	str := func(t tag.Tag) string {
		e, err := ds.FindElementByTag(t)
		if err != nil || e.Value == nil {
			return ""
		}
		switch v := e.Value.GetValue().(type) {
		case []string:
			return strings.TrimSpace(strings.Join(v, `\`))
		case []int:
			if len(v) > 0 {
				return fmt.Sprint(v[0])
			}
		}
		return ""
	}
	num := func(t tag.Tag) int {
		var n int
		fmt.Sscan(str(t), &n)
		return n
	}
	in := Instance{Study: str(tag.StudyInstanceUID), Series: str(tag.SeriesInstanceUID), SOP: str(tag.SOPInstanceUID),
		SOPClass: str(tag.SOPClassUID), Modality: str(tag.Modality), StudyDate: str(tag.StudyDate),
		StudyDesc: str(tag.StudyDescription), SeriesDesc: str(tag.SeriesDescription), Accession: str(tag.AccessionNumber),
		PatientName: str(tag.PatientName), PatientID: str(tag.PatientID),
		SeriesNumber: num(tag.SeriesNumber), InstanceNumber: num(tag.InstanceNumber), Data: b}
	if in.Study == "" || in.Series == "" || in.SOP == "" {
		return in, fmt.Errorf("empty Study, Series or SOP Instance UID")
	}
	return in, nil
}

func attr(vr string, v any) map[string]any {
	if s, ok := v.(string); ok && s == "" {
		return map[string]any{"vr": vr}
	}
	if vr == "PN" {
		v = map[string]string{"Alphabetic": v.(string)}
	}
	return map[string]any{"vr": vr, "Value": []any{v}}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != User || p != Password {
		w.Header().Set("WWW-Authenticate", `Basic realm="Orthanc Secure Area"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/dicom-web"), "/"), "/")
	if r.Method == http.MethodPost {
		if len(parts) >= 1 && parts[0] == "studies" {
			s.stow(w, r)
			return
		}
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// The path: studies[/ST[/series[/SE[/instances[/IN]]]]], or series or
	// instances at the top.
	var study, series, sop, level string
	switch {
	case len(parts) == 1 && (parts[0] == "studies" || parts[0] == "series" || parts[0] == "instances"):
		level = parts[0]
	case len(parts) == 2 && parts[0] == "studies":
		study = parts[1]
	case len(parts) == 3 && parts[0] == "studies" && (parts[2] == "series" || parts[2] == "instances"):
		study, level = parts[1], parts[2]
	case len(parts) == 4 && parts[0] == "studies" && parts[2] == "series":
		study, series = parts[1], parts[3]
	case len(parts) == 5 && parts[0] == "studies" && parts[2] == "series" && parts[4] == "instances":
		study, series, level = parts[1], parts[3], "instances"
	case len(parts) == 6 && parts[0] == "studies" && parts[2] == "series" && parts[4] == "instances":
		study, series, sop = parts[1], parts[3], parts[5]
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"Message":"Unknown resource"}`)
		return
	}
	q := r.URL.Query()
	match := func(in Instance) bool {
		if study != "" && in.Study != study || series != "" && in.Series != series || sop != "" && in.SOP != sop {
			return false
		}
		for _, k := range []string{"StudyInstanceUID", "0020000D"} {
			if v := q.Get(k); v != "" && !strings.Contains(","+v+",", ","+in.Study+",") {
				return false
			}
		}
		if v := q.Get("Modality"); v != "" && in.Modality != v {
			return false
		}
		if v := q.Get("ModalitiesInStudy"); v != "" && !s.studyHas(in.Study, v) {
			return false
		}
		if v := q.Get("PatientID"); v != "" && in.PatientID != v {
			return false
		}
		if v := q.Get("StudyDate"); v != "" && !inRange(in.StudyDate, v) {
			return false
		}
		return true
	}
	var hits []Instance
	for _, in := range s.instances {
		if match(in) {
			hits = append(hits, in)
		}
	}
	if level == "" { // WADO-RS
		if len(hits) == 0 {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"Message":"Accessing an inexistent item"}`)
			return
		}
		mw := multipart.NewWriter(w)
		w.Header().Set("Content-Type", `multipart/related; type="application/dicom"; boundary=`+mw.Boundary())
		for _, in := range hits {
			pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/dicom"}})
			pw.Write(in.Data)
		}
		mw.Close()
		return
	}
	out := []map[string]any{}
	seen := map[string]bool{}
	for _, in := range hits {
		key := in.Study
		if level == "series" {
			key = in.Series
		} else if level == "instances" {
			key = in.SOP
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		d := map[string]any{"0020000D": attr("UI", in.Study), "00080020": attr("DA", in.StudyDate),
			"00081030": attr("LO", in.StudyDesc), "00080050": attr("SH", in.Accession),
			"00100010": attr("PN", in.PatientName), "00100020": attr("LO", in.PatientID)}
		switch level {
		case "studies":
			d["00080061"] = map[string]any{"vr": "CS", "Value": s.modalities(in.Study)}
			d["00201206"] = attr("IS", s.count(func(x Instance) string { return x.Series }, in.Study, ""))
			d["00201208"] = attr("IS", s.count(func(x Instance) string { return x.SOP }, in.Study, ""))
		case "series":
			d["0020000E"] = attr("UI", in.Series)
			d["00080060"] = attr("CS", in.Modality)
			d["0008103E"] = attr("LO", in.SeriesDesc)
			d["00200011"] = attr("IS", in.SeriesNumber)
			d["00201209"] = attr("IS", s.count(func(x Instance) string { return x.SOP }, in.Study, in.Series))
		default:
			d["0020000E"] = attr("UI", in.Series)
			d["00080018"] = attr("UI", in.SOP)
			d["00080016"] = attr("UI", in.SOPClass)
			d["00080060"] = attr("CS", in.Modality)
			d["00200013"] = attr("IS", in.InstanceNumber)
		}
		out = append(out, d)
	}
	w.Header().Set("Content-Type", "application/dicom+json")
	json.NewEncoder(w).Encode(out)
}

func inRange(date, r string) bool {
	from, to, ok := strings.Cut(r, "-")
	if !ok {
		return date == r
	}
	return (from == "" || date >= from) && (to == "" || date <= to)
}

func (s *Server) studyHas(study, modality string) bool {
	for _, m := range s.modalities(study) {
		if m == modality {
			return true
		}
	}
	return false
}

func (s *Server) modalities(study string) []string {
	set := map[string]bool{}
	for _, in := range s.instances {
		if in.Study == study {
			set[in.Modality] = true
		}
	}
	var out []string
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func (s *Server) count(key func(Instance) string, study, series string) int {
	set := map[string]bool{}
	for _, in := range s.instances {
		if in.Study == study && (series == "" || in.Series == series) {
			set[key(in)] = true
		}
	}
	return len(set)
}

// stow stores every part that is DICOM with its UIDs, and lists those in
// ReferencedSOPSequence; others are left out of the answer, as Orthanc
// leaves instances with empty UIDs.
func (s *Server) stow(w http.ResponseWriter, r *http.Request) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" || params["type"] == "" {
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	refs := []any{}
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		in, err := parse(b)
		if err != nil {
			continue
		}
		s.mu.Lock()
		s.instances = append(s.instances, in)
		s.stored++
		s.mu.Unlock()
		refs = append(refs, map[string]any{"00081150": attr("UI", in.SOPClass), "00081155": attr("UI", in.SOP)})
	}
	w.Header().Set("Content-Type", "application/dicom+json")
	json.NewEncoder(w).Encode(map[string]any{"00081199": map[string]any{"vr": "SQ", "Value": refs}, "00081198": map[string]any{"vr": "SQ"}})
}
