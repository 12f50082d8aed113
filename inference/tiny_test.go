package inference_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/inference"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// The tiny networks of testdata/models (make_models.py) run through ONNX
// Runtime, against the exact outputs documented in EXPECTED.md: whole
// volumes, tiles, sliding windows with padding, mirroring, reorientation
// and bounded memory must all give the same labels.

const tinyModels = "../testdata/models"

func tinyModel(t *testing.T, name string) *inference.Model {
	t.Helper()
	m, err := inference.LoadModel(filepath.Join(tinyModels, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// floatVolume is a float32 volume on a grid with the given spacing and
// direction whose voxel (i,j,k) holds f(i,j,k).
func floatVolume(t *testing.T, dims [3]int, spacing viewer.Vec3, dir viewer.Mat3, f func(i, j, k int) float64) *viewer.Volume {
	t.Helper()
	v, err := viewer.NewVolume(viewer.Geometry{Dims: dims, Spacing: spacing, Direction: dir}, viewer.Float32)
	if err != nil {
		t.Fatal(err)
	}
	d := v.Data.Raw().([]float32)
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				d[v.Index(i, j, k)] = float32(f(i, j, k))
			}
		}
	}
	return v
}

func runTiny(t *testing.T, vol *viewer.Volume, m *inference.Model, budget int64) *inference.Result {
	t.Helper()
	res, err := inference.Segment(context.Background(), vol, m, inference.RunOptions{Backend: runtimeForTest(t), Device: "cpu", MemoryBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	if res.Labels.Dims != vol.Dims || !res.Report.Geometry.SameGrid {
		t.Fatalf("labels on %v, input %v (same grid %v)", res.Labels.Dims, vol.Dims, res.Report.Geometry.SameGrid)
	}
	return res
}

// labelAt reads the label map at a linear index whatever its voxel type.
func labelAt(lm *viewer.LabelMap, i int) int { return int(lm.Data.At(i)) }

// tiny-nnunet's logits depend on a voxel's own value only: argmax is the
// nearest of the bins 0..3. Volumes larger and smaller than the fixed
// patch, anisotropic, with flipped axes and a conform step that re-indexes
// them, with mirroring and with a small memory budget must all give it.
func TestTinyNNUNetSlidingWindow(t *testing.T) {
	flip := viewer.Mat3{{-1, 0, 0}, {0, 0, 1}, {0, -1, 0}}
	want := func(i, j, k int) int { return (i*7 + j*3 + k*5) % 4 }
	value := func(i, j, k int) float64 {
		return float64(want(i, j, k)) + 0.3*math.Sin(float64(i+2*j+3*k)) // ≥ 0.2 from every threshold
	}
	cases := []struct {
		name    string
		dims    [3]int
		spacing viewer.Vec3
		dir     viewer.Mat3
		orient  string
		mirror  []int
		budget  int64
		tiles   int // at least
	}{
		{"larger than the patch", [3]int{45, 70, 37}, viewer.Vec3{1, 1, 1}, viewer.Identity3, "", nil, 0, 2},
		{"smaller than the patch (padded)", [3]int{9, 13, 5}, viewer.Vec3{1, 1, 1}, viewer.Identity3, "", nil, 0, 1},
		{"anisotropic, flipped, re-indexed to LIA", [3]int{33, 40, 18}, viewer.Vec3{0.7, 0.9, 3}, flip, "LIA", nil, 0, 2},
		{"mirrored on all axes", [3]int{40, 36, 20}, viewer.Vec3{1, 1, 1}, viewer.Identity3, "", []int{0, 1, 2}, 0, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tinyModel(t, "tiny-nnunet")
			if c.orient != "" {
				m.Preprocess.Conform = &inference.Conform{Orientation: c.orient}
			}
			m.Tiling.MirrorAxes = c.mirror
			vol := floatVolume(t, c.dims, c.spacing, c.dir, value)
			res := runTiny(t, vol, m, c.budget)
			if res.Report.Plan.Tiles < c.tiles {
				t.Errorf("plan %+v: want at least %d tiles", res.Report.Plan, c.tiles)
			}
			if len(c.mirror) > 0 && res.Report.Plan.Mirrors != 8 {
				t.Errorf("plan %+v: want 8 passes per tile with 3 mirrored axes", res.Report.Plan)
			}
			bad := 0
			for k := 0; k < c.dims[2]; k++ {
				for j := 0; j < c.dims[1]; j++ {
					for i := 0; i < c.dims[0]; i++ {
						if got := labelAt(res.Labels, vol.Index(i, j, k)); got != want(i, j, k) {
							if bad++; bad < 5 {
								t.Errorf("voxel (%d,%d,%d): label %d, want %d", i, j, k, got, want(i, j, k))
							}
						}
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d voxels wrong", bad, vol.NumVoxels())
			}
		})
	}
}

// tiny-fcn has random weights and a receptive field of 7 voxels: the
// labels equal PyTorch's whole-volume reference, in one pass and in tiles
// forced by a small memory budget, with the last layer (4 → 5 channels)
// run by ONNX Runtime or split off and applied by the runner.
func TestTinyFCNMatchesReference(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(tinyModels, "tiny-fcn/expected_20x24x28.u8"))
	if err != nil {
		t.Fatal(err)
	}
	// Tensor [d,h,w] = [20,24,28] with w fastest: the volume's i is w.
	dims := [3]int{28, 24, 20}
	vol := floatVolume(t, dims, viewer.Vec3{1, 1, 1}, viewer.Identity3, func(i, j, k int) float64 {
		return float64(float32(math.Sin(0.3*float64(k)) + math.Cos(0.2*float64(j)) + 0.1*float64(i)))
	})
	rt := runtimeForTest(t)
	for _, c := range []struct {
		budget   int64
		fullHead bool
	}{{0, false}, {600 << 10, false}, {0, true}, {800 << 10, true}} {
		m := tinyModel(t, "tiny-fcn")
		res, err := inference.Segment(context.Background(), vol, m, inference.RunOptions{Backend: rt, Device: "cpu", MemoryBudget: c.budget, FullHead: c.fullHead})
		if err != nil {
			t.Fatal(err)
		}
		p := res.Report.Plan
		if (p.Head == "") != c.fullHead {
			t.Errorf("full head %v: plan head %q", c.fullHead, p.Head)
		}
		if c.budget > 0 && p.Tiles < 2 {
			t.Errorf("budget %d: %d tiles, estimate %d: want several", c.budget, p.Tiles, p.Estimate)
		}
		if c.budget == 0 && p.Tiles != 1 {
			t.Errorf("no budget: %d tiles, want one pass", p.Tiles)
		}
		diff := 0
		for i := range want {
			if labelAt(res.Labels, i) != int(want[i]) {
				diff++
			}
		}
		if diff != 0 {
			t.Errorf("budget %d, full head %v (%d tiles, margin %d): %d of %d labels differ from the reference", c.budget, c.fullHead, p.Tiles, p.Margin, diff, len(want))
		}
	}
}

// tiny-axis differentiates along the tensor's last axis; its description
// says "ijk", so that axis is the volume's k. A ramp along k gives label 1
// (rising) everywhere but the last slice, where the zero padding makes it
// fall; a wrong transpose gives label 0 nearly everywhere.
func TestTinyAxisOrder(t *testing.T) {
	dims := [3]int{6, 7, 9}
	vol := floatVolume(t, dims, viewer.Vec3{1, 1, 1}, viewer.Identity3, func(i, j, k int) float64 { return float64(k) })
	res := runTiny(t, vol, tinyModel(t, "tiny-axis"), 0)
	for k := 0; k < dims[2]; k++ {
		want := 1
		if k == dims[2]-1 {
			want = 2
		}
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				if got := labelAt(res.Labels, vol.Index(i, j, k)); got != want {
					t.Fatalf("voxel (%d,%d,%d): label %d, want %d", i, j, k, got, want)
				}
			}
		}
	}
}

