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
// whose intensity is in the range (seeds outside it still seed); it never
// passes through NaN voxels. Locked labels take part as classes — so they
// hold their ground against their neighbours — but the voxels they win
// stay 0. Nothing outside roi is read or written.
//
// It needs two seed classes, or one with an intensity range. Memory is
// bounded: about 14 bytes per roi voxel (intensity, heap index, class, undo
// snapshot) plus 8 per frontier voxel (an indexed binary heap with
// decrease-key, so each voxel is in it at most once).
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
	// Intensity and heap position side by side: the search is bound by
	// cache misses, and this halves them.
	h := growHeap{node: make([]growNode, n)}
	for at, v := range roiValues(img, roi) {
		h.node[at].val = v
	}
	cls := make([]uint16, n)
	seen := make([]bool, viewer.MaxLabelID+1)
	classes := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	forBox(roi, func(i, j, k, at int) {
		x := float64(h.node[at].val)
		nan := math.IsNaN(x)
		if !nan {
			lo, hi = min(lo, x), max(hi, x)
		}
		if l := m.At(m.Index(i, j, k)); l != 0 {
			cls[at] = uint16(l)
			if !seen[l] {
				seen[l] = true
				classes++
			}
			h.node[at].pos = growOutside
			h.push(0, int32(at))
			return
		}
		if nan || intensity != nil && !intensity.Contains(x) {
			h.node[at].pos = growDone // never entered
		} else {
			h.node[at].pos = growOutside
		}
	})
	if classes == 0 {
		return nil, errors.New("no seeds: paint at least two labels inside the region")
	}
	if classes == 1 && intensity == nil {
		return nil, errors.New("one seed label: paint a second (e.g. background) or set an intensity range")
	}
	eps := float32(1e-6)
	if hi > lo {
		eps = float32(max((hi-lo)*1e-3, 1e-6))
	}

	sx, sxy := d[0], d[0]*d[1]
	step := [6]int{-1, 1, -sx, sx, -sxy, sxy}
	for len(h.items) > 0 {
		it := h.pop()
		v := int(it.v)
		c := cls[v]
		base, iv := it.d+eps, h.node[v].val
		i, j, k := v%sx, (v/sx)%d[1], v/sxy
		inside := [6]bool{i > 0, i < d[0]-1, j > 0, j < d[1]-1, k > 0, k < d[2]-1}
		for n, s := range step {
			if !inside[n] {
				continue
			}
			w := v + s
			nw := h.node[w]
			p := nw.pos
			if p == growDone {
				continue
			}
			diff := nw.val - iv
			if diff < 0 {
				diff = -diff
			} else if diff != diff {
				diff = 0 // a seed on a NaN voxel
			}
			nd := base + diff
			if p == growOutside {
				cls[w] = c
				h.push(nd, int32(w))
			} else if nd < h.items[p].d {
				cls[w] = c
				h.items[p].d = nd
				h.up(int(p))
			}
		}
	}

	locked := make([]bool, viewer.MaxLabelID+1)
	for _, l := range m.Table.Labels {
		locked[l.ID] = l.Locked
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
	node  []growNode // per voxel
}

// growNode is a voxel's intensity and its index in the heap's items, or
// growOutside / growDone.
type growNode struct {
	val float32
	pos int32
}

func (h *growHeap) push(d float32, v int32) {
	h.items = append(h.items, growItem{d, v})
	h.node[v].pos = int32(len(h.items) - 1)
	h.up(len(h.items) - 1)
}

func (h *growHeap) pop() growItem {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.node[h.items[0].v].pos = 0
	h.items = h.items[:last]
	h.node[top.v].pos = growDone
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
		h.node[h.items[i].v].pos = int32(i)
		i = p
	}
	h.items[i] = it
	h.node[it.v].pos = int32(i)
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
		h.node[h.items[i].v].pos = int32(i)
		i = c
	}
	h.items[i] = it
	h.node[it.v].pos = int32(i)
}
