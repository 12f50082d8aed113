package nifti

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// hostile inputs must produce an error that says what is wrong, never a
// panic and never a giant allocation.
func TestHostile(t *testing.T) {
	good := newFixture(DTInt16, 4, 4, 4, make([]float64, 64))
	goodBytes := good.bytes(t)

	huge := newFixture(DTUint8, 1, 1, 1, nil)
	huge.version = 2
	huge.dim = [8]int64{3, 1e6, 1e6, 1e6, 1, 1, 1, 1}

	neg := newFixture(DTInt16, 1, 1, 1, nil)
	neg.dim = [8]int64{3, 64, -64, 10, 1, 1, 1, 1}

	overflow := newFixture(DTInt16, 1, 1, 1, nil)
	overflow.version = 2
	overflow.dim = [8]int64{3, 1 << 40, 1 << 40, 1 << 40, 1, 1, 1, 1}

	max1 := newFixture(DTFloat64, 1, 1, 1, nil)
	max1.dim = [8]int64{3, 32767, 32767, 32767, 1, 1, 1, 1}

	// One voxel over 2³¹ (which, at 8 bytes a voxel, is also the 16 GiB
	// limit).
	tooMany := newFixture(DTFloat64, 1, 1, 1, nil)
	tooMany.version = 2
	tooMany.dim = [8]int64{3, 1<<31 + 1, 1, 1, 1, 1, 1, 1}

	rgb := newFixture(DTRGB24, 1, 1, 1, nil)
	unknownDT := newFixture(Datatype(77), 1, 1, 1, nil)
	complexDT := newFixture(DTComplex64, 1, 1, 1, nil)

	badDim0 := newFixture(DTInt16, 1, 1, 1, []float64{0})
	badDim0.dim[0] = 9
	zeroDim := newFixture(DTInt16, 1, 1, 1, nil)
	zeroDim.dim = [8]int64{3, 10, 0, 10, 1, 1, 1, 1}

	wrongMagic := newFixture(DTInt16, 1, 1, 1, []float64{0})
	wrongMagic.magic = "xyz\x00"
	pair := newFixture(DTInt16, 1, 1, 1, []float64{0})
	pair.magic = "ni1\x00"

	nifti2 := newFixture(DTInt16, 2, 2, 2, make([]float64, 8))
	nifti2.version = 2
	textMode := nifti2.bytes(t)
	copy(textMode[4:12], "n+2\x00\n\x1a\n\x00") // \r\n → \n

	nanOffset := append([]byte(nil), goodBytes...)
	binary.LittleEndian.PutUint32(nanOffset[108:], math.Float32bits(float32(math.NaN())))
	farOffset := append([]byte(nil), goodBytes...)
	binary.LittleEndian.PutUint32(farOffset[108:], math.Float32bits(1e9))

	gz := gzipBytes(t, goodBytes)
	badCRC := append([]byte(nil), gz...)
	badCRC[len(badCRC)-8] ^= 0xff
	badDeflate := append([]byte(nil), gz...)
	for i := 20; i < 40 && i < len(badDeflate)-8; i++ {
		badDeflate[i] ^= 0x5a
	}

	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"zero-length file", nil, "empty file"},
		{"empty gzip", gzipBytes(t, nil), "empty file"},
		{"a few bytes", []byte("hi"), "truncated header"},
		{"text file", []byte(strings.Repeat("this is not an image\n", 30)), "not a NIfTI file"},
		{"wrong magic", wrongMagic.bytes(t), "not a NIfTI file"},
		{"hdr/img pair", pair.bytes(t), ".hdr/.img pair"},
		{"text-mode transfer", textMode, "text mode"},
		{"truncated header", goodBytes[:200], "truncated header: got 200 of 348 bytes"},
		{"truncated voxels", goodBytes[:len(goodBytes)-10], "truncated: expected 128 bytes of voxels, got 118"},
		{"truncated gz voxels", gzipBytes(t, goodBytes[:len(goodBytes)-10]), "truncated: expected 128 bytes of voxels, got 118"},
		{"truncated gz stream", gz[:len(gz)/2], ""},
		{"10⁶×10⁶×10⁶", huge.bytes(t), "image too large"},
		{"10⁶×10⁶×10⁶ gz", gzipBytes(t, huge.bytes(t)), "image too large"},
		{"2⁴⁰ cubed", overflow.bytes(t), "image too large"},
		{"32767³ NIfTI-1", max1.bytes(t), "image too large"},
		{"2³¹+1 voxels", tooMany.bytes(t), "exceeds the limit of 2147483648"},
		{"negative dim", neg.bytes(t), "dim[2] = -64 is negative"},
		{"zero dim", zeroDim.bytes(t), "dim[2] = 0"},
		{"dim[0] = 9", badDim0.bytes(t), "dim[0] = 9"},
		{"RGB24", rgb.bytes(t), "datatype RGB24 (128) is not supported"},
		{"complex", complexDT.bytes(t), "complex64 (32) is not supported"},
		{"unknown datatype", unknownDT.bytes(t), "unknown datatype code 77"},
		{"NaN vox_offset", nanOffset, "invalid vox_offset"},
		{"vox_offset past the end", farOffset, "vox_offset is 1000000000"},
		{"gzip checksum", badCRC, "checksum"},
		{"corrupt deflate", badDeflate, "corrupt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, sized := range []bool{true, false} {
				var err error
				if sized {
					_, err = ReadFrom(bytes.NewReader(tc.data))
				} else {
					_, err = ReadFrom(noLen{bytes.NewReader(tc.data)})
				}
				if err == nil {
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %q does not say %q", err, tc.want)
				}
				if strings.Contains(err.Error(), "internal error") {
					t.Fatalf("panic: %v", err)
				}
				if sized {
					t.Log(err)
				}
			}
			// Read names the file.
			p := writeTemp(t, "bad.nii", tc.data)
			_, err := Read(p)
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read error %q lacks the path or %q", err, tc.want)
			}
			if _, err := ReadHeader(p); err == nil && tc.want != "" && strings.Contains(tc.want, "header") {
				t.Fatal("ReadHeader accepted a bad header")
			}
		})
	}
}

