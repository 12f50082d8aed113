package edit

import (
	"math"

	"delineate/viewer"
)

// FloodFill sets to label the region connected to seed (6-connected in 3D,
// 4-connected in the plane normal to axis in 2D) whose image intensity lies
// within ±tolerance of the seed's (inclusive) and whose labels the policy
// lets it change. Voxels already holding label belong to the region (they
// connect it) but are not changed. A seed the region does not admit changes
// nothing. It returns the change, or nil.
//
// The fill is iterative (an explicit stack, marking voxels as they are
// pushed); memory is a visited bitmap (one bit per voxel of the volume, or of
// the slice in 2D) plus the stack, at most the region's size. The region is
// found first, then written and recorded in one pass over its box.
func FloodFill(m *viewer.LabelMap, img *viewer.Volume, seed [3]int, label int, tolerance float64, threeD bool, axis int, p Policy) *Change {
	if img == nil || img.Dims != m.Dims || !(tolerance >= 0) {
		return nil
	}
	for a := 0; a < 3; a++ {
		if seed[a] < 0 || seed[a] >= m.Dims[a] {
			return nil
		}
	}
	if !threeD && (axis < 0 || axis > 2) {
		return nil
	}
	g, ok := newGate(m, img, label, p)
	if !ok {
		return nil
	}
	v0 := img.Value(seed[0], seed[1], seed[2])
	r := Range{Lo: v0 - tolerance, Hi: v0 + tolerance}
	if g.thr != nil {
		r.Lo, r.Hi = max(r.Lo, g.thr.Lo), min(r.Hi, g.thr.Hi)
	}
	if math.IsNaN(v0) || !r.Contains(v0) {
		return nil
	}
	f := filler{dims: m.Dims, stride: [3]int{1, m.Dims[0], m.Dims[0] * m.Dims[1]}}
	if threeD {
		f.axes = []int{0, 1, 2}
		f.lstride = f.stride
		f.bits = make([]uint64, (m.NumVoxels()+63)/64)
	} else {
		u, v := (axis+1)%3, (axis+2)%3
		u, v = min(u, v), max(u, v)
		f.axes = []int{u, v}
		f.lstride[u], f.lstride[v] = 1, m.Dims[u]
		f.bits = make([]uint64, (m.Dims[u]*m.Dims[v]+63)/64)
	}
	switch d := m.Data.(type) {
	case viewer.Voxels[uint8]:
		return fillImage([]uint8(d), m, img, &f, seed, label, r, &g)
	case viewer.Voxels[uint16]:
		return fillImage([]uint16(d), m, img, &f, seed, label, r, &g)
	}
	return nil
}

// filler is one flood fill's grid bookkeeping. lstride maps a voxel's
// coordinates to its bit in the visited map (zero along the normal axis in
// 2D).
type filler struct {
	dims, stride, lstride [3]int
	axes                  []int
	bits                  []uint64
	box                   Box // voxels that change
	n                     int // how many
}

func (f *filler) seen(loc int) bool { return f.bits[loc>>6]&(1<<(loc&63)) != 0 }
func (f *filler) mark(loc int)      { f.bits[loc>>6] |= 1 << (loc & 63) }

func fillImage[L uint8 | uint16](lab []L, m *viewer.LabelMap, img *viewer.Volume, f *filler, seed [3]int, label int, r Range, g *gate) *Change {
	switch d := img.Data.Raw().(type) {
	case []uint8:
		return fillTyped(d, lab, m, f, seed, label, r, g)
	case []int8:
		return fillTyped(d, lab, m, f, seed, label, r, g)
	case []uint16:
		return fillTyped(d, lab, m, f, seed, label, r, g)
	case []int16:
		return fillTyped(d, lab, m, f, seed, label, r, g)
	case []uint32:
		return fillTyped(d, lab, m, f, seed, label, r, g)
	case []int32:
		return fillTyped(d, lab, m, f, seed, label, r, g)
	case []float32:
		return fillTyped(d, lab, m, f, seed, label, r, g)
	}
	return nil
}

func fillTyped[T viewer.Number, L uint8 | uint16](im []T, lab []L, m *viewer.LabelMap, f *filler, seed [3]int, label int, r Range, g *gate) *Change {
	lv := L(label)
	allow := g.allow
	admits := func(i int) bool {
		v := lab[i]
		if v != lv && !allow[v] {
			return false
		}
		x := float64(im[i])
		return x >= r.Lo && x <= r.Hi
	}
	nx, ny := f.dims[0], f.dims[1]
	f.box = Box{Min: f.dims}
	visit := func(i int, c [3]int) {
		if lab[i] == lv {
			return
		}
		f.n++
		for a := 0; a < 3; a++ {
			f.box.Min[a] = min(f.box.Min[a], c[a])
			f.box.Max[a] = max(f.box.Max[a], c[a]+1)
		}
	}
	s0 := m.Index(seed[0], seed[1], seed[2])
	if !admits(s0) {
		return nil
	}
	f.mark(seed[0]*f.lstride[0] + seed[1]*f.lstride[1] + seed[2]*f.lstride[2])
	visit(s0, seed)
	stack := make([]int, 1, 4096)
	stack[0] = s0
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		q := i / nx
		c := [3]int{i - q*nx, q % ny, q / ny}
		loc := c[0]*f.lstride[0] + c[1]*f.lstride[1] + c[2]*f.lstride[2]
		for _, a := range f.axes {
			st, ls := f.stride[a], f.lstride[a]
			if c[a] > 0 && !f.seen(loc-ls) && admits(i-st) {
				f.mark(loc - ls)
				stack = append(stack, i-st)
				c[a]--
				visit(i-st, c)
				c[a]++
			}
			if c[a] < f.dims[a]-1 && !f.seen(loc+ls) && admits(i+st) {
				f.mark(loc + ls)
				stack = append(stack, i+st)
				c[a]++
				visit(i+st, c)
				c[a]--
			}
		}
	}
	if f.n == 0 {
		return nil
	}
	// Record and write in one pass over the box of changing voxels.
	b := f.box
	ch := &Change{Name: "Flood fill", Box: b, Before: make([]uint16, b.Size()), After: make([]uint16, b.Size())}
	w := b.Max[0] - b.Min[0]
	at := 0
	for k := b.Min[2]; k < b.Max[2]; k++ {
		for j := b.Min[1]; j < b.Max[1]; j++ {
			base := m.Index(b.Min[0], j, k)
			loc := b.Min[0]*f.lstride[0] + j*f.lstride[1] + k*f.lstride[2]
			row := lab[base : base+w]
			before, after := ch.Before[at:at+w], ch.After[at:at+w]
			for x, v := range row {
				before[x] = uint16(v)
				if v != lv && f.seen(loc+x*f.lstride[0]) {
					row[x] = lv
					v = lv
				}
				after[x] = uint16(v)
			}
			at += w
		}
	}
	return ch
}
