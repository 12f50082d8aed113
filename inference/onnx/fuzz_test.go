package onnx

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds the parser mutations of real exports: whatever the bytes,
// Parse returns a model or an error, and the analyses that run on a parsed
// model (receptive field, channel count, head split) never panic or
// loop, and a split model parses again.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/models/*/*.onnx")
	more, _ := filepath.Glob("../../testdata/models/*.onnx")
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x07})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if m != nil {
				t.Fatal("a model and an error")
			}
			return
		}
		m.ReceptiveField()
		m.MaxChannels()
		for _, o := range m.Outputs {
			if h, cut := SplitHead(b, m, o.Name); h != nil {
				if _, err := Parse(cut); err != nil {
					t.Fatalf("the split model does not parse: %v", err)
				}
			}
		}
	})
}
