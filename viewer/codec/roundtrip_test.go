package codec

import (
	"errors"
	"strings"
	"testing"
)

func TestRLERoundTrip(t *testing.T) {
	imgs := append(standardImages(),
		makeImage("u32", 9, 7, 1, 32, 32, false, 11),
		makeImage("s32", 5, 4, 3, 32, 24, true, 12),
		makeImage("one", 1, 1, 1, 8, 8, false, 13),
	)
	for _, im := range imgs {
		t.Run(im.name, func(t *testing.T) {
			got, err := Decode(TSRLELossless, encodeRLE(im), im.f)
			if err != nil {
				t.Fatal(err)
			}
			if d := firstDiff(got, im.native()); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// TestRLELenient covers encoder habits the standard tolerates: a final
// run that overshoots the segment, and no-op bytes.
func TestRLELenient(t *testing.T) {
	f := Frame{Rows: 2, Cols: 3, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8}
	hdr := make([]byte, 64)
	hdr[0], hdr[4] = 1, 64
	seg := []byte{0x80, 0x01, 5, 6, 0xFB, 9} // no-op, literal 2, repeat 9 six times (4 needed)
	got, err := Decode(TSRLELossless, append(hdr, seg...), f)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "\x05\x06\x09\x09\x09\x09" {
		t.Fatalf("got % x", got)
	}
}

func losslessCases() []struct {
	im testImage
	o  llOpts
} {
	type c = struct {
		im testImage
		o  llOpts
	}
	var cs []c
	u16 := makeImage("u16", 64, 48, 1, 16, 16, false, 1)
	u12 := makeImage("u12", 61, 37, 1, 16, 12, false, 2)
	s16 := makeImage("s16", 33, 29, 1, 16, 16, true, 3)
	for pred := 1; pred <= 7; pred++ {
		cs = append(cs,
			c{u16, llOpts{precision: 16, pred: pred}},
			c{u12, llOpts{precision: 12, pred: pred, pt: 2}},
			c{s16, llOpts{precision: 16, pred: pred, ri: 33 * 4}},
			c{u16, llOpts{precision: 16, pred: pred, deep: true, ri: 64}},
		)
	}
	rgb := makeImage("rgb8", 31, 23, 3, 8, 8, false, 7)
	rgb16 := makeImage("rgb16", 17, 13, 3, 16, 16, false, 8)
	for _, ilv := range []bool{false, true} {
		cs = append(cs,
			c{rgb, llOpts{precision: 8, pred: 6, interleaved: ilv, ri: 31 * 5}},
			c{rgb16, llOpts{precision: 16, pred: 7, interleaved: ilv, deep: true}},
			c{rgb16, llOpts{precision: 16, pred: 4, interleaved: ilv, pt: 1}},
		)
	}
	for p := 2; p <= 16; p++ {
		ba := 16
		if p <= 8 {
			ba = 8
		}
		im := makeImage("p", 23, 19, 1, ba, p, false, uint64(p))
		cs = append(cs, c{im, llOpts{precision: p, pred: 1 + p%7}})
		sim := makeImage("sp", 19, 11, 1, ba, p, true, uint64(p))
		cs = append(cs, c{sim, llOpts{precision: p, pred: 1 + (p+3)%7, ri: 19}})
	}
	// A container wider than the precision: 12-bit data coded as 16.
	cs = append(cs, c{makeImage("s12as16", 45, 31, 1, 16, 12, true, 4), llOpts{precision: 16, pred: 1}})
	return cs
}

func TestJPEGLosslessRoundTrip(t *testing.T) {
	for _, tc := range losslessCases() {
		t.Run(tc.im.name+"-"+tc.o.String(), func(t *testing.T) {
			stream, want := encodeLossless(tc.im, tc.o)
			got, err := Decode(TSJPEGLossless, stream, tc.im.f)
			if err != nil {
				t.Fatal(err)
			}
			if d := firstDiff(got, want); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// TestJPEGLosslessSSSS16 checks that a checkerboard half a range apart really
// produces category 16 differences, the special case without extra bits.
func TestJPEGLosslessSSSS16(t *testing.T) {
	im := makeImage("u16", 64, 48, 1, 16, 16, false, 1)
	n := 0
	for _, d := range llDiffs(func() []int {
		p := make([]int, len(im.samples))
		for i, v := range im.samples {
			p[i] = int(v)
		}
		return p
	}(), 64, 48, llOpts{precision: 16, pred: 1}) {
		if ssss(d) == 16 {
			n++
		}
	}
	if n == 0 {
		t.Fatal("test image has no SSSS=16 difference")
	}
}

func TestErrors(t *testing.T) {
	im := makeImage("u16", 64, 48, 1, 16, 16, false, 1)
	ll, _ := encodeLossless(im, llOpts{precision: 16, pred: 1})
	rle := encodeRLE(im)
	wrongRows := im.f
	wrongRows.Rows = 47
	wrongSpp := im.f
	wrongSpp.SamplesPerPixel = 3
	narrow := im.f
	narrow.BitsAllocated, narrow.BitsStored = 8, 8
	cases := []struct {
		name, ts string
		data     []byte
		f        Frame
		want     string
		unsup    bool
	}{
		{"unknown syntax", "1.2.3", ll, im.f, `transfer syntax "1.2.3"`, true},
		{"mpeg", "1.2.840.10008.1.2.4.102", ll, im.f, "H.264", true},
		{"native", TSExplicitVRLittleEndian, ll, im.f, "not a compressed", true},
		{"empty", TSJPEGLosslessSV1, nil, im.f, "empty frame", false},
		{"bad frame", TSJPEGLosslessSV1, ll, Frame{Rows: 0, Cols: 3, SamplesPerPixel: 1, BitsAllocated: 16, BitsStored: 12}, "out of range", false},
		{"huge frame", TSRLELossless, rle, Frame{Rows: 65535, Cols: 65535, SamplesPerPixel: 3, BitsAllocated: 16, BitsStored: 16}, "byte limit", false},
		{"ll rows", TSJPEGLosslessSV1, ll, wrongRows, "Rows is 48 in the compressed stream but 47", false},
		{"ll spp", TSJPEGLosslessSV1, ll, wrongSpp, "SamplesPerPixel (components) is 1", false},
		{"ll precision", TSJPEGLosslessSV1, ll, narrow, "precision 16 exceeds BitsAllocated 8", false},
		{"ll truncated", TSJPEGLosslessSV1, ll[:len(ll)/2], im.f, "truncated", false},
		{"ll no SOI", TSJPEGLosslessSV1, ll[2:], im.f, "no SOI", false},
		{"rle segments", TSRLELossless, rle, wrongSpp, "RLE header has 2 segments", false},
		{"rle truncated", TSRLELossless, rle[:len(rle)-40], im.f, "RLE segment 1", false},
		{"rle short", TSRLELossless, rle[:10], im.f, "64 bytes", false},
		{"jpeg garbage", TSJPEGBaseline8, []byte{0xFF, 0xD8, 0xFF}, im.f, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.ts, c.data, c.f)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
			if errors.Is(err, ErrUnsupported) != c.unsup {
				t.Fatalf("errors.Is(ErrUnsupported) = %v for %q", !c.unsup, err)
			}
		})
	}
}

// TestTruncationEverywhere cuts valid frames at every length and wants an
// error or a result, never a panic (Decode would report a recovered panic
// as an error mentioning it).
func TestTruncationEverywhere(t *testing.T) {
	im := makeImage("rgb16", 17, 13, 3, 16, 16, false, 8)
	ll, _ := encodeLossless(im, llOpts{precision: 16, pred: 5, interleaved: true, ri: 17 * 2})
	for ts, data := range map[string][]byte{TSJPEGLossless: ll, TSRLELossless: encodeRLE(im)} {
		full, err := Decode(ts, data, im.f)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n++ {
			got, err := Decode(ts, data[:n], im.f)
			if ts == TSJPEGLossless && n >= len(data)-2 {
				// Only the EOI marker is missing: the pixels are all there.
				if err != nil || firstDiff(got, full) != "" {
					t.Fatalf("stream without EOI: %v", err)
				}
				continue
			}
			if err == nil {
				t.Fatalf("%s cut to %d of %d bytes decoded without error", SyntaxName(ts), n, len(data))
			}
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("%s cut to %d: %v", SyntaxName(ts), n, err)
			}
		}
	}
}

func TestSupported(t *testing.T) {
	for _, ts := range []string{TSRLELossless, TSJPEGLossless, TSJPEGLosslessSV1, TSJPEGBaseline8} {
		if !Supported(ts) {
			t.Errorf("%s not supported", SyntaxName(ts))
		}
	}
	for _, ts := range []string{TSExplicitVRLittleEndian, "1.2.840.10008.1.2.4.102", ""} {
		if Supported(ts) {
			t.Errorf("%q supported", ts)
		}
	}
	for _, ts := range []string{TSJPEGLSLossless, TSJPEG2000Lossless} {
		if Supported(ts) != cgoEnabled {
			t.Errorf("Supported(%s) = %v in a build with cgo %v", SyntaxName(ts), Supported(ts), cgoEnabled)
		}
	}
	if Supported(TSHTJ2K) != haveHTJ2K {
		t.Errorf("Supported(HTJ2K) = %v, want %v", Supported(TSHTJ2K), haveHTJ2K)
	}
}

// TestNoCgoMessage checks the stubs say what a user must do.
func TestNoCgoMessage(t *testing.T) {
	if cgoEnabled {
		t.Skip("cgo build")
	}
	f := Frame{Rows: 1, Cols: 1, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8}
	for ts, want := range map[string]string{
		TSJPEG2000Lossless: "codec: JPEG 2000 Lossless: JPEG 2000 is not decoded by a build without cgo; needs a cgo build with OpenJPEG (Debian libopenjp2-7-dev)",
		TSJPEGLSLossless:   "codec: JPEG-LS Lossless: JPEG-LS is not decoded by a build without cgo; needs a cgo build with CharLS (Debian libcharls-dev)",
	} {
		_, err := Decode(ts, []byte{1}, f)
		if !errors.Is(err, ErrUnsupported) || err.Error() != want {
			t.Errorf("%s: %v", SyntaxName(ts), err)
		}
	}
}
