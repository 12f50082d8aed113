package dicom

import (
	"encoding/binary"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// libraryView is the data set as the DICOM library is given it: a file
// meta that names only the encoding the length walk found — implicit VR
// little endian, explicit VR little or big endian — followed by the data
// set up to its pixel data, inflated if the file was deflated.
//
// The library sets its reader from the meta's transfer syntax and
// dereferences a nil byte order for one it does not know (the
// High-Throughput JPEG 2000 syntaxes, and any newer one), inflates deflated
// files itself with no useful error, and believes a meta that mislabels an
// implicit data set. The walk has already settled all of that, so the
// library only ever sees the three encodings it handles, and the header's
// transfer syntax comes from the walk, not from this view.
//
// Top-level elements written with VR UN whose VR the dictionary knows are
// relabelled with it (a UN value is the value's bytes as the known VR
// would encode them, PS3.5 6.2.2): the library panics on a UN Specific
// Character Set and reads numbers such as Rows from a UN element as bytes.
// Top-level UN sequences of undefined length are left out (see
// appendRelabelled).
func libraryView(w *lengthWalker) []byte {
	body := w.body
	if p := w.pixels; p.found && p.bodyElemAt >= 0 && p.bodyElemAt <= len(body) {
		body = body[:p.bodyElemAt] // the data set before the pixels: all we use
	}
	ts := tsExplicitLE
	switch {
	case !w.explicit:
		ts = tsImplicitLE
	case w.bo == binary.BigEndian:
		ts = tsExplicitBE
	}
	uidLen := len(ts) + len(ts)%2
	out := make([]byte, 132, 132+12+8+uidLen+len(body))
	copy(out[128:], "DICM")
	le := binary.LittleEndian
	out = le.AppendUint16(out, 0x0002)
	out = le.AppendUint16(out, 0x0000)
	out = append(out, 'U', 'L')
	out = le.AppendUint16(out, 4)
	out = le.AppendUint32(out, uint32(8+uidLen))
	out = le.AppendUint16(out, 0x0002)
	out = le.AppendUint16(out, 0x0010)
	out = append(out, 'U', 'I')
	out = le.AppendUint16(out, uint16(uidLen))
	out = append(out, ts...)
	if len(ts)%2 == 1 {
		out = append(out, 0)
	}
	if !w.explicit {
		return append(out, body...)
	}
	return appendRelabelled(out, body, w)
}

// appendRelabelled appends the top-level elements of an explicit VR data
// set, with UN elements relabelled by the dictionary where it knows them.
// The walk has checked every length, so the elements can be stepped
// through without further checks; anything unexpected is copied as it is.
func appendRelabelled(out, body []byte, w *lengthWalker) []byte {
	bo := w.bo
	ab, ok := bo.(binary.AppendByteOrder)
	if !ok {
		return append(out, body...)
	}
	pos := 0
	for pos+8 <= len(body) {
		g, e := bo.Uint16(body[pos:]), bo.Uint16(body[pos+2:])
		vr := string(body[pos+4 : pos+6])
		ww := *w
		ww.pixels = nil
		next, _, err := ww.element(body, pos, len(body), 0)
		if err != nil || next <= pos {
			return append(out, body[pos:]...)
		}
		if vr == "UN" && g != 0xfffe && pos+12 <= len(body) && bo.Uint32(body[pos+8:]) == undefined {
			// A sequence encoded implicit VR inside an explicit data set,
			// which the library would misread (and log about): no field
			// we use is in one at the top level, so it is left out.
			pos = next
			continue
		}
		charset := g == 0x0008 && e == 0x0005 && vr != "CS" && vr != "UN" && !longVR(vr)
		if charset {
			// The library panics on a Specific Character Set of any VR
			// but a string one.
			out = appendHeader(out, ab, g, e, "CS")
			out = append(out, body[pos+6:next]...)
			pos = next
			continue
		}
		if vr == "UN" && g != 0xfffe && pos+12 <= len(body) && bo.Uint32(body[pos+8:]) != undefined {
			if known := dictionaryVR(tag.Tag{Group: g, Element: e}); known != "" {
				val := body[pos+12 : next]
				switch {
				case longVR(known):
					out = appendHeader(out, ab, g, e, known)
					out = ab.AppendUint16(out, 0)
					out = ab.AppendUint32(out, uint32(len(val)))
					out = append(out, val...)
					pos = next
					continue
				case len(val) <= 0xffff:
					out = appendHeader(out, ab, g, e, known)
					out = ab.AppendUint16(out, uint16(len(val)))
					out = append(out, val...)
					pos = next
					continue
				}
			}
		}
		out = append(out, body[pos:next]...)
		pos = next
	}
	return append(out, body[pos:]...)
}

func appendHeader(out []byte, bo binary.AppendByteOrder, g, e uint16, vr string) []byte {
	out = bo.AppendUint16(out, g)
	out = bo.AppendUint16(out, e)
	return append(out, vr[0], vr[1])
}

// dictionaryVR is the VR the dictionary gives a tag ("US or SS": the
// first), or "" where it has none that a defined-length value can take.
func dictionaryVR(t tag.Tag) string {
	info, err := tag.Find(t)
	if err != nil || len(info.VRs) == 0 {
		return ""
	}
	vr := strings.TrimSpace(strings.SplitN(info.VRs[0], " ", 2)[0])
	if vr == "SQ" || vr == "UN" || len(vr) != 2 || !knownVR(vr) {
		return ""
	}
	return vr
}

func longVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}
