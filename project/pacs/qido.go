package pacs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// Level is the QIDO-RS query level.
type Level int

const (
	Studies Level = iota
	Series
	Instances
)

func (l Level) String() string {
	return [...]string{"study", "series", "instance"}[l]
}

// ParseLevel reads "study", "series" or "instance" (plurals too).
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(s) {
	case "study", "studies":
		return Studies, nil
	case "series":
		return Series, nil
	case "instance", "instances":
		return Instances, nil
	}
	return 0, fmt.Errorf("level %q: want study, series or instance", s)
}

// Query is a QIDO-RS search. Empty fields do not filter. PatientName
// accepts the DICOM wildcards * and ?; Orthanc matches it without regard
// to case.
type Query struct {
	Level             Level
	StudyInstanceUID  string // one UID, or several separated by commas
	SeriesInstanceUID string // with Level Instances, or to filter series
	PatientID         string
	PatientName       string
	AccessionNumber   string
	// Modality filters series and instances (Modality) or studies
	// (ModalitiesInStudy).
	Modality string
	// DateFrom and DateTo (YYYYMMDD, inclusive) bound StudyDate; either may
	// be empty for an open range. ParseDateRange reads "A-B".
	DateFrom, DateTo string
	// IncludeFields asks for more attributes (keywords or 8-hex-digit
	// tags); they come back in Result.Attrs.
	IncludeFields []string
	Limit, Offset int
	// Extra holds further QIDO parameters as sent (e.g. "00180015").
	Extra url.Values
}

// ParseDateRange reads "YYYYMMDD", "A-B", "A-" or "-B" (dashes inside
// dates, 2023-01-31, are accepted too when the range uses " - " or "..").
func ParseDateRange(s string) (from, to string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", nil
	}
	var a, b string
	switch {
	case strings.Contains(s, ".."):
		a, b, _ = strings.Cut(s, "..")
	case strings.Contains(s, " - "):
		a, b, _ = strings.Cut(s, " - ")
	case strings.Count(s, "-") == 1:
		a, b, _ = strings.Cut(s, "-")
	case strings.Count(s, "-") == 0:
		a, b = s, s
	default:
		return "", "", fmt.Errorf("date %q: want YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYYMMDD- or -YYYYMMDD", s)
	}
	norm := func(d string) (string, error) {
		d = strings.ReplaceAll(strings.TrimSpace(d), "-", "")
		if d == "" {
			return "", nil
		}
		if len(d) != 8 {
			return "", fmt.Errorf("date %q: want YYYYMMDD", d)
		}
		if _, err := strconv.Atoi(d); err != nil {
			return "", fmt.Errorf("date %q: want YYYYMMDD", d)
		}
		return d, nil
	}
	if from, err = norm(a); err != nil {
		return "", "", err
	}
	if to, err = norm(b); err != nil {
		return "", "", err
	}
	if from == "" && to == "" {
		return "", "", fmt.Errorf("date %q: no date", s)
	}
	if from != "" && to != "" && from > to {
		return "", "", fmt.Errorf("date range %s-%s: the start is after the end", from, to)
	}
	return from, to, nil
}

