package inference

import (
	"context"
	"fmt"
	"math"

	"delineate/viewer"
)

// gridImage is the image on the network's grid, as float32 (i fastest).
type gridImage struct {
	Geom  viewer.Geometry
	Data  []float32
	Exact bool   // an exact re-indexing of the input: no interpolation
	Note  string // what was done, for the log and the report
}

// conform brings vol onto the grid the description asks for. An image
// that already is on that grid (up to the order of its axes) is only
// re-indexed, never interpolated: FreeSurfer's conform does the same for
// an image that is already conformed.
func conform(ctx context.Context, vol *viewer.Volume, c *Conform) (*gridImage, error) {
	src := vol
	note := "input grid"
	if c != nil && c.Orientation != "" {
		perm, flip, err := viewer.ReorientTo(vol.Geometry, c.Orientation)
		if err != nil {
			return nil, err
		}
		if perm != [3]int{0, 1, 2} || flip != [3]bool{} {
			src = viewer.Reorient(vol, perm, flip)
			note = fmt.Sprintf("re-indexed %s → %s", viewer.OrientationCode(vol.Geometry), viewer.OrientationCode(src.Geometry))
		}
	}
	g := src.Geometry
	if c == nil || (c.Spacing == nil && c.Dims == nil) {
		return &gridImage{Geom: g, Data: toFloat32(src), Exact: true, Note: note}, ctx.Err()
	}
	target := g
	if c.Spacing != nil {
		target.Spacing = viewer.Vec3{c.Spacing[0], c.Spacing[1], c.Spacing[2]}
	}
	for a := 0; a < 3; a++ {
		if c.Dims != nil {
			target.Dims[a] = c.Dims[a]
		} else {
			target.Dims[a] = max(1, int(math.Round(float64(g.Dims[a])*g.Spacing[a]/target.Spacing[a])))
		}
	}
	if c.Orientation != "" && c.Dims != nil {
		// A fixed grid (FreeSurfer's 256³) has exactly the named axes.
		target.Direction, _ = viewer.OrientationDirection(c.Orientation)
	}
	if sameGrid(g, target) {
		return &gridImage{Geom: g, Data: toFloat32(src), Exact: true, Note: note + ", already on the network's grid"}, ctx.Err()
	}
	// Centre the target on the image, as FreeSurfer and nnU-Net's
	// resampling do.
	centre := g.IndexToLPS(viewer.Vec3{float64(g.Dims[0]-1) / 2, float64(g.Dims[1]-1) / 2, float64(g.Dims[2]-1) / 2})
	target.Origin = centre
	for r := 0; r < 3; r++ {
		for a := 0; a < 3; a++ {
			target.Origin[r] -= target.Direction[r][a] * target.Spacing[a] * float64(target.Dims[a]-1) / 2
		}
	}
	n := target.NumVoxels()
	if n > 1<<31 {
		return nil, fmt.Errorf("the network's grid %v is too large", target.Dims)
	}
	out := make([]float32, n)
	viewer.SampleLinear(vol, target, 0, out)
	return &gridImage{Geom: target, Data: out, Note: fmt.Sprintf("resampled (trilinear) from %s %.3g×%.3g×%.3g mm %d×%d×%d to %s %.3g×%.3g×%.3g mm %d×%d×%d",
		viewer.OrientationCode(vol.Geometry), vol.Spacing[0], vol.Spacing[1], vol.Spacing[2], vol.Dims[0], vol.Dims[1], vol.Dims[2],
		viewer.OrientationCode(target), target.Spacing[0], target.Spacing[1], target.Spacing[2], target.Dims[0], target.Dims[1], target.Dims[2])}, ctx.Err()
}

// sameGrid is true when a and b are the same voxel grid within rounding
// (1 µm over the extent): re-indexing is then exact.
func sameGrid(a, b viewer.Geometry) bool {
	if a.Dims != b.Dims {
		return false
	}
	for i := 0; i < 3; i++ {
		if math.Abs(a.Spacing[i]-b.Spacing[i]) > 1e-4*a.Spacing[i] {
			return false
		}
		for r := 0; r < 3; r++ {
			if math.Abs(a.Direction[r][i]-b.Direction[r][i]) > 1e-4 {
				return false
			}
		}
	}
	return true
}

func toFloat32(v *viewer.Volume) []float32 {
	out := make([]float32, v.Data.Len())
	switch d := v.Data.(type) {
	case viewer.Voxels[float32]:
		copy(out, d)
	case viewer.Voxels[int16]:
		for i, x := range d {
			out[i] = float32(x)
		}
	case viewer.Voxels[uint8]:
		for i, x := range d {
			out[i] = float32(x)
		}
	case viewer.Voxels[uint16]:
		for i, x := range d {
			out[i] = float32(x)
		}
	default:
		for i := range out {
			out[i] = float32(v.Data.At(i))
		}
	}
	return out
}

// toInputGrid maps labels on the network's grid back to the image's grid
// by nearest neighbour at each image voxel's centre; voxels outside the
// network's grid get 0. For an exactly re-indexed grid this is the exact
// inverse permutation.
func toInputGrid(ctx context.Context, labels []uint16, mg viewer.Geometry, dst *viewer.LabelMap) error {
	a, b := viewer.IndexMap(dst.Geometry, mg)
	nx, ny, nz := dst.Dims[0], dst.Dims[1], dst.Dims[2]
	mx, my, mz := mg.Dims[0], mg.Dims[1], mg.Dims[2]
	for k := 0; k < nz; k++ {
		if k%8 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				p := [3]float64{float64(i), float64(j), float64(k)}
				var q [3]int
				inside := true
				for r := 0; r < 3; r++ {
					q[r] = int(math.Floor(a[r][0]*p[0] + a[r][1]*p[1] + a[r][2]*p[2] + b[r] + 0.5))
				}
				if q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= mx || q[1] >= my || q[2] >= mz {
					inside = false
				}
				if inside {
					dst.Set(dst.Index(i, j, k), int(labels[q[0]+mx*(q[1]+my*q[2])]))
				}
			}
		}
	}
	return nil
}
