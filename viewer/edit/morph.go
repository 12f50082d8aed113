package edit

import (
	"math"

	"delineate/viewer"
)

// SmoothMethod selects how Smooth treats a label.
type SmoothMethod int

const (
	// Median keeps a voxel in the label when more than half of the box
	// kernel around it (radius radiusMM, rounded to voxels per axis) is in
	// the label: it removes salt noise and fills pepper holes.
	Median SmoothMethod = iota
	// Opening is erosion then dilation by a ball of radius radiusMM: it
	// removes spurs and bridges thinner than the ball.
	Opening
	// Closing is dilation then erosion by a ball of radius radiusMM: it
	// fills cracks and dents narrower than the ball.
	Closing
)

// String names the method.
func (s SmoothMethod) String() string {
	switch s {
	case Median:
		return "Median"
	case Opening:
		return "Opening"
	case Closing:
		return "Closing"
	}
	return "SmoothMethod?"
}

// Smooth smooths one label. The ball (Opening, Closing) is exact in
// millimetres, respecting anisotropic spacing: a voxel is within it when
// its centre is within radiusMM of the centre; it is computed with exact
// Euclidean distance transforms, so cost does not grow with the radius.
// Median uses a box kernel of round(radiusMM/spacing) voxels each side per
// axis (at least 1 where radiusMM > 0).
//
// Voxels leaving the label become 0; voxels joining it are taken only from
// unlabelled (0) voxels, so other labels are never overwritten. Nothing
// happens when label is locked. Outside the volume counts as neither label
// nor background: the label is not eroded from the volume's edge.
func Smooth(m *viewer.LabelMap, label int, method SmoothMethod, radiusMM float64) *Change {
	if label <= 0 || !(radiusMM > 0) || m.Locked(label) {
		return nil
	}
	lb := labelBounds(m, label)
	if lb.Empty() {
		return nil
	}
	var r [3]int
	for a := 0; a < 3; a++ {
		r[a] = int(math.Ceil(radiusMM / m.Spacing[a]))
	}
	// Work on the label's box grown by the radius (plus one voxel of
	// background so that erosion after dilation sees the dilated border).
	box := lb
	for a := 0; a < 3; a++ {
		box.Min[a] -= r[a] + 1
		box.Max[a] += r[a] + 1
	}
	box = box.Clip(m.Dims)
	d := boxDims(box)
	in := boxMask(m, box, label)
	var out []bool
	switch method {
	case Median:
		var k [3]int
		for a := 0; a < 3; a++ {
			k[a] = max(1, int(math.Round(radiusMM/m.Spacing[a])))
		}
		out = majority(in, box, m.Dims, k)
	case Opening:
		out = dilate(erode(in, d, m.Spacing, radiusMM), d, m.Spacing, radiusMM)
	case Closing:
		out = erode(dilate(in, d, m.Spacing, radiusMM), d, m.Spacing, radiusMM)
	default:
		return nil
	}
	c := Snapshot(m, "Smooth ("+method.String()+")", box)
	forBox(box, func(i, j, k, at int) {
		if in[at] == out[at] {
			return
		}
		x := m.Index(i, j, k)
		if !out[at] {
			m.Set(x, 0)
		} else if m.At(x) == 0 {
			m.Set(x, label)
		}
	})
	return c.Finish(m)
}

// dilate returns the voxels within radius mm of a true voxel of mask.
func dilate(mask []bool, d [3]int, sp viewer.Vec3, radius float64) []bool {
	dist := sqDistanceTo(mask, d, sp, true)
	r2 := float32(radius*radius) * (1 + 1e-6)
	out := make([]bool, len(mask))
	for i, v := range dist {
		out[i] = v <= r2
	}
	return out
}

// erode returns the true voxels of mask farther than radius mm from every
// false voxel.
func erode(mask []bool, d [3]int, sp viewer.Vec3, radius float64) []bool {
	dist := sqDistanceTo(mask, d, sp, false)
	r2 := float32(radius*radius) * (1 + 1e-6)
	out := make([]bool, len(mask))
	for i, v := range dist {
		out[i] = v > r2
	}
	return out
}

// edtFar stands for "no feature in reach": large but finite, so the
// parabola intersections stay finite.
const edtFar = 1e20

// sqDistanceTo returns, for each voxel, the squared distance in mm² to the
// nearest voxel whose mask value is want (0 at such voxels, edtFar when
// there is none), by the Felzenszwalb–Huttenlocher separable transform.
func sqDistanceTo(mask []bool, d [3]int, sp viewer.Vec3, want bool) []float32 {
	f := make([]float32, len(mask))
	for i, v := range mask {
		if v == want {
			f[i] = 0
		} else {
			f[i] = edtFar
		}
	}
	edtPasses(f, d, sp)
	return f
}

