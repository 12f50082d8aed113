package nnunet

import (
	"os"
	"path/filepath"
	"testing"

	"delineate/project"
)

// A v1 Task folder (labels id → name, "modality") imports with its names
// and ids; the training cases are done and hold their labels.
func TestImportV1(t *testing.T) {
	f := newFixture(t)
	v1 := filepath.Join(t.TempDir(), "Task002_Old")
	if err := os.Rename(f.root, v1); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(v1, "dataset.json"), []byte(`{"name": "Old", "modality": {"0": "CT"},
 "labels": {"0": "background", "1": "liver", "2": "spleen"}, "numTraining": 2, "numTest": 0,
 "training": [{"image": "./imagesTr/case_0001.nii.gz", "label": "./labelsTr/case_0001.nii.gz"}], "test": []}`), 0o644)
	dir := filepath.Join(t.TempDir(), "proj")
	p, err := Import(v1, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if len(p.Labels) != 2 || p.Labels[0].Name != "liver" || p.Labels[1].ID != 2 {
		t.Errorf("labels %+v", p.Labels)
	}
	if len(p.Cases) != 2 || p.Cases[0].Status != project.Done || p.Cases[0].Labels == "" {
		t.Fatalf("cases %+v", p.Cases)
	}
	if _, err := os.Stat(p.Resolve(p.Cases[1].Labels)); err != nil {
		t.Error(err)
	}
}
