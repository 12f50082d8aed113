package builtin

import "context"

// classes turns the flags into label ids (step 5 of SegmentCT), slice by
// slice.
func (s *seg[T]) classes(ctx context.Context) error {
	nxy := s.g.Dims[0] * s.g.Dims[1]
	return s.p.each(ctx, "tissue classes", 0.95, 1, s.g.Dims[2], func(_ *worker, k int) {
		out, src := s.out[k*nxy:(k+1)*nxy], s.src[k*nxy:(k+1)*nxy]
		for i, f := range out {
			out[i] = classOf(f, float32(src[i]))
		}
	})
}

func classOf(f uint8, v float32) uint8 {
	switch {
	case f&fBody == 0:
		return 0
	case f&fLung != 0:
		return TissueLungs
	case f&fAir != 0:
		return TissueAir
	case f&fBone != 0:
		return TissueBone
	case v < lowHU:
		// Every low-density body voxel belongs to a component that is
		// lung or air; this is only reached by values a float volume
		// could hold between passes (NaN never is: it is in no mask).
		return TissueAir
	case v < fatLowHU:
		return TissueBody
	case v < fatHighHU:
		return TissueFat
	}
	return TissueSoft
}
