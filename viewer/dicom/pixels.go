package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"delineate/viewer"
	"delineate/viewer/codec"
)

// frameLen is the byte size of one frame as stored uncompressed: native
// YBR_FULL_422 holds two samples per pixel (Y0 Y1 Cb Cr for each pair of
// pixels, PS3.3 C.7.6.3.1.2), everything else SamplesPerPixel.
func (h *header) frameLen() int {
	if h.subsampled422() {
		return (h.rows*h.cols + 1) / 2 * 4 * h.bitsAllocated / 8
	}
	return h.fullFrameLen()
}

// fullFrameLen is the byte size of one frame with every sample of every
// pixel: what codecs hand back.
func (h *header) fullFrameLen() int {
	return h.rows * h.cols * h.spp * h.bitsAllocated / 8
}

// subsampled422 says the native pixel data shares chroma between pairs of
// pixels (compressed 4:2:2 comes back from the codecs in full).
func (h *header) subsampled422() bool {
	return h.spp == 3 && !isEncapsulatedSyntax(h.ts) && strings.HasSuffix(h.photometric, "_422")
}

// decodeFrame returns frame f as native little-endian bytes with one sample
// per pixel: compressed frames go through the codec, big-endian data is
// swapped, and colour is reduced to grey.
func (h *header) decodeFrame(f int) ([]byte, error) {
	var b []byte
	n := h.frameLen()
	switch {
	case h.native != nil:
		if (f+1)*n > len(h.native) {
			return nil, fmt.Errorf("%s: pixel data has %d bytes, frame %d needs %d", h.path, len(h.native), f+1, (f+1)*n)
		}
		b = h.native[f*n : (f+1)*n]
		if h.ts == tsExplicitBE && h.bitsAllocated > 8 {
			b = swapBytes(b, h.bitsAllocated/8)
		}
		if h.subsampled422() {
			return lumaOf422(b, h), nil
		}
		if h.spp == 3 && h.planar == 1 {
			b = interleave(b, h.rows*h.cols, h.bitsAllocated/8)
		}
	case len(h.fragments) > 0:
		data, err := h.frameFragments(f)
		if err != nil {
			return nil, err
		}
		b, err = codec.Decode(h.ts, data, codec.Frame{
			Rows: h.rows, Cols: h.cols, SamplesPerPixel: h.spp,
			BitsAllocated: h.bitsAllocated, BitsStored: h.bitsStored,
			PixelRepresentation: h.pixelRep, PhotometricInterpretation: h.photometric,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: frame %d: %w", h.path, f+1, err)
		}
		if n = h.fullFrameLen(); len(b) < n {
			return nil, fmt.Errorf("%s: frame %d decoded to %d bytes, want %d", h.path, f+1, len(b), n)
		}
	default:
		return nil, fmt.Errorf("%s: no pixel data", h.path)
	}
	if h.spp == 3 && len(b) >= h.fullFrameLen() {
		// Codecs hand back RGB whatever the photometric interpretation;
		// only native YBR data still needs its Y channel picked.
		ybr := h.native != nil && strings.HasPrefix(h.photometric, "YBR")
		b = toGrey(b, h, ybr)
	}
	return b, nil
}

// frameFragments assembles the compressed bytes of frame f. One fragment per
// frame is the common case; a single frame may span fragments; otherwise
// frames are told apart by their start-of-image markers.
func (h *header) frameFragments(f int) ([]byte, error) {
	fr := h.fragments
	switch {
	case len(fr) == h.nFrames:
		return fr[f], nil
	case h.nFrames == 1:
		var all []byte
		for _, x := range fr {
			all = append(all, x...)
		}
		return all, nil
	}
	var frames [][]byte
	for _, x := range fr {
		starts := len(x) >= 2 && x[0] == 0xff && (x[1] == 0xd8 || x[1] == 0x4f)
		if starts || len(frames) == 0 {
			frames = append(frames, append([]byte(nil), x...))
		} else {
			frames[len(frames)-1] = append(frames[len(frames)-1], x...)
		}
	}
	if len(frames) != h.nFrames || f >= len(frames) {
		return nil, fmt.Errorf("%s: %d compressed fragments do not split into %d frames", h.path, len(fr), h.nFrames)
	}
	return frames[f], nil
}

func swapBytes(b []byte, size int) []byte {
	out := make([]byte, len(b))
	for i := 0; i+size <= len(b); i += size {
		for j := 0; j < size; j++ {
			out[i+j] = b[i+size-1-j]
		}
	}
	return out
}

// interleave turns planar RRR…GGG…BBB… into RGBRGB….
func interleave(b []byte, npix, size int) []byte {
	out := make([]byte, len(b))
	for p := 0; p < npix; p++ {
		for c := 0; c < 3; c++ {
			copy(out[(p*3+c)*size:(p*3+c+1)*size], b[(c*npix+p)*size:(c*npix+p+1)*size])
		}
	}
	return out
}

// toGrey reduces colour to one sample: Y for YBR data, Rec. 601 luma for
// RGB. Annotation works on one channel; colour DICOM in CT/MR is rare.
// The luma is computed in float from the stored samples (8, 16 or 32
// bits, BitsStored honoured) and written back, rounded, as a stored
// sample of the same size, so it keeps the full range: 32-bit white stays
// 2³²−1.
func toGrey(b []byte, h *header, ybr bool) []byte {
	npix := h.rows * h.cols
	size := h.bitsAllocated / 8
	d := newStoredDecoder(h)
	lo, hi := 0.0, float64(d.mask)
	if d.signed {
		lo, hi = -float64(d.signBit), float64(d.signBit)-1
	}
	out := make([]byte, npix*size)
	var s [3]int64
	for p := 0; p < npix; p++ {
		d.row(b, 3*p, 3, s[:])
		y := float64(s[0])
		if !ybr {
			y = 0.299*float64(s[0]) + 0.587*float64(s[1]) + 0.114*float64(s[2])
		}
		putStored(out, p, size, d, math.Min(math.Max(math.Round(y), lo), hi))
	}
	return out
}

// putStored writes v as stored sample p (the inverse of storedDecoder).
func putStored(out []byte, p, size int, d storedDecoder, v float64) {
	raw := (uint32(int64(v)) & d.mask) << d.shift
	switch size {
	case 1:
		out[p] = uint8(raw)
	case 2:
		binary.LittleEndian.PutUint16(out[2*p:], uint16(raw))
	case 4:
		binary.LittleEndian.PutUint32(out[4*p:], raw)
	}
}

// lumaOf422 picks Y out of native YBR_FULL_422 (Y0 Y1 Cb Cr per pair).
func lumaOf422(b []byte, h *header) []byte {
	npix := h.rows * h.cols
	size := h.bitsAllocated / 8
	out := make([]byte, npix*size)
	for p := 0; p < npix; p++ {
		src := (p/2*4 + p%2) * size
		copy(out[p*size:(p+1)*size], b[src:src+size])
	}
	return out
}

// storedDecoder turns native little-endian sample bytes into stored values,
// honouring BitsStored/HighBit and the sign.
type storedDecoder struct {
	bytes    int // 1, 2 or 4
	shift    uint
	mask     uint32
	signed   bool
	signBit  uint32
	extender uint32
}

func newStoredDecoder(h *header) storedDecoder {
	d := storedDecoder{bytes: h.bitsAllocated / 8, signed: h.pixelRep == 1}
	d.shift = uint(h.highBit + 1 - h.bitsStored)
	if h.bitsStored >= 32 {
		d.mask = math.MaxUint32
	} else {
		d.mask = 1<<uint(h.bitsStored) - 1
	}
	d.signBit = 1 << uint(h.bitsStored-1)
	d.extender = ^d.mask
	return d
}

// row decodes n stored values starting at pixel p into dst.
func (d storedDecoder) row(b []byte, p, n int, dst []int64) {
	switch d.bytes {
	case 1:
		for i := 0; i < n; i++ {
			dst[i] = d.value(uint32(b[p+i]))
		}
	case 2:
		b = b[2*p : 2*(p+n)]
		for i := 0; i < n; i++ {
			dst[i] = d.value(uint32(b[2*i]) | uint32(b[2*i+1])<<8)
		}
	case 4:
		b = b[4*p : 4*(p+n)]
		for i := 0; i < n; i++ {
			dst[i] = d.value(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
}

func (d storedDecoder) value(raw uint32) int64 {
	v := (raw >> d.shift) & d.mask
	if d.signed && v&d.signBit != 0 {
		return int64(int32(v | d.extender))
	}
	return int64(v)
}

// chooseType keeps the source's container type when the rescaled range fits
// it (so 12-bit CT with intercept −1024 stays 16-bit), otherwise the
// narrowest integer type, or float32 for a fractional rescale.
func chooseType(lo, hi float64, integral bool, h *header) viewer.DataType {
	if !integral {
		return viewer.Float32
	}
	switch {
	case h.bitsAllocated == 8 && lo >= 0 && hi <= 255:
		return viewer.Uint8
	case h.bitsAllocated == 8 && lo >= -128 && hi <= 127:
		return viewer.Int8
	case h.bitsAllocated <= 16 && lo >= math.MinInt16 && hi <= math.MaxInt16:
		return viewer.Int16
	case h.bitsAllocated <= 16 && lo >= 0 && hi <= math.MaxUint16:
		return viewer.Uint16
	}
	return viewer.SmallestTypeFor(lo, hi, true)
}

var errCancelled = errors.New("cancelled")
