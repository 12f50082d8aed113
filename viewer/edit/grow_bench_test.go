package edit

import (
	"testing"

	"delineate/viewer"
)

// BenchmarkGrowFromSeeds grows two seed strokes over a whole 256×256×100
// image (6.5 M voxels).
func BenchmarkGrowFromSeeds(b *testing.B) {
	img, _ := twoRegions(b, benchDims)
	m := toolMap(b, benchDims, viewer.Vec3{1, 1, 1})
	seedStrokes(m)
	orig := toolAll(m)
	benchLoop(b, m, orig, func() *Change {
		c, err := GrowFromSeeds(m, img, Box{Max: benchDims}, nil)
		if err != nil {
			b.Fatal(err)
		}
		return c
	})
}
