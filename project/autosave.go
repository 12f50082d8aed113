package project

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	// Only a label map the project itself holds (under labels/) is
	// replaced; a user's file elsewhere is never written.
	if !strings.HasPrefix(rel, "labels/") {
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
