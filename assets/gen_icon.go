//go:build ignore

// gen_icon draws assets/icon.png: an axial slice motif (a body outline with
// a highlighted organ contour) on the reading-room dark background.
// Regenerate with: go run assets/gen_icon.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

func main() {
	const n = 256
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	bg := color.RGBA{0x14, 0x15, 0x17, 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			fx, fy := (float64(x)-128)/128, (float64(y)-128)/128
			c := bg
			body := (fx*fx)/(0.82*0.82) + (fy*fy)/(0.62*0.62)
			organ := ((fx+0.3)*(fx+0.3))/(0.32*0.32) + ((fy+0.05)*(fy+0.05))/(0.28*0.28)
			spine := math.Hypot(fx, fy-0.38)
			switch {
			case math.Abs(organ-1) < 0.09:
				c = color.RGBA{0x3d, 0xa5, 0xd9, 0xff} // the delineation
			case body < 1 && spine < 0.12:
				c = color.RGBA{0xf2, 0xf2, 0xee, 0xff}
			case body < 1 && organ < 1:
				c = color.RGBA{0x8a, 0x8c, 0x90, 0xff}
			case body < 1:
				c = color.RGBA{0x5c, 0x5e, 0x62, 0xff}
			case body < 1.08:
				c = color.RGBA{0x30, 0x32, 0x35, 0xff}
			}
			img.SetRGBA(x, y, c)
		}
	}
	f, err := os.Create("assets/icon.png")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		panic(err)
	}
}
