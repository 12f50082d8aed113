package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"delineate/viewer/codec"
)

// checkLengths walks the element stream of a whole file and rejects any
// value length that runs past the end of its container, before the parser
// sees the file. suyashkumar/dicom allocates a value's buffer from its
// declared length before reading it, so one flipped byte in a length field
// costs up to 4 GiB per element; a truncated file is also caught here, with
// a clear message, instead of deep inside the parser.
func checkLengths(b []byte) error {
	_, err := walkFile(b)
	return err
}

// pixelData is where a file's top-level PixelData lies: native bytes, or
// the compressed fragments after the basic offset table.
type pixelData struct {
	native    []byte
	fragments [][]byte
	found     bool
	// Where the element sits in the file (for files that are not
	// deflated: offsets in the inflated stream mean nothing on disk): the
	// element's first byte, its value's first byte, and the value's
	// declared length (-1: undefined, i.e. encapsulated fragments).
	elemAt, valueAt, length int64
	// bodyElemAt is the element's offset in the data set as walked
	// (inflated, for a deflated file): the header parse stops there.
	bodyElemAt int
	// floatBytes is 4 for Float Pixel Data (7FE0,0008), 8 for Double
	// Float Pixel Data (7FE0,0009), 0 for Pixel Data (7FE0,0010).
	floatBytes int
}

// isPixelTag reports whether (g,e) is one of the three top-level pixel
// data elements: Pixel Data, Float Pixel Data, Double Float Pixel Data.
func isPixelTag(g, e uint16) bool {
	return g == 0x7fe0 && (e == 0x0010 || e == 0x0008 || e == 0x0009)
}

// findPixelData locates the pixel data with the same walk that checks the
// lengths. Loading a scanned series needs only this from each file: the
// header was parsed during the scan, so a second full parse would be wasted
// work.
func findPixelData(b []byte) (pixelData, error) {
	w, err := walkFile(b)
	if err != nil {
		return pixelData{}, err
	}
	return *w.pixels, nil
}

// walkFile checks the lengths of the whole file and returns the walker
// with the top-level pixel data it saw.
func walkFile(b []byte) (*lengthWalker, error) {
	return walkUpTo(b, -1)
}

// errStopped ends a walk at the top-level pixel data (walkUpTo).
var errStopped = errors.New("stopped at the pixel data")

// errNeedWhole says a prefix was not enough: read the whole file.
var errNeedWhole = errors.New("the header needs the whole file")

// walkUpTo walks b, the first bytes of a file of fileSize bytes, up to
// the start of the top-level pixel data, whose declared length is checked
// against the file's size instead of against b: a scan then reads only a
// file's header, not its pixels. With fileSize < 0, b is the whole file
// and everything is walked. A deflated file needs the whole file
// (errNeedWhole), as does a header that does not end within b.
func walkUpTo(b []byte, fileSize int64) (*lengthWalker, error) {
	if len(b) < 132 || string(b[128:132]) != "DICM" {
		return nil, errNotDICOM
	}
	w := &lengthWalker{bo: binary.LittleEndian, explicit: true, pixels: &pixelData{bodyElemAt: -1}, stop: fileSize >= 0}
	// The file meta group is always explicit little endian.
	pos := 132
	ts := tsImplicitLE
	for pos+8 <= len(b) && binary.LittleEndian.Uint16(b[pos:]) == 0x0002 {
		next, val, err := w.element(b, pos, len(b), 0)
		if err != nil {
			return nil, err
		}
		if binary.LittleEndian.Uint16(b[pos+2:]) == 0x0010 {
			ts = string(bytes.TrimRight(val, "\x00 "))
		}
		pos = next
	}
	body := b[pos:]
	w.bodyAt, w.bodyLen = int64(pos), int64(len(body))
	if w.stop {
		w.bodyLen = fileSize - int64(pos)
	}
	switch ts {
	case tsImplicitLE:
		w.explicit = false
	case tsExplicitBE:
		w.bo = binary.BigEndian
	case tsDeflated:
		if w.stop {
			return nil, errNeedWhole
		}
		w.bodyAt = -1
		inflated, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(body)), maxInflated+1))
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("the %s data set does not inflate (%v): the file is damaged; an undamaged copy (or one re-encoded uncompressed) would be needed", codec.SyntaxName(tsDeflated), err)
		}
		if len(inflated) > maxInflated {
			return nil, fmt.Errorf("the %s data set inflates beyond %d MiB, more than this viewer reads", codec.SyntaxName(tsDeflated), maxInflated>>20)
		}
		body = inflated
		w.bodyLen = int64(len(body))
	}
	w.ts, w.metaEnd = ts, pos
	if w.explicit && w.bo == binary.LittleEndian && !looksExplicit(body) {
		// Some writers encode the data set implicit VR while the meta says
		// explicit; pydicom reads those too, by the same peek.
		w.explicit, w.mislabelled = false, true
	}
	w.body = body
	_, err := w.walk(body, 0, len(body), 0, false)
	if errors.Is(err, errStopped) {
		return w, nil
	}
	if w.stop && int64(len(body)) < w.bodyLen && (err != nil || !w.pixels.found) {
		return nil, errNeedWhole // the header runs past the prefix
	}
	return w, err
}

