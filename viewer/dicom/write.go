package dicom

// A small DICOM writer: data sets in Explicit VR Little Endian, built
// element by element and encoded with defined lengths, for the objects
// this package creates (seg_write.go). It knows nothing of any IOD: the
// caller says which elements, with which VR.

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// implementationClassUID names this writer in the file meta (a 2.25 UID
// derived once from a random UUID; fixed, as the standard wants: it names
// the implementation, not the file).
const implementationClassUID = "2.25.142903187385201624915263442417813061265"

const implementationVersion = "DELINEATE_1"

// dsElem is one data element to write: a value already encoded, or the
// items of a sequence.
type dsElem struct {
	tag   tag.Tag
	vr    string
	value []byte
	items []dataSet // SQ only
	// lenient values are copied from a source file: their length is the
	// source's business, not checked against the VR.
	lenient bool
}

// dataSet is a list of elements; encode sorts them by tag.
type dataSet []dsElem

// maxVRLen is the longest value (in characters, before padding) that the
// string VRs allow per value (PS3.5 6.2); 0 = no limit we check.
var maxVRLen = map[string]int{
	"AE": 16, "AS": 4, "CS": 16, "DA": 8, "DS": 16, "IS": 12, "LO": 64,
	"PN": 64, "SH": 16, "TM": 16, "UI": 64, "LT": 10240, "ST": 1024,
}

