package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"

	"delineate/viewer/codec/internal/ijpeg"
	"os"
	"path/filepath"
	"testing"
)

// Conformance fixtures from testdata/make_conformance_codec.py: frames made
// by Pillow, DCMTK and OpenJPEG, with what pydicom/Pillow (libjpeg-turbo),
// GDCM and DCMTK decode them to.
const conformanceDir = "../../testdata/conformance/codec"

type conformanceCase struct {
	Name        string `json:"name"`
	File        string `json:"file"`
	Codestream  string `json:"codestream"`
	TS          string `json:"ts"`
	Rows        int    `json:"rows"`
	Cols        int    `json:"cols"`
	Samples     int    `json:"samples"`
	BA          int    `json:"bits_allocated"`
	BS          int    `json:"bits_stored"`
	Photometric string `json:"photometric"`
	Subsampling string `json:"subsampling"`
	Expected    string `json:"expected"`
	ExpectedYCC string `json:"expected_ycc"`
	Reference   string `json:"reference"`
}

func (c conformanceCase) frame() Frame {
	return Frame{Rows: c.Rows, Cols: c.Cols, SamplesPerPixel: c.Samples, BitsAllocated: c.BA,
		BitsStored: c.BS, PhotometricInterpretation: c.Photometric}
}

func conformanceCases(t *testing.T, prefix string) []conformanceCase {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(conformanceDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all, cs []conformanceCase
	if err := json.Unmarshal(js, &all); err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if len(c.Name) >= len(prefix) && c.Name[:len(prefix)] == prefix {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		t.Fatalf("no %s* cases in the manifest", prefix)
	}
	return cs
}

func readConformance(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// maxChannelDiff returns the largest difference between a and b per
// channel of nc interleaved channels.
func maxChannelDiff(t *testing.T, a, b []byte, nc int) []int {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d bytes, want %d", len(a), len(b))
	}
	d := make([]int, nc)
	for i := range a {
		v := int(a[i]) - int(b[i])
		d[i%nc] = max(d[i%nc], v, -v)
	}
	return d
}

// TestConformanceJPEGColour: colour JPEG Baseline frames with saturated
// edges must decode to exactly libjpeg's RGB. (The issue asked for 2 levels
// per channel; with libjpeg's IDCT, up-sampling and colour tables the
// difference is 0. Before, image/jpeg's repeated chroma and own rounding
// were up to 148 levels off on these frames.)
func TestConformanceJPEGColour(t *testing.T) {
	for _, c := range conformanceCases(t, "jpeg_") {
		t.Run(c.Name, func(t *testing.T) {
			df := readDICOM(t, filepath.Join(conformanceDir, c.File))
			if df.ts != c.TS || df.frame != c.frame() {
				t.Fatalf("file says %s %+v, manifest %s %+v", df.ts, df.frame, c.TS, c.frame())
			}
			got, err := Decode(df.ts, df.data, df.frame)
			if err != nil {
				t.Fatal(err)
			}
			d := maxChannelDiff(t, got, readConformance(t, c.Expected), 3)
			t.Logf("%s %s: largest difference from %s: R %d, G %d, B %d", c.Photometric, c.Subsampling, c.Reference, d[0], d[1], d[2])
			for ch, v := range d {
				if v > 0 {
					t.Errorf("channel %d differs by %d", ch, v)
				}
			}
		})
	}
}

// TestConformanceJPEGUpsampling compares the planes before colour
// conversion with libjpeg's: ijpeg's planes, up-sampled here but not
// converted, against the Y, Cb, Cr that libjpeg-turbo hands pydicom in
// YCbCr mode.
func TestConformanceJPEGUpsampling(t *testing.T) {
	for _, c := range conformanceCases(t, "jpeg_") {
		if c.ExpectedYCC == "" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			df := readDICOM(t, filepath.Join(conformanceDir, c.File))
			img, err := ijpeg.Decode(bytes.NewReader(df.data))
			if err != nil {
				t.Fatal(err)
			}
			m, ok := img.(*image.YCbCr)
			if !ok {
				t.Fatalf("image/jpeg gave %T", img)
			}
			got := make([]byte, c.Rows*c.Cols*3)
			if err := ycbcrToRGB(m, c.Cols, c.Rows, false, got); err != nil {
				t.Fatal(err)
			}
			d := maxChannelDiff(t, got, readConformance(t, c.ExpectedYCC), 3)
			t.Logf("%s: largest difference from libjpeg's up-sampled planes: Y %d, Cb %d, Cr %d", c.Subsampling, d[0], d[1], d[2])
			for ch, v := range d {
				if v > 0 {
					t.Errorf("component %d differs by %d", ch, v)
				}
			}
		})
	}
}

// TestConformanceJPEG12: 12-bit JPEG Extended decodes to exactly what GDCM
// and DCMTK decode (the same IJG 12-bit code).
func TestConformanceJPEG12(t *testing.T) {
	for _, c := range conformanceCases(t, "jpeg12_") {
		t.Run(c.Name, func(t *testing.T) {
			df := readDICOM(t, filepath.Join(conformanceDir, c.File))
			got, err := Decode(df.ts, df.data, df.frame)
			if !haveJPEG12 {
				if !errIsUnsupported(err) {
					t.Fatalf("without the 12-bit decoder want ErrUnsupported, got %v", err)
				}
				t.Skipf("no 12-bit JPEG decoder in this build: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := firstDiff(got, readConformance(t, c.Expected)); d != "" {
				t.Fatalf("differs from %s: %s", c.Reference, d)
			}
		})
	}
}

// TestConformanceJ2KDelimiterBytes: a codestream carrying the bytes of a
// DICOM Sequence Delimitation Item (in a comment segment) decodes like any
// other; nothing in the codec looks for DICOM tags.
func TestConformanceJ2KDelimiterBytes(t *testing.T) {
	if !haveJ2K {
		t.Skip("JPEG 2000 needs a cgo build")
	}
	for _, c := range conformanceCases(t, "j2k_delim") {
		cs := readConformance(t, c.Codestream)
		if !bytes.Contains(cs, []byte{0xFE, 0xFF, 0xDD, 0xE0}) || !bytes.Contains(cs, []byte{0xFF, 0xFE, 0xE0, 0xDD}) {
			t.Fatal("fixture lost its delimiter bytes")
		}
		got, err := Decode(c.TS, cs, c.frame())
		if err != nil {
			t.Fatal(err)
		}
		if d := firstDiff(got, readConformance(t, c.Expected)); d != "" {
			t.Fatal(d)
		}
	}
}

func errIsUnsupported(err error) bool { return errors.Is(err, ErrUnsupported) }
