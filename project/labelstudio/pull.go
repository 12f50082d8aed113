package labelstudio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Reviewed is what Label Studio holds for one case: the slices a person
// annotated, each with the label ids of its pixels.
type Reviewed struct {
	Case   string
	Dims   [3]int
	Slices []ReviewedSlice
	// Annotators are the Label Studio user ids whose annotations were
	// used; Latest the newest annotation time among them.
	Annotators []string
	Latest     string
}

// ReviewedSlice is one annotated slice: ids (row-major, as the PNG shows
// it) and the mapping back to voxels.
type ReviewedSlice struct {
	Meta     *Meta
	IDs      []uint16
	Overlaps int // pixels claimed by two labels; the later result wins
}

// PullSummary counts what Pull used and skipped.
type PullSummary struct {
	Tasks         int            `json:"tasks"`
	Annotated     int            `json:"annotated"`
	NotAnnotated  int            `json:"not_annotated"`
	Cancelled     int            `json:"cancelled"`
	NotDelineate  int            `json:"not_from_delineate"`
	Results       int            `json:"results"`
	Overlaps      int            `json:"overlap_pixels"`
	PixelsByLabel map[string]int `json:"pixels_by_label"`
}

// ReadTasks reads a Label Studio JSON export (a list of tasks) or one task.
func ReadTasks(path string) ([]Task, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTasks(b)
}

// ParseTasks parses a list of tasks, or one task.
func ParseTasks(b []byte) ([]Task, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var t Task
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, parseError(err)
		}
		return []Task{t}, nil
	}
	var ts []Task
	if err := json.Unmarshal(b, &ts); err != nil {
		return nil, parseError(err)
	}
	return ts, nil
}

func parseError(err error) error {
	if fe, ok := err.(FormatError); ok {
		return fe
	}
	return FormatError(fmt.Sprintf("not a Label Studio task list: %v", err))
}

// meta is the task's mapping, from the task meta or its data copy.
func (t *Task) meta() *Meta {
	if t.Meta != nil && t.Meta.Format > 0 {
		return t.Meta
	}
	if t.Data.Delineate != nil && t.Data.Delineate.Format > 0 {
		return t.Data.Delineate
	}
	return nil
}

// chosen is the annotation Pull uses: the newest one not cancelled.
func (t *Task) chosen() (*Annotation, int) {
	var best *Annotation
	cancelled := 0
	for i := range t.Annotations {
		a := &t.Annotations[i]
		if a.WasCancelled {
			cancelled++
			continue
		}
		if best == nil || stamp(a) >= stamp(best) {
			best = a
		}
	}
	return best, cancelled
}

func stamp(a *Annotation) string {
	if a.UpdatedAt != "" {
		return a.UpdatedAt
	}
	return a.CreatedAt
}

// annotator is the Label Studio user id of an annotation (completed_by is
// an id, or a user object in some exports); only the id is kept.
func annotator(a *Annotation) string {
	var id int
	if json.Unmarshal(a.CompletedBy, &id) == nil {
		return fmt.Sprint(id)
	}
	var u struct {
		ID int `json:"id"`
	}
	if json.Unmarshal(a.CompletedBy, &u) == nil && u.ID != 0 {
		return fmt.Sprint(u.ID)
	}
	return "unknown"
}

// LabelResolver maps a brush label name to a label id; ok false when the
// name is unknown.
type LabelResolver func(name string) (id int, ok bool)

// PullOptions say how annotations map back.
type PullOptions struct {
	// Resolve names labels the task meta does not.
	Resolve LabelResolver
	// Local maps image file names (ImageName) to their export's meta, for
	// tasks that the server created from an image upload and so carry no
	// meta of their own: pass the export's tasks.json through LocalMeta.
	Local map[string]*Meta
}

// LocalMeta indexes an export's tasks by image file name.
func LocalMeta(tasks []Task) map[string]*Meta {
	out := map[string]*Meta{}
	for i := range tasks {
		if m := tasks[i].meta(); m != nil {
			out[ImageName(tasks[i].Data.Image)] = m
		}
	}
	return out
}

