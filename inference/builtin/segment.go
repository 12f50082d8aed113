package builtin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"

	"delineate/viewer"
)

// SegmentCT labels a CT volume (voxel values in HU). progress(stage,
// fraction) is called with a short stage name and 0..1 overall fraction,
// often enough that a UI's progress bar moves and at most every few ms; it
// must check ctx often (between slices or chunks) so cancel takes effect
// within well under a second and returns ctx.Err() unwrapped-compatible
// (errors.Is(err, context.Canceled)). The result is a new uint8 LabelMap on
// exactly vol.Geometry, Table = CTTissueTable(). It must not modify vol.
//
// The method, in the order it runs (the numbers are in params.go, each
// with its reason):
//
//  1. Body. Voxels above −500 HU (half-way between air and water, so the
//     outline falls where partial volume puts the skin) are opened in each
//     axial plane by a 3 mm disc, which cuts the scanner table, blankets and
//     cables off the patient without moving the skin line. Of the 3D
//     connected components left, the largest is the patient; any other at
//     least 5% of its size (an arm beside the trunk) and 5 mL stays too.
//     Each axial plane's holes are then filled, so lungs, bowel gas and
//     airway are inside the body.
//  2. Air and lungs. Voxels of the body below −400 HU (half-way between
//     lung and soft tissue) form 3D components. One that touches the air
//     outside the body over at least 0.2% of its voxels is outside air that
//     an axial plane happened to enclose (under an arm, in the navel) and
//     leaves the body. A lung is a component of at least 50 mL whose median
//     is above −950 HU — parenchyma is −700..−900 where gas in bowel or
//     stomach is −1000, so even a large gastric bubble is not lung — or,
//     where the superior edge of the field cuts it (the lung bases of an
//     abdominal scan), of at least 5 mL with a median above −900. Every
//     other component is air inside the body.
//  3. Lung planes. In each axial plane, a piece of lung smaller than 8 cm²
//     and mostly below −950 HU is airway lumen (trachea, main bronchi) and
//     becomes air; then the plane's holes in the lungs (vessels, nodules,
//     bronchial walls) become lung, as lung atlases count them.
//  4. Bone. A hysteresis on HU: 3D components of the body (outside lungs
//     and air) above 120 HU that hold at least 0.1 mL and a voxel of 300 HU
//     or more. Before it, intermediate voxels (120–300 HU) that cannot be
//     bone are set aside: those in a region thick enough to hold a 7 mm
//     disc in its plane (a blood pool: the aorta and the heart on a contrast
//     scan) and those more than 15 mm from any 300 HU voxel (an enhanced
//     organ that merely touches a bone). Then, in each axial plane, the bone
//     is closed by a 4.5 mm disc (at least one pixel), its holes smaller
//     than 40 cm² whose median is at least 40 HU become bone (marrow, darker
//     than 120 HU in older patients and at coarse resolution; the spinal
//     canal, CSF and cord at 0–40 HU, stays out), and where the edge is a
//     step up to a resolved cortex (500 HU or more) a boundary pixel below
//     half-way up the step is given back to the soft tissue.
//  5. Classes. Inside the body and outside lungs, air and bone, HU decides:
//     −190..−30 fat, −29 and above soft tissue (muscle, organs, blood,
//     fluid, enhanced vessels), and what is left (−400..−190: the partial
//     volume at the boundaries of air and lung) is TissueBody.
//
// Intermediate masks live as bit flags in the output array itself and as
// run-length sets (runs.go), so the memory beyond the input and the result
// is the per-worker plane buffers, the runs and a bitset of an eighth of a
// byte per voxel: under a byte per voxel in all.
func SegmentCT(ctx context.Context, vol *viewer.Volume, progress func(stage string, fraction float64)) (*viewer.LabelMap, error) {
	return segmentCT(ctx, vol, progress, runtime.NumCPU())
}

