package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A DICOM SEG opened as labels (File → Open Labels…, `--labels`) lands on
// the series' slices by position, named and coloured by its segments.
func TestOpenLabelsDICOMSEG(t *testing.T) {
	dir := filepath.Join("..", "testdata", "conformance", "seg")
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Cases map[string]struct {
			Series struct {
				Labels []int `json:"labels"`
			} `json:"series"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	want := exp.Cases["seg-binary.dcm"].Series.Labels
	ws := newTestWorkstation(t)
	ws.OpenPathWithLabels(filepath.Join(dir, "series"), filepath.Join(dir, "seg-binary.dcm"))
	waitFor(t, "the series and its SEG", func() bool { return ws.editor.labels != nil })
	lm := ws.editor.labels
	if lm.NumVoxels() != len(want) {
		t.Fatalf("%d label voxels, want %d", lm.NumVoxels(), len(want))
	}
	for i, w := range want {
		if lm.At(i) != w {
			t.Fatalf("voxel %d = %d, want %d", i, lm.At(i), w)
		}
	}
	if l, ok := lm.Table.Get(1); !ok || l.Name != "Liver" {
		t.Errorf("label 1 = %+v", l)
	}
	if ws.scene.Colours == nil || ws.scene.Colours.Colour(2) != lm.Table.Labels[1].Colour {
		t.Error("the scene does not draw the segments' colours")
	}
	if !strings.Contains(ws.status.Text, "more than one segment") {
		t.Errorf("status %q does not report the overlap", ws.status.Text)
	}

	// A SEG of another grid is refused with the reason.
	ws.openLabels(filepath.Join(dir, "seg-size-mismatch.dcm"))
	waitFor(t, "the refusal", func() bool { return strings.Contains(ws.status.Text, "do not match the series' size") })
}
