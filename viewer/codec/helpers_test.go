package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
)

// testImage is a synthetic frame with a known answer.
type testImage struct {
	name    string
	f       Frame
	samples []int32 // pixel-interleaved stored values; negative when signed
}

// makeImage draws gradients, noise, hard edges and the extreme values of
// the range: the extremes side by side give lossless JPEG differences of
// 2^15 (SSSS 16) and JPEG-LS its run and escape codes.
func makeImage(name string, w, h, nc, ba, bs int, signed bool, seed uint64) testImage {
	pi := "MONOCHROME2"
	if nc == 3 {
		pi = "RGB"
	}
	pr := 0
	lo, hi := int64(0), int64(1)<<bs-1
	if signed {
		pr = 1
		lo, hi = -(int64(1) << (bs - 1)), int64(1)<<(bs-1)-1
	}
	im := testImage{name: name, f: Frame{Rows: h, Cols: w, SamplesPerPixel: nc, BitsAllocated: ba, BitsStored: bs,
		PixelRepresentation: pr, PhotometricInterpretation: pi}}
	s := seed*0x9E3779B97F4A7C15 + 1
	rnd := func() uint64 {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		return s
	}
	span := hi - lo
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < nc; c++ {
				var v int64
				switch (x/8 + y/6 + c) % 5 {
				case 0: // smooth gradient with a little noise
					v = lo + span*int64(x+y+c*7)/int64(w+h+21) + int64(rnd()%5) - 2
				case 1: // checkerboard of extremes half a range apart
					if (x+y)%2 == 0 {
						v = lo
					} else {
						v = lo + (span+1)/2
					}
				case 2: // loud noise
					v = lo + int64(rnd()%uint64(span+1))
				case 3: // flat, for run modes
					v = lo + span/3
				default: // the two ends of the range
					if x%3 == 0 {
						v = hi
					} else {
						v = lo
					}
				}
				v = max(lo, min(hi, v))
				im.samples = append(im.samples, int32(v))
			}
		}
	}
	return im
}

// native returns the frame as uncompressed little-endian PixelData.
func (im testImage) native() []byte {
	out := make([]byte, len(im.samples)*im.f.BitsAllocated/8)
	for i, v := range im.samples {
		putSample(out, i, uint32(v), im.f.BitsAllocated)
	}
	return out
}

// bits returns the stored bit patterns (BitsStored wide, no sign).
func (im testImage) bits() []uint32 {
	m := uint32(1)<<im.f.BitsStored - 1
	if im.f.BitsStored == 32 {
		m = ^uint32(0)
	}
	u := make([]uint32, len(im.samples))
	for i, v := range im.samples {
		u[i] = uint32(v) & m
	}
	return u
}

func standardImages() []testImage {
	return []testImage{
		makeImage("u16", 64, 48, 1, 16, 16, false, 1),
		makeImage("u12", 61, 37, 1, 16, 12, false, 2),
		makeImage("s16", 33, 29, 1, 16, 16, true, 3),
		makeImage("s12", 45, 31, 1, 16, 12, true, 4),
		makeImage("u8", 7, 5, 1, 8, 8, false, 5),
		makeImage("u8b", 64, 64, 1, 8, 8, false, 6),
		makeImage("rgb8", 31, 23, 3, 8, 8, false, 7),
		makeImage("rgb16", 17, 13, 3, 16, 16, false, 8),
	}
}

// ---- RLE encoder (PS3.5 G.3), written independently of the decoder ----

func packBits(src []byte) []byte {
	var out []byte
	i := 0
	for i < len(src) {
		run := 1
		for i+run < len(src) && run < 128 && src[i+run] == src[i] {
			run++
		}
		if run >= 2 {
			out = append(out, byte(int8(1-run)), src[i])
			i += run
			continue
		}
		j := i
		for j < len(src) && j-i < 128 && !(j+1 < len(src) && src[j+1] == src[j]) {
			j++
		}
		if j == i {
			j = i + 1
		}
		out = append(out, byte(j-i-1))
		out = append(out, src[i:j]...)
		i = j
	}
	return out
}

func encodeRLE(im testImage) []byte {
	bps := im.f.BitsAllocated / 8
	nc := im.f.SamplesPerPixel
	npix := im.f.Rows * im.f.Cols
	nat := im.native()
	var segs [][]byte
	for c := 0; c < nc; c++ {
		for b := bps - 1; b >= 0; b-- {
			plane := make([]byte, npix)
			for p := 0; p < npix; p++ {
				plane[p] = nat[(p*nc+c)*bps+b]
			}
			seg := packBits(plane)
			if len(seg)%2 == 1 {
				seg = append(seg, 0x80) // no-op padding to even length
			}
			segs = append(segs, seg)
		}
	}
	hdr := make([]byte, 64)
	binary.LittleEndian.PutUint32(hdr, uint32(len(segs)))
	off := 64
	for i, s := range segs {
		binary.LittleEndian.PutUint32(hdr[4+4*i:], uint32(off))
		off += len(s)
	}
	return append(hdr, bytes.Join(segs, nil)...)
}

