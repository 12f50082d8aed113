package inference

import (
	"runtime"
	"sync"

	"delineate/inference/onnx"
)

// splitHead decides whether to run the network without its last layer:
// only for whole-volume and overlap tiling (the sliding window averages
// logits, which a split would have to average as features), and only when
// the head widens the output (K classes > C features): a tile then holds C
// floats a voxel instead of K, and for large K it is faster too (the
// 104-class MeshNet on 256³: 72 s split, 154 s as one graph, which writes
// 7 GB of logits). For K < C the runner's loop is slower than ONNX
// Runtime's (subcortical MeshNet, 30 → 18: 110 s against 99 s), so the
// graph runs whole. The split model's bytes go to the backend in place of
// the file.
func splitHead(m *Model, g *onnx.Model, data []byte) (*onnx.Head, []byte) {
	if m.Tiling.Mode == "sliding" || g == nil {
		return nil, nil
	}
	h, b := onnx.SplitHead(data, g, m.Output.Name)
	if h == nil || h.Classes != m.Output.Classes || h.Classes <= h.Channels {
		return nil, nil
	}
	return h, b
}

// headArgmaxInto is argmaxInto for a tile of hidden features (tv has
// h.Channels "classes"): it computes each voxel's logits with the head
// and keeps only the winning class, so no K-class map ever exists. Logits
// are summed in one fixed order (bias, then channel 0, 1, …), so a voxel's
// label does not depend on the tile it was computed in. Lines along the
// tensor's fastest axis are processed as saxpy runs, spread over the cores.
func headArgmaxInto(tv tileView, h *onnx.Head, tb, region box, labels []uint16, dims [3]int) {
	st := [3]int{1, dims[0], dims[0] * dims[1]}
	// Innermost: the volume axis that is the tensor's fastest.
	inner := 0
	for a := 0; a < 3; a++ {
		if tv.vstride[a] == 1 {
			inner = a
		}
	}
	o1, o2 := (inner+1)%3, (inner+2)%3
	n := region.Hi[inner] - region.Lo[inner]
	lines := (region.Hi[o1] - region.Lo[o1]) * (region.Hi[o2] - region.Lo[o2])
	if n <= 0 || lines <= 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), lines)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			acc := make([]float32, n)
			best := make([]float32, n)
			bc := make([]uint16, n)
			n1 := region.Hi[o1] - region.Lo[o1]
			for l := w; l < lines; l += workers {
				p := [3]int{}
				p[inner] = region.Lo[inner]
				p[o1] = region.Lo[o1] + l%n1
				p[o2] = region.Lo[o2] + l/n1
				t0 := 0
				dst := 0
				for a := 0; a < 3; a++ {
					t0 += (p[a] - tb.Lo[a]) * tv.vstride[a]
					dst += p[a] * st[a]
				}
				for k := 0; k < h.Classes; k++ {
					b := h.Bias[k]
					for v := range acc {
						acc[v] = b
					}
					wk := h.Weight[k*h.Channels : (k+1)*h.Channels]
					for c, wc := range wk {
						row := tv.data[t0+c*tv.plane : t0+c*tv.plane+n]
						for v, f := range row {
							acc[v] += wc * f
						}
					}
					if k == 0 {
						copy(best, acc)
						clear(bc)
						continue
					}
					for v, s := range acc {
						if s > best[v] {
							best[v], bc[v] = s, uint16(k)
						}
					}
				}
				for v, c := range bc {
					labels[dst+v*st[inner]] = c
				}
			}
		}(w)
	}
	wg.Wait()
}
