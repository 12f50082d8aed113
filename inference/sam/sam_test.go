package sam

import (
	"context"
	"errors"
	"image"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"delineate/inference"
	"delineate/viewer"
)

// fakeEncoder counts its runs; its embedding's first value is the input's
// first value, so the decoder can tell slices apart.
type fakeEncoder struct {
	mu   sync.Mutex
	runs int
}

func (f *fakeEncoder) Run(ctx context.Context, in map[string]inference.Value, outs []string) (map[string]inference.Value, error) {
	f.mu.Lock()
	f.runs++
	f.mu.Unlock()
	e := make([]float32, 256*64*64)
	e[0] = in["image"].F32[0]
	return map[string]inference.Value{"image_embeddings": {Shape: []int64{1, 256, 64, 64}, F32: e}}, nil
}
func (f *fakeEncoder) Metadata() map[string]string  { return nil }
func (f *fakeEncoder) Device() inference.DeviceInfo { return inference.DeviceInfo{Used: "cpu"} }
func (f *fakeEncoder) Close()                       {}

// fakeDecoder's mask is its box prompt (labels 2 and 3), in the frame,
// at orig_im_size; empty when the embedding says the slice is dark
// (first value below minLevel). It records the last inputs.
type fakeDecoder struct {
	mu       sync.Mutex
	last     map[string]inference.Value
	runs     int
	delay    time.Duration
	minLevel float32
}

func (f *fakeDecoder) Run(ctx context.Context, in map[string]inference.Value, outs []string) (map[string]inference.Value, error) {
	time.Sleep(f.delay)
	f.mu.Lock()
	f.last, f.runs = in, f.runs+1
	f.mu.Unlock()
	if s := in["image_embeddings"].Shape; len(s) != 4 || s[1] != 256 {
		return nil, errors.New("Got invalid dimensions for input: image_embeddings")
	}
	h, w := int(in["orig_im_size"].F32[0]), int(in["orig_im_size"].F32[1])
	m := make([]float32, h*w)
	for i := range m {
		m[i] = -1
	}
	c, l := in["point_coords"].F32, in["point_labels"].F32
	var bx [4]float32
	has := false
	for i, lab := range l {
		switch lab {
		case 2:
			bx[0], bx[1], has = c[2*i], c[2*i+1], true
		case 3:
			bx[2], bx[3] = c[2*i], c[2*i+1]
		}
	}
	if has && in["image_embeddings"].F32[0] >= f.minLevel {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if float32(x)+0.5 >= bx[0] && float32(x)+0.5 <= bx[2] && float32(y)+0.5 >= bx[1] && float32(y)+0.5 <= bx[3] {
					m[y*w+x] = 1
				}
			}
		}
	}
	return map[string]inference.Value{"masks": {Shape: []int64{1, 1, int64(h), int64(w)}, F32: m}, "iou_predictions": {Shape: []int64{1, 1}, F32: []float32{0.9}}}, nil
}
func (f *fakeDecoder) Metadata() map[string]string  { return nil }
func (f *fakeDecoder) Device() inference.DeviceInfo { return inference.DeviceInfo{Used: "cpu"} }
func (f *fakeDecoder) Close()                       {}

