package yolo

import (
	"fmt"
	"math"
	"sort"
)

// Detection is one object on a slice, in slice pixel coordinates
// (continuous: pixel (x, y) covers [x, x+1) × [y, y+1)).
type Detection struct {
	Class int
	Score float32
	Box   [4]float64 // x0, y0, x1, y1, clipped to the slice
	// Mask (segment models) is the object's pixels on the slice, W×H row
	// major, 1 inside; MaskPixels counts them.
	Mask       []uint8
	MaskPixels int

	coeffs []float32
	inBox  [4]float64 // the box in input pixels, for the mask crop
}

// Head describes output0: [1, 4+classes+maskDims, anchors], channel major.
type Head struct {
	Classes  int
	MaskDims int // 32 for segment exports, 0 for detect
	Anchors  int
}

// HeadOf works out the head from output0's shape and the class count.
func HeadOf(shape []int64, classes int) (Head, error) {
	if len(shape) != 3 || shape[0] != 1 {
		return Head{}, fmt.Errorf("yolo: output0 is %v; want [1, 4+classes(+32), anchors]", shape)
	}
	ch, an := int(shape[1]), int(shape[2])
	h := Head{Classes: classes, Anchors: an, MaskDims: ch - 4 - classes}
	if classes <= 0 || (h.MaskDims != 0 && h.MaskDims != 32) {
		return Head{}, fmt.Errorf("yolo: output0 has %d channels: not 4 + %d classes (+ 32 mask coefficients)", ch, classes)
	}
	return h, nil
}

// Decode keeps the anchors whose best class score reaches conf (scores
// are already sigmoid in Ultralytics exports), with their box mapped to
// the slice.
func Decode(out []float32, h Head, conf float32, lb Letterbox) ([]Detection, error) {
	ch := 4 + h.Classes + h.MaskDims
	if len(out) != ch*h.Anchors {
		return nil, fmt.Errorf("yolo: output0 holds %d values; %d channels × %d anchors is %d", len(out), ch, h.Anchors, ch*h.Anchors)
	}
	A := h.Anchors
	// Each anchor's best class, walking the channel-major output one
	// contiguous class row at a time.
	bestS := make([]float32, A)
	bestC := make([]int32, A)
	copy(bestS, out[4*A:5*A])
	for c := 1; c < h.Classes; c++ {
		row := out[(4+c)*A : (5+c)*A]
		for a, s := range row {
			if s > bestS[a] {
				bestS[a], bestC[a] = s, int32(c)
			}
		}
	}
	var dets []Detection
	for a := 0; a < A; a++ {
		best, cls := bestS[a], int(bestC[a])
		if best < conf || !(best == best) {
			continue
		}
		cx, cy, w, hh := float64(out[a]), float64(out[A+a]), float64(out[2*A+a]), float64(out[3*A+a])
		in := [4]float64{cx - w/2, cy - hh/2, cx + w/2, cy + hh/2}
		x0, y0 := lb.ToSlice(in[0], in[1])
		x1, y1 := lb.ToSlice(in[2], in[3])
		d := Detection{Class: cls, Score: best, inBox: in,
			Box: [4]float64{clamp(x0, 0, float64(lb.W)), clamp(y0, 0, float64(lb.H)), clamp(x1, 0, float64(lb.W)), clamp(y1, 0, float64(lb.H))}}
		if d.Box[2] <= d.Box[0] || d.Box[3] <= d.Box[1] {
			continue // entirely in the padding
		}
		if h.MaskDims > 0 {
			d.coeffs = make([]float32, h.MaskDims)
			for k := range d.coeffs {
				d.coeffs[k] = out[(4+h.Classes+k)*A+a]
			}
		}
		dets = append(dets, d)
	}
	return dets, nil
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(v, hi)) }

// IoU of two boxes.
func IoU(a, b [4]float64) float64 {
	iw := math.Min(a[2], b[2]) - math.Max(a[0], b[0])
	ih := math.Min(a[3], b[3]) - math.Max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
	return inter / union
}