// ---- Lossless JPEG encoder (T.81 Annex H) for round-trip tests ----

type llOpts struct {
	precision   int
	pred, pt    int
	ri          int  // restart interval in MCUs; 0 for none
	interleaved bool // one scan for all components, else one per component
	deep        bool // a Huffman table giving common categories 13-16 bit codes
}

type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) put(v uint32, n uint) {
	w.acc = w.acc<<n | uint64(v)&(1<<n-1)
	w.nbits += n
	for w.nbits >= 8 {
		b := byte(w.acc >> (w.nbits - 8))
		w.out = append(w.out, b)
		if b == 0xFF {
			w.out = append(w.out, 0)
		}
		w.nbits -= 8
	}
}

func (w *bitWriter) flush() {
	if w.nbits > 0 {
		w.put(0x7F, 8-w.nbits) // pad with one bits
	}
}

type huffCode struct {
	counts [16]int
	vals   []byte
	code   [17]uint32
	size   [17]uint
}

// optimalHuff builds code lengths from frequencies with T.81 Annex K.2,
// the procedure libjpeg uses.
func optimalHuff(freq [17]int) huffCode {
	var f [18]int
	copy(f[:], freq[:])
	f[17] = 1 // reserved code point so no code is all ones
	var codesize [18]int
	others := [18]int{}
	for i := range others {
		others[i] = -1
	}
	for {
		c1, c2 := -1, -1
		for i := 0; i < 18; i++ {
			if f[i] > 0 && (c1 < 0 || f[i] <= f[c1]) {
				c1 = i
			}
		}
		for i := 0; i < 18; i++ {
			if f[i] > 0 && i != c1 && (c2 < 0 || f[i] <= f[c2]) {
				c2 = i
			}
		}
		if c2 < 0 {
			break
		}
		f[c1] += f[c2]
		f[c2] = 0
		codesize[c1]++
		for others[c1] >= 0 {
			c1 = others[c1]
			codesize[c1]++
		}
		others[c1] = c2
		codesize[c2]++
		for others[c2] >= 0 {
			c2 = others[c2]
			codesize[c2]++
		}
	}
	var bits [33]int
	for i := 0; i < 18; i++ {
		if codesize[i] > 0 {
			bits[codesize[i]]++
		}
	}
	for i := 32; i > 16; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	i := 16
	for bits[i] == 0 {
		i--
	}
	bits[i]-- // drop the reserved code point
	var h huffCode
	for l := 1; l <= 16; l++ {
		h.counts[l-1] = bits[l]
	}
	type sc struct{ sym, size int }
	var syms []sc
	for s := 0; s < 17; s++ {
		if codesize[s] > 0 {
			syms = append(syms, sc{s, codesize[s]})
		}
	}
	sort.SliceStable(syms, func(a, b int) bool { return syms[a].size < syms[b].size })
	for _, s := range syms {
		h.vals = append(h.vals, byte(s.sym))
	}
	h.assign()
	return h
}

// deepHuff gives the 17 categories one code per length from 1 to 16 (two
// at 16), with the rarest categories on the shortest codes, so the
// decoder's slow path for codes past its lookup width gets exercised.
func deepHuff() huffCode {
	var h huffCode
	for l := 0; l < 15; l++ {
		h.counts[l] = 1
	}
	h.counts[15] = 2
	for s := 16; s >= 0; s-- {
		h.vals = append(h.vals, byte(s))
	}
	h.assign()
	return h
}

func (h *huffCode) assign() {
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for i := 0; i < h.counts[l-1]; i++ {
			s := h.vals[k]
			h.code[s], h.size[s] = code, uint(l)
			code++
			k++
		}
		code <<= 1
	}
}

func ssss(d int) int {
	if d < 0 {
		d = -d
	}
	n := 0
	for d > 0 {
		n++
		d >>= 1
	}
	return n
}

// llDiffs computes every difference of one component, in coding order.
func llDiffs(px []int, w, h int, o llOpts) []int {
	d := make([]int, 0, w*h)
	rowsPerRestart := 0
	if o.ri > 0 {
		rowsPerRestart = o.ri / w
	}
	at := func(x, y int) int { return px[y*w+x] }
	for y := 0; y < h; y++ {
		first := y == 0 || (rowsPerRestart > 0 && y%rowsPerRestart == 0)
		for x := 0; x < w; x++ {
			var p int
			switch {
			case first && x == 0:
				p = 1 << (o.precision - o.pt - 1)
			case first:
				p = at(x-1, y)
			case x == 0:
				p = at(x, y-1)
			default:
				ra, rb, rc := at(x-1, y), at(x, y-1), at(x-1, y-1)
				switch o.pred {
				case 1:
					p = ra
				case 2:
					p = rb
				case 3:
					p = rc
				case 4:
					p = ra + rb - rc
				case 5:
					p = ra + (rb-rc)>>1
				case 6:
					p = rb + (ra-rc)>>1
				case 7:
					p = (ra + rb) >> 1
				}
			}
			v := (at(x, y) - p) & 0xFFFF
			if v > 32768 {
				v -= 65536
			}
			d = append(d, v)
		}
	}
	return d
}

