package nifti

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"delineate/viewer"
)

// fixture describes a synthetic NIfTI file. The header layout comes from
// encodeHeader (checked separately against nibabel-written files and real
// data); the voxel bytes are encoded here, one value at a time, so the bulk
// decoder is checked against an independent encoder.
type fixture struct {
	version  int
	order    binary.ByteOrder
	dt       Datatype
	dim      [8]int64
	values   []float64 // stored (unscaled) values, all volumes
	slope    float64
	inter    float64
	sform    int
	qform    int
	srow     [3][4]float64
	quatern  [3]float64
	qoffset  [3]float64
	pixdim   [8]float64
	units    int
	voxOff   int64  // 0: default
	padding  []byte // bytes between the header and vox_offset
	gz       bool
	magic    string // override (NIfTI-1 only)
	calRange [2]float64
}

func newFixture(dt Datatype, nx, ny, nz int64, values []float64) fixture {
	return fixture{
		version: 1, order: binary.LittleEndian, dt: dt,
		dim:    [8]int64{3, nx, ny, nz, 1, 1, 1, 1},
		values: values, slope: 1,
		sform: 1, srow: [3][4]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}},
		pixdim: [8]float64{1, 1, 1, 1, 1, 1, 1, 1},
	}
}

func (f fixture) header() *Header {
	return &Header{
		Dim: f.dim, Datatype: f.dt, Bitpix: 8 * f.dt.Size(), Pixdim: f.pixdim,
		SclSlope: f.slope, SclInter: f.inter, SformCode: f.sform, QformCode: f.qform,
		Srow: f.srow, Quatern: f.quatern, QOffset: f.qoffset, XYZTUnits: f.units,
		CalMin: f.calRange[0], CalMax: f.calRange[1], Descrip: "fixture",
	}
}

func (f fixture) bytes(t testing.TB) []byte {
	t.Helper()
	h := f.header()
	off := f.voxOff
	if off == 0 {
		off = int64(headerSize(f.version)+4) + int64(len(f.padding))
	}
	h.VoxOffset = off
	hdr, err := encodeHeader(h, f.version, f.order)
	if err != nil {
		t.Fatal(err)
	}
	if f.magic != "" {
		copy(hdr[344:348], f.magic)
	}
	var buf bytes.Buffer
	buf.Write(hdr)
	buf.Write(f.padding)
	for int64(buf.Len()) < off {
		buf.WriteByte(0)
	}
	for _, v := range f.values {
		buf.Write(encodeValue(f.dt, f.order, v))
	}
	if !f.gz {
		return buf.Bytes()
	}
	return gzipBytes(t, buf.Bytes())
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	w := kgzip.NewWriter(&z)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

func gunzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	r, err := kgzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// encodeValue is the reference encoder: one value, one type, one order.
func encodeValue(dt Datatype, o binary.ByteOrder, v float64) []byte {
	b := make([]byte, dt.Size())
	switch dt {
	case DTUint8:
		b[0] = uint8(v)
	case DTInt8:
		b[0] = uint8(int8(v))
	case DTUint16:
		o.PutUint16(b, uint16(v))
	case DTInt16:
		o.PutUint16(b, uint16(int16(v)))
	case DTUint32:
		o.PutUint32(b, uint32(v))
	case DTInt32:
		o.PutUint32(b, uint32(int32(v)))
	case DTInt64:
		o.PutUint64(b, uint64(int64(v)))
	case DTUint64:
		o.PutUint64(b, uint64(v))
	case DTFloat32:
		o.PutUint32(b, math.Float32bits(float32(v)))
	case DTFloat64:
		o.PutUint64(b, math.Float64bits(v))
	}
	return b
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func assertAffine(t testing.TB, got, want viewer.Mat4, tol float64) {
	t.Helper()
	for r := range 4 {
		for c := range 4 {
			if math.Abs(got[r][c]-want[r][c]) > tol {
				t.Fatalf("affine differs at [%d][%d]: got\n%v\nwant\n%v", r, c, fmtMat(got), fmtMat(want))
			}
		}
	}
}

func fmtMat(m viewer.Mat4) string {
	var s strings.Builder
	for _, row := range m {
		fmt.Fprintf(&s, "%12.6f %12.6f %12.6f %12.6f\n", row[0], row[1], row[2], row[3])
	}
	return s.String()
}

func hasWarning(v *viewer.Volume, substr string) bool {
	for _, w := range v.Warnings {
		if strings.Contains(w, substr) {
			return true
		}
	}
	return false
}

// noLen hides Len from a reader, as a network or pipe stream would.
type noLen struct{ r io.Reader }

func (n noLen) Read(p []byte) (int, error) { return n.r.Read(p) }
