package nifti

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"delineate/viewer"
)

// typeCase gives, per datatype, stored values that span enough of its range
// to fix the output type, and the type the reader must produce.
var typeCases = []struct {
	dt     Datatype
	values []float64
	want   viewer.DataType
}{
	{DTUint8, []float64{0, 1, 127, 128, 200, 255}, viewer.Uint8},
	{DTInt8, []float64{-128, -1, 0, 1, 100, 127}, viewer.Int8},
	{DTUint16, []float64{0, 1, 255, 256, 40000, 65535}, viewer.Uint16},
	{DTInt16, []float64{-32768, -1024, 0, 1, 3071, 32767}, viewer.Int16},
	{DTUint32, []float64{0, 1, 65536, 1 << 31, 3e9, math.MaxUint32}, viewer.Uint32},
	{DTInt32, []float64{math.MinInt32, -70000, 0, 1, 70000, math.MaxInt32}, viewer.Int32},
	// 64-bit integers have no volume type: they narrow when they fit…
	{DTInt64, []float64{-1000, -1, 0, 1, 500, 1000}, viewer.Int16},
	{DTUint64, []float64{0, 1, 2, 3, 200, 255}, viewer.Uint8},
	{DTFloat32, []float64{-1.5, 0, 0.25, 1e-3, 3.5e4, -7}, viewer.Float32},
	{DTFloat64, []float64{-1.5, 0, 0.25, 1e-3, 3.5e4, -7}, viewer.Float32},
}

// TestDatatypeMatrix reads every datatype in both byte orders, both
// versions, plain and gzipped, through both a sized and an unsized reader.
func TestDatatypeMatrix(t *testing.T) {
	srow := [3][4]float64{{-1.5, 0, 0, 10}, {0, 2, 0.5, -20}, {0, -0.25, 3, 30.5}}
	for _, tc := range typeCases {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			for _, version := range []int{1, 2} {
				for _, gz := range []bool{false, true} {
					name := fmt.Sprintf("%v/%v/nifti%d/gz=%v", tc.dt, order, version, gz)
					t.Run(name, func(t *testing.T) {
						// 3×2×1 voxels = the six values.
						f := newFixture(tc.dt, 3, 2, 1, tc.values)
						f.order, f.version, f.gz = order, version, gz
						f.srow = srow
						b := f.bytes(t)
						for _, sized := range []bool{true, false} {
							var v *viewer.Volume
							var err error
							if sized {
								v, err = ReadFrom(bytes.NewReader(b))
							} else {
								v, err = ReadFrom(noLen{bytes.NewReader(b)})
							}
							if err != nil {
								t.Fatal(err)
							}
							if v.Data.Type() != tc.want {
								t.Fatalf("type %v, want %v", v.Data.Type(), tc.want)
							}
							if v.Dims != [3]int{3, 2, 1} {
								t.Fatalf("dims %v", v.Dims)
							}
							for i, x := range tc.values {
								want := x
								if tc.want == viewer.Float32 {
									want = float64(float32(x))
								}
								if got := v.Data.At(i); got != want {
									t.Fatalf("voxel %d = %g, want %g", i, got, want)
								}
							}
							assertAffine(t, v.AffineRAS(), viewer.Mat4{srow[0], srow[1], srow[2], {0, 0, 0, 1}}, 1e-6)
							if v.Description != "fixture" {
								t.Fatalf("description %q", v.Description)
							}
						}
						// The path reader, which sizes its buffer from the
						// file size or the gzip trailer, agrees.
						ext := ".nii"
						if gz {
							ext = ".nii.gz"
						}
						v, err := Read(writeTemp(t, "f"+ext, b))
						if err != nil {
							t.Fatal(err)
						}
						if v.Data.Type() != tc.want || v.Data.Len() != len(tc.values) {
							t.Fatalf("Read: %v×%d", v.Data.Type(), v.Data.Len())
						}
					})
				}
			}
		}
	}
}

