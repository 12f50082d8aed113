package codec

import (
	"errors"
	"fmt"
)

// JPEG lossless (ITU-T T.81 process 14, Annex H): Huffman-coded prediction
// differences. Only non-hierarchical Huffman lossless (SOF3) is handled;
// that is all DICOM's lossless JPEG syntaxes allow.

const (
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDHT  = 0xC4
	mDRI  = 0xDD
	mSOF3 = 0xC3
	mRST0 = 0xD0
	mRST7 = 0xD7
	mDNL  = 0xDC
	mDAC  = 0xCC
	mTEM  = 0x01
)

// lutBits is the width of the Huffman lookup. 12 bits cover the code plus
// its extra bits for nearly every difference in real CT and MR images, so
// most samples decode with one table read.
const lutBits = 12

// Lookup entry layout: bits 0-4 bits to consume, 5-9 SSSS, bit 10 set when
// the entry already holds the difference, bits 16-31 that difference.
const (
	lutFull  = 1 << 10
	lutShift = 16
)

type huffTable struct {
	lut     [1 << lutBits]int32
	maxcode [18]int32 // largest code of each length, -1 when none
	valptr  [17]int32
	mincode [17]int32
	vals    []byte
}

func buildHuff(counts [16]int, vals []byte) (*huffTable, error) {
	h := &huffTable{vals: vals}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		h.valptr[l] = k
		h.mincode[l] = code
		code += n
		k += n
		h.maxcode[l] = code - 1
		if n == 0 {
			h.maxcode[l] = -1
		}
		// Every code of this length must fit in l bits.
		if code > 1<<l {
			return nil, fmt.Errorf("Huffman table over-subscribed at length %d", l)
		}
		code <<= 1
	}
	h.maxcode[17] = 0x7fffffff
	// Fill the lookup for codes up to lutBits long.
	code = 0
	k = 0
	for l := 1; l <= 16; l++ {
		for i := 0; i < counts[l-1]; i, k, code = i+1, k+1, code+1 {
			if l > lutBits {
				continue
			}
			s := int32(vals[k])
			if s > 16 {
				continue // never valid in lossless; leave to the slow path, which rejects it
			}
			first := code << (lutBits - l)
			span := int32(1) << (lutBits - l)
			for j := int32(0); j < span; j++ {
				e := int32(l) | s<<5
				tot := l + int(s)
				if s == 16 {
					// SSSS 16 means a difference of 32768 with no extra
					// bits; -32768 is the same modulo 2^16 and fits.
					e = int32(l) | s<<5 | lutFull | -32768<<lutShift
				} else if tot <= lutBits {
					extra := (j >> (lutBits - tot)) & (1<<s - 1)
					e = int32(tot) | s<<5 | lutFull | extendDiff(extra, s)<<lutShift
				}
				h.lut[first+j] = e
			}
		}
		code <<= 1
	}
	return h, nil
}

// extendDiff is T.81's EXTEND: a value of s bits whose top bit is clear is
// negative.
func extendDiff(v, s int32) int32 {
	if s == 0 {
		return 0
	}
	if v < 1<<(s-1) {
		return v - (1 << s) + 1
	}
	return v
}

// bitReader reads the entropy-coded segment MSB first, undoing 0xFF00
// stuffing. At a marker or the end of data it feeds zero bytes and counts
// them, so the caller can tell a truncated scan from a complete one.
type bitReader struct {
	data  []byte
	pos   int
	acc   uint64
	nbits uint
	fake  uint // zero bytes fed past the end of the segment
}

func (r *bitReader) refill() {
	for r.nbits <= 56 {
		var b byte
		if r.pos < len(r.data) {
			b = r.data[r.pos]
			if b == 0xFF {
				if r.pos+1 < len(r.data) && r.data[r.pos+1] == 0 {
					r.pos += 2
				} else {
					b = 0
					r.fake++
				}
			} else {
				r.pos++
			}
		} else {
			r.fake++
		}
		r.acc = r.acc<<8 | uint64(b)
		r.nbits += 8
	}
}

// overrun reports whether bits past the end of the segment were consumed.
func (r *bitReader) overrun() bool { return r.fake*8 > r.nbits }

var errHuffCode = errors.New("invalid Huffman code in lossless JPEG data")

// decodeDiffs fills d with the next len(d) differences, cycling through tabs
// (one table per component of an interleaved scan).
func (r *bitReader) decodeDiffs(d []int32, tabs []*huffTable) error {
	nt := len(tabs)
	if nt == 1 {
		return r.decodeDiffs1(d, tabs[0])
	}
	for i := range d {
		v, err := r.decodeOne(tabs[i%nt])
		if err != nil {
			return err
		}
		d[i] = v
	}
	return nil
}

