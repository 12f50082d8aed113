package nifti

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
)

// TestIntents: which intent codes are images, which are refused as
// unsupported (and say so in a way a caller can test), which read with a
// warning.
func TestIntents(t *testing.T) {
	images := []int{0, 1001, 1002, 1003, 1011, 2001, 2005}
	for c := 2; c <= 24; c++ {
		images = append(images, c)
	}
	for _, code := range images {
		f := newFixture(DTFloat32, 2, 2, 2, make([]float64, 8))
		f.dim = [8]int64{5, 2, 2, 2, 1, 1, 1, 1} // dim 5 = 1: one value per voxel
		h := f.header()
		h.IntentCode = code
		v, err := readHeader(t, h, f)
		if err != nil || len(v.Warnings) > 0 {
			t.Fatalf("intent %d: err %v warnings %q", code, err, v.Warnings)
		}
	}

	refused := []struct {
		code int
		dim5 int64
		want string
	}{
		{3000, 1, "CIFTI file (intent 3000 CONNECTIVITY_UNKNOWN): not a volume image; open it with a CIFTI tool (e.g. Connectome Workbench)"},
		{3001, 4, "CIFTI file (intent 3001 CONNECTIVITY_DENSE, .dconn.nii): not a volume image"},
		{3002, 4, "CIFTI file (intent 3002 CONNECTIVITY_DENSE_SERIES, .dtseries.nii)"},
		{3007, 4, ".dlabel.nii"},
		{3099, 1, "CIFTI file (intent 3099): not a volume image"},
		{1008, 1, "point set (intent 1008 POINTSET)"},
		{1009, 1, "triangle list (intent 1009 TRIANGLE)"},
		{1010, 4, "quaternion field (intent 1010 QUATERNION)"},
		{1004, 9, "matrix field (intent 1004 GENMATRIX, 9 values per voxel"},
		{1005, 6, "matrix field (intent 1005 SYMMATRIX, 6 values per voxel"},
	}
	for _, tc := range refused {
		f := newFixture(DTFloat32, 2, 2, 2, make([]float64, 8*tc.dim5))
		f.dim = [8]int64{5, 2, 2, 2, 1, tc.dim5, 1, 1}
		h := f.header()
		h.IntentCode = tc.code
		_, err := readHeader(t, h, f)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Intent != tc.code || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("intent %d: %v, want %q", tc.code, err, tc.want)
		}
	}
	// A matrix intent with one value per voxel is a scalar image.
	f := newFixture(DTFloat32, 2, 2, 2, make([]float64, 8))
	h := f.header()
	h.IntentCode = IntentSymMatrix
	if _, err := readHeader(t, h, f); err != nil {
		t.Fatalf("1×1 matrix field: %v", err)
	}
	// The intent_name is shown too.
	f = newFixture(DTFloat32, 2, 2, 2, make([]float64, 8))
	h = f.header()
	h.IntentCode, h.IntentName = 3006, "dscalar"
	if _, err := readHeader(t, h, f); err == nil || !strings.Contains(err.Error(), `intent 3006 CONNECTIVITY_DENSE_SCALARS "dscalar", .dscalar.nii`) {
		t.Fatalf("intent name: %v", err)
	}

	warned := []struct {
		code int
		dim5 int64
		want string
	}{
		{1007, 3, "vector field (intent 1007 VECTOR) with 3 components per voxel: loaded component 1 only"},
		{2003, 3, "vector field (intent 2003 RGB_VECTOR) with 3 components per voxel"},
		{2006, 1, "FSL warp file (intent 2006 FSL_FNIRT_DISPLACEMENT_FIELD)"},
		{77, 1, "unknown intent code 77: read as an image"},
	}
	for _, tc := range warned {
		f := newFixture(DTFloat32, 2, 2, 2, make([]float64, 8*tc.dim5))
		f.dim = [8]int64{5, 2, 2, 2, 1, tc.dim5, 1, 1}
		h := f.header()
		h.IntentCode = tc.code
		v, err := readHeader(t, h, f)
		if err != nil || !hasWarning(v, tc.want) {
			t.Fatalf("intent %d: err %v, warnings %q, want %q", tc.code, err, v.Warnings, tc.want)
		}
		if hasWarning(v, "loaded the first") {
			t.Fatalf("intent %d: a vector field's components are not 'volumes': %q", tc.code, v.Warnings)
		}
	}

	// The CIFTI layout without the code, and a one-voxel time series, which
	// is an image (a 1×1×1 grid over time), not CIFTI.
	f = newFixture(DTFloat32, 1, 1, 1, make([]float64, 6))
	f.dim = [8]int64{6, 1, 1, 1, 1, 2, 3, 1}
	if _, err := ReadFrom(bytes.NewReader(f.bytes(t))); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "data lie in dims 5–7 (1×1×1×1×2×3)") {
		t.Fatalf("CIFTI-shaped: %v", err)
	}
	f.dim = [8]int64{5, 1, 1, 1, 3, 2, 1, 1}
	if _, err := ReadFrom(bytes.NewReader(f.bytes(t))); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("one voxel, data in dims 4 and 5: %v", err)
	}
	f.dim = [8]int64{4, 1, 1, 1, 6, 1, 1, 1}
	if _, err := ReadFrom(bytes.NewReader(f.bytes(t))); err != nil {
		t.Fatalf("one-voxel time series: %v", err)
	}
	f.dim = [8]int64{5, 1, 1, 1, 6, 1, 1, 1}
	if _, err := ReadFrom(bytes.NewReader(f.bytes(t))); err != nil {
		t.Fatalf("one-voxel time series, dim 5 = 1: %v", err)
	}

	// Damage is not "unsupported"; other content refusals are.
	good := newFixture(DTInt16, 2, 2, 2, make([]float64, 8)).bytes(t)
	if _, err := ReadFrom(bytes.NewReader(good[:len(good)-3])); err == nil || errors.Is(err, ErrUnsupported) {
		t.Fatalf("truncated file: %v", err)
	}
	for _, tc := range []struct {
		f    fixture
		want string
	}{
		{newFixture(DTComplex64, 1, 1, 1, nil), "datatype complex64 (32) is not supported"},
		{newFixture(DTRGB24, 1, 1, 1, nil), "datatype RGB24 (128) is not supported"},
		{func() fixture { f := newFixture(DTInt16, 1, 1, 1, []float64{0}); f.magic = "ni1\x00"; return f }(), ".hdr/.img pair"},
	} {
		_, err := ReadFrom(bytes.NewReader(tc.f.bytes(t)))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%v, want unsupported %q", err, tc.want)
		}
		h, herr := parseHeader(tc.f.bytes(t))
		if herr != nil || !errors.Is(h.CheckVolume(), ErrUnsupported) {
			t.Fatalf("CheckVolume %v / %v", herr, h.CheckVolume())
		}
	}
}

