package inference

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDescription: any model.json is either a valid description or a
// DescriptionError, never a panic; a valid one round-trips through its
// label table and plan without panicking either.
func FuzzDescription(f *testing.F) {
	files, _ := filepath.Glob("../testdata/models/*/model.json")
	bad, _ := filepath.Glob("../testdata/models/bad/*/model.json")
	for _, p := range append(files, bad...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"name":"x","labels":{"1":{"name":"a"}}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseDescription(b, dir, filepath.Join(dir, DescriptionFile))
		if err != nil {
			if _, ok := err.(*DescriptionError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		m.Table()
	})
}
