package codec

import (
	"fmt"
	"image"
)

// libjpeg's colour conversion and chroma up-sampling, reproduced so that
// colour JPEG frames decode to the RGB values libjpeg gives (libjpeg-turbo,
// which Pillow and so pydicom use, and IJG libjpeg in DCMTK and GDCM).
// image/jpeg up-samples chroma by repeating samples and converts with its
// own rounding; at saturated colour edges that differs from libjpeg by tens
// of levels, which users comparing with other viewers see.

// ycc holds jdcolor.c's tables: 16-bit fixed point, values rounded the
// way libjpeg rounds them.
var ycc struct {
	crR, cbB [256]int32
	crG, cbG [256]int32
}

func init() {
	const scale = 16
	fix := func(x float64) int32 { return int32(x*(1<<scale) + 0.5) }
	const half = 1 << (scale - 1)
	for i := range 256 {
		x := int32(i - 128)
		ycc.crR[i] = (fix(1.40200)*x + half) >> scale
		ycc.cbB[i] = (fix(1.77200)*x + half) >> scale
		ycc.crG[i] = -fix(0.71414) * x
		ycc.cbG[i] = -fix(0.34414)*x + half
	}
}

func clamp8(v int32) byte {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return byte(v)
}

// ycbcrToRGB writes w×h interleaved RGB into out from image/jpeg's planes:
// chroma up-sampled as libjpeg's "fancy" up-sampling does it (jdsample.c:
// triangle filters for h2v1, h1v2 and h2v2; repetition otherwise), then
// converted with libjpeg's integer tables when transform is set, or copied
// as R, G, B when the stream was coded without colour transform.
func ycbcrToRGB(m *image.YCbCr, w, h int, transform bool, out []byte) error {
	var hs, vs int
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio422:
		hs, vs = 2, 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		hs, vs = 1, 2
	case image.YCbCrSubsampleRatio411:
		hs, vs = 4, 1
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	default:
		return unsupported(fmt.Sprintf("JPEG chroma subsampling %v is not decoded", m.SubsampleRatio), convertFirst)
	}
	if m.Rect.Dx() != w || m.Rect.Dy() != h {
		return fmt.Errorf("JPEG decoded to %d×%d, want %d×%d", m.Rect.Dx(), m.Rect.Dy(), w, h)
	}
	// libjpeg's downsampled_width/height: the chroma samples that hold
	// image data; its filters treat the last of them as the edge.
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	cb := upsample(m.Cb, m.CStride, cw, ch, hs, vs, w, h)
	cr := upsample(m.Cr, m.CStride, cw, ch, hs, vs, w, h)
	o := 0
	for y := range h {
		yrow := m.Y[y*m.YStride:]
		for x := range w {
			yv, b, r := int32(yrow[x]), cb[y*w+x], cr[y*w+x]
			if transform {
				out[o] = clamp8(yv + ycc.crR[r])
				out[o+1] = clamp8(yv + (ycc.cbG[b]+ycc.crG[r])>>16)
				out[o+2] = clamp8(yv + ycc.cbB[b])
			} else {
				out[o], out[o+1], out[o+2] = byte(yv), b, r
			}
			o += 3
		}
	}
	return nil
}

// upsample returns a w×h plane from a cw×ch plane (row stride stride)
// subsampled hs×vs, as libjpeg-turbo 2.1 up-samples with
// do_fancy_upsampling on (the default; merged up-sampling is used only
// without it).
func upsample(p []byte, stride, cw, ch, hs, vs, w, h int) []byte {
	out := make([]byte, w*h)
	at := func(x, y int) int32 {
		// libjpeg repeats the first and last real row as context rows.
		y = max(0, min(y, ch-1))
		return int32(p[y*stride+x])
	}
	switch {
	case hs == 1 && vs == 1:
		for y := range h {
			copy(out[y*w:(y+1)*w], p[y*stride:])
		}
	case hs == 2 && vs == 1 && cw > 2:
		// h2v1_fancy_upsample: 3/4 of the nearer sample, 1/4 of the other.
		for y := range h {
			for x := range w {
				i := x / 2
				var v int32
				switch {
				case x == 0:
					v = at(0, y)
				case x == 2*cw-1:
					v = at(cw-1, y)
				case x%2 == 0:
					v = (3*at(i, y) + at(i-1, y) + 1) >> 2
				default:
					v = (3*at(i, y) + at(i+1, y) + 2) >> 2
				}
				out[y*w+x] = byte(v)
			}
		}
	case hs == 1 && vs == 2:
		// h1v2_fancy_upsample: vertical only, biases 1 (upper) and 2.
		for y := range h {
			i := y / 2
			other, bias := i-1, int32(1)
			if y%2 == 1 {
				other, bias = i+1, 2
			}
			for x := range w {
				out[y*w+x] = byte((3*at(x, i) + at(x, other) + bias) >> 2)
			}
		}
	case hs == 2 && vs == 2 && cw > 2:
		// h2v2_fancy_upsample: the vertical 3:1 sums, then 3:1 across.
		col := make([]int32, cw)
		for y := range h {
			i := y / 2
			other := i - 1
			if y%2 == 1 {
				other = i + 1
			}
			for x := range cw {
				col[x] = 3*at(x, i) + at(x, other)
			}
			for x := range w {
				c := x / 2
				var v int32
				switch {
				case x == 0:
					v = (col[0]*4 + 8) >> 4
				case x == 2*cw-1:
					v = (col[cw-1]*4 + 7) >> 4
				case x%2 == 0:
					v = (col[c]*3 + col[c-1] + 8) >> 4
				default:
					v = (col[c]*3 + col[c+1] + 7) >> 4
				}
				out[y*w+x] = byte(v)
			}
		}
	default:
		// h2v1/h2v2 with at most two chroma columns, and 4:1:1 and 4:1:0:
		// libjpeg repeats samples (h2v1_upsample, h2v2_upsample,
		// int_upsample).
		for y := range h {
			for x := range w {
				out[y*w+x] = byte(at(x/hs, y/vs))
			}
		}
	}
	return out
}
