package viewer

import (
	"image/color"
	"math"
)

// LabelColours is a colour per label id, index = id. Entry 0 is ignored:
// label 0 is background and is never drawn. The alpha of an entry scales the
// overlay opacity for that label, so alpha 0 hides one label and 255 shows
// it at the overlay's opacity.
//
// Ids past the end of the table reuse its colours cyclically (id n maps to
// 1 + (n−1) mod (len−1)) rather than vanishing: a label map with ids in the
// thousands, as FreeSurfer writes, still shows every structure.
type LabelColours []color.RGBA

// Colour returns the colour drawn for id; transparent for id ≤ 0.
func (c LabelColours) Colour(id int) color.RGBA {
	if id <= 0 || len(c) < 2 {
		return color.RGBA{}
	}
	if id >= len(c) {
		id = 1 + (id-1)%(len(c)-1)
	}
	return c[id]
}

// DefaultLabelColours returns a fresh 256-entry table for ids 1..255: the
// six primaries and secondaries first (red, green, blue, yellow, cyan,
// magenta, as ITK-SNAP and most tools start, so label 1 is red everywhere),
// then hues stepped by the golden angle with three brightness/saturation
// levels, so that consecutive ids, which are usually neighbouring
// structures, always get clearly different colours. The table is computed,
// not random, so it is the same on every run and every machine.
func DefaultLabelColours() LabelColours {
	c := make(LabelColours, 256)
	copy(c[1:], []color.RGBA{
		{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255},
		{255, 255, 0, 255}, {0, 255, 255, 255}, {255, 0, 255, 255},
	})
	levels := [3]struct{ s, v float64 }{{0.85, 1.0}, {0.55, 0.95}, {0.95, 0.7}}
	const golden = 137.50776405003785 // degrees
	for id := 7; id < 256; id++ {
		n := id - 7
		h := math.Mod(20+float64(n)*golden, 360)
		lv := levels[n%3]
		c[id] = hsv(h, lv.s, lv.v)
	}
	return c
}

// hsv converts hue (degrees), saturation and value (0..1) to opaque RGB.
func hsv(h, s, v float64) color.RGBA {
	cc := v * s
	hp := h / 60
	x := cc * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch int(hp) % 6 {
	case 0:
		r, g = cc, x
	case 1:
		r, g = x, cc
	case 2:
		g, b = cc, x
	case 3:
		g, b = x, cc
	case 4:
		r, b = x, cc
	default:
		r, b = cc, x
	}
	m := v - cc
	u := func(f float64) uint8 { return uint8(math.Round((f + m) * 255)) }
	return color.RGBA{u(r), u(g), u(b), 255}
}
