package codec

import (
	"errors"
	"fmt"
)

// Transfer syntax UIDs this package knows by name.
const (
	TSExplicitVRLittleEndian = "1.2.840.10008.1.2.1"
	TSImplicitVRLittleEndian = "1.2.840.10008.1.2"
	TSExplicitVRBigEndian    = "1.2.840.10008.1.2.2"
	TSDeflatedExplicitVRLE   = "1.2.840.10008.1.2.1.99"
	TSRLELossless            = "1.2.840.10008.1.2.5"
	TSJPEGBaseline8          = "1.2.840.10008.1.2.4.50"
	TSJPEGExtended12         = "1.2.840.10008.1.2.4.51"
	TSJPEGLossless           = "1.2.840.10008.1.2.4.57"
	TSJPEGLosslessSV1        = "1.2.840.10008.1.2.4.70"
	TSJPEGLSLossless         = "1.2.840.10008.1.2.4.80"
	TSJPEGLSNearLossless     = "1.2.840.10008.1.2.4.81"
	TSJPEG2000Lossless       = "1.2.840.10008.1.2.4.90"
	TSJPEG2000               = "1.2.840.10008.1.2.4.91"
	TSHTJ2KLossless          = "1.2.840.10008.1.2.4.201"
	TSHTJ2KLosslessRPCL      = "1.2.840.10008.1.2.4.202"
	TSHTJ2K                  = "1.2.840.10008.1.2.4.203"
)

// syntaxNames lets errors name a syntax in words: a UID alone tells a user
// nothing about which encoder produced the file or what would read it.
var syntaxNames = map[string]string{
	TSImplicitVRLittleEndian:  "Implicit VR Little Endian",
	TSExplicitVRLittleEndian:  "Explicit VR Little Endian",
	TSExplicitVRBigEndian:     "Explicit VR Big Endian",
	TSDeflatedExplicitVRLE:    "Deflated Explicit VR Little Endian",
	TSRLELossless:             "RLE Lossless",
	TSJPEGBaseline8:           "JPEG Baseline (8-bit)",
	TSJPEGExtended12:          "JPEG Extended (12-bit)",
	TSJPEGLossless:            "JPEG Lossless (process 14)",
	TSJPEGLosslessSV1:         "JPEG Lossless (selection value 1)",
	TSJPEGLSLossless:          "JPEG-LS Lossless",
	TSJPEGLSNearLossless:      "JPEG-LS Near-Lossless",
	TSJPEG2000Lossless:        "JPEG 2000 Lossless",
	TSJPEG2000:                "JPEG 2000",
	TSHTJ2KLossless:           "High-Throughput JPEG 2000 Lossless",
	TSHTJ2KLosslessRPCL:       "High-Throughput JPEG 2000 RPCL Lossless",
	TSHTJ2K:                   "High-Throughput JPEG 2000",
	"1.2.840.10008.1.2.4.52":  "JPEG Extended (processes 3 and 5, retired)",
	"1.2.840.10008.1.2.4.53":  "JPEG Spectral Selection (retired)",
	"1.2.840.10008.1.2.4.55":  "JPEG Full Progression (retired)",
	"1.2.840.10008.1.2.4.58":  "JPEG Lossless (process 15, retired)",
	"1.2.840.10008.1.2.4.92":  "JPEG 2000 Part 2 Multi-component Lossless",
	"1.2.840.10008.1.2.4.93":  "JPEG 2000 Part 2 Multi-component",
	"1.2.840.10008.1.2.4.94":  "JPIP Referenced",
	"1.2.840.10008.1.2.4.95":  "JPIP Referenced Deflate",
	"1.2.840.10008.1.2.4.100": "MPEG-2 Main Profile",
	"1.2.840.10008.1.2.4.101": "MPEG-2 High Profile",
	"1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264",
	"1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 BD-compatible",
	"1.2.840.10008.1.2.4.104": "MPEG-4 AVC/H.264 for 2D video",
	"1.2.840.10008.1.2.4.105": "MPEG-4 AVC/H.264 for 3D video",
	"1.2.840.10008.1.2.4.106": "MPEG-4 AVC/H.264 Stereo",
	"1.2.840.10008.1.2.4.107": "HEVC/H.265 Main Profile",
	"1.2.840.10008.1.2.4.108": "HEVC/H.265 Main 10 Profile",
	"1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
	"1.2.840.10008.1.2.4.111": "JPEG XL JPEG Recompression",
	"1.2.840.10008.1.2.4.112": "JPEG XL",
	"1.2.840.10008.1.2.6.1":   "RFC 2557 MIME encapsulation",
	"1.2.840.10008.1.2.6.2":   "XML encoding",
	"1.2.840.10008.1.2.1.98":  "Encapsulated Uncompressed Explicit VR Little Endian",
	"1.2.840.10008.1.2.4.54":  "JPEG Extended (processes 2 and 4, retired)",
	"1.2.840.10008.1.2.4.59":  "JPEG Extended Hierarchical (retired)",
	"1.2.840.10008.1.2.4.60":  "JPEG Extended Hierarchical (retired)",
	"1.2.840.10008.1.2.4.61":  "JPEG Extended Hierarchical (retired)",
	"1.2.840.10008.1.2.4.62":  "JPEG Spectral Selection Hierarchical (retired)",
	"1.2.840.10008.1.2.4.63":  "JPEG Spectral Selection Hierarchical (retired)",
	"1.2.840.10008.1.2.4.64":  "JPEG Full Progression Hierarchical (retired)",
	"1.2.840.10008.1.2.4.65":  "JPEG Lossless Hierarchical (retired)",
	"1.2.840.10008.1.2.4.66":  "JPEG Lossless Hierarchical (retired)",
	"1.2.840.10008.1.2.4.56":  "JPEG Full Progression (retired)",
}