// huBin is tiny-100class's exact answer for an integer HU value.
func huBin(hu float64) int { return min(99, max(0, int(math.Floor((hu+1000)/30)))) }

// tiny-100class on the real abdominal CT: 100 classes make the logits 400
// bytes a voxel, so a small budget splits the sliding window's
// accumulators into blocks; bounded and unbounded runs both give the
// formula's label at every voxel. (A quarter of the description's patch
// keeps the test's memory small; the benchmark runs the full patch.)
func TestTiny100ClassBoundedMemory(t *testing.T) {
	p := shared(t, "data/ct-abdomen/example_ct.nii.gz")
	vol, err := nifti.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int64{0, 300 << 20} {
		m := tinyModel(t, "tiny-100class")
		m.Tiling.Patch = []int{32, 64, 64}
		res := runTiny(t, vol, m, budget)
		plan := res.Report.Plan
		t.Logf("budget %d: %d tiles, %d passes, %d blocks, estimate %d", budget, plan.Tiles, plan.Runs, plan.Blocks, plan.Estimate)
		if budget > 0 && (plan.Blocks < 2 || plan.Estimate > budget) {
			t.Errorf("budget %d: %d blocks, estimate %d: want several blocks within the budget", budget, plan.Blocks, plan.Estimate)
		}
		diff := 0
		for i := 0; i < vol.NumVoxels(); i++ {
			if labelAt(res.Labels, i) != huBin(vol.Data.At(i)) {
				diff++
			}
		}
		if diff != 0 {
			t.Errorf("budget %d: %d of %d voxels differ from floor((HU+1000)/30)", budget, diff, vol.NumVoxels())
		}
	}
}

