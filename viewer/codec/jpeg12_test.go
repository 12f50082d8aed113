package codec

import (
	"errors"
	"strings"
	"testing"
)

// TestJPEG12Damaged: truncated or corrupted 12-bit frames and frames that
// disagree with the header are errors naming the problem, never a crash
// (IJG's error_exit would exit the process) or a silently grey image.
func TestJPEG12Damaged(t *testing.T) {
	if !haveJPEG12 {
		t.Skip("no 12-bit JPEG decoder in this build")
	}
	fx := fixtureNamed(t, "jpeg_ext12_u12_dcmtk")
	data := readFixture(t, fx.Data)
	f := fx.Frame
	for _, c := range []struct {
		name string
		f    func(Frame) Frame
		want string
	}{
		{"rows", func(f Frame) Frame { f.Rows++; return f }, "Rows is 37 in the compressed stream but 38 in the DICOM header"},
		{"cols", func(f Frame) Frame { f.Cols--; return f }, "Columns is 61 in the compressed stream but 60 in the DICOM header"},
		{"samples", func(f Frame) Frame { f.SamplesPerPixel = 3; return f }, "SamplesPerPixel (components) is 1 in the compressed stream but 3"},
		{"container", func(f Frame) Frame { f.BitsAllocated, f.BitsStored = 8, 8; return f }, "BitsAllocated must be 16"},
	} {
		_, err := Decode(fx.TS, data, c.f(f))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "codec: JPEG Extended (12-bit): ") {
			t.Errorf("%s: %v, want …%s", c.name, err, c.want)
		}
	}
	sos := strings.Index(string(data), "\xff\xda")
	if sos < 0 {
		t.Fatal("no SOS")
	}
	for _, n := range []int{3, 20, sos - 3, sos + 20, len(data) / 2, len(data) - 10} {
		_, err := Decode(fx.TS, data[:n], f)
		if err == nil {
			t.Errorf("truncated to %d bytes: decoded", n)
		} else if errors.Is(err, ErrUnsupported) {
			t.Errorf("truncated to %d bytes: %v (reported as unsupported)", n, err)
		}
	}
	// Without its EOI the frame is complete: accepted.
	if d := data[:len(data)-2]; d[len(d)-1] != 0xD9 {
		if _, err := Decode(fx.TS, d, f); err != nil {
			t.Errorf("without EOI: %v", err)
		}
	}
	// Flipped bits in the entropy-coded data or the tables.
	bad := 0
	for i := 2; i < len(data); i += 7 {
		d := append([]byte(nil), data...)
		d[i] ^= 0x5A
		if _, err := Decode(fx.TS, d, f); err != nil {
			bad++
			if strings.Contains(err.Error(), "runtime error") {
				t.Fatalf("flip at %d: %v", i, err)
			}
		}
	}
	t.Logf("%d of %d corrupted frames refused", bad, (len(data)-2+6)/7)
}
