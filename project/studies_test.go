package project

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeDICOMStub(t *testing.T, path string) {
	t.Helper()
	b := make([]byte, 200)
	copy(b[128:], "DICM")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A folder of studies as people have them: a PACS export nested patient /
// study / series, NIfTI files, screenshots, and the project itself.
func TestFindStudiesTree(t *testing.T) {
	root := t.TempDir()
	writeDICOMStub(t, filepath.Join(root, "export", "P1", "S1", "SER1", "IM1"))
	writeDICOMStub(t, filepath.Join(root, "export", "P1", "S1", "SER2", "IM1"))
	writeDICOMStub(t, filepath.Join(root, "flat", "IM0001"))
	tempImage(t, root, "a.nii.gz")
	if err := os.MkdirAll(filepath.Join(root, "shots"), 0o755); err != nil {
		t.Fatal(err)
	}
	tempImage(t, filepath.Join(root, "shots"), "view.png")
	proj, err := Create(filepath.Join(root, "proj"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tempImage(t, proj.Dir(), "labels.nii.gz")
	got, err := FindStudies(root, proj.Dir())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(root, "a.nii.gz"),
		filepath.Join(root, "export", "P1", "S1", "SER1"),
		filepath.Join(root, "export", "P1", "S1", "SER2"),
		filepath.Join(root, "flat"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("found %q, want %q", got, want)
	}
	// A folder of screenshots is not a study.
	if _, err := FindStudies(filepath.Join(root, "shots")); err == nil || !strings.Contains(err.Error(), "no DICOM series or NIfTI") {
		t.Fatalf("shots folder: %v", err)
	}
	// The real series from ../shared is found as one study.
	if s := "../../shared/data/ct-dicom-series-raw"; dirExists(s) {
		got, err := FindStudies(s)
		if err != nil || len(got) != 1 || got[0] != s {
			t.Fatalf("real series: %q, %v", got, err)
		}
	} else {
		t.Log("../shared absent: real-series check skipped")
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
