package codec

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func goJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("JFIF")) || bytes.Contains(b.Bytes(), []byte("Adobe")) {
		t.Fatal("image/jpeg now writes JFIF or Adobe markers; this test needs a stream without")
	}
	return b.Bytes()
}

// TestJPEGBaselineRGBWithoutTransform: a DICOM RGB frame is coded without
// colour transform, so the decoded component values must come out as they
// are, not converted from YCbCr.
func TestJPEGBaselineRGBWithoutTransform(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 21, 13))
	for y := 0; y < 13; y++ {
		for x := 0; x < 21; x++ {
			src.Set(x, y, color.RGBA{uint8(x * 12), uint8(y * 19), uint8(200 - x*5), 255})
		}
	}
	data := goJPEG(t, src)
	ref, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	yc := ref.(*image.YCbCr)
	f := Frame{Rows: 13, Cols: 21, SamplesPerPixel: 3, BitsAllocated: 8, BitsStored: 8, PhotometricInterpretation: "RGB"}
	got, err := Decode(TSJPEGBaseline8, data, f)
	if err != nil {
		t.Fatal(err)
	}
	f.PhotometricInterpretation = "YBR_FULL_422"
	conv, err := Decode(TSJPEGBaseline8, data, f)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 13; y++ {
		for x := 0; x < 21; x++ {
			o := (y*21 + x) * 3
			yi, ci := yc.YOffset(x, y), yc.COffset(x, y)
			if got[o] != yc.Y[yi] || got[o+1] != yc.Cb[ci] || got[o+2] != yc.Cr[ci] {
				t.Fatalf("RGB at %d,%d: % x, want the untransformed %x %x %x", x, y, got[o:o+3], yc.Y[yi], yc.Cb[ci], yc.Cr[ci])
			}
			r, g, b := color.YCbCrToRGB(yc.Y[yi], yc.Cb[ci], yc.Cr[ci])
			if conv[o] != r || conv[o+1] != g || conv[o+2] != b {
				t.Fatalf("YBR at %d,%d: % x, want %x %x %x", x, y, conv[o:o+3], r, g, b)
			}
		}
	}
}

func TestJPEGBaselineGrey(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 17, 9))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	data := goJPEG(t, src)
	ref, _ := jpeg.Decode(bytes.NewReader(data))
	f := Frame{Rows: 9, Cols: 17, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8, PhotometricInterpretation: "MONOCHROME2"}
	got, err := Decode(TSJPEGBaseline8, data, f)
	if err != nil {
		t.Fatal(err)
	}
	g := ref.(*image.Gray)
	var want []byte
	for y := 0; y < 9; y++ {
		want = append(want, g.Pix[y*g.Stride:y*g.Stride+17]...)
	}
	if d := firstDiff(got, want); d != "" {
		t.Fatal(d)
	}
	f.SamplesPerPixel = 3
	if _, err := Decode(TSJPEGBaseline8, data, f); err == nil {
		t.Fatal("grey JPEG accepted as colour")
	}
	f.SamplesPerPixel, f.Rows = 1, 10
	if _, err := Decode(TSJPEGBaseline8, data, f); err == nil {
		t.Fatal("wrong Rows accepted")
	}
}