// decodeDiffs1 is decodeOne inlined by hand for the common single-table
// case; it is the inner loop of whole CT series.
func (r *bitReader) decodeDiffs1(d []int32, h *huffTable) error {
	acc, nbits := r.acc, r.nbits
	for i := range d {
		if nbits < 32 {
			r.acc, r.nbits = acc, nbits
			r.refill()
			acc, nbits = r.acc, r.nbits
		}
		e := h.lut[(acc>>(nbits-lutBits))&(1<<lutBits-1)]
		if e&lutFull != 0 {
			nbits -= uint(e & 31)
			d[i] = e >> lutShift
			continue
		}
		var s int32
		if e != 0 {
			nbits -= uint(e & 31)
			s = (e >> 5) & 31
		} else {
			r.acc, r.nbits = acc, nbits
			var err error
			if s, err = r.slowSym(h); err != nil {
				return err
			}
			acc, nbits = r.acc, r.nbits
		}
		switch {
		case s == 0:
			d[i] = 0
		case s == 16:
			d[i] = 32768
		default:
			v := int32(acc>>(nbits-uint(s))) & (1<<s - 1)
			nbits -= uint(s)
			d[i] = extendDiff(v, s)
		}
	}
	r.acc, r.nbits = acc, nbits
	return nil
}

func (r *bitReader) decodeOne(h *huffTable) (int32, error) {
	if r.nbits < 32 {
		r.refill()
	}
	e := h.lut[(r.acc>>(r.nbits-lutBits))&(1<<lutBits-1)]
	if e&lutFull != 0 {
		r.nbits -= uint(e & 31)
		return e >> lutShift, nil
	}
	var s int32
	if e != 0 {
		r.nbits -= uint(e & 31)
		s = (e >> 5) & 31
	} else {
		var err error
		if s, err = r.slowSym(h); err != nil {
			return 0, err
		}
	}
	switch s {
	case 0:
		return 0, nil
	case 16:
		return 32768, nil
	}
	v := int32(r.acc>>(r.nbits-uint(s))) & (1<<s - 1)
	r.nbits -= uint(s)
	return extendDiff(v, s), nil
}

// slowSym decodes a code longer than lutBits (T.81 F.2.2.3).
func (r *bitReader) slowSym(h *huffTable) (int32, error) {
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(r.acc>>(r.nbits-l)) & (1<<l - 1)
		if code <= h.maxcode[l] {
			idx := h.valptr[l] + code - h.mincode[l]
			if idx < 0 || int(idx) >= len(h.vals) {
				return 0, errHuffCode
			}
			s := int32(h.vals[idx])
			if s > 16 {
				return 0, fmt.Errorf("difference category %d in lossless JPEG data (max 16)", s)
			}
			r.nbits -= l
			return s, nil
		}
	}
	return 0, errHuffCode
}

// restart consumes the RSTn marker that must follow each restart interval.
// Bits left before it are the encoder's byte padding. Surplus bytes before
// the marker are skipped as libjpeg does.
func (r *bitReader) restart() error {
	p := r.pos
	for p+1 < len(r.data) && !(r.data[p] == 0xFF && r.data[p+1] >= mRST0 && r.data[p+1] <= mRST7) {
		if r.data[p] == 0xFF && r.data[p+1] != 0 && r.data[p+1] != 0xFF {
			return fmt.Errorf("expected a restart marker, found marker 0xFF%02X", r.data[p+1])
		}
		p++
	}
	if p+1 >= len(r.data) {
		return errors.New("lossless JPEG data ends where a restart marker should be")
	}
	r.pos = p + 2
	r.acc, r.nbits, r.fake = 0, 0, 0
	return nil
}

type llComp struct {
	id    byte
	h, v  int
	plane []uint16 // decoded samples before the point transform shift
	pt    int      // point transform of the scan that coded this component
	done  bool
}

type llDecoder struct {
	data      []byte
	f         Frame
	precision int
	width     int
	height    int
	comps     []llComp
	tabs      [4]*huffTable
	ri        int // restart interval in MCUs
	diffs     []int32
}

func decodeJPEGLossless(data []byte, f Frame, out []byte) error {
	d := &llDecoder{data: data, f: f}
	if err := d.run(); err != nil {
		return err
	}
	return d.emit(out)
}

