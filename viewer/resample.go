package viewer

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
)

// orientationLetters are the LPS directions of the letters of an
// orientation code: the direction a voxel axis increases towards.
var orientationLetters = map[byte]Vec3{
	'L': {1, 0, 0}, 'R': {-1, 0, 0},
	'P': {0, 1, 0}, 'A': {0, -1, 0},
	'S': {0, 0, 1}, 'I': {0, 0, -1},
}

// OrientationDirection is the direction matrix of an orientation code such
// as "LIA" (FreeSurfer's conformed space: i → left, j → inferior,
// k → anterior) or "RAS": column a is the LPS unit vector axis a points to.
func OrientationDirection(code string) (Mat3, error) {
	code = strings.ToUpper(code)
	if len(code) != 3 {
		return Mat3{}, fmt.Errorf("orientation %q: want three letters from L/R, P/A, S/I", code)
	}
	var m Mat3
	var used [3]bool
	for a := 0; a < 3; a++ {
		v, ok := orientationLetters[code[a]]
		if !ok {
			return Mat3{}, fmt.Errorf("orientation %q: %q is not one of L R P A S I", code, code[a])
		}
		for r := 0; r < 3; r++ {
			if v[r] != 0 {
				if used[r] {
					return Mat3{}, fmt.Errorf("orientation %q names one patient axis twice", code)
				}
				used[r] = true
			}
			m[r][a] = v[r]
		}
	}
	return m, nil
}

// OrientationCode is the nearest orientation code of a geometry: for each
// voxel axis, the letter of the patient direction it is closest to.
func OrientationCode(g Geometry) string {
	b := make([]byte, 3)
	for a := 0; a < 3; a++ {
		col := g.Direction.Column(a)
		best, bl := -1.0, byte('?')
		for l, v := range orientationLetters {
			if d := col.Dot(v); d > best || (d == best && l < bl) {
				best, bl = d, l
			}
		}
		b[a] = bl
	}
	return string(b)
}

// ReorientTo is the permutation and flips (for Reorient) that bring g's
// axes closest to the orientation code: exact, no resampling; an oblique
// grid stays oblique by the same angle.
func ReorientTo(g Geometry, code string) (perm [3]int, flip [3]bool, err error) {
	want, err := OrientationDirection(code)
	if err != nil {
		return perm, flip, err
	}
	// Try all 48 axis orders and keep the best aligned one.
	best := math.Inf(-1)
	for _, p := range [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		for f := 0; f < 8; f++ {
			fl := [3]bool{f&1 != 0, f&2 != 0, f&4 != 0}
			score := 0.0
			for a := 0; a < 3; a++ {
				col := g.Direction.Column(p[a])
				if fl[a] {
					col = Vec3{-col[0], -col[1], -col[2]}
				}
				score += col.Dot(want.Column(a))
			}
			if score > best+1e-12 {
				best, perm, flip = score, p, fl
			}
		}
	}
	return perm, flip, nil
}

// SampleLinear fills dst (dst grid's voxel count, i fastest) with v
// sampled at the centres of dst's voxels by trilinear interpolation in
// patient space; points outside v get outside. Rows run in parallel.
func SampleLinear(v *Volume, dstGrid Geometry, outside float32, dst []float32) {
	src := v.Geometry
	// index_src = A · index_dst + b, an affine map between the grids.
	a, b := indexMap(dstGrid, src)
	nx, ny, nz := dstGrid.Dims[0], dstGrid.Dims[1], dstGrid.Dims[2]
	sx, sy, sz := src.Dims[0], src.Dims[1], src.Dims[2]
	at := v.Data.At
	var f32 []float32
	var i16 []int16
	switch d := v.Data.(type) {
	case Voxels[float32]:
		f32 = d
	case Voxels[int16]:
		i16 = d
	}
	val := func(i int) float32 {
		switch {
		case f32 != nil:
			return f32[i]
		case i16 != nil:
			return float32(i16[i])
		}
		return float32(at(i))
	}
	parallelRange(nz, func(k0, k1 int) {
		for k := k0; k < k1; k++ {
			for j := 0; j < ny; j++ {
				row := dst[(k*ny+j)*nx : (k*ny+j+1)*nx]
				for i := 0; i < nx; i++ {
					p := Vec3{float64(i), float64(j), float64(k)}
					var q Vec3
					for r := 0; r < 3; r++ {
						q[r] = a[r][0]*p[0] + a[r][1]*p[1] + a[r][2]*p[2] + b[r]
					}
					// Within half a voxel outside the grid the edge value
					// continues (as ITK's linear interpolator clamps).
					if q[0] < -0.5 || q[1] < -0.5 || q[2] < -0.5 || q[0] > float64(sx)-0.5 || q[1] > float64(sy)-0.5 || q[2] > float64(sz)-0.5 {
						row[i] = outside
						continue
					}
					x0, fx := split(q[0], sx)
					y0, fy := split(q[1], sy)
					z0, fz := split(q[2], sz)
					x1, y1, z1 := min(x0+1, sx-1), min(y0+1, sy-1), min(z0+1, sz-1)
					c := func(x, y, z int) float32 { return val(x + sx*(y+sy*z)) }
					c00 := c(x0, y0, z0)*(1-fx) + c(x1, y0, z0)*fx
					c10 := c(x0, y1, z0)*(1-fx) + c(x1, y1, z0)*fx
					c01 := c(x0, y0, z1)*(1-fx) + c(x1, y0, z1)*fx
					c11 := c(x0, y1, z1)*(1-fx) + c(x1, y1, z1)*fx
					c0 := c00*(1-fy) + c10*fy
					c1 := c01*(1-fy) + c11*fy
					row[i] = c0*(1-fz) + c1*fz
				}
			}
		}
	})
}

// split is the lower neighbour and weight of a continuous index, clamped
// to the grid.
func split(q float64, n int) (int, float32) {
	if q <= 0 {
		return 0, 0
	}
	if q >= float64(n-1) {
		return n - 1, 0
	}
	f := math.Floor(q)
	return int(f), float32(q - f)
}

// IndexMap is the affine map from dst's voxel indices to src's:
// index_src = A·index_dst + b.
func IndexMap(dst, src Geometry) (Mat3, Vec3) { return indexMap(dst, src) }

func indexMap(dst, src Geometry) (Mat3, Vec3) {
	inv, _ := scaledDirection(src).Inverse()
	m := scaledDirection(dst)
	var a Mat3
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			for k := 0; k < 3; k++ {
				a[r][c] += inv[r][k] * m[k][c]
			}
		}
	}
	d := Vec3{dst.Origin[0] - src.Origin[0], dst.Origin[1] - src.Origin[1], dst.Origin[2] - src.Origin[2]}
	var b Vec3
	for r := 0; r < 3; r++ {
		b[r] = inv[r][0]*d[0] + inv[r][1]*d[1] + inv[r][2]*d[2]
	}
	return a, b
}

// scaledDirection is Direction with each column scaled by its spacing.
func scaledDirection(g Geometry) Mat3 {
	var m Mat3
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			m[r][c] = g.Direction[r][c] * g.Spacing[c]
		}
	}
	return m
}

// parallelRange splits [0, n) into chunks run on all cores.
func parallelRange(n int, fn func(lo, hi int)) {
	w := min(runtime.NumCPU(), n)
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	wg.Wait()
}
