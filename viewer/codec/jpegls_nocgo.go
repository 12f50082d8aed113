//go:build !cgo

package codec

import "fmt"

const haveJPEGLS = false

func decodeJPEGLS(data []byte, f Frame, out []byte) error {
	return fmt.Errorf("JPEG-LS needs a cgo build with CharLS (libcharls-dev): %w", ErrUnsupported)
}
