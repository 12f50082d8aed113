package builtin

import (
	"context"
	"errors"
	"image/color"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"delineate/viewer"
	"delineate/viewer/phantom"
)

// smallPhantom is the demo anatomy on a coarse grid (3 mm, like the real
// abdominal scan), fast enough for the tests that run the segmenter often.
var smallPhantom = sync.OnceValues(func() (*viewer.Volume, error) {
	ct, _, _, err := phantom.Generate(phantom.Options{Dims: [3]int{128, 128, 108}, Spacing: viewer.Vec3{3, 3, 3}, Seed: 5, Noise: 15})
	return ct, err
})

func mustSmall(t *testing.T) *viewer.Volume {
	t.Helper()
	ct, err := smallPhantom()
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func TestCTTissueTable(t *testing.T) {
	tab := CTTissueTable()
	want := []string{"body", "lungs", "fat", "soft tissue", "bone", "air inside body"}
	if len(tab.Labels) != len(want) {
		t.Fatalf("%d labels", len(tab.Labels))
	}
	seen := map[color.RGBA]bool{}
	for i, l := range tab.Labels {
		if l.ID != i+1 || l.Name != want[i] || !l.Visible || l.Locked || l.Colour.A != 255 {
			t.Errorf("label %d: %+v", i+1, l)
		}
		if seen[l.Colour] {
			t.Errorf("colour %v used twice", l.Colour)
		}
		seen[l.Colour] = true
	}
	for _, id := range []int{TissueBody, TissueLungs, TissueFat, TissueSoft, TissueBone, TissueAir} {
		if _, ok := tab.Get(id); !ok {
			t.Errorf("id %d missing", id)
		}
	}
	if CTTissueVersion == "" {
		t.Error("no version")
	}
}

func TestRefusesWhatIsNotCT(t *testing.T) {
	ctx := context.Background()
	g := viewer.Geometry{Dims: [3]int{8, 8, 4}, Spacing: viewer.Vec3{1, 1, 1}, Direction: viewer.Identity3}
	unit, _ := viewer.NewVolume(g, viewer.Float32)
	for i, v := range unit.Data.(viewer.Voxels[float32]) {
		v = float32(i%97) / 96 // 0..1, a normalised image
		unit.Data.(viewer.Voxels[float32])[i] = v
	}
	raw, _ := viewer.NewVolume(g, viewer.Uint16)
	for i := range raw.Data.(viewer.Voxels[uint16]) {
		raw.Data.(viewer.Voxels[uint16])[i] = uint16(i * 37 % 4096) // stored values without the rescale
	}
	mr := *mustSmall(t)
	mr.Modality = "MR"
	for _, c := range []struct {
		name string
		vol  *viewer.Volume
		want string
	}{
		{"0..1 float", unit, "needs HU values; this volume's range is 0..1"},
		{"unrescaled CT", raw, "needs HU values; this volume's range is 0..4"},
		{"MR modality", &mr, "needs a CT; this volume's modality is MR"},
		{"nil", nil, "no image"},
		{"no voxels", &viewer.Volume{Geometry: g}, "no image"},
	} {
		lm, err := SegmentCT(ctx, c.vol, nil)
		if err == nil || lm != nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, %v; want an error saying %q", c.name, lm, err, c.want)
		}
	}
}

func TestRefusesRealMR(t *testing.T) {
	mr := readNIfTI(t, "mr-brain/t1_crop.nii.gz")
	lo, hi := mr.Range()
	start := time.Now()
	_, err := SegmentCT(context.Background(), mr, nil)
	if err == nil || !strings.Contains(err.Error(), "built-in CT segmenter needs HU values; this volume's range is ") {
		t.Fatalf("MR brain (range %g..%g): %v", lo, hi, err)
	}
	t.Logf("MR brain refused in %v: %v", time.Since(start).Round(time.Millisecond), err)
}

func TestPreCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	start := time.Now()
	lm, err := SegmentCT(ctx, mustSmall(t), func(string, float64) { called = true })
	if lm != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, %v", lm, err)
	}
	if called {
		t.Errorf("progress called after the cancel (returned in %v)", time.Since(start))
	}
}

// TestCancelStopsQuickly cancels at several points of a full-size run and
// logs how long SegmentCT takes to return after the cancel.
func TestCancelStopsQuickly(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 512×512×300 phantom")
	}
	ct, err := bigPhantom()
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []float64{0.05, 0.3, 0.45, 0.65, 0.8, 0.97} {
		ctx, cancel := context.WithCancel(context.Background())
		var cancelled atomic.Int64 // UnixNano of the cancel
		lm, err := SegmentCT(ctx, ct, func(_ string, f float64) {
			if f >= at && cancelled.Load() == 0 {
				cancelled.Store(time.Now().UnixNano())
				cancel()
			}
		})
		lag := time.Since(time.Unix(0, cancelled.Load()))
		cancel()
		if lm != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel at %.2f: %v, %v", at, lm, err)
		}
		// The lag is logged, not asserted (no timed assertions); the
		// benchmark figures are in BENCHMARKS.md.
		t.Logf("cancelled at %.2f: returned %v later", at, lag.Round(time.Microsecond))
	}
}

