package project

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"delineate/viewer"
)

// FileName is the project file inside a project folder.
const FileName = "project.json"

// FormatVersion is the project file's format.
const FormatVersion = 1

// Project is an annotation project: its label table, its cases.
type Project struct {
	Format   int       `json:"format"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Labels   []Label   `json:"labels"`
	Cases    []*Case   `json:"cases"`
	NextCase int       `json:"next_case"` // the number the next case id gets

	// Recovered says, after a crash, that the project was reopened from
	// its last autosave ("" after a clean close).
	Recovered string `json:"-"`

	// mu guards the project against the UI and its autosave goroutine.
	mu       sync.Mutex
	dir      string
	lock     *Lock
	readOnly string // why the project cannot be written; "" when it can
}

// Label is an entry of the project's label table: the one source of ids,
// names and colours for every case.
type Label struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Colour string `json:"colour"` // #rrggbb
}

// Case is one study of the project.
type Case struct {
	ID          string       `json:"id"`
	Image       string       `json:"image"`            // DICOM folder or file, or NIfTI; relative to the project folder when inside it
	Labels      string       `json:"labels,omitempty"` // the label map, relative to the project folder when inside it
	Predictions []Prediction `json:"predictions,omitempty"`
	Status      Status       `json:"status"`
	Notes       string       `json:"notes,omitempty"`
	UpdatedBy   string       `json:"updated_by,omitempty"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Provenance  Provenance   `json:"provenance"`
}

// Prediction is a model result held for review.
type Prediction struct {
	Path   string `json:"path"`
	Model  string `json:"model"`
	Report string `json:"report,omitempty"`
	// Source says where a prediction that no model made came from, e.g.
	// "annotated in Label Studio by annotator 7 at T".
	Source string `json:"source,omitempty"`
}

// Provenance is how a case's labels came to be.
type Provenance struct {
	Runs  []ModelRun `json:"model_runs"`
	Edits []Edit     `json:"edits"`
	// Sources says, per label id, whether its voxels came from a model, a
	// person, or both.
	Sources map[string]Source `json:"label_sources"`
}

// ModelRun is an accepted model result.
type ModelRun struct {
	Model      string         `json:"model"`
	Version    string         `json:"version"`
	SHA256     []string       `json:"sha256,omitempty"` // the model's files
	Parameters map[string]any `json:"parameters,omitempty"`
	Device     string         `json:"device,omitempty"`
	Time       time.Time      `json:"time"`
	Report     string         `json:"report,omitempty"` // the run report, relative to the project folder
	Labels     []int          `json:"labels"`           // ids it wrote
	Voxels     int            `json:"voxels_changed"`
}

// Edit is a manual edit.
type Edit struct {
	Tool   string    `json:"tool"`
	Label  int       `json:"label"`
	Voxels int       `json:"voxels_changed"`
	Time   time.Time `json:"time"`
	By     string    `json:"by,omitempty"`
}

// Source is where a label's voxels came from.
type Source string

// Label sources.
const (
	FromModel  Source = "model"
	FromPerson Source = "person"
	FromBoth   Source = "both"
)

// FormatError is a project file that is not valid JSON or not a project;
// the file is left as it is.
type FormatError struct {
	Path string
	Msg  string
}

func (e *FormatError) Error() string { return e.Path + ": " + e.Msg }

// ReadOnlyError is a write to a project opened read-only.
type ReadOnlyError struct{ Why string }

func (e *ReadOnlyError) Error() string { return "project is read-only: " + e.Why }