const (
	maxInflated = 1 << 30
	maxDepth    = 32
	undefined   = 0xffffffff
)

type lengthWalker struct {
	bo       binary.ByteOrder
	explicit bool
	ts       string // the transfer syntax the meta declares
	metaEnd  int    // where the data set starts in the file
	// body is the data set as walked (inflated, for a deflated file), and
	// mislabelled says the meta declared explicit VR for an implicit one.
	body        []byte
	mislabelled bool
	pixels      *pixelData // top-level PixelData, filled as the walk passes it
	stop        bool       // end the walk at the top-level PixelData
	bodyAt      int64      // the data set's offset in the file (-1: deflated)
	bodyLen     int64      // the data set's length in the file
}

// atPixels records where the top-level pixel data element lies and, when
// walking a prefix, ends the walk there.
func (w lengthWalker) atPixels(pos, start int, e uint16, length uint32) error {
	p := w.pixels
	p.found = true
	p.elemAt, p.valueAt, p.length = -1, -1, -1
	p.bodyElemAt = pos
	switch e {
	case 0x0008:
		p.floatBytes = 4
	case 0x0009:
		p.floatBytes = 8
	}
	if w.bodyAt >= 0 {
		p.elemAt, p.valueAt = w.bodyAt+int64(pos), w.bodyAt+int64(start)
	}
	if length != undefined {
		p.length = int64(length)
	}
	if !w.stop {
		return nil
	}
	if length != undefined && int64(length) > w.bodyLen-int64(start) {
		return errTruncated(0x7fe0, e, int(length), int(w.bodyLen-int64(start)))
	}
	return errStopped
}

// errTruncated says what ran past the end, in terms a user can act on.
func errTruncated(group, elem uint16, length, left int) error {
	return fmt.Errorf("element (%04X,%04X) declares %d bytes but only %d remain: truncated or corrupt file", group, elem, length, left)
}

// walk checks the elements in b[pos:end]. In an undefined-length container
// it returns after the matching delimiter.
func (w lengthWalker) walk(b []byte, pos, end, depth int, inUndefined bool) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("sequences nested more than %d deep", maxDepth)
	}
	for pos+8 <= end {
		g, e := w.bo.Uint16(b[pos:]), w.bo.Uint16(b[pos+2:])
		if g == 0xfffe && (e == 0xe00d || e == 0xe0dd) {
			if inUndefined {
				return pos + 8, nil
			}
			pos += 8
			continue
		}
		next, _, err := w.element(b, pos, end, depth)
		if err != nil {
			return 0, err
		}
		pos = next
	}
	// Trailing bytes shorter than an element header are padding to the parser.
	return end, nil
}

