package project

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any bytes in project.json give a project or a FormatError,
// never a panic; a project that parses saves and parses again the same.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"format":1,"name":"p","created":"2026-01-01T00:00:00Z","labels":[{"id":1,"name":"liver","colour":"#ff0000"}],"cases":[{"id":"case_0001","image":"a.nii.gz","status":"done","updated_at":"2026-01-01T00:00:00Z","provenance":{"model_runs":[],"edits":[],"label_sources":{"1":"model"}}}],"next_case":2}`))
	f.Add([]byte(`{"format":1,"cases":[{"id":"a","image":"i","status":"todo"},{"id":"a","image":"i","status":"todo"}]}`))
	f.Add([]byte(`{`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parse(b, "project.json")
		if err != nil {
			if _, ok := err.(*FormatError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		p.dir = dir
		if err := p.Save(); err != nil {
			t.Fatal(err)
		}
		b2, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parse(b2, "project.json"); err != nil {
			t.Fatalf("a saved project does not parse: %v", err)
		}
		p.Summarise()
	})
}
