//go:build !cgo

package codec

import "fmt"

const (
	haveJ2K   = false
	haveHTJ2K = false
)

func decodeJ2K(data []byte, f Frame, out []byte) error {
	return fmt.Errorf("JPEG 2000 needs a cgo build with OpenJPEG (libopenjp2-7-dev): %w", ErrUnsupported)
}