// TestNibabelFixtures reads small files written by nibabel 5.0 (see
// testdata/README.md), which pin the NIfTI-2 layout and big-endian handling to
// an independent implementation. Voxel (i,j,k) holds i + 10j + 100k − 50
// before any transformation.
func TestNibabelFixtures(t *testing.T) {
	oblique := viewer.Mat4{{-2, 0.1, 0, 90.5}, {0.05, 1.5, -0.3, -120.25}, {0, 0.2, 3, 33}, {0, 0, 0, 1}}
	base := func(i, j, k int) float64 { return float64(i + 10*j + 100*k - 50) }
	cases := []struct {
		file    string
		version int
		order   binary.ByteOrder
		typ     viewer.DataType
		affine  viewer.Mat4
		value   func(i, j, k int) float64
		sum     float64
	}{
		{"nib2_le_int16.nii", 2, binary.LittleEndian, viewer.Int16, oblique, base, 4020},
		{"nib2_be_f64.nii.gz", 2, binary.BigEndian, viewer.Float32, oblique,
			func(i, j, k int) float64 { return 0.5 * base(i, j, k) }, 2010},
		// uint16 with slope 2, inter −10: the scaled range −10…458 no
		// longer fits uint16, so it becomes int16. qform only, qfac −1.
		{"nib1_be_u16_qform_scaled.nii", 1, binary.BigEndian, viewer.Int16,
			viewer.Mat4{{1.5, 0, 0, 10}, {0, 1.5, 0, 20}, {0, 0, -2.5, 30}, {0, 0, 0, 1}},
			func(i, j, k int) float64 { return 2*(base(i, j, k)+50) - 10 }, 13440},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			p := "testdata/" + tc.file
			h, err := ReadHeader(p)
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != tc.version || h.ByteOrder != tc.order {
				t.Fatalf("version %d order %v", h.Version, h.ByteOrder)
			}
			v, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if v.Dims != [3]int{5, 4, 3} || v.Data.Type() != tc.typ {
				t.Fatalf("dims %v type %v", v.Dims, v.Data.Type())
			}
			assertAffine(t, v.AffineRAS(), tc.affine, 1e-5)
			sum := 0.0
			for k := range 3 {
				for j := range 4 {
					for i := range 5 {
						if got, want := v.Value(i, j, k), tc.value(i, j, k); got != want {
							t.Fatalf("voxel %d,%d,%d = %g, want %g", i, j, k, got, want)
						}
						sum += v.Value(i, j, k)
					}
				}
			}
			if sum != tc.sum {
				t.Fatalf("sum %g, want %g (nibabel)", sum, tc.sum)
			}
		})
	}
}

func TestScaling(t *testing.T) {
	cases := []struct {
		name         string
		dt           Datatype
		values       []float64
		slope, inter float64
		want         viewer.DataType
		scaled       []float64
	}{
		{"integral inter keeps int16", DTInt16, []float64{0, 1000, 2000}, 1, -1024, viewer.Int16, []float64{-1024, -24, 976}},
		{"integral slope widens uint8 to int16", DTUint8, []float64{0, 100, 255}, 4, -500, viewer.Int16, []float64{-500, -100, 520}},
		{"uint8 stays uint8 when it fits", DTUint8, []float64{0, 10, 20}, 2, 1, viewer.Uint8, []float64{1, 21, 41}},
		{"negative slope", DTInt16, []float64{-5, 0, 5}, -3, 0, viewer.Int16, []float64{15, 0, -15}},
		{"fractional slope → float32", DTInt16, []float64{0, 1, 2}, 0.5, 0, viewer.Float32, []float64{0, 0.5, 1}},
		{"fractional inter → float32", DTUint8, []float64{0, 1, 2}, 1, 0.25, viewer.Float32, []float64{0.25, 1.25, 2.25}},
		{"slope 0 means unscaled", DTInt16, []float64{-3, 0, 3}, 0, 100, viewer.Int16, []float64{-3, 0, 3}},
		{"NaN slope means unscaled", DTInt16, []float64{-3, 0, 3}, math.NaN(), 100, viewer.Int16, []float64{-3, 0, 3}},
		{"int32 narrows to int16", DTInt32, []float64{-1207, 0, 3382}, 1, 0, viewer.Int16, []float64{-1207, 0, 3382}},
		{"int32 scaled past int16", DTInt32, []float64{-1, 0, 1}, 100000, 0, viewer.Int32, []float64{-100000, 0, 100000}},
		{"uint16 stays uint16", DTUint16, []float64{0, 10, 1000}, 1, 0, viewer.Uint16, []float64{0, 10, 1000}},
		{"int16 overflow widens to int32", DTInt16, []float64{-32768, 0, 32767}, 2, 0, viewer.Int32, []float64{-65536, 0, 65534}},
		{"beyond int32 → float32", DTInt32, []float64{math.MinInt32, 0, math.MaxInt32}, 4, 0, viewer.Float32,
			[]float64{float64(float32(4 * float64(math.MinInt32))), 0, float64(float32(4 * float64(math.MaxInt32)))}},
		{"float32 scaled stays float32", DTFloat32, []float64{1, 2, 3}, 2, 0, viewer.Float32, []float64{2, 4, 6}},
		{"integral float64 → int", DTFloat64, []float64{-3, 0, 3000}, 1, 0, viewer.Int16, []float64{-3, 0, 3000}},
		{"int64 too wide → float32", DTInt64, []float64{-1 << 40, 0, 1 << 40}, 1, 0, viewer.Float32, []float64{-1 << 40, 0, 1 << 40}},
		{"uint64 with inter", DTUint64, []float64{0, 1, 2}, 1, -1, viewer.Int8, []float64{-1, 0, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(tc.dt, 3, 1, 1, tc.values)
			f.slope, f.inter = tc.slope, tc.inter
			v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
			if err != nil {
				t.Fatal(err)
			}
			if v.Data.Type() != tc.want {
				t.Fatalf("type %v, want %v", v.Data.Type(), tc.want)
			}
			for i, want := range tc.scaled {
				if got := v.Data.At(i); got != want {
					t.Fatalf("voxel %d = %g, want %g", i, got, want)
				}
			}
		})
	}
}

