package inference

import (
	"context"
	"fmt"
	"math"
)

// slidingSteps is nnU-Net's compute_steps_for_sliding_window: the number
// of tiles per axis is ceil((size − patch) / (patch·step)) + 1, spread
// evenly from 0 to size − patch and rounded as numpy rounds (half to
// even). size must be at least patch (pad first).
func slidingSteps(size, patch int, step float64) []int {
	target := float64(patch) * step
	n := int(math.Ceil(float64(size-patch)/target)) + 1
	if n <= 1 {
		return []int{0}
	}
	actual := float64(size-patch) / float64(n-1)
	s := make([]int, n)
	for i := range s {
		s[i] = int(math.RoundToEven(actual * float64(i)))
	}
	return s
}

// gaussianMap is nnU-Net's importance map for a patch (tensor order):
// sigma = patch/8 per axis, centred at patch//2, peak 10; a flat map
// when gaussian is false.
func gaussianMap(patch [3]int, gaussian bool) []float32 {
	n := patch[0] * patch[1] * patch[2]
	g := make([]float32, n)
	if !gaussian {
		for i := range g {
			g[i] = 1
		}
		return g
	}
	var axes [3][]float64
	for a := 0; a < 3; a++ {
		axes[a] = make([]float64, patch[a])
		sigma := float64(patch[a]) / 8
		c := float64(patch[a] / 2)
		for x := range axes[a] {
			d := float64(x) - c
			axes[a][x] = math.Exp(-d * d / (2 * sigma * sigma))
		}
	}
	at := 0
	minNZ := float32(math.MaxFloat32)
	for t0 := 0; t0 < patch[0]; t0++ {
		for t1 := 0; t1 < patch[1]; t1++ {
			for t2 := 0; t2 < patch[2]; t2++ {
				v := float32(10 * axes[0][t0] * axes[1][t1] * axes[2][t2])
				g[at] = v
				if v > 0 {
					minNZ = min(minNZ, v)
				}
				at++
			}
		}
	}
	for i, v := range g {
		if v == 0 {
			g[i] = minNZ
		}
	}
	return g
}

// slidingPlan is a sliding-window run: the tiles (volume order, in the one
// order every block uses, so each voxel sums the same tiles in the same
// order however the volume is blocked) and the output blocks whose
// K-class accumulators are held one at a time.
type slidingPlan struct {
	patch  [3]int // volume order
	tiles  []box
	blocks []box
	runs   int // network passes (tiles × blocks they touch × mirrors)
}

func planSliding(dims, patch [3]int, step float64, nblocks [3]int, mirrors int) slidingPlan {
	p := slidingPlan{patch: patch}
	var steps [3][]int
	for a := 0; a < 3; a++ {
		steps[a] = slidingSteps(dims[a], patch[a], step)
	}
	for _, k := range steps[2] {
		for _, j := range steps[1] {
			for _, i := range steps[0] {
				p.tiles = append(p.tiles, box{Lo: [3]int{i, j, k}, Hi: [3]int{i + patch[0], j + patch[1], k + patch[2]}})
			}
		}
	}
	var cuts [3][]int
	for a := 0; a < 3; a++ {
		cuts[a] = blockCuts(dims[a], steps[a], nblocks[a])
	}
	for kb := 0; kb+1 < len(cuts[2]); kb++ {
		for jb := 0; jb+1 < len(cuts[1]); jb++ {
			for ib := 0; ib+1 < len(cuts[0]); ib++ {
				b := box{Lo: [3]int{cuts[0][ib], cuts[1][jb], cuts[2][kb]}, Hi: [3]int{cuts[0][ib+1], cuts[1][jb+1], cuts[2][kb+1]}}
				p.blocks = append(p.blocks, b)
				for _, t := range p.tiles {
					if _, ok := t.intersect(b); ok {
						p.runs += mirrors
					}
				}
			}
		}
	}
	return p
}

