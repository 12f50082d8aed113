//go:build cgo && !nojpeg12

package codec

/*
// GDCM's IJG libjpeg 6b built for 12-bit samples (Debian libgdcm-dev, the
// runtime library is in libgdcm3.0). Its symbols carry a gdcmjpeg12_ prefix,
// which the headers' mangling table applies, so it cannot clash with the
// 8-bit libjpeg other libraries may pull in. GDCM installs no pkg-config
// file, hence the fixed include path.
#cgo CFLAGS: -I/usr/include/gdcm-3.0/gdcmjpeg/12
#cgo LDFLAGS: -lgdcmjpeg12
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
// The library is built with lossless support, which adds a method to
// struct jpeg_memory_mgr; JPEG_INTERNAL_OPTIONS makes the header declare
// the same layout (it defines D_LOSSLESS_SUPPORTED and friends, nothing
// internal).
#define JPEG_INTERNAL_OPTIONS
#include "jpeglib.h"
#include "jerror.h"

typedef struct {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX + 64];
	int corrupt; // a warning that means the data is damaged
} dl_j12_err;

typedef struct {
	struct jpeg_source_mgr pub;
	int ran_out;
} dl_j12_src;

// IJG's default error_exit prints and calls exit(): the whole viewer would
// go. Jump back to dl_j12_decode instead; the library is then cleaned up
// with jpeg_destroy_decompress.
static void dl_j12_error_exit(j_common_ptr c) {
	dl_j12_err* e = (dl_j12_err*)c->err;
	(*c->err->format_message)(c, e->msg);
	longjmp(e->jb, 1);
}

// Warnings (level -1) about damaged entropy-coded data are kept: a frame
// whose Huffman codes are broken is an error here, as it is in the Go
// decoders, rather than a quietly scrambled image. Trace messages are
// dropped; nothing is printed.
static void dl_j12_emit(j_common_ptr c, int level) {
	dl_j12_err* e = (dl_j12_err*)c->err;
	if (level >= 0) return;
	int code = c->err->msg_code;
	// JWRN_HIT_MARKER: entropy-coded data ran into a marker (or the end
	// of the data) while bits were still needed: a truncated scan.
	if (code == JWRN_HUFF_BAD_CODE || code == JWRN_HIT_MARKER) {
		if (!e->corrupt) (*c->err->format_message)(c, e->msg);
		e->corrupt = 1;
	}
	c->err->num_warnings++;
}

static void dl_j12_init_source(j_decompress_ptr d) { (void)d; }

// The whole frame is in memory, so running out means the data ended: note
// it and feed an EOI, as IJG's own sources do. The Huffman decoder reads
// ahead, so running out is not itself an error; a scan that needed the
// missing bits reports JWRN_HIT_MARKER.
static boolean dl_j12_fill(j_decompress_ptr d) {
	static const JOCTET eoi[2] = { 0xFF, JPEG_EOI };
	dl_j12_src* s = (dl_j12_src*)d->src;
	s->ran_out = 1;
	s->pub.next_input_byte = eoi;
	s->pub.bytes_in_buffer = 2;
	return TRUE;
}

static void dl_j12_skip(j_decompress_ptr d, long n) {
	dl_j12_src* s = (dl_j12_src*)d->src;
	if (n <= 0) return;
	if ((size_t)n > s->pub.bytes_in_buffer) {
		dl_j12_fill(d);
		return;
	}
	s->pub.next_input_byte += n;
	s->pub.bytes_in_buffer -= (size_t)n;
}

static void dl_j12_term(j_decompress_ptr d) { (void)d; }

typedef struct {
	int stage; // 0 ok, 1 error before the header was read, 2 header mismatch, 3 error while decoding
	int w, h, nc, prec, process, lossy, sof_rgb;
	char msg[JMSG_LENGTH_MAX + 64];
} dl_j12_result;

// dl_j12_decode decodes one 12-bit DCT frame into dst (w*h*nc little-endian
// uint16 samples) inside a single cgo call, so the library never holds Go
// memory after C returns. It reads the header, checks it against the DICOM
// layout, and only then lets the library allocate its buffers, so a forged
// header costs an error, not a large allocation. rgb: 0 keep libjpeg's
// colour-space guess (YCbCr converted to RGB), 1 treat three components as
// RGB with no transform (DICOM's RGB without JFIF or Adobe marker).
static void dl_j12_decode(const void* src, size_t n, uint16_t* dst, int w, int h, int nc, int rgb, dl_j12_result* r) {
	struct jpeg_decompress_struct d;
	dl_j12_err e;
	dl_j12_src s;
	memset(&d, 0, sizeof d);
	memset(&e, 0, sizeof e);
	memset(&s, 0, sizeof s);
	d.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = dl_j12_error_exit;
	e.pub.emit_message = dl_j12_emit;
	r->stage = 1;
	if (setjmp(e.jb)) {
		strncpy(r->msg, e.msg, sizeof r->msg - 1);
		jpeg_destroy_decompress(&d);
		return;
	}
	jpeg_create_decompress(&d);
	s.pub.init_source = dl_j12_init_source;
	s.pub.fill_input_buffer = dl_j12_fill;
	s.pub.skip_input_data = dl_j12_skip;
	s.pub.resync_to_restart = jpeg_resync_to_restart;
	s.pub.term_source = dl_j12_term;
	s.pub.next_input_byte = (const JOCTET*)src;
	s.pub.bytes_in_buffer = n;
	d.src = &s.pub;
	jpeg_read_header(&d, TRUE);
	r->w = (int)d.image_width;
	r->h = (int)d.image_height;
	r->nc = d.num_components;
	r->prec = d.data_precision;
	r->process = (int)d.process;
	r->lossy = d.process != JPROC_LOSSLESS;
	if (r->w != w || r->h != h || r->nc != nc || r->prec != 12 || !r->lossy || s.ran_out || e.corrupt) {
		r->stage = 2;
		if (e.corrupt) { r->stage = 3; strncpy(r->msg, e.msg, sizeof r->msg - 1); }
		else if (s.ran_out) { r->stage = 3; strcpy(r->msg, "the data ends inside the JPEG header"); }
		jpeg_destroy_decompress(&d);
		return;
	}
	if (nc == 3) {
		if (rgb) d.jpeg_color_space = JCS_RGB;
		d.out_color_space = JCS_RGB;
	} else {
		d.out_color_space = JCS_GRAYSCALE;
	}
	r->stage = 3;
	jpeg_start_decompress(&d);
	if ((int)d.output_width != w || (int)d.output_height != h || d.output_components != nc) {
		strcpy(r->msg, "decoder output size differs from the header");
		jpeg_destroy_decompress(&d);
		return;
	}
	while (d.output_scanline < d.output_height) {
		JDIMENSION y = d.output_scanline;
		// 12-bit JSAMPLE is a short holding 0..4095, the same bits as the
		// uint16 the DICOM layout wants, so rows are decoded in place.
		JSAMPROW row[1] = { (JSAMPROW)(dst + (size_t)y * (size_t)(w * nc)) };
		if (jpeg_read_scanlines(&d, row, 1) != 1) {
			strcpy(r->msg, "decoder stopped before the last row");
			jpeg_destroy_decompress(&d);
			return;
		}
		if (e.corrupt) break;
	}
	if (e.corrupt) {
		strncpy(r->msg, e.msg, sizeof r->msg - 1);
		jpeg_destroy_decompress(&d);
		return;
	}
	// Multi-scan frames are read whole before the first row comes out, and
	// a missing scan leaves no other trace than the missing EOI.
	if (s.ran_out && jpeg_has_multiple_scans(&d)) {
		strcpy(r->msg, "the compressed data ends before the last scan");
		jpeg_destroy_decompress(&d);
		return;
	}
	// A single-scan stream that ends without its EOI marker is accepted:
	// every row is there, or JWRN_HIT_MARKER said otherwise.
	jpeg_abort_decompress(&d);
	jpeg_destroy_decompress(&d);
	r->stage = 0;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

const haveJPEG12 = true

// decodeJPEG12 decodes a 12-bit DCT (JPEG Extended) frame with GDCM's
// 12-bit build of IJG libjpeg. Output is 16-bit little-endian samples, grey
// or RGB interleaved.
func decodeJPEG12(data []byte, f Frame, out []byte, in jpegInfo) error {
	if f.BitsAllocated != 16 {
		return fmt.Errorf("12-bit JPEG in a %d-bit container: BitsAllocated must be 16", f.BitsAllocated)
	}
	if in.nf != f.SamplesPerPixel {
		return errMismatch("SamplesPerPixel (components)", in.nf, f.SamplesPerPixel)
	}
	if len(out) != 2*f.Rows*f.Cols*f.SamplesPerPixel {
		return fmt.Errorf("output buffer of %d bytes for a %d×%d×%d frame", len(out), f.Rows, f.Cols, f.SamplesPerPixel)
	}
	rgb := 0
	if in.nf == 3 && f.PhotometricInterpretation == "RGB" && !in.jfif && !in.adobe {
		rgb = 1
	}
	var r C.dl_j12_result
	C.dl_j12_decode(unsafe.Pointer(unsafe.SliceData(data)), C.size_t(len(data)),
		(*C.uint16_t)(unsafe.Pointer(unsafe.SliceData(out))),
		C.int(f.Cols), C.int(f.Rows), C.int(f.SamplesPerPixel), C.int(rgb), &r)
	msg := C.GoString(&r.msg[0])
	switch r.stage {
	case 0:
		// The library writes host-order uint16; every platform this viewer
		// ships on is little-endian, so out already holds the DICOM layout.
		return nil
	case 1:
		return fmt.Errorf("12-bit JPEG header unreadable: %s", msg)
	case 2:
		switch {
		case int(r.w) != f.Cols:
			return errMismatch("Columns", int(r.w), f.Cols)
		case int(r.h) != f.Rows:
			return errMismatch("Rows", int(r.h), f.Rows)
		case int(r.nc) != f.SamplesPerPixel:
			return errMismatch("SamplesPerPixel (components)", int(r.nc), f.SamplesPerPixel)
		case r.lossy == 0:
			return fmt.Errorf("12-bit decoder found a lossless frame where a DCT frame was expected")
		default:
			return fmt.Errorf("JPEG precision %d, but the 12-bit decoder reads 12 only", int(r.prec))
		}
	default:
		return fmt.Errorf("12-bit JPEG decode failed: %s", msg)
	}
}
