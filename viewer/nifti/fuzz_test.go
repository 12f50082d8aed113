package nifti

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"delineate/viewer"
)

// fuzzSeeds are small valid files: the nibabel fixtures, synthetic ones
// covering the datatypes, versions and orders, and real headers from
// ../shared/data cut down to a few voxels.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, name := range []string{"nib2_le_int16.nii", "nib2_be_f64.nii.gz", "nib1_be_u16_qform_scaled.nii"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			seeds = append(seeds, b)
		}
	}
	for i, tc := range typeCases {
		f := newFixture(tc.dt, 3, 2, 1, tc.values)
		f.version = 1 + i%2
		if i%3 == 0 {
			f.order = binary.BigEndian
		}
		f.slope, f.inter = []float64{1, 2, 0.5}[i%3], []float64{0, -1024, 0.25}[i%3]
		f.qform, f.quatern, f.pixdim[0] = 1, [3]float64{0.1, 0.2, 0.3}, -1
		seeds = append(seeds, f.bytes(t))
		f.gz = true
		seeds = append(seeds, f.bytes(t))
	}
	f4 := newFixture(DTInt16, 2, 2, 1, make([]float64, 12))
	f4.dim = [8]int64{4, 2, 2, 1, 3, 1, 1, 1}
	seeds = append(seeds, f4.bytes(t))

	for _, tc := range realFiles {
		raw, err := readMaybeGz(filepath.Join(sharedData, tc.rel))
		if err != nil {
			continue
		}
		seeds = append(seeds, shrinkReal(raw, false), shrinkReal(raw, true))
	}
	return seeds
}

func readMaybeGz(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(p, ".gz") {
		z, err := kgzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = z
	}
	// Enough for the header, any extensions and some voxels.
	return io.ReadAll(io.LimitReader(r, 1<<15))
}

// shrinkReal keeps a real NIfTI-1 header but makes it 4×3×2 voxels, taking
// the voxels from the start of the real data.
func shrinkReal(raw []byte, gz bool) []byte {
	if len(raw) < voxOffset1 {
		return nil
	}
	b := append([]byte(nil), raw[:voxOffset1]...)
	dims := []int16{3, 4, 3, 2}
	for i, d := range dims {
		binary.LittleEndian.PutUint16(b[40+2*i:], uint16(d))
	}
	binary.LittleEndian.PutUint32(b[108:], math.Float32bits(voxOffset1))
	dt := Datatype(int16(binary.LittleEndian.Uint16(b[70:])))
	off := int(math.Float32frombits(binary.LittleEndian.Uint32(raw[108:])))
	n := 24 * dt.Size()
	if off+n <= len(raw) {
		b = append(b, raw[off:off+n]...)
	}
	if !gz {
		return b
	}
	var z bytes.Buffer
	w := kgzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

// FuzzReadNIfTI: any input either fails with an error or yields a volume
// that is self-consistent, reads the same through the sized and unsized
// paths, and survives being written and read again.
func FuzzReadNIfTI(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		if s != nil {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ReadFrom(bytes.NewReader(data))
		v2, err2 := ReadFrom(noLen{bytes.NewReader(data)})
		for _, e := range []error{err, err2} {
			if e != nil && strings.Contains(e.Error(), "internal error") {
				t.Fatal(e)
			}
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("sized and unsized readers disagree: %v / %v", err, err2)
		}
		if err != nil {
			return
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("invalid geometry %+v: %v", v.Geometry, err)
		}
		if v.Data.Len() != v.NumVoxels() {
			t.Fatalf("%d voxels for dims %v", v.Data.Len(), v.Dims)
		}
		assertSameBits(t, v2.Data, v.Data)

		hdr, err := encode(v, WriteOptions{})
		var body []byte
		if err == nil {
			body, err = voxelBytes(v.Data)
		}
		if err != nil {
			return // geometry NIfTI-1 cannot hold, refused cleanly
		}
		w, err := ReadFrom(bytes.NewReader(append(hdr, body...)))
		if err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
		assertSameBits(t, w.Data, v.Data)
		if w.Dims != v.Dims {
			t.Fatalf("dims %v → %v", v.Dims, w.Dims)
		}
		assertSameGeometry(t, w.AffineRAS(), v.AffineRAS())
	})
}

// assertSameGeometry compares affines column by column, relative to the
// column's size, which is what float32 storage preserves.
func assertSameGeometry(t *testing.T, got, want viewer.Mat4) {
	t.Helper()
	for c := range 4 {
		scale := 0.0
		for r := range 3 {
			scale = math.Max(scale, math.Abs(want[r][c]))
		}
		for r := range 3 {
			if math.Abs(got[r][c]-want[r][c]) > 1e-5*math.Max(scale, 1e-30) && math.Abs(got[r][c]-want[r][c]) > 1e-6 {
				t.Fatalf("affine changed in a round trip: got\n%vwant\n%v", fmtMat(got), fmtMat(want))
			}
		}
	}
}

// FuzzReadVolume: any volume of any input reads the same whether the file
// is read at the volume's offset (a plain file with random access) or
// through the stream up to it, and never panics.
func FuzzReadVolume(f *testing.F) {
	for _, gz := range []bool{false, true} {
		f.Add(fourD(1, binary.LittleEndian, 3, gz).bytes(f), uint16(2))
		f.Add(fourD(2, binary.BigEndian, 4, gz).bytes(f), uint16(1))
	}
	if ents, err := os.ReadDir(conformanceDir); err == nil {
		for _, e := range ents {
			if strings.Contains(e.Name(), ".nii") {
				if b, err := os.ReadFile(filepath.Join(conformanceDir, e.Name())); err == nil {
					f.Add(b, uint16(1))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, vol uint16) {
		at := bytes.NewReader(data)
		v, err := decode(bytes.NewReader(data), source{size: int64(len(data)), isize: gzipTrailerSize(at, int64(len(data))), at: at}, int64(vol), false)
		v2, err2 := decode(noLen{bytes.NewReader(data)}, source{size: -1, isize: -1}, int64(vol), false)
		for _, e := range []error{err, err2} {
			if e != nil && strings.Contains(e.Error(), "internal error") {
				t.Fatal(e)
			}
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("read at the offset and streamed disagree: %v / %v", err, err2)
		}
		if err != nil {
			if errors.Is(err, ErrUnsupported) != errors.Is(err2, ErrUnsupported) {
				t.Fatalf("unsupported in one path only: %v / %v", err, err2)
			}
			return
		}
		if v.Data.Len() != v.NumVoxels() {
			t.Fatalf("%d voxels for dims %v", v.Data.Len(), v.Dims)
		}
		assertSameBits(t, v2.Data, v.Data)
	})
}