func (d *llDecoder) run() error {
	data := d.data
	if len(data) < 2 || data[0] != 0xFF || data[1] != mSOI {
		return errors.New("not a JPEG stream (no SOI marker)")
	}
	pos := 2
	for {
		// Markers may be preceded by any number of 0xFF fill bytes.
		for pos < len(data) && data[pos] != 0xFF {
			pos++ // tolerate stray bytes between segments, as libjpeg does
		}
		for pos < len(data) && data[pos] == 0xFF {
			pos++
		}
		if pos >= len(data) {
			break
		}
		m := data[pos]
		pos++
		if m == mEOI {
			break
		}
		if m == 0 || m == mTEM || (m >= mRST0 && m <= mRST7) {
			continue // markers without a length
		}
		if pos+2 > len(data) {
			return errors.New("lossless JPEG truncated inside a marker segment")
		}
		n := int(data[pos])<<8 | int(data[pos+1])
		if n < 2 || pos+n > len(data) {
			return fmt.Errorf("marker 0xFF%02X segment length %d overruns the data", m, n)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		switch {
		case m == mSOF3:
			if err := d.parseSOF(seg); err != nil {
				return err
			}
		case m == mDHT:
			if err := d.parseDHT(seg); err != nil {
				return err
			}
		case m == mDRI:
			if len(seg) != 2 {
				return errors.New("DRI segment has wrong length")
			}
			d.ri = int(seg[0])<<8 | int(seg[1])
		case m == mSOS:
			end, err := d.scan(seg, pos)
			if err != nil {
				return err
			}
			pos = end
		case m == mDAC || (m >= 0xC9 && m <= 0xCB) || (m >= 0xCD && m <= 0xCF):
			return unsupported(fmt.Sprintf("arithmetic-coded JPEG (marker 0xFF%02X) is not decoded", m), convertFirst)
		case m == 0xC0 || m == 0xC1 || m == 0xC2:
			return fmt.Errorf("stream is DCT-based JPEG (marker 0xFF%02X), not lossless", m)
		case m >= 0xC5 && m <= 0xC7, m == 0xDE, m == 0xDF:
			return unsupported(fmt.Sprintf("hierarchical JPEG (marker 0xFF%02X) is not decoded", m), convertFirst)
		case m == 0xF7:
			return errors.New("stream is JPEG-LS, not lossless JPEG: check the transfer syntax")
		}
	}
	if d.comps == nil {
		return errors.New("lossless JPEG has no SOF3 frame header")
	}
	for i := range d.comps {
		if !d.comps[i].done {
			return fmt.Errorf("lossless JPEG ended before component %d was decoded", i)
		}
	}
	return nil
}

func (d *llDecoder) parseSOF(seg []byte) error {
	if d.comps != nil {
		return errors.New("lossless JPEG has more than one frame header")
	}
	if len(seg) < 6 {
		return errors.New("SOF3 segment too short")
	}
	d.precision = int(seg[0])
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	nf := int(seg[5])
	if len(seg) < 6+3*nf {
		return errors.New("SOF3 segment too short for its components")
	}
	f := d.f
	if d.precision < 2 || d.precision > 16 {
		return fmt.Errorf("lossless JPEG precision %d outside 2..16", d.precision)
	}
	if d.precision > f.BitsAllocated {
		return fmt.Errorf("lossless JPEG precision %d exceeds BitsAllocated %d", d.precision, f.BitsAllocated)
	}
	// A height of 0 means a DNL marker gives it later; the DICOM header
	// already says how many rows there are.
	if d.height == 0 {
		d.height = f.Rows
	}
	if d.width != f.Cols {
		return errMismatch("Columns", d.width, f.Cols)
	}
	if d.height != f.Rows {
		return errMismatch("Rows", d.height, f.Rows)
	}
	if nf != f.SamplesPerPixel {
		return errMismatch("SamplesPerPixel (components)", nf, f.SamplesPerPixel)
	}
	d.comps = make([]llComp, nf)
	for i := range d.comps {
		c := seg[6+3*i:]
		d.comps[i] = llComp{id: c[0], h: int(c[1] >> 4), v: int(c[1] & 15)}
		for j := 0; j < i; j++ {
			if d.comps[j].id == c[0] {
				return fmt.Errorf("component id %d appears twice in SOF3", c[0])
			}
			// Unequal sampling would make the planes different sizes,
			// which no DICOM layout describes.
			if d.comps[j].h != d.comps[i].h || d.comps[j].v != d.comps[i].v {
				return unsupported("lossless JPEG with subsampled components has no DICOM layout", convertFirst)
			}
		}
	}
	return nil
}

func (d *llDecoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errors.New("DHT segment truncated")
		}
		tc, th := seg[0]>>4, seg[0]&15
		if th > 3 || tc > 1 {
			return fmt.Errorf("DHT table class %d id %d out of range", tc, th)
		}
		var counts [16]int
		total := 0
		for i := range counts {
			counts[i] = int(seg[1+i])
			total += counts[i]
		}
		if total > 256 || len(seg) < 17+total {
			return errors.New("DHT segment truncated or has more than 256 codes")
		}
		vals := append([]byte(nil), seg[17:17+total]...)
		seg = seg[17+total:]
		if tc != 0 {
			continue // AC tables mean nothing to lossless scans
		}
		h, err := buildHuff(counts, vals)
		if err != nil {
			return err
		}
		d.tabs[th] = h
	}
	return nil
}

