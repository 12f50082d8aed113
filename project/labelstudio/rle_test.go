package labelstudio

import (
	"bytes"
	"errors"
	"testing"
)

// The test vectors of ../shared/specs/label-studio.md (verified against the
// real frontend and the converter), inlined so the codec is checked
// without ../shared.
var vectors = []struct {
	name    string
	words   []byte
	encoded []byte
	ours    bool // Encode must produce exactly this stream
}{
	{"packing", []byte{1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 4, 4, 4, 4, 4, 4, 4, 4},
		[]byte{0, 0, 0, 18, 57, 27, 252, 96, 34, 129, 1, 130, 131, 3, 132, 78, 8}, true},
	{"singleton literals", []byte{1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 4, 4, 4, 4, 4, 4, 4, 4},
		[]byte{0, 0, 0, 18, 57, 27, 252, 96, 32, 1, 0, 6, 0, 40, 0, 192, 3, 128, 17, 56, 32}, false},
	{"one word", []byte{7}, []byte{0, 0, 0, 1, 57, 27, 252, 0, 224}, true},
	{"65536 zeros", make([]byte, 65536), []byte{0, 1, 0, 0, 57, 27, 255, 255, 255, 0}, true},
	{"100000 zeros", make([]byte, 100000), []byte{0, 1, 134, 160, 57, 27, 255, 255, 255, 0, 240, 211, 224, 0}, true},
	{"3x2 mask", []byte{0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255},
		[]byte{0, 0, 0, 24, 57, 27, 252, 96, 17, 255, 219, 0, 143, 252}, true},
}

func TestRLEVectors(t *testing.T) {
	for _, v := range vectors {
		got, err := Decode(v.encoded, len(v.words))
		if err != nil || !bytes.Equal(got, v.words) {
			t.Errorf("%s: decode %v, %v", v.name, got, err)
		}
		if v.ours {
			if enc := Encode(v.words); !bytes.Equal(enc, v.encoded) {
				t.Errorf("%s: encode\n got %v\nwant %v", v.name, enc, v.encoded)
			}
		}
	}
	// The mask encoder writes the 3×2 vector from the mask itself.
	enc, err := EncodeMask([]uint8{0, 1, 0, 0, 0, 1}, 3, 2)
	if err != nil || !bytes.Equal(enc, vectors[5].encoded) {
		t.Errorf("EncodeMask 3x2: %v, %v", enc, err)
	}
}

func TestRLERefusesBadStreams(t *testing.T) {
	for _, c := range []struct {
		name string
		rle  []byte
		max  int
	}{
		{"empty", nil, 100},
		{"header cut", []byte{0, 0, 0, 18, 57}, 100},
		{"ends early", []byte{0, 0, 0, 18, 57, 27, 252, 96}, 100},
		{"more words than the image", []byte{0, 1, 0, 0, 57, 27, 255, 255, 255, 0}, 1000},
		{"block overruns", []byte{0, 0, 0, 2, 57, 27, 252, 96, 0}, 100}, // a run of 4 in a stream of 2
	} {
		_, err := Decode(c.rle, c.max)
		var fe FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v, want a FormatError", c.name, err)
		}
	}
}

// Masks of every shape decode to exactly the RGBA buffer they stand for,
// whichever encoder wrote them.
func TestMaskRoundTrip(t *testing.T) {
	w, h := 67, 41
	seed := uint32(1)
	for trial := 0; trial < 50; trial++ {
		mask := make([]uint8, w*h)
		density := trial % 5
		for i := range mask {
			seed = seed*1664525 + 1013904223
			if int(seed>>29) < density {
				mask[i] = 1
			}
		}
		rgba := make([]byte, 4*len(mask))
		for i, m := range mask {
			if m != 0 {
				copy(rgba[4*i:], []byte{255, 255, 255, 255})
			}
		}
		a, err := EncodeMask(mask, w, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, enc := range [][]byte{a, Encode(rgba)} {
			got, err := Decode(enc, len(rgba))
			if err != nil || !bytes.Equal(got, rgba) {
				t.Fatalf("trial %d: round trip differs (%v)", trial, err)
			}
			back, err := MaskFromRGBA(got, w, h)
			if err != nil || !bytes.Equal(back, mask) {
				t.Fatalf("trial %d: mask differs (%v)", trial, err)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.encoded)
	}
	f.Fuzz(func(t *testing.T, rle []byte) {
		words, err := Decode(rle, 1<<20)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a stream that decodes the same.
		again, err := Decode(Encode(words), len(words))
		if err != nil || !bytes.Equal(again, words) {
			t.Fatalf("re-encode of %d words differs: %v", len(words), err)
		}
	})
}
