package codec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fuzz targets take the compressed frame plus a layout, so the fuzzer can
// try mismatched headers too. Seeds are the committed fixtures and, where
// the shared checkout exists, the real MR frame.

func fuzzSeeds(f *testing.F, prefixes ...string) {
	for _, fx := range loadFixtures(f) {
		for _, p := range prefixes {
			if strings.HasPrefix(fx.Name, p) {
				ff := fx.Frame
				f.Add(readFixture(f, fx.Data), uint16(ff.Rows), uint16(ff.Cols), uint8(ff.SamplesPerPixel),
					uint8(ff.BitsAllocated), uint8(ff.BitsStored), ff.PixelRepresentation == 1)
			}
		}
	}
}

func fuzzRealSeed(f *testing.F, file string) {
	p := filepath.Join(sharedData, "dicom-transfer-syntaxes/In", file)
	if _, err := os.Stat(p); err != nil {
		return
	}
	df := readDICOM(f, p)
	fr := df.frame
	f.Add(df.data, uint16(fr.Rows), uint16(fr.Cols), uint8(fr.SamplesPerPixel), uint8(fr.BitsAllocated), uint8(fr.BitsStored), false)
}

func fuzzDecode(t *testing.T, ts string, data []byte, rows, cols uint16, spp, ba, bs uint8, signed bool) {
	fr := Frame{Rows: int(rows), Cols: int(cols), SamplesPerPixel: int(spp), BitsAllocated: int(ba),
		BitsStored: int(bs), PhotometricInterpretation: "MONOCHROME2"}
	if signed {
		fr.PixelRepresentation = 1
	}
	if fr.Rows*fr.Cols > 1<<18 {
		return // the layout is trusted input; keep fuzz executions fast
	}
	out, err := Decode(ts, data, fr)
	if err != nil {
		var df *decodeFailed
		if errors.As(err, &df) {
			t.Fatalf("%v: %v", err, df.value)
		}
		return
	}
	if n, _ := fr.outputSize(); len(out) != n {
		t.Fatalf("output %d bytes, want %d", len(out), n)
	}
}

func FuzzDecodeRLE(f *testing.F) {
	fuzzSeeds(f, "rle_")
	fuzzRealSeed(f, "4.dcm")
	f.Fuzz(func(t *testing.T, data []byte, rows, cols uint16, spp, ba, bs uint8, signed bool) {
		fuzzDecode(t, TSRLELossless, data, rows, cols, spp, ba, bs, signed)
	})
}

func FuzzDecodeJPEGLossless(f *testing.F) {
	fuzzSeeds(f, "jll_")
	fuzzRealSeed(f, "5.dcm")
	fuzzRealSeed(f, "6.dcm")
	f.Fuzz(func(t *testing.T, data []byte, rows, cols uint16, spp, ba, bs uint8, signed bool) {
		fuzzDecode(t, TSJPEGLossless, data, rows, cols, spp, ba, bs, signed)
	})
}

func FuzzDecodeJPEGLS(f *testing.F) {
	fuzzSeeds(f, "jls_")
	fuzzRealSeed(f, "7.dcm")
	fuzzRealSeed(f, "8.dcm")
	f.Fuzz(func(t *testing.T, data []byte, rows, cols uint16, spp, ba, bs uint8, signed bool) {
		fuzzDecode(t, TSJPEGLSLossless, data, rows, cols, spp, ba, bs, signed)
	})
}

func FuzzDecodeJ2K(f *testing.F) {
	fuzzSeeds(f, "j2k_", "jp2_", "htj2k_")
	fuzzRealSeed(f, "9.dcm")
	f.Fuzz(func(t *testing.T, data []byte, rows, cols uint16, spp, ba, bs uint8, signed bool) {
		fuzzDecode(t, TSJPEG2000, data, rows, cols, spp, ba, bs, signed)
	})
}

func FuzzDecodeJPEG12(f *testing.F) {
	fuzzSeeds(f, "jpeg_ext12")
	f.Fuzz(func(t *testing.T, data []byte, rows, cols uint16, spp, ba, bs uint8, signed bool) {
		fuzzDecode(t, TSJPEGExtended12, data, rows, cols, spp, ba, bs, signed)
	})
}

func FuzzDecodeJPEGBaseline(f *testing.F) {
	fuzzSeeds(f, "jpeg_")
	f.Fuzz(func(t *testing.T, data []byte, rows, cols uint16, spp, ba, bs uint8, signed bool) {
		fuzzDecode(t, TSJPEGBaseline8, data, rows, cols, spp, ba, bs, signed)
	})
}
