package nifti

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"delineate/viewer"
)

// Header sizes and the offset of the first voxel when a single file has no
// extensions (the header plus the 4-byte extension flag).
const (
	sizeofHdr1 = 348
	sizeofHdr2 = 540
	voxOffset1 = sizeofHdr1 + 4
	voxOffset2 = sizeofHdr2 + 4
)

// Magic strings of single-file images. The NIfTI-2 tail (\r\n\032\n) is
// there to catch files mangled by a text-mode transfer, as in PNG.
const (
	magic1 = "n+1\x00"
	magic2 = "n+2\x00\r\n\x1a\n"
)

// Datatype is a NIfTI datatype code.
type Datatype int16

// NIfTI datatype codes (nifti1.h). Only the scalar ones can be loaded.
const (
	DTBinary     Datatype = 1
	DTUint8      Datatype = 2
	DTInt16      Datatype = 4
	DTInt32      Datatype = 8
	DTFloat32    Datatype = 16
	DTComplex64  Datatype = 32
	DTFloat64    Datatype = 64
	DTRGB24      Datatype = 128
	DTInt8       Datatype = 256
	DTUint16     Datatype = 512
	DTUint32     Datatype = 768
	DTInt64      Datatype = 1024
	DTUint64     Datatype = 1280
	DTFloat128   Datatype = 1536
	DTComplex128 Datatype = 1792
	DTComplex256 Datatype = 2048
	DTRGBA32     Datatype = 2304
)

var datatypeNames = map[Datatype]string{
	DTBinary: "binary", DTUint8: "uint8", DTInt16: "int16", DTInt32: "int32",
	DTFloat32: "float32", DTComplex64: "complex64", DTFloat64: "float64",
	DTRGB24: "RGB24", DTInt8: "int8", DTUint16: "uint16", DTUint32: "uint32",
	DTInt64: "int64", DTUint64: "uint64", DTFloat128: "float128",
	DTComplex128: "complex128", DTComplex256: "complex256", DTRGBA32: "RGBA32",
}

func (d Datatype) String() string {
	if s, ok := datatypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("unknown datatype %d", int16(d))
}

// Size is the number of bytes per voxel of the scalar types this package
// reads, and 0 for every other code.
func (d Datatype) Size() int {
	switch d {
	case DTUint8, DTInt8:
		return 1
	case DTInt16, DTUint16:
		return 2
	case DTInt32, DTUint32, DTFloat32:
		return 4
	case DTInt64, DTUint64, DTFloat64:
		return 8
	}
	return 0
}

func datatypeFor(t viewer.DataType) (Datatype, error) {
	switch t {
	case viewer.Uint8:
		return DTUint8, nil
	case viewer.Int8:
		return DTInt8, nil
	case viewer.Uint16:
		return DTUint16, nil
	case viewer.Int16:
		return DTInt16, nil
	case viewer.Uint32:
		return DTUint32, nil
	case viewer.Int32:
		return DTInt32, nil
	case viewer.Float32:
		return DTFloat32, nil
	}
	return 0, fmt.Errorf("voxel type %v has no NIfTI datatype", t)
}

// Header is a decoded NIfTI-1 or NIfTI-2 header. NIfTI-1's narrower fields
// are widened to the NIfTI-2 types so callers need not care which it was.
type Header struct {
	Version    int              // 1 or 2
	ByteOrder  binary.ByteOrder // byte order of the file
	Compressed bool             // the file is a gzip stream
	Magic      string           // "n+1", "ni1", "n+2", …

	Dim       [8]int64 // Dim[0] is the number of dimensions in use
	Datatype  Datatype
	Bitpix    int
	Pixdim    [8]float64 // Pixdim[0] is qfac
	VoxOffset int64      // as stored; 0 means "right after the header"

	SclSlope, SclInter float64
	CalMin, CalMax     float64

	IntentCode int
	IntentName string
	IntentP    [3]float64

	DimInfo       uint8
	SliceStart    int64
	SliceEnd      int64
	SliceCode     int
	SliceDuration float64
	TOffset       float64
	XYZTUnits     int

	Descrip string
	AuxFile string

	QformCode int
	SformCode int
	Quatern   [3]float64 // b, c, d
	QOffset   [3]float64
	Srow      [3][4]float64
}

