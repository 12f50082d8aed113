package viewer

import "testing"

func TestAcquisitionPlane(t *testing.T) {
	cases := []struct {
		dir  Mat3
		want Plane
	}{
		{Identity3, Axial},
		{Mat3{{1, 0, 0}, {0, 0, -1}, {0, 1, 0}}, Coronal},  // k along −y
		{Mat3{{0, 0, -1}, {1, 0, 0}, {0, 1, 0}}, Sagittal}, // k along −x
		{Mat3{{1, 0, 0}, {0, 0.94, 0.34}, {0, -0.34, 0.94}}, Axial},
	}
	for _, c := range cases {
		if got := AcquisitionPlane(Geometry{Direction: c.dir}); got != c.want {
			t.Errorf("direction %v: %v, want %v", c.dir, got, c.want)
		}
	}
}
