package labelstudio

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"delineate/project"
	"delineate/viewer"
)

// Item is one study to export: its case id (never a patient's name), the
// image, and its label map on the image's grid (nil exports images only).
type Item struct {
	Case   string
	Volume *viewer.Volume
	Labels *viewer.Volume
}

// Slices selects what to export: every slice, the slices holding a label,
// or a range.
type Slices struct {
	All      bool
	From, To int // inclusive; used when Range
	Range    bool
}

// ParseSlices reads "labelled", "all" or "A:B" (inclusive, 0-based).
func ParseSlices(s string) (Slices, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "labelled", "labeled":
		return Slices{}, nil
	case "all":
		return Slices{All: true}, nil
	}
	a, b, ok := strings.Cut(s, ":")
	from, err1 := strconv.Atoi(strings.TrimSpace(a))
	to, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || from < 0 || to < from {
		return Slices{}, fmt.Errorf("slices %q: want labelled, all or A:B with 0 ≤ A ≤ B", s)
	}
	return Slices{Range: true, From: from, To: to}, nil
}

// ExportOptions are the choices of `delineate export labelstudio`.
type ExportOptions struct {
	Plane        viewer.Plane
	Window       *viewer.Window // nil: the volume's default (header or CT preset)
	WindowName   string
	Slices       Slices
	FromName     string  // the BrushLabels tag name; default "tag"
	ToName       string  // the Image tag name; default "image"
	ModelVersion string  // default "delineate"
	Score        float64 // the predictions' score
	MinPixels    int     // labels with fewer pixels on a slice are left out of its task
	URLPrefix    string  // prefix of the image URLs; default "/data/local-files/?d=images/"
	Overwrite    bool    // replace an existing export folder
	Workers      int     // slices encoded at once; default 2
	Progress     func(done, total int)
}

// Summary says what an export wrote.
type Summary struct {
	Out     string
	Tasks   int
	Results int
	Images  int
}

func (o *ExportOptions) defaults() {
	if o.FromName == "" {
		o.FromName = "tag"
	}
	if o.ToName == "" {
		o.ToName = "image"
	}
	if o.ModelVersion == "" {
		o.ModelVersion = "delineate"
	}
	if o.URLPrefix == "" {
		o.URLPrefix = "/data/local-files/?d=images/"
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
}

// ExistsError says the export folder is there already.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return e.Path + " exists; choose another folder or overwrite it (--overwrite)"
}