// scan decodes one scan whose header is hdr and whose entropy-coded data
// starts at pos; it returns the offset of the marker that ends the scan.
func (d *llDecoder) scan(hdr []byte, pos int) (int, error) {
	if d.comps == nil {
		return 0, errors.New("SOS before SOF3")
	}
	if len(hdr) < 1 {
		return 0, errors.New("SOS segment too short")
	}
	ns := int(hdr[0])
	if ns < 1 || ns > 4 || len(hdr) != 4+2*ns {
		return 0, errors.New("SOS segment has a bad component count or length")
	}
	comps := make([]*llComp, ns)
	tabs := make([]*huffTable, ns)
	for i := 0; i < ns; i++ {
		id, td := hdr[1+2*i], int(hdr[2+2*i]>>4)
		for j := range d.comps {
			if d.comps[j].id == id {
				comps[i] = &d.comps[j]
			}
		}
		if comps[i] == nil {
			return 0, fmt.Errorf("SOS names component id %d absent from SOF3", id)
		}
		if comps[i].done {
			return 0, fmt.Errorf("component id %d coded in two scans", id)
		}
		if td > 3 || d.tabs[td] == nil {
			return 0, fmt.Errorf("SOS uses Huffman table %d which was never defined", td)
		}
		tabs[i] = d.tabs[td]
		if ns > 1 && (comps[i].h != 1 || comps[i].v != 1) {
			return 0, unsupported(fmt.Sprintf("an interleaved lossless scan with sampling %d×%d is not decoded", comps[i].h, comps[i].v), convertFirst)
		}
		for j := 0; j < i; j++ {
			if comps[j] == comps[i] {
				return 0, fmt.Errorf("component id %d appears twice in SOS", id)
			}
		}
	}
	p := hdr[1+2*ns:]
	pred, se, pt := int(p[0]), int(p[1]), int(p[2]&15)
	if pred < 1 || pred > 7 {
		return 0, fmt.Errorf("lossless JPEG predictor (selection value) %d outside 1..7", pred)
	}
	if se != 0 || p[2]>>4 != 0 {
		return 0, errors.New("SOS fields Se/Ah not zero: not a lossless scan")
	}
	if pt >= d.precision {
		return 0, fmt.Errorf("point transform %d not below precision %d", pt, d.precision)
	}
	w, h := d.width, d.height
	rowsPerRestart := 0
	if d.ri > 0 {
		// T.81 H.1.2.1 ties restarts to whole lines, which is what lets the
		// first line after a restart reuse the first-line predictor.
		if d.ri%w != 0 {
			return 0, fmt.Errorf("restart interval of %d MCUs is not a whole number of %d-sample lines", d.ri, w)
		}
		rowsPerRestart = d.ri / w
	}
	for _, c := range comps {
		c.plane = make([]uint16, w*h)
	}
	if cap(d.diffs) < w*ns {
		d.diffs = make([]int32, w*ns)
	}
	diffs := d.diffs[:w*ns]
	br := &bitReader{data: d.data, pos: pos}
	initial := int32(1) << (d.precision - pt - 1)
	first := true
	for y := 0; y < h; y++ {
		if rowsPerRestart > 0 && y > 0 && y%rowsPerRestart == 0 {
			if err := br.restart(); err != nil {
				return 0, err
			}
			first = true
		}
		if err := br.decodeDiffs(diffs, tabs); err != nil {
			return 0, fmt.Errorf("line %d: %w", y, err)
		}
		if br.overrun() {
			return 0, fmt.Errorf("lossless JPEG data truncated at line %d of %d", y, h)
		}
		for ci, c := range comps {
			cur := c.plane[y*w : (y+1)*w]
			var prev []uint16
			if !first {
				prev = c.plane[(y-1)*w : y*w]
			}
			if ns == 1 {
				undiff(cur, prev, diffs, pred, initial)
			} else {
				undiffStrided(cur, prev, diffs[ci:], ns, pred, initial)
			}
		}
		first = false
	}
	for _, c := range comps {
		c.done = true
		c.pt = pt
	}
	// The scan ends at the next marker; with stuffing undone, that is the
	// first 0xFF not followed by 0x00.
	end := br.pos
	for end+1 < len(d.data) && !(d.data[end] == 0xFF && d.data[end+1] != 0) {
		end++
	}
	return end, nil
}

