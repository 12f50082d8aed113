package codec

import (
	"errors"
	"fmt"
	"strings"
)

// UnsupportedError is what Decode returns for a frame this build cannot
// decode: the syntax in words, what in the frame is the obstacle, and what
// would decode it. errors.Is(err, ErrUnsupported) holds for it, so callers
// can tell "cannot" from "damaged".
type UnsupportedError struct {
	Syntax string // the transfer syntax in words (SyntaxName)
	What   string // what this build cannot decode
	Needs  string // what would: a library, a build option, a conversion
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("codec: %s: %s; needs %s", e.Syntax, e.What, e.Needs)
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// unsupported builds the error for a decoder, which does not know the
// syntax's name; Decode fills it in.
func unsupported(what, needs string) error {
	return &UnsupportedError{What: what, Needs: needs}
}

// convertFirst is the advice for what no build of this viewer decodes.
const convertFirst = "conversion to an uncompressed transfer syntax first (for example gdcmconv --raw, or dcmdjpeg for JPEG)"

// whyNotDecoded explains a syntax that Decode has no decoder for.
func whyNotDecoded(ts string) (what, needs string) {
	switch {
	case ts == TSExplicitVRLittleEndian || ts == TSImplicitVRLittleEndian ||
		ts == TSExplicitVRBigEndian || ts == TSDeflatedExplicitVRLE || ts == "1.2.840.10008.1.2.1.98":
		return "not a compressed pixel encoding", "no decoding: PixelData is read as it is"
	case ts == "1.2.840.10008.1.2.4.94" || ts == "1.2.840.10008.1.2.4.95":
		return "the pixels are on a JPIP server, not in the file", "the image fetched from that server as a JPEG 2000 file"
	case ts == "1.2.840.10008.1.2.4.92" || ts == "1.2.840.10008.1.2.4.93":
		return "JPEG 2000 Part 2 multi-component transforms are not decoded", "a JPEG 2000 Part 2 decoder, or " + convertFirst
	case strings.HasPrefix(ts, "1.2.840.10008.1.2.4.10"):
		return "video is not decoded by this viewer", "a video decoder: export the frames to an image syntax first"
	case strings.HasPrefix(ts, "1.2.840.10008.1.2.4.11"):
		return "JPEG XL is not decoded by this viewer", "a JPEG XL decoder (libjxl), or " + convertFirst
	case strings.HasPrefix(ts, "1.2.840.10008.1.2.4."):
		// The retired JPEG processes (.52–.66 but .57).
		return "retired JPEG processes are not decoded by this viewer", convertFirst
	case ts == "1.2.840.10008.1.2.6.1" || ts == "1.2.840.10008.1.2.6.2":
		return "the file holds a document, not encapsulated pixel data", "a viewer for that encoding"
	}
	return "no decoder for this transfer syntax", "a viewer that knows it, or " + convertFirst
}

// decodeFailed is the error for a decoder that panicked: the message says
// the data is damaged, not what the runtime said, which means nothing to a
// user; the recovered value stays in the error for debugging.
type decodeFailed struct {
	syntax string
	value  any
}

func (e *decodeFailed) Error() string {
	return fmt.Sprintf("codec: %s: the frame's compressed data is damaged (the decoder could not follow it)", e.syntax)
}

// finish gives a decoder's error the syntax name.
func finish(name string, err error) error {
	var df *decodeFailed
	if errors.As(err, &df) {
		return df
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) {
		if ue.Syntax == "" {
			ue.Syntax = name
		}
		return ue
	}
	return fmt.Errorf("codec: %s: %w", name, err)
}
