package sam

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"delineate/inference"
	"delineate/viewer"
)

// Names are an export's tensor names (SAM's ONNX exports by default).
type Names struct {
	Image      string `json:"image"`            // encoder input
	Embeddings string `json:"image_embeddings"` // encoder output, decoder input
	Coords     string `json:"point_coords"`     // decoder inputs
	Labels     string `json:"point_labels"`
	MaskIn     string `json:"mask_input"`
	HasMask    string `json:"has_mask_input"`
	OrigSz     string `json:"orig_im_size"`
	Masks      string `json:"masks"` // decoder outputs
	Scores     string `json:"iou_predictions"`
	// Boxes is a decoder input that takes the box as [1,1,4] (x0, y0, x1,
	// y1 in the frame) instead of as two labelled points (LiteMedSAM).
	Boxes string `json:"boxes,omitempty"`
	// Extra are further encoder outputs the decoder takes by the same
	// names (SAM2's high_res_feats_0 and high_res_feats_1).
	Extra []string `json:"extra,omitempty"`
}

// An empty name is a tensor the export does not have: no orig_im_size
// means the masks come at low resolution over the whole frame (SAM2,
// LiteMedSAM) and are resampled here; no point_coords means box only.

// DefaultNames are the names of SAM's and MobileSAM's ONNX exports.
var DefaultNames = Names{Image: "image", Embeddings: "image_embeddings",
	Coords: "point_coords", Labels: "point_labels", MaskIn: "mask_input", HasMask: "has_mask_input", OrigSz: "orig_im_size",
	Masks: "masks", Scores: "iou_predictions"}

// Model is an encoder and a decoder of one export.
type Model struct {
	Enc, Dec inference.Graph
	Names    Names
	Size     int    // the encoder's input side (1024; 256 for LiteMedSAM)
	Kind     string // KindSAM (default), KindMedSAM, KindLiteMedSAM or KindSAM2
}

func nonEmpty(names ...string) []string {
	var out []string
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// encoderOutputs are the embedding and any extra features.
func (n Names) encoderOutputs() []string { return append([]string{n.Embeddings}, n.Extra...) }

// decoderInputs are the decoder's inputs the names give.
func (n Names) decoderInputs() []string {
	return append(n.encoderOutputs(), nonEmpty(n.Coords, n.Labels, n.Boxes, n.MaskIn, n.HasMask, n.OrigSz)...)
}

// Open opens an encoder/decoder pair of SAM's kind.
func Open(b inference.GraphBackend, encoder, decoder string, n Names, device string, threads int) (*Model, error) {
	return OpenKind(b, KindSAM, encoder, decoder, n, device, threads)
}

// OpenKind opens an encoder/decoder pair of the given kind, checking that
// the networks have the tensors the names say.
func OpenKind(b inference.GraphBackend, kind, encoder, decoder string, n Names, device string, threads int) (*Model, error) {
	k, err := specOf(kind)
	if err != nil {
		return nil, err
	}
	if n.Image == "" || n.Embeddings == "" || n.Masks == "" || n.Scores == "" {
		return nil, fmt.Errorf("sam: the tensor names need image, image_embeddings, masks and iou_predictions")
	}
	if (n.Coords == "") != (n.Labels == "") || (n.Coords == "" && n.Boxes == "") {
		return nil, fmt.Errorf("sam: the decoder needs point_coords with point_labels, or boxes")
	}
	enc, err := b.OpenGraph(inference.GraphSpec{Path: encoder, Inputs: []string{n.Image}, Outputs: n.encoderOutputs(), Device: device, Threads: threads})
	if err != nil {
		return nil, fmt.Errorf("SAM encoder: %w", err)
	}
	dec, err := b.OpenGraph(inference.GraphSpec{Path: decoder, Inputs: n.decoderInputs(),
		Outputs: []string{n.Masks, n.Scores}, Device: device, Threads: threads})
	if err != nil {
		enc.Close()
		return nil, fmt.Errorf("SAM decoder: %w", err)
	}
	if kind == "" {
		kind = KindSAM
	}
	return &Model{Enc: enc, Dec: dec, Names: n, Size: k.size, Kind: kind}, nil
}

// Close releases both networks.
func (m *Model) Close() { m.Enc.Close(); m.Dec.Close() }

// Key names an embedding: which slice, in which plane, seen through which
// window.
type Key struct {
	Plane  viewer.Plane
	Slice  int
	Window viewer.Window
}

// Embedding is the encoder's outputs for one slice (the embedding and any
// extra features, by name), and the frame it saw.
type Embedding struct {
	Key    Key
	Frame  Frame
	Values map[string]inference.Value
}

func (e *Embedding) bytes() int64 {
	var n int64
	for _, v := range e.Values {
		n += int64(4 * len(v.F32))
	}
	return n
}

// Cache holds embeddings, least recently used first out, within a byte
// budget. Safe for concurrent use.
type Cache struct {
	mu     sync.Mutex
	limit  int64
	used   int64
	order  *list.List // front: most recent
	items  map[Key]*list.Element
	Hits   int
	Misses int
}

// NewCache makes a cache of at most limit bytes.
func NewCache(limit int64) *Cache {
	return &Cache{limit: limit, order: list.New(), items: map[Key]*list.Element{}}
}

// Get returns the embedding for k, marking it recently used.
func (c *Cache) Get(k Key) (*Embedding, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		c.Hits++
		return el.Value.(*Embedding), true
	}
	c.Misses++
	return nil, false
}

