package labelstudio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Label Studio's RLE parameters: 8-bit words and four run-length field
// widths. The header stores them, so a decoder reads whatever a stream says.
const (
	wordBits = 8
	maxRun   = 1 << 16 // the widest field (16 bits) counts 1..65536 words
)

var fieldWidths = [4]uint{3, 4, 8, 16}

// FormatError says an RLE stream is malformed.
type FormatError string

func (e FormatError) Error() string { return "labelstudio: bad brush RLE: " + string(e) }

// bitWriter packs fields most significant bit first.
type bitWriter struct {
	buf  []byte
	acc  uint64 // pending bits, right-aligned
	nacc uint
}

func (w *bitWriter) write(v uint64, n uint) {
	if n <= 32 {
		// The common case: one field, appended whole.
		w.acc = w.acc<<n | v&(1<<n-1)
		w.nacc += n
		for w.nacc >= 8 {
			w.nacc -= 8
			w.buf = append(w.buf, byte(w.acc>>w.nacc))
		}
		w.acc &= 1<<w.nacc - 1
		return
	}
	for n > 0 {
		take := n
		if take > 32 {
			take = 32
		}
		n -= take
		w.acc = w.acc<<take | (v>>n)&(1<<take-1)
		w.nacc += take
		for w.nacc >= 8 {
			w.nacc -= 8
			w.buf = append(w.buf, byte(w.acc>>w.nacc))
		}
		w.acc &= 1<<w.nacc - 1
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nacc > 0 {
		w.buf = append(w.buf, byte(w.acc<<(8-w.nacc)))
		w.acc, w.nacc = 0, 0
	}
	return w.buf
}

func newWriter(num, capHint int) *bitWriter {
	w := &bitWriter{buf: make([]byte, 0, capHint)}
	w.write(uint64(num), 32)
	w.write(wordBits-1, 5)
	for _, f := range fieldWidths {
		w.write(uint64(f-1), 4)
	}
	return w
}

// field picks the narrowest width that counts n (1..65536) words.
func field(n int) (int, uint) {
	switch {
	case n <= 1<<3:
		return 0, 3
	case n <= 1<<4:
		return 1, 4
	case n <= 1<<8:
		return 2, 8
	case n <= 1<<16:
		return 3, 16
	}
	panic("labelstudio: run longer than 65536")
}

func (w *bitWriter) run(word byte, n int) {
	for n > 0 {
		c := min(n, maxRun)
		t, f := field(c)
		// One field of 1+2+f+8 ≤ 27 bits: flag, width index, count, word.
		w.write(1<<(2+f+wordBits)|uint64(t)<<(f+wordBits)|uint64(c-1)<<wordBits|uint64(word), 3+f+wordBits)
		n -= c
	}
}

func (w *bitWriter) literal(words []byte) {
	if len(words) == 1 {
		// A lone word costs the same as a run of one; the reference
		// encoder writes it as a run, and so does this one.
		w.run(words[0], 1)
		return
	}
	for len(words) > 0 {
		c := min(len(words), maxRun)
		t, f := field(c)
		w.write(0, 1)
		w.write(uint64(t), 2)
		w.write(uint64(c-1), f)
		for _, v := range words[:c] {
			w.write(uint64(v), wordBits)
		}
		words = words[c:]
	}
}

// Encode run-length encodes words as Label Studio's brush RLE: repeats
// become runs, and consecutive single words are packed into literal
// chunks (the "packing" encoder of the spec's test vectors).
func Encode(words []byte) []byte {
	w := newWriter(len(words), 16+len(words)/8)
	lit := 0 // start of the pending literal chunk
	for i := 0; i < len(words); {
		j := i + 1
		for j < len(words) && words[j] == words[i] {
			j++
		}
		if j-i > 1 {
			w.literal(words[lit:i])
			w.run(words[i], j-i)
			lit = j
		}
		i = j
	}
	w.literal(words[lit:])
	return w.bytes()
}

// EncodeMask encodes a W×H mask (row-major, non-zero = in the mask) as the
// RGBA buffer Label Studio paints — 255,255,255,255 inside, 0 outside —
// without building that buffer: every pixel is four equal words, so the
// stream is runs only.
func EncodeMask(mask []uint8, width, height int) ([]byte, error) {
	if width <= 0 || height <= 0 || len(mask) != width*height {
		return nil, fmt.Errorf("labelstudio: mask of %d pixels is not %d×%d", len(mask), width, height)
	}
	if 4*len(mask) > 1<<32-1 {
		return nil, errors.New("labelstudio: mask too large for a brush RLE")
	}
	w := newWriter(4*len(mask), 256+len(mask)/16)
	for i := 0; i < len(mask); {
		on := mask[i] != 0
		j := runEnd(mask, i+1, on)
		var word byte
		if on {
			word = 255
		}
		w.run(word, 4*(j-i))
		i = j
	}
	return w.bytes(), nil
}

// runEnd is the end of the run of (non-)zero bytes that continues at i,
// eight bytes at a time while they all match.
func runEnd(mask []uint8, i int, on bool) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for i+8 <= len(mask) {
		v := binary.LittleEndian.Uint64(mask[i:])
		hasZero := (v-lo)&^v&hi != 0
		if (on && hasZero) || (!on && v != 0) {
			break
		}
		i += 8
	}
	for i < len(mask) && (mask[i] != 0) == on {
		i++
	}
	return i
}

