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

// SAM's pixel normalisation (0..255 RGB).
var (
	mean = [3]float32{123.675, 116.28, 103.53}
	std  = [3]float32{58.395, 57.12, 57.375}
)

// Input renders the encoder input, CHW float32: the grey slice (repeated
// into three channels) resampled bilinearly into the frame, normalised,
// zero (after normalisation) outside the image, as SAM pads.
func (f Frame) Input(g *image.Gray, dst []float32) ([]float32, error) {
	if g.Rect.Dx() != f.W || g.Rect.Dy() != f.H {
		return nil, fmt.Errorf("sam: a %v rendering for a %d×%d slice", g.Rect.Size(), f.W, f.H)
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
			v := float32(viewer.SampleGray(g, (float64(X)+0.5)/f.AX-0.5, (float64(Y)+0.5)/f.AY-0.5))
			for c := 0; c < 3; c++ {
				dst[c*n+Y*f.Size+X] = (v - mean[c]) / std[c]
			}
		}
	}
	return dst, nil
}

// NewStretchFrame is MedSAM's frame: the slice resized to size×size
// without keeping its aspect.
func NewStretchFrame(w, h, size int) (Frame, error) {
	if w <= 0 || h <= 0 || size <= 0 {
		return Frame{}, fmt.Errorf("sam: cannot frame a %d×%d slice", w, h)
	}
	return Frame{Size: size, W: w, H: h, AX: float64(size) / float64(w), AY: float64(size) / float64(h), FW: size, FH: size}, nil
}

// InputMinMax renders MedSAM's input: the grey slice resampled into the
// frame and scaled to 0..1 by its own minimum and maximum (no SAM
// mean/std), repeated into three channels.
func (f Frame) InputMinMax(g *image.Gray, dst []float32) ([]float32, error) {
	if g.Rect.Dx() != f.W || g.Rect.Dy() != f.H {
		return nil, fmt.Errorf("sam: a %v rendering for a %d×%d slice", g.Rect.Size(), f.W, f.H)
	}
	n := f.Size * f.Size
	if cap(dst) < 3*n {
		dst = make([]float32, 3*n)
	}
	dst = dst[:3*n]
	lo, hi := 255.0, 0.0
	for _, p := range g.Pix {
		lo, hi = math.Min(lo, float64(p)), math.Max(hi, float64(p))
	}
	span := math.Max(hi-lo, 1e-8)
	for i := range dst {
		dst[i] = 0
	}
	for Y := 0; Y < f.FH; Y++ {
		for X := 0; X < f.FW; X++ {
			v := float32((viewer.SampleGray(g, (float64(X)+0.5)/f.AX-0.5, (float64(Y)+0.5)/f.AY-0.5) - lo) / span)
			for c := 0; c < 3; c++ {
				dst[c*n+Y*f.Size+X] = v
			}
		}
	}
	return dst, nil
}