// Put stores e, evicting the least recently used until it fits.
func (c *Cache) Put(e *Embedding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.Key]; ok {
		c.used -= el.Value.(*Embedding).bytes()
		c.order.Remove(el)
		delete(c.items, e.Key)
	}
	for c.used+e.bytes() > c.limit && c.order.Len() > 0 {
		old := c.order.Back()
		oe := old.Value.(*Embedding)
		c.used -= oe.bytes()
		c.order.Remove(old)
		delete(c.items, oe.Key)
	}
	if e.bytes() > c.limit {
		return
	}
	c.items[e.Key] = c.order.PushFront(e)
	c.used += e.bytes()
}

// Len is how many embeddings are held; Bytes their size.
func (c *Cache) Len() int     { c.mu.Lock(); defer c.mu.Unlock(); return c.order.Len() }
func (c *Cache) Bytes() int64 { c.mu.Lock(); defer c.mu.Unlock(); return c.used }

// Session prompts one volume in one plane through one window.
type Session struct {
	M      *Model
	Vol    *viewer.Volume
	Layout viewer.SliceLayout
	Window viewer.Window
	Cache  *Cache
}

// NewSession prepares prompting vol in plane p.
func NewSession(m *Model, vol *viewer.Volume, p viewer.Plane, w viewer.Window, cache *Cache) (*Session, error) {
	l, err := viewer.NewSliceLayout(vol.Geometry, p)
	if err != nil {
		return nil, err
	}
	if cache == nil {
		cache = NewCache(256 << 20)
	}
	return &Session{M: m, Vol: vol, Layout: l, Window: w, Cache: cache}, nil
}

// Embedding returns slice k's embedding, running the encoder when the
// cache does not hold it.
func (s *Session) Embedding(ctx context.Context, k int) (*Embedding, error) {
	key := Key{s.Layout.Plane, k, s.Window}
	if e, ok := s.Cache.Get(key); ok {
		return e, nil
	}
	if k < 0 || k >= s.Layout.Slices {
		return nil, fmt.Errorf("slice %d: the %s plane has %d slices", k, s.Layout.Plane, s.Layout.Slices)
	}
	g, err := viewer.RenderLayout(s.Vol, s.Layout, k, viewer.NewWindowLUT(s.Window), nil)
	if err != nil {
		return nil, err
	}
	f, err := s.M.frame(s.Layout.Width, s.Layout.Height, s.Layout.ColSpacing, s.Layout.RowSpacing)
	if err != nil {
		return nil, err
	}
	in, err := s.M.input(f, g)
	if err != nil {
		return nil, err
	}
	sz := int64(s.M.Size)
	out, err := s.M.Enc.Run(ctx, map[string]inference.Value{s.M.Names.Image: {Shape: []int64{1, 3, sz, sz}, F32: in}}, s.M.Names.encoderOutputs())
	if err != nil {
		if msg := err.Error(); strings.Contains(msg, "dimension") || strings.Contains(msg, "shape") {
			return nil, fmt.Errorf("SAM encoder: it does not take a %d×%d image (a different input size? say \"size\" in sam.json): %w", sz, sz, err)
		}
		return nil, fmt.Errorf("SAM encoder: %w", err)
	}
	e := &Embedding{Key: key, Frame: f, Values: map[string]inference.Value{}}
	for _, name := range s.M.Names.encoderOutputs() {
		v, ok := out[name]
		if !ok {
			return nil, fmt.Errorf("SAM encoder: no output %q", name)
		}
		e.Values[name] = v
	}
	s.Cache.Put(e)
	return e, nil
}

// Point is a click in slice coordinates (continuous: pixel (x, y) spans
// [x, x+1) × [y, y+1); a click on a pixel's centre is (x+0.5, y+0.5)).
type Point struct {
	X, Y float64
	FG   bool // foreground (include); false: background (exclude)
}

