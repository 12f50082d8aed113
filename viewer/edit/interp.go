package edit

import (
	"math"

	"delineate/viewer"
)

// InterpolateSlices fills the slices across axis (0, 1 or 2) where label is
// absent, between the first and last slices where it is present, by
// shape-based interpolation: each gap between two labelled slices gets the
// zero level set of the linear blend of the two slices' signed distance
// maps (in mm, respecting in-plane spacing). A disc of radius r1 and one of
// radius r2 so give discs of linearly varying radius between them (a cone).
// Only unlabelled (0) voxels are written, so other labels, locked or not,
// are kept. Nothing happens when label is locked.
func InterpolateSlices(m *viewer.LabelMap, label int, axis int) *Change {
	if label <= 0 || axis < 0 || axis > 2 || m.Locked(label) {
		return nil
	}
	lb := labelBounds(m, label)
	if lb.Empty() {
		return nil
	}
	u, v := (axis+1)%3, (axis+2)%3
	if u > v {
		u, v = v, u
	}
	// The in-plane box: every label voxel's (u, v), plus a voxel of margin
	// so the inside distances see the background beyond the label.
	plane := lb
	for _, a := range []int{u, v} {
		plane.Min[a] = max(plane.Min[a]-1, 0)
		plane.Max[a] = min(plane.Max[a]+1, m.Dims[a])
	}
	du, dv := plane.Max[u]-plane.Min[u], plane.Max[v]-plane.Min[v]
	d2 := [3]int{du, dv, 1}
	sp2 := viewer.Vec3{m.Spacing[u], m.Spacing[v], 1}
	half := (m.Spacing[u] + m.Spacing[v]) / 4

	// voxel returns the linear index of in-plane (p, q) on slice s.
	voxel := func(s, p, q int) int {
		var ijk [3]int
		ijk[axis], ijk[u], ijk[v] = s, plane.Min[u]+p, plane.Min[v]+q
		return m.Index(ijk[0], ijk[1], ijk[2])
	}
	present := func(s int) ([]bool, bool) {
		mask := make([]bool, du*dv)
		any := false
		for q := 0; q < dv; q++ {
			for p := 0; p < du; p++ {
				if m.At(voxel(s, p, q)) == label {
					mask[p+du*q] = true
					any = true
				}
			}
		}
		return mask, any
	}
	signed := func(mask []bool) []float32 {
		out := sqDistanceTo(mask, d2, sp2, true)
		in := sqDistanceTo(mask, d2, sp2, false)
		for i, inside := range mask {
			if inside {
				out[i] = -float32(math.Sqrt(float64(in[i])) - half)
			} else {
				out[i] = float32(math.Sqrt(float64(out[i])) - half)
			}
		}
		return out
	}

	box := lb
	box.Min[u], box.Max[u] = plane.Min[u], plane.Max[u]
	box.Min[v], box.Max[v] = plane.Min[v], plane.Max[v]
	var c *Change
	var prev []float32
	prevSlice := -1
	for s := lb.Min[axis]; s < lb.Max[axis]; s++ {
		mask, ok := present(s)
		if !ok {
			continue
		}
		if prevSlice >= 0 && s-prevSlice > 1 {
			if c == nil {
				c = Snapshot(m, "Fill between slices", box)
			}
			if prev == nil {
				prevMask, _ := present(prevSlice)
				prev = signed(prevMask)
			}
			next := signed(mask)
			for g := prevSlice + 1; g < s; g++ {
				t := float32(g-prevSlice) / float32(s-prevSlice)
				for q := 0; q < dv; q++ {
					for p := 0; p < du; p++ {
						at := p + du*q
						if (1-t)*prev[at]+t*next[at] <= 0 {
							if x := voxel(g, p, q); m.At(x) == 0 {
								m.Set(x, label)
							}
						}
					}
				}
			}
			prev = next
		} else {
			prev = nil
		}
		prevSlice = s
	}
	if c == nil {
		return nil
	}
	return c.Finish(m)
}
