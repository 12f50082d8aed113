package inference_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"delineate/inference"
	"delineate/inference/ort"
	"delineate/inference/ort/orttest"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// The real networks of ../shared/models, run on the real T1 of
// ../shared/data/mr-brain through ONNX Runtime. They skip when the data,
// the models or the library are absent.

const (
	sharedDir  = "../../shared"
	realModels = "../testdata/models/shared"
)

func shared(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(sharedDir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real data not available (%s): it lives in ../shared next to the repository", p)
	}
	return p
}

// runtimeForTest loads ONNX Runtime from the repository's lib/ (where
// `make` puts it) unless DELINEATE_ORT_LIB says otherwise.
func runtimeForTest(t testing.TB) *ort.Runtime { return orttest.Runtime(t) }

var (
	t1Once sync.Once
	t1Vol  *viewer.Volume
	t1Err  error
)

func t1(t *testing.T) *viewer.Volume {
	p := shared(t, "data/mr-brain/t1_crop.nii.gz")
	t1Once.Do(func() { t1Vol, t1Err = nifti.Read(p) })
	if t1Err != nil {
		t.Fatal(t1Err)
	}
	return t1Vol
}

func realModel(t *testing.T, name string) *inference.Model {
	t.Helper()
	shared(t, "models/"+name+"/model.onnx")
	m, err := inference.LoadModel(filepath.Join(realModels, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func segmentReal(t *testing.T, name string, budget int64) *inference.Result {
	t.Helper()
	vol := t1(t)
	m := realModel(t, name)
	rt := runtimeForTest(t)
	res, err := inference.Segment(context.Background(), vol, m, inference.RunOptions{Backend: rt, Device: "auto", MemoryBudget: budget,
		Logf: func(f string, a ...any) { t.Logf(f, a...) }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Report.Geometry.SameGrid || res.Labels.Dims != vol.Dims {
		t.Fatalf("output grid %v differs from the input's %v", res.Labels.Dims, vol.Dims)
	}
	t.Logf("%s: %.1f s, device %s, plan %+v", name, res.Report.Seconds, res.Report.Device, res.Report.Plan)
	return res
}

func volumeML(r *inference.Report, name string) float64 {
	for _, l := range r.Labels {
		if strings.EqualFold(l.Name, name) {
			return l.VolumeML
		}
	}
	return 0
}

func within(got, want, frac float64) bool { return math.Abs(got-want) <= frac*want }

// The CPU fallback: the npm library has no CUDA provider, so auto must
// say why and run on the CPU; cuda must fail with that reason.
func TestCPUFallback(t *testing.T) {
	rt := runtimeForTest(t)
	m := realModel(t, "meshnet-gwm")
	_, path := m.Network()
	ok, why := rt.Devices()
	if ok {
		t.Skip("this ONNX Runtime has CUDA: the fallback is not exercised")
	}
	if !strings.Contains(why, "CUDA") {
		t.Errorf("reason %q does not mention CUDA", why)
	}
	net, err := rt.Open(inference.NetSpec{Path: path, Input: "input", Output: "output", Device: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	d := net.Device()
	if d.Used != "cpu" || !strings.Contains(d.Why, "CUDA") {
		t.Errorf("auto: device %+v, want cpu with the CUDA reason", d)
	}
	if _, err := rt.Open(inference.NetSpec{Path: path, Input: "input", Output: "output", Device: "cuda"}); err == nil || !strings.Contains(err.Error(), "CUDA") {
		t.Errorf("cuda: err = %v, want the CUDA reason", err)
	}
	// One session per model, shared: a second open reuses it.
	n0 := rt.Sessions()
	net2, err := rt.Open(inference.NetSpec{Path: path, Input: "input", Output: "output", Device: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	net2.Close()
	if rt.Sessions() != n0 {
		t.Errorf("sessions %d → %d: the second open made a new session", n0, rt.Sessions())
	}
	net.Close()
	rt.ReleaseAll()
	if rt.Sessions() != 0 {
		t.Errorf("%d sessions after ReleaseAll", rt.Sessions())
	}
}

func TestGreyWhiteMatter(t *testing.T) {
	res := segmentReal(t, "meshnet-gwm", 0)
	wm, gm := volumeML(res.Report, "White Matter"), volumeML(res.Report, "Grey Matter")
	t.Logf("white matter %.1f mL, grey matter %.1f mL", wm, gm)
	if !within(wm, 521, 0.02) || !within(gm, 737, 0.02) {
		t.Errorf("WM %.1f mL, GM %.1f mL; want ≈ 521 and 737 (±2%%)", wm, gm)
	}
}

// The parcellation pipeline: MindGrab's brain mask (checked on its own
// numbers), the crop, the 104-class network, the labels pasted back.
func TestParcellationPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs MindGrab on 256³ (about a minute)")
	}
	res := segmentReal(t, "meshnet-dkatlas104", 0)
	fs := res.Report.FirstStage
	if fs == nil {
		t.Fatal("no first-stage report")
	}
	brain := volumeML(fs, "brain")
	t.Logf("MindGrab brain mask %.1f mL", brain)
	if !within(brain, 1606, 0.02) {
		t.Errorf("brain mask %.1f mL, want ≈ 1606 (±2%%)", brain)
	}
	n := len(res.Report.Observed)
	t.Logf("%d of 104 classes present (%d ids observed)", n, len(res.Report.Observed))
	if n < 100 {
		t.Errorf("%d labels present, want ≥ 100 of 104", n)
	}
	if len(res.Report.Undeclared) > 0 {
		t.Errorf("undeclared ids %v", res.Report.Undeclared)
	}
	// Every left-hemisphere label lies on the patient's left: LPS x grows
	// towards the left, so its centroid is left of the brain's.
	lm := res.Labels
	cx := map[int]float64{}
	cn := map[int]float64{}
	var bx, bn float64
	d := lm.Dims
	for k := 0; k < d[2]; k++ {
		for j := 0; j < d[1]; j++ {
			for i := 0; i < d[0]; i++ {
				id := lm.At(lm.Index(i, j, k))
				if id == 0 {
					continue
				}
				x := lm.IndexToLPS(viewer.Vec3{float64(i), float64(j), float64(k)})[0]
				cx[id] += x
				cn[id]++
				bx += x
				bn++
			}
		}
	}
	mid := bx / bn
	left := 0
	for _, l := range lm.Table.Labels {
		name := strings.ToLower(l.Name)
		isLeft := strings.Contains(name, "-lh-") || strings.HasPrefix(name, "left-")
		isRight := strings.Contains(name, "-rh-") || strings.HasPrefix(name, "right-")
		if cn[l.ID] == 0 || (!isLeft && !isRight) {
			continue
		}
		c := cx[l.ID] / cn[l.ID]
		if isLeft {
			left++
			if c <= mid {
				t.Errorf("%s: centroid x %.1f mm is not left of the brain's %.1f", l.Name, c, mid)
			}
		} else if c >= mid {
			t.Errorf("%s: centroid x %.1f mm is not right of the brain's %.1f", l.Name, c, mid)
		}
	}
	if left < 30 {
		t.Errorf("only %d left-hemisphere labels checked", left)
	}
}

func TestSubcorticalAxisOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs MindGrab on 256³")
	}
	res := segmentReal(t, "meshnet-subcortical18", 0)
	if n := len(res.Report.Observed); n != 17 {
		t.Errorf("%d of 17 subcortical labels present (the transpose finds 7)", n)
	}
}
