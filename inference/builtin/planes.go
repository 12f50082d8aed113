package builtin

import (
	"math"

	"delineate/viewer"
)

// planes describes the axial-ish planes of a grid: the volume axis a
// nearest the patient's superior–inferior axis, and the two others, u
// (the lower-numbered) and v, that span each plane. Everything 2D in this
// package (opening the body outline, filling holes, finding airways and
// marrow) works on these planes, because that is the plane in which the
// body outline is closed around the lungs and bowel and the cortex is
// closed around the marrow; a sagittal or coronal scan is handled the
// same, by its own axis.
type planes struct {
	a, u, v    int
	n, nu, nv  int // number of planes, plane width and height
	sa, su, sv int // strides of a, u, v in the voxel array
	du, dv     float64
	superior   int // the plane index at the superior end of the grid
	pixelMM2   float64
}

func axialPlanes(g viewer.Geometry) planes {
	// Direction's columns are the LPS directions of i, j, k; the third
	// row is their S component.
	a := 2
	for c := 0; c < 3; c++ {
		if math.Abs(g.Direction[2][c]) > math.Abs(g.Direction[2][a]) {
			a = c
		}
	}
	u, v := (a+1)%3, (a+2)%3
	if u > v {
		u, v = v, u
	}
	stride := [3]int{1, g.Dims[0], g.Dims[0] * g.Dims[1]}
	p := planes{a: a, u: u, v: v, n: g.Dims[a], nu: g.Dims[u], nv: g.Dims[v],
		sa: stride[a], su: stride[u], sv: stride[v], du: g.Spacing[u], dv: g.Spacing[v]}
	if g.Direction[2][a] < 0 {
		p.superior = 0
	} else {
		p.superior = p.n - 1
	}
	p.pixelMM2 = p.du * p.dv
	return p
}

// size is the number of pixels of a plane.
func (p planes) size() int { return p.nu * p.nv }

// gatherFlags copies plane k of the flag array into dst (row y = v, x = u
// fastest).
func gatherFlags(p planes, k int, src, dst []uint8) {
	if p.a == 2 {
		copy(dst[:p.size()], src[k*p.sa:])
		return
	}
	at := 0
	for y := 0; y < p.nv; y++ {
		idx := k*p.sa + y*p.sv
		for x := 0; x < p.nu; x++ {
			dst[at] = src[idx]
			idx += p.su
			at++
		}
	}
}

// gatherHU copies plane k of the voxels into dst as float32 HU (exact for
// every integer type a CT is stored in).
func gatherHU[T viewer.Number](p planes, k int, src []T, dst []float32) {
	at := 0
	for y := 0; y < p.nv; y++ {
		idx := k*p.sa + y*p.sv
		if p.su == 1 {
			for _, v := range src[idx : idx+p.nu] {
				dst[at] = float32(v)
				at++
			}
			continue
		}
		for x := 0; x < p.nu; x++ {
			dst[at] = float32(src[idx])
			idx += p.su
			at++
		}
	}
}

// scatter writes plane k of dst back from src.
func scatter(p planes, k int, src, dst []uint8) {
	if p.a == 2 {
		copy(dst[k*p.sa:k*p.sa+p.size()], src[:p.size()])
		return
	}
	at := 0
	for y := 0; y < p.nv; y++ {
		idx := k*p.sa + y*p.sv
		for x := 0; x < p.nu; x++ {
			dst[idx] = src[at]
			idx += p.su
			at++
		}
	}
}
