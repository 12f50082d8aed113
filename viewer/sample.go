package viewer

import (
	"image"
	"math"
)

// SampleGray samples a grey image bilinearly at pixel-centre coordinates
// (pixel (i, j) is at (i, j)), clamped at the edges — the resampling the
// prompt models' inputs (letterbox, SAM frame) are built with.
func SampleGray(g *image.Gray, x, y float64) float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	x = math.Max(0, math.Min(x, float64(w-1)))
	y = math.Max(0, math.Min(y, float64(h-1)))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(i, j int) float64 { return float64(g.Pix[j*g.Stride+i]) }
	return (at(x0, y0)*(1-fx)+at(x1, y0)*fx)*(1-fy) + (at(x0, y1)*(1-fx)+at(x1, y1)*fx)*fy
}
