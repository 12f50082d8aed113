package nnunet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"delineate/viewer"
	"delineate/viewer/nifti"
)

// Finding is one message of a verification: Error findings make the
// dataset unusable for nnU-Net, warnings do not.
type Finding struct {
	Error   bool
	Message string
}

// Report is the outcome of Verify.
type Report struct {
	Findings []Finding
	Cases    int
}

// OK is true when no finding is an error.
func (r *Report) OK() bool {
	for _, f := range r.Findings {
		if f.Error {
			return false
		}
	}
	return true
}

// DoneMessage is what nnU-Net prints at the end of a verification.
const DoneMessage = "verify_dataset_integrity Done. \nIf you didn't see any error messages then your dataset is most likely OK!"

func (r *Report) errorf(format string, a ...any) {
	r.Findings = append(r.Findings, Finding{true, fmt.Sprintf(format, a...)})
}
func (r *Report) warnf(format string, a ...any) {
	r.Findings = append(r.Findings, Finding{false, fmt.Sprintf(format, a...)})
}

// Case is a training case: its channel files, in channel order, and its
// label file.
type Case struct {
	ID     string
	Images []string
	Label  string
}

// Dataset is a parsed dataset.json.
type Dataset struct {
	ChannelNames map[string]string
	Labels       []LabelEntry // in file order
	NumTraining  int
	FileEnding   string
	Raw          map[string]json.RawMessage
}

// LabelEntry is a name → value entry of "labels"; Values has more than
// one element for a region.
type LabelEntry struct {
	Name    string
	Values  []int
	Invalid string // the raw value when it is not an integer or a list of them
}

var requiredKeys = []string{"labels", "channel_names", "numTraining", "file_ending"}

