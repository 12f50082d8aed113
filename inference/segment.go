package inference

import (
	"os"

	"context"
	"delineate/inference/onnx"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"weak"

	"delineate/viewer"
)

// RunOptions are the settings of one run.
type RunOptions struct {
	Backend Backend // nil only for built-in models
	Device  string  // auto (default), cpu or cuda
	Threads int     // intra-op threads; 0 = all cores
	// MemoryBudget caps the run's estimated peak; 0 = DefaultBudget().
	MemoryBudget int64
	// Progress gets the stage name and the overall fraction 0..1.
	Progress func(stage string, fraction float64)
	// Logf records what the run does, for the job's log.
	Logf func(format string, args ...any)
	// SkipFirstStage runs the model on the whole grid even when its
	// description names a first stage (benchmarks of the model alone).
	SkipFirstStage bool
	// FullHead runs the network's own last layer in the backend even when
	// the runner could apply it (head split; for comparisons).
	FullHead bool
}

func (o *RunOptions) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// Result is a run's output: labels on the input's grid, with the model's
// table, and the report.
type Result struct {
	Labels *viewer.LabelMap
	Report *Report
}

// ErrCancelled wraps context.Canceled for runs stopped by the user.
var ErrCancelled = context.Canceled

// progress maps a sub-task's fraction into a slice of the overall bar.
type progress struct {
	fn     func(string, float64)
	lo, hi float64
}

func (p progress) set(stage string, f float64) {
	if p.fn != nil {
		p.fn(stage, p.lo+(p.hi-p.lo)*min(max(f, 0), 1))
	}
}

func (p progress) sub(a, b float64) progress {
	return progress{p.fn, p.lo + (p.hi-p.lo)*a, p.lo + (p.hi-p.lo)*b}
}

// Segment runs a segmentation model on vol and returns labels on exactly
// vol's grid. It never modifies vol. A cancelled ctx stops it between
// tiles at worst (within a tile, ONNX Runtime is told to terminate) and
// the error wraps context.Canceled.
func Segment(ctx context.Context, vol *viewer.Volume, m *Model, o RunOptions) (*Result, error) {
	if vol == nil || vol.Data == nil {
		return nil, errors.New("no image to segment")
	}
	if o.Device == "" {
		o.Device = "auto"
	}
	if err := CheckDevice(o.Device); err != nil {
		return nil, err
	}
	if o.MemoryBudget == 0 {
		o.MemoryBudget = DefaultBudget()
	}
	if o.Threads == 0 {
		o.Threads = runtime.NumCPU()
	}
	return segment(ctx, vol, m, o, progress{fn: o.Progress, lo: 0, hi: 1}, 0)
}

