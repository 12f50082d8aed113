package project

import (
	"fmt"
	"os"
	"path/filepath"

	"delineate/viewer"
	"delineate/viewer/nifti"
)

// SaveLabels writes a case's label map into the project folder
// (labels/<case>.nii.gz) and then the project file, each atomically: a
// crash at any instant leaves the previous label map or the new one,
// whole, and a project file that opens. The UI calls it as its autosave
// (every 10 s while editing, and after an accepted prediction).
func (p *Project) SaveLabels(c *Case, labels *viewer.Volume) error {
	if p.readOnly != "" {
		return &ReadOnlyError{p.readOnly}
	}
	p.mu.Lock()
	rel := c.Labels
	p.mu.Unlock()
	if rel == "" || filepath.IsAbs(rel) || !isOwn(rel) {
		rel = "labels/" + c.ID + ".nii.gz"
	}
	if err := os.MkdirAll(filepath.Join(p.dir, "labels"), 0o755); err != nil {
		return err
	}
	if err := nifti.Write(p.Resolve(rel), labels, nifti.WriteOptions{Overwrite: true}); err != nil {
		return fmt.Errorf("saving %s's labels: %w", c.ID, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c.Labels = rel
	c.UpdatedAt = now()
	return p.save()
}

// isOwn is true for a label map the project itself holds (under labels/),
// which autosave may replace; a user's file elsewhere is never written.
func isOwn(rel string) bool {
	return len(rel) > len("labels/") && rel[:len("labels/")] == "labels/"
}