// blockCuts splits [0, size) into n blocks whose inner boundaries lie on
// tile starts, so that as few tiles as possible straddle two blocks.
func blockCuts(size int, starts []int, n int) []int {
	cuts := []int{0}
	if n > 1 {
		for b := 1; b < n; b++ {
			want := float64(size) * float64(b) / float64(n)
			best := -1
			for _, s := range starts {
				if s > cuts[len(cuts)-1] && (best < 0 || math.Abs(float64(s)-want) < math.Abs(float64(best)-want)) {
					best = s
				}
			}
			if best > 0 && best < size {
				cuts = append(cuts, best)
			}
		}
	}
	return append(cuts, size)
}

// mirrorSets lists the flips of test-time mirroring: the plain pass first,
// then every non-empty subset of axes (tensor axes).
func mirrorSets(axes []int) [][]int {
	sets := [][]int{nil}
	for m := 1; m < 1<<len(axes); m++ {
		var s []int
		for b, a := range axes {
			if m&(1<<b) != 0 {
				s = append(s, a)
			}
		}
		sets = append(sets, s)
	}
	return sets
}

// flipTensor reverses a [1, C, D, H, W] tensor along the given spatial
// axes (0 = D) into dst.
func flipTensor(src []float32, shape []int, axes []int, dst []float32) {
	c, d, h, w := shape[1], shape[2], shape[3], shape[4]
	var f [3]bool
	for _, a := range axes {
		f[a] = true
	}
	for ch := 0; ch < c; ch++ {
		for z := 0; z < d; z++ {
			sz := z
			if f[0] {
				sz = d - 1 - z
			}
			for y := 0; y < h; y++ {
				sy := y
				if f[1] {
					sy = h - 1 - y
				}
				so := ((ch*d+sz)*h + sy) * w
				do := ((ch*d+z)*h + y) * w
				if f[2] {
					for x := 0; x < w; x++ {
						dst[do+x] = src[so+w-1-x]
					}
				} else {
					copy(dst[do:do+w], src[so:so+w])
				}
			}
		}
	}
}