// Pull decodes the annotations of tasks exported by Delineate into
// reviewed slices per case. A brush pixel counts when its alpha is at
// least 128 (see MaskFromRGBA). Label names map to ids through the task
// meta first, then resolve; an unknown name is an error (nothing is
// guessed). Tasks with no annotation, only cancelled ones, or no Delineate
// meta are skipped and counted.
func Pull(tasks []Task, o PullOptions) (map[string]*Reviewed, *PullSummary, error) {
	resolve := o.Resolve
	out := map[string]*Reviewed{}
	sum := &PullSummary{Tasks: len(tasks), PixelsByLabel: map[string]int{}}
	for n := range tasks {
		t := &tasks[n]
		m := t.meta()
		if m == nil && o.Local != nil {
			m = o.Local[ImageName(t.Data.Image)]
		}
		if m == nil {
			sum.NotDelineate++
			continue
		}
		if !m.valid() {
			return nil, nil, FormatError(fmt.Sprintf("task %d: its meta does not describe a slice of its grid", t.ID))
		}
		a, cancelled := t.chosen()
		if a == nil {
			if cancelled > 0 {
				sum.Cancelled++
			} else {
				sum.NotAnnotated++
			}
			continue
		}
		sum.Annotated++
		rs := ReviewedSlice{Meta: m, IDs: make([]uint16, m.Width*m.Height)}
		for _, r := range a.Result {
			if r.Type != "brushlabels" {
				continue
			}
			if r.OriginalWidth != 0 && (r.OriginalWidth != m.Width || r.OriginalHeight != m.Height) {
				return nil, nil, FormatError(fmt.Sprintf("task %d: a mask of %d×%d on a %d×%d slice (was the image replaced?)", t.ID, r.OriginalWidth, r.OriginalHeight, m.Width, m.Height))
			}
			if len(r.Value.BrushLabels) != 1 {
				return nil, nil, FormatError(fmt.Sprintf("task %d: a brush result with %d labels (want one)", t.ID, len(r.Value.BrushLabels)))
			}
			name := r.Value.BrushLabels[0]
			id, ok := m.Labels[name]
			if !ok && resolve != nil {
				id, ok = resolve(name)
			}
			if !ok || id <= 0 || id > 65535 {
				return nil, nil, fmt.Errorf("task %d (%s slice %d): label %q is not in the label table", t.ID, m.Plane, m.Slice, name)
			}
			words, err := Decode(r.Value.RLE, 4*m.Width*m.Height)
			if err != nil {
				return nil, nil, fmt.Errorf("task %d, label %q: %w", t.ID, name, err)
			}
			mask, err := MaskFromRGBA(words, m.Width, m.Height)
			if err != nil {
				return nil, nil, fmt.Errorf("task %d, label %q: %w", t.ID, name, err)
			}
			sum.Results++
			for p, on := range mask {
				if on == 0 {
					continue
				}
				if rs.IDs[p] != 0 && int(rs.IDs[p]) != id {
					rs.Overlaps++
				}
				rs.IDs[p] = uint16(id)
				sum.PixelsByLabel[name]++
			}
		}
		sum.Overlaps += rs.Overlaps
		rv := out[m.Case]
		if rv == nil {
			rv = &Reviewed{Case: m.Case, Dims: m.Dims}
			out[m.Case] = rv
		}
		if rv.Dims != m.Dims {
			return nil, nil, FormatError(fmt.Sprintf("case %s: tasks on grids %v and %v", m.Case, rv.Dims, m.Dims))
		}
		rv.Slices = append(rv.Slices, rs)
		who := annotator(a)
		if !contains(rv.Annotators, who) {
			rv.Annotators = append(rv.Annotators, who)
		}
		if s := stamp(a); s > rv.Latest {
			rv.Latest = s
		}
	}
	for _, rv := range out {
		sort.Strings(rv.Annotators)
	}
	return out, sum, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Apply writes the reviewed slices into a label map of r.Dims (i fastest):
// every pixel of a reviewed slice takes the annotation's id (0 where the
// person left it empty); other slices keep what ids holds.
func (r *Reviewed) Apply(ids []uint16) error {
	if len(ids) != r.Dims[0]*r.Dims[1]*r.Dims[2] {
		return fmt.Errorf("labelstudio: label map of %d voxels for a %v grid", len(ids), r.Dims)
	}
	stride := [3]int{1, r.Dims[0], r.Dims[0] * r.Dims[1]}
	for _, s := range r.Slices {
		m := s.Meta
		for y := 0; y < m.Height; y++ {
			for x := 0; x < m.Width; x++ {
				v := m.Voxel(x, y)
				ids[v[0]*stride[0]+v[1]*stride[1]+v[2]*stride[2]] = s.IDs[y*m.Width+x]
			}
		}
	}
	return nil
}

// Source is the provenance line of a pull.
func (r *Reviewed) Source() string {
	return fmt.Sprintf("annotated in Label Studio by annotator %s at %s (%d slices)", strings.Join(r.Annotators, ", "), r.Latest, len(r.Slices))
}
