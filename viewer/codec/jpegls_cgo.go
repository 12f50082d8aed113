//go:build cgo

package codec

/*
#cgo pkg-config: charls
#include <stdint.h>
#include <stdlib.h>
#include <charls/charls.h>

typedef struct {
	uint32_t width, height;
	int32_t bits, comps, ilv, near_;
	size_t size;
} dl_jls_info;

// dl_jls_decode does every CharLS call for one frame inside a single cgo
// call, so CharLS never holds a Go pointer after C returns (cgo's rule). With
// dst NULL it reads the header only.
static int dl_jls_decode(const void* src, size_t n, void* dst, size_t dstn, dl_jls_info* info) {
	charls_jpegls_decoder* d = charls_jpegls_decoder_create();
	if (!d) return CHARLS_JPEGLS_ERRC_NOT_ENOUGH_MEMORY;
	charls_frame_info fi;
	charls_interleave_mode ilv;
	int32_t near_ = 0;
	size_t size = 0;
	charls_jpegls_errc e = charls_jpegls_decoder_set_source_buffer(d, src, n);
	if (!e) e = charls_jpegls_decoder_read_header(d);
	if (!e) e = charls_jpegls_decoder_get_frame_info(d, &fi);
	if (!e) e = charls_jpegls_decoder_get_interleave_mode(d, &ilv);
	if (!e) e = charls_jpegls_decoder_get_near_lossless(d, 0, &near_);
	if (!e) e = charls_jpegls_decoder_get_destination_size(d, 0, &size);
	if (!e) {
		info->width = fi.width;
		info->height = fi.height;
		info->bits = fi.bits_per_sample;
		info->comps = fi.component_count;
		info->ilv = (int32_t)ilv;
		info->near_ = near_;
		info->size = size;
		if (dst) {
			if (size > dstn) e = CHARLS_JPEGLS_ERRC_DESTINATION_BUFFER_TOO_SMALL;
			else e = charls_jpegls_decoder_decode_to_buffer(d, dst, size, 0);
		}
	}
	charls_jpegls_decoder_destroy(d);
	return (int)e;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

const haveJPEGLS = true

func jlsError(code C.int) error {
	return fmt.Errorf("CharLS: %s", C.GoString(C.charls_get_error_message(C.charls_jpegls_errc(code))))
}

// decodeJPEGLS decodes JPEG-LS with CharLS, the reference implementation
// that DCMTK and GDCM also build on.
func decodeJPEGLS(data []byte, f Frame, out []byte) error {
	var info C.dl_jls_info
	src := unsafe.Pointer(unsafe.SliceData(data))
	if rc := C.dl_jls_decode(src, C.size_t(len(data)), nil, 0, &info); rc != 0 {
		return jlsError(rc)
	}
	w, h, bits, nc := int(info.width), int(info.height), int(info.bits), int(info.comps)
	switch {
	case w != f.Cols:
		return errMismatch("Columns", w, f.Cols)
	case h != f.Rows:
		return errMismatch("Rows", h, f.Rows)
	case nc != f.SamplesPerPixel:
		return errMismatch("SamplesPerPixel (components)", nc, f.SamplesPerPixel)
	case bits < 2 || bits > 16:
		return fmt.Errorf("JPEG-LS precision %d outside 2..16", bits)
	case bits > f.BitsAllocated:
		return fmt.Errorf("JPEG-LS precision %d exceeds BitsAllocated %d", bits, f.BitsAllocated)
	}
	bps := 1
	if bits > 8 {
		bps = 2
	}
	n := w * h * nc
	if int(info.size) != n*bps {
		return fmt.Errorf("CharLS wants %d bytes for a %d×%d×%d frame of %d-bit samples", int(info.size), w, h, nc, bits)
	}
	// CharLS writes interleave mode "none" as one plane per component.
	planar := nc > 1 && info.ilv == C.CHARLS_INTERLEAVE_MODE_NONE
	sb := signBits(f, bits)
	direct := bps*8 == f.BitsAllocated && sb == 0 && !planar
	buf := out
	if !direct {
		buf = make([]byte, n*bps)
	}
	dst := unsafe.Pointer(unsafe.SliceData(buf))
	if rc := C.dl_jls_decode(src, C.size_t(len(data)), dst, C.size_t(len(buf)), &info); rc != 0 {
		return jlsError(rc)
	}
	if direct {
		return nil
	}
	if len(buf) != n*bps {
		return errors.New("JPEG-LS buffer size changed between header and decode")
	}
	mask := uint32(1)<<bits - 1
	npix := w * h
	for i := 0; i < n; i++ {
		src := i
		if planar {
			// Output sample i is component i%nc of pixel i/nc.
			src = (i%nc)*npix + i/nc
		}
		var v uint32
		if bps == 1 {
			v = uint32(buf[src])
		} else {
			// CharLS writes 16-bit samples in host order; every platform
			// this viewer ships on is little-endian.
			v = uint32(buf[2*src]) | uint32(buf[2*src+1])<<8
		}
		putSample(out, i, extend(v&mask, sb), f.BitsAllocated)
	}
	return nil
}