// SyntaxName returns the transfer syntax's name in words, or the UID itself
// quoted when the package does not know it.
func SyntaxName(ts string) string {
	if n, ok := syntaxNames[ts]; ok {
		return n
	}
	return fmt.Sprintf("transfer syntax %q", ts)
}

// Frame describes the pixel layout of one frame, from the DICOM header.
type Frame struct {
	Rows, Cols                int
	SamplesPerPixel           int // 1 (grey) or 3 (colour)
	BitsAllocated             int // 8 or 16 (32 where the codec allows)
	BitsStored                int
	PixelRepresentation       int    // 0 unsigned, 1 signed (two's complement)
	PhotometricInterpretation string // e.g. MONOCHROME2, RGB, YBR_FULL_422
}

// ErrUnsupported is what every refusal from Decode matches with errors.Is:
// a syntax, or a feature of a frame, that this build cannot decode. The
// errors themselves are *UnsupportedError, which says what would.
var ErrUnsupported = errors.New("not decodable by this build")

// maxFrameBytes bounds one decoded frame. The output size comes from the
// DICOM header, which a damaged or hostile file controls; no real single
// frame (tiled whole-slide images included) comes near this.
const maxFrameBytes = 1 << 30

// Supported reports whether ts is a compressed syntax this build can decode.
// JPEG Extended reports true because its 8-bit frames always decode; 12-bit
// ones need the cgo build with GDCM's 12-bit libjpeg and otherwise fail
// with ErrUnsupported.
func Supported(ts string) bool {
	switch ts {
	case TSRLELossless, TSJPEGBaseline8, TSJPEGExtended12, TSJPEGLossless, TSJPEGLosslessSV1:
		return true
	case TSJPEGLSLossless, TSJPEGLSNearLossless:
		return haveJPEGLS
	case TSJPEG2000Lossless, TSJPEG2000:
		return haveJ2K
	case TSHTJ2KLossless, TSHTJ2KLosslessRPCL, TSHTJ2K:
		return haveHTJ2K
	}
	return false
}

// Decode decodes one compressed frame of transfer syntax ts into native
// little-endian bytes laid out exactly as uncompressed PixelData would be:
// Rows*Cols*SamplesPerPixel*BitsAllocated/8 bytes, samples interleaved
// (planar configuration 0). Signed data is two's complement in the container.
//
// Colour JPEG Baseline frames come out as RGB whatever the header's
// PhotometricInterpretation (YBR_FULL_422 included), so the caller should
// treat the result as RGB. JPEG 2000 frames with a multi-component transform
// likewise come out as RGB.
func Decode(ts string, data []byte, f Frame) ([]byte, error) {
	name := SyntaxName(ts)
	n, err := f.outputSize()
	if err != nil {
		return nil, fmt.Errorf("codec: %s: %w", name, err)
	}
	var dec func([]byte, Frame, []byte) error
	switch ts {
	case TSRLELossless:
		dec = decodeRLE
	case TSJPEGLossless, TSJPEGLosslessSV1:
		dec = decodeJPEGLossless
	case TSJPEGBaseline8, TSJPEGExtended12:
		dec = decodeJPEGBaseline
	case TSJPEGLSLossless, TSJPEGLSNearLossless:
		dec = decodeJPEGLS
	case TSJPEG2000Lossless, TSJPEG2000, TSHTJ2KLossless, TSHTJ2KLosslessRPCL, TSHTJ2K:
		dec = decodeJ2K
	default:
		what, needs := whyNotDecoded(ts)
		return nil, &UnsupportedError{Syntax: name, What: what, Needs: needs}
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("codec: %s: empty frame", name)
	}
	out := make([]byte, n)
	if err := safely(name, func() error { return dec(data, f, out) }); err != nil {
		return nil, finish(name, err)
	}
	return out, nil
}