func segment(ctx context.Context, vol *viewer.Volume, m *Model, o RunOptions, pr progress, depth int) (*Result, error) {
	start := time.Now()
	rep := &Report{Format: ReportVersion, Tool: "delineate", Created: start.UTC().Truncate(time.Second), Input: GridOf(vol),
		Model: ModelInfo{Name: m.Name, Version: m.Version, Family: m.Family, Dir: m.Dir, Files: m.Files, Licence: m.Licence, Source: m.Source, Classes: m.Output.Classes}}
	stageStart := start
	endStage := func(name string) {
		now := time.Now()
		rep.Stages = append(rep.Stages, Stage{name, now.Sub(stageStart).Seconds()})
		stageStart = now
	}
	if m.Builtin != "" {
		return runBuiltin(ctx, vol, m, o, pr, rep)
	}
	if m.Modality != "" && vol.Modality != "" && vol.Modality != m.Modality {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the model expects %s, the image is %s", m.Modality, vol.Modality))
	}
	// Everything that can be wrong with the model is found before any
	// voxel is touched.
	pr.set("checking model", 0)
	if err := m.VerifyFiles(); err != nil {
		return nil, err
	}
	_, netPath := m.Network()
	ni, _, err := inspectGraph(m, netPath)
	if err != nil {
		return nil, err
	}
	ax, _ := ParseAxes(m.Input.Axes)
	if o.Backend == nil {
		return nil, errors.New("no ONNX Runtime: models are unavailable")
	}
	spec := NetSpec{Path: netPath, Input: m.Input.Name, Output: m.Output.Name, Device: o.Device, Threads: o.Threads}
	var head *onnx.Head
	if !o.FullHead && m.Tiling.Mode != "sliding" && m.Output.Classes > ni.MaxChannels {
		if data, err := os.ReadFile(netPath); err == nil {
			if g, err := onnx.Parse(data); err == nil {
				if h, b := splitHead(m, g, data); h != nil {
					head, spec.Data, spec.Variant, spec.Output = h, b, "head-split", h.Hidden
					ni.OutChannels = h.Channels
				}
			}
		}
	}
	net, err := o.Backend.Open(spec)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	rep.Device = net.Device()
	rep.Runtime = o.Backend.Describe()
	rep.Threads = o.Threads
	o.logf("%s %s on %s", m.Name, m.Version, rep.Device)
	endStage("load")

	pr.set("conforming", 0.01)
	gi, err := conform(ctx, vol, m.Preprocess.Conform)
	if err != nil {
		return nil, err
	}
	rep.Preprocess = append(rep.Preprocess, "grid: "+gi.Note)
	o.logf("grid: %s", gi.Note)
	endStage("conform")

	// The region the network runs on: the whole grid, or the bounding box
	// of a first model's labels.
	region := box{Hi: gi.Geom.Dims}
	mainPr := pr.sub(0.03, 0.97)
	if fs := m.FirstStage; fs != nil && !o.SkipFirstStage {
		if depth > 2 {
			return nil, errors.New("first_stage models nest too deeply")
		}
		fm, err := LoadModel(m.Resolve(fs.Model))
		if err != nil {
			return nil, fmt.Errorf("first stage: %w", err)
		}
		key := stageKey(vol, m, fm)
		st, ok := firstStages.get(key)
		if ok {
			o.logf("first stage: %s (kept from an earlier run on this image)", fm.Name)
		} else {
			gv := &viewer.Volume{Geometry: gi.Geom, Data: viewer.Voxels[float32](gi.Data), Modality: vol.Modality}
			o.logf("first stage: %s", fm.Name)
			fr, err := segment(ctx, gv, fm, o, pr.sub(0.03, 0.45), depth+1)
			if err != nil {
				return nil, fmt.Errorf("first stage %s: %w", fm.Name, err)
			}
			st.report = fr.Report
			st.region, st.found = labelBox(fr.Labels, fs.Labels)
			firstStages.put(key, st)
		}
		rep.FirstStage = st.report
		region = st.region
		if !st.found {
			return nil, fmt.Errorf("first stage %s found none of its labels %v: nothing to run %s on", fm.Name, fs.Labels, m.Name)
		}
		for a := 0; a < 3; a++ {
			region.Lo[a] = max(0, region.Lo[a]-fs.Margin)
			region.Hi[a] = min(gi.Geom.Dims[a], region.Hi[a]+fs.Margin)
		}
		s := region.size()
		rep.Preprocess = append(rep.Preprocess, fmt.Sprintf("cropped to %s's labels: %d×%d×%d voxels at %v (margin %d)", fm.Name, s[0], s[1], s[2], region.Lo, fs.Margin))
		o.logf("crop %d×%d×%d at %v", s[0], s[1], s[2], region.Lo)
		mainPr = pr.sub(0.45, 0.97)
		stageStart = time.Now()
	}
	work := volume{dims: region.size(), data: gi.Data}
	if region != (box{Hi: gi.Geom.Dims}) {
		work.data = cropData(gi.Data, gi.Geom.Dims, region)
	}

	// Memory: the working copies held through the run.
	gridVox := int64(gi.Geom.NumVoxels())
	// (the grid as float32, its labels, the input volume, the output label map)
	fixed := gridVox*4 + gridVox*2 + int64(vol.NumVoxels())*2 + int64(vol.NumVoxels())*int64(1+m.Output.Classes/257)
	if work.data != nil && len(work.data) != len(gi.Data) {
		fixed += int64(len(work.data)) * 4
	}
	plan, err := makePlan(m, ni, ax, work.dims, fixed, o.MemoryBudget)
	if err != nil {
		return nil, err
	}
	if head != nil {
		plan.Head = fmt.Sprintf("last layer (1×1×1 Conv, %d features → %d classes) applied per voxel by the runner; the network returns features", head.Channels, head.Classes)
		o.logf("head split: %s", plan.Head)
	}
	rep.Plan = &plan
	if plan.Note != "" {
		o.logf("%s", plan.Note)
	}

	mainPr.set("normalising", 0)
	what, err := normalise(ctx, work.data, m.Preprocess.Intensity)
	if err != nil {
		return nil, err
	}
	rep.Preprocess = append(rep.Preprocess, "intensity: "+what)
	o.logf("intensity: %s", what)
	endStage("normalise")

	labels := make([]uint16, len(work.data))
	infer := mainPr.sub(0.02, 0.95)
	tick := func(done, total int) { infer.set(fmt.Sprintf("tile %d/%d", done, total), float64(done)/float64(total)) }
	infer.set("running", 0)
	switch plan.Mode {
	case "whole", "overlap":
		err = runOverlap(ctx, net, work, ax, m.Output.Classes, head, plan.core, plan.Margin, labels, tick)
	case "sliding":
		err = runSlidingPadded(ctx, net, work, ax, m, plan, labels, tick)
	}
	if err != nil {
		return nil, err
	}
	endStage("inference")

	mainPr.set("restoring", 0.96)
	full := labels
	if len(labels) != len(gi.Data) {
		full = make([]uint16, len(gi.Data))
		pasteData(full, gi.Geom.Dims, labels, region)
	}
	maxID := m.Output.Classes - 1
	out, err := viewer.NewLabelMap(vol.Geometry, maxID)
	if err != nil {
		return nil, err
	}
	out.Table = m.Table()
	out.Modality = vol.Modality
	if err := toInputGrid(ctx, full, gi.Geom, out); err != nil {
		return nil, err
	}
	endStage("restore")
	rep.Output = GridOf(out.Volume)
	rep.Output.Modality = ""
	rep.Geometry = checkGrid(vol.Geometry, out.Geometry)
	rep.countLabels(out, out.Table, m.Output.Classes)
	rep.Seconds = time.Since(start).Seconds()
	pr.set("done", 1)
	return &Result{Labels: out, Report: rep}, nil
}

