package codec

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"

	"delineate/viewer/codec/internal/ijpeg"
	"math"
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
	ref, err := ijpeg.Decode(bytes.NewReader(data))
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
	if yc.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("image/jpeg now writes %v; this test expects 4:2:0", yc.SubsampleRatio)
	}
	// Chroma is up-sampled with libjpeg's triangle filter: each output
	// sample weighs the nearer chroma sample 3/4 and the next 1/4 in each
	// direction, the edges repeated.
	tri := func(p []byte, x, y int) float64 {
		cw, ch := (21+1)/2, (13+1)/2
		at := func(i, j int) float64 {
			return float64(p[max(0, min(j, ch-1))*yc.CStride+max(0, min(i, cw-1))])
		}
		i, j := x/2, y/2
		di, dj := 2*(x%2)-1, 2*(y%2)-1
		return (9*at(i, j) + 3*at(i+di, j) + 3*at(i, j+dj) + at(i+di, j+dj)) / 16
	}
	for y := 0; y < 13; y++ {
		for x := 0; x < 21; x++ {
			o := (y*21 + x) * 3
			if got[o] != yc.Y[yc.YOffset(x, y)] {
				t.Fatalf("RGB at %d,%d: R %d, want the untransformed %d", x, y, got[o], yc.Y[yc.YOffset(x, y)])
			}
			for c, p := range [][]byte{yc.Cb, yc.Cr} {
				if w := tri(p, x, y); math.Abs(float64(got[o+1+c])-w) > 1 {
					t.Fatalf("RGB at %d,%d: component %d is %d, want the up-sampled %.2f", x, y, c+1, got[o+1+c], w)
				}
			}
			// YBR: the same planes, converted (JPEG File Interchange
			// Format equations).
			yv, cb, cr := float64(got[o]), float64(got[o+1])-128, float64(got[o+2])-128
			want := [3]float64{yv + 1.402*cr, yv - 0.344136*cb - 0.714136*cr, yv + 1.772*cb}
			for c := range want {
				w := math.Max(0, math.Min(255, want[c]))
				if math.Abs(float64(conv[o+c])-w) > 1 {
					t.Fatalf("YBR at %d,%d: % x, want %.1f", x, y, conv[o:o+3], want)
				}
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
	ref, _ := ijpeg.Decode(bytes.NewReader(data))
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
