package codec

import (
	"encoding/binary"
	"fmt"
)

// decodeRLE decodes a DICOM RLE Lossless frame (PS3.5 Annex G): a 64-byte
// header of segment offsets, then one PackBits segment per byte plane, most
// significant byte of each sample first, sample after sample.
func decodeRLE(data []byte, f Frame, out []byte) error {
	if len(data) < 64 {
		return fmt.Errorf("RLE header needs 64 bytes, frame has %d", len(data))
	}
	bps := f.BitsAllocated / 8
	want := f.SamplesPerPixel * bps
	nseg := int(binary.LittleEndian.Uint32(data))
	if nseg != want {
		return fmt.Errorf("RLE header has %d segments but SamplesPerPixel %d × BitsAllocated %d needs %d",
			nseg, f.SamplesPerPixel, f.BitsAllocated, want)
	}
	var offs [16]int
	for i := 0; i < nseg; i++ {
		offs[i] = int(binary.LittleEndian.Uint32(data[4+4*i:]))
	}
	offs[nseg] = len(data)
	for i := 0; i < nseg; i++ {
		if offs[i] < 64 || offs[i] > offs[i+1] {
			return fmt.Errorf("RLE segment %d offset %d is outside 64..%d or out of order", i, offs[i], offs[i+1])
		}
	}
	npix := f.Rows * f.Cols
	stride := want
	for i := 0; i < nseg; i++ {
		sample, plane := i/bps, i%bps
		// Planes run most significant first; the output is little-endian.
		start := sample*bps + (bps - 1 - plane)
		if err := unpackBits(data[offs[i]:offs[i+1]], out, start, stride, npix); err != nil {
			return fmt.Errorf("RLE segment %d: %w", i, err)
		}
	}
	return nil
}

// unpackBits expands one PackBits segment into n bytes written every stride
// bytes of out from start. Bytes decoded past n are ignored: encoders pad
// segments to even length and some overrun the last run.
func unpackBits(seg, out []byte, start, stride, n int) error {
	k, p := 0, 0
	if stride == 1 {
		dst := out[start : start+n]
		for k < n && p < len(seg) {
			c := int(int8(seg[p]))
			p++
			switch {
			case c >= 0:
				cnt := c + 1
				if p+cnt > len(seg) {
					return fmt.Errorf("literal run of %d bytes at offset %d overruns the segment", cnt, p-1)
				}
				k += copy(dst[k:], seg[p:p+cnt])
				p += cnt
			case c != -128:
				if p >= len(seg) {
					return fmt.Errorf("repeat run at offset %d has no byte", p-1)
				}
				b := seg[p]
				p++
				end := min(k+1-c, n)
				for ; k < end; k++ {
					dst[k] = b
				}
			}
		}
	} else {
		o := start
		for k < n && p < len(seg) {
			c := int(int8(seg[p]))
			p++
			switch {
			case c >= 0:
				cnt := c + 1
				if p+cnt > len(seg) {
					return fmt.Errorf("literal run of %d bytes at offset %d overruns the segment", cnt, p-1)
				}
				cnt = min(cnt, n-k)
				for _, b := range seg[p : p+cnt] {
					out[o] = b
					o += stride
				}
				k += cnt
				p += c + 1
			case c != -128:
				if p >= len(seg) {
					return fmt.Errorf("repeat run at offset %d has no byte", p-1)
				}
				b := seg[p]
				p++
				cnt := min(1-c, n-k)
				for j := 0; j < cnt; j++ {
					out[o] = b
					o += stride
				}
				k += cnt
			}
		}
	}
	if k < n {
		return fmt.Errorf("decoded %d of %d bytes: segment truncated", k, n)
	}
	return nil
}