// Decode expands a brush RLE stream. It refuses streams that claim more
// than maxWords words (pass W*H*4 of the task image, so a corrupt or
// foreign header cannot make it allocate gigabytes) and streams that end
// early or overrun their count.
func Decode(rle []byte, maxWords int) ([]byte, error) {
	r := bitReader{buf: rle}
	num, ok := r.read(32)
	if !ok {
		return nil, FormatError("shorter than its header")
	}
	if int64(num) > int64(maxWords) {
		return nil, FormatError(fmt.Sprintf("%d words, more than the %d expected", num, maxWords))
	}
	ws, _ := r.read(5)
	ws++
	var widths [4]uint
	for k := range widths {
		f, _ := r.read(4)
		widths[k] = uint(f) + 1
	}
	if r.over {
		return nil, FormatError("shorter than its header")
	}
	if ws > 8 {
		return nil, FormatError(fmt.Sprintf("word size %d bits (Label Studio uses 8)", ws))
	}
	out := make([]byte, num)
	for i := 0; i < len(out); {
		isRun, _ := r.read(1)
		t, _ := r.read(2)
		c, _ := r.read(widths[t])
		n := int(c) + 1
		if r.over {
			return nil, FormatError(fmt.Sprintf("ends after %d of %d words", i, num))
		}
		if i+n > len(out) {
			return nil, FormatError(fmt.Sprintf("a block of %d words overruns the %d announced", n, num))
		}
		if isRun == 1 {
			v, _ := r.read(uint(ws))
			if b := byte(v); b != 0 { // out starts zeroed: zero runs cost nothing
				run := out[i : i+n]
				run[0] = b
				for filled := 1; filled < n; filled *= 2 {
					copy(run[filled:], run[:filled])
				}
			}
		} else {
			for k := i; k < i+n; k++ {
				v, _ := r.read(uint(ws))
				out[k] = byte(v)
			}
		}
		if r.over {
			return nil, FormatError(fmt.Sprintf("ends after %d of %d words", i, num))
		}
		i += n
	}
	return out, nil
}

type bitReader struct {
	buf  []byte
	pos  uint64 // bit position
	over bool   // a read went past the end
}

func (r *bitReader) read(n uint) (uint64, bool) {
	if r.pos+uint64(n) > uint64(len(r.buf))*8 {
		r.over = true
		r.pos = uint64(len(r.buf)) * 8
		return 0, false
	}
	var v uint64
	for n > 0 {
		b := r.buf[r.pos>>3]
		off := uint(r.pos & 7)
		take := min(8-off, n)
		v = v<<take | uint64(b>>(8-off-take))&(1<<take-1)
		r.pos += uint64(take)
		n -= take
	}
	return v, true
}

// MaskFromRGBA turns a decoded RGBA buffer into a mask: a pixel is in it
// when its alpha is at least 128. The frontend paints any non-zero alpha,
// but hand-drawn strokes are anti-aliased (alpha 1..254 at their edges);
// half coverage keeps the stroke's geometric extent, where "any alpha"
// would widen every stroke by a pixel.
func MaskFromRGBA(rgba []byte, width, height int) ([]uint8, error) {
	if len(rgba) != 4*width*height {
		return nil, FormatError(fmt.Sprintf("%d bytes decoded, the %d×%d image needs %d", len(rgba), width, height, 4*width*height))
	}
	m := make([]uint8, width*height)
	for p := range m {
		if rgba[4*p+3] >= 128 {
			m[p] = 1
		}
	}
	return m, nil
}