// TestGeometrySelection pins which header field places the image.
func TestGeometrySelection(t *testing.T) {
	// 90° about z: quaternion (a, b, c, d) = (cos 45°, 0, 0, sin 45°).
	s := math.Sqrt(0.5)
	rotZ := [3]float64{0, 0, s}
	sform := [3][4]float64{{2, 0, 0, -5}, {0, 3, 0, -6}, {0, 0, 4, -7}}
	cases := []struct {
		name    string
		edit    func(*fixture)
		want    viewer.Mat4
		warning string
	}{
		{"sform only", func(f *fixture) {}, viewer.Mat4{{2, 0, 0, -5}, {0, 3, 0, -6}, {0, 0, 4, -7}, {0, 0, 0, 1}}, ""},
		{"qform when sform_code is 0", func(f *fixture) { f.sform = 0 },
			viewer.Mat4{{0, -3, 0, 1}, {2, 0, 0, 2}, {0, 0, 4, 3}, {0, 0, 0, 1}}, ""},
		{"sform wins over a different qform", func(f *fixture) {},
			viewer.Mat4{{2, 0, 0, -5}, {0, 3, 0, -6}, {0, 0, 4, -7}, {0, 0, 0, 1}}, ""},
		{"qfac −1 flips k", func(f *fixture) { f.sform = 0; f.pixdim[0] = -1 },
			viewer.Mat4{{0, -3, 0, 1}, {2, 0, 0, 2}, {0, 0, -4, 3}, {0, 0, 0, 1}}, ""},
		{"negative pixdim taken as its magnitude", func(f *fixture) { f.sform = 0; f.pixdim[1] = -2 },
			viewer.Mat4{{0, -3, 0, 1}, {2, 0, 0, 2}, {0, 0, 4, 3}, {0, 0, 0, 1}}, ""},
		{"identity quaternion", func(f *fixture) { f.sform = 0; f.quatern = [3]float64{} },
			viewer.Mat4{{2, 0, 0, 1}, {0, 3, 0, 2}, {0, 0, 4, 3}, {0, 0, 0, 1}}, ""},
		{"180° about x", func(f *fixture) { f.sform = 0; f.quatern = [3]float64{1, 0, 0} },
			viewer.Mat4{{2, 0, 0, 1}, {0, -3, 0, 2}, {0, 0, -4, 3}, {0, 0, 0, 1}}, ""},
		{"neither: pixdim scaling", func(f *fixture) { f.sform, f.qform = 0, 0 },
			viewer.Mat4{{2, 0, 0, 0}, {0, 3, 0, 0}, {0, 0, 4, 0}, {0, 0, 0, 1}}, "no sform or qform"},
		{"zero pixdim → 1", func(f *fixture) { f.sform, f.qform = 0, 0; f.pixdim[2] = 0 },
			viewer.Mat4{{2, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 4, 0}, {0, 0, 0, 1}}, "pixdim[2] = 0"},
		{"singular sform falls back to qform", func(f *fixture) { f.srow = [3][4]float64{} },
			viewer.Mat4{{0, -3, 0, 1}, {2, 0, 0, 2}, {0, 0, 4, 3}, {0, 0, 0, 1}}, "sform is unusable"},
		{"NaN sform falls back to qform", func(f *fixture) { f.srow[1][1] = math.NaN() },
			viewer.Mat4{{0, -3, 0, 1}, {2, 0, 0, 2}, {0, 0, 4, 3}, {0, 0, 0, 1}}, "sform is unusable"},
		{"metres converted to mm", func(f *fixture) {
			f.units = unitsMeter
			f.srow = [3][4]float64{{0.002, 0, 0, 0.125}, {0, 0.003, 0, 0}, {0, 0, 0.004, 0}}
		},
			viewer.Mat4{{2, 0, 0, 125}, {0, 3, 0, 0}, {0, 0, 4, 0}, {0, 0, 0, 1}}, "metres"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(DTUint8, 2, 2, 2, make([]float64, 8))
			f.sform, f.qform = 1, 1
			f.srow = sform
			f.quatern = rotZ
			f.qoffset = [3]float64{1, 2, 3}
			f.pixdim = [8]float64{1, 2, 3, 4, 1, 1, 1, 1}
			tc.edit(&f)
			v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
			if err != nil {
				t.Fatal(err)
			}
			assertAffine(t, v.AffineRAS(), tc.want, 1e-6)
			if tc.warning == "" && len(v.Warnings) > 0 {
				t.Fatalf("unexpected warnings %q", v.Warnings)
			}
			if tc.warning != "" && !hasWarning(v, tc.warning) {
				t.Fatalf("warnings %q lack %q", v.Warnings, tc.warning)
			}
			// LPS: the first two rows of the RAS affine negated.
			lps := v.AffineLPS()
			for c := range 4 {
				if lps[0][c] != -v.AffineRAS()[0][c] || lps[2][c] != v.AffineRAS()[2][c] {
					t.Fatal("LPS/RAS mismatch")
				}
			}
		})
	}
}

