package dicom

import "testing"

// BenchmarkAffine16: the in-place 16-bit rescale of one 512² slice (12-bit
// unsigned CT with intercept −1024), the per-voxel work after a frame is
// read into the volume.
func BenchmarkAffine16(b *testing.B) {
	h := &header{bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRep: 0}
	d := newStoredDecoder(h)
	s := make([]int16, 512*512)
	b.SetBytes(int64(2 * len(s)))
	for i := 0; i < b.N; i++ {
		affine16(s, asWords16(s), d, 1, -1024, false)
	}
}

// addMasked16's four-lane words give what the one-at-a-time sum gives, for
// every alignment and tail, including lanes that wrap and garbage above
// BitsStored.
func TestAddMasked16(t *testing.T) {
	src := make([]uint16, 103)
	for i := range src {
		src[i] = uint16(i*2654435761>>7) | uint16(i%3)<<13 // bits above 12 set in some
	}
	src[5], src[6] = 0xffff, 0
	for _, c := range []uint16{0, 0xfc00 /* −1024 */, 0x7fff, 1} {
		for off := 0; off < 4; off++ {
			for _, n := range []int{0, 1, 3, 4, 7, 64, 99} {
				s := src[off : off+n]
				dst := make([]uint16, n+1)[1:] // misaligned against s at times
				addMasked16(dst, s, 0x0fff, c)
				for i := range s {
					if want := s[i]&0x0fff + c; dst[i] != want {
						t.Fatalf("c %#x off %d n %d: [%d] = %#x, want %#x", c, off, n, i, dst[i], want)
					}
				}
				in := append([]uint16(nil), s...) // in place
				addMasked16(in, in, 0x0fff, c)
				for i := range s {
					if want := s[i]&0x0fff + c; in[i] != want {
						t.Fatalf("in place: c %#x off %d n %d: [%d] = %#x, want %#x", c, off, n, i, in[i], want)
					}
				}
			}
		}
	}
}