// readHeader encodes h with f's voxels and reads it back.
func readHeader(t *testing.T, h *Header, f fixture) (*viewer.Volume, error) {
	t.Helper()
	h.VoxOffset = voxOffset1
	hdr, err := encodeHeader(h, 1, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.values {
		hdr = append(hdr, encodeValue(f.dt, binary.LittleEndian, v)...)
	}
	v, err := ReadFrom(bytes.NewReader(hdr))
	if v == nil {
		v = &viewer.Volume{}
	}
	return v, err
}

// TestShearWarning: rotations (oblique or flipped) are not shear; a shear
// over the tolerance is reported with its angle and axes.
func TestShearWarning(t *testing.T) {
	for i, rot := range testRotations() {
		// testRotations are LPS; flip to RAS and scale the columns.
		var srow [3][4]float64
		for r := range 3 {
			for c := range 3 {
				srow[r][c] = rot[r][c] * []float64{0.7, 1.3, 4}[c]
				if r < 2 {
					srow[r][c] = -srow[r][c]
				}
			}
		}
		// Through float32, as NIfTI-1 stores it.
		f := newFixture(DTUint8, 2, 2, 2, make([]float64, 8))
		f.srow = srow
		v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
		if err != nil || hasWarning(v, "shear") {
			t.Fatalf("rotation %d: err %v warnings %q", i, err, v.Warnings)
		}
	}
	for _, tc := range []struct {
		deg  float64
		a, b int
		warn string
	}{
		{0.005, 1, 2, ""},
		{0.5, 0, 1, "sheared sform: index axes i and j are 0.50° from perpendicular"},
		{20, 0, 2, "sheared sform: index axes i and k are 20.00° from perpendicular"},
		{-30, 1, 2, "sheared sform: index axes j and k are 30.00° from perpendicular"},
	} {
		// Column b leans towards column a by deg.
		var srow [3][4]float64
		for c := range 3 {
			srow[c][c] = 2
		}
		r := tc.deg * math.Pi / 180
		srow[tc.b][tc.b], srow[tc.a][tc.b] = 2*math.Cos(r), 2*math.Sin(r)
		f := newFixture(DTUint8, 2, 2, 2, make([]float64, 8))
		f.srow = srow
		v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
		if err != nil {
			t.Fatal(err)
		}
		if tc.warn == "" && hasWarning(v, "shear") || tc.warn != "" && !hasWarning(v, tc.warn) {
			t.Fatalf("%g°: warnings %q, want %q", tc.deg, v.Warnings, tc.warn)
		}
		// The grid keeps the shear: the affine is the file's.
		assertAffine(t, v.AffineRAS(), f.header().SformAffine(), 1e-6)
		// And a copy keeps it in the sform.
		p := filepath.Join(t.TempDir(), "s.nii")
		if err := Write(p, v, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		h, err := ReadHeader(p)
		if err != nil {
			t.Fatal(err)
		}
		assertAffine(t, h.SformAffine(), f.header().SformAffine(), 1e-6)
	}
}

// fourD is a 3×2×2 × nt int16 series in which voxel n of volume t holds
// 100t + n.
func fourD(version int, order binary.ByteOrder, nt int64, gz bool) fixture {
	var values []float64
	for vol := range nt {
		for n := range 12 {
			values = append(values, float64(100*vol+int64(n)))
		}
	}
	f := newFixture(DTInt16, 3, 2, 2, values)
	f.version, f.order, f.gz = version, order, gz
	f.dim = [8]int64{4, 3, 2, 2, nt, 1, 1, 1}
	f.padding = []byte("an extension the reader must skip\x00\x00\x00")
	return f
}

func checkVolume(t *testing.T, v *viewer.Volume, vol int) {
	t.Helper()
	if v.Dims != [3]int{3, 2, 2} || v.Data.Len() != 12 {
		t.Fatalf("volume %d: dims %v", vol, v.Dims)
	}
	for n := range 12 {
		if got := v.Data.At(n); got != float64(100*vol+n) {
			t.Fatalf("volume %d voxel %d = %g", vol, n, got)
		}
	}
}

func TestReadVolume(t *testing.T) {
	for _, version := range []int{1, 2} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			for _, gz := range []bool{false, true} {
				f := fourD(version, order, 5, gz)
				p := writeTemp(t, "s.nii", f.bytes(t))
				for vol := range 5 {
					v, err := ReadVolume(p, vol)
					if err != nil {
						t.Fatalf("v%d %v gz %v volume %d: %v", version, order, gz, vol, err)
					}
					checkVolume(t, v, vol)
					if len(v.Warnings) > 0 {
						t.Fatalf("warnings %q", v.Warnings)
					}
				}
				for _, bad := range []int{-1, 5, math.MaxInt} {
					if _, err := ReadVolume(p, bad); err == nil || !strings.Contains(err.Error(), p) {
						t.Fatalf("volume %d: %v", bad, err)
					}
				}
			}
		}
	}

	// A 3D file is volume 0.
	p := writeTemp(t, "a.nii", newFixture(DTUint8, 2, 2, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8}).bytes(t))
	if v, err := ReadVolume(p, 0); err != nil || v.Data.At(7) != 8 {
		t.Fatalf("3D: %v", err)
	}
	if _, err := ReadVolume(p, 1); err == nil || !strings.Contains(err.Error(), "volume 1 requested, but the file has 1") {
		t.Fatalf("3D volume 1: %v", err)
	}

	// Truncated in the last volume: the others still read, the last says
	// where it is short.
	for _, gz := range []bool{false, true} {
		b := fourD(1, binary.LittleEndian, 4, false).bytes(t)
		b = b[:len(b)-5]
		if gz {
			b = gzipBytes(t, b)
		}
		p := writeTemp(t, "short.nii", b)
		for vol := range 3 {
			v, err := ReadVolume(p, vol)
			if err != nil {
				t.Fatalf("gz %v volume %d: %v", gz, vol, err)
			}
			checkVolume(t, v, vol)
		}
		if _, err := ReadVolume(p, 3); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("gz %v: last volume: %v", gz, err)
		}
		// Cut before a volume starts.
		b = fourD(1, binary.LittleEndian, 4, false).bytes(t)
		b = b[:len(b)-2*24-3]
		if gz {
			b = gzipBytes(t, b)
		}
		p = writeTemp(t, "short2.nii", b)
		if _, err := ReadVolume(p, 3); err == nil || !strings.Contains(err.Error(), "truncated: volume 3 starts at byte") {
			t.Fatalf("gz %v: volume past the data: %v", gz, err)
		}
	}

	// The gzip checksum is checked when the last volume is read (the
	// stream ends there), not for earlier ones, which do not reach it.
	b := fourD(1, binary.LittleEndian, 3, true).bytes(t)
	b[len(b)-8] ^= 0xff // CRC-32
	p = writeTemp(t, "crc.nii.gz", b)
	if _, err := ReadVolume(p, 2); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("corrupt CRC, last volume: %v", err)
	}
	if v, err := ReadVolume(p, 1); err != nil {
		t.Fatal(err)
	} else {
		checkVolume(t, v, 1)
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestReadVolumeSeeks: the last volume of a plain file costs one volume of
// reading, not the file.
func TestReadVolumeSeeks(t *testing.T) {
	const nx, ny, nz, nt = 64, 64, 16, 40 // 128 KiB a volume, 5 MiB in all
	f := newFixture(DTInt16, nx, ny, nz, nil)
	f.dim = [8]int64{4, nx, ny, nz, nt, 1, 1, 1}
	h := f.header()
	h.VoxOffset = voxOffset1
	hdr, err := encodeHeader(h, 1, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	per := nx * ny * nz * 2
	b := append(hdr, make([]byte, per*nt)...)
	last := b[len(hdr)+per*(nt-1):]
	for i := 0; i < len(last); i += 2 {
		binary.LittleEndian.PutUint16(last[i:], uint16(i/2%1000))
	}
	br := bytes.NewReader(b)
	seq := &countingReader{r: br}
	at := &countingReaderAt{r: br}
	v, err := decode(seq, source{size: int64(len(b)), isize: -1, at: at}, nt-1, false)
	if err != nil {
		t.Fatal(err)
	}
	if v.Data.At(999) != 999 || v.Data.At(1000) != 0 {
		t.Fatal("wrong volume")
	}
	if at.n != int64(per) || seq.n > 64<<10 {
		t.Fatalf("read %d bytes at the volume's offset (want %d) and %d from the start", at.n, per, seq.n)
	}
}

// TestWrite4D writes a time series with the streaming writer, in pieces
// that straddle volume boundaries, and reads every volume back.
func TestWrite4D(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, ext := range []string{".nii", ".nii.gz"} {
		const nt = 5
		var vols []*viewer.Volume
		for range nt {
			vols = append(vols, randomVolume(t, rng, viewer.Int16, [3]int{6, 5, 4}, rotation(viewer.Vec3{1, 1, 0}, 0.3)))
		}
		for _, v := range vols[1:] {
			v.Geometry = vols[0].Geometry
		}
		all := make(viewer.Voxels[int16], 0, nt*120)
		for _, v := range vols {
			all = append(all, v.Data.Raw().([]int16)...)
		}
		p := filepath.Join(t.TempDir(), "series"+ext)
		st, err := CreateFor(p, vols[0], viewer.Int16, WriteOptions{Volumes: nt, TimeStep: 2.5, Description: "series"})
		if err != nil {
			t.Fatal(err)
		}
		for from := 0; from < len(all); from += 77 {
			if err := st.WriteVoxels(all, from, min(77, len(all)-from)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.WriteVoxels(all, 0, 1); err == nil || !strings.Contains(err.Error(), "more voxels than the header declares") {
			t.Fatalf("extra voxel: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		h, err := ReadHeader(p)
		if err != nil {
			t.Fatal(err)
		}
		if h.Dim != [8]int64{4, 6, 5, 4, nt, 1, 1, 1} || h.NumVolumes() != nt || h.XYZTUnits != 10 || h.Pixdim[4] != 2.5 {
			t.Fatalf("header dim %v units %d pixdim %v", h.Dim, h.XYZTUnits, h.Pixdim)
		}
		if ts, ok := h.TimeStep(); !ok || ts != 2.5 {
			t.Fatalf("TimeStep %g %v", ts, ok)
		}
		for i, want := range vols {
			v, err := ReadVolume(p, i)
			if err != nil {
				t.Fatal(err)
			}
			assertSameBits(t, v.Data, want.Data)
			assertAffineRel(t, v.AffineRAS(), want.AffineRAS(), 1e-6)
			if len(v.Warnings) > 0 {
				t.Fatalf("warnings %q", v.Warnings)
			}
		}
		v, err := Read(p)
		if err != nil || !hasWarning(v, "4D file with 5 volumes: loaded the first (volume 1 of 5)") {
			t.Fatalf("Read: %v %q", err, v.Warnings)
		}
		assertSameBits(t, v.Data, vols[0].Data)
	}
}

func TestWrite4DErrors(t *testing.T) {
	v := randomVolume(t, rand.New(rand.NewPCG(23, 24)), viewer.Uint8, [3]int{3, 3, 3}, viewer.Identity3)
	dir := t.TempDir()

	// Close counts the volumes that arrived.
	p := filepath.Join(dir, "short.nii.gz")
	st, err := Create(p, v, WriteOptions{Volumes: 4})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.WriteVoxels(v.Data, 0, 27); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.WriteVoxels(v.Data, 0, 5); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err == nil || !strings.Contains(err.Error(), "49 voxel bytes missing: 2 of 4 volumes complete") {
		t.Fatalf("missing volumes: %v", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("an incomplete 4D file got its name")
	}

	// The type is the header's.
	st, err = Create(filepath.Join(dir, "t.nii"), v, WriteOptions{Volumes: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.WriteVoxels(make(viewer.Voxels[int16], 27), 0, 27); err == nil || !strings.Contains(err.Error(), "voxels of type int16 for a file of type uint8") {
		t.Fatalf("wrong type: %v", err)
	}
	st.Abort()

	for _, tc := range []struct {
		opt  WriteOptions
		want string
	}{
		{WriteOptions{Volumes: -1}, "invalid volume count -1"},
		{WriteOptions{Volumes: 2, TimeStep: -1}, "invalid time step -1 s"},
		{WriteOptions{Volumes: 2, TimeStep: math.NaN()}, "invalid time step NaN s"},
		{WriteOptions{Volumes: 2, TimeStep: 1e-50}, "out of range for NIfTI-1"},
	} {
		if _, err := Create(filepath.Join(dir, "e.nii"), v, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%+v: %v", tc.opt, err)
		}
	}
	if err := Write(filepath.Join(dir, "w.nii"), v, WriteOptions{Volumes: 3}); err == nil || !strings.Contains(err.Error(), "Write takes one volume, not 3") {
		t.Fatalf("Write with Volumes: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left %d files behind", len(ents))
	}

	// Volumes 0 and 1 are the 3D file, byte for byte.
	var files [][]byte
	for i, n := range []int{0, 1} {
		p := filepath.Join(dir, fmt.Sprintf("3d%d.nii", i))
		if err := Write(p, v, WriteOptions{Volumes: n, TimeStep: 3}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		files = append(files, b)
	}
	p = filepath.Join(dir, "3d.nii")
	if err := Write(p, v, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	plain, _ := os.ReadFile(p)
	if !bytes.Equal(files[0], plain) || !bytes.Equal(files[1], plain) {
		t.Fatal("Volumes 0/1 changed the 3D file")
	}

	// More volumes than NIfTI-1's int16 holds: NIfTI-2. No time step:
	// pixdim[4] 0 and no time unit.
	one := randomVolume(t, rand.New(rand.NewPCG(25, 26)), viewer.Uint8, [3]int{1, 1, 1}, viewer.Identity3)
	p = filepath.Join(dir, "long.nii")
	st, err = Create(p, one, WriteOptions{Volumes: 40000})
	if err != nil {
		t.Fatal(err)
	}
	seq := make(viewer.Voxels[uint8], 40000)
	for i := range seq {
		seq[i] = uint8(i % 251)
	}
	if err := st.WriteVoxels(seq, 0, len(seq)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(p)
	if err != nil || h.Version != 2 || h.Dim[4] != 40000 || h.VoxOffset != voxOffset2 || h.Pixdim[4] != 0 || h.XYZTUnits != unitsMM {
		t.Fatalf("%v %+v", err, h)
	}
	if _, ok := h.TimeStep(); ok {
		t.Fatal("a time step for a file written without one")
	}
	if v, err := ReadVolume(p, 39999); err != nil || v.Data.At(0) != float64(39999%251) {
		t.Fatalf("last of 40000: %v", err)
	}
}

func TestTimeStep(t *testing.T) {
	for _, tc := range []struct {
		units  int
		pixdim float64
		want   float64
		ok     bool
	}{
		{unitsMM | unitsSec, 2, 2, true},
		{unitsMM | unitsMsec, 1500, 1.5, true},
		{unitsMM | unitsUsec, 250, 250e-6, true},
		{unitsMM, 2, 0, false},      // unit unset
		{unitsMM | 32, 2, 0, false}, // Hz: a spectral axis
		{unitsMM | unitsSec, 0, 0, false},
		{unitsMM | unitsSec, -2, 0, false},
		{unitsMM | unitsSec, math.Inf(1), 0, false},
		{unitsMM | unitsSec, math.NaN(), 0, false},
	} {
		h := &Header{XYZTUnits: tc.units}
		h.Pixdim[4] = tc.pixdim
		if got, ok := h.TimeStep(); ok != tc.ok || math.Abs(got-tc.want) > 1e-15 {
			t.Fatalf("units %d pixdim %g: %g %v", tc.units, tc.pixdim, got, ok)
		}
	}
}

// TestNibabelReads4D: nibabel loads a 4D file from the streaming writer
// with the right shape, time step and units, and per-volume sums equal to
// ours. Skipped where Debian's python3 with nibabel is not installed; the
// committed counterpart is TestWrite4DMatchesNibabelFixture.
func TestNibabelReads4D(t *testing.T) {
	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if exec.Command(py, "-c", "import nibabel").Run() != nil {
		t.Skip("python3 has no nibabel")
	}
	rng := rand.New(rand.NewPCG(27, 28))
	for _, ext := range []string{".nii", ".nii.gz"} {
		v := randomVolume(t, rng, viewer.Float32, [3]int{4, 3, 2}, rotation(viewer.Vec3{0, 1, 1}, 0.4))
		s := v.Data.Raw().([]float32)
		s[0], s[1] = 1, 2 // no NaN/Inf for the sums
		p := filepath.Join(t.TempDir(), "n4"+ext)
		st, err := Create(p, v, WriteOptions{Volumes: 3, TimeStep: 0.8})
		if err != nil {
			t.Fatal(err)
		}
		var sums []float64
		for vol := range 3 {
			sum := 0.0
			for i := range s {
				s[i] += float32(vol)
				sum += float64(s[i])
			}
			sums = append(sums, sum)
			if err := st.WriteVoxels(v.Data, 0, len(s)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", `
import sys, nibabel as nib, numpy as np
im = nib.load(sys.argv[1]); a = np.asanyarray(im.dataobj).astype(np.float64)
print(*a.shape, repr(float(im.header.get_zooms()[3])), *im.header.get_xyzt_units(), *[repr(float(a[..., t].sum())) for t in range(a.shape[3])])
`, p).CombinedOutput()
		if err != nil {
			t.Fatalf("nibabel: %v\n%s", err, out)
		}
		f := strings.Fields(string(out))
		if strings.Join(f[:7], " ") != "4 3 2 3 0.800000011920929 mm sec" {
			t.Fatalf("nibabel says %q", f[:7])
		}
		for vol, want := range sums {
			var got float64
			fmt.Sscan(f[7+vol], &got)
			if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Fatalf("volume %d: nibabel sum %v, ours %v", vol, got, want)
			}
		}
	}
}

// TestWrite4DMatchesNibabelFixture writes the series of the nibabel
// fixture fmri_int16_tr2s.nii.gz with the streaming writer and checks that
// the header fields nibabel wrote, and nibabel's per-volume sums, come out
// of our file too.
func TestWrite4DMatchesNibabelFixture(t *testing.T) {
	want := loadConformance(t)["fmri_int16_tr2s.nii.gz"]
	g := viewer.GeometryFromAffineRAS(viewer.Mat4{{-2, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 2.5, 0}, {0, 0, 0, 1}}, [3]int{5, 4, 3})
	hdr := &viewer.Volume{Geometry: g}
	p := filepath.Join(t.TempDir(), "ours.nii.gz")
	st, err := CreateFor(p, hdr, viewer.Int16, WriteOptions{Volumes: 6, TimeStep: 2})
	if err != nil {
		t.Fatal(err)
	}
	vol := make(viewer.Voxels[int16], 60)
	for tt := range 6 {
		for k := range 3 {
			for j := range 4 {
				for i := range 5 {
					vol[g.Index(i, j, k)] = int16(i + 10*j + 100*k + 1000*tt - 50)
				}
			}
		}
		if err := st.WriteVoxels(vol, 0, 60); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(p)
	if err != nil {
		t.Fatal(err)
	}
	if h.Dim != want.Dim || h.XYZTUnits != want.XYZTUnits || h.Pixdim[4] != want.Pixdim4 {
		t.Fatalf("ours: dim %v units %d pixdim4 %g; nibabel's: %v %d %g", h.Dim, h.XYZTUnits, h.Pixdim[4], want.Dim, want.XYZTUnits, want.Pixdim4)
	}
	for tt := range 6 {
		v, err := ReadVolume(p, tt)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for n := range v.Data.Len() {
			sum += v.Data.At(n)
		}
		if sum != want.VolumeSums[tt] {
			t.Fatalf("volume %d: sum %v, nibabel's file %v", tt, sum, want.VolumeSums[tt])
		}
	}
}
