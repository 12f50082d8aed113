package nifti

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"delineate/viewer"
)

// rotation returns the rotation by angle about axis (Rodrigues).
func rotation(axis viewer.Vec3, angle float64) viewer.Mat3 {
	n := axis.Norm()
	x, y, z := axis[0]/n, axis[1]/n, axis[2]/n
	c, s := math.Cos(angle), math.Sin(angle)
	C := 1 - c
	return viewer.Mat3{
		{c + x*x*C, x*y*C - z*s, x*z*C + y*s},
		{y*x*C + z*s, c + y*y*C, y*z*C - x*s},
		{z*x*C - y*s, z*y*C + x*s, c + z*z*C},
	}
}

// testRotations: random rotations, improper ones (a reflected axis), exact
// and near 180° turns (where the simple quaternion formula breaks down),
// and axis permutations like the MR brain file's.
func testRotations() []viewer.Mat3 {
	rng := rand.New(rand.NewPCG(1, 2))
	randAxis := func() viewer.Vec3 {
		return viewer.Vec3{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
	}
	var rs []viewer.Mat3
	for range 20 {
		rs = append(rs, rotation(randAxis(), rng.Float64()*2*math.Pi))
	}
	for _, ax := range []viewer.Vec3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {1, -2, 3}, randAxis(), randAxis()} {
		rs = append(rs, rotation(ax, math.Pi), rotation(ax, math.Pi-1e-4), rotation(ax, math.Pi+1e-7))
	}
	rs = append(rs, viewer.Identity3, viewer.Mat3{{1, 0, 0}, {0, 0, 1}, {0, -1, 0}}, viewer.Mat3{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}})
	// Improper: reflect one column of each.
	n := len(rs)
	for i := range n {
		m := rs[i]
		col := i % 3
		for r := range 3 {
			m[r][col] = -m[r][col]
		}
		rs = append(rs, m)
	}
	return rs
}

// TestQuaternionRoundTrip checks affineToQuatern/quaternToAffine in
// float64, away from the file's float32 fields.
func TestQuaternionRoundTrip(t *testing.T) {
	for i, r := range testRotations() {
		q, qfac := affineToQuatern(r)
		if (r.Det() < 0) != (qfac < 0) {
			t.Fatalf("rotation %d: det %g qfac %g", i, r.Det(), qfac)
		}
		if s := q.Dot(q); s > 1+1e-12 {
			t.Fatalf("rotation %d: |q|² = %g", i, s)
		}
		back := quaternToAffine(q, viewer.Vec3{}, viewer.Vec3{1, 1, 1}, qfac, 1e-15)
		// The file format keeps b, c, d only and derives a from them, which
		// near 180° (a → 0) costs precision even in float64: δa ≈ 1e-16/a.
		tol := 1e-12
		if 1-q.Dot(q) < 1e-6 {
			tol = 1e-7
		}
		for a := range 3 {
			for b := range 3 {
				if math.Abs(back[a][b]-r[a][b]) > tol {
					t.Fatalf("rotation %d: got\n%v\nwant\n%v", i, back, r)
				}
			}
		}
	}
	// Slightly non-orthogonal input (from float32 rounding) still gives the
	// nearest rotation.
	r := rotation(viewer.Vec3{1, 2, 3}, 2)
	r[0][1] += 1e-6
	q, _ := affineToQuatern(r)
	back := quaternToAffine(q, viewer.Vec3{}, viewer.Vec3{1, 1, 1}, 1, 1e-15)
	if math.Abs(back[0][1]-r[0][1]) > 1e-5 {
		t.Fatal("near-orthogonal input drifted")
	}
}