// Export writes out/images/*.png, out/config.xml and out/tasks.json: one
// task per selected slice of every item, a brushlabels result per label
// present (at least MinPixels pixels). The label names come from table;
// ids it does not name are called "label N". Everything is written into a
// temporary folder next to out and renamed into place at the end, so a
// failure or a cancel leaves no half export.
func Export(ctx context.Context, out string, items []Item, table []project.Label, o ExportOptions) (*Summary, error) {
	o.defaults()
	if _, err := os.Stat(out); err == nil && !o.Overwrite {
		return nil, &ExistsError{out}
	}
	names := labelNames(table)
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Mkdir(filepath.Join(tmp, "images"), 0o755); err != nil {
		return nil, err
	}
	type job struct {
		item  int
		slice int
	}
	var jobs []job
	layouts := make([]viewer.SliceLayout, len(items))
	for n, it := range items {
		if it.Volume == nil {
			return nil, fmt.Errorf("%s: no image", it.Case)
		}
		if it.Labels != nil && it.Labels.Dims != it.Volume.Dims {
			return nil, fmt.Errorf("%s: labels %v are not on the image's grid %v", it.Case, it.Labels.Dims, it.Volume.Dims)
		}
		l, err := viewer.NewSliceLayout(it.Volume.Geometry, o.Plane)
		if err != nil {
			return nil, err
		}
		layouts[n] = l
		ks, err := selectSlices(it, l, o.Slices)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", it.Case, err)
		}
		for _, k := range ks {
			jobs = append(jobs, job{n, k})
		}
	}
	tasks := make([]*Task, len(jobs))
	var (
		next, finished atomic.Int64
		wg             sync.WaitGroup
		firstErr       error
		errOnce        sync.Once
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				j := jobs[i]
				t, err := exportSlice(tmp, items[j.item], layouts[j.item], j.slice, names, &o)
				if err != nil {
					fail(err)
					return
				}
				tasks[i] = t
				if d := finished.Add(1); o.Progress != nil {
					o.Progress(int(d), len(jobs))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	sum := &Summary{Out: out, Tasks: len(tasks), Images: len(tasks)}
	for _, t := range tasks {
		for _, p := range t.Predictions {
			sum.Results += len(p.Result)
		}
	}
	b, err := json.MarshalIndent(tasks, "", " ")
	if err != nil {
		return nil, err
	}
	if err := project.WriteFileAtomic(filepath.Join(tmp, "tasks.json"), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := project.WriteFileAtomic(filepath.Join(tmp, "config.xml"), []byte(Config(table, o.FromName, o.ToName)), 0o644); err != nil {
		return nil, err
	}
	if o.Overwrite {
		if err := os.RemoveAll(out); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, err
	}
	done = true
	return sum, nil
}

func selectSlices(it Item, l viewer.SliceLayout, s Slices) ([]int, error) {
	var ks []int
	switch {
	case s.Range:
		if s.To >= l.Slices {
			return nil, fmt.Errorf("slices %d:%d: the %s plane has %d slices (0..%d)", s.From, s.To, l.Plane, l.Slices, l.Slices-1)
		}
		for k := s.From; k <= s.To; k++ {
			ks = append(ks, k)
		}
	case s.All || it.Labels == nil:
		for k := 0; k < l.Slices; k++ {
			ks = append(ks, k)
		}
	default:
		for k := 0; k < l.Slices; k++ {
			if sliceHasLabel(it.Labels, l, k) {
				ks = append(ks, k)
			}
		}
	}
	return ks, nil
}

func sliceHasLabel(lab *viewer.Volume, l viewer.SliceLayout, k int) bool {
	for _, id := range sliceIDs(lab, l, k) {
		if id != 0 {
			return true
		}
	}
	return false
}

// labelNames gives every id its brush label name: the table's (made
// unique, since a BrushLabels value names one label), else "label N".
func labelNames(table []project.Label) map[int]string {
	names := map[int]string{}
	used := map[string]bool{}
	for _, l := range table {
		n := strings.TrimSpace(l.Name)
		if n == "" || used[n] {
			n = fmt.Sprintf("label %d", l.ID)
		}
		used[n] = true
		names[l.ID] = n
	}
	return names
}

func nameOf(names map[int]string, id int) string {
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf("label %d", id)
}

// exportSlice renders one slice to PNG, encodes its labels and writes
// the PNG into dir/images.
func exportSlice(dir string, it Item, l viewer.SliceLayout, k int, names map[int]string, o *ExportOptions) (*Task, error) {
	t, grey, err := buildTask(it, l, k, names, o)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, grey); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "images", ImageName(t.Data.Image)), buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return t, nil
}

// Preview builds the task of slice k of one item, as Export would write
// it, and the image it shows, without writing anything: for a dialog's
// preview.
func Preview(it Item, table []project.Label, k int, o ExportOptions) (*Task, *image.Gray, error) {
	o.defaults()
	l, err := viewer.NewSliceLayout(it.Volume.Geometry, o.Plane)
	if err != nil {
		return nil, nil, err
	}
	if k < 0 || k >= l.Slices {
		return nil, nil, fmt.Errorf("slice %d: the %s plane has %d slices", k, l.Plane, l.Slices)
	}
	return buildTask(it, l, k, labelNames(table), &o)
}

// buildTask renders slice k and encodes its labels into a task.
func buildTask(it Item, l viewer.SliceLayout, k int, names map[int]string, o *ExportOptions) (*Task, *image.Gray, error) {
	win := viewer.DefaultWindow(it.Volume)
	if o.Window != nil {
		win = *o.Window
	}
	grey, err := viewer.RenderLayout(it.Volume, l, k, viewer.NewWindowLUT(win), nil)
	if err != nil {
		return nil, nil, err
	}
	file := fmt.Sprintf("%s_%s_%04d.png", it.Case, l.Plane, k)
	meta := &Meta{Format: 1, Case: it.Case, Plane: l.Plane.String(), Slice: k, Slices: l.Slices,
		Width: l.Width, Height: l.Height, Dims: it.Volume.Dims,
		ColAxis: l.ColAxis, ColFlip: l.ColFlip, RowAxis: l.RowAxis, RowFlip: l.RowFlip, NormalAxis: l.NormalAxis,
		PixelMM: [2]float64{l.ColSpacing, l.RowSpacing},
		Window:  WindowMeta{Name: o.WindowName, Center: win.Center, Width: win.Width},
		Labels:  map[string]int{}}
	t := &Task{Data: TaskData{Image: o.URLPrefix + file, Delineate: meta}, Meta: meta}
	if it.Labels == nil {
		return t, grey, nil
	}
	ids := sliceIDs(it.Labels, l, k)
	pred := Prediction{ModelVersion: o.ModelVersion, Score: o.Score, Result: []Result{}}
	for _, lm := range encodeLabels(ids, l.Width, l.Height, o.MinPixels) {
		name := nameOf(names, lm.id)
		meta.Labels[name] = lm.id
		pred.Result = append(pred.Result, Result{
			ID: fmt.Sprintf("%s_%d_%d", l.Plane, k, lm.id), FromName: o.FromName, ToName: o.ToName, Type: "brushlabels",
			OriginalWidth: l.Width, OriginalHeight: l.Height,
			Value: ResultValue{Format: "rle", RLE: lm.rle, BrushLabels: []string{name}},
		})
	}
	t.Predictions = []Prediction{pred}
	return t, grey, nil
}

