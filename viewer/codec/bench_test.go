package codec

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// ctFrame is one 512×512 12-bit CT slice from the shared data, as stored
// (JPEG 2000) and uncompressed.
func ctFrame(b *testing.B) (j2k dicomFrame, raw []byte) {
	dir := needShared(b, "ct-dicom-series-j2k")
	rawDir := needShared(b, "ct-dicom-series-raw")
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	j2k = readDICOM(b, filepath.Join(dir, names[len(names)/2]))
	raw = readDICOM(b, filepath.Join(rawDir, names[len(names)/2]+".dcm")).data
	return j2k, raw
}

func ctImage(b *testing.B) testImage {
	j2k, raw := ctFrame(b)
	im := testImage{name: "ct", f: j2k.frame}
	for i := 0; i+1 < len(raw); i += 2 {
		im.samples = append(im.samples, int32(raw[i])|int32(raw[i+1])<<8)
	}
	return im
}

func benchDecode(b *testing.B, ts string, data []byte, f Frame) {
	n, _ := f.outputSize()
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(ts, data, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeJPEGLossless512 decodes a real 512×512 CT slice coded
// with first-order prediction (the common DICOM case).
func BenchmarkDecodeJPEGLossless512(b *testing.B) {
	im := ctImage(b)
	stream, _ := encodeLossless(im, llOpts{precision: 16, pred: 1})
	benchDecode(b, TSJPEGLosslessSV1, stream, im.f)
}

func BenchmarkDecodeJPEGLossless512SV7Restart(b *testing.B) {
	im := ctImage(b)
	stream, _ := encodeLossless(im, llOpts{precision: 12, pred: 7, ri: 512 * 8})
	benchDecode(b, TSJPEGLossless, stream, im.f)
}

func BenchmarkDecodeRLE512(b *testing.B) {
	im := ctImage(b)
	benchDecode(b, TSRLELossless, encodeRLE(im), im.f)
}

func BenchmarkDecodeJ2K512(b *testing.B) {
	if !Supported(TSJPEG2000Lossless) {
		b.Skip("JPEG 2000 needs a cgo build")
	}
	j2k, _ := ctFrame(b)
	benchDecode(b, j2k.ts, j2k.data, j2k.frame)
}

func BenchmarkDecodeJPEGLS384(b *testing.B) {
	if !Supported(TSJPEGLSLossless) {
		b.Skip("JPEG-LS needs a cgo build")
	}
	df := readDICOM(b, filepath.Join(needShared(b, "dicom-transfer-syntaxes/In"), "7.dcm"))
	benchDecode(b, df.ts, df.data, df.frame)
}

func BenchmarkDecodeJPEGLossless384Real(b *testing.B) {
	df := readDICOM(b, filepath.Join(needShared(b, "dicom-transfer-syntaxes/In"), "5.dcm"))
	benchDecode(b, df.ts, df.data, df.frame)
}

// BenchmarkDecodeJPEGBaseline512 decodes a 512×512 4:2:0 colour frame
// (smooth gradients and sharp blocks) with the libjpeg-exact decoder, and
// the standard library's image/jpeg on the same bytes for comparison.
func BenchmarkDecodeJPEGBaseline512(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 512, 512))
	for y := 0; y < 512; y++ {
		for x := 0; x < 512; x++ {
			c := color.RGBA{uint8(x / 2), uint8(y / 2), uint8((x ^ y) & 0xc0), 255}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	f := Frame{Rows: 512, Cols: 512, SamplesPerPixel: 3, BitsAllocated: 8, BitsStored: 8, PhotometricInterpretation: "YBR_FULL_422"}
	b.Run("delineate", func(b *testing.B) { benchDecode(b, "1.2.840.10008.1.2.4.50", data, f) })
	b.Run("image-jpeg", func(b *testing.B) {
		b.SetBytes(512 * 512 * 3)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