func TestFourD(t *testing.T) {
	// 3×2×2 voxels × 5 volumes; volume t holds 100t + n.
	var values []float64
	for vol := range 5 {
		for n := range 12 {
			values = append(values, float64(100*vol+n))
		}
	}
	for _, version := range []int{1, 2} {
		f := newFixture(DTInt16, 3, 2, 2, values)
		f.version = version
		f.dim = [8]int64{4, 3, 2, 2, 5, 1, 1, 1}
		v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
		if err != nil {
			t.Fatal(err)
		}
		if v.Dims != [3]int{3, 2, 2} || v.Data.Len() != 12 {
			t.Fatalf("dims %v len %d", v.Dims, v.Data.Len())
		}
		for n := range 12 {
			if v.Data.At(n) != float64(n) {
				t.Fatalf("voxel %d = %g", n, v.Data.At(n))
			}
		}
		if !hasWarning(v, "4D file with 5 volumes: loaded the first") {
			t.Fatalf("warnings %q", v.Warnings)
		}
	}

	// A 4D file with a single volume is just 3D, and axes past dim[0] are
	// ignored whatever they hold.
	f := newFixture(DTUint8, 2, 2, 2, make([]float64, 8))
	f.dim = [8]int64{4, 2, 2, 2, 1, 0, -7, 99}
	v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
	if err != nil || len(v.Warnings) > 0 {
		t.Fatalf("err %v warnings %q", err, v.Warnings)
	}
}

