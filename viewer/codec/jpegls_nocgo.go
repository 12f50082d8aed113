//go:build !cgo

package codec

const haveJPEGLS = false

func decodeJPEGLS(data []byte, f Frame, out []byte) error {
	return unsupported("JPEG-LS is not decoded by a build without cgo", "a cgo build with CharLS (Debian libcharls-dev)")
}
