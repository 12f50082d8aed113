package edit

import (
	"errors"
	"fmt"
	"math"

	"delineate/viewer"
)

// GrowFromSeeds is "grow from seeds": every non-zero label inside roi is a
// seed class, and the classes compete to claim the unlabelled (0) voxels of
// roi. A voxel goes to the class that reaches it along the cheapest path of
// face neighbours, a step costing |ΔI| plus a small constant (1/1000 of the
// roi's intensity span), so classes spread through homogeneous regions and
// meet at edges (a multi-label Dijkstra, i.e. discrete geodesic Voronoi).
//
// Only voxels that are 0 are written: seeds and every other labelled voxel
// keep their labels. With intensity set, growth passes only through voxels
// whose intensity is in the range (seeds outside it still seed). Locked
// labels take part as classes — so they hold their ground against their
// neighbours — but the voxels they win stay 0. Nothing outside roi is read
// or written.
//
// It needs two seed classes, or one with an intensity range. Memory is
// about 10 bytes per roi voxel plus the frontier (an indexed binary heap,
// each voxel in it at most once).
func GrowFromSeeds(m *viewer.LabelMap, img *viewer.Volume, roi Box, intensity *Range) (*Change, error) {
	if img == nil {
		return nil, errors.New("grow from seeds needs an image")
	}
	if img.Dims != m.Dims {
		return nil, fmt.Errorf("image grid %v differs from label grid %v", img.Dims, m.Dims)
	}
	roi = roi.Clip(m.Dims)
	if roi.Empty() {
		return nil, errors.New("region of interest is empty")
	}
	d := boxDims(roi)
	n := roi.Size()
	if n > math.MaxInt32 {
		return nil, errors.New("region of interest too large")
	}
	val := roiValues(img, roi)

	cls := make([]uint16, n)
	h := growHeap{pos: make([]int32, n)}
	classes := map[uint16]bool{}
	lo, hi := math.Inf(1), math.Inf(-1)
	forBox(roi, func(i, j, k, at int) {
		x := float64(val[at])
		lo, hi = min(lo, x), max(hi, x)
		if l := m.At(m.Index(i, j, k)); l != 0 {
			cls[at] = uint16(l)
			classes[uint16(l)] = true
			h.pos[at] = growOutside
			h.push(0, int32(at))
			return
		}
		if intensity != nil && !intensity.Contains(x) {
			h.pos[at] = growDone // never entered
		} else {
			h.pos[at] = growOutside
		}
	})
	if len(classes) == 0 {
		return nil, errors.New("no seeds: paint at least two labels inside the region")
	}
	if len(classes) == 1 && intensity == nil {
		return nil, errors.New("one seed label: paint a second (e.g. background) or set an intensity range")
	}
	eps := float32(max((hi-lo)*1e-3, 1e-6))

	sx, sxy := d[0], d[0]*d[1]
	for len(h.items) > 0 {
		it := h.pop()
		v := int(it.v)
		c := cls[v]
		dv, iv := it.d, val[v]
		i, j, k := v%sx, (v/sx)%d[1], v/sxy
		relax := func(w int) {
			p := h.pos[w]
			if p == growDone {
				return
			}
			nd := dv + eps + float32(math.Abs(float64(val[w]-iv)))
			if p == growOutside {
				cls[w] = c
				h.push(nd, int32(w))
			} else if nd < h.items[p].d {
				cls[w] = c
				h.items[p].d = nd
				h.up(int(p))
			}
		}
		if i > 0 {
			relax(v - 1)
		}
		if i < d[0]-1 {
			relax(v + 1)
		}
		if j > 0 {
			relax(v - sx)
		}
		if j < d[1]-1 {
			relax(v + sx)
		}
		if k > 0 {
			relax(v - sxy)
		}
		if k < d[2]-1 {
			relax(v + sxy)
		}
	}

	locked := map[uint16]bool{}
	for l := range classes {
		locked[l] = labelLocked(m, int(l))
	}
	ch := Snapshot(m, "Grow from seeds", roi)
	forBox(roi, func(i, j, k, at int) {
		if c := cls[at]; c != 0 && !locked[c] {
			if x := m.Index(i, j, k); m.At(x) == 0 {
				m.Set(x, int(c))
			}
		}
	})
	return ch.Finish(m), nil
}

// roiValues copies the image's voxels inside roi (box order) as float32.
func roiValues(img *viewer.Volume, roi Box) []float32 {
	switch s := img.Data.Raw().(type) {
	case []uint8:
		return roiCopy(s, img.Geometry, roi)
	case []int8:
		return roiCopy(s, img.Geometry, roi)
	case []uint16:
		return roiCopy(s, img.Geometry, roi)
	case []int16:
		return roiCopy(s, img.Geometry, roi)
	case []uint32:
		return roiCopy(s, img.Geometry, roi)
	case []int32:
		return roiCopy(s, img.Geometry, roi)
	case []float32:
		return roiCopy(s, img.Geometry, roi)
	}
	out := make([]float32, roi.Size())
	forBox(roi, func(i, j, k, at int) { out[at] = float32(img.Value(i, j, k)) })
	return out
}

func roiCopy[T viewer.Number](s []T, g viewer.Geometry, roi Box) []float32 {
	out := make([]float32, roi.Size())
	w := roi.Max[0] - roi.Min[0]
	at := 0
	for k := roi.Min[2]; k < roi.Max[2]; k++ {
		for j := roi.Min[1]; j < roi.Max[1]; j++ {
			base := g.Index(roi.Min[0], j, k)
			for x, v := range s[base : base+w] {
				out[at+x] = float32(v)
			}
			at += w
		}
	}
	return out
}

// Heap positions for voxels not in the heap.
const (
	growOutside = -1 // not reached yet
	growDone    = -2 // settled, or barred by the intensity range
)

type growItem struct {
	d float32
	v int32
}

// growHeap is a binary min-heap of voxels keyed by path cost, indexed by
// pos so a voxel's cost can be lowered in place (no duplicate entries).
// It is hand-written rather than container/heap to avoid an interface call
// per comparison on millions of voxels.
type growHeap struct {
	items []growItem
	pos   []int32 // voxel → index in items, or growOutside / growDone
}

func (h *growHeap) push(d float32, v int32) {
	h.items = append(h.items, growItem{d, v})
	h.pos[v] = int32(len(h.items) - 1)
	h.up(len(h.items) - 1)
}

func (h *growHeap) pop() growItem {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.pos[h.items[0].v] = 0
	h.items = h.items[:last]
	h.pos[top.v] = growDone
	if last > 0 {
		h.down(0)
	}
	return top
}

func (h *growHeap) up(i int) {
	it := h.items[i]
	for i > 0 {
		p := (i - 1) / 2
		if h.items[p].d <= it.d {
			break
		}
		h.items[i] = h.items[p]
		h.pos[h.items[i].v] = int32(i)
		i = p
	}
	h.items[i] = it
	h.pos[it.v] = int32(i)
}

func (h *growHeap) down(i int) {
	n := len(h.items)
	it := h.items[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h.items[r].d < h.items[c].d {
			c = r
		}
		if h.items[c].d >= it.d {
			break
		}
		h.items[i] = h.items[c]
		h.pos[h.items[i].v] = int32(i)
		i = c
	}
	h.items[i] = it
	h.pos[it.v] = int32(i)
}
