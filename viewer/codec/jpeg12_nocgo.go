//go:build !cgo || nojpeg12

package codec

const haveJPEG12 = false

func decodeJPEG12(data []byte, f Frame, out []byte, in jpegInfo) error {
	return unsupported("12-bit DCT JPEG is not decoded by this build (the Go decoder reads 8-bit DCT only)", "a cgo build with GDCM's 12-bit libjpeg (Debian libgdcm-dev), without the nojpeg12 tag")
}
