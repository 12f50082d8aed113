package view

import (
	"math"
	"testing"

	"delineate/viewer"
)

// patternVolume is a uint8 volume whose voxel (i,j,k) holds a hash of its
// index, so any misplaced voxel shows.
func patternVolume(t testing.TB, g viewer.Geometry) *viewer.Volume {
	t.Helper()
	v, err := viewer.NewVolume(g, viewer.Uint8)
	if err != nil {
		t.Fatal(err)
	}
	s := v.Data.Raw().([]uint8)
	for i := range s {
		s[i] = uint8((i*2654435761 + 12345) >> 7)
	}
	return v
}

// constVolume is a volume of type typ with every voxel set to val.
func constVolume(t testing.TB, g viewer.Geometry, typ viewer.DataType, val float64) *viewer.Volume {
	t.Helper()
	v, err := viewer.NewVolume(g, typ)
	if err != nil {
		t.Fatal(err)
	}
	switch s := v.Data.Raw().(type) {
	case []uint8:
		for i := range s {
			s[i] = uint8(val)
		}
	case []int16:
		for i := range s {
			s[i] = int16(val)
		}
	case []float32:
		for i := range s {
			s[i] = float32(val)
		}
	default:
		t.Fatalf("constVolume: type %v not handled", typ)
	}
	return v
}

func geom(dims [3]int, sp viewer.Vec3, dir viewer.Mat3) viewer.Geometry {
	return viewer.Geometry{Dims: dims, Spacing: sp, Direction: dir}
}

// Storage orders the tests run through: LPS identity, RAS-stored (as NIfTI
// from most tools), and FreeSurfer's LIA (a permuted T1: i → left,
// j → inferior, k → anterior).
var (
	dirLPS = viewer.Identity3
	dirRAS = viewer.Mat3{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}
	dirLIA = viewer.Mat3{{1, 0, 0}, {0, 0, -1}, {0, -1, 0}}
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