// str adds a string element; several values are joined with a backslash.
// Values longer than the VR allows are an error, caught by check before
// anything is written.
func (d *dataSet) str(t tag.Tag, vr string, vals ...string) {
	*d = append(*d, dsElem{tag: t, vr: vr, value: []byte(strings.Join(vals, `\`))})
}

// u16 adds a US element.
func (d *dataSet) u16(t tag.Tag, vals ...int) {
	b := make([]byte, 0, 2*len(vals))
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	*d = append(*d, dsElem{tag: t, vr: "US", value: b})
}

// u32 adds a UL element.
func (d *dataSet) u32(t tag.Tag, vals ...int) {
	b := make([]byte, 0, 4*len(vals))
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	*d = append(*d, dsElem{tag: t, vr: "UL", value: b})
}

// at adds an AT element (tags as values).
func (d *dataSet) at(t tag.Tag, vals ...tag.Tag) {
	b := make([]byte, 0, 4*len(vals))
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint16(b, v.Group)
		b = binary.LittleEndian.AppendUint16(b, v.Element)
	}
	*d = append(*d, dsElem{tag: t, vr: "AT", value: b})
}

// raw adds an element whose value is already encoded (OB and the like).
func (d *dataSet) raw(t tag.Tag, vr string, b []byte) {
	*d = append(*d, dsElem{tag: t, vr: vr, value: b})
}

// seq adds a sequence.
func (d *dataSet) seq(t tag.Tag, items ...dataSet) {
	*d = append(*d, dsElem{tag: t, vr: "SQ", items: items})
}

// longLength reports whether an explicit VR has the 4-byte length form.
func longLength(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}

// check finds values the encoding cannot hold: a string value longer than
// its VR allows, a short-form value over 64 KiB, a tag twice.
func (d dataSet) check() error {
	seen := map[tag.Tag]bool{}
	for _, e := range d {
		if seen[e.tag] {
			return fmt.Errorf("DICOM writer: %s appears twice in one data set", e.tag)
		}
		seen[e.tag] = true
		if e.vr == "SQ" {
			for _, it := range e.items {
				if err := it.check(); err != nil {
					return err
				}
			}
			continue
		}
		if n := maxVRLen[e.vr]; n > 0 && !e.lenient {
			vals := strings.Split(string(e.value), `\`)
			if e.vr == "LT" || e.vr == "ST" { // one value, backslashes included
				vals = []string{string(e.value)}
			}
			for _, v := range vals {
				parts := []string{v}
				if e.vr == "PN" { // the limit is per component group
					parts = strings.Split(v, "=")
				}
				for _, p := range parts {
					if len(p) > n {
						return fmt.Errorf("DICOM writer: %s (%s) value of %d characters is longer than the %d the VR allows", e.tag, e.vr, len(p), n)
					}
				}
			}
		}
		if !longLength(e.vr) && len(e.value)+1 > math.MaxUint16 {
			return fmt.Errorf("DICOM writer: %s (%s) value of %d bytes is too long for its VR", e.tag, e.vr, len(e.value))
		}
	}
	return nil
}

// pad returns a value padded to even length: UI with NUL, OB with zero,
// the text VRs with a space.
func pad(vr string, b []byte) []byte {
	if len(b)%2 == 0 {
		return b
	}
	switch vr {
	case "UI", "OB", "UN":
		return append(b, 0)
	}
	return append(b, ' ')
}

// encode appends the data set (sorted by tag) to out.
func (d dataSet) encode(out []byte) []byte {
	sorted := append(dataSet(nil), d...)
	sort.SliceStable(sorted, func(i, j int) bool { return tagLess(sorted[i].tag, sorted[j].tag) })
	le := binary.LittleEndian
	for _, e := range sorted {
		out = le.AppendUint16(out, e.tag.Group)
		out = le.AppendUint16(out, e.tag.Element)
		out = append(out, e.vr...)
		if e.vr == "SQ" {
			var body []byte
			for _, it := range e.items {
				enc := it.encode(nil)
				body = le.AppendUint16(body, 0xFFFE)
				body = le.AppendUint16(body, 0xE000)
				body = le.AppendUint32(body, uint32(len(enc)))
				body = append(body, enc...)
			}
			out = append(out, 0, 0)
			out = le.AppendUint32(out, uint32(len(body)))
			out = append(out, body...)
			continue
		}
		v := pad(e.vr, append([]byte(nil), e.value...))
		if longLength(e.vr) {
			out = append(out, 0, 0)
			out = le.AppendUint32(out, uint32(len(v)))
		} else {
			out = le.AppendUint16(out, uint16(len(v)))
		}
		out = append(out, v...)
	}
	return out
}

func tagLess(a, b tag.Tag) bool {
	if a.Group != b.Group {
		return a.Group < b.Group
	}
	return a.Element < b.Element
}

// fileMeta encodes the preamble, "DICM" and the file meta group for an
// Explicit VR Little Endian file.
func fileMeta(sopClass, sopInstance string) []byte {
	var m dataSet
	m.raw(tag.FileMetaInformationVersion, "OB", []byte{0, 1})
	m.str(tag.MediaStorageSOPClassUID, "UI", sopClass)
	m.str(tag.MediaStorageSOPInstanceUID, "UI", sopInstance)
	m.str(tag.TransferSyntaxUID, "UI", tsExplicitLE)
	m.str(tag.ImplementationClassUID, "UI", implementationClassUID)
	m.str(tag.ImplementationVersionName, "SH", implementationVersion)
	body := m.encode(nil)
	out := make([]byte, 128, 128+4+12+len(body))
	out = append(out, "DICM"...)
	var g dataSet
	g.u32(tag.FileMetaInformationGroupLength, len(body))
	out = g.encode(out)
	return append(out, body...)
}

// NewUID returns a new UID under the 2.25 root: a random (version 4) UUID
// as one decimal integer (PS3.5 B.2).
func NewUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return "2.25." + new(big.Int).SetBytes(b[:]).String()
}

// formatDS formats a number as a Decimal String of at most 16 characters,
// with as many significant digits as fit.
func formatDS(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	for prec := 16; prec > 0; prec-- {
		s := strconv.FormatFloat(v, 'g', prec, 64)
		if strings.Contains(s, "e") {
			// A DS may hold an exponent; strconv writes e+05, which fits too.
			s = strings.Replace(s, "e+", "e", 1)
		}
		if len(s) <= 16 {
			return s
		}
	}
	return "0"
}

func formatDSs(vs ...float64) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = formatDS(v)
	}
	return out
}

// writeAtomic writes a file through a temporary file in the same folder,
// renamed into place once complete and synced, so that a crash or a full
// disk never leaves half a file under the final name. Without overwrite an
// existing file is an error wrapping os.ErrExist (checked again just
// before the rename, which is as close as a rename allows).
func writeAtomic(path string, overwrite bool, write func(w *bufio.Writer) error) (err error) {
	if !overwrite {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s exists (asked not to overwrite it): %w", path, os.ErrExist)
		}
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if !overwrite {
		// Link fails where the name exists, so nothing written in between
		// is replaced.
		if err = os.Link(tmp, path); err == nil {
			os.Remove(tmp)
			return nil
		}
		if os.IsExist(err) {
			return fmt.Errorf("%s exists (asked not to overwrite it): %w", path, os.ErrExist)
		}
		// A file system without hard links: a rename after the check above.
	}
	return os.Rename(tmp, path)
}
