//go:build cgo

package codec

/*
#cgo pkg-config: libopenjp2
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openjpeg.h>

typedef struct {
	const uint8_t* data;
	OPJ_SIZE_T len, pos;
} dl_mem;

static OPJ_SIZE_T dl_read(void* buf, OPJ_SIZE_T n, void* u) {
	dl_mem* m = (dl_mem*)u;
	if (m->pos >= m->len) return (OPJ_SIZE_T)-1;
	OPJ_SIZE_T r = m->len - m->pos;
	if (r > n) r = n;
	memcpy(buf, m->data + m->pos, r);
	m->pos += r;
	return r;
}

static OPJ_OFF_T dl_skip(OPJ_OFF_T n, void* u) {
	dl_mem* m = (dl_mem*)u;
	if (n < 0) {
		if ((OPJ_SIZE_T)(-n) > m->pos) return -1;
		m->pos -= (OPJ_SIZE_T)(-n);
		return n;
	}
	// Skipping past the end is how OpenJPEG finds a truncated stream:
	// clamp and report the bytes actually skipped.
	OPJ_SIZE_T left = m->len - m->pos;
	if ((OPJ_SIZE_T)n > left) n = (OPJ_OFF_T)left;
	m->pos += (OPJ_SIZE_T)n;
	return n;
}

static OPJ_BOOL dl_seek(OPJ_OFF_T off, void* u) {
	dl_mem* m = (dl_mem*)u;
	if (off < 0 || (OPJ_SIZE_T)off > m->len) return OPJ_FALSE;
	m->pos = (OPJ_SIZE_T)off;
	return OPJ_TRUE;
}

typedef struct {
	char msg[512];
	int stage; // 1 header, 2 layout mismatch, 3 decode
	uint32_t w, h, nc, dx, dy, prec, sgnd;
} dl_j2k_result;

static void dl_err(const char* msg, void* u) {
	dl_j2k_result* r = (dl_j2k_result*)u;
	size_t have = strlen(r->msg);
	if (have + 2 < sizeof r->msg) {
		if (have) { r->msg[have++] = ';'; r->msg[have++] = ' '; r->msg[have] = 0; }
		strncat(r->msg, msg, sizeof r->msg - have - 1);
		// OpenJPEG messages end in a newline.
		size_t l = strlen(r->msg);
		while (l && (r->msg[l-1] == '\n' || r->msg[l-1] == '\r')) r->msg[--l] = 0;
	}
}

static void dl_quiet(const char* msg, void* u) { (void)msg; (void)u; }

// dl_j2k_decode runs the whole decode inside one cgo call so OpenJPEG never
// keeps the Go-owned input after C returns. It checks the header against the
// DICOM layout before opj_decode allocates tile buffers, so a forged header
// cannot make it allocate more than the frame needs. The image it returns is
// C memory the caller frees with opj_image_destroy.
static opj_image_t* dl_j2k_decode(const void* src, size_t n, int jp2, uint32_t w, uint32_t h, uint32_t nc, dl_j2k_result* r) {
	dl_mem m = { (const uint8_t*)src, n, 0 };
	opj_image_t* img = NULL;
	opj_dparameters_t p;
	opj_codec_t* codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	if (!codec) { r->stage = 1; strcpy(r->msg, "cannot create decoder"); return NULL; }
	opj_set_info_handler(codec, dl_quiet, NULL);
	opj_set_warning_handler(codec, dl_quiet, NULL);
	opj_set_error_handler(codec, dl_err, r);
	opj_set_default_decoder_parameters(&p);
	opj_stream_t* s = NULL;
	r->stage = 1;
	if (!opj_setup_decoder(codec, &p)) goto fail;
	// Strict mode makes a truncated codestream an error rather than a
	// silently blurred image.
	opj_decoder_set_strict_mode(codec, OPJ_TRUE);
	s = opj_stream_create(n < (1u << 20) ? n : (1u << 20), OPJ_TRUE);
	if (!s) goto fail;
	opj_stream_set_user_data(s, &m, NULL);
	opj_stream_set_user_data_length(s, n);
	opj_stream_set_read_function(s, dl_read);
	opj_stream_set_skip_function(s, dl_skip);
	opj_stream_set_seek_function(s, dl_seek);
	if (!opj_read_header(s, codec, &img)) goto fail;
	r->nc = img->numcomps;
	r->w = img->x1 - img->x0;
	r->h = img->y1 - img->y0;
	if (img->numcomps > 0) {
		r->dx = img->comps[0].dx; r->dy = img->comps[0].dy;
		r->prec = img->comps[0].prec; r->sgnd = img->comps[0].sgnd;
	}
	if (img->x1 < img->x0 || img->y1 < img->y0 || r->w != w || r->h != h || r->nc != nc) { r->stage = 2; goto fail; }
	for (uint32_t i = 0; i < img->numcomps; i++) {
		opj_image_comp_t* c = &img->comps[i];
		if (c->dx != 1 || c->dy != 1 || c->prec != img->comps[0].prec || c->sgnd != img->comps[0].sgnd) {
			r->dx = c->dx; r->dy = c->dy; r->prec = c->prec; r->sgnd = c->sgnd;
			r->stage = 2; goto fail;
		}
	}
	r->stage = 3;
	if (!opj_decode(codec, s, img)) goto fail;
	if (!opj_end_decompress(codec, s)) goto fail;
	for (uint32_t i = 0; i < img->numcomps; i++) {
		opj_image_comp_t* c = &img->comps[i];
		if (!c->data || c->w != w || c->h != h) { strcpy(r->msg, "decoded component has no data or the wrong size"); goto fail; }
	}
	opj_stream_destroy(s);
	opj_destroy_codec(codec);
	r->stage = 0;
	return img;
fail:
	if (s) opj_stream_destroy(s);
	opj_destroy_codec(codec);
	if (img) opj_image_destroy(img);
	return NULL;
}
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"
)

const haveJ2K = true

// OpenJPEG before 2.5.1 asserts (aborting the whole process, which no
// recover can catch) on some damaged HT code-blocks (upstream issue 1500,
// fixed by pull request 1436), and 2.5.0 also decodes signed HT data wrongly
// (see the known issue in the fixtures). Debian bookworm ships 2.5.0 with
// assertions on, so HT decoding is enabled only from 2.5.1.
var (
	openJPEGVersion = C.GoString(C.opj_version())
	haveHTJ2K       = versionAtLeast(openJPEGVersion, 2, 5, 1)
)

func versionAtLeast(v string, want ...int) bool {
	parts := strings.Split(v, ".")
	for i, w := range want {
		if i >= len(parts) {
			return false
		}
		n, err := strconv.Atoi(strings.TrimFunc(parts[i], func(r rune) bool { return r < '0' || r > '9' }))
		if err != nil {
			return false
		}
		if n != w {
			return n > w
		}
	}
	return true
}

var (
	j2kMagic = []byte{0xFF, 0x4F, 0xFF, 0x51}
	jp2Magic = []byte{0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}
)

// decodeJ2K decodes JPEG 2000 and HTJ2K with OpenJPEG, which reads both
// Part 1 and Part 15 (high-throughput) code-blocks since 2.5.
func decodeJ2K(data []byte, f Frame, out []byte) error {
	jp2 := 0
	switch {
	case bytes.HasPrefix(data, j2kMagic):
	case bytes.HasPrefix(data, jp2Magic):
		// DICOM forbids the JP2 wrapper, but some writers add it anyway.
		jp2 = 1
	default:
		return errors.New("neither a JPEG 2000 codestream (FF4F FF51) nor a JP2 file")
	}
	cs, err := j2kCodestream(data, jp2 == 1)
	if err != nil {
		return err
	}
	if !haveHTJ2K {
		ht, err := j2kUsesHT(cs)
		if err != nil {
			return err
		}
		if ht {
			return unsupported(
				fmt.Sprintf("High-Throughput (HT) code-blocks are not decoded with OpenJPEG %s, the version this build links, because it can abort the whole viewer on damaged HT data", openJPEGVersion),
				fmt.Sprintf("OpenJPEG ≥ 2.5.1; this build has %s", openJPEGVersion))
		}
	}
	var r C.dl_j2k_result
	img := C.dl_j2k_decode(unsafe.Pointer(unsafe.SliceData(data)), C.size_t(len(data)), C.int(jp2),
		C.uint32_t(f.Cols), C.uint32_t(f.Rows), C.uint32_t(f.SamplesPerPixel), &r)
	if img == nil {
		msg := C.GoString(&r.msg[0])
		switch r.stage {
		case 2:
			switch {
			case int(r.w) != f.Cols:
				return errMismatch("Columns", int(r.w), f.Cols)
			case int(r.h) != f.Rows:
				return errMismatch("Rows", int(r.h), f.Rows)
			case int(r.nc) != f.SamplesPerPixel:
				return errMismatch("SamplesPerPixel (components)", int(r.nc), f.SamplesPerPixel)
			case r.dx != 1 || r.dy != 1:
				return unsupported(fmt.Sprintf("JPEG 2000 components subsampled %d×%d are not decoded", r.dx, r.dy), "component up-sampling, which DICOM does not use and this viewer lacks, or "+convertFirst)
			default:
				return unsupported(fmt.Sprintf("JPEG 2000 components that differ in precision or sign (one is %d-bit, signed %d) have no DICOM layout", r.prec, r.sgnd), convertFirst)
			}
		case 1:
			return fmt.Errorf("OpenJPEG cannot read the header: %s", msg)
		default:
			return fmt.Errorf("OpenJPEG decode failed: %s", msg)
		}
	}
	defer C.opj_image_destroy(img)
	nc := int(img.numcomps)
	comps := unsafe.Slice(img.comps, nc)
	prec, sgnd := int(comps[0].prec), comps[0].sgnd != 0
	if prec < 1 || prec > f.BitsAllocated {
		return fmt.Errorf("JPEG 2000 precision %d outside 1..BitsAllocated (%d)", prec, f.BitsAllocated)
	}
	npix := f.Rows * f.Cols
	// Unsigned components in a signed frame are a known encoder slip (the
	// codestream says unsigned, the header says signed): reinterpret the
	// bit pattern as two's complement. Signed components already are.
	sb := 0
	if !sgnd {
		sb = signBits(f, prec)
	}
	ba := f.BitsAllocated
	if nc == 1 && ba == 16 {
		src := unsafe.Slice((*int32)(unsafe.Pointer(comps[0].data)), npix)
		out = out[:2*npix]
		for i, v := range src {
			u := extend(uint32(v), sb)
			out[2*i] = byte(u)
			out[2*i+1] = byte(u >> 8)
		}
		return nil
	}
	for c := 0; c < nc; c++ {
		src := unsafe.Slice((*int32)(unsafe.Pointer(comps[c].data)), npix)
		for i, v := range src {
			putSample(out, i*nc+c, extend(uint32(v), sb), ba)
		}
	}
	return nil
}