// Spatial units (xyzt_units & 7).
const (
	unitsUnknown = 0
	unitsMeter   = 1
	unitsMM      = 2
	unitsMicron  = 3
)

// Temporal units (xyzt_units & 0x38). Hz, ppm and rad/s (32, 40, 48) mark
// a spectral fourth axis, which has no time step.
const (
	unitsSec  = 8
	unitsMsec = 16
	unitsUsec = 24
)

// errNotNIfTI marks input that is not a NIfTI header at all, as opposed to a
// damaged one.
var errNotNIfTI = errors.New("not a NIfTI file")

// detectVersion reads sizeof_hdr, which is the only field that tells both the
// version and the byte order: a NIfTI-1 magic is not enough to tell
// endianness, and ANALYZE files share the 348.
func detectVersion(first4 []byte) (version int, order binary.ByteOrder, err error) {
	le := binary.LittleEndian.Uint32(first4)
	be := binary.BigEndian.Uint32(first4)
	switch {
	case le == sizeofHdr1:
		return 1, binary.LittleEndian, nil
	case be == sizeofHdr1:
		return 1, binary.BigEndian, nil
	case le == sizeofHdr2:
		return 2, binary.LittleEndian, nil
	case be == sizeofHdr2:
		return 2, binary.BigEndian, nil
	}
	return 0, nil, fmt.Errorf("%w: sizeof_hdr is %d, expected 348 (NIfTI-1) or 540 (NIfTI-2)", errNotNIfTI, int32(le))
}

// headerSize is the size of the header for the given version.
func headerSize(version int) int {
	if version == 2 {
		return sizeofHdr2
	}
	return sizeofHdr1
}

// fieldReader decodes fixed-offset fields; the offsets come from nifti1.h
// and nifti2.h.
type fieldReader struct {
	b []byte
	o binary.ByteOrder
}

func (f fieldReader) i16(off int) int64 { return int64(int16(f.o.Uint16(f.b[off:]))) }
func (f fieldReader) i32(off int) int64 { return int64(int32(f.o.Uint32(f.b[off:]))) }
func (f fieldReader) i64(off int) int64 { return int64(f.o.Uint64(f.b[off:])) }
func (f fieldReader) f32(off int) float64 {
	return float64(math.Float32frombits(f.o.Uint32(f.b[off:])))
}
func (f fieldReader) f64(off int) float64 { return math.Float64frombits(f.o.Uint64(f.b[off:])) }
func (f fieldReader) str(off, n int) string {
	s := f.b[off : off+n]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return cleanString(string(s))
}

// cleanString keeps header text printable: descrip often carries whatever a
// converter left in memory after the terminating NUL, and sometimes Latin-1.
func cleanString(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s))
}