func randomVolume(t testing.TB, rng *rand.Rand, typ viewer.DataType, dims [3]int, dir viewer.Mat3) *viewer.Volume {
	t.Helper()
	g := viewer.Geometry{
		Dims:      dims,
		Spacing:   viewer.Vec3{0.3 + 3*rng.Float64(), 0.3 + 3*rng.Float64(), 0.5 + 5*rng.Float64()},
		Direction: dir,
	}
	for i := range 3 {
		// Whole 1/1024 mm keep the origin exact in float32, so the
		// comparison measures this package, not NIfTI-1's precision.
		g.Origin[i] = math.Round((rng.Float64()*400-200)*1024) / 1024
	}
	v, err := viewer.NewVolume(g, typ)
	if err != nil {
		t.Fatal(err)
	}
	// Values spanning the type's range, so the reader keeps the type.
	switch s := v.Data.Raw().(type) {
	case []uint8:
		for i := range s {
			s[i] = uint8(rng.Uint32())
		}
		s[0] = 255
	case []int8:
		for i := range s {
			s[i] = int8(rng.Uint32())
		}
		s[0], s[1] = -128, 127
	case []uint16:
		for i := range s {
			s[i] = uint16(rng.Uint32())
		}
		s[0] = 65535
	case []int16:
		for i := range s {
			s[i] = int16(rng.Uint32())
		}
		s[0], s[1] = -32768, 32767
	case []uint32:
		for i := range s {
			s[i] = rng.Uint32()
		}
		s[0] = math.MaxUint32
	case []int32:
		for i := range s {
			s[i] = int32(rng.Uint32())
		}
		s[0], s[1] = math.MinInt32, math.MaxInt32
	case []float32:
		for i := range s {
			s[i] = float32(rng.NormFloat64() * 1000)
		}
		s[0] = float32(math.NaN())
		s[1] = float32(math.Inf(-1))
	}
	return v
}

var volumeTypes = []viewer.DataType{viewer.Uint8, viewer.Int8, viewer.Uint16, viewer.Int16, viewer.Uint32, viewer.Int32, viewer.Float32}

func TestWriteRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	rots := testRotations()
	for i, rot := range rots {
		typ := volumeTypes[i%len(volumeTypes)]
		ext := []string{".nii", ".nii.gz"}[i%2]
		t.Run(fmt.Sprintf("%d-%v%s", i, typ, ext), func(t *testing.T) {
			// Direction is in LPS; the rotations are used as given.
			v := randomVolume(t, rng, typ, [3]int{7, 5, 3}, rot)
			p := filepath.Join(dir, fmt.Sprintf("v%d%s", i, ext))
			if err := Write(p, v, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			w, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Warnings) > 0 {
				t.Fatalf("warnings %q", w.Warnings)
			}
			assertSameBits(t, w.Data, v.Data)
			assertAffineRel(t, w.AffineRAS(), v.AffineRAS(), 1e-6)

			// The qform agrees with the sform. NIfTI-1 keeps the
			// quaternion in float32, which near a 180° turn cannot pin
			// down the small first component: allow for that there.
			h, err := ReadHeader(p)
			if err != nil {
				t.Fatal(err)
			}
			tol := 2e-6
			if q := h.Quatern; 1-(q[0]*q[0]+q[1]*q[1]+q[2]*q[2]) < 1e-2 {
				tol = 1e-4
			}
			if h.SformCode != 1 || h.QformCode != 1 || h.XYZTUnits != 2 || h.SclSlope != 1 || h.SclInter != 0 || h.VoxOffset != 352 {
				t.Fatalf("header %+v", h)
			}
			assertAffineRel(t, h.QformAffine(), h.SformAffine(), tol)
		})
	}
}

