package yolo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"delineate/viewer"
)

// DescriptionFile is a YOLO-family model folder's description.
const DescriptionFile = "detector.json"

// Description is what a user's own YOLO export needs beside its .onnx to
// plug in (docs/models.md): the network file, optional class names (else
// the ONNX metadata's), synonyms for text prompts, the windows to render
// slices with, and for open-vocabulary exports the text encoder and its
// BPE vocabulary.
type Description struct {
	Name        string              `json:"name"`
	Model       string              `json:"model"`                  // the detector .onnx
	Names       []string            `json:"names,omitempty"`        // class names, in id order
	Synonyms    map[string][]string `json:"synonyms,omitempty"`     // class → other phrases that select it
	Windows     []string            `json:"windows,omitempty"`      // presets or "C,W": one (repeated) or three (one per channel)
	Each        [][]string          `json:"each,omitempty"`         // several renderings, each like windows, run in turn and merged
	Conf        float64             `json:"conf,omitempty"`         // default 0.25
	IoU         float64             `json:"iou,omitempty"`          // default 0.7
	TextEncoder string              `json:"text_encoder,omitempty"` // open vocabulary: CLIP-style text tower .onnx
	Vocab       string              `json:"vocab,omitempty"`        // its bpe_simple_vocab_16e6.txt(.gz)

	Dir string `json:"-"`
}

// LoadDescription reads DIR/detector.json; a folder with only model.onnx
// is described by default (names from the ONNX metadata).
func LoadDescription(dir string) (*Description, error) {
	d := &Description{Dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, DescriptionFile))
	switch {
	case os.IsNotExist(err):
		d.Model, d.Name = "model.onnx", filepath.Base(dir)
	case err != nil:
		return nil, err
	default:
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(d); err != nil {
			return nil, fmt.Errorf("%s: %v", filepath.Join(dir, DescriptionFile), err)
		}
		d.Dir = dir
	}
	if d.Model == "" {
		return nil, fmt.Errorf("%s: model (the .onnx file) is empty", filepath.Join(dir, DescriptionFile))
	}
	if (d.TextEncoder == "") != (d.Vocab == "") {
		return nil, fmt.Errorf("%s: an open-vocabulary model needs both text_encoder and vocab", filepath.Join(dir, DescriptionFile))
	}
	if n := len(d.Windows); n != 0 && n != 1 && n != 3 {
		return nil, fmt.Errorf("%s: %d windows; give one (repeated into three channels) or three", filepath.Join(dir, DescriptionFile), n)
	}
	for _, e := range d.Each {
		if len(e) != 1 && len(e) != 3 {
			return nil, fmt.Errorf("%s: a rendering of %d windows in each; give one or three", filepath.Join(dir, DescriptionFile), len(e))
		}
	}
	if d.Name == "" {
		d.Name = filepath.Base(dir)
	}
	return d, nil
}

// Path resolves a file of the description.
func (d *Description) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.Dir, p)
}

// Renderings parses the description's windows for a volume: Windows for
// one rendering, or Each for several merged.
func (d *Description) Renderings(vol *viewer.Volume) ([]viewer.Window, [][]viewer.Window, error) {
	parse := func(names []string) ([]viewer.Window, error) {
		var out []viewer.Window
		for _, n := range names {
			w, err := viewer.ParseWindow(n, vol)
			if err != nil {
				return nil, fmt.Errorf("%s: window %q: %w", DescriptionFile, n, err)
			}
			out = append(out, w)
		}
		return out, nil
	}
	wins, err := parse(d.Windows)
	if err != nil {
		return nil, nil, err
	}
	var each [][]viewer.Window
	for _, e := range d.Each {
		w, err := parse(e)
		if err != nil {
			return nil, nil, err
		}
		each = append(each, w)
	}
	return wins, each, nil
}

// FindDetectors lists the folders directly inside roots that hold a
// detector.json.
func FindDetectors(roots []string) []string {
	var out []string
	for _, root := range roots {
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			d := filepath.Join(root, e.Name())
			if _, err := os.Stat(filepath.Join(d, DescriptionFile)); err == nil {
				out = append(out, d)
			}
		}
	}
	return out
}
