package yolo_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"delineate/inference/ort"
	"delineate/inference/ort/orttest"
	"delineate/inference/yolo"
	"delineate/viewer"
)

func runtime(t *testing.T) *ort.Runtime { return orttest.Runtime(t) }

// ct is a 512×384×5 CT of 0.8 × 0.8 × 2.5 mm voxels: a non-square slice.
func ct(t *testing.T) *viewer.Volume {
	g := viewer.Geometry{Dims: [3]int{512, 384, 5}, Spacing: viewer.Vec3{0.8, 0.8, 2.5}, Direction: viewer.Identity3}
	v, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	v.Modality = "CT"
	d := v.Data.Raw().([]int16)
	for i := range d {
		d[i] = 40
	}
	return v
}

// The tiny YOLO-seg export (testdata/models/make_prompt_models.py) through
// ONNX Runtime: names from its metadata, the two boxes it places mapped
// back through the letterbox (a 512×384 slice fills 640×480 of the input,
// 80 rows of padding above), NMS removing the duplicate, masks from the
// prototypes, voxels and 3D findings.
func TestTinyYOLOSeg(t *testing.T) {
	m, err := yolo.Open(runtime(t), "../../testdata/models/tiny-yoloseg/model.onnx", nil, "cpu", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Names) != 2 || m.Names[0] != "lung nodule" || len(m.Outputs) != 2 || m.Size != 640 {
		t.Fatalf("names %q, outputs %v", m.Names, m.Outputs)
	}
	vol := ct(t)
	res, err := m.DetectSlice(context.Background(), vol, viewer.Axial, 2, yolo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dets) != 2 {
		t.Fatalf("%d detections: %+v", len(res.Dets), res.Dets)
	}
	d0, d1 := res.Dets[0], res.Dets[1]
	near := func(b [4]float64, want [4]float64) bool {
		for i := range b {
			if b[i]-want[i] > 1e-3 || want[i]-b[i] > 1e-3 {
				return false
			}
		}
		return true
	}
	// a0: input (270, 290)–(370, 350) → slice (216, 168)–(296, 216).
	if d0.Class != 0 || d0.Score < 0.89 || !near(d0.Box, [4]float64{216, 168, 296, 216}) {
		t.Errorf("first detection %+v", d0)
	}
	// a2: input (140, 460)–(180, 500) → slice (112, 304)–(144, 336).
	if d1.Class != 1 || !near(d1.Box, [4]float64{112, 304, 144, 336}) {
		t.Errorf("second detection %+v", d1)
	}
	// Prototype 0's cells [70,90)×[75,85) are input [280,360)×[300,340),
	// slice [224,288)×[176,208): the mask sits there (its corners rounded
	// by the bilinear sampling).
	minX, minY, maxX, maxY := 1<<30, 1<<30, -1, -1
	for p, on := range d0.Mask {
		if on == 1 {
			x, y := p%512, p/512
			minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
		}
	}
	if minX != 224 || maxX != 287 || minY != 176 || maxY != 207 || d0.MaskPixels < 1900 || d0.MaskPixels > 64*32 {
		t.Errorf("mask spans x %d..%d, y %d..%d, %d pixels", minX, maxX, minY, maxY, d0.MaskPixels)
	}
	vb := yolo.ToVoxels(vol.Geometry, res.Layout, res.K, d0.Box)
	if vb.Min != [3]int{216, 168, 2} || vb.Max != [3]int{295, 215, 2} {
		t.Errorf("voxels %v–%v", vb.Min, vb.Max)
	}
	// Three slices: one finding per class, spanning them.
	var all []yolo.SliceResult
	for k := 1; k <= 3; k++ {
		r, err := m.DetectSlice(context.Background(), vol, viewer.Axial, k, yolo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	f := yolo.Group(vol.Geometry, all, m.Names, 0.3)
	if len(f) != 2 || f[0].Label != "lung nodule" || f[0].FirstSlice != 1 || f[0].LastSlice != 3 || f[0].MaskVoxels != 3*d0.MaskPixels {
		t.Errorf("findings %+v", f)
	}
	// A text prompt on the baked vocabulary.
	ids, err := yolo.SelectClasses(m.Names, nil, " Liver  Lesion ")
	if err != nil || len(ids) != 1 || ids[0] != 1 {
		t.Fatalf("select: %v %v", ids, err)
	}
	r, _ := m.DetectSlice(context.Background(), vol, viewer.Axial, 2, yolo.Options{Classes: ids})
	if len(r.Dets) != 1 || r.Dets[0].Class != 1 {
		t.Errorf("prompted detections %+v", r.Dets)
	}
	if _, err := yolo.SelectClasses(m.Names, map[string][]string{"lung nodule": {"nodule"}}, "nodule, kidney"); err == nil ||
		!strings.Contains(err.Error(), "this model knows: liver lesion, lung nodule") {
		t.Errorf("unknown phrase: %v", err)
	}
	if ids, err := yolo.SelectClasses(m.Names, map[string][]string{"lung nodule": {"nodule"}}, "NODULE"); err != nil || ids[0] != 0 {
		t.Errorf("synonym: %v %v", ids, err)
	}
}

// True open vocabulary: phrases tokenized in Go, embedded by the tiny text
// encoder, fed as txt_feats to the tiny YOLO-World-style detector, whose
// score for a phrase at anchor 0 is 0.9·e0 ("lung" in the phrase) and at
// anchor 1 0.8·e1 — so each phrase finds its own box.
func TestOpenVocabulary(t *testing.T) {
	vocab := "../../../shared/data/tokenizers/clip-bpe/bpe_simple_vocab_16e6.txt.gz"
	if _, err := os.Stat(vocab); err != nil {
		t.Skip("../shared absent: no CLIP vocabulary")
	}
	rt := runtime(t)
	enc, err := yolo.OpenTextEncoder(rt, "../../testdata/models/tiny-textenc/model.onnx", vocab, "", "", "cpu", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	m, err := yolo.Open(rt, "../../testdata/models/tiny-yoloworld/model.onnx", nil, "cpu", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.TextFeats {
		t.Fatal("txt_feats input not found")
	}
	vol := ct(t)
	if _, err := m.DetectSlice(context.Background(), vol, viewer.Axial, 2, yolo.Options{}); err == nil {
		t.Error("an open-vocabulary model ran without a prompt")
	}
	if err := m.SetPrompts(context.Background(), enc, []string{"Lung Nodule", "kidney cyst"}); err != nil {
		t.Fatal(err)
	}
	res, err := m.DetectSlice(context.Background(), vol, viewer.Axial, 2, yolo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dets) != 2 {
		t.Fatalf("%d detections: %+v", len(res.Dets), res.Dets)
	}
	byName := map[string][4]float64{}
	for _, d := range res.Dets {
		byName[m.Names[d.Class]] = d.Box
	}
	if b := byName["Lung Nodule"]; b[0] < 215.9 || b[0] > 216.1 || b[1] < 167.9 || b[1] > 168.1 {
		t.Errorf("lung nodule box %v, want (216, 168)…", b)
	}
	if b := byName["kidney cyst"]; b[0] < 111.9 || b[0] > 112.1 {
		t.Errorf("kidney cyst box %v, want (112, 304)…", b)
	}
	if _, err := yolo.Open(rt, "../../testdata/models/tiny-yoloseg/model.onnx", nil, "cpu", 1); err != nil {
		t.Errorf("a baked export: %v", err)
	}
}

// The same prompt over three renderings (lung, soft tissue, bone), merged:
// the tiny model finds the same boxes in each, so NMS keeps one of each.
func TestDetectEachRenderingMerged(t *testing.T) {
	m, err := yolo.Open(runtime(t), "../../testdata/models/tiny-yoloseg/model.onnx", nil, "cpu", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	vol := ct(t)
	each := [][]viewer.Window{{{Center: -600, Width: 1500}}, {{Center: 40, Width: 400}}, {{Center: 480, Width: 2500}}}
	r, err := m.DetectSlice(context.Background(), vol, viewer.Axial, 2, yolo.Options{Each: each})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Dets) != 2 || r.Dets[0].Mask == nil {
		t.Errorf("merged %d detections: %+v", len(r.Dets), r.Dets)
	}
}