// Verify checks the dataset folder as nnU-Net's verify_dataset_integrity
// does, in its order; where nnU-Net stops at an assertion, Verify stops.
func Verify(folder string) *Report {
	r := &Report{}
	b, err := os.ReadFile(filepath.Join(folder, "dataset.json"))
	if err != nil {
		r.errorf("There needs to be a dataset.json file in folder, folder=%s", folder)
		return r
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		r.errorf("dataset.json is not valid JSON: %v", err)
		return r
	}
	if _, ok := raw["dataset"]; !ok {
		for _, sub := range []string{"imagesTr", "labelsTr"} {
			if st, err := os.Stat(filepath.Join(folder, sub)); err != nil || !st.IsDir() {
				r.errorf("There needs to be a %s subfolder in folder, folder=%s", sub, folder)
				return r
			}
		}
	}
	var missing []string
	for _, k := range requiredKeys {
		if _, ok := raw[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		present := make([]string, 0, len(raw))
		for k := range raw {
			present = append(present, k)
		}
		sort.Strings(present)
		r.errorf("not all required keys are present in dataset.json.\n\nRequired: \n%s\n\nPresent: \n%s\n\nMissing: \n%s",
			pyList(requiredKeys), pyList(present), pyList(missing))
		return r
	}
	ds, err := parseDataset(raw)
	if err != nil {
		r.errorf("%v", err)
		return r
	}
	cases, err := trainingCases(folder, ds.FileEnding)
	if err != nil {
		r.errorf("%v", err)
		return r
	}
	r.Cases = len(cases)
	if len(cases) != ds.NumTraining {
		ex := []string{}
		for i, c := range cases {
			if i == 5 {
				break
			}
			ex = append(ex, c.ID)
		}
		r.errorf("Did not find the expected number of training cases (%d). Found %d instead.\nExamples: %s", ds.NumTraining, len(cases), pyList(ex))
		return r
	}
	var missingLabels []string
	for i := range cases {
		p := filepath.Join(folder, "labelsTr", cases[i].ID+ds.FileEnding)
		if _, err := os.Stat(p); err != nil {
			missingLabels = append(missingLabels, cases[i].ID)
		}
		cases[i].Label = p
	}
	if len(missingLabels) > 0 {
		r.errorf("not all training cases have a label file in labelsTr. Fix that. Missing: %s", pyList(missingLabels))
		return r
	}
	expected, err := expectedLabels(ds.Labels)
	if err != nil {
		r.errorf("%v", err)
		return r
	}
	var bad []string
	for i := 1; i < len(expected); i++ {
		if expected[i]-expected[i-1] != 1 {
			bad = append(bad, strconv.Itoa(expected[i]))
		}
	}
	if len(bad) > 0 {
		r.errorf("Labels must be in consecutive order (0, 1, 2, ...). The labels [%s] do not satisfy this restriction", strings.Join(bad, " "))
		return r
	}
	if ds.FileEnding != ".nii.gz" && ds.FileEnding != ".nii" {
		r.errorf("file_ending %q: Delineate reads NIfTI datasets (.nii.gz, .nii) only", ds.FileEnding)
		return r
	}
	want := map[int]bool{}
	for _, v := range expected {
		want[v] = true
	}
	// Cases are checked in parallel (nnU-Net uses a process pool), each
	// into its own report, merged in case order.
	subs := make([]*Report, len(cases))
	badLabels := make([]bool, len(cases))
	badImages := make([]bool, len(cases))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < max(1, min(runtime.GOMAXPROCS(0), len(cases))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				subs[i] = &Report{}
				badLabels[i], badImages[i] = checkLabelsAndCase(subs[i], cases[i], want, expected, len(ds.ChannelNames))
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	unexpected, images := false, false
	for i := range cases {
		r.Findings = append(r.Findings, subs[i].Findings...)
		unexpected = unexpected || badLabels[i]
		images = images || badImages[i]
	}
	if unexpected {
		r.errorf("Some segmentation images contained unexpected labels. Please check text output above to see which one(s).")
		return r
	}
	if images {
		r.errorf("Some images have errors. Please check text output above to see which one(s) and what's going on.")
	}
	return r
}

// checkLabelsAndCase is verify_labels and check_cases for one case; it
// returns whether the labels and whether the images had errors.
func checkLabelsAndCase(r *Report, c Case, want map[int]bool, expected []int, channels int) (badLabels, badImages bool) {
	lab, err := nifti.Read(c.Label)
	if err != nil {
		r.errorf("Error: could not read %s: %v", c.Label, err)
		return true, false
	}
	found := foundLabels(lab)
	var odd []int
	for _, v := range found {
		if !want[v] {
			odd = append(odd, v)
		}
	}
	if len(found) == 1 && found[0] == 0 {
		r.warnf("WARNING: File %s only has label 0 (which should be background). This may be intentional or not, up to you.", c.Label)
	}
	if len(odd) > 0 || hasNaN(lab) {
		r.errorf("Error: Unexpected labels found in file %s.\nExpected: %s\nFound: %s", c.Label, pyInts(expected), npInts(found))
		badLabels = true
	}
	badImages = !checkCase(r, c, lab, channels)
	return badLabels, badImages
}

// checkCase compares a case's channels with its label map: NaN, shape,
// spacing (nnU-Net's np.allclose tolerance), channel count; origin and
// direction only warn.
func checkCase(r *Report, c Case, lab *viewer.Volume, channels int) bool {
	ok := true
	imgs := pyList(c.Images)
	var first *viewer.Geometry
	for _, p := range c.Images {
		// The grid comes from the header; the voxels are read only when
		// they could hold a NaN (float data).
		h, err := nifti.ReadHeader(p)
		if err != nil {
			r.errorf("Error: could not read %s: %v", p, err)
			return false
		}
		g, _ := h.Geometry()
		if first == nil {
			first = &g
		}
		nan := false
		if !h.Integer() {
			v, err := nifti.Read(p)
			if err != nil {
				r.errorf("Error: could not read %s: %v", p, err)
				return false
			}
			nan = hasNaN(v)
		}
		if nan {
			r.errorf("Images contain NaN pixel values. You need to fix that by replacing NaN values with something that makes sense for your images!\nImages:\n%s", imgs)
			ok = false
		}
		if g.Dims != first.Dims {
			r.errorf("Error: Shape mismatch between the channels of a case. \nImage files: %s.", imgs)
			return false
		}
	}
	if hasNaN(lab) {
		r.errorf("Segmentation contains NaN pixel values. You need to fix that.\nSegmentation:\n%s", c.Label)
		ok = false
	}
	if first.Dims != lab.Dims {
		r.errorf("Error: Shape mismatch between segmentation and corresponding images. \nShape images: %s. \nShape seg: %s. \nImage files: %s. \nSeg file: %s\n",
			pyShape(first.Dims), pyShape(lab.Dims), imgs, c.Label)
		ok = false
	}
	if !allClose(first.Spacing[:], lab.Spacing[:]) {
		r.errorf("Error: Spacing mismatch between segmentation and corresponding images. \nSpacing images: %s. \nSpacing seg: %s. \nImage files: %s. \nSeg file: %s\n",
			pyFloats(first.Spacing[:]), pyFloats(lab.Spacing[:]), imgs, c.Label)
		ok = false
	}
	if len(c.Images) != channels {
		r.errorf("Error: Unexpected number of modalities. \nExpected: %d. \nGot: %d. \nImages: %s\n", channels, len(c.Images), imgs)
		ok = false
	}
	if !allClose(first.Origin[:], lab.Origin[:]) {
		r.warnf("Warning: Origin mismatch between segmentation and corresponding images. \nOrigin images: %s. \nOrigin seg: %s. \nImage files: %s. \nSeg file: %s\n",
			pyFloats(first.Origin[:]), pyFloats(lab.Origin[:]), imgs, c.Label)
	}
	var di, dl []float64
	for a := 0; a < 3; a++ {
		di = append(di, first.Direction[a][:]...)
		dl = append(dl, lab.Direction[a][:]...)
	}
	if !allClose(di, dl) {
		r.warnf("Warning: Direction mismatch between segmentation and corresponding images. \nDirection images: %s. \nDirection seg: %s. \nImage files: %s. \nSeg file: %s\n",
			pyFloats(di), pyFloats(dl), imgs, c.Label)
	}
	return ok
}

func parseDataset(raw map[string]json.RawMessage) (*Dataset, error) {
	ds := &Dataset{Raw: raw}
	if err := json.Unmarshal(raw["channel_names"], &ds.ChannelNames); err != nil {
		return nil, fmt.Errorf("channel_names must map \"0\", \"1\", … to names: %v", err)
	}
	if err := json.Unmarshal(raw["numTraining"], &ds.NumTraining); err != nil {
		return nil, fmt.Errorf("numTraining must be an integer: %v", err)
	}
	if err := json.Unmarshal(raw["file_ending"], &ds.FileEnding); err != nil {
		return nil, fmt.Errorf("file_ending must be a string: %v", err)
	}
	labels, err := orderedLabels(raw["labels"])
	if err != nil {
		return nil, err
	}
	ds.Labels = labels
	return ds, nil
}

// orderedLabels reads "labels" keeping the file's key order, which
// nnU-Net relies on for regions. Values are integers or lists of them.
func orderedLabels(b json.RawMessage) ([]LabelEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("labels must be an object mapping names to integers")
	}
	var out []LabelEntry
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		e := LabelEntry{Name: name}
		var one float64
		var many []float64
		switch {
		case json.Unmarshal(v, &one) == nil:
			e.Values = []int{int(one)}
			if one != math.Trunc(one) {
				return nil, fmt.Errorf("label %q: %v is not an integer", name, one)
			}
		case json.Unmarshal(v, &many) == nil:
			for _, x := range many {
				e.Values = append(e.Values, int(x))
			}
		default:
			// The v1 form, id → name, has names for values; nnU-Net
			// reports the missing background first, so that is kept for
			// expectedLabels to say.
			e.Invalid = string(v)
		}
		out = append(out, e)
	}
	return out, nil
}

