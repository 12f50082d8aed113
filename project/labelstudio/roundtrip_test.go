package labelstudio

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

const sharedRef = "../../../shared/data/ct-dicom-series-reference"

func sharedFile(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(sharedRef, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("../shared absent (%v): skipping the real-data check", err)
	}
	return p
}

// asAnnotated turns an export into what Label Studio exports after a
// person accepted every prediction unchanged: the results become an
// annotation by user 7.
func asAnnotated(tasks []Task) []Task {
	out := make([]Task, len(tasks))
	for i, t := range tasks {
		t.ID = i + 1
		if len(t.Predictions) > 0 {
			t.Annotations = []Annotation{{ID: 100 + i, CompletedBy: json.RawMessage("7"), UpdatedAt: "2026-12-03T11:00:00Z", Result: t.Predictions[0].Result}}
		}
		t.Predictions = nil
		out[i] = t
	}
	return out
}

func readExport(t *testing.T, dir string) []Task {
	t.Helper()
	tasks, err := ReadTasks(filepath.Join(dir, "tasks.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

func countVoxels(ids []uint16) int {
	n := 0
	for _, v := range ids {
		if v != 0 {
			n++
		}
	}
	return n
}

// Export → pull of the same results with no edits gives the same voxels
// back exactly, on the real CT and its 31-label reference segmentation,
// in every plane.
func TestExportPullRoundTripRealCT(t *testing.T) {
	img, err := nifti.Read(sharedFile(t, "example_ct_dicom_dcm2niix.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := nifti.Read(sharedFile(t, "example_seg_dicom.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	lab, err = viewer.AlignTo(img.Geometry, lab, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]uint16, lab.Data.Len())
	for i := range want {
		want[i] = uint16(lab.Data.At(i))
	}
	table := []project.Label{{ID: 5, Name: "liver", Colour: "#dc6440"}, {ID: 1, Name: "spleen & <x>", Colour: "#9050a0"}}
	for _, plane := range []viewer.Plane{viewer.Axial, viewer.Coronal, viewer.Sagittal} {
		out := filepath.Join(t.TempDir(), "ls")
		sum, err := Export(context.Background(), out, []Item{{Case: "case_0001", Volume: img, Labels: lab}}, table, ExportOptions{Plane: plane, ModelVersion: "v1", Score: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		tasks := readExport(t, out)
		if len(tasks) != sum.Tasks || sum.Tasks == 0 {
			t.Fatalf("%s: %d tasks, summary %+v", plane, len(tasks), sum)
		}
		got, ps, err := Pull(asAnnotated(tasks), PullOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rv := got["case_0001"]
		if rv == nil || ps.Annotated != len(tasks) || ps.Overlaps != 0 {
			t.Fatalf("%s: pulled %+v, summary %+v", plane, rv, ps)
		}
		ids := make([]uint16, len(want))
		if err := rv.Apply(ids); err != nil {
			t.Fatal(err)
		}
		diff := 0
		for i := range ids {
			if ids[i] != want[i] {
				diff++
			}
		}
		if diff != 0 || countVoxels(ids) == 0 {
			t.Errorf("%s: %d voxels differ after export → pull (%d labelled)", plane, diff, countVoxels(want))
		}
		if rv.Annotators[0] != "7" || !strings.Contains(rv.Source(), "annotator 7 at 2026-12-03T11:00:00Z") {
			t.Errorf("provenance %q", rv.Source())
		}
	}
}

// The export folder: one PNG per task at the mask's exact size, a config
// naming every label (escaped), predictions with the version and score
// asked for, no existing folder overwritten.
func TestExportFiles(t *testing.T) {
	img, err := nifti.Read(sharedFile(t, "example_ct_dicom_dcm2niix.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := nifti.Read(sharedFile(t, "example_seg_dicom.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	table := []project.Label{{ID: 1, Name: "spleen & <x>", Colour: "#9050a0"}}
	out := filepath.Join(t.TempDir(), "ls")
	o := ExportOptions{Plane: viewer.Axial, Slices: Slices{Range: true, From: 3, To: 5}, FromName: "seg", ToName: "ct", ModelVersion: "m2", Score: 0.9, MinPixels: 50}
	if _, err := Export(context.Background(), out, []Item{{Case: "case_0003", Volume: img, Labels: lab}}, table, o); err != nil {
		t.Fatal(err)
	}
	tasks := readExport(t, out)
	if len(tasks) != 3 {
		t.Fatalf("%d tasks for slices 3:5", len(tasks))
	}
	for _, tk := range tasks {
		m := tk.Meta
		f, err := os.Open(filepath.Join(out, "images", filepath.Base(tk.Data.Image[strings.LastIndex(tk.Data.Image, "=")+1:])))
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := pngSize(f)
		f.Close()
		if cfg[0] != m.Width || cfg[1] != m.Height {
			t.Errorf("PNG %v, meta %d×%d", cfg, m.Width, m.Height)
		}
		if !strings.HasPrefix(tk.Data.Image, "/data/local-files/?d=images/case_0003_axial_000") {
			t.Errorf("image URL %q", tk.Data.Image)
		}
		for _, r := range tk.Predictions[0].Result {
			if r.FromName != "seg" || r.ToName != "ct" || r.OriginalWidth != m.Width || r.Value.Format != "rle" {
				t.Errorf("result %+v", r)
			}
			words, _ := Decode(r.Value.RLE, 4*m.Width*m.Height)
			mask, _ := MaskFromRGBA(words, m.Width, m.Height)
			if countVoxels(u16(mask)) < 50 {
				t.Errorf("label %v with fewer than --min-pixels pixels exported", r.Value.BrushLabels)
			}
		}
		if p := tk.Predictions[0]; p.ModelVersion != "m2" || p.Score != 0.9 {
			t.Errorf("prediction %q %v", p.ModelVersion, p.Score)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(out, "config.xml"))
	if !strings.Contains(string(cfg), `<BrushLabels name="seg" toName="ct">`) || !strings.Contains(string(cfg), `value="spleen &amp; &lt;x&gt;"`) {
		t.Errorf("config:\n%s", cfg)
	}
	raw, _ := os.ReadFile(filepath.Join(out, "tasks.json"))
	if strings.Contains(string(raw), `"rle": "`) {
		t.Error("an RLE was written as a string")
	}
	var ex *ExistsError
	if _, err := Export(context.Background(), out, []Item{{Case: "case_0003", Volume: img, Labels: lab}}, table, o); !errors.As(err, &ex) {
		t.Errorf("second export into the same folder: %v", err)
	}
}

func u16(m []uint8) []uint16 {
	o := make([]uint16, len(m))
	for i, v := range m {
		o[i] = uint16(v)
	}
	return o
}

// The real Label Studio frontend draws exactly the exported masks
// (../shared/tools/ls-frontend-check, headless Chromium).
func TestFrontendDrawsExport(t *testing.T) {
	tool := "../../../shared/tools/ls-frontend-check/ls-frontend-check"
	if _, err := os.Stat(tool); err != nil {
		t.Skip("../shared/tools/ls-frontend-check absent: skipping the frontend check")
	}
	if _, err := exec.LookPath("chromium-headless-shell"); err != nil && os.Geteuid() != 0 {
		t.Skip("chromium-headless-shell is not installed and cannot be (not root): skipping the frontend check")
	}
	img, err := nifti.Read(sharedFile(t, "example_ct_dicom_dcm2niix.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := nifti.Read(sharedFile(t, "example_seg_dicom.nii.gz"))
	if err != nil {
		t.Fatal(err)
	}
	// An axial slice (many labels, square pixels) and a coronal one (a
	// 512×20 image).
	for _, c := range []struct {
		plane viewer.Plane
		slice int
	}{{viewer.Axial, 10}, {viewer.Coronal, 300}} {
		out := filepath.Join(t.TempDir(), "ls")
		if _, err := Export(context.Background(), out, []Item{{Case: "case_0001", Volume: img, Labels: lab}}, nil, ExportOptions{Plane: c.plane, Slices: Slices{Range: true, From: c.slice, To: c.slice}}); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(tool, filepath.Join(out, "tasks.json"), filepath.Join(out, "images"))
		b, err := cmd.CombinedOutput()
		if err != nil {
			if strings.Contains(string(b), "Unable to locate package") || strings.Contains(string(b), "npm ERR") {
				t.Skipf("the frontend check could not be installed here: %s", lastLines(string(b)))
			}
			t.Fatalf("%s: frontend check failed: %v\n%s", c.plane, err, b)
		}
		if !strings.Contains(string(b), " 0 failed") || strings.Contains(string(b), " 0 passed") {
			t.Fatalf("%s: frontend check:\n%s", c.plane, b)
		}
		t.Logf("%s: frontend check: %s", c.plane, lastLines(string(b)))
	}
}

func lastLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > 3 {
		l = l[len(l)-3:]
	}
	return strings.Join(l, " | ")
}
