//go:build !cgo || nojpeg12

package codec

import "fmt"

const haveJPEG12 = false

const jpeg12Decoder = ""

func decodeJPEG12(data []byte, f Frame, out []byte, in jpegInfo) error {
	return fmt.Errorf("12-bit DCT JPEG needs a cgo build with GDCM's 12-bit libjpeg (Debian libgdcm-dev; Go's image/jpeg reads 8-bit only): %w", ErrUnsupported)
}
