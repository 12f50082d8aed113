package dicom

import (
	"encoding/binary"
	"os"
	"testing"
)

// A JPEG 2000 codestream whose bytes include FE FF DD E0 (a sequence
// delimitation item) and FF FE E0 DD inside its one fragment: fragments
// are split by their item lengths, never by searching for delimiters, so
// the frame decodes to its source pixels exactly (lossless).
func TestJ2KFragmentHoldingDelimiterBytes(t *testing.T) {
	dir := conformanceDir("codec")
	b, err := os.ReadFile(dir + "/j2k_delim_47x33.dcm")
	if err != nil {
		t.Fatal(err)
	}
	if string(b[809:813]) != "\xfe\xff\xdd\xe0" || string(b[817:821]) != "\xff\xfe\xe0\xdd" {
		t.Fatal("the fixture no longer holds the delimiter bytes inside its fragment")
	}
	v := loadOne(t, dir+"/j2k_delim_47x33.dcm")
	raw, err := os.ReadFile(dir + "/j2k_delim_47x33.raw")
	if err != nil {
		t.Fatal(err)
	}
	if v.Dims != [3]int{47, 33, 1} || v.Data.Len()*2 != len(raw) {
		t.Fatalf("dims %v", v.Dims)
	}
	for i := 0; i < v.Data.Len(); i++ {
		if want := float64(binary.LittleEndian.Uint16(raw[2*i:])); v.Data.At(i) != want {
			t.Fatalf("pixel %d = %v, want %v", i, v.Data.At(i), want)
		}
	}
}