func TestLowerDimensional(t *testing.T) {
	// 2D: depth 1; garbage in unused dims ignored.
	f := newFixture(DTInt16, 4, 3, 1, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.dim = [8]int64{2, 4, 3, 0, -1, 0, 0, 0}
	v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Dims != [3]int{4, 3, 1} || v.Value(3, 2, 0) != 12 {
		t.Fatalf("dims %v", v.Dims)
	}
	// 1D.
	f = newFixture(DTInt16, 4, 1, 1, []float64{1, 2, 3, 4})
	f.dim = [8]int64{1, 4, 0, 0, 0, 0, 0, 0}
	v, err = ReadFrom(bytes.NewReader(f.bytes(t)))
	if err != nil || v.Dims != [3]int{4, 1, 1} {
		t.Fatalf("err %v dims %v", err, v.Dims)
	}
}

func TestVoxOffset(t *testing.T) {
	values := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	// Extensions between header and data: vox_offset must be honoured.
	for _, version := range []int{1, 2} {
		f := newFixture(DTInt16, 2, 2, 2, values)
		f.version = version
		f.padding = bytes.Repeat([]byte{0xAB}, 1000)
		v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
		if err != nil {
			t.Fatal(err)
		}
		if v.Data.At(0) != 1 || v.Data.At(7) != 8 {
			t.Fatalf("nifti%d: data %v", version, v.Data.Raw())
		}
	}
	// A zero vox_offset means "just after the header".
	f := newFixture(DTInt16, 2, 2, 2, values)
	b := f.bytes(t)
	binary.LittleEndian.PutUint32(b[108:], math.Float32bits(0))
	v, err := ReadFrom(bytes.NewReader(b))
	if err != nil || v.Data.At(7) != 8 {
		t.Fatalf("err %v", err)
	}
}

func TestCalRangeWindow(t *testing.T) {
	f := newFixture(DTInt16, 2, 1, 1, []float64{0, 1})
	f.calRange = [2]float64{-160, 240}
	v, err := ReadFrom(bytes.NewReader(f.bytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Windows) != 1 || v.Windows[0].Center != 40 || v.Windows[0].Width != 400 {
		t.Fatalf("windows %+v", v.Windows)
	}
}

// TestZeroCopy checks that a file whose type the viewer keeps is decoded
// into the read buffer itself, not copied.
func TestZeroCopy(t *testing.T) {
	raw := alignedBytes(8)
	copy(raw, []byte{1, 0, 2, 0, 3, 0, 4, 0})
	d, err := decodeVoxels(raw, DTInt16, binary.LittleEndian, newScaling(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	s := d.Raw().([]int16)
	if &s[0] != &castSlice[int16](raw)[0] || s[3] != 4 {
		t.Fatal("int16 data was copied")
	}
}

func TestHeaderStrings(t *testing.T) {
	f := newFixture(DTUint8, 1, 1, 1, []float64{0})
	h := f.header()
	h.Descrip = "tab\there\x01 and ünïcödé"
	h.IntentName = "label"
	h.IntentCode = 1002
	b, err := encodeHeader(h, 1, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseHeader(b[:sizeofHdr1])
	if err != nil {
		t.Fatal(err)
	}
	if got.Descrip != "tabhere and ünïcödé" || got.IntentName != "label" || got.IntentCode != 1002 {
		t.Fatalf("%q %q %d", got.Descrip, got.IntentName, got.IntentCode)
	}
	if !strings.Contains(DTRGB24.String(), "RGB") || Datatype(999).String() != "unknown datatype 999" {
		t.Fatal(DTRGB24.String())
	}
}

func TestGzipTrailingData(t *testing.T) {
	f := newFixture(DTInt16, 2, 2, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	f.gz = true
	b := append(f.bytes(t), 0, 0, 0, 0, 'j', 'u', 'n', 'k')
	v, err := ReadFrom(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if v.Data.At(7) != 8 || !hasWarning(v, "after the end of the gzip stream") {
		t.Fatalf("warnings %q", v.Warnings)
	}
	// Two concatenated members (as pigz or a split writer can produce)
	// are one stream.
	raw := newFixture(DTInt16, 2, 2, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8}).bytes(t)
	two := append(gzipBytes(t, raw[:300]), gzipBytes(t, raw[300:])...)
	v, err = ReadFrom(bytes.NewReader(two))
	if err != nil || v.Data.At(7) != 8 || len(v.Warnings) > 0 {
		t.Fatalf("multi-member: %v %q", err, v.Warnings)
	}
}

func TestReadFromFile(t *testing.T) {
	f := newFixture(DTInt16, 2, 2, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	p := writeTemp(t, "x.nii", f.bytes(t))
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	v, err := ReadFrom(fh)
	if err != nil || v.Data.At(7) != 8 {
		t.Fatalf("%v", err)
	}
}
