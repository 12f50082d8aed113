package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"delineate/inference"
	"delineate/inference/ort"
	"delineate/viewer"
	"delineate/viewer/load"
	"delineate/viewer/nifti"
)

func runSegment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("segment", flag.ContinueOnError)
	modelRef := fs.String("model", "", "model folder, model name, or builtin:ct-tissue")
	device := fs.String("device", "auto", "auto, cpu or cuda")
	reportPath := fs.String("report", "", "write the run report (JSON) here")
	threads := fs.Int("threads", 0, "intra-op threads (0 = all cores)")
	maxMem := fs.String("max-memory", "", "memory the run may use, e.g. 2G (default: half of what is available)")
	models := fs.String("models", "", "an extra models folder")
	lib := fs.String("ort-lib", "", "ONNX Runtime library (default: $DELINEATE_ORT_LIB, next to the binary, lib/)")
	series := fs.Int("series", 0, "series index from `info` (for a DICOM folder)")
	force := fs.Bool("force", false, "overwrite OUT (and the report) if they exist")
	noFirst := fs.Bool("no-first-stage", false, "run the model on the whole grid, without its first stage (for benchmarks)")
	fullHead := fs.Bool("full-head", false, "run the network's last layer in ONNX Runtime even where the runner would apply it itself (for comparisons)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf("segment takes IMAGE and OUT")
	}
	if *modelRef == "" {
		return usageErrorf("--model is required")
	}
	if !load.IsNIfTI(pos[1]) {
		return usageErrorf("OUT must end in .nii or .nii.gz")
	}
	if err := inference.CheckDevice(*device); err != nil {
		return usageErrorf("%v", err)
	}
	var budget int64
	if *maxMem != "" {
		if budget, err = inference.ParseBytes(*maxMem); err != nil {
			return usageErrorf("--max-memory: %v", err)
		}
	}
	// The plan keeps what the run holds within the budget, but Go's
	// collector lets the heap grow to twice what is live before it
	// collects: a soft limit makes it collect sooner, so the peak RSS
	// stays within the budget too (ONNX Runtime's own memory is outside
	// the Go heap, hence the margin).
	if lim := budget; lim > 0 || inference.DefaultBudget() > 0 {
		if lim == 0 {
			lim = inference.DefaultBudget()
		}
		debug.SetMemoryLimit(lim * 4 / 5)
	}
	// Refuse to replace results before doing any work.
	for _, p := range []string{pos[1], *reportPath} {
		if p == "" || *force {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s exists; not overwriting (use --force)", p)
		}
	}
	m, err := inference.ResolveModel(*modelRef, inference.ModelDirs(*models))
	if err != nil {
		return err
	}
	opts := inference.RunOptions{Device: *device, Threads: *threads, MemoryBudget: budget, SkipFirstStage: *noFirst, FullHead: *fullHead}
	if m.Builtin == "" {
		rt, err := ort.Load(*lib)
		if err != nil {
			return err
		}
		opts.Backend = rt
		if *device != "cpu" {
			if ok, why := rt.Devices(); !ok {
				fmt.Fprintf(stderr, "CUDA unavailable: %s\n", why)
			}
		}
	}
	vol, st, err := openVolume(ctx, pos[0], *series)
	if err != nil {
		return err
	}
	pp := newProgressPrinter(stderr)
	opts.Progress = pp.update
	opts.Logf = func(format string, a ...any) { pp.line(fmt.Sprintf(format, a...)) }
	res, err := inference.Segment(ctx, vol, m, opts)
	pp.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("cancelled; nothing written")
		}
		return err
	}
	out := res.Labels.Volume
	if st.FromDICOM(*series) {
		out = viewer.FlipAxis(out, 1) // the same voxel order as `convert` writes (rows bottom-up)
	}
	if err := nifti.Write(pos[1], out, nifti.WriteOptions{Overwrite: *force, Description: "delineate " + m.Name}); err != nil {
		return err
	}
	rep := res.Report
	rep.Input.Path = absPath(pos[0])
	rep.Input.Series = *series
	rep.Output = inference.GridOf(out)
	rep.Output.Modality = ""
	rep.Output.Path = absPath(pos[1])
	if rep.Output.SHA256, err = inference.FileSHA256(pos[1]); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "device: %s\n", rep.Device)
	for _, l := range rep.Labels {
		fmt.Fprintf(stderr, "  %3d %-32s %9d voxels %10.2f mL\n", l.ID, l.Name, l.Voxels, l.VolumeML)
	}
	if len(rep.Undeclared) > 0 {
		fmt.Fprintf(stderr, "warning: ids the model does not declare: %v\n", rep.Undeclared)
	}
	fmt.Fprintf(stderr, "wrote %s in %.1f s\n", pos[1], rep.Seconds)
	if *reportPath != "" {
		if err := inference.WriteReport(*reportPath, rep); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// progressPrinter prints a job's progress on stderr: a line when the
// stage changes and at most one a second otherwise, with an ETA.
type progressPrinter struct {
	mu        sync.Mutex
	w         io.Writer
	start     time.Time
	last      time.Time
	lastStage string
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	return &progressPrinter{w: w, start: time.Now()}
}

func (p *progressPrinter) update(stage string, f float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	head := stage
	if i := strings.IndexByte(stage, ' '); i > 0 && strings.HasPrefix(stage, "tile") {
		head = "tile"
	}
	if head == p.lastStage && now.Sub(p.last) < time.Second {
		return
	}
	p.lastStage, p.last = head, now
	eta := ""
	if el := now.Sub(p.start); f > 0.02 && f < 1 {
		eta = fmt.Sprintf(", ETA %s", (time.Duration(float64(el) * (1 - f) / f)).Round(time.Second))
	}
	fmt.Fprintf(p.w, "%5.1f%% %s%s\n", 100*f, stage, eta)
}

func (p *progressPrinter) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, s)
}

func (p *progressPrinter) finish() {}