// safely runs a decoder, turning a panic into a *decodeFailed. The
// hand-written decoders index slices from values read out of the stream; a
// bug there must cost the caller one frame, not the viewer.
func safely(name string, dec func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &decodeFailed{syntax: name, value: r}
		}
	}()
	return dec()
}

// outputSize validates the layout and returns the decoded frame's size.
func (f Frame) outputSize() (int, error) {
	switch {
	case f.Rows <= 0 || f.Cols <= 0 || f.Rows > 65535 || f.Cols > 65535:
		return 0, fmt.Errorf("frame size %d×%d (rows×cols) out of range 1..65535", f.Rows, f.Cols)
	case f.SamplesPerPixel != 1 && f.SamplesPerPixel != 3:
		return 0, fmt.Errorf("SamplesPerPixel %d, want 1 or 3", f.SamplesPerPixel)
	case f.BitsAllocated != 8 && f.BitsAllocated != 16 && f.BitsAllocated != 32:
		return 0, fmt.Errorf("BitsAllocated %d, want 8, 16 or 32", f.BitsAllocated)
	case f.BitsStored < 1 || f.BitsStored > f.BitsAllocated:
		return 0, fmt.Errorf("BitsStored %d outside 1..BitsAllocated (%d)", f.BitsStored, f.BitsAllocated)
	case f.PixelRepresentation != 0 && f.PixelRepresentation != 1:
		return 0, fmt.Errorf("PixelRepresentation %d, want 0 or 1", f.PixelRepresentation)
	}
	n := f.Rows * f.Cols * f.SamplesPerPixel * (f.BitsAllocated / 8)
	if n > maxFrameBytes {
		return 0, fmt.Errorf("frame of %d bytes exceeds the %d byte limit", n, maxFrameBytes)
	}
	return n, nil
}

// signBits returns the width from which decoded values must be sign-extended
// to fill the container, or 0 when they must not be. Codecs other than JPEG
// 2000 carry no sign: they store the low bits of the two's complement value.
// The narrower of the codestream precision and BitsStored is the sign bit's
// position, because encoders disagree on whether precision is BitsStored or
// the container width (when it is the container, the data is already
// extended and extending again from BitsStored changes nothing).
func signBits(f Frame, precision int) int {
	if f.PixelRepresentation != 1 {
		return 0
	}
	b := min(precision, f.BitsStored)
	if b >= f.BitsAllocated {
		return 0
	}
	return b
}

// putSample stores v (already the container's bit pattern) at sample index
// i of a little-endian container of ba bits.
func putSample(out []byte, i int, v uint32, ba int) {
	switch ba {
	case 8:
		out[i] = byte(v)
	case 16:
		out[2*i] = byte(v)
		out[2*i+1] = byte(v >> 8)
	default:
		out[4*i] = byte(v)
		out[4*i+1] = byte(v >> 8)
		out[4*i+2] = byte(v >> 16)
		out[4*i+3] = byte(v >> 24)
	}
}

// extend sign-extends the low bits of v when bits > 0.
func extend(v uint32, bits int) uint32 {
	if bits <= 0 || bits >= 32 {
		return v
	}
	s := 32 - bits
	return uint32(int32(v<<s) >> s)
}

func errMismatch(what string, stream, header int) error {
	return fmt.Errorf("%s is %d in the compressed stream but %d in the DICOM header", what, stream, header)
}

// Decodes12BitJPEG reports whether this build decodes 12-bit DCT JPEG
// (JPEG Extended): it needs cgo and GDCM's 12-bit libjpeg (see doc.go).
func Decodes12BitJPEG() bool { return haveJPEG12 }
