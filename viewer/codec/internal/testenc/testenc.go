//go:build cgo

// Package testenc encodes test images with CharLS and OpenJPEG so the codec
// tests can make round-trip fixtures at run time. It is a separate package
// because cgo is not allowed in _test.go files; nothing but tests imports it.
package testenc

/*
#cgo pkg-config: charls libopenjp2
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <charls/charls.h>
#include <openjpeg.h>


static int te_jls(const void* src, size_t srcn, uint32_t w, uint32_t h, int bits, int comps,
                  int ilv, int near_, void* dst, size_t dstn, size_t* written) {
	charls_jpegls_encoder* e = charls_jpegls_encoder_create();
	if (!e) return -1;
	charls_frame_info fi = { w, h, bits, comps };
	charls_jpegls_errc rc = charls_jpegls_encoder_set_frame_info(e, &fi);
	if (!rc) rc = charls_jpegls_encoder_set_interleave_mode(e, (charls_interleave_mode)ilv);
	if (!rc) rc = charls_jpegls_encoder_set_near_lossless(e, near_);
	if (!rc) rc = charls_jpegls_encoder_set_destination_buffer(e, dst, dstn);
	if (!rc) rc = charls_jpegls_encoder_encode_from_buffer(e, src, srcn, 0);
	if (!rc) rc = charls_jpegls_encoder_get_bytes_written(e, written);
	charls_jpegls_encoder_destroy(e);
	return (int)rc;
}

typedef struct { uint8_t* buf; size_t len, cap; } te_out;

static OPJ_SIZE_T te_write(void* b, OPJ_SIZE_T n, void* u) {
	te_out* o = (te_out*)u;
	if (o->len + n > o->cap) return (OPJ_SIZE_T)-1;
	memcpy(o->buf + o->len, b, n);
	o->len += n;
	return n;
}
static OPJ_OFF_T te_skip(OPJ_OFF_T n, void* u) {
	te_out* o = (te_out*)u;
	if (o->len + n > o->cap) return -1;
	o->len += n;
	return n;
}
static OPJ_BOOL te_seek(OPJ_OFF_T n, void* u) {
	te_out* o = (te_out*)u;
	if (n < 0 || (size_t)n > o->cap) return OPJ_FALSE;
	o->len = n;
	return OPJ_TRUE;
}

// te_j2k encodes interleaved int32 samples as a J2K codestream; rate 0 is
// lossless (5/3 wavelet), otherwise irreversible 9/7 at that ratio.
static int te_j2k(const int32_t* src, uint32_t w, uint32_t h, int nc, int prec, int sgnd, float rate,
                  int tile, uint8_t* dst, size_t dstn, size_t* written) {
	opj_image_cmptparm_t cp[4];
	memset(cp, 0, sizeof cp);
	for (int c = 0; c < nc; c++) {
		cp[c].dx = cp[c].dy = 1; cp[c].w = w; cp[c].h = h; cp[c].prec = prec; cp[c].sgnd = sgnd;
	}
	opj_image_t* img = opj_image_create(nc, cp, nc == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY);
	if (!img) return -1;
	img->x0 = 0; img->y0 = 0; img->x1 = w; img->y1 = h;
	for (int c = 0; c < nc; c++)
		for (size_t i = 0; i < (size_t)w * h; i++) img->comps[c].data[i] = src[i * nc + c];
	opj_cparameters_t p;
	opj_set_default_encoder_parameters(&p);
	p.tcp_numlayers = 1;
	p.tcp_rates[0] = rate;
	p.cp_disto_alloc = 1;
	if (rate > 0) p.irreversible = 1;
	if (tile > 0) { p.tile_size_on = OPJ_TRUE; p.cp_tdx = tile; p.cp_tdy = tile; }
	p.tcp_mct = nc == 3 ? 1 : 0;
	p.numresolution = 3;
	opj_codec_t* codec = opj_create_compress(OPJ_CODEC_J2K);
	int ok = codec && opj_setup_encoder(codec, &p, img);
	te_out o = { dst, 0, dstn };
	opj_stream_t* s = opj_stream_create(1 << 16, OPJ_FALSE);
	opj_stream_set_user_data(s, &o, NULL);
	opj_stream_set_write_function(s, te_write);
	opj_stream_set_skip_function(s, te_skip);
	opj_stream_set_seek_function(s, te_seek);
	ok = ok && opj_start_compress(codec, img, s) && opj_encode(codec, s) && opj_end_compress(codec, s);
	opj_stream_destroy(s);
	if (codec) opj_destroy_codec(codec);
	opj_image_destroy(img);
	*written = o.len;
	return ok ? 0 : -2;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Interleave modes for JPEGLS.
const (
	InterleaveNone   = 0
	InterleaveLine   = 1
	InterleaveSample = 2
)

// JPEGLS encodes samples (one byte each when bits <= 8, otherwise
// little-endian uint16, pixel-interleaved; planar when ilv is none).
func JPEGLS(samples []byte, w, h, bits, comps, ilv, near int) ([]byte, error) {
	dst := make([]byte, len(samples)*2+4096)
	var n C.size_t
	rc := C.te_jls(unsafe.Pointer(&samples[0]), C.size_t(len(samples)), C.uint32_t(w), C.uint32_t(h),
		C.int(bits), C.int(comps), C.int(ilv), C.int(near), unsafe.Pointer(&dst[0]), C.size_t(len(dst)), &n)
	if rc != 0 {
		return nil, fmt.Errorf("CharLS encode: %s", C.GoString(C.charls_get_error_message(C.charls_jpegls_errc(rc))))
	}
	return dst[:n], nil
}

// J2K encodes pixel-interleaved samples as a raw codestream. rate 0 is
// lossless; tile 0 is one tile.
func J2K(samples []int32, w, h, nc, prec int, signed bool, rate float32, tile int) ([]byte, error) {
	dst := make([]byte, len(samples)*8+65536)
	var n C.size_t
	sg := 0
	if signed {
		sg = 1
	}
	rc := C.te_j2k((*C.int32_t)(unsafe.Pointer(&samples[0])), C.uint32_t(w), C.uint32_t(h), C.int(nc), C.int(prec),
		C.int(sg), C.float(rate), C.int(tile), (*C.uint8_t)(unsafe.Pointer(&dst[0])), C.size_t(len(dst)), &n)
	if rc != 0 {
		return nil, fmt.Errorf("OpenJPEG encode failed (%d)", int(rc))
	}
	return dst[:n], nil
}