// Create makes a new project in dir (created if needed; it must not hold
// a project already) with the given label table, and locks it.
func Create(dir, name string, table *viewer.LabelTable) (*Project, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%s already holds a project", dir)
	}
	if name == "" {
		name = filepath.Base(filepath.Clean(dir))
	}
	p := &Project{Format: FormatVersion, Name: name, Created: time.Now().UTC().Truncate(time.Second), NextCase: 1, dir: dir, Cases: []*Case{}, Labels: []Label{}}
	if table != nil {
		for _, l := range table.Labels {
			p.Labels = append(p.Labels, Label{ID: l.ID, Name: l.Name, Colour: fmt.Sprintf("#%02x%02x%02x", l.Colour.R, l.Colour.G, l.Colour.B)})
		}
	}
	lk, err := acquireLock(dir)
	if err != nil {
		return nil, err
	}
	p.lock = lk
	if err := p.Save(); err != nil {
		lk.Release()
		return nil, err
	}
	return p, nil
}

// Open reads the project in dir. When another running instance holds its
// lock, the project opens read-only and ReadOnly says why.
func Open(dir string) (*Project, error) {
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not a project (no %s)", dir, FileName)
		}
		return nil, err
	}
	p, err := parse(b, path)
	if err != nil {
		return nil, err
	}
	p.dir = dir
	lk, stale, err := acquireLockStale(dir)
	var held *LockedError
	switch {
	case errors.As(err, &held):
		p.readOnly = held.Error()
	case err != nil:
		p.readOnly = "cannot lock it: " + err.Error()
	default:
		p.lock = lk
		if stale != nil {
			info, _ := os.Stat(path)
			at := "its last autosave"
			if info != nil {
				at = "its last autosave, " + info.ModTime().Local().Format("2006-01-02 15:04:05")
			}
			p.Recovered = fmt.Sprintf("the previous session (pid %d) ended without closing the project; recovered %s", stale.PID, at)
			removeTemps(dir)
		}
	}
	return p, nil
}

func parse(b []byte, path string) (*Project, error) {
	var p Project
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(b, se.Offset)
			return nil, &FormatError{path, fmt.Sprintf("invalid JSON at line %d, column %d: %v (the file was not changed)", line, col, err)}
		}
		return nil, &FormatError{path, "not a project file: " + err.Error()}
	}
	if err := p.validate(); err != nil {
		return nil, &FormatError{path, err.Error()}
	}
	return &p, nil
}

