package codec

import (
	"bytes"
	"errors"
	"fmt"
	"image"

	"delineate/viewer/codec/internal/ijpeg"
)

// jpegInfo is what the DCT JPEG wrapper needs to know before handing the
// stream to the decoder.
type jpegInfo struct {
	sof       byte // SOFn marker of the frame
	precision int
	nf        int
	jfif      bool
	adobe     bool
	adobeXfm  int   // the Adobe marker's colour transform code
	adobeOff  int   // offset of that code in the stream
	sofIDs    int   // offset of the SOF's first component id
	sosIDs    []int // offsets of each SOS's first component selector
	sosCounts []int
	sawFrame  bool
	raw       []byte // the stream scanned
}

// scanJPEGHeaders walks the marker segments up to the first scan's data and
// records where component ids live, so they can be rewritten.
func scanJPEGHeaders(data []byte) (jpegInfo, error) {
	in := jpegInfo{raw: data}
	if len(data) < 4 || data[0] != 0xFF || data[1] != mSOI {
		return in, errors.New("not a JPEG stream (no SOI marker)")
	}
	pos := 2
	for pos+4 <= len(data) {
		if data[pos] != 0xFF {
			return in, fmt.Errorf("expected a marker at offset %d", pos)
		}
		m := data[pos+1]
		if m == 0xFF {
			pos++
			continue
		}
		if m == mEOI {
			break
		}
		n := int(data[pos+2])<<8 | int(data[pos+3])
		if n < 2 || pos+2+n > len(data) {
			return in, fmt.Errorf("marker 0xFF%02X segment overruns the data", m)
		}
		seg := data[pos+4 : pos+2+n]
		switch {
		case m >= 0xC0 && m <= 0xCF && m != mDHT && m != 0xC8 && m != mDAC:
			if len(seg) < 6 {
				return in, errors.New("SOF segment too short")
			}
			in.sof, in.sawFrame = m, true
			in.precision = int(seg[0])
			in.nf = int(seg[5])
			in.sofIDs = pos + 4 + 6
			if len(seg) < 6+3*in.nf {
				return in, errors.New("SOF segment too short for its components")
			}
		case m == 0xE0 && len(seg) >= 5 && string(seg[:5]) == "JFIF\x00":
			in.jfif = true
		case m == 0xEE && len(seg) >= 5 && string(seg[:5]) == "Adobe":
			in.adobe = true
			in.adobeXfm, in.adobeOff = -1, -1
			if len(seg) >= 12 {
				in.adobeXfm, in.adobeOff = int(seg[11]), pos+4+11
			}
		case m == mSOS:
			if len(seg) < 1 || len(seg) < 1+2*int(seg[0]) {
				return in, errors.New("SOS segment too short")
			}
			in.sosIDs = append(in.sosIDs, pos+4+1)
			in.sosCounts = append(in.sosCounts, int(seg[0]))
			// Later scans (progressive) are not needed: their ids are
			// found by scanning on only if the caller rewrites, below.
			return in, nil
		}
		pos += 2 + n
	}
	return in, nil
}

// decodeJPEGBaseline decodes 8-bit DCT JPEG with internal/ijpeg (the
// standard library's decoder with libjpeg's IDCT) and, for colour, libjpeg's
// up-sampling and colour conversion (jpegcolour.go); 12-bit DCT goes to
// decodeJPEG12.
func decodeJPEGBaseline(data []byte, f Frame, out []byte) error {
	in, err := scanJPEGHeaders(data)
	if err != nil {
		return err
	}
	if !in.sawFrame {
		return errors.New("JPEG stream has no frame header before its first scan")
	}
	switch {
	case in.sof == mSOF3:
		// Some writers label lossless JPEG as baseline; the stream says
		// what it is.
		return decodeJPEGLossless(data, f, out)
	case in.sof == 0xC0 || in.sof == 0xC1 || in.sof == 0xC2:
	default:
		return unsupported(fmt.Sprintf("JPEG frame type 0xFF%02X (%s) is not decoded", in.sof, sofName(in.sof)), convertFirst)
	}
	switch in.precision {
	case 8:
	case 12:
		return decodeJPEG12(data, f, out, in)
	default:
		return fmt.Errorf("%d-bit DCT JPEG: DCT JPEG has 8 or 12 bits of precision", in.precision)
	}
	if in.nf != f.SamplesPerPixel {
		return errMismatch("SamplesPerPixel (components)", in.nf, f.SamplesPerPixel)
	}
	if f.BitsAllocated != 8 {
		return fmt.Errorf("8-bit JPEG in a %d-bit container: BitsAllocated must be 8", f.BitsAllocated)
	}
	transform := true
	if in.nf == 3 {
		transform = in.colourTransformed(f.PhotometricInterpretation)
		// ijpeg (image/jpeg's logic) converts to RGB itself when it
		// thinks the stream is RGB, and otherwise hands back the Y, Cb, Cr
		// planes untouched. The planes are what libjpeg's up-sampling
		// needs, so make the stream look YCbCr to it and decide on the
		// transform here.
		data = forcePlanes(data, in)
	}
	cfg, err := ijpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if cfg.Width != f.Cols {
		return errMismatch("Columns", cfg.Width, f.Cols)
	}
	if cfg.Height != f.Rows {
		return errMismatch("Rows", cfg.Height, f.Rows)
	}
	img, err := ijpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return err
	}
	w, h := f.Cols, f.Rows
	switch m := img.(type) {
	case *image.Gray:
		if f.SamplesPerPixel != 1 {
			return errors.New("greyscale JPEG but SamplesPerPixel is 3")
		}
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], m.Pix[y*m.Stride:])
		}
	case *image.YCbCr:
		if f.SamplesPerPixel != 3 {
			return errors.New("colour JPEG but SamplesPerPixel is 1")
		}
		return ycbcrToRGB(m, w, h, transform, out)
	case *image.RGBA:
		if f.SamplesPerPixel != 3 {
			return errors.New("colour JPEG but SamplesPerPixel is 1")
		}
		o := 0
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				out[o], out[o+1], out[o+2] = row[4*x], row[4*x+1], row[4*x+2]
				o += 3
			}
		}
	default:
		return unsupported(fmt.Sprintf("a JPEG that decodes to %T has no DICOM layout", img), convertFirst)
	}
	return nil
}

