//go:build !cgo

package codec

const (
	haveJ2K   = false
	haveHTJ2K = false
)

func decodeJ2K(data []byte, f Frame, out []byte) error {
	return unsupported("JPEG 2000 is not decoded by a build without cgo", "a cgo build with OpenJPEG (Debian libopenjp2-7-dev)")
}