// path and parameters of q.
func (q Query) request() (string, url.Values, error) {
	v := url.Values{}
	for k, vs := range q.Extra {
		v[k] = append([]string(nil), vs...)
	}
	var path string
	switch q.Level {
	case Studies:
		path = "/studies"
		if q.SeriesInstanceUID != "" {
			v.Set("SeriesInstanceUID", q.SeriesInstanceUID)
		}
		if q.Modality != "" {
			v.Set("ModalitiesInStudy", q.Modality)
		}
	case Series, Instances:
		seg := "/series"
		if q.Level == Instances {
			seg = "/instances"
		}
		switch {
		case q.StudyInstanceUID != "" && !strings.Contains(q.StudyInstanceUID, ",") && validUID(q.StudyInstanceUID):
			path = "/studies/" + q.StudyInstanceUID
			if q.Level == Instances && q.SeriesInstanceUID != "" && validUID(q.SeriesInstanceUID) {
				path += "/series/" + q.SeriesInstanceUID
			} else if q.SeriesInstanceUID != "" {
				v.Set("SeriesInstanceUID", q.SeriesInstanceUID)
			}
			path += seg
		default:
			path = seg
			if q.StudyInstanceUID != "" {
				v.Set("StudyInstanceUID", q.StudyInstanceUID)
			}
			if q.SeriesInstanceUID != "" {
				v.Set("SeriesInstanceUID", q.SeriesInstanceUID)
			}
		}
		if q.Modality != "" {
			v.Set("Modality", q.Modality)
		}
	default:
		return "", nil, fmt.Errorf("pacs: unknown query level %d", q.Level)
	}
	if q.Level == Studies && q.StudyInstanceUID != "" {
		v.Set("StudyInstanceUID", q.StudyInstanceUID)
	}
	if q.PatientID != "" {
		v.Set("PatientID", q.PatientID)
	}
	if q.PatientName != "" {
		v.Set("PatientName", q.PatientName)
	}
	if q.AccessionNumber != "" {
		v.Set("AccessionNumber", q.AccessionNumber)
	}
	if q.DateFrom != "" || q.DateTo != "" {
		d := q.DateFrom + "-" + q.DateTo
		if q.DateFrom == q.DateTo {
			d = q.DateFrom
		}
		v.Set("StudyDate", d)
	}
	if len(q.IncludeFields) > 0 {
		v.Set("includefield", strings.Join(q.IncludeFields, ","))
	}
	if q.Limit < 0 || q.Offset < 0 {
		return "", nil, fmt.Errorf("pacs: negative limit or offset")
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	return path, v, nil
}

// Attribute is one DICOM JSON attribute (PS3.18 F.2): Value holds strings,
// numbers (IS, DS and binary VRs' numbers), person names as
// {"Alphabetic": …} objects, or nested datasets for SQ.
type Attribute struct {
	VR    string            `json:"vr"`
	Value []json.RawMessage `json:"Value,omitempty"`
}

// Strings returns the values as text: strings as they are, numbers in
// their JSON form, person names by their Alphabetic group.
func (a Attribute) Strings() []string {
	var out []string
	for _, raw := range a.Value {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out = append(out, s)
			continue
		}
		var pn struct{ Alphabetic string }
		if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &pn) == nil {
			out = append(out, pn.Alphabetic)
			continue
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			out = append(out, n.String())
			continue
		}
		out = append(out, "")
	}
	return out
}

// String is the first value as text ("" when absent).
func (a Attribute) String() string {
	if s := a.Strings(); len(s) > 0 {
		return s[0]
	}
	return ""
}

// Int is the first value as an integer (IS is a JSON number in DICOM
// JSON; a string form is accepted too).
func (a Attribute) Int() (int, bool) {
	s := strings.TrimSpace(a.String())
	if s == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int(f)) {
		return int(f), true
	}
	return 0, false
}

// Dataset is a DICOM JSON object keyed by 8 uppercase hex digits.
type Dataset map[string]Attribute

// Get returns the attribute of a tag given as "0020000D" (any case).
func (d Dataset) Get(tag string) Attribute { return d[strings.ToUpper(tag)] }

// Result is one study, series or instance found by Search. PatientName and
// PatientID are patient data: show them only when the user asked for it,
// and never log them (String leaves them out).
type Result struct {
	Level             Level
	StudyInstanceUID  string
	SeriesInstanceUID string // series and instances
	SOPInstanceUID    string // instances
	SOPClassUID       string // instances
	StudyDate         string // YYYYMMDD
	StudyTime         string
	StudyDescription  string
	SeriesDescription string
	AccessionNumber   string
	Modality          string   // series and instances
	ModalitiesInStudy []string // studies
	SeriesNumber      int
	InstanceNumber    int
	NumberOfSeries    int // studies (00201206)
	NumberOfInstances int // studies (00201208), series (00201209)
	NumberOfFrames    int // multi-frame instances
	PatientName       string
	PatientID         string
	// Attrs is the whole answer, includefield attributes too.
	Attrs Dataset
}

// String describes r without patient data.
func (r Result) String() string {
	switch r.Level {
	case Studies:
		return fmt.Sprintf("study %s %s %q %s, %d series, %d instances", r.StudyInstanceUID, r.StudyDate,
			r.StudyDescription, strings.Join(r.ModalitiesInStudy, "/"), r.NumberOfSeries, r.NumberOfInstances)
	case Series:
		return fmt.Sprintf("series %s %s #%d %q, %d instances", r.SeriesInstanceUID, r.Modality, r.SeriesNumber,
			r.SeriesDescription, r.NumberOfInstances)
	}
	return fmt.Sprintf("instance %s %s #%d", r.SOPInstanceUID, r.Modality, r.InstanceNumber)
}

// GoString also leaves out patient data (a %#v in a log).
func (r Result) GoString() string { return "pacs.Result{" + r.String() + "}" }

// ParseResults reads a QIDO-RS response body (a JSON array of DICOM JSON
// objects) at level l, unsorted.
func ParseResults(r io.Reader, l Level) ([]Result, error) {
	var sets []Dataset
	dec := json.NewDecoder(io.LimitReader(r, 256<<20))
	if err := dec.Decode(&sets); err != nil {
		return nil, fmt.Errorf("QIDO response is not a DICOM JSON array: %w", err)
	}
	out := make([]Result, 0, len(sets))
	for _, d := range sets {
		out = append(out, resultOf(d, l))
	}
	return out, nil
}