// runSlidingPadded pads the region to at least one patch with zeros, as
// nnU-Net does, runs the window, and crops the labels back.
func runSlidingPadded(ctx context.Context, net Net, work volume, ax Axes, m *Model, plan Plan, labels []uint16, tick func(int, int)) error {
	v, lab := work, labels
	padded := plan.padded != work.dims
	if padded {
		v = volume{dims: plan.padded, data: make([]float32, cube3(plan.padded))}
		pasteFloat(v.data, plan.padded, work.data, work.dims, plan.pad)
		lab = make([]uint16, len(v.data))
	}
	gauss := m.Tiling.Gaussian == nil || *m.Tiling.Gaussian
	if err := runSliding(ctx, net, v, ax, m.Output.Classes, plan.sliding, gauss, m.Tiling.MirrorAxes, lab, tick); err != nil {
		return err
	}
	if padded {
		r := box{Lo: plan.pad}
		for a := 0; a < 3; a++ {
			r.Hi[a] = plan.pad[a] + work.dims[a]
		}
		copy(labels, cropU16(lab, plan.padded, r))
	}
	return nil
}

// checkGrid compares the output grid with the input's.
func checkGrid(in, out viewer.Geometry) GeometryCheck {
	if in.Dims == out.Dims && in.SameGrid(out, 1e-3) {
		return GeometryCheck{SameGrid: true}
	}
	return GeometryCheck{SameGrid: false, Detail: fmt.Sprintf("input %v at %v, output %v at %v", in.Dims, in.Origin, out.Dims, out.Origin)}
}

