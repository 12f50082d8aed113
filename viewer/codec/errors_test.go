package codec

import (
	"errors"
	"strings"
	"testing"
)

// TestRefusalMessages: every syntax Decode has no decoder for is refused
// with ErrUnsupported, its name in words, and what would read it.
func TestRefusalMessages(t *testing.T) {
	f := Frame{Rows: 1, Cols: 1, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8}
	uids := []string{"1.2.3.4.5"}
	for ts := range syntaxNames {
		uids = append(uids, ts)
	}
	for _, ts := range uids {
		switch ts {
		case TSRLELossless, TSJPEGBaseline8, TSJPEGExtended12, TSJPEGLossless, TSJPEGLosslessSV1,
			TSJPEGLSLossless, TSJPEGLSNearLossless, TSJPEG2000Lossless, TSJPEG2000,
			TSHTJ2KLossless, TSHTJ2KLosslessRPCL, TSHTJ2K:
			continue
		}
		_, err := Decode(ts, []byte{0xFF, 0xD8, 0xFF, 0xD9}, f)
		var ue *UnsupportedError
		if !errors.Is(err, ErrUnsupported) || !errors.As(err, &ue) {
			t.Fatalf("%s: %v, want an UnsupportedError", ts, err)
		}
		msg := err.Error()
		if ue.Syntax != SyntaxName(ts) || !strings.HasPrefix(msg, "codec: "+SyntaxName(ts)+": ") || ue.Needs == "" || !strings.Contains(msg, "; needs ") {
			t.Errorf("%s: %q does not name the syntax and what is needed", ts, msg)
		}
		if strings.Contains(msg, ts) && syntaxNames[ts] != "" {
			t.Errorf("%s: %q shows the UID though the syntax has a name", ts, msg)
		}
	}
	_, err := Decode("1.2.840.10008.1.2.4.112", nil, f)
	if want := "codec: JPEG XL: JPEG XL is not decoded by this viewer; needs a JPEG XL decoder (libjxl), or conversion to an uncompressed transfer syntax first (for example gdcmconv --raw, or dcmdjpeg for JPEG)"; err == nil || err.Error() != want {
		t.Errorf("JPEG XL: %v\nwant %s", err, want)
	}
	_, err = Decode("1.2.840.10008.1.2.4.55", nil, f)
	if want := "codec: JPEG Full Progression (retired): retired JPEG processes are not decoded by this viewer; needs conversion"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("retired JPEG: %v\nwant %s…", err, want)
	}
}

// TestFeatureRefusals: frames of a supported syntax that use a feature the
// decoders lack say which feature and what would decode it.
func TestFeatureRefusals(t *testing.T) {
	f := Frame{Rows: 8, Cols: 8, SamplesPerPixel: 1, BitsAllocated: 8, BitsStored: 8, PhotometricInterpretation: "MONOCHROME2"}
	// SOI, then an arithmetic-coded SOF9 frame header.
	sof9 := []byte{0xFF, 0xD8, 0xFF, 0xC9, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0, 0xFF, 0xD9}
	for _, ts := range []string{TSJPEGBaseline8, TSJPEGExtended12, TSJPEGLossless} {
		_, err := Decode(ts, sof9, f)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Syntax != SyntaxName(ts) || !strings.Contains(ue.What, "arithmetic-coded") || !strings.HasPrefix(ue.Needs, "conversion") {
			t.Errorf("%s, SOF9: %v", SyntaxName(ts), err)
		}
	}
	// A 12-bit DCT frame: decoded with the cgo 12-bit libjpeg, or refused
	// naming it.
	fx := fixtureNamed(t, "jpeg_ext12_u12_dcmtk")
	_, err := Decode(fx.TS, readFixture(t, fx.Data), fx.Frame)
	if haveJPEG12 {
		if err != nil {
			t.Fatal(err)
		}
	} else if want := "codec: JPEG Extended (12-bit): 12-bit DCT JPEG is not decoded by this build (the Go decoder reads 8-bit DCT only); needs a cgo build with GDCM's 12-bit libjpeg (Debian libgdcm-dev), without the nojpeg12 tag"; err == nil || err.Error() != want {
		t.Errorf("12-bit: %v\nwant %s", err, want)
	}
}

func fixtureNamed(t *testing.T, name string) fixture {
	t.Helper()
	for _, fx := range loadFixtures(t) {
		if fx.Name == name {
			return fx
		}
	}
	t.Fatalf("no fixture %s", name)
	return fixture{}
}

// TestPanicMessage: a decoder panic reaches the caller as "damaged data"
// with the syntax, never as the runtime's text.
func TestPanicMessage(t *testing.T) {
	var p *int
	err := safely("RLE Lossless", func() error { _ = *p; return nil })
	if err == nil {
		t.Fatal("panic not turned into an error")
	}
	msg := err.Error()
	if strings.Contains(msg, "runtime error") || strings.Contains(msg, "panic") || strings.Contains(msg, "nil pointer") {
		t.Errorf("runtime text reaches the user: %q", msg)
	}
	if msg != "codec: RLE Lossless: the frame's compressed data is damaged (the decoder could not follow it)" {
		t.Errorf("message %q", msg)
	}
	var df *decodeFailed
	if !errors.As(err, &df) || df.value == nil {
		t.Error("the recovered value is not kept for debugging")
	}
	if errors.Is(err, ErrUnsupported) {
		t.Error("damaged data reported as unsupported")
	}
}
