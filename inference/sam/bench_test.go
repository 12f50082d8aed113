package sam

import (
	"context"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"delineate/inference"
	"delineate/viewer"
	"delineate/viewer/view"
)

// busyEncoder stands in for a real image encoder: it keeps every core busy
// for a while (as ONNX Runtime's intra-op threads do) and returns an
// embedding.
type busyEncoder struct{ fakeEncoder }

func (b *busyEncoder) Run(ctx context.Context, in map[string]inference.Value, outs []string) (map[string]inference.Value, error) {
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 1.0
			for i := 0; i < 30_000_000 && ctx.Err() == nil; i++ {
				x = x*1.0000001 + 1e-9
			}
			_ = x
		}()
	}
	wg.Wait()
	return b.fakeEncoder.Run(ctx, in, outs)
}

// BenchmarkSliceChangeDuringEncode: rendering a slice change of a
// 512×512×120 CT in a 1024² viewport, idle and while embeddings are
// pre-computed back to back (frame resampling plus an encoder that
// occupies every core) — what the click tool's prefetch costs a reader
// who keeps scrolling.
func BenchmarkSliceChangeDuringEncode(b *testing.B) {
	g := viewer.Geometry{Dims: [3]int{512, 512, 120}, Spacing: viewer.Vec3{0.75, 0.75, 2}, Direction: viewer.Identity3}
	vol, _ := viewer.NewVolume(g, viewer.Int16)
	vol.Modality = "CT"
	d := vol.Data.Raw().([]int16)
	for i := range d {
		d[i] = int16(i%997 - 400)
	}
	scene := view.NewScene(vol)
	render := func(b *testing.B) {
		v := view.NewViewport(scene, viewer.Axial)
		v.W, v.H = 1024, 1024
		var dst *image.RGBA
		i := 0
		for b.Loop() {
			v.SetSlice((60 + i*7) % 120)
			dst = v.Render(dst)
			i++
		}
	}
	b.Run("idle", render)
	m := &Model{Enc: &busyEncoder{}, Dec: &fakeDecoder{}, Names: DefaultNames, Size: 1024}
	s, _ := NewSession(m, vol, viewer.Axial, viewer.Window{Center: 40, Width: 400}, NewCache(64<<20))
	ctx, stop := context.WithCancel(context.Background())
	var encoded atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := 0; ctx.Err() == nil; k = (k + 1) % 120 {
			if _, err := s.Embedding(ctx, k); err == nil {
				encoded.Add(1)
			}
		}
	}()
	b.Run("encoding", render)
	stop()
	<-done
	b.ReportMetric(float64(encoded.Load()), "embeddings")
}