// TestWriteNIfTI2 writes a volume with a dimension over 32767, which needs
// NIfTI-2, and checks that its float64 fields keep full precision.
func TestWriteNIfTI2(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, ext := range []string{".nii", ".nii.gz"} {
		v := randomVolume(t, rng, viewer.Int16, [3]int{40000, 2, 1}, rotation(viewer.Vec3{1, 2, 3}, 2.5))
		v.Origin = viewer.Vec3{123.456789012345, -98.7654321, 0.1}
		p := filepath.Join(t.TempDir(), "wide"+ext)
		if err := Write(p, v, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		h, err := ReadHeader(p)
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != 2 || h.VoxOffset != 544 || h.Dim[1] != 40000 {
			t.Fatalf("header %+v", h)
		}
		w, err := Read(p)
		if err != nil {
			t.Fatal(err)
		}
		assertSameBits(t, w.Data, v.Data)
		assertAffine(t, w.AffineRAS(), v.AffineRAS(), 1e-9)
		assertAffine(t, h.QformAffine(), h.SformAffine(), 1e-9)
	}
}

func TestWriteRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.nii.gz")
	v := randomVolume(t, rand.New(rand.NewPCG(7, 8)), viewer.Int16, [3]int{4, 4, 4}, viewer.Identity3)
	if err := Write(p, v, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	err := Write(p, v, WriteOptions{})
	if !errors.Is(err, os.ErrExist) || !strings.Contains(err.Error(), "exists; not overwriting") || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Fatal("refused write changed the file")
	}
	v.Data.Raw().([]int16)[5] = 1234
	if err := Write(p, v, WriteOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	w, err := Read(p)
	if err != nil || w.Data.At(5) != 1234 {
		t.Fatalf("overwrite: %v", err)
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries", len(ents))
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	v := randomVolume(t, rand.New(rand.NewPCG(9, 10)), viewer.Uint8, [3]int{2, 2, 2}, viewer.Identity3)
	if err := Write(filepath.Join(dir, "a.img"), v, WriteOptions{}); err == nil || !strings.Contains(err.Error(), ".nii") {
		t.Fatalf("bad extension: %v", err)
	}
	bad := *v
	bad.Data = viewer.Voxels[uint8](make([]uint8, 3))
	if err := Write(filepath.Join(dir, "b.nii"), &bad, WriteOptions{}); err == nil {
		t.Fatal("wrong voxel count accepted")
	}
	bad = *v
	bad.Spacing[0] = 0
	if err := Write(filepath.Join(dir, "c.nii"), &bad, WriteOptions{}); err == nil {
		t.Fatal("zero spacing accepted")
	}
	bad = *v
	bad.Origin[0] = 1e39 // beyond float32
	if err := Write(filepath.Join(dir, "d.nii"), &bad, WriteOptions{}); err == nil {
		t.Fatal("unrepresentable origin accepted")
	}
	if err := Write(filepath.Join(dir, "no-such-dir", "e.nii"), v, WriteOptions{}); err == nil {
		t.Fatal("missing directory accepted")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Fatalf("failed writes left %d files", len(ents))
	}
}

func TestWriteHeaderFields(t *testing.T) {
	v := randomVolume(t, rand.New(rand.NewPCG(11, 12)), viewer.Int16, [3]int{3, 3, 3}, viewer.Identity3)
	v.Description = "Patient Name^Secret" // must not reach the file
	v.Windows = []viewer.WindowPreset{{Name: "abdomen", Center: 40, Width: 400}}
	long := strings.Repeat("é", 50) // 100 bytes
	p := filepath.Join(t.TempDir(), "h.nii")
	if err := Write(p, v, WriteOptions{Description: long}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	if bytes.Contains(raw, []byte("Secret")) {
		t.Fatal("volume description written to the file")
	}
	if string(raw[344:348]) != "n+1\x00" || len(raw) != 352+27*2 {
		t.Fatalf("magic %q, size %d", raw[344:348], len(raw))
	}
	h, err := ReadHeader(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Descrip) != 78 || h.Descrip != strings.Repeat("é", 39) {
		t.Fatalf("descrip %q (%d bytes)", h.Descrip, len(h.Descrip))
	}
	if h.CalMin != -160 || h.CalMax != 240 || h.Datatype != DTInt16 || h.Bitpix != 16 {
		t.Fatalf("header %+v", h)
	}
	// .gz really is gzip.
	pz := filepath.Join(t.TempDir(), "h.nii.gz")
	if err := Write(pz, v, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	rz, _ := os.ReadFile(pz)
	if rz[0] != 0x1f || rz[1] != 0x8b || !bytes.Equal(gunzipBytes(t, rz)[352:], raw[352:]) {
		t.Fatal("gzip output differs")
	}
}

// TestNibabelReadsOurFiles is the independent check on the writer: nibabel
// loads what Write produced, for every test rotation, and must agree on
// type, voxels, the affine (sform) and the qform. Skipped where Debian's
// python3 with nibabel is not installed.
func TestNibabelReadsOurFiles(t *testing.T) {
	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if exec.Command(py, "-c", "import nibabel").Run() != nil {
		t.Skip("python3 has no nibabel")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	dir := t.TempDir()
	var vols []*viewer.Volume
	var paths []string
	for i, rot := range testRotations() {
		typ := volumeTypes[i%len(volumeTypes)]
		v := randomVolume(t, rng, typ, [3]int{6, 5, 4}, rot)
		if typ == viewer.Float32 {
			v.Data.Raw().([]float32)[0], v.Data.Raw().([]float32)[1] = 1, 2 // no NaN/Inf for the sum
		}
		p := filepath.Join(dir, fmt.Sprintf("n%d%s", i, []string{".nii", ".nii.gz"}[i%2]))
		if err := Write(p, v, WriteOptions{Description: "x"}); err != nil {
			t.Fatal(err)
		}
		vols = append(vols, v)
		paths = append(paths, p)
	}
	out, err := exec.Command(py, append([]string{"-c", `
import sys, nibabel as nib, numpy as np
for p in sys.argv[1:]:
    im = nib.load(p); a = np.asanyarray(im.dataobj)
    print(a.dtype.name, *a.shape, repr(float(a.astype(np.float64).sum())), *im.affine.flatten().tolist(), *im.header.get_qform().flatten().tolist())
`}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("nibabel: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(vols) {
		t.Fatalf("nibabel printed %d lines for %d files", len(lines), len(vols))
	}
	for i, v := range vols {
		f := strings.Fields(lines[i])
		if want := []string{v.Data.Type().String(), "6", "5", "4"}; !slices.Equal(f[:4], want) {
			t.Fatalf("%s: nibabel says %q, want %q", paths[i], f[:4], want)
		}
		var sum, gotSum float64
		for n := range v.Data.Len() {
			sum += v.Data.At(n)
		}
		fmt.Sscan(f[4], &gotSum)
		if math.Abs(gotSum-sum) > 1e-6*math.Max(1, math.Abs(sum)) {
			t.Fatalf("%s: nibabel sum %v, ours %v", paths[i], gotSum, sum)
		}
		// The qform tolerance is TestWriteRoundTrip's: float32 b, c, d
		// cannot pin down a rotation just short of 180°.
		qtol := 2e-6
		if h, err := ReadHeader(paths[i]); err != nil {
			t.Fatal(err)
		} else if q := viewer.Vec3(h.Quatern); 1-q.Dot(q) < 1e-2 {
			qtol = 1e-4
		}
		for m, tol := range []float64{1e-6, qtol} { // affine (sform), then qform
			var a viewer.Mat4
			for k := range 16 {
				fmt.Sscan(f[5+16*m+k], &a[k/4][k%4])
			}
			assertAffineRel(t, a, v.AffineRAS(), tol)
		}
	}
}

func assertSameBits(t testing.TB, got, want viewer.VoxelData) {
	t.Helper()
	if got.Type() != want.Type() || got.Len() != want.Len() {
		t.Fatalf("got %v×%d, want %v×%d", got.Type(), got.Len(), want.Type(), want.Len())
	}
	a, _ := voxelBytes(got)
	b, _ := voxelBytes(want)
	if !bytes.Equal(a, b) {
		t.Fatal("voxel bytes differ")
	}
}

// assertAffineRel compares with a tolerance relative to each entry's size
// (at least 1): NIfTI-1 stores the affine in float32.
func assertAffineRel(t testing.TB, got, want viewer.Mat4, tol float64) {
	t.Helper()
	for r := range 4 {
		for c := range 4 {
			if math.Abs(got[r][c]-want[r][c]) > tol*math.Max(1, math.Abs(want[r][c])) {
				t.Fatalf("affine differs at [%d][%d]: got\n%v\nwant\n%v", r, c, fmtMat(got), fmtMat(want))
			}
		}
	}
}