// sliceIDs reads slice k of a label map as the image shows it (row-major).
func sliceIDs(lab *viewer.Volume, l viewer.SliceLayout, k int) []uint16 {
	ids := make([]uint16, l.Width*l.Height)
	base := l.Offset(k)
	switch d := lab.Data.Raw().(type) {
	case []uint8:
		for y := 0; y < l.Height; y++ {
			row := base + y*l.RowStride
			for x := 0; x < l.Width; x++ {
				ids[y*l.Width+x] = uint16(d[row+x*l.ColStride])
			}
		}
	case []uint16:
		for y := 0; y < l.Height; y++ {
			row := base + y*l.RowStride
			for x := 0; x < l.Width; x++ {
				ids[y*l.Width+x] = d[row+x*l.ColStride]
			}
		}
	default:
		for y := 0; y < l.Height; y++ {
			row := base + y*l.RowStride
			for x := 0; x < l.Width; x++ {
				v := lab.Data.At(row + x*l.ColStride)
				if v > 0 && v < 65536 {
					ids[y*l.Width+x] = uint16(v + 0.5)
				}
			}
		}
	}
	return ids
}

type labelMask struct {
	id     int
	pixels int
	rle    []byte
}

// encodeLabels encodes every label of a slice in one pass over its pixels:
// the slice becomes runs of equal ids, and each label's stream is written
// from the runs (its own runs on, the rest off), so thirty labels cost
// one pixel pass, not thirty.
func encodeLabels(ids []uint16, w, h, minPixels int) []labelMask {
	type run struct {
		id  uint16
		len int
	}
	var runs []run
	count := map[uint16]int{}
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		runs = append(runs, run{ids[i], j - i})
		if ids[i] != 0 {
			count[ids[i]] += j - i
		}
		i = j
	}
	present := make([]int, 0, len(count))
	for id, n := range count {
		if n >= max(minPixels, 1) {
			present = append(present, int(id))
		}
	}
	sort.Ints(present)
	out := make([]labelMask, 0, len(present))
	for _, id := range present {
		bw := newWriter(4*len(ids), 64)
		off := 0
		for _, r := range runs {
			if int(r.id) != id {
				off += r.len
				continue
			}
			if off > 0 {
				bw.run(0, 4*off)
				off = 0
			}
			bw.run(255, 4*r.len)
		}
		if off > 0 {
			bw.run(0, 4*off)
		}
		out = append(out, labelMask{id: id, pixels: count[uint16(id)], rle: bw.bytes()})
	}
	return out
}

// Config is the labelling config for the exported labels: an Image tag
// named toName and a BrushLabels tag named fromName with every label's
// name and colour.
func Config(table []project.Label, fromName, toName string) string {
	if fromName == "" {
		fromName = "tag"
	}
	if toName == "" {
		toName = "image"
	}
	names := labelNames(table)
	var b strings.Builder
	fmt.Fprintf(&b, "<View>\n  <Image name=\"%s\" value=\"$image\" zoom=\"true\" zoomControl=\"true\"/>\n  <BrushLabels name=\"%s\" toName=\"%s\">\n",
		xmlEscape(toName), xmlEscape(fromName), xmlEscape(toName))
	for _, l := range table {
		fmt.Fprintf(&b, "    <Label value=\"%s\" background=\"%s\"/>\n", xmlEscape(names[l.ID]), xmlEscape(l.Colour))
	}
	b.WriteString("  </BrushLabels>\n</View>\n")
	return b.String()
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// ProjectItems loads the cases of p that have labels (only those with one
// of statuses, when given) for Export: image and labels on one grid.
func ProjectItems(ctx context.Context, p *project.Project, statuses []project.Status) ([]Item, error) {
	want := map[project.Status]bool{}
	for _, s := range statuses {
		want[s] = true
	}
	var items []Item
	for _, c := range p.Summarise().List {
		if c.Labels == "" || (len(want) > 0 && !want[c.Status]) {
			continue
		}
		vol, lab, err := p.LoadCase(ctx, p.Case(c.ID))
		if err != nil {
			return nil, err
		}
		items = append(items, Item{Case: c.ID, Volume: vol, Labels: lab})
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("no case of %s has labels to export", p.Name)
	}
	return items, nil
}