// Prompt is points and an optional box, in slice coordinates.
type Prompt struct {
	Points []Point
	Box    *[4]float64 // x0, y0, x1, y1
}

// ErrEmptyPrompt says a prompt has neither points nor a box.
var ErrEmptyPrompt = errors.New("sam: the prompt has no point and no box")

// Segment decodes a prompt on slice k into a mask on the slice's pixels
// (W×H, 1 inside) and the decoder's score for it.
func (s *Session) Segment(ctx context.Context, k int, p Prompt) ([]uint8, float32, error) {
	if len(p.Points) == 0 && p.Box == nil {
		return nil, 0, ErrEmptyPrompt
	}
	if s.M.BoxOnly() && (len(p.Points) > 0 || p.Box == nil) {
		return nil, 0, fmt.Errorf("sam: this %s export takes a box prompt only (drag a box)", s.M.kindName())
	}
	W, H := float64(s.Layout.Width), float64(s.Layout.Height)
	for _, pt := range p.Points {
		if pt.X < 0 || pt.Y < 0 || pt.X > W || pt.Y > H {
			return nil, 0, fmt.Errorf("sam: the point (%.1f, %.1f) is outside the %d×%d slice", pt.X, pt.Y, s.Layout.Width, s.Layout.Height)
		}
	}
	var box [4]float64
	if b := p.Box; b != nil {
		x0, x1 := math.Max(0, math.Min(b[0], b[2])), math.Min(W, math.Max(b[0], b[2]))
		y0, y1 := math.Max(0, math.Min(b[1], b[3])), math.Min(H, math.Max(b[1], b[3]))
		if x1 <= x0 || y1 <= y0 {
			return nil, 0, fmt.Errorf("sam: the box %v is empty on the %d×%d slice", *b, s.Layout.Width, s.Layout.Height)
		}
		box = [4]float64{x0, y0, x1, y1}
	}
	e, err := s.Embedding(ctx, k)
	if err != nil {
		return nil, 0, err
	}
	f := e.Frame
	n := s.M.Names
	in := map[string]inference.Value{}
	for name, v := range e.Values {
		in[name] = v
	}
	fbox := []float32{float32(box[0] * f.AX), float32(box[1] * f.AY), float32(box[2] * f.AX), float32(box[3] * f.AY)}
	if n.Coords != "" {
		var coords, labels []float32
		for _, pt := range p.Points {
			coords = append(coords, float32(pt.X*f.AX), float32(pt.Y*f.AY))
			if pt.FG {
				labels = append(labels, 1)
			} else {
				labels = append(labels, 0)
			}
		}
		if p.Box != nil && n.Boxes == "" {
			coords = append(coords, fbox...)
			labels = append(labels, 2, 3)
		} else {
			coords = append(coords, 0, 0) // SAM's padding point when there is no box
			labels = append(labels, -1)
		}
		np := int64(len(labels))
		in[n.Coords] = inference.Value{Shape: []int64{1, np, 2}, F32: coords}
		in[n.Labels] = inference.Value{Shape: []int64{1, np}, F32: labels}
	}
	if n.Boxes != "" {
		if p.Box == nil {
			return nil, 0, fmt.Errorf("sam: this export takes a box prompt with its points (drag a box)")
		}
		in[n.Boxes] = inference.Value{Shape: []int64{1, 1, 4}, F32: fbox}
	}
	if n.MaskIn != "" {
		in[n.MaskIn] = inference.Value{Shape: []int64{1, 1, 256, 256}, F32: make([]float32, 256*256)}
	}
	if n.HasMask != "" {
		in[n.HasMask] = inference.Value{Shape: []int64{1}, F32: []float32{0}}
	}
	if n.OrigSz != "" {
		in[n.OrigSz] = inference.Value{Shape: []int64{2}, F32: []float32{float32(f.FH), float32(f.FW)}}
	}
	out, err := s.M.Dec.Run(ctx, in, []string{n.Masks, n.Scores})
	if err != nil {
		if msg := err.Error(); strings.Contains(msg, n.Embeddings) || strings.Contains(msg, "dimension") || strings.Contains(msg, "shape") {
			return nil, 0, fmt.Errorf("sam: the decoder does not take this encoder's embeddings %v (pair the encoder and decoder of one export): %w", e.Values[n.Embeddings].Shape, err)
		}
		return nil, 0, fmt.Errorf("SAM decoder: %w", err)
	}
	masks, scores := out[n.Masks], out[n.Scores]
	if len(masks.Shape) != 4 || masks.Shape[2] <= 0 || masks.Shape[3] <= 0 || int64(len(masks.F32)) < masks.Shape[1]*masks.Shape[2]*masks.Shape[3] {
		return nil, 0, fmt.Errorf("sam: the decoder gave masks %v", masks.Shape)
	}
	best := 0
	for i, v := range scores.F32 {
		if v > scores.F32[best] {
			best = i
		}
	}
	var score float32
	if len(scores.F32) > 0 {
		score = scores.F32[best]
	}
	mh, mw := int(masks.Shape[2]), int(masks.Shape[3])
	plane := masks.F32[best*mh*mw : (best+1)*mh*mw]
	if n.OrigSz != "" {
		if mh != f.FH || mw != f.FW {
			return nil, 0, fmt.Errorf("sam: the decoder gave masks %v for a %d×%d image", masks.Shape, f.FW, f.FH)
		}
		return f.maskNearest(plane), score, nil
	}
	return f.maskLowRes(plane, mw, mh), score, nil
}