// expectedLabels is LabelManager's all_labels: the background check, then
// every value, sorted and unique.
func expectedLabels(entries []LabelEntry) ([]int, error) {
	var bg *LabelEntry
	for i := range entries {
		if entries[i].Name == "background" {
			bg = &entries[i]
		}
	}
	if bg == nil {
		return nil, fmt.Errorf("Background label not declared (remember that this should be label 0!)")
	}
	if len(bg.Values) != 1 {
		return nil, fmt.Errorf("Background label must be 0. Not a list. Not a tuple. Your background label: %s", pyInts(bg.Values))
	}
	if bg.Values[0] != 0 {
		return nil, fmt.Errorf("Background label must be 0. Your background label: %d", bg.Values[0])
	}
	for _, e := range entries {
		if e.Invalid != "" {
			return nil, fmt.Errorf("label %q maps to %s, not an integer: labels must map name → integer (the reverse is nnU-Net v1's form)", e.Name, e.Invalid)
		}
	}
	seen := map[int]bool{}
	var all []int
	for _, e := range entries {
		for _, v := range e.Values {
			if !seen[v] {
				seen[v] = true
				all = append(all, v)
			}
		}
	}
	sort.Ints(all)
	return all, nil
}

// trainingCases lists imagesTr as nnU-Net does: a case id is a file name
// without "_cccc" and the file ending; its channels are the files named
// exactly id_dddd+ending, sorted.
func trainingCases(folder, ending string) ([]Case, error) {
	dir := filepath.Join(folder, "imagesTr")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ending) {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	ids := []string{}
	seen := map[string]bool{}
	for _, f := range files {
		if len(f) < len(ending)+5 {
			continue
		}
		id := f[:len(f)-len(ending)-5]
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var cases []Case
	for _, id := range ids {
		re := regexp.MustCompile("^" + regexp.QuoteMeta(id) + `_\d\d\d\d` + regexp.QuoteMeta(ending) + "$")
		c := Case{ID: id}
		for _, f := range files {
			if re.MatchString(f) {
				c.Images = append(c.Images, filepath.Join(dir, f))
			}
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func foundLabels(v *viewer.Volume) []int {
	var out []int
	mark := func(seen []bool) []int {
		for k, ok := range seen {
			if ok {
				out = append(out, k)
			}
		}
		return out
	}
	switch d := v.Data.Raw().(type) {
	case []uint8:
		var seen [256]bool
		for _, x := range d {
			seen[x] = true
		}
		return mark(seen[:])
	case []uint16:
		seen := make([]bool, 65536)
		for _, x := range d {
			seen[x] = true
		}
		return mark(seen)
	}
	set := map[int]bool{}
	n := v.Data.Len()
	for i := 0; i < n; i++ {
		x := v.Data.At(i)
		if x != x {
			continue
		}
		set[int(x)] = true
	}
	for k := range set {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func hasNaN(v *viewer.Volume) bool {
	f, ok := v.Data.Raw().([]float32)
	if !ok {
		return false
	}
	for _, x := range f {
		if x != x {
			return true
		}
	}
	return false
}

// allClose is numpy's allclose: |a − b| ≤ 1e-8 + 1e-5·|b|.
func allClose(a, b []float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-8+1e-5*math.Abs(b[i]) {
			return false
		}
	}
	return true
}

// Python's and numpy's spellings, so the messages read as nnU-Net's.
func pyList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = "'" + x + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func pyInts(v []int) string {
	q := make([]string, len(v))
	for i, x := range v {
		q[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func npInts(v []int) string {
	q := make([]string, len(v))
	for i, x := range v {
		q[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(q, " ") + "]"
}

// pyShape is a shape as nnU-Net prints it: (z, y, x), the reverse of the
// NIfTI (i, j, k) order, since SimpleITK arrays are k-slowest.
func pyShape(d [3]int) string { return fmt.Sprintf("(%d, %d, %d)", d[2], d[1], d[0]) }

func pyFloats(v []float64) string {
	q := make([]string, len(v))
	for i, x := range v {
		q[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