func resultOf(d Dataset, l Level) Result {
	r := Result{Level: l, Attrs: d}
	r.StudyInstanceUID = d.Get("0020000D").String()
	r.SeriesInstanceUID = d.Get("0020000E").String()
	r.SOPInstanceUID = d.Get("00080018").String()
	r.SOPClassUID = d.Get("00080016").String()
	r.StudyDate = d.Get("00080020").String()
	r.StudyTime = d.Get("00080030").String()
	r.StudyDescription = d.Get("00081030").String()
	r.SeriesDescription = d.Get("0008103E").String()
	r.AccessionNumber = d.Get("00080050").String()
	r.Modality = d.Get("00080060").String()
	r.ModalitiesInStudy = d.Get("00080061").Strings()
	r.SeriesNumber, _ = d.Get("00200011").Int()
	r.InstanceNumber, _ = d.Get("00200013").Int()
	r.NumberOfSeries, _ = d.Get("00201206").Int()
	if l == Studies {
		r.NumberOfInstances, _ = d.Get("00201208").Int()
	} else {
		r.NumberOfInstances, _ = d.Get("00201209").Int()
	}
	r.NumberOfFrames, _ = d.Get("00280008").Int()
	r.PatientName = d.Get("00100010").String()
	r.PatientID = d.Get("00100020").String()
	return r
}

// SortResults orders results the way a list shows them: studies newest
// first, series and instances by number; UIDs break ties, so the order is
// stable whatever order the server used (Orthanc's is undefined).
func SortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		switch a.Level {
		case Studies:
			if a.StudyDate+a.StudyTime != b.StudyDate+b.StudyTime {
				return a.StudyDate+a.StudyTime > b.StudyDate+b.StudyTime
			}
		case Series:
			if a.StudyInstanceUID != b.StudyInstanceUID {
				return a.StudyInstanceUID < b.StudyInstanceUID
			}
			if a.SeriesNumber != b.SeriesNumber {
				return a.SeriesNumber < b.SeriesNumber
			}
		case Instances:
			if a.SeriesInstanceUID != b.SeriesInstanceUID {
				return a.SeriesInstanceUID < b.SeriesInstanceUID
			}
			if a.InstanceNumber != b.InstanceNumber {
				return a.InstanceNumber < b.InstanceNumber
			}
		}
		return a.StudyInstanceUID+"/"+a.SeriesInstanceUID+"/"+a.SOPInstanceUID <
			b.StudyInstanceUID+"/"+b.SeriesInstanceUID+"/"+b.SOPInstanceUID
	})
}

// Search runs q and returns the results sorted by SortResults. With a
// Limit, the server picks which results fall in the page (its order is
// undefined, so pages are not in sorted order across pages).
func (c *Client) Search(ctx context.Context, q Query) ([]Result, error) {
	path, v, err := q.request()
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{op: "search", method: "GET", path: path, query: v,
		header: map[string][]string{"Accept": {"application/dicom+json"}}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == 204 {
		return nil, nil
	}
	rs, err := ParseResults(resp.Body, q.Level)
	if err != nil {
		return nil, c.wrapRead("search", path, err)
	}
	SortResults(rs)
	return rs, nil
}

// wrapRead classifies an error reading a body: cancel, dropped connection,
// or an answer that does not parse.
func (c *Client) wrapRead(op, path string, err error) error {
	e := c.wrap(op, path, err).(*Error)
	if e.Kind == KindUnreachable {
		if _, ok := err.(*json.SyntaxError); ok || strings.HasPrefix(err.Error(), "QIDO response") {
			e.Kind = KindProtocol
		}
	}
	return e
}

// TagKey turns an attribute keyword (SliceThickness) or tag (00180050,
// any case) into the key of DICOM JSON ("00180050"); ok is false for a
// name the dictionary does not know.
func TagKey(name string) (key string, ok bool) {
	name = strings.TrimSpace(name)
	if len(name) == 8 && strings.Trim(strings.ToUpper(name), "0123456789ABCDEF") == "" {
		return strings.ToUpper(name), true
	}
	info, err := tag.FindByName(name)
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%04X%04X", info.Tag.Group, info.Tag.Element), true
}

// Check asks the server for one study: nil when the URL, the credentials
// and the DICOMweb service all work (a "Test connection" button), else an
// *Error whose Kind says which did not.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.Search(ctx, Query{Level: Studies, Limit: 1})
	return err
}