func lineCol(b []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func (p *Project) validate() error {
	var errs []string
	if p.Format != FormatVersion {
		errs = append(errs, fmt.Sprintf("format %d (this version reads %d)", p.Format, FormatVersion))
	}
	ids := map[int]bool{}
	for _, l := range p.Labels {
		if l.ID <= 0 || l.ID > 65535 || ids[l.ID] {
			errs = append(errs, fmt.Sprintf("label id %d is out of range or repeated", l.ID))
		}
		ids[l.ID] = true
	}
	seen := map[string]bool{}
	for i, c := range p.Cases {
		if c == nil || c.ID == "" || seen[c.ID] {
			errs = append(errs, fmt.Sprintf("case %d has no id or a repeated one", i))
			continue
		}
		seen[c.ID] = true
		if !c.Status.Valid() {
			errs = append(errs, fmt.Sprintf("case %s: unknown status %q", c.ID, c.Status))
		}
		if c.Image == "" {
			errs = append(errs, fmt.Sprintf("case %s has no image", c.ID))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// Dir is the project folder.
func (p *Project) Dir() string { return p.dir }

// ReadOnly says why the project cannot be written ("" when it can).
func (p *Project) ReadOnly() string { return p.readOnly }

// Close releases the lock.
func (p *Project) Close() {
	if p.lock != nil {
		p.lock.Release()
		p.lock = nil
	}
}

// Save writes the project file atomically.
func (p *Project) Save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.save()
}

func (p *Project) save() error {
	if p.readOnly != "" {
		return &ReadOnlyError{p.readOnly}
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(p.dir, FileName), append(b, '\n'), 0o644)
}

// Case returns the case with the given id.
func (p *Project) Case(id string) *Case {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.caseLocked(id)
}

func (p *Project) caseLocked(id string) *Case {
	for _, c := range p.Cases {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// Resolve makes a path stored in the project absolute.
func (p *Project) Resolve(rel string) string {
	if rel == "" || filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(p.dir, filepath.FromSlash(rel))
}

// store is how a path is kept: relative to the project folder when it is
// inside it (so the folder can move), absolute otherwise.
func (p *Project) store(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	dir, err := filepath.Abs(p.dir)
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(rel), nil
	}
	return abs, nil
}

// AddCase adds a case for image with the given status. The case id is the
// next sequential number, never derived from the image's path or header.
func (p *Project) AddCase(image string, status Status) (*Case, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.readOnly != "" {
		return nil, &ReadOnlyError{p.readOnly}
	}
	if !status.Valid() {
		return nil, fmt.Errorf("unknown status %q", status)
	}
	if _, err := os.Stat(image); err != nil {
		return nil, err
	}
	img, err := p.store(image)
	if err != nil {
		return nil, err
	}
	for _, c := range p.Cases {
		if c.Image == img {
			return nil, fmt.Errorf("%s is already case %s", image, c.ID)
		}
	}
	c := &Case{ID: fmt.Sprintf("case_%04d", p.NextCase), Image: img, Status: status, UpdatedBy: who(), UpdatedAt: now(),
		Provenance: Provenance{Runs: []ModelRun{}, Edits: []Edit{}, Sources: map[string]Source{}}}
	p.NextCase++
	p.Cases = append(p.Cases, c)
	return c, nil
}

// SetStatus changes a case's review status.
func (p *Project) SetStatus(id string, s Status) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.readOnly != "" {
		return &ReadOnlyError{p.readOnly}
	}
	c := p.caseLocked(id)
	if c == nil {
		return fmt.Errorf("no case %q", id)
	}
	if !s.Valid() {
		return fmt.Errorf("unknown status %q", s)
	}
	c.Status, c.UpdatedBy, c.UpdatedAt = s, who(), now()
	return nil
}

// RecordRun records an accepted model result on a case: the labels it
// wrote become model labels, or "both" where a person had edited them.
func (c *Case) RecordRun(r ModelRun) {
	if r.Time.IsZero() {
		r.Time = now()
	}
	c.Provenance.Runs = append(c.Provenance.Runs, r)
	for _, id := range r.Labels {
		c.mark(id, FromModel)
	}
	c.UpdatedAt = r.Time
}

// RecordEdit records a manual edit: its label becomes a person's, or
// "both" where a model had written it.
func (c *Case) RecordEdit(e Edit) {
	if e.Time.IsZero() {
		e.Time = now()
	}
	if e.By == "" {
		e.By = who()
	}
	c.Provenance.Edits = append(c.Provenance.Edits, e)
	c.mark(e.Label, FromPerson)
	c.UpdatedBy, c.UpdatedAt = e.By, e.Time
}

func (c *Case) mark(id int, s Source) {
	if c.Provenance.Sources == nil {
		c.Provenance.Sources = map[string]Source{}
	}
	k := fmt.Sprint(id)
	if old, ok := c.Provenance.Sources[k]; ok && old != s {
		s = FromBoth
	}
	c.Provenance.Sources[k] = s
}

// Summary counts cases per status.
type Summary struct {
	Name   string         `json:"name"`
	Cases  int            `json:"cases"`
	Done   int            `json:"done"`
	Counts map[Status]int `json:"by_status"`
	List   []CaseSummary  `json:"case_list"`
}

// CaseSummary is one case in a summary, with whether its files exist.
type CaseSummary struct {
	ID          string `json:"id"`
	Status      Status `json:"status"`
	Image       string `json:"image"`
	ImageFound  bool   `json:"image_found"`
	Labels      string `json:"labels,omitempty"`
	LabelsFound bool   `json:"labels_found,omitempty"`
	Runs        int    `json:"model_runs"`
	Edits       int    `json:"edits"`
}

// Summarise lists the cases and their state, and checks that every
// case's image and label map are where the project says (an image that
// moved shows as image_found false).
func (p *Project) Summarise() Summary {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Summary{Name: p.Name, Cases: len(p.Cases), Counts: map[Status]int{}, List: []CaseSummary{}}
	for _, c := range p.Cases {
		s.Counts[c.Status]++
		cs := CaseSummary{ID: c.ID, Status: c.Status, Image: c.Image, Labels: c.Labels, Runs: len(c.Provenance.Runs), Edits: len(c.Provenance.Edits)}
		_, err := os.Stat(p.Resolve(c.Image))
		cs.ImageFound = err == nil
		if c.Labels != "" {
			_, err := os.Stat(p.Resolve(c.Labels))
			cs.LabelsFound = err == nil
		}
		s.List = append(s.List, cs)
	}
	s.Done = s.Counts[Done]
	sort.SliceStable(s.List, func(i, j int) bool { return s.List[i].ID < s.List[j].ID })
	return s
}

func who() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// removeTemps deletes the temporary files a crashed session left behind
// (its half-written saves; the files they were to replace are intact).
func removeTemps(dir string) {
	for _, pat := range []string{".*.tmp-*", "labels/.*.tmp"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, f := range m {
			os.Remove(f)
		}
	}
}

// Update runs fn with the project locked, for changes to a case (such as
// RecordRun or RecordEdit) while an autosave may be writing it.
func (p *Project) Update(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn()
}

// ParseColour reads a label colour as the project file writes it
// ("#rrggbb").
func ParseColour(s string) (color.RGBA, bool) {
	var r, g, b uint8
	if n, err := fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b); err != nil || n != 3 {
		return color.RGBA{}, false
	}
	return color.RGBA{r, g, b, 255}, true
}

// Table is the project's label table in the viewer's form (colours that
// do not parse get the viewer's default for their id).
func (p *Project) Table() *viewer.LabelTable {
	p.mu.Lock()
	defer p.mu.Unlock()
	defaults := viewer.DefaultLabelColours()
	t := &viewer.LabelTable{}
	for _, l := range p.Labels {
		c, ok := ParseColour(l.Colour)
		if !ok {
			c = defaults[l.ID%len(defaults)]
		}
		t.Labels = append(t.Labels, viewer.Label{ID: l.ID, Name: l.Name, Colour: c, Visible: true})
	}
	sort.Slice(t.Labels, func(i, j int) bool { return t.Labels[i].ID < t.Labels[j].ID })
	return t
}

// AddLabels adds the table's labels whose ids the project does not have
// yet (a label painted in a case joins the project's table); it returns
// how many were added.
func (p *Project) AddLabels(t *viewer.LabelTable) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	have := map[int]bool{}
	for _, l := range p.Labels {
		have[l.ID] = true
	}
	n := 0
	for _, l := range t.Labels {
		if !have[l.ID] {
			p.Labels = append(p.Labels, Label{ID: l.ID, Name: l.Name, Colour: fmt.Sprintf("#%02x%02x%02x", l.Colour.R, l.Colour.G, l.Colour.B)})
			n++
		}
	}
	sort.Slice(p.Labels, func(i, j int) bool { return p.Labels[i].ID < p.Labels[j].ID })
	return n
}

// TableOf is the label table of the ids present in a label map: named as
// in the map's own table, else "label N", with the viewer's default
// colours. A project made from a label map, and labels painted in a case,
// join the project's table through it.
func TableOf(lm *viewer.LabelMap) *viewer.LabelTable {
	colours := viewer.DefaultLabelColours()
	t := &viewer.LabelTable{}
	for _, id := range lm.Present() {
		l := viewer.Label{ID: id, Name: fmt.Sprintf("label %d", id), Colour: colours[id%len(colours)], Visible: true}
		if e, ok := lm.Table.Get(id); ok && e.Name != "" {
			l.Name, l.Colour = e.Name, e.Colour
		}
		_ = t.Set(l) // ids from Present are unique and in 1..MaxLabelID
	}
	return t
}
