package yolo

import (
	"math/rand"
	"testing"
)

// BenchmarkPostprocess: an 80-class segment head (8400 anchors), 40
// candidates above the threshold on 10 objects, masks for the survivors
// on a 512² slice — everything after the network.
func BenchmarkPostprocess(b *testing.B) {
	const nc, md, A = 80, 32, 8400
	rng := rand.New(rand.NewSource(1))
	out := make([]float32, (4+nc+md)*A)
	for i := range out[4*A:] {
		out[4*A+i] = rng.Float32() * 0.05
	}
	for a := 0; a < 40; a++ {
		obj := a % 10
		out[a] = float32(60 + 55*obj + rng.Intn(6))
		out[A+a] = float32(100 + 40*obj)
		out[2*A+a], out[3*A+a] = 50, 40
		out[(4+obj)*A+a] = 0.5 + 0.4*rng.Float32()
		for k := 0; k < md; k++ {
			out[(4+nc+k)*A+a] = rng.Float32()*2 - 1
		}
	}
	protos := make([]float32, md*160*160)
	for i := range protos {
		protos[i] = rng.Float32()*2 - 1
	}
	lb, _ := NewLetterbox(512, 512, 0.7, 0.7, 640)
	h := Head{Classes: nc, MaskDims: md, Anchors: A}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dets, err := Decode(out, h, 0.25, lb)
		if err != nil {
			b.Fatal(err)
		}
		kept := NMS(dets, 0.7, 300)
		if err := Masks(kept, protos, md, 160, 160, lb); err != nil {
			b.Fatal(err)
		}
		if len(kept) != 10 {
			b.Fatalf("%d kept", len(kept))
		}
	}
}
