package yolo

import (
	"fmt"
	"image"
	"math"

	"delineate/viewer"
)

// Letterbox maps slice pixels to the network's square input and back. A
// slice pixel's centre (x+0.5, y+0.5) lands at input coordinates
// (X, Y) = ((x+0.5)·AX + PadX, (y+0.5)·AY + PadY); AX/AY differ when the
// slice's pixels are not square in millimetres.
type Letterbox struct {
	Size       int     // input side (640)
	W, H       int     // slice size in pixels
	AX, AY     float64 // input pixels per slice pixel
	PadX, PadY float64 // left and top padding, input pixels
}

// NewLetterbox fits a W×H slice with pixel spacing (colMM, rowMM) into a
// size×size input, keeping its physical aspect, centred.
func NewLetterbox(w, h int, colMM, rowMM float64, size int) (Letterbox, error) {
	if w <= 0 || h <= 0 || size <= 0 || !(colMM > 0) || !(rowMM > 0) {
		return Letterbox{}, fmt.Errorf("yolo: cannot letterbox a %d×%d slice (%g×%g mm pixels) into %d²", w, h, colMM, rowMM, size)
	}
	wmm, hmm := float64(w)*colMM, float64(h)*rowMM
	scale := math.Min(float64(size)/wmm, float64(size)/hmm) // input pixels per mm
	lb := Letterbox{Size: size, W: w, H: h, AX: colMM * scale, AY: rowMM * scale}
	// Ultralytics rounds the padding the same way: round(d/2 ∓ 0.1).
	lb.PadX = math.Round((float64(size)-float64(w)*lb.AX)/2 - 0.1)
	lb.PadY = math.Round((float64(size)-float64(h)*lb.AY)/2 - 0.1)
	return lb, nil
}

// ToInput maps slice coordinates (continuous, pixel edges at integers) to
// input coordinates.
func (l Letterbox) ToInput(x, y float64) (float64, float64) {
	return x*l.AX + l.PadX, y*l.AY + l.PadY
}

// ToSlice maps input coordinates back to slice coordinates.
func (l Letterbox) ToSlice(X, Y float64) (float64, float64) {
	return (X - l.PadX) / l.AX, (Y - l.PadY) / l.AY
}

// Input renders the network input, CHW float32 in 0..1: channel c is
// grey[c] (one grey slice repeated when there is one), resampled
// bilinearly into the letterbox, padding 114/255 as Ultralytics pads.
func (l Letterbox) Input(grey []*image.Gray, dst []float32) ([]float32, error) {
	n := l.Size * l.Size
	if len(grey) != 1 && len(grey) != 3 {
		return nil, fmt.Errorf("yolo: %d rendered windows; want 1 (repeated) or 3 (one per channel)", len(grey))
	}
	for _, g := range grey {
		if g.Rect.Dx() != l.W || g.Rect.Dy() != l.H {
			return nil, fmt.Errorf("yolo: a %v rendering for a %d×%d slice", g.Rect.Size(), l.W, l.H)
		}
	}
	if cap(dst) < 3*n {
		dst = make([]float32, 3*n)
	}
	dst = dst[:3*n]
	const pad = 114.0 / 255
	plane := make([]float32, n)
	for c := 0; c < 3; c++ {
		if c > 0 && len(grey) == 1 {
			copy(dst[c*n:(c+1)*n], dst[:n])
			continue
		}
		g := grey[min(c, len(grey)-1)]
		for Y := 0; Y < l.Size; Y++ {
			for X := 0; X < l.Size; X++ {
				sx, sy := l.ToSlice(float64(X)+0.5, float64(Y)+0.5)
				if sx < 0 || sy < 0 || sx > float64(l.W) || sy > float64(l.H) {
					plane[Y*l.Size+X] = pad
					continue
				}
				plane[Y*l.Size+X] = float32(viewer.SampleGray(g, sx-0.5, sy-0.5) / 255)
			}
		}
		copy(dst[c*n:(c+1)*n], plane)
	}
	return dst, nil
}
