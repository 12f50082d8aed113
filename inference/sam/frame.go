package sam

import (
	"fmt"
	"image"
	"math"

	"delineate/viewer"
)

// Frame maps slice pixels to the encoder's input: the slice resampled to
// square millimetres with its longest side at Size, placed top-left (SAM
// pads bottom and right). Slice point (x, y) is frame point (x·AX, y·AY).
type Frame struct {
	Size   int
	W, H   int     // slice pixels
	AX, AY float64 // frame pixels per slice pixel
	FW, FH int     // the image's extent in the frame (orig_im_size)
}

// NewFrame fits a W×H slice of colMM×rowMM pixels into size².
func NewFrame(w, h int, colMM, rowMM float64, size int) (Frame, error) {
	if w <= 0 || h <= 0 || size <= 0 || !(colMM > 0) || !(rowMM > 0) {
		return Frame{}, fmt.Errorf("sam: cannot frame a %d×%d slice (%g×%g mm pixels)", w, h, colMM, rowMM)
	}
	scale := math.Min(float64(size)/(float64(w)*colMM), float64(size)/(float64(h)*rowMM))
	f := Frame{Size: size, W: w, H: h, AX: colMM * scale, AY: rowMM * scale}
	f.FW = min(size, int(math.Round(float64(w)*f.AX)))
	f.FH = min(size, int(math.Round(float64(h)*f.AY)))
	return f, nil
}

// SAM's pixel normalisation (0..255 RGB), and ImageNet's (0..1 RGB).
var (
	mean         = [3]float32{123.675, 116.28, 103.53}
	std          = [3]float32{58.395, 57.12, 57.375}
	imagenetMean = [3]float32{0.485, 0.456, 0.406}
	imagenetStd  = [3]float32{0.229, 0.224, 0.225}
)

// Input renders SAM's encoder input (SAM mean/std).
func (f Frame) Input(g *image.Gray, dst []float32) ([]float32, error) {
	return f.InputNorm(g, dst, NormSAM)
}

// InputMinMax renders MedSAM's input: scaled to 0..1 by the slice's own
// minimum and maximum (no SAM mean/std).
func (f Frame) InputMinMax(g *image.Gray, dst []float32) ([]float32, error) {
	return f.InputNorm(g, dst, NormMinMax)
}

// InputNorm renders the encoder input, CHW float32: the grey slice
// (repeated into three channels) resampled bilinearly into the frame,
// normalised as norm says, zero (after normalisation) outside the image,
// as SAM pads.
func (f Frame) InputNorm(g *image.Gray, dst []float32, norm Normalisation) ([]float32, error) {
	if g.Rect.Dx() != f.W || g.Rect.Dy() != f.H {
		return nil, fmt.Errorf("sam: a %v rendering for a %d×%d slice", g.Rect.Size(), f.W, f.H)
	}
	// v' = (v·scale − m[c]) / s[c]
	var scale float32 = 1
	m, sd := mean, std
	switch norm {
	case NormMinMax:
		lo, hi := 255.0, 0.0
		for _, p := range g.Pix {
			lo, hi = math.Min(lo, float64(p)), math.Max(hi, float64(p))
		}
		span := math.Max(hi-lo, 1e-8)
		scale = float32(1 / span)
		l := float32(lo / span)
		m, sd = [3]float32{l, l, l}, [3]float32{1, 1, 1}
	case NormImageNet:
		scale, m, sd = 1.0/255, imagenetMean, imagenetStd
	}
	n := f.Size * f.Size
	if cap(dst) < 3*n {
		dst = make([]float32, 3*n)
	}
	dst = dst[:3*n]
	for i := range dst {
		dst[i] = 0
	}
	for Y := 0; Y < f.FH; Y++ {
		for X := 0; X < f.FW; X++ {
			v := float32(viewer.SampleGray(g, (float64(X)+0.5)/f.AX-0.5, (float64(Y)+0.5)/f.AY-0.5)) * scale
			for c := 0; c < 3; c++ {
				dst[c*n+Y*f.Size+X] = (v - m[c]) / sd[c]
			}
		}
	}
	return dst, nil
}

// NewStretchFrame is MedSAM's and SAM2's frame: the slice resized to
// size×size without keeping its aspect.
func NewStretchFrame(w, h, size int) (Frame, error) {
	if w <= 0 || h <= 0 || size <= 0 {
		return Frame{}, fmt.Errorf("sam: cannot frame a %d×%d slice", w, h)
	}
	return Frame{Size: size, W: w, H: h, AX: float64(size) / float64(w), AY: float64(size) / float64(h), FW: size, FH: size}, nil
}

// maskNearest maps logits at the image's extent in the frame (FW×FH, what
// SAM's decoder gives at orig_im_size) to the slice's pixels: inside where
// the logit at the pixel's centre is above 0.
func (f Frame) maskNearest(logits []float32) []uint8 {
	mask := make([]uint8, f.W*f.H)
	for y := 0; y < f.H; y++ {
		Y := min(f.FH-1, int((float64(y)+0.5)*f.AY))
		for x := 0; x < f.W; x++ {
			X := min(f.FW-1, int((float64(x)+0.5)*f.AX))
			if logits[Y*f.FW+X] > 0 {
				mask[y*f.W+x] = 1
			}
		}
	}
	return mask
}

// maskLowRes maps low-resolution logits (mw×mh over the whole Size² frame,
// padding included, as SAM2's and LiteMedSAM's decoders give them) to the
// slice's pixels, interpolating the logits bilinearly at each pixel's
// centre (half-pixel centres, as the models' own upsampling does) and
// keeping those above 0.
func (f Frame) maskLowRes(logits []float32, mw, mh int) []uint8 {
	mask := make([]uint8, f.W*f.H)
	sx, sy := float64(mw)/float64(f.Size), float64(mh)/float64(f.Size)
	at := func(u, v int) float64 {
		return float64(logits[max(0, min(mh-1, v))*mw+max(0, min(mw-1, u))])
	}
	for y := 0; y < f.H; y++ {
		v := (float64(y)+0.5)*f.AY*sy - 0.5
		v0 := int(math.Floor(v))
		fv := v - float64(v0)
		for x := 0; x < f.W; x++ {
			u := (float64(x)+0.5)*f.AX*sx - 0.5
			u0 := int(math.Floor(u))
			fu := u - float64(u0)
			l := (1-fv)*((1-fu)*at(u0, v0)+fu*at(u0+1, v0)) + fv*((1-fu)*at(u0, v0+1)+fu*at(u0+1, v0+1))
			if l > 0 {
				mask[y*f.W+x] = 1
			}
		}
	}
	return mask
}