// TestTruncatedStreamAllocation: a header claiming 2 GiB (within the
// limits) followed by a short gzip stream must fail having allocated about
// what arrived, not what was claimed.
func TestTruncatedStreamAllocation(t *testing.T) {
	f := newFixture(DTUint8, 1, 1, 1, nil)
	f.dim = [8]int64{3, 2048, 1024, 1024, 1, 1, 1, 1} // 2^31 voxels
	hdr := f.bytes(t)
	plain := append(hdr, make([]byte, 3<<20)...) // 3 MiB of the 2 GiB
	cases := map[string]func() error{
		"gz stream": func() error { _, err := ReadFrom(bytes.NewReader(gzipBytes(t, plain))); return err },
		"plain, unsized": func() error {
			_, err := ReadFrom(noLen{bytes.NewReader(plain)})
			return err
		},
		"plain, sized": func() error { _, err := ReadFrom(bytes.NewReader(plain)); return err },
		"gz file": func() error {
			_, err := Read(writeTemp(t, "big.nii.gz", gzipBytes(t, plain)))
			return err
		},
		"plain file": func() error { _, err := Read(writeTemp(t, "big.nii", plain)); return err },
		// The gzip trailer's ISIZE is only a hint: forged to match the
		// header, it still buys no more than deflate's 1032:1 expansion of
		// the file's size.
		"gz file, forged trailer": func() error {
			z := gzipBytes(t, plain)
			z = z[:len(z)-100] // cut, then forge ISIZE to the claimed total
			binary.LittleEndian.PutUint32(z[len(z)-4:], uint32(352+(1<<31)))
			_, err := Read(writeTemp(t, "forged.nii.gz", z))
			return err
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := run()
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "truncated") && !strings.Contains(err.Error(), "corrupt gzip") {
				t.Fatalf("err = %v", err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > 64<<20 {
				t.Fatalf("allocated %d MiB for a stream of a few MiB", alloc>>20)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.nii.gz")
	_, err := Read(p)
	if err == nil || !os.IsNotExist(unwrapAll(err)) || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
	if _, err := ReadHeader(p); err == nil {
		t.Fatal("ReadHeader of a missing file")
	}
}

func unwrapAll(err error) error {
	for {
		type unwrapper interface{ Unwrap() error }
		u, ok := err.(unwrapper)
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
