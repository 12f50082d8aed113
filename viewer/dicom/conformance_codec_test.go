package dicom

import (
	"encoding/binary"
	"math"
	"os"
	"testing"

	"delineate/viewer/codec"
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

// 12-bit lossy JPEG (Extended, process 2/4) loads with GDCM's 12-bit
// libjpeg exactly as GDCM and DCMTK decode it; colour baseline JPEG
// (4:2:0, 4:2:2, 4:4:4, progressive) gives the luma of libjpeg's RGB.
func TestJPEGConformanceThroughTheSeries(t *testing.T) {
	dir := conformanceDir("codec")
	if codec.Decodes12BitJPEG() {
		v := loadOne(t, dir+"/jpeg12_grey_53x41.dcm")
		raw, err := os.ReadFile(dir + "/jpeg12_grey_53x41.raw")
		if err != nil {
			t.Fatal(err)
		}
		if v.Dims != [3]int{53, 41, 1} {
			t.Fatalf("dims %v", v.Dims)
		}
		for i := 0; i < v.Data.Len(); i++ {
			if want := float64(binary.LittleEndian.Uint16(raw[2*i:])); v.Data.At(i) != want {
				t.Fatalf("12-bit pixel %d = %v, GDCM %v", i, v.Data.At(i), want)
			}
		}
	} else {
		t.Log("12-bit JPEG is not decoded by this build (no cgo): only colour baseline checked")
	}
	for _, name := range []string{"jpeg_420_blocks_37x29", "jpeg_422_stripes_40x24", "jpeg_444_blocks_37x29", "jpeg_420_progressive_blocks_37x29", "jpeg_rgb_420_blocks_37x29"} {
		v := loadOne(t, dir+"/"+name+".dcm")
		rgb, err := os.ReadFile(dir + "/" + name + ".rgb")
		if err != nil {
			t.Fatal(err)
		}
		if v.Data.Len()*3 != len(rgb) {
			t.Fatalf("%s: %d voxels for %d RGB bytes", name, v.Data.Len(), len(rgb))
		}
		worst := 0.0
		for i := 0; i < v.Data.Len(); i++ {
			want := 0.299*float64(rgb[3*i]) + 0.587*float64(rgb[3*i+1]) + 0.114*float64(rgb[3*i+2])
			worst = max(worst, math.Abs(v.Data.At(i)-want))
		}
		if worst > 0.5+1e-6 {
			t.Errorf("%s: luma off libjpeg's by up to %.2f levels", name, worst)
		}
	}
}