func (m *Model) kindName() string {
	if m.Kind == "" {
		return KindSAM
	}
	return m.Kind
}

// BoxOf is the bounding box of a mask (slice coordinates, pixel edges),
// ok false when the mask is empty.
func BoxOf(mask []uint8, w, h int) ([4]float64, bool) {
	x0, y0, x1, y1 := w, h, -1, -1
	for p, on := range mask {
		if on != 0 {
			x, y := p%w, p/w
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
	}
	if x1 < 0 {
		return [4]float64{}, false
	}
	return [4]float64{float64(x0), float64(y0), float64(x1 + 1), float64(y1 + 1)}, true
}

// Propagate segments slice k0 with p, then the neighbouring slices in
// both directions with the box of the previous slice's mask, until a mask
// comes out empty (or maxSlices slices have been done each way). It
// returns the masks by slice.
func (s *Session) Propagate(ctx context.Context, k0 int, p Prompt, maxSlices int, progress func(k int)) (map[int][]uint8, error) {
	first, _, err := s.Segment(ctx, k0, p)
	if err != nil {
		return nil, err
	}
	out := map[int][]uint8{}
	box, ok := BoxOf(first, s.Layout.Width, s.Layout.Height)
	if !ok {
		return out, nil
	}
	out[k0] = first
	for _, dir := range []int{-1, 1} {
		b := box
		for n, k := 1, k0+dir; k >= 0 && k < s.Layout.Slices && (maxSlices <= 0 || n <= maxSlices); n, k = n+1, k+dir {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			bb := b
			m, _, err := s.Segment(ctx, k, Prompt{Box: &bb})
			if err != nil {
				return out, err
			}
			nb, ok := BoxOf(m, s.Layout.Width, s.Layout.Height)
			if !ok {
				break
			}
			out[k] = m
			b = nb
			if progress != nil {
				progress(k)
			}
		}
	}
	return out, nil
}

// FolderDescription is an export folder's optional sam.json: the kind of
// export (KindNames; default sam), the encoder's input side when it is not
// the kind's, and tensor names when they differ from the kind's usual
// export (all of them: an empty name is a tensor the export lacks).
type FolderDescription struct {
	Kind  string `json:"kind,omitempty"`
	Size  int    `json:"size,omitempty"` // the encoder's input side (default 1024)
	Names *Names `json:"names,omitempty"`
}

// OpenFolder opens DIR/encoder.onnx and DIR/decoder.onnx as DIR/sam.json
// (when there is one) describes them.
func OpenFolder(b inference.GraphBackend, dir, device string, threads int) (*Model, error) {
	d := FolderDescription{Kind: KindSAM}
	desc := filepath.Join(dir, "sam.json")
	if raw, err := os.ReadFile(desc); err == nil {
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("%s: %v", desc, err)
		}
	}
	names, err := DefaultNamesOf(d.Kind)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", desc, err)
	}
	if d.Names != nil {
		names = *d.Names
	}
	m, err := OpenKind(b, d.Kind, filepath.Join(dir, "encoder.onnx"), filepath.Join(dir, "decoder.onnx"), names, device, threads)
	if err != nil {
		return nil, err
	}
	if d.Size > 0 {
		m.Size = d.Size
	}
	return m, nil
}

// IsExport says whether dir holds an encoder.onnx and a decoder.onnx.
func IsExport(dir string) bool {
	_, e1 := os.Stat(filepath.Join(dir, "encoder.onnx"))
	_, e2 := os.Stat(filepath.Join(dir, "decoder.onnx"))
	return e1 == nil && e2 == nil
}

// FindExports lists the folders directly inside roots that are exports.
func FindExports(roots []string) []string {
	var out []string
	for _, root := range roots {
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if d := filepath.Join(root, e.Name()); IsExport(d) {
				out = append(out, d)
			}
		}
	}
	return out
}