// NMS keeps, class by class, the highest-scoring boxes and drops those
// overlapping a kept one of the same class by more than iou; at most
// maxDet survive, best first. Ties keep the earlier anchor, so the result
// is deterministic.
func NMS(dets []Detection, iou float64, maxDet int) []Detection {
	idx := make([]int, len(dets))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return dets[idx[i]].Score > dets[idx[j]].Score })
	var kept []Detection
	for _, i := range idx {
		d := dets[i]
		ok := true
		for _, k := range kept {
			if k.Class == d.Class && IoU(k.Box, d.Box) > iou {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, d)
			if maxDet > 0 && len(kept) == maxDet {
				break
			}
		}
	}
	return kept
}

// Masks assembles each detection's mask from the prototypes (protos
// [maskDims, ph, pw], the input's resolution divided by its stride):
// sigmoid(coeffs · protos), zero outside the box, sampled bilinearly at
// every slice pixel's centre, threshold 0.5 — Ultralytics' process_mask,
// with its two resamplings (prototypes → input, input → image) done as one.
func Masks(dets []Detection, protos []float32, maskDims, ph, pw int, lb Letterbox) error {
	if len(protos) != maskDims*ph*pw {
		return fmt.Errorf("yolo: protos hold %d values, not %d×%d×%d", len(protos), maskDims, ph, pw)
	}
	sx, sy := float64(pw)/float64(lb.Size), float64(ph)/float64(lb.Size) // proto pixels per input pixel
	plane := make([]float32, ph*pw)
	for n := range dets {
		d := &dets[n]
		if len(d.coeffs) != maskDims {
			return fmt.Errorf("yolo: detection without %d mask coefficients (a detect model?)", maskDims)
		}
		// The box in proto pixels; crop_mask keeps pixel r when x0 ≤ r < x1.
		bx0, by0, bx1, by1 := d.inBox[0]*sx, d.inBox[1]*sy, d.inBox[2]*sx, d.inBox[3]*sy
		for i := range plane {
			plane[i] = 0
		}
		for v := max(0, int(math.Floor(by0))); v < min(ph, int(math.Ceil(by1))); v++ {
			if float64(v) < by0 || float64(v) >= by1 {
				continue
			}
			for u := max(0, int(math.Floor(bx0))); u < min(pw, int(math.Ceil(bx1))); u++ {
				if float64(u) < bx0 || float64(u) >= bx1 {
					continue
				}
				var s float32
				for k, c := range d.coeffs {
					s += c * protos[(k*ph+v)*pw+u]
				}
				plane[v*pw+u] = float32(1 / (1 + math.Exp(-float64(s))))
			}
		}
		d.Mask = make([]uint8, lb.W*lb.H)
		d.MaskPixels = 0
		for y := int(d.Box[1]); y < int(math.Ceil(d.Box[3])) && y < lb.H; y++ {
			for x := int(d.Box[0]); x < int(math.Ceil(d.Box[2])) && x < lb.W; x++ {
				X, Y := lb.ToInput(float64(x)+0.5, float64(y)+0.5)
				if sampleF(plane, pw, ph, X*sx-0.5, Y*sy-0.5) > 0.5 {
					d.Mask[y*lb.W+x] = 1
					d.MaskPixels++
				}
			}
		}
		d.coeffs = nil
	}
	return nil
}

// sampleF samples a plane bilinearly at pixel-centre coordinates, clamped
// at the edges (align_corners=False).
func sampleF(p []float32, w, h int, x, y float64) float64 {
	x = math.Max(0, math.Min(x, float64(w-1)))
	y = math.Max(0, math.Min(y, float64(h-1)))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	top := float64(p[y0*w+x0])*(1-fx) + float64(p[y0*w+x1])*fx
	bot := float64(p[y1*w+x0])*(1-fx) + float64(p[y1*w+x1])*fx
	return top*(1-fy) + bot*fy
}