// TestCancelOnTimer cancels from another goroutine at fixed delays, so
// the cancel also lands in the passes that report no progress (the joins
// across slices, the component statistics).
func TestCancelOnTimer(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 512×512×300 phantom")
	}
	ct, err := bigPhantom()
	if err != nil {
		t.Fatal(err)
	}
	for _, delay := range []time.Duration{time.Millisecond, 30 * time.Millisecond, 200 * time.Millisecond,
		600 * time.Millisecond, 1200 * time.Millisecond, 2 * time.Second} {
		ctx, cancel := context.WithCancel(context.Background())
		var at atomic.Int64
		timer := time.AfterFunc(delay, func() {
			at.Store(time.Now().UnixNano())
			cancel()
		})
		lm, err := SegmentCT(ctx, ct, nil)
		end := time.Now()
		timer.Stop()
		cancel()
		if at.Load() == 0 {
			t.Logf("finished before the cancel at %v", delay)
			continue
		}
		lag := end.Sub(time.Unix(0, at.Load()))
		if lm != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel after %v: %v, %v", delay, lm, err)
		}
		t.Logf("cancelled after %v: returned %v later", delay, lag.Round(time.Microsecond))
	}
}

func TestProgress(t *testing.T) {
	var mu sync.Mutex
	var inside atomic.Int32
	type call struct {
		stage string
		f     float64
	}
	var calls []call
	_, err := SegmentCT(context.Background(), mustSmall(t), func(stage string, f float64) {
		if inside.Add(1) != 1 {
			t.Error("progress called concurrently")
		}
		mu.Lock()
		calls = append(calls, call{stage, f})
		mu.Unlock()
		inside.Add(-1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 2 {
		t.Fatalf("%d progress calls", len(calls))
	}
	last := calls[len(calls)-1]
	if last.stage != "done" || last.f != 1 {
		t.Errorf("last call %q %g", last.stage, last.f)
	}
	for i, c := range calls {
		if c.stage == "" || c.f < 0 || c.f > 1 {
			t.Errorf("call %d: %q %g", i, c.stage, c.f)
		}
		if i > 0 && c.f < calls[i-1].f {
			t.Errorf("progress went back from %g to %g", calls[i-1].f, c.f)
		}
	}
	t.Logf("%d progress calls", len(calls))
}

// TestGridInputAndDeterminism: the output is on exactly the input's grid,
// the input is untouched, and the labels do not depend on the number of
// workers or the voxel type.
func TestGridInputAndDeterminism(t *testing.T) {
	ct := mustSmall(t)
	ct.Modality = "CT"
	before := slices.Clone(ct.Data.(viewer.Voxels[int16]))
	ref, err := segmentCT(context.Background(), ct, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Geometry != ct.Geometry || ref.Data.Type() != viewer.Uint8 || ref.Data.Len() != ct.NumVoxels() {
		t.Fatalf("output grid %+v %v, input %+v", ref.Geometry, ref.Data.Type(), ct.Geometry)
	}
	if !slices.Equal(ref.Table.Labels, CTTissueTable().Labels) {
		t.Error("table differs from CTTissueTable()")
	}
	if !slices.Equal(before, ct.Data.(viewer.Voxels[int16])) {
		t.Fatal("input voxels changed")
	}
	want := labelsOf(t, ref)
	if ids := ref.Present(); !slices.Equal(ids, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("labels present %v", ids)
	}
	for _, w := range []int{2, 3, 7, 16} {
		lm, err := segmentCT(context.Background(), ct, nil, w)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(labelsOf(t, lm), want) {
			t.Errorf("%d workers: labels differ from 1 worker's", w)
		}
	}
	// The same HU as int32 and float32.
	src := ct.Data.(viewer.Voxels[int16])
	i32, f32 := make(viewer.Voxels[int32], len(src)), make(viewer.Voxels[float32], len(src))
	for i, v := range src {
		i32[i], f32[i] = int32(v), float32(v)
	}
	for _, d := range []viewer.VoxelData{i32, f32} {
		v := *ct
		v.Data = d
		lm, err := SegmentCT(context.Background(), &v, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(labelsOf(t, lm), want) {
			t.Errorf("%v voxels: labels differ from int16's", d.Type())
		}
	}
}

// TestOrientation stores the same phantom with the superior–inferior axis
// as i or j instead of k, and with k reversed (feet first): the labels are
// the same voxels, because the planes are chosen from the direction matrix.
func TestOrientation(t *testing.T) {
	ct := mustSmall(t)
	want := labelsOf(t, mustSegment(t, ct))
	d := ct.Dims
	src := ct.Data.(viewer.Voxels[int16])

	// (i', j', k') = (k, i, j): i' runs along S.
	perm := &viewer.Volume{Geometry: viewer.Geometry{Dims: [3]int{d[2], d[0], d[1]},
		Spacing: viewer.Vec3{ct.Spacing[2], ct.Spacing[0], ct.Spacing[1]}, Origin: ct.Origin,
		Direction: viewer.Mat3{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}}}, Modality: "CT"}
	pd := make(viewer.Voxels[int16], len(src))
	// (i', j', k') = (i, k, j): j' runs along S (a coronal-major layout).
	cor := &viewer.Volume{Geometry: viewer.Geometry{Dims: [3]int{d[0], d[2], d[1]},
		Spacing: viewer.Vec3{ct.Spacing[0], ct.Spacing[2], ct.Spacing[1]}, Origin: ct.Origin,
		Direction: viewer.Mat3{{1, 0, 0}, {0, 0, 1}, {0, 1, 0}}}, Modality: "CT"}
	cd := make(viewer.Voxels[int16], len(src))
	// (i, j, k'') with k'' = nz-1-k: S runs towards decreasing k''.
	flip := &viewer.Volume{Geometry: ct.Geometry, Modality: "CT"}
	flip.Direction[2][2] = -1
	flip.Origin[2] = ct.Origin[2] + float64(d[2]-1)*ct.Spacing[2]
	fd := make(viewer.Voxels[int16], len(src))
	for k := 0; k < d[2]; k++ {
		for j := 0; j < d[1]; j++ {
			for i := 0; i < d[0]; i++ {
				v := src[ct.Index(i, j, k)]
				pd[perm.Index(k, i, j)] = v
				cd[cor.Index(i, k, j)] = v
				fd[flip.Index(i, j, d[2]-1-k)] = v
			}
		}
	}
	perm.Data, flip.Data, cor.Data = pd, fd, cd
	if p := axialPlanes(cor.Geometry); p.a != 1 || p.superior != d[2]-1 {
		t.Fatalf("coronal-major: axial axis %d, superior plane %d", p.a, p.superior)
	}
	if p := axialPlanes(perm.Geometry); p.a != 0 || p.superior != d[2]-1 {
		t.Fatalf("permuted: axial axis %d, superior plane %d", p.a, p.superior)
	}
	if p := axialPlanes(flip.Geometry); p.a != 2 || p.superior != 0 {
		t.Fatalf("flipped: axial axis %d, superior plane %d", p.a, p.superior)
	}
	pl, fl, cl := labelsOf(t, mustSegment(t, perm)), labelsOf(t, mustSegment(t, flip)), labelsOf(t, mustSegment(t, cor))
	var badP, badF, badC int
	for k := 0; k < d[2]; k++ {
		for j := 0; j < d[1]; j++ {
			for i := 0; i < d[0]; i++ {
				w := want[ct.Index(i, j, k)]
				if pl[perm.Index(k, i, j)] != w {
					badP++
				}
				if fl[flip.Index(i, j, d[2]-1-k)] != w {
					badF++
				}
				if cl[cor.Index(i, k, j)] != w {
					badC++
				}
			}
		}
	}
	if badP != 0 || badF != 0 || badC != 0 {
		t.Errorf("%d voxels differ when S is axis i, %d when it is j, %d when k is reversed", badP, badC, badF)
	}
}

func mustSegment(t *testing.T, v *viewer.Volume) *viewer.LabelMap {
	t.Helper()
	lm, err := SegmentCT(context.Background(), v, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lm
}

// TestOddShapes runs grids of one voxel's width or height along every
// axis, with random HU, and one of air with a single dense voxel: no
// panic, a label map on the grid, and nothing where there is no body.
func TestOddShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 60; trial++ {
		d := [3]int{1 + rng.IntN(12), 1 + rng.IntN(12), 1 + rng.IntN(12)}
		d[rng.IntN(3)] = 1 + rng.IntN(2)
		g := viewer.Geometry{Dims: d, Spacing: viewer.Vec3{0.3 + 4*rng.Float64(), 0.3 + 4*rng.Float64(), 0.3 + 4*rng.Float64()},
			Direction: viewer.Identity3}
		v, _ := viewer.NewVolume(g, viewer.Int16)
		src := v.Data.(viewer.Voxels[int16])
		for i := range src {
			src[i] = int16(rng.IntN(3000) - 1024)
		}
		src[0], src[len(src)-1] = -1000, 1000
		lm, err := segmentCT(context.Background(), v, nil, 1+rng.IntN(4))
		if err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		if lm.Geometry != g {
			t.Fatalf("%v: grid %+v", d, lm.Geometry)
		}
	}
	g := viewer.Geometry{Dims: [3]int{16, 16, 8}, Spacing: viewer.Vec3{1, 1, 1}, Direction: viewer.Identity3}
	v, _ := viewer.NewVolume(g, viewer.Int16)
	src := v.Data.(viewer.Voxels[int16])
	for i := range src {
		src[i] = -1000
	}
	src[g.Index(8, 8, 4)] = 1200
	lm, err := SegmentCT(context.Background(), v, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One voxel is 0.001 mL, far below any body: the map is empty.
	if ids := lm.Present(); len(ids) != 0 {
		t.Errorf("single dense voxel in air: labels %v", ids)
	}
}
