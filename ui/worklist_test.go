package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"delineate/project"
	"delineate/project/nnunet"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// A project's worklist: the cases show with their status and progress,
// Next opens the first case (image in the background), Mark Done writes
// the status to the project file, a brush stroke is autosaved into the
// project, and the filter hides what does not match.
func TestWorklistOpenMarkAutosave(t *testing.T) {
	data := t.TempDir()
	var images []string
	for _, n := range []string{"a.nii.gz", "b.nii.gz"} {
		p := filepath.Join(data, n)
		if err := nifti.Write(p, ctVolume(t), nifti.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		images = append(images, p)
	}
	dir := filepath.Join(t.TempDir(), "proj")
	p, err := project.Create(dir, "wl", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range images {
		if _, err := p.AddCase(im, project.Todo); err != nil {
			t.Fatal(err)
		}
	}
	p.Save()
	p.Close()

	ws := newTestWorkstation(t)
	ws.OpenProject(dir)
	w := ws.worklist
	if len(w.rows) != 2 || !strings.Contains(w.progress.Text, "0 of 2 done") {
		t.Fatalf("rows %d, progress %q", len(w.rows), w.progress.Text)
	}
	w.step(1)
	waitFor(t, "case_0001 to load", func() bool { return ws.scene != nil && ws.scene.Volume != nil && w.current == "case_0001" })
	w.setStatus(project.Done)
	if !strings.Contains(w.progress.Text, "1 of 2 done") {
		t.Errorf("progress %q after Mark Done", w.progress.Text)
	}
	b, _ := os.ReadFile(filepath.Join(dir, project.FileName))
	if !strings.Contains(string(b), `"status": "done"`) {
		t.Error("Mark Done did not reach the project file")
	}

	// Paint one dab, then autosave.
	ws.setSinglePlane(viewer.Axial)
	sv := ws.views[viewer.Axial]
	test.TypeOnCanvas(ws.win.Canvas(), "b")
	ws.win.Canvas().Capture()
	size := sv.Size()
	click(sv, fyne.NewPos(size.Width/2, size.Height/2))
	if ws.editor.labels == nil {
		t.Fatal("no label map after painting")
	}
	w.autosave()
	saved := filepath.Join(dir, "labels", "case_0001.nii.gz")
	waitFor(t, "the autosave", func() bool { _, err := os.Stat(saved); return err == nil && !w.saving.Load() })
	lab, err := nifti.Read(saved)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; i < lab.Data.Len(); i++ {
		if lab.Data.At(i) != 0 {
			n++
		}
	}
	if n == 0 || n != countLabel(ws.editor.labels, ws.editor.label) {
		t.Errorf("autosaved %d labelled voxels, the editor has %d", n, countLabel(ws.editor.labels, ws.editor.label))
	}
	// The dab is in the case's provenance, as saved: tool, label, voxels,
	// and the label is a person's.
	re, err := project.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rc := re.Case("case_0001")
	re.Close()
	if len(rc.Provenance.Edits) != 1 {
		t.Fatalf("saved edits %+v", rc.Provenance.Edits)
	}
	if e := rc.Provenance.Edits[0]; e.Tool != "Paint" || e.Label != ws.editor.label || e.Voxels != n {
		t.Errorf("saved edit %+v, want Paint of label %d, %d voxels", e, ws.editor.label, n)
	}
	if s := rc.Provenance.Sources[fmt.Sprint(ws.editor.label)]; s != project.FromPerson {
		t.Errorf("label source %q, want %q", s, project.FromPerson)
	}

	// Export the done case (its autosaved labels) as an nnU-Net dataset.
	root := t.TempDir()
	ws.runExport(w.proj, nnunet.ExportOptions{Root: root, ID: 5, Name: "WL", Channel: "CT"})
	waitFor(t, "the export", func() bool { return !ws.loading.box.Visible() })
	if !strings.HasPrefix(ws.status.Text, "Wrote ") {
		t.Fatalf("export: status %q", ws.status.Text)
	}
	if r := nnunet.Verify(filepath.Join(root, "Dataset005_WL")); !r.OK() || r.Cases != 1 {
		t.Errorf("exported dataset: %+v", r)
	}

	w.filter.SetSelected(string(project.Todo))
	if len(w.rows) != 1 || w.rows[0].ID != "case_0002" {
		t.Errorf("filter todo: rows %+v", w.rows)
	}
	ws.worklist.setProject(nil)
}