// A coronal-like slice: 200 × 50 pixels of 0.8 × 3 mm (160 × 150 mm),
// flipped direction; slices 3..6 bright, the rest dark.
func testVolume(t *testing.T) *viewer.Volume {
	g := viewer.Geometry{Dims: [3]int{200, 10, 50}, Spacing: viewer.Vec3{0.8, 1, 3}, Direction: viewer.Mat3{{-1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	v, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	v.Modality = "CT"
	d := v.Data.Raw().([]int16)
	for k := 0; k < 50; k++ {
		for j := 0; j < 10; j++ {
			for i := 0; i < 200; i++ {
				val := int16(-1000)
				if j >= 3 && j <= 6 {
					val = 300
				}
				d[g.Index(i, j, k)] = val
			}
		}
	}
	return v
}

func session(t *testing.T, dec *fakeDecoder, enc *fakeEncoder, cache *Cache) *Session {
	m := &Model{Enc: enc, Dec: dec, Names: DefaultNames, Size: 1024}
	s, err := NewSession(m, testVolume(t), viewer.Coronal, viewer.Window{Center: 40, Width: 400}, cache)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFrameAnisotropicNonSquare(t *testing.T) {
	// 200 × 50 pixels of 0.8 × 3 mm = 160 × 150 mm: 6.4 frame pixels per
	// mm, AX = 5.12, AY = 19.2, the image 1024 × 960 in the frame.
	f, err := NewFrame(200, 50, 0.8, 3, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.AX-5.12) > 1e-12 || math.Abs(f.AY-19.2) > 1e-12 || f.FW != 1024 || f.FH != 960 {
		t.Fatalf("%+v", f)
	}
}

// A box prompt on a coronal slice of a flipped, anisotropic volume: the
// decoder gets the box in the 1024 frame and the frame's size, and its
// mask comes back exactly on the box's slice pixels.
func TestSegmentBoxMapping(t *testing.T) {
	dec, enc := &fakeDecoder{minLevel: -10}, &fakeEncoder{}
	s := session(t, dec, enc, nil)
	if s.Layout.Width != 200 || s.Layout.Height != 50 {
		t.Fatalf("coronal slice %d×%d", s.Layout.Width, s.Layout.Height)
	}
	box := [4]float64{20, 10, 60, 30}
	mask, score, err := s.Segment(context.Background(), 4, Prompt{Box: &box})
	if err != nil {
		t.Fatal(err)
	}
	c := dec.last["point_coords"].F32
	if math.Abs(float64(c[0])-20*5.12) > 1e-3 || math.Abs(float64(c[1])-10*19.2) > 1e-3 || math.Abs(float64(c[3])-30*19.2) > 1e-3 {
		t.Errorf("box in the frame %v", c)
	}
	if sz := dec.last["orig_im_size"].F32; sz[0] != 960 || sz[1] != 1024 {
		t.Errorf("orig_im_size %v, want [960 1024]", sz)
	}
	if l := dec.last["point_labels"].F32; len(l) != 2 || l[0] != 2 || l[1] != 3 {
		t.Errorf("labels %v", l)
	}
	n := 0
	for p, on := range mask {
		x, y := p%200, p/200
		in := x >= 20 && x < 60 && y >= 10 && y < 30
		if (on == 1) != in {
			t.Fatalf("pixel (%d,%d): %d, want %v", x, y, on, in)
		}
		n += int(on)
	}
	if n != 40*20 || score != 0.9 {
		t.Errorf("%d pixels, score %g", n, score)
	}
	// Points only: SAM's padding point is added; a point outside the slice
	// is refused before anything runs.
	if _, _, err := s.Segment(context.Background(), 4, Prompt{Points: []Point{{X: 10.5, Y: 5.5, FG: true}, {X: 30, Y: 5, FG: false}}}); err != nil {
		t.Fatal(err)
	}
	if l := dec.last["point_labels"].F32; len(l) != 3 || l[0] != 1 || l[1] != 0 || l[2] != -1 {
		t.Errorf("point labels %v", l)
	}
	runs := dec.runs
	if _, _, err := s.Segment(context.Background(), 4, Prompt{Points: []Point{{X: 250, Y: 5, FG: true}}}); err == nil || dec.runs != runs {
		t.Errorf("a point outside the slice: %v (decoder runs %d → %d)", err, runs, dec.runs)
	}
	if _, _, err := s.Segment(context.Background(), 4, Prompt{}); !errors.Is(err, ErrEmptyPrompt) {
		t.Errorf("empty prompt: %v", err)
	}
	// The encoder ran once for slice 4, however many clicks.
	if enc.runs != 1 {
		t.Errorf("encoder ran %d times for one slice", enc.runs)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	one := int64(4 * 256 * 64 * 64) // an embedding's bytes
	c := NewCache(2*one + 10)
	enc := &fakeEncoder{}
	s := session(t, &fakeDecoder{}, enc, c)
	ctx := context.Background()
	for _, k := range []int{1, 2, 1, 3} { // 3 evicts 2, the least recently used
		if _, err := s.Embedding(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2 || c.Bytes() != 2*one || enc.runs != 3 {
		t.Fatalf("len %d, bytes %d, encoder runs %d", c.Len(), c.Bytes(), enc.runs)
	}
	if _, ok := c.Get(Key{viewer.Coronal, 2, s.Window}); ok {
		t.Error("slice 2 was not evicted")
	}
	if _, ok := c.Get(Key{viewer.Coronal, 1, s.Window}); !ok {
		t.Error("slice 1 (recently used) was evicted")
	}
	// Another window is another embedding.
	s.Window = viewer.Window{Center: -600, Width: 1500}
	s.Embedding(ctx, 1)
	if enc.runs != 4 {
		t.Errorf("a new window did not re-encode (runs %d)", enc.runs)
	}
}

// Clicks during a running decode collapse to the last.
func TestCoalescing(t *testing.T) {
	var mu sync.Mutex
	var got []float64
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	c := NewCoalescer(func(p Prompt) {
		started <- struct{}{}
		<-release
		mu.Lock()
		got = append(got, p.Points[0].X)
		mu.Unlock()
	})
	c.Submit(Prompt{Points: []Point{{X: 1}}})
	<-started
	for x := 2.0; x <= 5; x++ {
		c.Submit(Prompt{Points: []Point{{X: x}}})
	}
	close(release)
	c.Wait()
	if len(got) != 2 || got[0] != 1 || got[1] != 5 {
		t.Errorf("ran %v, want [1 5]", got)
	}
}

// Propagation follows the structure slice by slice and stops where its
// mask vanishes (the fake decoder draws nothing on dark slices).
func TestPropagateStops(t *testing.T) {
	dec := &fakeDecoder{}
	s := session(t, dec, &fakeEncoder{}, nil)
	// The coronal slice k is j = k; j 3..6 are bright. The encoder's first
	// input value is the normalised grey of the slice's first pixel:
	// bright 300 HU (window 40/400 → grey 210) normalises above 0, dark
	// (grey 0) below.
	dec.minLevel = 0
	box := [4]float64{20, 10, 60, 30}
	masks, err := s.Propagate(context.Background(), 4, Prompt{Box: &box}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(masks) != 4 {
		t.Fatalf("%d slices: want 3..6", len(masks))
	}
	for k := 3; k <= 6; k++ {
		if masks[k] == nil {
			t.Errorf("slice %d missing", k)
		}
	}
	// Cancelled, it stops.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Propagate(ctx, 4, Prompt{Box: &box}, 0, nil); err == nil {
		t.Error("a cancelled propagation ran")
	}
}

// A decoder that does not take the encoder's embeddings says so.
func TestMismatchedDecoder(t *testing.T) {
	enc := &badEncoder{}
	m := &Model{Enc: enc, Dec: &fakeDecoder{}, Names: DefaultNames, Size: 1024}
	s, _ := NewSession(m, testVolume(t), viewer.Coronal, viewer.Window{Center: 40, Width: 400}, nil)
	box := [4]float64{1, 1, 5, 5}
	_, _, err := s.Segment(context.Background(), 4, Prompt{Box: &box})
	if err == nil || !strings.Contains(err.Error(), "pair the encoder and decoder of one export") {
		t.Errorf("mismatch: %v", err)
	}
}

type badEncoder struct{ fakeEncoder }

func (b *badEncoder) Run(ctx context.Context, in map[string]inference.Value, outs []string) (map[string]inference.Value, error) {
	return map[string]inference.Value{"image_embeddings": {Shape: []int64{1, 320, 64, 64}, F32: make([]float32, 320*64*64)}}, nil
}

// MedSAM: the slice stretched to 1024² (no aspect), min–max input, boxes
// only; the box and the mask map through the stretch.
func TestMedSAM(t *testing.T) {
	dec, enc := &fakeDecoder{minLevel: -10}, &fakeEncoder{}
	m := &Model{Enc: enc, Dec: dec, Names: DefaultNames, Size: 1024, Kind: KindMedSAM}
	s, err := NewSession(m, testVolume(t), viewer.Coronal, viewer.Window{Center: 40, Width: 400}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Segment(context.Background(), 4, Prompt{Points: []Point{{X: 3, Y: 3, FG: true}}}); err == nil || !strings.Contains(err.Error(), "box prompt only") {
		t.Errorf("points on MedSAM: %v", err)
	}
	box := [4]float64{20, 10, 60, 30}
	mask, _, err := s.Segment(context.Background(), 4, Prompt{Box: &box})
	if err != nil {
		t.Fatal(err)
	}
	c := dec.last["point_coords"].F32
	if math.Abs(float64(c[0])-20*1024.0/200) > 1e-3 || math.Abs(float64(c[1])-10*1024.0/50) > 1e-3 {
		t.Errorf("box in the stretched frame %v", c[:4])
	}
	if sz := dec.last["orig_im_size"].F32; sz[0] != 1024 || sz[1] != 1024 {
		t.Errorf("orig_im_size %v", sz)
	}
	n := 0
	for p, on := range mask {
		x, y := p%200, p/200
		if (on == 1) != (x >= 20 && x < 60 && y >= 10 && y < 30) {
			t.Fatalf("pixel (%d,%d) %d", x, y, on)
		}
		n += int(on)
	}
	// The input spans exactly 0..1 (min–max of the rendered slice).
	f, _ := NewStretchFrame(200, 50, 1024)
	g := image.NewGray(image.Rect(0, 0, 200, 50))
	for i := range g.Pix {
		g.Pix[i] = uint8(i % 200)
	}
	in, _ := f.InputMinMax(g, nil)
	lo, hi := float32(1), float32(0)
	for _, v := range in {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 1 || n != 800 {
		t.Errorf("input range %g..%g, mask %d", lo, hi, n)
	}
}

// The three normalisations on a slice of two grey levels: SAM's mean/std
// on 0..255, ImageNet's on 0..1, min–max to 0..1; padding stays 0.
func TestInputNormalisations(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 2))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	g.Pix[0], g.Pix[1], g.Pix[4], g.Pix[5] = 51, 51, 51, 51 // left half 51 (0.2), right half 255
	f, _ := NewFrame(4, 2, 1, 1, 8)                         // 8×4 image in an 8×8 frame
	at := func(in []float32, c, x, y int) float32 { return in[c*64+y*8+x] }
	near := func(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-5 }
	sam, _ := f.InputNorm(g, nil, NormSAM)
	imn, _ := f.InputNorm(g, nil, NormImageNet)
	mm, _ := f.InputNorm(g, nil, NormMinMax)
	for c := 0; c < 3; c++ {
		if v := at(sam, c, 7, 0); !near(v, (255-mean[c])/std[c]) {
			t.Errorf("SAM channel %d: %g", c, v)
		}
		if v := at(imn, c, 0, 0); !near(v, (0.2-imagenetMean[c])/imagenetStd[c]) {
			t.Errorf("ImageNet channel %d: %g", c, v)
		}
		if v, w := at(mm, c, 0, 0), at(mm, c, 7, 3); !near(v, 0) || !near(w, 1) {
			t.Errorf("min–max channel %d: %g, %g", c, v, w)
		}
		for _, in := range [][]float32{sam, imn, mm} {
			if at(in, c, 3, 5) != 0 {
				t.Errorf("padding is %g", at(in, c, 3, 5))
			}
		}
	}
}
