package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The evidence path: `segment` with the built-in CT segmenter writes the
// labels and a report; `verify run` accepts it, and refuses it once the
// output has been replaced.
func TestSegmentReportAndVerify(t *testing.T) {
	ct := sharedData(t, "ct-abdomen/example_ct.nii.gz")
	dir := t.TempDir()
	out, rep := filepath.Join(dir, "labels.nii.gz"), filepath.Join(dir, "run.json")
	code, _, errs := cli(t, "segment", "--model", "builtin:ct-tissue", ct, out, "--report", rep)
	if code != 0 {
		t.Fatalf("segment: %s", errs)
	}
	var r struct {
		Output struct {
			SHA256 string `json:"sha256"`
		} `json:"output"`
		Labels []struct {
			Name     string  `json:"name"`
			VolumeML float64 `json:"volume_ml"`
		} `json:"labels"`
		Geometry struct {
			SameGrid bool `json:"same_grid"`
		} `json:"geometry_check"`
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Output.SHA256) != 64 || len(r.Labels) == 0 || !r.Geometry.SameGrid {
		t.Errorf("report %+v", r)
	}
	if code, out, errs := cli(t, "verify", "run", rep); code != 0 || !strings.HasPrefix(out, "ok") {
		t.Fatalf("verify of an intact run: exit %d, %s %s", code, out, errs)
	}
	// Replace the output with another file: the hash no longer matches.
	if err := os.WriteFile(out, []byte("not the labels"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, "verify", "run", rep); code != 1 || !strings.Contains(out, "MISMATCH") {
		t.Errorf("verify of a tampered run: exit %d, %s", code, out)
	}
}
