package dicom

import (
	"image/color"
	"math"
)

// DICOMLabToRGB converts a DICOM CIELab triple (PS3.3 C.10.7.1.1: L* 0..100
// and a*, b* −128..127 each scaled to 0..65535) to 8-bit sRGB, with the D65
// white point that DCMTK (and so dcmqi and 3D Slicer) uses. Colours outside
// the sRGB gamut are clipped.
func DICOMLabToRGB(l, a, b float64) color.RGBA {
	if math.IsNaN(l+a+b) || math.IsInf(l+a+b, 0) {
		return color.RGBA{A: 255}
	}
	L := l * 100 / 65535
	A := a*255/65535 - 128
	B := b*255/65535 - 128
	fy := (L + 16) / 116
	fx := fy + A/500
	fz := fy - B/200
	inv := func(t float64) float64 {
		if t > 6.0/29 {
			return t * t * t
		}
		return 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0/29)
	}
	x, y, z := 0.950456*inv(fx), 1.0*inv(fy), 1.088754*inv(fz)
	r := 3.2404542*x - 1.5371385*y - 0.4985314*z
	g := -0.9692660*x + 1.8760108*y + 0.0415560*z
	bl := 0.0556434*x - 0.2040259*y + 1.0572252*z
	enc := func(c float64) uint8 {
		if c <= 0.0031308 {
			c *= 12.92
		} else {
			c = 1.055*math.Pow(c, 1/2.4) - 0.055
		}
		return uint8(math.Round(255 * math.Max(0, math.Min(1, c))))
	}
	return color.RGBA{enc(r), enc(g), enc(bl), 255}
}

// RGBToDICOMLab is the inverse of DICOMLabToRGB: 8-bit sRGB to a DICOM
// CIELab triple (RecommendedDisplayCIELabValue), with the same D65 white,
// so that a colour written by this package reads back as the same sRGB.
func RGBToDICOMLab(c color.RGBA) (l, a, b uint16) {
	dec := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	r, g, bl := dec(c.R), dec(c.G), dec(c.B)
	x := (0.4124564*r + 0.3575761*g + 0.1804375*bl) / 0.950456
	y := 0.2126729*r + 0.7151522*g + 0.0721750*bl
	z := (0.0193339*r + 0.1191920*g + 0.9503041*bl) / 1.088754
	f := func(t float64) float64 {
		if t > (6.0/29)*(6.0/29)*(6.0/29) {
			return math.Cbrt(t)
		}
		return t/(3*(6.0/29)*(6.0/29)) + 4.0/29
	}
	fx, fy, fz := f(x), f(y), f(z)
	L, A, B := 116*fy-16, 500*(fx-fy), 200*(fy-fz)
	scale := func(v float64) uint16 { return uint16(math.Round(math.Max(0, math.Min(65535, v)))) }
	return scale(L * 65535 / 100), scale((A + 128) * 65535 / 255), scale((B + 128) * 65535 / 255)
}