// parseHeader decodes a complete header (348 or 540 bytes).
func parseHeader(b []byte) (*Header, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: only %d bytes", errNotNIfTI, len(b))
	}
	version, order, err := detectVersion(b)
	if err != nil {
		return nil, err
	}
	if len(b) < headerSize(version) {
		return nil, fmt.Errorf("truncated header: got %d of %d bytes", len(b), headerSize(version))
	}
	f := fieldReader{b, order}
	h := &Header{Version: version, ByteOrder: order}
	if version == 1 {
		h.Magic = f.str(344, 4)
		h.DimInfo = b[39]
		for i := range 8 {
			h.Dim[i] = f.i16(40 + 2*i)
		}
		h.IntentP = [3]float64{f.f32(56), f.f32(60), f.f32(64)}
		h.IntentCode = int(f.i16(68))
		h.Datatype = Datatype(f.i16(70))
		h.Bitpix = int(f.i16(72))
		h.SliceStart = f.i16(74)
		for i := range 8 {
			h.Pixdim[i] = f.f32(76 + 4*i)
		}
		vo := f.f32(108)
		if math.IsNaN(vo) || vo < 0 || vo > 1<<40 {
			return nil, fmt.Errorf("invalid vox_offset %g", vo)
		}
		h.VoxOffset = int64(vo)
		h.SclSlope, h.SclInter = f.f32(112), f.f32(116)
		h.SliceEnd = f.i16(120)
		h.SliceCode = int(b[122])
		h.XYZTUnits = int(b[123])
		h.CalMax, h.CalMin = f.f32(124), f.f32(128)
		h.SliceDuration, h.TOffset = f.f32(132), f.f32(136)
		h.Descrip = f.str(148, 80)
		h.AuxFile = f.str(228, 24)
		h.QformCode, h.SformCode = int(f.i16(252)), int(f.i16(254))
		for i := range 3 {
			h.Quatern[i] = f.f32(256 + 4*i)
			h.QOffset[i] = f.f32(268 + 4*i)
		}
		for r := range 3 {
			for c := range 4 {
				h.Srow[r][c] = f.f32(280 + 16*r + 4*c)
			}
		}
		h.IntentName = f.str(328, 16)
		switch string(b[344:348]) {
		case magic1, "ni1\x00":
		default:
			return nil, fmt.Errorf("%w: magic is %q, expected \"n+1\" (an ANALYZE 7.5 file?)", errNotNIfTI, h.Magic)
		}
	} else {
		h.Magic = f.str(4, 8)
		switch {
		case string(b[4:12]) == magic2, string(b[4:12]) == "ni2\x00\r\n\x1a\n":
		case string(b[4:7]) == "n+2" || string(b[4:7]) == "ni2":
			return nil, fmt.Errorf("damaged NIfTI-2 magic %q (was the file transferred in text mode?)", string(b[4:12]))
		default:
			return nil, fmt.Errorf("%w: NIfTI-2 sized header with magic %q", errNotNIfTI, h.Magic)
		}
		h.Datatype = Datatype(f.i16(12))
		h.Bitpix = int(f.i16(14))
		for i := range 8 {
			h.Dim[i] = f.i64(16 + 8*i)
		}
		h.IntentP = [3]float64{f.f64(80), f.f64(88), f.f64(96)}
		for i := range 8 {
			h.Pixdim[i] = f.f64(104 + 8*i)
		}
		h.VoxOffset = f.i64(168)
		if h.VoxOffset < 0 || h.VoxOffset > 1<<40 {
			return nil, fmt.Errorf("invalid vox_offset %d", h.VoxOffset)
		}
		h.SclSlope, h.SclInter = f.f64(176), f.f64(184)
		h.CalMax, h.CalMin = f.f64(192), f.f64(200)
		h.SliceDuration, h.TOffset = f.f64(208), f.f64(216)
		h.SliceStart, h.SliceEnd = f.i64(224), f.i64(232)
		h.Descrip = f.str(240, 80)
		h.AuxFile = f.str(320, 24)
		h.QformCode, h.SformCode = int(f.i32(344)), int(f.i32(348))
		for i := range 3 {
			h.Quatern[i] = f.f64(352 + 8*i)
			h.QOffset[i] = f.f64(376 + 8*i)
		}
		for r := range 3 {
			for c := range 4 {
				h.Srow[r][c] = f.f64(400 + 32*r + 8*c)
			}
		}
		h.SliceCode = int(f.i32(496))
		h.XYZTUnits = int(f.i32(500))
		h.IntentCode = int(f.i32(504))
		h.IntentName = f.str(508, 16)
		h.DimInfo = b[524]
	}
	return h, nil
}

// checkSingleFile refuses .hdr/.img pairs, whose voxels are in another file.
func (h *Header) checkSingleFile() error {
	if strings.HasPrefix(h.Magic, "ni") {
		return unsupported(0, "header of a .hdr/.img pair (magic %q): only single-file .nii and .nii.gz are supported", h.Magic)
	}
	return nil
}

