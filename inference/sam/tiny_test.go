package sam_test

import (
	"context"
	"strings"
	"testing"

	"delineate/inference/ort"
	"delineate/inference/ort/orttest"
	"delineate/inference/sam"
	"delineate/viewer"
)

func runtime(t *testing.T) *ort.Runtime { return orttest.Runtime(t) }

// The tiny SAM-contract encoder and decoder (make_prompt_models.py)
// through ONNX Runtime: the decoder's mask is its box, so a box prompt on
// a non-square, anisotropic sagittal slice comes back on exactly the box's
// pixels; propagation stops at maxSlices when the mask never vanishes.
func TestTinySAM(t *testing.T) {
	rt := runtime(t)
	m, err := sam.Open(rt, "../../testdata/models/tiny-sam/encoder.onnx", "../../testdata/models/tiny-sam/decoder.onnx", sam.DefaultNames, "cpu", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	g := viewer.Geometry{Dims: [3]int{30, 120, 40}, Spacing: viewer.Vec3{1, 0.7, 2.5}, Direction: viewer.Identity3}
	vol, _ := viewer.NewVolume(g, viewer.Int16)
	vol.Modality = "CT"
	s, err := sam.NewSession(m, vol, viewer.Sagittal, viewer.Window{Center: 40, Width: 400}, nil)
	if err != nil {
		t.Fatal(err)
	}
	W, H := s.Layout.Width, s.Layout.Height
	box := [4]float64{10, 5, 50, 25}
	mask, score, err := s.Segment(context.Background(), 12, sam.Prompt{Box: &box})
	if err != nil {
		t.Fatal(err)
	}
	if score < 0.89 {
		t.Errorf("score %g", score)
	}
	n := 0
	for p, on := range mask {
		x, y := p%W, p/W
		in := x >= 10 && x < 50 && y >= 5 && y < 25
		if (on == 1) != in {
			t.Fatalf("pixel (%d,%d) of the %d×%d slice: %d, want %v", x, y, W, H, on, in)
		}
		n += int(on)
	}
	if n != 40*20 {
		t.Errorf("%d mask pixels", n)
	}
	masks, err := s.Propagate(context.Background(), 12, sam.Prompt{Box: &box}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(masks) != 7 || masks[9] == nil || masks[15] == nil || masks[16] != nil {
		t.Errorf("propagated to %d slices", len(masks))
	}
	if s.Cache.Len() != 7 {
		t.Errorf("%d embeddings cached", s.Cache.Len())
	}
	// An encoder given the wrong input size says so, and nothing is cached.
	m.Size = 512
	s2, _ := sam.NewSession(m, vol, viewer.Sagittal, viewer.Window{Center: 40, Width: 400}, nil)
	if _, _, err := s2.Segment(context.Background(), 3, sam.Prompt{Box: &box}); err == nil || !strings.Contains(err.Error(), "does not take a 512×512 image") {
		t.Errorf("wrong input size: %v", err)
	}
	m.Size = 1024
}

// BenchmarkClickCached: a click once the slice's embedding is cached — the
// decoder (the tiny ones: nearly free, so this is Delineate's own share:
// prompt tensors, the 512² mask back on the slice — directly from SAM's
// full-size masks, interpolated from SAM2's 256² ones) per click.
func BenchmarkClickCached(b *testing.B) {
	rt := orttest.Runtime(b)
	for _, dir := range []string{"tiny-sam", "tiny-sam2"} {
		b.Run(dir, func(b *testing.B) {
			m, err := sam.OpenFolder(rt, "../../testdata/models/"+dir, "cpu", 0)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			g := viewer.Geometry{Dims: [3]int{512, 512, 3}, Spacing: viewer.Vec3{0.7, 0.7, 2}, Direction: viewer.Identity3}
			vol, _ := viewer.NewVolume(g, viewer.Int16)
			s, _ := sam.NewSession(m, vol, viewer.Axial, viewer.Window{Center: 40, Width: 400}, nil)
			box := [4]float64{100, 100, 200, 180}
			if _, _, err := s.Segment(context.Background(), 1, sam.Prompt{Box: &box}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := s.Segment(context.Background(), 1, sam.Prompt{Box: &box, Points: []sam.Point{{X: 150, Y: 140, FG: true}}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// SAM2 and LiteMedSAM exports (tiny ones with their exact contracts)
// through their folders: the low-resolution masks over the whole frame
// come back on exactly the box's pixels of the same non-square,
// anisotropic sagittal slice — SAM2 stretched to 1024² (8.53 × 25.6 frame
// pixels per slice pixel, 4 frame pixels per mask cell), LiteMedSAM with
// its aspect kept in a 256² frame (1.79 × 6.4, one frame pixel per cell).
func TestTinySAM2AndLiteMedSAM(t *testing.T) {
	rt := runtime(t)
	g := viewer.Geometry{Dims: [3]int{30, 120, 40}, Spacing: viewer.Vec3{1, 0.7, 2.5}, Direction: viewer.Identity3}
	vol, _ := viewer.NewVolume(g, viewer.Int16)
	vol.Modality = "CT"
	for _, tc := range []struct {
		dir, kind string
		size      int
		embBytes  int64
	}{
		{"tiny-sam2", sam.KindSAM2, 1024, 4 * (256*64*64 + 32*256*256 + 64*128*128)},
		{"tiny-litemedsam", sam.KindLiteMedSAM, 256, 4 * 256 * 64 * 64},
	} {
		m, err := sam.OpenFolder(rt, "../../testdata/models/"+tc.dir, "cpu", 1)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if m.Kind != tc.kind || m.Size != tc.size {
			t.Errorf("%s: kind %q size %d", tc.dir, m.Kind, m.Size)
		}
		s, err := sam.NewSession(m, vol, viewer.Sagittal, viewer.Window{Center: 40, Width: 400}, nil)
		if err != nil {
			t.Fatal(err)
		}
		W := s.Layout.Width
		box := [4]float64{10, 5, 50, 25}
		var pts []sam.Point
		if !m.BoxOnly() {
			pts = []sam.Point{{X: 30, Y: 15, FG: true}}
		}
		mask, score, err := s.Segment(context.Background(), 12, sam.Prompt{Box: &box, Points: pts})
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		if score < 0.89 {
			t.Errorf("%s: score %g", tc.dir, score)
		}
		n := 0
		for p, on := range mask {
			x, y := p%W, p/W
			if in := x >= 10 && x < 50 && y >= 5 && y < 25; (on == 1) != in {
				t.Fatalf("%s: pixel (%d,%d): %d, want %v", tc.dir, x, y, on, in)
			}
			n += int(on)
		}
		if n != 40*20 {
			t.Errorf("%s: %d mask pixels", tc.dir, n)
		}
		if s.Cache.Bytes() != tc.embBytes {
			t.Errorf("%s: the cache holds %d bytes, want %d (the embedding and its features)", tc.dir, s.Cache.Bytes(), tc.embBytes)
		}
		masks, err := s.Propagate(context.Background(), 12, sam.Prompt{Box: &box}, 2, nil)
		if err != nil || len(masks) != 5 {
			t.Errorf("%s: propagated to %d slices: %v", tc.dir, len(masks), err)
		}
	}
	// LiteMedSAM takes boxes only: a click is refused before anything runs.
	m, err := sam.OpenFolder(rt, "../../testdata/models/tiny-litemedsam", "cpu", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, _ := sam.NewSession(m, vol, viewer.Sagittal, viewer.Window{Center: 40, Width: 400}, nil)
	if _, _, err := s.Segment(context.Background(), 3, sam.Prompt{Points: []sam.Point{{X: 3, Y: 3, FG: true}}}); err == nil || !strings.Contains(err.Error(), "box prompt only") {
		t.Errorf("a click on LiteMedSAM: %v", err)
	}
	if s.Cache.Len() != 0 {
		t.Errorf("the refused click ran the encoder")
	}
}