// runSliding runs nnU-Net's sliding window over v (already padded to at
// least one patch) and writes the argmax of the blended logits into
// labels. Accumulators exist for one block at a time.
func runSliding(ctx context.Context, net Net, v volume, ax Axes, classes int, p slidingPlan, gaussian bool, mirror []int, labels []uint16, progress func(done, total int)) error {
	tpatch := ax.ToTensor(p.patch)
	g := gaussianMap(tpatch, gaussian)
	sets := mirrorSets(mirror)
	plane := len(g)
	var inBuf, flipBuf, pred []float32
	if len(sets) > 1 {
		flipBuf = make([]float32, plane)
		pred = make([]float32, classes*plane)
	}
	maxBlock := 0
	for _, b := range p.blocks {
		maxBlock = max(maxBlock, b.voxels())
	}
	acc := make([]float32, classes*maxBlock)
	wsum := make([]float32, maxBlock)
	done := 0
	for _, bb := range p.blocks {
		bv := bb.voxels()
		clear(acc[:classes*bv])
		clear(wsum[:bv])
		bs := bb.size()
		bstride := [3]int{1, bs[0], bs[0] * bs[1]}
		for _, tb := range p.tiles {
			inter, ok := tb.intersect(bb)
			if !ok {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			in := tensorOf(v, tb, ax, inBuf)
			inBuf = in.Data
			add := func(tv tileView) {
				accumulate(tv, g, tb, inter, bb, bstride, acc[:classes*bv], wsum[:bv])
			}
			if len(sets) == 1 {
				err := net.Run(ctx, in, outShape(in, classes), func(out Tensor) error {
					tv, err := newTileView(out, tb, ax, classes)
					if err != nil {
						return err
					}
					add(tv)
					return nil
				})
				if err != nil {
					return err
				}
			} else {
				clear(pred)
				for _, s := range sets {
					x := in
					if len(s) > 0 {
						flipTensor(in.Data, in.Shape, s, flipBuf)
						x = Tensor{Shape: in.Shape, Data: flipBuf}
					}
					err := net.Run(ctx, x, outShape(x, classes), func(out Tensor) error {
						if len(out.Data) != len(pred) {
							return &ShapeError{Want: []int{1, classes, tpatch[0], tpatch[1], tpatch[2]}, Got: out.Shape}
						}
						if len(s) == 0 {
							for i, y := range out.Data {
								pred[i] += y
							}
							return nil
						}
						addFlipped(pred, out.Data, out.Shape, s)
						return nil
					})
					if err != nil {
						return err
					}
					done++
					if progress != nil {
						progress(done, p.runs)
					}
				}
				inv := 1 / float32(len(sets))
				for i := range pred {
					pred[i] *= inv
				}
				tv, err := newTileView(Tensor{Shape: []int{1, classes, tpatch[0], tpatch[1], tpatch[2]}, Data: pred}, tb, ax, classes)
				if err != nil {
					return err
				}
				add(tv)
				continue
			}
			done++
			if progress != nil {
				progress(done, p.runs)
			}
		}
		if err := blockArgmax(acc[:classes*bv], wsum[:bv], classes, bb, labels, v.dims); err != nil {
			return err
		}
	}
	return nil
}

// addFlipped adds a flipped output back in the unflipped frame.
func addFlipped(dst, src []float32, shape []int, axes []int) {
	c, d, h, w := shape[1], shape[2], shape[3], shape[4]
	var f [3]bool
	for _, a := range axes {
		f[a] = true
	}
	for ch := 0; ch < c; ch++ {
		for z := 0; z < d; z++ {
			sz := z
			if f[0] {
				sz = d - 1 - z
			}
			for y := 0; y < h; y++ {
				sy := y
				if f[1] {
					sy = h - 1 - y
				}
				so := ((ch*d+sz)*h + sy) * w
				do := ((ch*d+z)*h + y) * w
				for x := 0; x < w; x++ {
					sx := x
					if f[2] {
						sx = w - 1 - x
					}
					dst[do+x] += src[so+sx]
				}
			}
		}
	}
}

// accumulate adds a tile's logits × Gaussian over the part of the tile
// inside the block.
func accumulate(tv tileView, g []float32, tb, inter, bb box, bstride [3]int, acc, wsum []float32) {
	bv := len(wsum)
	for k := inter.Lo[2]; k < inter.Hi[2]; k++ {
		for j := inter.Lo[1]; j < inter.Hi[1]; j++ {
			to := (j-tb.Lo[1])*tv.vstride[1] + (k-tb.Lo[2])*tv.vstride[2]
			bo := (j-bb.Lo[1])*bstride[1] + (k-bb.Lo[2])*bstride[2]
			for i := inter.Lo[0]; i < inter.Hi[0]; i++ {
				t := to + (i-tb.Lo[0])*tv.vstride[0]
				o := bo + i - bb.Lo[0]
				w := g[t]
				wsum[o] += w
				for c := 0; c < tv.classes; c++ {
					acc[c*bv+o] += tv.data[t+c*tv.plane] * w
				}
			}
		}
	}
}

// blockArgmax divides by the summed weights (as nnU-Net does before its
// argmax) and writes the winning class of every block voxel.
func blockArgmax(acc, wsum []float32, classes int, bb box, labels []uint16, dims [3]int) error {
	bv := len(wsum)
	bs := bb.size()
	for o := 0; o < bv; o++ {
		w := wsum[o]
		if !(w > 0) {
			i, j, k := o%bs[0], (o/bs[0])%bs[1], o/(bs[0]*bs[1])
			return fmt.Errorf("internal error: voxel (%d,%d,%d) is covered by no tile", bb.Lo[0]+i, bb.Lo[1]+j, bb.Lo[2]+k)
		}
		best, bc := acc[o]/w, 0
		for c := 1; c < classes; c++ {
			if v := acc[c*bv+o] / w; v > best {
				best, bc = v, c
			}
		}
		i, j, k := o%bs[0], (o/bs[0])%bs[1], o/(bs[0]*bs[1])
		labels[(bb.Lo[0]+i)+dims[0]*((bb.Lo[1]+j)+dims[1]*(bb.Lo[2]+k))] = uint16(bc)
	}
	return nil
}
