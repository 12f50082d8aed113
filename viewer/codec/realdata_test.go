package codec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// sharedData is the project's sibling ../shared checkout, seen from this
// package's directory.
const sharedData = "../../../shared/data"

func needShared(t testing.TB, sub string) string {
	t.Helper()
	p := filepath.Join(sharedData, sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real test data %s is absent (it lives in the shared/ checkout beside the repository): %v", p, err)
	}
	return p
}

// dicomFrame is one frame pulled out of a DICOM file with the reader the
// viewer itself uses.
type dicomFrame struct {
	ts    string
	frame Frame
	data  []byte // native PixelData, or the frame's fragments concatenated
}

func readDICOM(t testing.TB, path string) dicomFrame {
	t.Helper()
	ds, err := dicom.ParseFile(path, nil, dicom.SkipProcessingPixelDataValue())
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	str := func(tg tag.Tag) string {
		e, err := ds.FindElementByTag(tg)
		if err != nil {
			return ""
		}
		s, ok := e.Value.GetValue().([]string)
		if !ok || len(s) == 0 {
			return ""
		}
		return strings.TrimRight(s[0], " \x00")
	}
	num := func(tg tag.Tag) int {
		e, err := ds.FindElementByTag(tg)
		if err != nil {
			t.Fatalf("%s: no %v", path, tg)
		}
		switch v := e.Value.GetValue().(type) {
		case []int:
			return v[0]
		case []string:
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err != nil {
				t.Fatalf("%s: %v: %v", path, tg, err)
			}
			return n
		}
		t.Fatalf("%s: %v has type %T", path, tg, e.Value.GetValue())
		return 0
	}
	df := dicomFrame{
		ts: str(tag.TransferSyntaxUID),
		frame: Frame{
			Rows:                      num(tag.Rows),
			Cols:                      num(tag.Columns),
			SamplesPerPixel:           num(tag.SamplesPerPixel),
			BitsAllocated:             num(tag.BitsAllocated),
			BitsStored:                num(tag.BitsStored),
			PixelRepresentation:       num(tag.PixelRepresentation),
			PhotometricInterpretation: str(tag.PhotometricInterpretation),
		},
	}
	pe, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		t.Fatalf("%s: no PixelData", path)
	}
	info := dicom.MustGetPixelDataInfo(pe.Value)
	if info.IsEncapsulated {
		// The library returns fragments; every fixture here is one frame.
		var b bytes.Buffer
		for _, fr := range info.Frames {
			b.Write(fr.EncapsulatedData.Data)
		}
		df.data = b.Bytes()
	} else {
		df.data = info.UnprocessedValueData
	}
	return df
}

func firstDiff(a, b []byte) string {
	if len(a) != len(b) {
		return fmt.Sprintf("length %d, want %d", len(a), len(b))
	}
	n := 0
	first := -1
	for i := range a {
		if a[i] != b[i] {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if first < 0 {
		return ""
	}
	return fmt.Sprintf("%d bytes differ, first at offset %d (got %#02x, want %#02x)", n, first, a[first], b[first])
}

// TestTransferSyntaxes decodes one MR frame stored nine ways and wants every
// compressed copy to match the Explicit VR Little Endian original exactly.
func TestTransferSyntaxes(t *testing.T) {
	dir := needShared(t, "dicom-transfer-syntaxes/In")
	ref := readDICOM(t, filepath.Join(dir, "1.dcm"))
	if ref.ts != TSExplicitVRLittleEndian {
		t.Fatalf("1.dcm has transfer syntax %s", ref.ts)
	}
	want := ref.data[:ref.frame.Rows*ref.frame.Cols*2]
	for i := 4; i <= 9; i++ {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			df := readDICOM(t, filepath.Join(dir, fmt.Sprintf("%d.dcm", i)))
			if !Supported(df.ts) {
				t.Skipf("%s not supported in this build", SyntaxName(df.ts))
			}
			got, err := Decode(df.ts, df.data, df.frame)
			if err != nil {
				t.Fatal(err)
			}
			if d := firstDiff(got, want); d != "" {
				t.Fatalf("%s: %s", SyntaxName(df.ts), d)
			}
		})
	}
}

// TestCTSeriesJ2K wants each JPEG 2000 CT slice to decode to the bytes of
// its uncompressed twin.
func TestCTSeriesJ2K(t *testing.T) {
	dir := needShared(t, "ct-dicom-series-j2k")
	rawDir := needShared(t, "ct-dicom-series-raw")
	if !Supported(TSJPEG2000Lossless) {
		t.Skip("JPEG 2000 needs a cgo build")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		df := readDICOM(t, filepath.Join(dir, e.Name()))
		raw := readDICOM(t, filepath.Join(rawDir, e.Name()+".dcm"))
		got, err := Decode(df.ts, df.data, df.frame)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if d := firstDiff(got, raw.data); d != "" {
			t.Fatalf("%s: %s", e.Name(), d)
		}
		n++
	}
	if n != 20 {
		t.Fatalf("decoded %d slices, want 20", n)
	}
}
