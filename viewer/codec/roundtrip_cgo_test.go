//go:build cgo

package codec

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"delineate/viewer/codec/internal/testenc"
)

// jlsInput lays out im's stored bit patterns as CharLS takes them.
func jlsInput(im testImage, bits int, planar bool) []byte {
	bps := 1
	if bits > 8 {
		bps = 2
	}
	u := im.bits()
	nc, npix := im.f.SamplesPerPixel, im.f.Rows*im.f.Cols
	out := make([]byte, len(u)*bps)
	for i, v := range u {
		j := i
		if planar {
			j = (i%nc)*npix + i/nc
		}
		if bps == 1 {
			out[j] = byte(v)
		} else {
			out[2*j], out[2*j+1] = byte(v), byte(v>>8)
		}
	}
	return out
}

func TestJPEGLSRoundTrip(t *testing.T) {
	for _, im := range standardImages() {
		modes := []int{testenc.InterleaveNone}
		if im.f.SamplesPerPixel == 3 {
			modes = []int{testenc.InterleaveNone, testenc.InterleaveLine, testenc.InterleaveSample}
		}
		for _, ilv := range modes {
			t.Run(fmt.Sprintf("%s-ilv%d", im.name, ilv), func(t *testing.T) {
				bits := im.f.BitsStored
				stream, err := testenc.JPEGLS(jlsInput(im, bits, ilv == testenc.InterleaveNone), im.f.Cols, im.f.Rows,
					bits, im.f.SamplesPerPixel, ilv, 0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Decode(TSJPEGLSLossless, stream, im.f)
				if err != nil {
					t.Fatal(err)
				}
				if d := firstDiff(got, im.native()); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

// TestJPEGLSNearLossless wants every sample within NEAR of the original.
func TestJPEGLSNearLossless(t *testing.T) {
	im := makeImage("u12", 61, 37, 1, 16, 12, false, 2)
	const near = 3
	stream, err := testenc.JPEGLS(jlsInput(im, 12, true), im.f.Cols, im.f.Rows, 12, 1, 0, near)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(TSJPEGLSNearLossless, stream, im.f)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range im.samples {
		g := int32(got[2*i]) | int32(got[2*i+1])<<8
		if d := g - v; d > near || d < -near {
			t.Fatalf("sample %d: %d, want %d±%d", i, g, v, near)
		}
	}
}

func TestJPEGLSMismatch(t *testing.T) {
	im := makeImage("u12", 61, 37, 1, 16, 12, false, 2)
	stream, err := testenc.JPEGLS(jlsInput(im, 12, true), im.f.Cols, im.f.Rows, 12, 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := im.f
	f.Cols = 60
	if _, err := Decode(TSJPEGLSLossless, stream, f); err == nil || !strings.Contains(err.Error(), "Columns is 61 in the compressed stream but 60") {
		t.Fatalf("got %v", err)
	}
	f = im.f
	f.BitsAllocated, f.BitsStored = 8, 8
	if _, err := Decode(TSJPEGLSLossless, stream, f); err == nil || !strings.Contains(err.Error(), "precision 12 exceeds BitsAllocated 8") {
		t.Fatalf("got %v", err)
	}
	if _, err := Decode(TSJPEGLSLossless, stream[:len(stream)/2], im.f); err == nil {
		t.Fatal("truncated JPEG-LS decoded")
	}
}

func TestJ2KRoundTrip(t *testing.T) {
	for _, im := range standardImages() {
		for _, tile := range []int{0, 16} {
			t.Run(fmt.Sprintf("%s-tile%d", im.name, tile), func(t *testing.T) {
				signed := im.f.PixelRepresentation == 1
				stream, err := testenc.J2K(im.samples, im.f.Cols, im.f.Rows, im.f.SamplesPerPixel, im.f.BitsStored, signed, 0, tile)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Decode(TSJPEG2000Lossless, stream, im.f)
				if err != nil {
					t.Fatal(err)
				}
				if d := firstDiff(got, im.native()); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

// TestJ2KUnsignedInSignedFrame covers encoders that write signed pixel data
// as unsigned components: the bit pattern is reinterpreted.
func TestJ2KUnsignedInSignedFrame(t *testing.T) {
	im := makeImage("s12", 45, 31, 1, 16, 12, true, 4)
	u := im.bits()
	pat := make([]int32, len(u))
	for i, v := range u {
		pat[i] = int32(v)
	}
	stream, err := testenc.J2K(pat, im.f.Cols, im.f.Rows, 1, 12, false, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(TSJPEG2000Lossless, stream, im.f)
	if err != nil {
		t.Fatal(err)
	}
	if d := firstDiff(got, im.native()); d != "" {
		t.Fatal(d)
	}
}

func TestJ2KLossy(t *testing.T) {
	im := makeImage("u8b", 64, 64, 1, 8, 8, false, 6)
	for i := range im.samples { // lossy coding of noise is all error; use a smooth image
		x, y := i%64, i/64
		im.samples[i] = int32((x*3 + y*2) % 256)
	}
	stream, err := testenc.J2K(im.samples, 64, 64, 1, 8, false, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(TSJPEG2000, stream, im.f)
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	for i, v := range im.samples {
		d := int(got[i]) - int(v)
		sum += d * d
	}
	if mse := float64(sum) / float64(len(got)); mse > 20 {
		t.Fatalf("lossy J2K mean squared error %.1f", mse)
	}
}

func TestJ2KErrors(t *testing.T) {
	im := makeImage("u12", 61, 37, 1, 16, 12, false, 2)
	stream, err := testenc.J2K(im.samples, 61, 37, 1, 12, false, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		f    func(*Frame)
		want string
	}{
		{"rows", stream, func(f *Frame) { f.Rows = 36 }, "Rows is 37 in the compressed stream but 36"},
		{"spp", stream, func(f *Frame) { f.SamplesPerPixel = 3 }, "SamplesPerPixel (components) is 1"},
		{"precision", stream, func(f *Frame) { f.BitsAllocated, f.BitsStored = 8, 8 }, "precision 12 outside 1..BitsAllocated (8)"},
		{"truncated", stream[:len(stream)*2/3], func(*Frame) {}, "OpenJPEG"},
		{"magic", []byte("not a codestream at all"), func(*Frame) {}, "neither a JPEG 2000 codestream"},
		{"header only", stream[:40], func(*Frame) {}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := im.f
			c.f(&f)
			_, err := Decode(TSJPEG2000Lossless, c.data, f)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want mention of %q", err, c.want)
			}
		})
	}
}

func TestVersionAtLeast(t *testing.T) {
	for v, want := range map[string]bool{"2.5.0": false, "2.5.1": true, "2.5.3": true, "2.6.0": true, "3.0": true, "2.4.9": false, "2": false, "x": false} {
		if got := versionAtLeast(v, 2, 5, 1); got != want {
			t.Errorf("versionAtLeast(%q) = %v", v, got)
		}
	}
}

// TestHTJ2KGate: on an OpenJPEG whose HT decoder can abort the process,
// HT code-blocks must be refused whatever syntax the header claims, and
// plain JPEG 2000 must still pass the gate.
func TestHTJ2KGate(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		isHT := strings.HasPrefix(fx.Name, "htj2k_")
		isJ2K := strings.HasPrefix(fx.Name, "j2k_") || strings.HasPrefix(fx.Name, "jp2_")
		if !isHT && !isJ2K {
			continue
		}
		data := readFixture(t, fx.Data)
		cs, err := j2kCodestream(data, strings.HasPrefix(fx.Name, "jp2_"))
		if err != nil {
			t.Fatalf("%s: %v", fx.Name, err)
		}
		ht, err := j2kUsesHT(cs)
		if err != nil || ht != isHT {
			t.Fatalf("%s: j2kUsesHT = %v, %v", fx.Name, ht, err)
		}
		if isHT && !haveHTJ2K {
			for _, ts := range []string{TSJPEG2000Lossless, TSHTJ2KLossless, TSHTJ2KLosslessRPCL, TSHTJ2K} {
				_, err := Decode(ts, data, fx.Frame)
				var ue *UnsupportedError
				if !errors.Is(err, ErrUnsupported) || !errors.As(err, &ue) {
					t.Fatalf("%s labelled %s: %v", fx.Name, SyntaxName(ts), err)
				}
				want := "codec: " + SyntaxName(ts) + ": "
				need := "needs OpenJPEG ≥ 2.5.1; this build has " + openJPEGVersion
				if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, need) {
					t.Fatalf("%s labelled %s: message %q, want %q…%q", fx.Name, SyntaxName(ts), msg, want, need)
				}
			}
		}
	}
	t.Logf("OpenJPEG %s, HT decoding enabled: %v", openJPEGVersion, haveHTJ2K)
}
