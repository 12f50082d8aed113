package nnunet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// A disk that fills up during the export: the error says so, nothing is
// left in the nnU-Net folder (no dataset, no temporary folder), and the
// project is unchanged.
func TestExportFullDisk(t *testing.T) {
	f := newFixture(t) // two cases' images and labels to build a project from
	dir := filepath.Join(t.TempDir(), "proj")
	table := &viewer.LabelTable{Labels: []viewer.Label{{ID: 1, Name: "liver"}, {ID: 2, Name: "spleen"}}}
	p, err := project.Create(dir, "full", table)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, id := range []string{"case_0001", "case_0002"} {
		// .nii images are written (not copied), so the writer is used for both files.
		v, err := nifti.Read(filepath.Join(f.root, "imagesTr", id+"_0000.nii.gz"))
		if err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(t.TempDir(), id+".nii")
		if err := nifti.Write(img, v, nifti.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		c, err := p.AddCase(img, project.Done)
		if err != nil {
			t.Fatal(err)
		}
		c.Labels, _ = filepath.Abs(filepath.Join(f.root, "labelsTr", id+".nii.gz"))
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, project.FileName))
	var writes atomic.Int32
	writeNIfTI = func(path string, v *viewer.Volume, o nifti.WriteOptions) error {
		if writes.Add(1) >= 3 {
			return fmt.Errorf("writing %s: %w", path, syscall.ENOSPC)
		}
		return nifti.Write(path, v, o)
	}
	defer func() { writeNIfTI = nifti.Write }()
	root := t.TempDir()
	_, _, err = Export(context.Background(), p, ExportOptions{Root: root, ID: 9, Name: "Full", Channel: "CT"})
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("Export on a full disk = %v", err)
	}
	if left, _ := os.ReadDir(root); len(left) != 0 {
		t.Errorf("left in the nnU-Net folder: %v", left)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, project.FileName)); string(after) != string(before) {
		t.Error("the project file changed")
	}
}
