package ui

import (
	"context"
	"image"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"delineate/inference"
	"delineate/viewer"
	"delineate/viewer/phantom"
	"delineate/viewer/view"
)

// BenchmarkSliceChangeDuringJob is the slice-change path of a view (the
// one SliceView runs on a scroll: reslice, window, overlay, scale into a
// 1024² viewport) on a 512×512×300 CT phantom, first idle, then while the
// built-in CT segmenter runs on the same study as a background job, over
// and over (the job uses every core, as a model run does). The difference
// is what a reader scrolling during a run feels.
func BenchmarkSliceChangeDuringJob(b *testing.B) {
	opt := phantom.DefaultOptions()
	opt.Dims = [3]int{512, 512, 300}
	opt.Spacing = viewer.Vec3{0.75, 0.75, 1}
	ct, labels, _, err := phantom.Generate(opt)
	if err != nil {
		b.Fatal(err)
	}
	scene := view.NewScene(ct)
	if err := scene.SetLabels(labels); err != nil {
		b.Fatal(err)
	}
	model, err := inference.BuiltinModel("ct-tissue")
	if err != nil {
		b.Fatal(err)
	}
	render := func(b *testing.B, p viewer.Plane) {
		v := view.NewViewport(scene, p)
		v.W, v.H = 1024, 1024
		n := v.NumSlices()
		var dst *image.RGBA
		i := 0
		for b.Loop() {
			v.SetSlice((n/2 + i*7) % n)
			dst = v.Render(dst)
			i++
		}
	}
	for _, p := range viewer.Planes {
		b.Run("idle/"+p.String(), func(b *testing.B) { render(b, p) })
	}
	runner := inference.NewRunner(1)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var runs atomic.Int32
	var submit func()
	submit = func() {
		runner.Submit(model.Name, "bench", func(jctx context.Context, j *inference.Job) (any, error) {
			return inference.Segment(jctx, ct, model, inference.RunOptions{Progress: j.Progress})
		}, func(*inference.Job) {
			runs.Add(1)
			if ctx.Err() == nil {
				submit()
			}
		})
	}
	submit()
	for _, p := range viewer.Planes {
		b.Run("job/"+p.String(), func(b *testing.B) { render(b, p) })
	}
	stop()
	for _, j := range runner.Jobs() {
		if job := runner.Job(j.ID); job != nil {
			job.Cancel()
		}
	}
	b.Logf("%d segmentations finished during the job runs", runs.Load())
}

// BenchmarkOpenSeries: opening a DICOM series in the workstation, from
// OpenPath to the first slice on screen (the series shown while it loads)
// and to every slice read. DELINEATE_BENCH_SERIES names the folder (the
// bench script's 300- or 2000-slice series); skipped without it.
func BenchmarkOpenSeries(b *testing.B) {
	dir := os.Getenv("DELINEATE_BENCH_SERIES")
	if dir == "" {
		b.Skip("DELINEATE_BENCH_SERIES is not set (scripts/make_bench_series.py makes one)")
	}
	var first, loaded time.Duration
	for i := 0; i < b.N; i++ {
		ws := newTestWorkstation(b)
		start := time.Now()
		ws.OpenPath(dir)
		waitFor(b, "the first slice", func() bool { return ws.scene != nil })
		ws.views[viewer.Axial].Refresh()
		first += time.Since(start)
		vol := ws.scene.Volume
		waitFor(b, "the whole series", func() bool { return vol.Arriving.Done() && ws.panel.counts != nil })
		loaded += time.Since(start)
		ws.win.Close()
		releaseMemory()
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms-first-slice")
	b.ReportMetric(float64(loaded.Milliseconds())/float64(b.N), "ms-loaded")
}

// BenchmarkOpenFromPACS is Open from PACS on a whole series: from
// Retrieve and Open to the first slice on screen and to fully loaded,
// against an in-process DICOMweb server (loopback HTTP; the real Orthanc's
// retrieve speed is project/pacs's benchmark). Every run starts from an
// empty cache.
func BenchmarkOpenFromPACS(b *testing.B) {
	dir := os.Getenv("DELINEATE_BENCH_SERIES")
	if dir == "" {
		b.Skip("DELINEATE_BENCH_SERIES is not set (scripts/make_bench_series.py makes one)")
	}
	srv := fakePACS(b, dir)
	var first, loaded time.Duration
	for i := 0; i < b.N; i++ {
		ws := newTestWorkstation(b)
		ws.pacsCache = b.TempDir()
		testPACSServer(ws, srv)
		ws.openPACSBrowser()
		pb := ws.pacsWin
		pb.search()
		waitFor(b, "the study", func() bool { return len(pb.studies) == 1 })
		pb.studyList.Select(0)
		waitFor(b, "its series", func() bool { return len(pb.series) == 1 })
		pb.seriesList.Select(0)
		start := time.Now()
		pb.retrieveAndOpen()
		waitFor(b, "the first slice", func() bool { return ws.scene != nil && ws.pacsFrom != nil })
		ws.views[viewer.Axial].Refresh()
		first += time.Since(start)
		vol := ws.scene.Volume
		waitFor(b, "the whole series", func() bool { return vol.Arriving.Done() && ws.panel.counts != nil })
		loaded += time.Since(start)
		pb.win.Close()
		ws.win.Close()
		releaseMemory()
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms-first-slice")
	b.ReportMetric(float64(loaded.Milliseconds())/float64(b.N), "ms-loaded")
}
