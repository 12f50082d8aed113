package yolo

import (
	"fmt"
	"math"
	"sort"

	"delineate/viewer"
)

// SliceResult is the detections on slice K of a plane.
type SliceResult struct {
	Layout viewer.SliceLayout
	K      int
	Dets   []Detection
}

// VoxelBox is a detection's box as voxel index ranges (inclusive) of the
// volume, and its corners in patient (LPS) millimetres.
type VoxelBox struct {
	Min   [3]int      `json:"min_voxel"`
	Max   [3]int      `json:"max_voxel"`
	MinMM viewer.Vec3 `json:"min_lps_mm"`
	MaxMM viewer.Vec3 `json:"max_lps_mm"`
}

// ToVoxels maps a box on slice k (slice pixel coordinates) to the voxels
// it covers: the pixels it overlaps, through the slice layout (so flips
// and axis order are the layout's), and their extent in millimetres
// (voxel edges, i.e. centres ± half a voxel).
func ToVoxels(g viewer.Geometry, l viewer.SliceLayout, k int, box [4]float64) VoxelBox {
	x0, y0 := int(math.Floor(box[0])), int(math.Floor(box[1]))
	x1, y1 := int(math.Ceil(box[2]))-1, int(math.Ceil(box[3]))-1
	x1, y1 = max(x1, x0), max(y1, y0)
	a, b := l.Voxel(k, x0, y0), l.Voxel(k, x1, y1)
	var vb VoxelBox
	for ax := 0; ax < 3; ax++ {
		vb.Min[ax], vb.Max[ax] = min(a[ax], b[ax]), max(a[ax], b[ax])
	}
	lo := g.IndexToLPS(viewer.Vec3{float64(vb.Min[0]) - 0.5, float64(vb.Min[1]) - 0.5, float64(vb.Min[2]) - 0.5})
	hi := g.IndexToLPS(viewer.Vec3{float64(vb.Max[0]) + 0.5, float64(vb.Max[1]) + 0.5, float64(vb.Max[2]) + 0.5})
	for ax := 0; ax < 3; ax++ {
		vb.MinMM[ax], vb.MaxMM[ax] = math.Min(lo[ax], hi[ax]), math.Max(lo[ax], hi[ax])
	}
	return vb
}

// Finding is detections of one class on neighbouring slices grouped into
// one object in 3D.
type Finding struct {
	Class      int      `json:"class"`
	Label      string   `json:"label"`
	FirstSlice int      `json:"first_slice"`
	LastSlice  int      `json:"last_slice"`
	BestScore  float32  `json:"best_score"`
	Box        VoxelBox `json:"box"`
	MaskVoxels int      `json:"mask_voxels"`
	VolumeML   float64  `json:"volume_ml"`
}

// Group joins detections of a class on consecutive slices whose boxes
// overlap (IoU ≥ minIoU, in slice pixels) into findings, best score first.
func Group(g viewer.Geometry, slices []SliceResult, names []string, minIoU float64) []Finding {
	sort.Slice(slices, func(i, j int) bool { return slices[i].K < slices[j].K })
	type open struct {
		f    Finding
		last [4]float64
		k    int
	}
	var active, done []*open
	voxelML := g.VoxelML()
	for _, s := range slices {
		var next []*open
		used := map[*open]bool{}
		for _, d := range s.Dets {
			vb := ToVoxels(g, s.Layout, s.K, d.Box)
			var best *open
			bestIoU := minIoU
			for _, o := range active {
				if used[o] || o.f.Class != d.Class || o.k != s.K-1 {
					continue
				}
				if iou := IoU(o.last, d.Box); iou >= bestIoU {
					best, bestIoU = o, iou
				}
			}
			if best == nil {
				best = &open{f: Finding{Class: d.Class, Label: label(names, d.Class), FirstSlice: s.K, Box: vb}}
			} else {
				for ax := 0; ax < 3; ax++ {
					best.f.Box.Min[ax] = min(best.f.Box.Min[ax], vb.Min[ax])
					best.f.Box.Max[ax] = max(best.f.Box.Max[ax], vb.Max[ax])
					best.f.Box.MinMM[ax] = math.Min(best.f.Box.MinMM[ax], vb.MinMM[ax])
					best.f.Box.MaxMM[ax] = math.Max(best.f.Box.MaxMM[ax], vb.MaxMM[ax])
				}
			}
			used[best] = true
			best.f.LastSlice, best.last, best.k = s.K, d.Box, s.K
			best.f.BestScore = max(best.f.BestScore, d.Score)
			best.f.MaskVoxels += d.MaskPixels
			best.f.VolumeML = float64(best.f.MaskVoxels) * voxelML
			next = append(next, best)
		}
		for _, o := range active {
			if !used[o] {
				done = append(done, o)
			}
		}
		active = next
	}
	done = append(done, active...)
	out := make([]Finding, len(done))
	for i, o := range done {
		out[i] = o.f
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].BestScore > out[j].BestScore })
	return out
}

func label(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return fmt.Sprintf("class %d", c)
}

// Paint writes a slice's detections into a label map, class c as id c+1:
// each detection's mask, or its box for detect exports (no masks). It
// adds the voxels each id gained to counts.
func Paint(lm *viewer.LabelMap, r SliceResult, counts map[int]int) {
	l := r.Layout
	for _, d := range r.Dets {
		mask := d.Mask
		if mask == nil {
			mask = make([]uint8, l.Width*l.Height)
			for y := int(d.Box[1]); y < int(math.Ceil(d.Box[3])) && y < l.Height; y++ {
				for x := int(d.Box[0]); x < int(math.Ceil(d.Box[2])) && x < l.Width; x++ {
					mask[y*l.Width+x] = 1
				}
			}
		}
		counts[d.Class+1] += lm.PaintSlice(l, r.K, mask, d.Class+1)
	}
}