// colourTransformed says whether a three-component stream was coded as
// YCbCr, by libjpeg's rules (jdapimin.c default_decompress_parms), so the
// result matches what pydicom, GDCM and DCMTK get: a JFIF marker means
// YCbCr; an Adobe marker's transform code 0 means RGB, any other YCbCr;
// without either, component ids 'R','G','B' mean RGB and anything else
// YCbCr. DICOM adds one rule: a header saying RGB, in a stream with neither
// marker, means the encoder skipped the colour transform (PS3.5 8.2.1).
func (in jpegInfo) colourTransformed(photometric string) bool {
	switch {
	case in.jfif:
		return true
	case in.adobe:
		return in.adobeXfm != 0
	case photometric == "RGB":
		return false
	}
	return !in.hasIDs('R', 'G', 'B')
}

func (in jpegInfo) hasIDs(a, b, c byte) bool {
	return in.sofIDs+6 < len(in.raw) && in.raw[in.sofIDs] == a && in.raw[in.sofIDs+3] == b && in.raw[in.sofIDs+6] == c
}

// forcePlanes returns data, or a copy that ijpeg will take for YCbCr
// and so decode to planes without converting: an Adobe transform code 0
// becomes 1 and component ids 'R','G','B' become 1, 2, 3. Nothing else in
// the stream depends on either.
func forcePlanes(data []byte, in jpegInfo) []byte {
	rgbIDs := in.hasIDs('R', 'G', 'B')
	adobeRGB := in.adobe && in.adobeXfm == 0 && in.adobeOff >= 0
	if in.jfif || (!rgbIDs && !adobeRGB) {
		return data
	}
	if rgbIDs {
		data = relabel(data, in, [3]byte{1, 2, 3})
	} else {
		data = append([]byte(nil), data...)
	}
	if adobeRGB {
		data[in.adobeOff] = 1
	}
	return data
}

// relabel returns a copy of data whose frame and scan headers give the
// three components the ids in ids.
func relabel(data []byte, in jpegInfo, ids [3]byte) []byte {
	c := append([]byte(nil), data...)
	old := [3]byte{c[in.sofIDs], c[in.sofIDs+3], c[in.sofIDs+6]}
	for i := range ids {
		c[in.sofIDs+3*i] = ids[i]
	}
	relabel := func(off, n int) {
		for j := 0; j < n; j++ {
			for i := range old {
				if c[off+2*j] == old[i] {
					c[off+2*j] = ids[i]
					break
				}
			}
		}
	}
	for i, off := range in.sosIDs {
		relabel(off, in.sosCounts[i])
	}
	// Progressive streams have more scans after the first; find them by
	// walking the remaining segments, skipping entropy-coded data.
	if in.sof == 0xC2 && len(in.sosIDs) > 0 {
		pos := in.sosIDs[0]
		for pos+3 < len(c) {
			if c[pos] != 0xFF || c[pos+1] == 0 || c[pos+1] == 0xFF || (c[pos+1] >= mRST0 && c[pos+1] <= mRST7) {
				pos++
				continue
			}
			if c[pos+1] == mEOI {
				break
			}
			n := int(c[pos+2])<<8 | int(c[pos+3])
			if c[pos+1] == mSOS && pos+4 < len(c) {
				ns := int(c[pos+4])
				if pos+5+2*ns <= len(c) {
					relabel(pos+5, ns)
				}
			}
			if n < 2 {
				break
			}
			pos += 2 + n
		}
	}
	return c
}

// sofName names a JPEG frame type for messages.
func sofName(m byte) string {
	switch m {
	case 0xC3:
		return "lossless"
	case 0xC5, 0xC6, 0xC7:
		return "hierarchical"
	case 0xC9, 0xCA, 0xCB:
		return "arithmetic-coded"
	case 0xCD, 0xCE, 0xCF:
		return "hierarchical, arithmetic-coded"
	}
	return "unknown"
}