// encodeHeader lays out h for the given version and byte order, followed by
// the 4-byte extension flag (zero: no extensions). VoxOffset is written as
// given; callers set it.
func encodeHeader(h *Header, version int, order binary.ByteOrder) ([]byte, error) {
	b := make([]byte, headerSize(version)+4)
	p16 := func(off int, v int64) { order.PutUint16(b[off:], uint16(int16(v))) }
	p32 := func(off int, v int64) { order.PutUint32(b[off:], uint32(int32(v))) }
	p64 := func(off int, v int64) { order.PutUint64(b[off:], uint64(v)) }
	pf32 := func(off int, v float64) { order.PutUint32(b[off:], math.Float32bits(float32(v))) }
	pf64 := func(off int, v float64) { order.PutUint64(b[off:], math.Float64bits(v)) }
	pstr := func(off, n int, s string) { copy(b[off:off+n-1], truncateUTF8(s, n-1)) }

	if version == 1 {
		for i := 1; i < 8; i++ {
			if h.Dim[i] > math.MaxInt16 || h.Dim[i] < math.MinInt16 {
				return nil, fmt.Errorf("dim[%d] = %d does not fit NIfTI-1", i, h.Dim[i])
			}
		}
		p32(0, sizeofHdr1)
		b[38] = 'r' // "regular", kept for ANALYZE readers
		b[39] = h.DimInfo
		for i := range 8 {
			p16(40+2*i, h.Dim[i])
		}
		for i := range 3 {
			pf32(56+4*i, h.IntentP[i])
		}
		p16(68, int64(h.IntentCode))
		p16(70, int64(h.Datatype))
		p16(72, int64(h.Bitpix))
		p16(74, h.SliceStart)
		for i := range 8 {
			pf32(76+4*i, h.Pixdim[i])
		}
		pf32(108, float64(h.VoxOffset))
		pf32(112, h.SclSlope)
		pf32(116, h.SclInter)
		p16(120, h.SliceEnd)
		b[122] = byte(h.SliceCode)
		b[123] = byte(h.XYZTUnits)
		pf32(124, h.CalMax)
		pf32(128, h.CalMin)
		pf32(132, h.SliceDuration)
		pf32(136, h.TOffset)
		pstr(148, 80, h.Descrip)
		pstr(228, 24, h.AuxFile)
		p16(252, int64(h.QformCode))
		p16(254, int64(h.SformCode))
		for i := range 3 {
			pf32(256+4*i, h.Quatern[i])
			pf32(268+4*i, h.QOffset[i])
		}
		for r := range 3 {
			for c := range 4 {
				pf32(280+16*r+4*c, h.Srow[r][c])
			}
		}
		pstr(328, 16, h.IntentName)
		copy(b[344:], magic1)
		return b, nil
	}
	p32(0, sizeofHdr2)
	copy(b[4:], magic2)
	p16(12, int64(h.Datatype))
	p16(14, int64(h.Bitpix))
	for i := range 8 {
		p64(16+8*i, h.Dim[i])
	}
	for i := range 3 {
		pf64(80+8*i, h.IntentP[i])
	}
	for i := range 8 {
		pf64(104+8*i, h.Pixdim[i])
	}
	p64(168, h.VoxOffset)
	pf64(176, h.SclSlope)
	pf64(184, h.SclInter)
	pf64(192, h.CalMax)
	pf64(200, h.CalMin)
	pf64(208, h.SliceDuration)
	pf64(216, h.TOffset)
	p64(224, h.SliceStart)
	p64(232, h.SliceEnd)
	pstr(240, 80, h.Descrip)
	pstr(320, 24, h.AuxFile)
	p32(344, int64(h.QformCode))
	p32(348, int64(h.SformCode))
	for i := range 3 {
		pf64(352+8*i, h.Quatern[i])
		pf64(376+8*i, h.QOffset[i])
	}
	for r := range 3 {
		for c := range 4 {
			pf64(400+32*r+8*c, h.Srow[r][c])
		}
	}
	p32(496, int64(h.SliceCode))
	p32(500, int64(h.XYZTUnits))
	p32(504, int64(h.IntentCode))
	pstr(508, 16, h.IntentName)
	b[524] = h.DimInfo
	return b, nil
}