// edtPasses runs the 1D squared-distance transform along each axis of f
// in place (a grid of dims d with spacing sp); axes of length 1 are skipped.
func edtPasses(f []float32, d [3]int, sp viewer.Vec3) {
	n := max(d[0], d[1], d[2])
	line := make([]float64, n)
	out := make([]float64, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	stride := [3]int{1, d[0], d[0] * d[1]}
	for a := 0; a < 3; a++ {
		if d[a] < 2 {
			continue
		}
		// The other two axes enumerate the lines.
		b, c := (a+1)%3, (a+2)%3
		for y := 0; y < d[c]; y++ {
			for x := 0; x < d[b]; x++ {
				base := x*stride[b] + y*stride[c]
				empty := true
				for p := 0; p < d[a]; p++ {
					line[p] = float64(f[base+p*stride[a]])
					if line[p] < edtFar {
						empty = false
					}
				}
				if empty {
					continue
				}
				edt1D(line[:d[a]], out, v, z, sp[a])
				for p := 0; p < d[a]; p++ {
					f[base+p*stride[a]] = float32(out[p])
				}
			}
		}
	}
}

// edt1D computes out[p] = min_q f[q] + (h·(p−q))² (the lower envelope of
// parabolas), with scratch v (len ≥ n) and z (len ≥ n+1).
func edt1D(f, out []float64, v []int, z []float64, h float64) {
	n := len(f)
	h2 := h * h
	k := 0
	v[0] = 0
	z[0] = math.Inf(-1)
	z[1] = math.Inf(1)
	for q := 1; q < n; q++ {
		var s float64
		for {
			p := v[k]
			s = ((f[q] + h2*float64(q*q)) - (f[p] + h2*float64(p*p))) / (2 * h2 * float64(q-p))
			if s > z[k] {
				break
			}
			k-- // z[0] is -Inf, so this stops at k = 0
		}
		k++
		v[k] = q
		z[k] = s
		z[k+1] = math.Inf(1)
	}
	k = 0
	for q := 0; q < n; q++ {
		for z[k+1] < float64(q) {
			k++
		}
		dq := float64(q - v[k])
		out[q] = h2*dq*dq + f[v[k]]
	}
}

// majority reports, for each voxel of box (a sub-box of a grid of dims
// full), whether more than half of the kernel of half-widths k around it,
// clipped to the grid, is true in mask (mask is false outside box). Kernel
// counts are separable running sums along each axis.
func majority(mask []bool, box Box, full [3]int, k [3]int) []bool {
	d := boxDims(box)
	cnt := make([]int32, len(mask))
	for i, v := range mask {
		if v {
			cnt[i] = 1
		}
	}
	stride := [3]int{1, d[0], d[0] * d[1]}
	n := max(d[0], d[1], d[2])
	buf := make([]int32, n)
	for a := 0; a < 3; a++ {
		b, c := (a+1)%3, (a+2)%3
		for y := 0; y < d[c]; y++ {
			for x := 0; x < d[b]; x++ {
				boxSum1D(cnt, x*stride[b]+y*stride[c], stride[a], d[a], k[a], buf)
			}
		}
	}
	// How many grid voxels each kernel holds, per axis.
	var span [3][]int32
	for a := 0; a < 3; a++ {
		span[a] = make([]int32, d[a])
		for p := range span[a] {
			g := box.Min[a] + p
			span[a][p] = int32(min(g+k[a], full[a]-1) - max(g-k[a], 0) + 1)
		}
	}
	out := make([]bool, len(mask))
	forBox(Box{Max: d}, func(i, j, kk, at int) {
		out[at] = 2*cnt[at] > span[0][i]*span[1][j]*span[2][kk]
	})
	return out
}

// boxSum1D replaces the n values of s at base+p*stride by their sums over
// the window p-k..p+k (clipped), using buf as scratch.
func boxSum1D(s []int32, base, stride, n, k int, buf []int32) {
	for p := 0; p < n; p++ {
		buf[p] = s[base+p*stride]
	}
	var sum int32
	for p := 0; p < min(k, n); p++ {
		sum += buf[p]
	}
	for p := 0; p < n; p++ {
		if q := p + k; q < n {
			sum += buf[q]
		}
		if q := p - k - 1; q >= 0 {
			sum -= buf[q]
		}
		s[base+p*stride] = sum
	}
}
