package pacs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// validUID reports whether s is a DICOM UID (digits and dots, at most 64
// characters). Only such strings become path elements, so a server cannot
// name a cache file outside the cache.
func validUID(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
		if c == '.' && s[i-1] == '.' {
			return false
		}
	}
	return true
}

// fileMeta is what the file meta group (0002) says.
type fileMeta struct {
	sopClass, sopInstance, transferSyntax string
}

var errNoMeta = errors.New("no DICOM file meta information (no DICM at byte 128)")

// parseFileMeta reads the explicit-VR little-endian group 0002 that follows
// the 128-byte preamble and "DICM". b may be a prefix of the file; an
// element cut off at its end ends the parse.
func parseFileMeta(b []byte) (fileMeta, error) {
	var m fileMeta
	if len(b) < 132 || string(b[128:132]) != "DICM" {
		return m, errNoMeta
	}
	p := 132
	for p+8 <= len(b) {
		group := binary.LittleEndian.Uint16(b[p:])
		elem := binary.LittleEndian.Uint16(b[p+2:])
		if group != 0x0002 {
			break
		}
		vr := string(b[p+4 : p+6])
		var n, hdr int
		switch vr {
		case "OB", "OW", "OF", "SQ", "UT", "UN", "OD", "OL", "OV", "UC", "UR":
			if p+12 > len(b) {
				return m, nil
			}
			n, hdr = int(binary.LittleEndian.Uint32(b[p+8:])), 12
		default:
			n, hdr = int(binary.LittleEndian.Uint16(b[p+6:])), 8
		}
		if n < 0 || p+hdr+n > len(b) || n > 1<<20 {
			break
		}
		v := strings.TrimRight(string(b[p+hdr:p+hdr+n]), "\x00 ")
		switch elem {
		case 0x0002:
			m.sopClass = v
		case 0x0003:
			m.sopInstance = v
		case 0x0010:
			m.transferSyntax = v
		}
		p += hdr + n
	}
	if m.sopInstance == "" && m.transferSyntax == "" {
		return m, fmt.Errorf("file meta information without MediaStorageSOPInstanceUID")
	}
	return m, nil
}

// instanceUIDs is what a store or a cache needs to know about one file:
// the UIDs in its data set (which the server files it by), not only the
// file meta's copy.
type instanceUIDs struct {
	study, series, sop, sopClass string
	metaSOP                      string // MediaStorageSOPInstanceUID
}

// readInstanceUIDs reads the UIDs of a DICOM file without its pixel data.
func readInstanceUIDs(path string) (instanceUIDs, error) {
	var u instanceUIDs
	f, err := os.Open(path)
	if err != nil {
		return u, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return u, err
	}
	head := make([]byte, 4096)
	n, _ := f.ReadAt(head, 0)
	if n < 132 || !bytes.Equal(head[128:132], []byte("DICM")) {
		return u, errNoMeta
	}
	if m, err := parseFileMeta(head[:n]); err == nil {
		u.metaSOP = m.sopInstance
	}
	if _, err := f.Seek(0, 0); err != nil {
		return u, err
	}
	ds, err := dcm.Parse(f, st.Size(), nil, dcm.SkipPixelData())
	if err != nil {
		return u, fmt.Errorf("not readable as DICOM: %w", err)
	}
	get := func(t tag.Tag) string {
		e, err := ds.FindElementByTag(t)
		if err != nil {
			return ""
		}
		if s, ok := e.Value.GetValue().([]string); ok && len(s) > 0 {
			return strings.TrimRight(s[0], "\x00 ")
		}
		return ""
	}
	u.study = get(tag.StudyInstanceUID)
	u.series = get(tag.SeriesInstanceUID)
	u.sop = get(tag.SOPInstanceUID)
	u.sopClass = get(tag.SOPClassUID)
	return u, nil
}
