package main

import (
	"context"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/nifti"
)

// segLabelsFile writes a label NIfTI on the grid of `convert`'s output for
// the SEG fixtures' series (dcm2niix's row order): label ids[j] on the
// voxels where (i + 2j + k) % 5 == 0, the last label on slice 0 only.
func segLabelsFile(t *testing.T, dir string, ids []int) (path string, lab *viewer.LabelMap) {
	t.Helper()
	ct := filepath.Join(dir, "ct.nii.gz")
	if _, err := os.Stat(ct); err != nil {
		if code, _, stderr := cli(t, "convert", filepath.Join(segFixtures, "series"), ct); code != 0 {
			t.Fatalf("convert series: exit %d: %s", code, stderr)
		}
	}
	img, err := nifti.Read(ct)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := viewer.NewLabelMap(img.Geometry, 255)
	if err != nil {
		t.Fatal(err)
	}
	d := img.Dims
	for k := 0; k < d[2]; k++ {
		for j := 0; j < d[1]; j++ {
			for i := 0; i < d[0]; i++ {
				for n, id := range ids {
					if (i+2*n+k+j)%5 == 0 && (n < len(ids)-1 || k == 0) {
						lm.Set(i+d[0]*(j+d[1]*k), id)
						break
					}
				}
			}
		}
	}
	path = filepath.Join(dir, "labels.nii.gz")
	if err := nifti.Write(path, lm.Volume, nifti.WriteOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	return path, lm
}

// segBack reads a SEG onto grid g with segment numbers turned back into
// the label ids the export wrote (segments are numbered 1..n in label
// order), checking the voxels against want.
func segBack(t *testing.T, path string, g viewer.Geometry, want *viewer.LabelMap) *dicom.SEG {
	t.Helper()
	seg, err := dicom.ReadSEG(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := seg.LabelsOn(g)
	if err != nil {
		t.Fatal(err)
	}
	ids := want.Present()
	bad := 0
	for i := 0; i < want.NumVoxels(); i++ {
		got := back.At(i)
		if got != 0 {
			got = ids[got-1]
		}
		if got != want.At(i) {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d voxels differ after the round trip", bad, want.NumVoxels())
	}
	return seg
}

func dciodvfyErrors(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("dciodvfy"); err != nil {
		t.Log("dciodvfy not installed (Debian dicom3tools; scripts/setup-deps.sh): check skipped")
		return
	}
	out, _ := exec.Command("dciodvfy", path).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Error") {
			t.Errorf("dciodvfy: %s", line)
		}
	}
}

func TestExportSEG(t *testing.T) {
	dir := t.TempDir()
	labPath, lab := segLabelsFile(t, dir, []int{1, 4})
	names := filepath.Join(dir, "names.json")
	if err := os.WriteFile(names, []byte(`{"1": "liver", "4": "spleen"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	series := filepath.Join(segFixtures, "series")
	out := filepath.Join(dir, "seg.dcm")
	code, stdout, stderr := cli(t, "export", "seg", series, labPath, "--out", out, "--names", names, "--series-number", "77")
	if code != 0 {
		t.Fatalf("export seg: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "2 segments") || !strings.Contains(stderr, "every segment is SEMIAUTOMATIC") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	img, err := nifti.Read(filepath.Join(dir, "ct.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	seg := segBack(t, out, img.Geometry, lab)
	if len(seg.Segments) != 2 || seg.Segments[0].Label != "liver" || seg.Segments[1].Label != "spleen" || seg.Segments[1].AlgorithmType != "SEMIAUTOMATIC" {
		t.Errorf("segments %+v", seg.Segments)
	}
	// Label 4 is on one slice of three: one frame; label 1 on all three.
	if len(seg.Frames) != 4 {
		t.Errorf("%d frames, want 4 (3 slices of label 1, 1 of label 4)", len(seg.Frames))
	}
	dciodvfyErrors(t, out)

	if code, _, stderr := cli(t, "export", "seg", series, labPath, "--out", out); code != 1 || !strings.Contains(stderr, "exists") {
		t.Errorf("existing output: exit %d, %s", code, stderr)
	}
	if code, _, stderr := cli(t, "export", "seg", series, labPath, "--out", out, "--force", "--algorithm-type", "manual"); code != 0 {
		t.Errorf("--force: exit %d, %s", code, stderr)
	}
	if seg, _ := dicom.ReadSEG(out); seg == nil || seg.Segments[0].AlgorithmType != "MANUAL" || seg.Segments[0].AlgorithmName != "" {
		t.Errorf("--algorithm-type manual: %+v", seg)
	}
	// A NIfTI image has no instances to reference.
	code, _, stderr = cli(t, "export", "seg", filepath.Join(dir, "ct.nii.gz"), labPath, "--out", filepath.Join(dir, "x.dcm"))
	if code != 1 || !strings.Contains(stderr, "needs the source DICOM series") {
		t.Errorf("NIfTI image: exit %d, %s", code, stderr)
	}
	empty, _ := viewer.NewLabelMap(img.Geometry, 1)
	emptyPath := filepath.Join(dir, "empty.nii.gz")
	if err := nifti.Write(emptyPath, empty.Volume, nifti.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, "export", "seg", series, emptyPath, "--out", filepath.Join(dir, "x.dcm")); code != 1 || !strings.Contains(stderr, "nothing to export") {
		t.Errorf("no labels: exit %d, %s", code, stderr)
	}
	if code, _, _ := cli(t, "export", "seg", series, labPath); code != 2 {
		t.Errorf("no --out: exit %d, want 2", code)
	}
	if code, _, _ := cli(t, "export", "seg", series, labPath, "--out", out, "--algorithm-type", "guess"); code != 2 {
		t.Errorf("bad --algorithm-type: exit %d, want 2", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.dcm")); err == nil {
		t.Error("a refused export left a file")
	}
}

// With a project the names come from its table and each segment's
// algorithm from the case's provenance.
func TestExportSEGProject(t *testing.T) {
	dir := t.TempDir()
	_, lab := segLabelsFile(t, dir, []int{1, 4, 6})
	var table viewer.LabelTable
	_ = table.Set(viewer.Label{ID: 1, Name: "liver", Colour: color.RGBA{221, 130, 101, 255}})
	_ = table.Set(viewer.Label{ID: 4, Name: "spleen", Colour: color.RGBA{157, 108, 162, 255}})
	_ = table.Set(viewer.Label{ID: 6, Name: "lesion", Colour: color.RGBA{255, 255, 0, 255}})
	pdir := filepath.Join(dir, "proj")
	p, err := project.Create(pdir, "seg", &table)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.AddCase(filepath.Join(segFixtures, "series"), project.Todo)
	if err != nil {
		t.Fatal(err)
	}
	c.RecordRun(project.ModelRun{Model: "ct-tissue", Version: "1.0.0", Labels: []int{1, 4}})
	c.RecordEdit(project.Edit{Tool: "brush", Label: 4, Voxels: 10})
	c.RecordEdit(project.Edit{Tool: "brush", Label: 6, Voxels: 10})
	if err := p.SaveLabels(c, lab.Volume); err != nil {
		t.Fatal(err)
	}
	p.Close()
	out := filepath.Join(dir, "seg.dcm")
	code, stdout, stderr := cli(t, "export", "seg", "--project", pdir, "--case", c.ID, "--out", out)
	if code != 0 {
		t.Fatalf("export seg --project: exit %d: %s", code, stderr)
	}
	t.Log(stdout)
	img, err := project.LoadImage(context.Background(), filepath.Join(segFixtures, "series"))
	if err != nil {
		t.Fatal(err)
	}
	seg := segBack(t, out, img.Geometry, lab)
	want := []struct{ label, alg, name string }{
		{"liver", "AUTOMATIC", "ct-tissue 1.0.0"},
		{"spleen", "SEMIAUTOMATIC", "ct-tissue 1.0.0"},
		{"lesion", "MANUAL", ""},
	}
	for i, w := range want {
		sg := seg.Segments[i]
		if sg.Label != w.label || sg.AlgorithmType != w.alg || sg.AlgorithmName != w.name || sg.Colour != table.Labels[i].Colour {
			t.Errorf("segment %d: %+v, want %+v", i+1, sg, w)
		}
	}
	if code, _, stderr := cli(t, "export", "seg", "--project", pdir, "--out", out); code != 2 {
		t.Errorf("--project without --case: exit %d, %s", code, stderr)
	}
}

// The real CT series with the shared 31-label map (dcm2niix's grid): the
// SEG read back through the project's loading path (project.LabelsOn)
// gives the label map back.
func TestExportSEGRealCT(t *testing.T) {
	series := sharedData(t, "ct-dicom-series-raw")
	labPath := filepath.Join(sharedData(t, "ct-dicom-series-reference"), "example_seg_dicom.nii.gz")
	names := filepath.Join(sharedData(t, "ct-abdomen"), "labels_total_v2.json")
	out := filepath.Join(t.TempDir(), "seg.dcm")
	code, stdout, stderr := cli(t, "export", "seg", series, labPath, "--out", out, "--names", names, "--algorithm-type", "AUTOMATIC", "--algorithm-name", "TotalSegmentator")
	if code != 0 {
		t.Fatalf("export seg: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "31 segments, 520 frames over 20 slices") || !strings.Contains(stdout, `label 5 "liver": AUTOMATIC (TotalSegmentator)`) {
		t.Errorf("stdout %q", stdout)
	}
	dciodvfyErrors(t, out)
	img, err := project.LoadImage(context.Background(), series)
	if err != nil {
		t.Fatal(err)
	}
	back, err := project.LabelsOn(img, out)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := nifti.Read(labPath)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := viewer.LabelMapFromVolume(lab)
	ids := want.Present()
	bad := 0
	for i := 0; i < want.NumVoxels(); i++ {
		got := int(back.Data.At(i))
		if got != 0 {
			got = ids[got-1]
		}
		if got != want.At(i) {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d voxels differ from the label map after the round trip", bad)
	}
}