// element checks one element starting at pos and returns where the next one
// starts and its value (for defined lengths).
func (w lengthWalker) element(b []byte, pos, end, depth int) (int, []byte, error) {
	g, e := w.bo.Uint16(b[pos:]), w.bo.Uint16(b[pos+2:])
	var vr string
	var length uint32
	hdr := 8
	switch {
	case g == 0xfffe: // item: no VR in any syntax
		length = w.bo.Uint32(b[pos+4:])
	case w.explicit:
		vr = string(b[pos+4 : pos+6])
		switch vr {
		case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
			if pos+12 > end {
				return 0, nil, errTruncated(g, e, 12, end-pos)
			}
			length, hdr = w.bo.Uint32(b[pos+8:]), 12
		default:
			length = uint32(w.bo.Uint16(b[pos+6:]))
		}
	default:
		length = w.bo.Uint32(b[pos+4:])
	}
	start := pos + hdr
	atPixels := depth == 0 && isPixelTag(g, e) && w.pixels != nil && !w.pixels.found
	if atPixels {
		if err := w.atPixels(pos, start, e, length); err != nil {
			return 0, nil, err
		}
	}
	if length == undefined {
		isPixels := g == 0x7fe0 && e == 0x0010
		if g == 0xfffe {
			next, err := w.walk(b, start, end, depth+1, true)
			return next, nil, err
		}
		if isPixels {
			return w.fragments(b, start, end, atPixels)
		}
		if vr == "UN" {
			// An undefined-length UN is a sequence encoded implicit VR
			// little endian (PS3.5 6.2.2), whatever the transfer syntax.
			w.explicit, w.bo = false, binary.LittleEndian
		}
		next, err := w.items(b, start, end, depth+1)
		return next, nil, err
	}
	if int64(length) > int64(end-start) {
		return 0, nil, errTruncated(g, e, int(length), end-start)
	}
	stop := start + int(length)
	val := b[start:stop]
	if atPixels {
		w.pixels.native = val
	}
	// Sequences of defined length hold items whose lengths the parser also
	// trusts. In implicit syntax the VR is unknown, so recognise them by
	// their first item tag.
	if g == 0xfffe || vr == "SQ" || (!w.explicit && length >= 8 && w.bo.Uint16(val) == 0xfffe && w.bo.Uint16(val[2:]) == 0xe000) {
		if g == 0xfffe {
			if _, err := w.walk(b, start, stop, depth+1, false); err != nil {
				return 0, nil, err
			}
		} else if _, err := w.items(b, start, stop, depth+1); err != nil {
			return 0, nil, err
		}
	}
	return stop, val, nil
}

// items checks the items of a sequence until its delimiter or end.
func (w lengthWalker) items(b []byte, pos, end, depth int) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("sequences nested more than %d deep", maxDepth)
	}
	for pos+8 <= end {
		g, e := w.bo.Uint16(b[pos:]), w.bo.Uint16(b[pos+2:])
		if g != 0xfffe {
			return 0, fmt.Errorf("sequence item expected at byte %d, found (%04X,%04X)", pos, g, e)
		}
		if e == 0xe0dd {
			return pos + 8, nil
		}
		next, _, err := w.element(b, pos, end, depth)
		if err != nil {
			return 0, err
		}
		pos = next
	}
	return end, nil
}

// fragments checks encapsulated pixel data items, whose contents are
// compressed bytes, not data sets.
func (w lengthWalker) fragments(b []byte, pos, end int, record bool) (int, []byte, error) {
	record = record && w.pixels != nil
	if record {
		w.pixels.found = true
	}
	first := true // the basic offset table, not a fragment
	for pos+8 <= end {
		g, e := w.bo.Uint16(b[pos:]), w.bo.Uint16(b[pos+2:])
		length := w.bo.Uint32(b[pos+4:])
		if g != 0xfffe {
			return 0, nil, fmt.Errorf("pixel data fragment expected at byte %d, found (%04X,%04X)", pos, g, e)
		}
		if e == 0xe0dd {
			return pos + 8, nil, nil
		}
		if int64(length) > int64(end-pos-8) {
			return 0, nil, errTruncated(g, e, int(length), end-pos-8)
		}
		if record && !first {
			w.pixels.fragments = append(w.pixels.fragments, b[pos+8:pos+8+int(length)])
		}
		first = false
		pos += 8 + int(length)
	}
	return 0, nil, errors.New("pixel data ends without its sequence delimiter: truncated file")
}

// looksExplicit says whether a data set starts with an explicit VR element:
// bytes 4–5 of the first element are two uppercase letters naming a VR.
func looksExplicit(body []byte) bool {
	if len(body) < 8 {
		return true
	}
	return knownVR(string(body[4:6]))
}

func knownVR(vr string) bool {
	switch vr {
	case "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW",
		"PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV":
		return true
	}
	return false
}
