package viewer

import "math"

// AcquisitionPlane is the plane the volume's slices were acquired in: the
// one whose normal is nearest the k (slice) axis. Previews show this plane,
// since a one-slice volume has nothing to show in the others.
func AcquisitionPlane(g Geometry) Plane {
	n := g.Direction.Column(2)
	ax, ay, az := math.Abs(n[0]), math.Abs(n[1]), math.Abs(n[2])
	switch {
	case ax >= ay && ax >= az:
		return Sagittal
	case ay >= az:
		return Coronal
	}
	return Axial
}
