package edit

import (
	"math"

	"delineate/viewer"
)

// SampleRange picks a threshold from the image under the cursor: the mean ±
// 2.5 standard deviations of the cube of half-size radiusVoxels around
// centre (clipped to the grid), clamped to [min − sd, max + sd] of the
// samples so a small noisy neighbourhood does not give a runaway range. A
// centre outside the grid gives the empty range {+Inf, -Inf}.
func SampleRange(img *viewer.Volume, centre [3]int, radiusVoxels int) Range {
	empty := Range{Lo: math.Inf(1), Hi: math.Inf(-1)}
	if img == nil {
		return empty
	}
	for a := 0; a < 3; a++ {
		if centre[a] < 0 || centre[a] >= img.Dims[a] {
			return empty
		}
	}
	r := max(radiusVoxels, 0)
	box := Box{}
	for a := 0; a < 3; a++ {
		box.Min[a], box.Max[a] = centre[a]-r, centre[a]+r+1
	}
	box = box.Clip(img.Dims)
	var n, sum, sum2 float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for k := box.Min[2]; k < box.Max[2]; k++ {
		for j := box.Min[1]; j < box.Max[1]; j++ {
			base := img.Index(0, j, k)
			for i := box.Min[0]; i < box.Max[0]; i++ {
				v := img.Data.At(base + i)
				n++
				sum += v
				sum2 += v * v
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	mean := sum / n
	sd := math.Sqrt(max(sum2/n-mean*mean, 0))
	return Range{Lo: max(mean-2.5*sd, lo-sd), Hi: min(mean+2.5*sd, hi+sd)}
}
