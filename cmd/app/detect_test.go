package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/inference/ort/orttest"
	"delineate/viewer/nifti"
)

func ortLibForTest(t *testing.T) string {
	t.Helper()
	p := orttest.Lib()
	if p == "" {
		t.Skip("ONNX Runtime library not present (run `make deps`)")
	}
	return p
}

// detect with the tiny YOLO-seg export on the real CT series: every slice
// holds the two placed objects, grouped into two findings spanning the
// series; the prompt keeps one class; JSON, CSV and the mask label map
// agree.
func TestDetectCLI(t *testing.T) {
	lib := ortLibForTest(t)
	series := sharedData(t, "ct-dicom-series-raw")
	work := t.TempDir()
	out, csvPath, masks := filepath.Join(work, "d.json"), filepath.Join(work, "d.csv"), filepath.Join(work, "m.nii.gz")
	code, stdout, errs := cli(t, "detect", "--model", "../../testdata/models/tiny-yoloseg", series, "--ort-lib", lib, "--device", "cpu",
		"--window", "lung,soft,bone", "--out", out, "--csv", csvPath, "--masks", masks)
	if code != 0 {
		t.Fatalf("detect: %s", errs)
	}
	if !strings.Contains(stdout, "40 detections on 20 slices, 2 findings") {
		t.Errorf("detect said %q", stdout)
	}
	var rep struct {
		Detections []struct {
			Label      string `json:"label"`
			MaskVoxels int    `json:"mask_voxels"`
		} `json:"detections"`
		Findings []struct {
			Label      string `json:"label"`
			FirstSlice int    `json:"first_slice"`
			LastSlice  int    `json:"last_slice"`
			MaskVoxels int    `json:"mask_voxels"`
		} `json:"findings"`
	}
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 2 || rep.Findings[0].Label != "lung nodule" || rep.Findings[0].FirstSlice != 0 || rep.Findings[0].LastSlice != 19 {
		t.Errorf("findings %+v", rep.Findings)
	}
	lab, err := nifti.Read(masks)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; i < lab.Data.Len(); i++ {
		if lab.Data.At(i) == 1 {
			n++
		}
	}
	if n != rep.Findings[0].MaskVoxels || n == 0 {
		t.Errorf("mask label map has %d voxels of class 1, the finding %d", n, rep.Findings[0].MaskVoxels)
	}
	if c, _ := os.ReadFile(csvPath); strings.Count(string(c), "\n") != 41 {
		t.Errorf("CSV has %d lines", strings.Count(string(c), "\n"))
	}
	code, stdout, _ = cli(t, "detect", "--model", "../../testdata/models/tiny-yoloseg/model.onnx", series, "--ort-lib", lib, "--device", "cpu",
		"--prompt", "liver lesion", "--slices", "3:5", "--out", filepath.Join(work, "p.json"))
	if code != 0 || !strings.Contains(stdout, "3 detections on 3 slices, 1 findings") {
		t.Errorf("prompted: exit %d, %q", code, stdout)
	}
	// The folder's detector.json: a synonym selects its class.
	code, stdout, _ = cli(t, "detect", "--model", "../../testdata/models/tiny-yoloseg", series, "--ort-lib", lib, "--device", "cpu",
		"--prompt", "Pulmonary Nodule", "--slices", "3:5", "--out", filepath.Join(work, "s.json"))
	if code != 0 || !strings.Contains(stdout, "lung nodule") || strings.Contains(stdout, "liver lesion") {
		t.Errorf("synonym: exit %d, %q", code, stdout)
	}
	if code != 0 || !strings.Contains(stdout, "3 detections on 3 slices, 1 findings") {
		t.Errorf("prompted: exit %d, %q", code, stdout)
	}
	code, _, errs = cli(t, "detect", "--model", "../../testdata/models/tiny-yoloseg", series, "--ort-lib", lib, "--prompt", "kidney", "--out", filepath.Join(work, "k.json"))
	if code != 1 || !strings.Contains(errs, "this model knows: liver lesion, lung nodule") {
		t.Errorf("unknown prompt: exit %d, %s", code, errs)
	}
	if code, _, _ := cli(t, "detect", "--model", "../../testdata/models/tiny-yoloseg", series, "--ort-lib", lib, "--out", out); code == 0 {
		t.Error("an existing output was overwritten")
	}
}

// Open vocabulary by the CLI: the phrases become the classes.
func TestDetectOpenVocabularyCLI(t *testing.T) {
	lib := ortLibForTest(t)
	series := sharedData(t, "ct-dicom-series-raw")
	vocab := sharedData(t, "tokenizers/clip-bpe/bpe_simple_vocab_16e6.txt.gz")
	out := filepath.Join(t.TempDir(), "d.json")
	code, stdout, errs := cli(t, "detect", "--model", "../../testdata/models/tiny-yoloworld", series, "--ort-lib", lib, "--device", "cpu",
		"--prompt", "lung nodule, pleural effusion", "--text-encoder", "../../testdata/models/tiny-textenc", "--vocab", vocab, "--slices", "0:1", "--out", out)
	if code != 0 {
		t.Fatalf("detect: %s", errs)
	}
	if !strings.Contains(stdout, "lung nodule") || !strings.Contains(stdout, "pleural effusion") || !strings.Contains(stdout, "4 detections on 2 slices") {
		t.Errorf("detect said %q", stdout)
	}
	if code, _, errs := cli(t, "detect", "--model", "../../testdata/models/tiny-yoloworld", series, "--ort-lib", lib, "--out", out+"2"); code != 2 || !strings.Contains(errs, "text prompts") {
		t.Errorf("no prompt: exit %d, %s", code, errs)
	}
}

// prompt with the tiny SAM-contract export on the real CT series: the
// mask is the box (the tiny decoder draws its box), on the right voxels;
// --propagate carries it through every slice.
func TestPromptCLI(t *testing.T) {
	lib := ortLibForTest(t)
	series := sharedData(t, "ct-dicom-series-raw")
	out := filepath.Join(t.TempDir(), "m.nii.gz")
	code, stdout, errs := cli(t, "prompt", "--model", "../../testdata/models/tiny-sam", series, "--ort-lib", lib, "--device", "cpu",
		"--box", "100,200,149,229,7", "--out", out)
	if code != 0 {
		t.Fatalf("prompt: %s", errs)
	}
	if !strings.Contains(stdout, "1500 voxels") {
		t.Errorf("prompt said %q", stdout)
	}
	lab, err := nifti.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range [][3]int{{100, 200, 7}, {149, 229, 7}} {
		if lab.Value(v[0], v[1], v[2]) != 1 {
			t.Errorf("corner voxel %v not in the mask", v)
		}
	}
	if lab.Value(99, 200, 7) != 0 || lab.Value(100, 200, 8) != 0 {
		t.Error("mask outside the box")
	}
	code, stdout, errs = cli(t, "prompt", "--model", "../../testdata/models/tiny-sam", series, "--ort-lib", lib, "--device", "cpu",
		"--box", "100,200,149,229,7", "--propagate", "--out", out, "--force")
	if code != 0 || !strings.Contains(stdout, "30000 voxels") || !strings.Contains(stdout, "20 slice(s)") {
		t.Errorf("propagate: exit %d, %q %s", code, stdout, errs)
	}
	if code, _, errs := cli(t, "prompt", "--model", "../../testdata/models/tiny-sam", series, "--ort-lib", lib, "--point", "600,10,3", "--out", out, "--force"); code != 2 || !strings.Contains(errs, "outside") {
		t.Errorf("a point outside the image: exit %d, %s", code, errs)
	}
}
