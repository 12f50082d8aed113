package codec

import (
	"encoding/binary"
	"errors"
)

// j2kCodestream returns the contiguous codestream of a raw J2K stream or of
// a JP2 file's jp2c box.
func j2kCodestream(data []byte, jp2 bool) ([]byte, error) {
	if !jp2 {
		return data, nil
	}
	for p := 0; p+8 <= len(data); {
		l := int64(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		hdr := int64(8)
		switch l {
		case 0:
			l = int64(len(data) - p)
		case 1:
			if p+16 > len(data) {
				return nil, errors.New("JP2 box header truncated")
			}
			l, hdr = int64(binary.BigEndian.Uint64(data[p+8:])), 16
		}
		if l < hdr || l > int64(len(data)-p) {
			return nil, errors.New("JP2 box length overruns the data")
		}
		if typ == "jp2c" {
			return data[p+int(hdr) : p+int(l)], nil
		}
		p += int(l)
	}
	return nil, errors.New("JP2 file has no codestream box")
}

// j2kUsesHT reports whether any COD or COC segment, in the main header or
// a tile-part header, selects High-Throughput (Part 15) code-blocks: that
// bit alone decides which block decoder OpenJPEG runs. Tile-part headers
// are found by searching for SOT, which bit stuffing keeps out of coded
// data, so a wrong Psot cannot hide one.
func j2kUsesHT(cs []byte) (bool, error) {
	const (
		mSIZ  = 0x51
		mCOD  = 0x52
		mCOC  = 0x53
		mSOTm = 0x90
		mSODm = 0x93
	)
	if len(cs) < 4 || cs[0] != 0xFF || cs[1] != 0x4F {
		return false, errors.New("JPEG 2000 codestream has no SOC marker")
	}
	csiz := 0
	// segments walks marker segments from p until SOT (main header) or
	// SOD (tile-part header).
	segments := func(p int, stop byte) (bool, error) {
		for {
			if p+4 > len(cs) || cs[p] != 0xFF {
				return false, errors.New("JPEG 2000 header truncated or malformed")
			}
			m := cs[p+1]
			if m == stop || (stop == mSOTm && m == mSODm) {
				return false, nil
			}
			n := int(binary.BigEndian.Uint16(cs[p+2:]))
			if n < 2 || p+2+n > len(cs) {
				return false, errors.New("JPEG 2000 marker segment overruns the data")
			}
			seg := cs[p+4 : p+2+n]
			switch m {
			case mSIZ:
				if len(seg) >= 36 {
					csiz = int(binary.BigEndian.Uint16(seg[34:]))
				}
			case mCOD:
				if len(seg) >= 9 && seg[8]&0xC0 != 0 {
					return true, nil
				}
			case mCOC:
				off := 1 + 1 + 3 // Ccoc, Scoc, levels/xcb/ycb
				if csiz >= 257 {
					off++
				}
				if len(seg) > off && seg[off]&0xC0 != 0 {
					return true, nil
				}
			}
			p += 2 + n
		}
	}
	if ht, err := segments(2, mSOTm); ht || err != nil {
		return ht, err
	}
	for p := 2; p+1 < len(cs); p++ {
		if cs[p] != 0xFF || cs[p+1] != mSOTm {
			continue
		}
		if p+12 > len(cs) {
			break
		}
		// Skip the fixed-size SOT segment, then read up to SOD.
		if ht, err := segments(p+12, mSODm); ht || err != nil {
			if err != nil {
				// A damaged tile-part header: OpenJPEG will reject it
				// before any code-block is decoded.
				return false, nil
			}
			return true, nil
		}
	}
	return false, nil
}