// undiff reconstructs one line from its differences (T.81 H.2.1). prev is
// nil on the first line of a scan or restart interval. Arithmetic is
// modulo 2^16, as the standard requires.
func undiff(cur, prev []uint16, d []int32, pred int, initial int32) {
	w := len(cur)
	d = d[:w]
	if prev == nil {
		a := initial + d[0]
		cur[0] = uint16(a)
		for x := 1; x < w; x++ {
			cur[x] = cur[x-1] + uint16(d[x])
		}
		return
	}
	prev = prev[:w]
	cur[0] = prev[0] + uint16(d[0])
	switch pred {
	case 1:
		for x := 1; x < w; x++ {
			cur[x] = cur[x-1] + uint16(d[x])
		}
	case 2:
		for x := 1; x < w; x++ {
			cur[x] = prev[x] + uint16(d[x])
		}
	case 3:
		for x := 1; x < w; x++ {
			cur[x] = prev[x-1] + uint16(d[x])
		}
	case 4:
		for x := 1; x < w; x++ {
			cur[x] = uint16(int32(cur[x-1]) + int32(prev[x]) - int32(prev[x-1]) + d[x])
		}
	case 5:
		for x := 1; x < w; x++ {
			cur[x] = uint16(int32(cur[x-1]) + (int32(prev[x])-int32(prev[x-1]))>>1 + d[x])
		}
	case 6:
		for x := 1; x < w; x++ {
			cur[x] = uint16(int32(prev[x]) + (int32(cur[x-1])-int32(prev[x-1]))>>1 + d[x])
		}
	case 7:
		for x := 1; x < w; x++ {
			cur[x] = uint16((int32(cur[x-1])+int32(prev[x]))>>1 + d[x])
		}
	}
}

// undiffStrided is undiff for one component of an interleaved scan, whose
// differences sit every stride entries of d.
func undiffStrided(cur, prev []uint16, d []int32, stride, pred int, initial int32) {
	w := len(cur)
	if prev == nil {
		cur[0] = uint16(initial + d[0])
		for x := 1; x < w; x++ {
			cur[x] = cur[x-1] + uint16(d[x*stride])
		}
		return
	}
	cur[0] = prev[0] + uint16(d[0])
	for x := 1; x < w; x++ {
		ra, rb, rc := int32(cur[x-1]), int32(prev[x]), int32(prev[x-1])
		var px int32
		switch pred {
		case 1:
			px = ra
		case 2:
			px = rb
		case 3:
			px = rc
		case 4:
			px = ra + rb - rc
		case 5:
			px = ra + (rb-rc)>>1
		case 6:
			px = rb + (ra-rc)>>1
		case 7:
			px = (ra + rb) >> 1
		}
		cur[x] = uint16(px + d[x*stride])
	}
}

// emit applies the point transform and writes the planes interleaved into
// the container.
func (d *llDecoder) emit(out []byte) error {
	f := d.f
	sb := signBits(f, d.precision)
	// Masking to the precision keeps corrupt data from spilling into bits
	// the header says are unused.
	mask := uint32(1)<<d.precision - 1
	nc := len(d.comps)
	n := d.width * d.height
	if nc == 1 && f.BitsAllocated == 16 && sb == 0 {
		pl, pt := d.comps[0].plane[:n], d.comps[0].pt
		out = out[:2*n]
		for i, v := range pl {
			v32 := uint32(v) << pt & mask
			out[2*i] = byte(v32)
			out[2*i+1] = byte(v32 >> 8)
		}
		return nil
	}
	for c := 0; c < nc; c++ {
		pl, pt := d.comps[c].plane[:n], d.comps[c].pt
		for i, v := range pl {
			putSample(out, i*nc+c, extend(uint32(v)<<pt&mask, sb), f.BitsAllocated)
		}
	}
	return nil
}