// encodeLossless encodes im's stored bit patterns. It returns the stream
// and the answer a decoder must give (low Pt bits cleared).
func encodeLossless(im testImage, o llOpts) ([]byte, []byte) {
	w, h, nc := im.f.Cols, im.f.Rows, im.f.SamplesPerPixel
	bitsv := im.bits()
	planes := make([][]int, nc)
	for c := range planes {
		planes[c] = make([]int, w*h)
		for i := range planes[c] {
			planes[c][i] = int(bitsv[i*nc+c] >> o.pt)
		}
	}
	diffs := make([][]int, nc)
	var freq [17]int
	for c := range diffs {
		diffs[c] = llDiffs(planes[c], w, h, o)
		for _, d := range diffs[c] {
			freq[ssss(d)]++
		}
	}
	tabs := []huffCode{optimalHuff(freq)}
	if o.deep {
		tabs = append(tabs, deepHuff())
	} else if nc > 1 {
		tabs = append(tabs, tabs[0])
	}
	tabOf := func(c int) int { return min(c%2, len(tabs)-1) }
	if o.deep {
		tabOf = func(c int) int { return 1 - c%2 }
	}
	var out []byte
	seg := func(m byte, body []byte) {
		out = append(out, 0xFF, m, byte((len(body)+2)>>8), byte(len(body)+2))
		out = append(out, body...)
	}
	out = append(out, 0xFF, mSOI)
	sof := []byte{byte(o.precision), byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(nc)}
	for c := 0; c < nc; c++ {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	seg(mSOF3, sof)
	for i, t := range tabs {
		b := []byte{byte(i)}
		for _, n := range t.counts {
			b = append(b, byte(n))
		}
		seg(mDHT, append(b, t.vals...))
	}
	if o.ri > 0 {
		seg(mDRI, []byte{byte(o.ri >> 8), byte(o.ri)})
	}
	scans := [][]int{}
	if o.interleaved {
		all := []int{}
		for c := 0; c < nc; c++ {
			all = append(all, c)
		}
		scans = append(scans, all)
	} else {
		for c := 0; c < nc; c++ {
			scans = append(scans, []int{c})
		}
	}
	for _, sc := range scans {
		sos := []byte{byte(len(sc))}
		for _, c := range sc {
			sos = append(sos, byte(c+1), byte(tabOf(c)<<4))
		}
		sos = append(sos, byte(o.pred), 0, byte(o.pt))
		seg(mSOS, sos)
		bw := &bitWriter{}
		rowsPerRestart := 0
		if o.ri > 0 {
			rowsPerRestart = o.ri / w
		}
		rst := 0
		for y := 0; y < h; y++ {
			if rowsPerRestart > 0 && y > 0 && y%rowsPerRestart == 0 {
				bw.flush()
				bw.out = append(bw.out, 0xFF, byte(mRST0+rst%8))
				rst++
			}
			for x := 0; x < w; x++ {
				for _, c := range sc {
					d := diffs[c][y*w+x]
					s := ssss(d)
					t := tabs[tabOf(c)]
					bw.put(t.code[s], t.size[s])
					if s > 0 && s < 16 {
						v := d
						if d < 0 {
							v = d - 1
						}
						bw.put(uint32(v), uint(s))
					}
				}
			}
		}
		bw.flush()
		out = append(out, bw.out...)
	}
	out = append(out, 0xFF, mEOI)

	// The answer: stored values with the low Pt bits cleared, sign
	// extended as the frame says.
	want := testImage{f: im.f, samples: make([]int32, len(im.samples))}
	sb := signBits(im.f, o.precision)
	pm := uint32(1)<<o.precision - 1
	for i, b := range bitsv {
		v := (b >> o.pt << o.pt) & pm
		want.samples[i] = int32(extend(v, sb))
	}
	return out, want.native()
}

func (o llOpts) String() string {
	s := fmt.Sprintf("P%d-sv%d-pt%d", o.precision, o.pred, o.pt)
	if o.ri > 0 {
		s += fmt.Sprintf("-ri%d", o.ri)
	}
	if o.interleaved {
		s += "-ilv"
	}
	if o.deep {
		s += "-deep"
	}
	return s
}
