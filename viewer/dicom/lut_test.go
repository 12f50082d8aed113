package dicom

import (
	"encoding/binary"
	"reflect"
	"testing"
)

func TestLUTDescriptor(t *testing.T) {
	for _, c := range []struct {
		in       []float64
		pixelRep int
		count    int
		first    int64
		bits     int
		ok       bool
	}{
		{[]float64{0, 0, 16}, 0, 65536, 0, 16, true},       // 0 entries means 2^16
		{[]float64{300, 65486, 16}, 1, 300, -50, 16, true}, // US in the file, signed pixels
		{[]float64{300, 65486, 16}, 0, 300, 65486, 16, true},
		{[]float64{300, -50, 16}, 1, 300, -50, 16, true}, // SS
		{[]float64{256, 0, 8}, 0, 256, 0, 8, true},
		{[]float64{256, 0, 0}, 0, 0, 0, 0, false},
		{[]float64{256, 0}, 0, 0, 0, 0, false},
	} {
		n, f, b, ok := lutDescriptor(c.in, c.pixelRep)
		if ok != c.ok || ok && (n != c.count || f != c.first || b != c.bits) {
			t.Errorf("lutDescriptor(%v, %d) = %d, %d, %d, %v; want %d, %d, %d, %v", c.in, c.pixelRep, n, f, b, ok, c.count, c.first, c.bits, c.ok)
		}
	}
}

func TestValueLUTClamps(t *testing.T) {
	l := newValueLUT(-2, []int64{7, 8, 9})
	for v, want := range map[int64]int64{-100: 7, -2: 7, -1: 8, 0: 9, 1: 9, 1 << 40: 9} {
		if got := l.at(v); got != want {
			t.Errorf("at(%d) = %d, want %d", v, got, want)
		}
	}
	if l.lo != 7 || l.hi != 9 {
		t.Errorf("range %v..%v, want 7..9", l.lo, l.hi)
	}
}

// The expected tables are pydicom 2.3's _expand_segmented_lut on the same
// words.
func TestExpandSegmented(t *testing.T) {
	for _, c := range []struct {
		words, want []int64
	}{
		{[]int64{0, 3, 10, 20, 30, 1, 4, 70, 2, 2, 0, 0, 1, 3, 40},
			[]int64{10, 20, 30, 40, 50, 60, 70, 10, 20, 30, 40, 50, 60, 70, 60, 50, 40}},
		{[]int64{0, 1, 5, 1, 1, 5, 1, 5, 0}, []int64{5, 5, 4, 3, 2, 1, 0}},
	} {
		budget := 1 << 22
		if got := expandSegmented(c.words, &budget, 0, 0, false, 0); !reflect.DeepEqual(got, c.want) {
			t.Errorf("expandSegmented(%v) = %v, want %v", c.words, got, c.want)
		}
	}
	// Indirect segments pointing at themselves end; they do not loop.
	budget := 1 << 22
	self := []int64{0, 1, 5, 2, 60000, 0, 0}
	if got := expandSegmented(self, &budget, 0, 0, false, 0); len(got) > maxLUT {
		t.Errorf("self-referencing table expanded to %d entries", len(got))
	}
}

func TestLooksExplicit(t *testing.T) {
	explicit := []byte{0x08, 0x00, 0x05, 0x00, 'C', 'S', 10, 0}
	implicit := []byte{0x08, 0x00, 0x05, 0x00, 10, 0, 0, 0}
	if !looksExplicit(explicit) || looksExplicit(implicit) {
		t.Errorf("looksExplicit: explicit %v, implicit %v", looksExplicit(explicit), looksExplicit(implicit))
	}
}

// An undefined-length UN element holds a sequence encoded implicit VR
// (PS3.5 6.2.2) inside an explicit file: the walk reads its items so, and
// finds the pixel data after it.
func TestWalkUndefinedUN(t *testing.T) {
	le := binary.LittleEndian
	var b []byte
	b = append(b, make([]byte, 128)...)
	b = append(b, "DICM"...)
	ts := "1.2.840.10008.1.2.1\x00"
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 0x10)
	b = append(b, 'U', 'I')
	b = le.AppendUint16(b, uint16(len(ts)))
	b = append(b, ts...)
	// (0009,1010) UN, undefined length: one item with an implicit element.
	b = le.AppendUint16(b, 0x0009)
	b = le.AppendUint16(b, 0x1010)
	b = append(b, 'U', 'N', 0, 0)
	b = le.AppendUint32(b, undefined)
	b = le.AppendUint16(b, 0xfffe)
	b = le.AppendUint16(b, 0xe000)
	b = le.AppendUint32(b, undefined)
	b = le.AppendUint16(b, 0x0009)
	b = le.AppendUint16(b, 0x1011)
	b = le.AppendUint32(b, 4) // implicit: 4-byte length, no VR
	b = append(b, "ABCD"...)
	b = le.AppendUint16(b, 0xfffe)
	b = le.AppendUint16(b, 0xe00d)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, 0xfffe)
	b = le.AppendUint16(b, 0xe0dd)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, 0x7fe0)
	b = le.AppendUint16(b, 0x0010)
	b = append(b, 'O', 'W', 0, 0)
	b = le.AppendUint32(b, 4)
	b = append(b, 1, 2, 3, 4)
	w, err := walkFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !w.pixels.found || len(w.pixels.native) != 4 {
		t.Errorf("pixel data not found after the UN sequence: %+v", w.pixels)
	}
}