// labelBox is the bounding box of the given labels (all non-zero when ids
// is empty).
func labelBox(lm *viewer.LabelMap, ids []int) (box, bool) {
	want := map[int]bool{}
	for _, id := range ids {
		want[id] = true
	}
	b := box{Lo: lm.Dims, Hi: [3]int{}}
	found := false
	d := lm.Dims
	for k := 0; k < d[2]; k++ {
		for j := 0; j < d[1]; j++ {
			for i := 0; i < d[0]; i++ {
				id := lm.At(i + d[0]*(j+d[1]*k))
				if id == 0 || (len(want) > 0 && !want[id]) {
					continue
				}
				found = true
				for a, x := range [3]int{i, j, k} {
					b.Lo[a] = min(b.Lo[a], x)
					b.Hi[a] = max(b.Hi[a], x+1)
				}
			}
		}
	}
	return b, found
}

func cropData(src []float32, dims [3]int, r box) []float32 {
	s := r.size()
	out := make([]float32, s[0]*s[1]*s[2])
	at := 0
	for k := r.Lo[2]; k < r.Hi[2]; k++ {
		for j := r.Lo[1]; j < r.Hi[1]; j++ {
			o := r.Lo[0] + dims[0]*(j+dims[1]*k)
			copy(out[at:at+s[0]], src[o:o+s[0]])
			at += s[0]
		}
	}
	return out
}

func cropU16(src []uint16, dims [3]int, r box) []uint16 {
	s := r.size()
	out := make([]uint16, s[0]*s[1]*s[2])
	at := 0
	for k := r.Lo[2]; k < r.Hi[2]; k++ {
		for j := r.Lo[1]; j < r.Hi[1]; j++ {
			o := r.Lo[0] + dims[0]*(j+dims[1]*k)
			copy(out[at:at+s[0]], src[o:o+s[0]])
			at += s[0]
		}
	}
	return out
}

func pasteData(dst []uint16, dims [3]int, src []uint16, r box) {
	s := r.size()
	at := 0
	for k := r.Lo[2]; k < r.Hi[2]; k++ {
		for j := r.Lo[1]; j < r.Hi[1]; j++ {
			o := r.Lo[0] + dims[0]*(j+dims[1]*k)
			copy(dst[o:o+s[0]], src[at:at+s[0]])
			at += s[0]
		}
	}
}

func pasteFloat(dst []float32, dims [3]int, src []float32, sdims [3]int, at0 [3]int) {
	at := 0
	for k := 0; k < sdims[2]; k++ {
		for j := 0; j < sdims[1]; j++ {
			o := at0[0] + dims[0]*((j+at0[1])+dims[1]*(k+at0[2]))
			copy(dst[o:o+sdims[0]], src[at:at+sdims[0]])
			at += sdims[0]
		}
	}
}

// firstStages keeps the last few first-stage outcomes (the region and
// the report, not the labels), so that running a second parcellation on
// the same image (the 18-label model after the 104-label one) does not run
// the brain mask again. Volumes are immutable, so the image's identity,
// the grid and the first model's identity are the key; the image is held
// weakly, so the cache never keeps a closed study in memory.
var firstStages = &stageCache{}

type stageCacheKey struct {
	vol                   weak.Pointer[viewer.Volume]
	conform               string
	name, version, sha256 string
	dir                   string
	labels                string
}

type stageOutcome struct {
	report *Report
	region box
	found  bool
}

func stageKey(vol *viewer.Volume, m, fm *Model) stageCacheKey {
	f, _ := fm.Network()
	c := ""
	if m.Preprocess.Conform != nil {
		c = fmt.Sprintf("%+v", *m.Preprocess.Conform)
	}
	return stageCacheKey{vol: weak.Make(vol), conform: c, name: fm.Name, version: fm.Version, sha256: f.SHA256, dir: fm.Dir, labels: fmt.Sprint(m.FirstStage.Labels)}
}

type stageCache struct {
	mu   sync.Mutex
	keys []stageCacheKey
	vals []stageOutcome
}

func (c *stageCache) get(k stageCacheKey) (stageOutcome, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.keys {
		if x == k {
			return c.vals[i], true
		}
	}
	return stageOutcome{}, false
}

func (c *stageCache) put(k stageCacheKey, v stageOutcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, k)
	c.vals = append(c.vals, v)
	if len(c.keys) > 4 {
		c.keys, c.vals = c.keys[1:], c.vals[1:]
	}
}
