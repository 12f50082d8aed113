package yolo

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sort"
	"strings"

	"delineate/inference"
	"delineate/viewer"
)

// Model is an opened YOLO export: its network, class names and input
// size.
type Model struct {
	Graph   inference.Graph
	Names   []string
	Size    int
	Input   string
	Outputs []string // output0, and output1 for segment exports
	// TextFeats: the export takes txt_feats [1, N, 512] (open vocabulary);
	// SetPrompts gives it its classes.
	TextFeats bool
	feats     []float32
}

// SetPrompts makes the phrases an open-vocabulary model's classes,
// embedded by the text encoder.
func (m *Model) SetPrompts(ctx context.Context, enc *TextEncoder, phrases []string) error {
	if !m.TextFeats {
		return errors.New("yolo: this export has a baked vocabulary (no txt_feats input); a prompt selects among its classes")
	}
	emb, err := enc.Embed(ctx, phrases)
	if err != nil {
		return err
	}
	m.feats = m.feats[:0]
	for _, e := range emb {
		m.feats = append(m.feats, e...)
	}
	m.Names = append([]string(nil), phrases...)
	return nil
}

// Open opens a YOLO export. Class names come from the ONNX metadata
// (`names`, as Ultralytics writes it) unless names is given (the model
// description's). A segment export has output1 (prototypes); a detect
// export does not.
func Open(b inference.GraphBackend, path string, names []string, device string, threads int) (*Model, error) {
	// Which of the optional tensors the export has: a session names its
	// inputs and outputs, and ONNX Runtime refuses names the graph lacks.
	var g inference.Graph
	var err error
	var spec inference.GraphSpec
	for _, try := range []inference.GraphSpec{
		{Inputs: []string{"images", "txt_feats"}, Outputs: []string{"output0", "output1"}},
		{Inputs: []string{"images", "txt_feats"}, Outputs: []string{"output0"}},
		{Inputs: []string{"images"}, Outputs: []string{"output0", "output1"}},
		{Inputs: []string{"images"}, Outputs: []string{"output0"}},
	} {
		spec = inference.GraphSpec{Path: path, Inputs: try.Inputs, Outputs: try.Outputs, Device: device, Threads: threads}
		if g, err = b.OpenGraph(spec); err == nil || !(strings.Contains(err.Error(), "txt_feats") || strings.Contains(err.Error(), "output1")) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	m := &Model{Graph: g, Names: names, Size: 640, Input: "images", Outputs: spec.Outputs, TextFeats: len(spec.Inputs) == 2}
	if s, ok := g.Metadata()["imgsz"]; ok {
		// Ultralytics writes the export's input size, e.g. "[640, 640]".
		var w, h int
		if n, _ := fmt.Sscanf(strings.Trim(s, "[]() "), "%d, %d", &h, &w); n == 2 {
			if w != h || w <= 0 {
				g.Close()
				return nil, fmt.Errorf("yolo: the export's input is %d×%d; only square inputs are supported (export with a square imgsz)", w, h)
			}
			m.Size = w
		}
	}
	if m.TextFeats {
		// Open vocabulary: the classes are the prompts (SetPrompts).
		return m, nil
	}
	if len(m.Names) == 0 {
		s, ok := g.Metadata()["names"]
		if !ok {
			g.Close()
			return nil, errors.New("yolo: the model has no class names in its metadata; give them in its description (labels)")
		}
		if m.Names, err = ParseNames(s); err != nil {
			g.Close()
			return nil, err
		}
	}
	return m, nil
}

// Close releases the network.
func (m *Model) Close() { m.Graph.Close() }

// Options are a detection run's choices.
type Options struct {
	Windows []viewer.Window // 1 (repeated ×3) or 3 (one per channel); none: the volume's default
	Conf    float32         // confidence threshold (default 0.25)
	IoU     float64         // class-wise NMS threshold (default 0.7)
	MaxDet  int             // default 300
	Classes []int           // keep only these classes (a text prompt's selection); nil keeps all
	// Each runs the model once per rendering (each one window repeated,
	// or three as channels) and merges what they find with class-wise
	// NMS: the same prompt over lung, soft-tissue and bone renderings.
	Each [][]viewer.Window
}

// detectEach is DetectSlice over several renderings, merged.
func (m *Model) detectEach(ctx context.Context, vol *viewer.Volume, p viewer.Plane, k int, o Options) (SliceResult, error) {
	each := o.Each
	o.Each = nil
	var all []Detection
	var res SliceResult
	for _, wins := range each {
		o.Windows = wins
		r, err := m.DetectSlice(ctx, vol, p, k, o)
		if err != nil {
			return SliceResult{}, err
		}
		res.Layout, res.K = r.Layout, r.K
		all = append(all, r.Dets...)
	}
	res.Dets = NMS(all, o.IoU, o.MaxDet)
	return res, nil
}

// DetectSlice runs the model on slice k of plane p and returns what it
// found there, on the slice's pixels.
func (m *Model) DetectSlice(ctx context.Context, vol *viewer.Volume, p viewer.Plane, k int, o Options) (SliceResult, error) {
	if o.Conf == 0 {
		o.Conf = 0.25
	}
	if o.IoU == 0 {
		o.IoU = 0.7
	}
	if o.MaxDet == 0 {
		o.MaxDet = 300
	}
	l, err := viewer.NewSliceLayout(vol.Geometry, p)
	if err != nil {
		return SliceResult{}, err
	}
	if k < 0 || k >= l.Slices {
		return SliceResult{}, fmt.Errorf("slice %d: the %s plane has %d slices", k, p, l.Slices)
	}
	if len(o.Each) > 0 {
		return m.detectEach(ctx, vol, p, k, o)
	}
	wins := o.Windows
	if len(wins) == 0 {
		wins = []viewer.Window{viewer.DefaultWindow(vol)}
	}
	greys := make([]*image.Gray, 0, len(wins))
	for _, w := range wins {
		g, err := viewer.RenderLayout(vol, l, k, viewer.NewWindowLUT(w), nil)
		if err != nil {
			return SliceResult{}, err
		}
		greys = append(greys, g)
	}
	lb, err := NewLetterbox(l.Width, l.Height, l.ColSpacing, l.RowSpacing, m.Size)
	if err != nil {
		return SliceResult{}, err
	}
	in, err := lb.Input(greys, nil)
	if err != nil {
		return SliceResult{}, err
	}
	feed := map[string]inference.Value{m.Input: {Shape: []int64{1, 3, int64(m.Size), int64(m.Size)}, F32: in}}
	if m.TextFeats {
		if len(m.Names) == 0 {
			return SliceResult{}, errors.New("yolo: an open-vocabulary model needs a text prompt")
		}
		feed["txt_feats"] = inference.Value{Shape: []int64{1, int64(len(m.Names)), int64(len(m.feats) / len(m.Names))}, F32: m.feats}
	}
	out, err := m.Graph.Run(ctx, feed, m.Outputs)
	if err != nil {
		return SliceResult{}, err
	}
	o0 := out["output0"]
	h, err := HeadOf(o0.Shape, len(m.Names))
	if err != nil {
		return SliceResult{}, err
	}
	dets, err := Decode(o0.F32, h, o.Conf, lb)
	if err != nil {
		return SliceResult{}, err
	}
	if o.Classes != nil {
		keep := map[int]bool{}
		for _, c := range o.Classes {
			keep[c] = true
		}
		kept := dets[:0]
		for _, d := range dets {
			if keep[d.Class] {
				kept = append(kept, d)
			}
		}
		dets = kept
	}
	dets = NMS(dets, o.IoU, o.MaxDet)
	if h.MaskDims > 0 {
		p1, ok := out["output1"]
		if !ok || len(p1.Shape) != 4 || int(p1.Shape[1]) != h.MaskDims {
			return SliceResult{}, fmt.Errorf("yolo: a segment head without %d prototypes in output1", h.MaskDims)
		}
		if err := Masks(dets, p1.F32, h.MaskDims, int(p1.Shape[2]), int(p1.Shape[3]), lb); err != nil {
			return SliceResult{}, err
		}
	}
	return SliceResult{Layout: l, K: k, Dets: dets}, nil
}

// SelectClasses turns a text prompt ("lung nodule, liver lesion") into
// the class ids of a baked vocabulary: each phrase matches a name or one
// of its synonyms, case-insensitively. An unknown phrase is an error that
// lists what the model knows.
func SelectClasses(names []string, synonyms map[string][]string, prompt string) ([]int, error) {
	var ids []int
	seen := map[int]bool{}
	for _, phrase := range strings.Split(prompt, ",") {
		p := strings.ToLower(strings.Join(strings.Fields(phrase), " "))
		if p == "" {
			continue
		}
		found := -1
		for i, n := range names {
			if strings.EqualFold(n, p) {
				found = i
			}
			for _, s := range synonyms[n] {
				if strings.EqualFold(s, p) {
					found = i
				}
			}
		}
		if found < 0 {
			known := append([]string(nil), names...)
			sort.Strings(known)
			return nil, fmt.Errorf("%q is not a class of this model; this model knows: %s", strings.TrimSpace(phrase), strings.Join(known, ", "))
		}
		if !seen[found] {
			seen[found] = true
			ids = append(ids, found)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("the prompt names no class")
	}
	return ids, nil
}