// A run cancelled while the network works returns context.Canceled (the
// UI tells a cancelled job from a failed one by it) and leaves the
// runtime usable.
func TestCancelDuringNetwork(t *testing.T) {
	p := shared(t, "data/ct-abdomen/example_ct.nii.gz")
	vol, err := nifti.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stages := map[string]bool{}
	m := tinyModel(t, "tiny-100class")
	m.Tiling.Patch = []int{32, 64, 64}
	_, err = inference.Segment(ctx, vol, m, inference.RunOptions{Backend: runtimeForTest(t), Device: "cpu",
		MemoryBudget: 300 << 20,
		Progress: func(stage string, f float64) {
			stages[stage] = true
			if f > 0.2 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run returned %v, want context.Canceled", err)
	}
	// The shared session survives a cancelled run.
	small := floatVolume(t, [3]int{8, 8, 8}, viewer.Vec3{1, 1, 1}, viewer.Identity3, func(i, j, k int) float64 { return 45 })
	res := runTiny(t, small, tinyModel(t, "tiny-100class"), 0)
	if got := labelAt(res.Labels, 0); got != huBin(45) {
		t.Errorf("after cancel: label %d, want %d", got, huBin(45))
	}
}

// Broken model folders fail with the error a user can act on, before any
// voxel is touched: description errors at load, file and graph errors at
// the run.
func TestBadModels(t *testing.T) {
	vol := floatVolume(t, [3]int{8, 8, 8}, viewer.Vec3{1, 1, 1}, viewer.Identity3, func(i, j, k int) float64 { return 1 })
	cases := []struct {
		dir  string
		load bool // fails at LoadModel
		want []string
	}{
		{"bad-classes", false, []string{"class"}},
		{"bad-input-name", false, []string{"input"}},
		{"bad-margin", false, []string{"margin"}},
		{"bad-missing-file", false, []string{"model.onnx"}},
		{"bad-not-onnx", false, []string{"ONNX"}},
		{"bad-ort-refuses", false, []string{"ONNX Runtime"}},
		{"bad-rank", false, []string{"rank"}},
		{"bad-sha256", false, []string{"sha256"}},
	}
	rt := runtimeForTest(t)
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			m, err := inference.LoadModel(filepath.Join(tinyModels, "bad", c.dir))
			if err == nil {
				_, err = inference.Segment(context.Background(), vol, m, inference.RunOptions{Backend: rt, Device: "cpu"})
			}
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, context.Canceled) {
				t.Fatalf("reported as cancelled: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(w)) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			t.Logf("%s: %v", c.dir, err)
		})
	}
}
