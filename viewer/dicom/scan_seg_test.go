package dicom

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A study folder holding its series and SEG objects over it (as PACS
// exports are): the SEGs are not image series (a fractional one is 8-bit
// and would otherwise pass for one), and the scan says how to open them.
func TestScanSkipsSEGFiles(t *testing.T) {
	dir := t.TempDir()
	src := conformanceDir("seg")
	files, _ := filepath.Glob(filepath.Join(src, "series", "*"))
	files = append(files, filepath.Join(src, "seg-binary.dcm"), filepath.Join(src, "seg-fractional.dcm"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Scan(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(res.Warnings, "\n")
	if len(res.Series) != 1 || res.Series[0].Modality == "SEG" || !strings.Contains(w, "2 DICOM SEG files") || !strings.Contains(w, "Open Labels") {
		t.Fatalf("%d series, warnings %q", len(res.Series), w)
	}
}

// A SEG placed over its own series carries no warning; over an image in
// another frame of reference it says the positions may not match.
func TestSEGFrameOfReference(t *testing.T) {
	v := loadOne(t, conformanceDir("seg", "series"))
	if v.FrameOfReferenceUID == "" {
		t.Fatal("the loaded series has no frame of reference")
	}
	seg, err := ReadSEG(conformanceDir("seg", "seg-binary.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	lm, err := seg.LabelsOnVolume(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range lm.Warnings {
		if strings.Contains(w, "frame of reference") {
			t.Errorf("own series: %q", w)
		}
	}
	other := *v
	other.FrameOfReferenceUID = "1.2.3.4"
	lm, err = seg.LabelsOnVolume(&other)
	if err != nil || !strings.Contains(strings.Join(lm.Warnings, " "), "another frame of reference") {
		t.Errorf("other frame of reference: %v, %v", err, lm.Warnings)
	}
}