// truncateUTF8 cuts s to at most n bytes without splitting a character, so
// a long description never ends in half a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Dims returns the three spatial dimensions, with axes beyond dim[0] (and
// zero sizes on them) counted as 1. It does not validate: see validate.
func (h *Header) Dims() [3]int {
	var d [3]int
	for i := range 3 {
		d[i] = 1
		if int64(i+1) <= h.Dim[0] && h.Dim[i+1] > 0 && h.Dim[i+1] <= math.MaxInt32 {
			d[i] = int(h.Dim[i+1])
		}
	}
	return d
}

// NumVolumes is the product of the non-spatial dimensions (time, vector
// components, …) in use. ReadVolume numbers the volumes as they lie in the
// file: dim 4 varies fastest, then dim 5, and so on.
func (h *Header) NumVolumes() int64 {
	n := int64(1)
	for i := int64(4); i <= h.Dim[0] && i < 8; i++ {
		if d := h.Dim[i]; d > 1 {
			if n > math.MaxInt64/d {
				return math.MaxInt64
			}
			n *= d
		}
	}
	return n
}

// TimeStep is the spacing of the fourth axis in seconds (pixdim[4] in the
// time unit of xyzt_units), for a file whose volumes are time points. ok is
// false when the file does not say: the time unit is unset or not a time
// (Hz, ppm, rad/s), or pixdim[4] is not a positive finite number. Callers
// that want a guess for an unset unit can read Pixdim[4] themselves; most
// writers mean seconds, but some (old SPM, Analyze converts) milliseconds.
func (h *Header) TimeStep() (seconds float64, ok bool) {
	p := h.Pixdim[4]
	if !(p > 0) || math.IsInf(p, 0) {
		return 0, false
	}
	switch h.XYZTUnits & 0x38 {
	case unitsSec:
		return p, true
	case unitsMsec:
		return p * 1e-3, true
	case unitsUsec:
		return p * 1e-6, true
	}
	return 0, false
}

// Limits on what Read will allocate. A header is a claim, not a fact; these
// keep a hostile or corrupt one from asking for terabytes.
const (
	maxVoxels = 1 << 31
	maxBytes  = 16 << 30
)

// validate checks the fields Read depends on and returns the number of
// voxels in the first volume.
func (h *Header) validate() (int64, error) {
	nd := h.Dim[0]
	if nd < 1 || nd > 7 {
		return 0, fmt.Errorf("invalid header: dim[0] = %d (number of dimensions must be 1 to 7)", nd)
	}
	for i := int64(1); i <= nd; i++ {
		if h.Dim[i] < 0 {
			return 0, fmt.Errorf("invalid header: dim[%d] = %d is negative", i, h.Dim[i])
		}
		if i <= 3 && h.Dim[i] == 0 {
			return 0, fmt.Errorf("invalid header: dim[%d] = 0, the image has no voxels", i)
		}
	}
	n := int64(1)
	for i := int64(1); i <= 3 && i <= nd; i++ {
		d := h.Dim[i]
		if d > maxVoxels || n*d > maxVoxels {
			return 0, fmt.Errorf("image too large: %s voxels per volume exceeds the limit of %d", dimString(h), int64(maxVoxels))
		}
		n *= d
	}
	sz := h.Datatype.Size()
	if sz == 0 {
		if _, known := datatypeNames[h.Datatype]; known {
			return 0, unsupportedDatatype(h.Datatype)
		}
		return 0, fmt.Errorf("invalid header: unknown datatype code %d", int16(h.Datatype))
	}
	if n*int64(sz) > maxBytes {
		return 0, fmt.Errorf("image too large: %s %v voxels is %d bytes, over the limit of %d GiB", dimString(h), h.Datatype, n*int64(sz), maxBytes>>30)
	}
	return n, nil
}

func dimString(h *Header) string {
	var parts []string
	for i := int64(1); i <= h.Dim[0] && i < 8; i++ {
		parts = append(parts, fmt.Sprint(h.Dim[i]))
	}
	return strings.Join(parts, "×")
}

// dataOffset is where the voxels start. A zero (or otherwise too small)
// vox_offset in a single file means "right after the header and extension
// flag", which is how some writers leave it.
func (h *Header) dataOffset() int64 {
	hs := int64(headerSize(h.Version))
	if h.VoxOffset < hs {
		return hs + 4
	}
	return h.VoxOffset
}
