package inference

import (
	"strconv"
	"strings"
)

// box is a voxel box in volume order, Lo inclusive, Hi exclusive.
type box struct{ Lo, Hi [3]int }

func (b box) size() [3]int {
	return [3]int{b.Hi[0] - b.Lo[0], b.Hi[1] - b.Lo[1], b.Hi[2] - b.Lo[2]}
}

func (b box) voxels() int {
	s := b.size()
	return s[0] * s[1] * s[2]
}

func (b box) intersect(o box) (box, bool) {
	var r box
	for a := 0; a < 3; a++ {
		r.Lo[a] = max(b.Lo[a], o.Lo[a])
		r.Hi[a] = min(b.Hi[a], o.Hi[a])
		if r.Hi[a] <= r.Lo[a] {
			return r, false
		}
	}
	return r, true
}

// volume is a float32 volume buffer, i fastest.
type volume struct {
	dims [3]int
	data []float32
}

func (v volume) stride() [3]int { return [3]int{1, v.dims[0], v.dims[0] * v.dims[1]} }

// tensorOf copies the box of v into a [1, 1, D, H, W] tensor whose spatial
// axes are the volume axes ax (ax[t] = volume axis of tensor axis t); buf
// is reused when large enough.
func tensorOf(v volume, b box, ax Axes, buf []float32) Tensor {
	vs := b.size()
	ts := ax.ToTensor(vs)
	n := ts[0] * ts[1] * ts[2]
	if cap(buf) < n {
		buf = make([]float32, n)
	}
	buf = buf[:n]
	st := v.stride()
	s0, s1, s2 := st[ax[0]], st[ax[1]], st[ax[2]]
	base := b.Lo[0] + st[1]*b.Lo[1] + st[2]*b.Lo[2]
	at := 0
	for t0 := 0; t0 < ts[0]; t0++ {
		for t1 := 0; t1 < ts[1]; t1++ {
			o := base + t0*s0 + t1*s1
			row := buf[at : at+ts[2]]
			if s2 == 1 {
				copy(row, v.data[o:o+ts[2]])
			} else {
				for t2 := range row {
					row[t2] = v.data[o+t2*s2]
				}
			}
			at += ts[2]
		}
	}
	return Tensor{Shape: []int{1, 1, ts[0], ts[1], ts[2]}, Data: buf}
}

// tileView addresses a network output [1, K, D, H, W] by volume position:
// offset(i, j, k) relative to the tile's box.
type tileView struct {
	data    []float32
	classes int
	plane   int    // voxels per class
	vstride [3]int // tensor offsets of one step along volume axes i, j, k
}

func newTileView(out Tensor, b box, ax Axes, classes int) (tileView, error) {
	ts := ax.ToTensor(b.size())
	want := []int{1, classes, ts[0], ts[1], ts[2]}
	if len(out.Shape) != 5 {
		return tileView{}, &ShapeError{Want: want, Got: out.Shape}
	}
	for i := range want {
		if out.Shape[i] != want[i] {
			return tileView{}, &ShapeError{Want: want, Got: out.Shape}
		}
	}
	tstride := [3]int{ts[1] * ts[2], ts[2], 1}
	var vs [3]int
	for t := 0; t < 3; t++ {
		vs[ax[t]] = tstride[t]
	}
	return tileView{data: out.Data, classes: classes, plane: ts[0] * ts[1] * ts[2], vstride: vs}, nil
}

// ShapeError is a network output of an unexpected shape.
type ShapeError struct{ Want, Got []int }

func (e *ShapeError) Error() string {
	return "network output has shape " + shapeString(e.Got) + ", expected " + shapeString(e.Want)
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// argmaxInto writes, for every voxel of region (inside the tile box tb),
// the index of the largest class (the first on ties, as numpy and torch
// do) into labels (dims of the whole volume).
func argmaxInto(tv tileView, tb, region box, labels []uint16, dims [3]int) {
	st := [3]int{1, dims[0], dims[0] * dims[1]}
	for k := region.Lo[2]; k < region.Hi[2]; k++ {
		for j := region.Lo[1]; j < region.Hi[1]; j++ {
			o := (j-tb.Lo[1])*tv.vstride[1] + (k-tb.Lo[2])*tv.vstride[2]
			dst := j*st[1] + k*st[2]
			for i := region.Lo[0]; i < region.Hi[0]; i++ {
				t := o + (i-tb.Lo[0])*tv.vstride[0]
				best, bc := tv.data[t], 0
				for c := 1; c < tv.classes; c++ {
					if v := tv.data[t+c*tv.plane]; v > best {
						best, bc = v, c
					}
				}
				labels[dst+i] = uint16(bc)
			}
		}
	}
}