// segmentCT is SegmentCT on a given number of workers (the tests check that
// the result does not depend on it).
func segmentCT(ctx context.Context, vol *viewer.Volume, progress func(string, float64), workers int) (*viewer.LabelMap, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if vol == nil || vol.Data == nil || vol.Data.Len() == 0 {
		return nil, errors.New("built-in CT segmenter: no image to segment")
	}
	if err := vol.Geometry.Validate(); err != nil {
		return nil, fmt.Errorf("built-in CT segmenter: %w", err)
	}
	if vol.Data.Len() != vol.NumVoxels() {
		return nil, fmt.Errorf("built-in CT segmenter: %d voxels for a %v grid", vol.Data.Len(), vol.Dims)
	}
	if m := strings.ToUpper(strings.TrimSpace(vol.Modality)); m != "" && m != "CT" {
		return nil, fmt.Errorf("built-in CT segmenter needs a CT; this volume's modality is %s", m)
	}
	rep := &reporter{fn: progress}
	var lm *viewer.LabelMap
	var err error
	switch s := vol.Data.Raw().(type) {
	case []int16:
		lm, err = run(ctx, vol, s, rep, workers)
	case []int32:
		lm, err = run(ctx, vol, s, rep, workers)
	case []float32:
		lm, err = run(ctx, vol, s, rep, workers)
	case []uint8:
		lm, err = run(ctx, vol, s, rep, workers)
	case []int8:
		lm, err = run(ctx, vol, s, rep, workers)
	case []uint16:
		lm, err = run(ctx, vol, s, rep, workers)
	case []uint32:
		lm, err = run(ctx, vol, s, rep, workers)
	default:
		return nil, fmt.Errorf("built-in CT segmenter: unsupported voxel type %v", vol.Data.Type())
	}
	if err != nil {
		return nil, err
	}
	rep.done()
	return lm, nil
}

// Flag bits of the output array while the segmenter runs; the last pass
// turns them into label ids.
const (
	fCand uint8 = 1 << iota // scratch: the opened body threshold, then voxels that cannot be bone
	fBody
	fLung
	fAir
	fBone
)

// seg is one run: the input, the output and the planes.
type seg[T viewer.Number] struct {
	src     []T
	g       viewer.Geometry
	out     []uint8
	pl      planes
	p       *pool
	voxelML float64
}

func run[T viewer.Number](ctx context.Context, vol *viewer.Volume, src []T, rep *reporter, workers int) (*viewer.LabelMap, error) {
	lm, err := viewer.NewLabelMap(vol.Geometry, TissueAir)
	if err != nil {
		return nil, err
	}
	lm.Table = CTTissueTable()
	lm.Description = "built-in CT tissue classes"
	s := &seg[T]{src: src, g: vol.Geometry, out: lm.Data.(viewer.Voxels[uint8]), pl: axialPlanes(vol.Geometry)}
	s.voxelML = vol.VoxelML()
	s.p = newPool(workers, s.pl.size(), rep)
	if err := s.checkHU(ctx); err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context) error{s.body, s.airAndLungs, s.lungPlanes, s.bone, s.bonePlanes, s.classes} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return lm, nil
}

// checkHU refuses a volume whose values cannot be HU: a CT in HU has air
// (−1000) or at least fat (−100) and soft tissue, and bone well above
// 200; an MR, a PET or an unrescaled CT (0..4095) has neither end.
func (s *seg[T]) checkHU(ctx context.Context) error {
	n := len(s.src)
	chunk := 1 << 20
	nc := (n + chunk - 1) / chunk
	los, his := make([]float32, nc), make([]float32, nc)
	err := s.p.each(ctx, "checking", 0, 0, nc, func(_ *worker, c int) {
		part := s.src[c*chunk : min(n, (c+1)*chunk)]
		// Comparisons, not min/max, so that NaN voxels are skipped.
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range part {
			if f := float32(v); f < lo {
				lo = f
			} else if f > hi {
				hi = f
			}
		}
		los[c], his[c] = lo, hi
	})
	if err != nil {
		return err
	}
	lo, hi := los[0], his[0]
	for c := range los {
		lo, hi = min(lo, los[c]), max(hi, his[c])
	}
	if !(lo <= huLikeMin && hi >= huLikeMax) {
		return fmt.Errorf("built-in CT segmenter needs HU values; this volume's range is %g..%g, "+
			"and a CT in HU reaches below %d (air, fat) and above %d (bone)", lo, hi, huLikeMin, huLikeMax)
	}
	return nil
}
