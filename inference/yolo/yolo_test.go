package yolo

import (
	"image"
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestLetterboxSquareAndAnisotropic(t *testing.T) {
	// An axial 512² slice of 0.7 mm pixels: 1.25 input pixels per pixel,
	// no padding.
	lb, err := NewLetterbox(512, 512, 0.7, 0.7, 640)
	if err != nil {
		t.Fatal(err)
	}
	if !near(lb.AX, 1.25) || !near(lb.AY, 1.25) || lb.PadX != 0 || lb.PadY != 0 {
		t.Fatalf("square: %+v", lb)
	}
	// A coronal slice of the test CT: 512 × 20 pixels of 0.9765625 × 2 mm
	// (500 × 40 mm): 1.28 input pixels per mm, so AX = 1.25, AY = 2.56,
	// the image is 640 × 51.2 input pixels, padded round(294.4 − 0.1) = 294
	// on top.
	lb, err = NewLetterbox(512, 20, 0.9765625, 2, 640)
	if err != nil {
		t.Fatal(err)
	}
	if !near(lb.AX, 1.25) || !near(lb.AY, 2.56) || lb.PadX != 0 || lb.PadY != 294 {
		t.Fatalf("anisotropic: %+v", lb)
	}
	X, Y := lb.ToInput(100, 10)
	if !near(X, 125) || !near(Y, 294+25.6) {
		t.Errorf("ToInput(100, 10) = %g, %g", X, Y)
	}
	if x, y := lb.ToSlice(X, Y); !near(x, 100) || !near(y, 10) {
		t.Errorf("round trip gives %g, %g", x, y)
	}
	// A tall slice pads left and right.
	lb, _ = NewLetterbox(100, 200, 1, 1, 640)
	if !near(lb.AX, 3.2) || lb.PadX != 160 || lb.PadY != 0 {
		t.Errorf("tall: %+v", lb)
	}
	if _, err := NewLetterbox(0, 10, 1, 1, 640); err == nil {
		t.Error("an empty slice was accepted")
	}
}

func TestInputRendersAndPads(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 2))
	for i := range g.Pix {
		g.Pix[i] = uint8(10 * i) // row 0: 0 10 20 30; row 1: 40 50 60 70
	}
	lb, _ := NewLetterbox(4, 2, 1, 1, 8) // 2 input pixels per pixel, 2 rows of padding top and bottom
	if lb.AX != 2 || lb.PadY != 2 {
		t.Fatalf("%+v", lb)
	}
	in, err := lb.Input([]*image.Gray{g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(c, X, Y int) float64 { return float64(in[c*64+Y*8+X]) * 255 }
	if math.Abs(at(0, 0, 0)-114) > 1e-3 || math.Abs(at(2, 7, 7)-114) > 1e-3 {
		t.Errorf("padding %g %g, want 114", at(0, 0, 0), at(2, 7, 7))
	}
	// Input pixel (3, 3) has centre (3.5, 3.5) → slice (1.75, 0.75) →
	// sampled at (1.25, 0.25): 10·0.75·0.75 + 20·0.25·0.75 + 50·0.75·0.25
	// + 60·0.25·0.25 = 22.5.
	if v := at(0, 3, 3); math.Abs(v-22.5) > 1e-3 {
		t.Errorf("input (3,3) = %g, want 22.5", v)
	}
	if at(1, 3, 3) != at(0, 3, 3) || at(2, 3, 3) != at(0, 3, 3) {
		t.Error("one window is not repeated into three channels")
	}
}

// output0 of a 2-class detect head with 4 anchors, channel major.
func head(anchors [][6]float32) []float32 {
	A := len(anchors)
	out := make([]float32, 6*A)
	for a, v := range anchors {
		for c := 0; c < 6; c++ {
			out[c*A+a] = v[c]
		}
	}
	return out
}

func TestDecodeAndNMS(t *testing.T) {
	lb, _ := NewLetterbox(512, 20, 0.9765625, 2, 640) // AX 1.25, AY 2.56, PadY 294
	out := head([][6]float32{
		{125, 294 + 25.6, 50, 25.6, 0.9, 0.1},  // class 0: slice box (80, 5)–(120, 15)
		{126, 294 + 25.6, 50, 25.6, 0.8, 0.05}, // the same object, lower: suppressed
		{126, 294 + 25.6, 50, 25.6, 0.1, 0.7},  // overlapping, class 1: kept
		{300, 100, 40, 40, 0.2, 0.24},          // below conf 0.25
		{600, 30, 20, 20, 0.95, 0.0},           // entirely in the padding: dropped
	})
	h := Head{Classes: 2, Anchors: 5}
	dets, err := Decode(out, h, 0.25, lb)
	if err != nil {
		t.Fatal(err)
	}
	if len(dets) != 3 {
		t.Fatalf("%d candidates: %+v", len(dets), dets)
	}
	b := dets[0].Box
	close := func(a, b float64) bool { return math.Abs(a-b) < 1e-4 } // output0 is float32
	if !close(b[0], 80) || !close(b[1], 5) || !close(b[2], 120) || !close(b[3], 15) || dets[0].Class != 0 {
		t.Errorf("box %v class %d, want (80,5)–(120,15) class 0", b, dets[0].Class)
	}
	kept := NMS(dets, 0.7, 300)
	if len(kept) != 2 || kept[0].Score != 0.9 || kept[1].Class != 1 {
		t.Errorf("NMS kept %+v", kept)
	}
	if got := IoU([4]float64{0, 0, 10, 10}, [4]float64{5, 0, 15, 10}); !near(got, 50.0/150) {
		t.Errorf("IoU %g", got)
	}
	if _, err := Decode(out[:10], h, 0.25, lb); err == nil {
		t.Error("a short output0 was accepted")
	}
	if _, err := HeadOf([]int64{1, 38, 8400}, 2); err != nil {
		t.Errorf("seg head: %v", err)
	}
	if _, err := HeadOf([]int64{1, 40, 8400}, 2); err == nil {
		t.Error("a head of 4+2+34 channels was accepted")
	}
}

func TestMasksFromProtos(t *testing.T) {
	lb, _ := NewLetterbox(640, 640, 1, 1, 640) // identity
	const ph, pw, md = 160, 160, 2
	protos := make([]float32, md*ph*pw)
	for v := 0; v < ph; v++ {
		for u := 0; u < pw; u++ {
			val := float32(-10)
			if u >= 10 && u < 20 && v >= 5 && v < 15 {
				val = 10
			}
			protos[v*pw+u] = val // prototype 0; prototype 1 stays 0
		}
	}
	dets := []Detection{
		{Box: [4]float64{30, 10, 100, 70}, inBox: [4]float64{30, 10, 100, 70}, coeffs: []float32{1, 0}},
		{Box: [4]float64{50, 0, 640, 640}, inBox: [4]float64{50, 0, 640, 640}, coeffs: []float32{1, 0}},
	}
	if err := Masks(dets, protos, md, ph, pw, lb); err != nil {
		t.Fatal(err)
	}
	// Bilinear sampling of a box of prototype cells [lo, hi) at a pixel's
	// centre (u = (x+0.5)/4 − 0.5 in prototype cells) is a product of two
	// ramps: 0 below lo−1, rising to 1 at lo, 1 to hi−1, falling to 0 at hi.
	ramp := func(x, lo, hi int) float64 {
		u := (float64(x)+0.5)/4 - 0.5
		switch {
		case u <= float64(lo-1) || u >= float64(hi):
			return 0
		case u < float64(lo):
			return u - float64(lo-1)
		case u > float64(hi-1):
			return float64(hi) - u
		}
		return 1
	}
	check := func(d Detection, ulo, uhi, vlo, vhi, xmin int) {
		t.Helper()
		n := 0
		for y := 0; y < 640; y++ {
			for x := 0; x < 640; x++ {
				in := x >= xmin && ramp(x, ulo, uhi)*ramp(y, vlo, vhi) > 0.5
				if (d.Mask[y*640+x] == 1) != in {
					t.Fatalf("pixel (%d,%d): mask %d, want %v", x, y, d.Mask[y*640+x], in)
				}
				if in {
					n++
				}
			}
		}
		if d.MaskPixels != n || n == 0 {
			t.Errorf("MaskPixels %d, want %d", d.MaskPixels, n)
		}
	}
	// sigmoid(±10) is within 5e-5 of 0 or 1, which moves no crossing.
	check(dets[0], 10, 20, 5, 15, 0)
	// The second box starts at input 50 = cell 12.5: crop_mask keeps
	// cells from 13 on (and the box itself starts at pixel 50).
	check(dets[1], 13, 20, 5, 15, 50)
	if err := Masks(dets, protos[:10], md, ph, pw, lb); err == nil {
		t.Error("short protos accepted")
	}
}

func TestParseNames(t *testing.T) {
	got, err := ParseNames(`{0: 'lung nodule', 1: "liver lesion", 2: 'it\'s'}`)
	if err != nil || len(got) != 3 || got[0] != "lung nodule" || got[1] != "liver lesion" || got[2] != "it's" {
		t.Errorf("%q, %v", got, err)
	}
	if got, err := ParseNames(`{"0": "a", "1": "b"}`); err != nil || len(got) != 2 || got[1] != "b" {
		t.Errorf("JSON: %q, %v", got, err)
	}
	if _, err := ParseNames(`{0: 'a', 5: 'b'}`); err == nil {
		t.Error("ids with a gap accepted")
	}
}
