package ijpeg

// The accurate integer inverse DCT of IJG libjpeg (jidctint.c,
// jpeg_idct_islow; libjpeg-turbo's C and SIMD versions give the same
// results): the Loeffler–Ligtenberg–Moschytz algorithm in 13-bit fixed
// point, two extra bits of precision kept between the column and row
// passes. Written from the published algorithm and constants, so that
// decoded samples match libjpeg's exactly.

const blockSize = 8 * 8

type block [blockSize]int32

const (
	constBits = 13
	pass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// descale is libjpeg's DESCALE: divide by 2^n, rounding.
func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// idct transforms b, dequantized coefficients in natural order, in place
// into sample values before the +128 level shift. Arithmetic is 64-bit, as
// libjpeg-turbo's JLONG is on 64-bit platforms, so damaged coefficients
// cannot overflow.
func idct(b *block) {
	var ws [blockSize]int64
	// Pass 1: columns, results scaled up by 2^pass1Bits.
	for c := 0; c < 8; c++ {
		in := func(r int) int64 { return int64(b[8*r+c]) }
		if b[8+c] == 0 && b[16+c] == 0 && b[24+c] == 0 && b[32+c] == 0 && b[40+c] == 0 && b[48+c] == 0 && b[56+c] == 0 {
			dc := in(0) << pass1Bits
			for r := 0; r < 8; r++ {
				ws[8*r+c] = dc
			}
			continue
		}
		e0, e1, e2, e3 := even(in(0), in(2), in(4), in(6))
		o0, o1, o2, o3 := odd(in(7), in(5), in(3), in(1))
		const n = constBits - pass1Bits
		ws[0*8+c] = descale(e0+o3, n)
		ws[7*8+c] = descale(e0-o3, n)
		ws[1*8+c] = descale(e1+o2, n)
		ws[6*8+c] = descale(e1-o2, n)
		ws[2*8+c] = descale(e2+o1, n)
		ws[5*8+c] = descale(e2-o1, n)
		ws[3*8+c] = descale(e3+o0, n)
		ws[4*8+c] = descale(e3-o0, n)
	}
	// Pass 2: rows, removing pass 1's scaling and the 8× of the transform.
	const n = constBits + pass1Bits + 3
	for r := 0; r < 8; r++ {
		w := ws[8*r : 8*r+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := int32(descale(w[0], pass1Bits+3))
			for c := 0; c < 8; c++ {
				b[8*r+c] = v
			}
			continue
		}
		e0, e1, e2, e3 := even(w[0], w[2], w[4], w[6])
		o0, o1, o2, o3 := odd(w[7], w[5], w[3], w[1])
		o := b[8*r : 8*r+8]
		o[0] = int32(descale(e0+o3, n))
		o[7] = int32(descale(e0-o3, n))
		o[1] = int32(descale(e1+o2, n))
		o[6] = int32(descale(e1-o2, n))
		o[2] = int32(descale(e2+o1, n))
		o[5] = int32(descale(e2-o1, n))
		o[3] = int32(descale(e3+o0, n))
		o[4] = int32(descale(e3-o0, n))
	}
}

// even is the even part: inputs 0, 2, 4, 6, outputs tmp10, tmp11, tmp12,
// tmp13 (scaled by 2^constBits).
func even(x0, x2, x4, x6 int64) (t10, t11, t12, t13 int64) {
	z1 := (x2 + x6) * fix0_541196100
	t2 := z1 - x6*fix1_847759065
	t3 := z1 + x2*fix0_765366865
	t0 := (x0 + x4) << constBits
	t1 := (x0 - x4) << constBits
	return t0 + t3, t1 + t2, t1 - t2, t0 - t3
}

// odd is the odd part: inputs 7, 5, 3, 1, outputs tmp0..tmp3.
func odd(t0, t1, t2, t3 int64) (int64, int64, int64, int64) {
	z1 := t0 + t3
	z2 := t1 + t2
	z3 := t0 + t2
	z4 := t1 + t3
	z5 := (z3 + z4) * fix1_175875602
	t0 *= fix0_298631336
	t1 *= fix2_053119869
	t2 *= fix3_072711026
	t3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 = z3*-fix1_961570560 + z5
	z4 = z4*-fix0_390180644 + z5
	return t0 + z1 + z3, t1 + z2 + z4, t2 + z2 + z3, t3 + z1 + z4
}

// rangeLimit is libjpeg's post-IDCT range limit (jdmaster.c,
// prepare_range_limit_table): the value is level-shifted and clamped, and
// indexed modulo 1024 as libjpeg's table is, so wildly out-of-range values
// from damaged data wrap the way libjpeg's do.
func rangeLimit(v int32) byte {
	i := v & 1023
	switch {
	case i < 128:
		return byte(i + 128)
	case i < 512:
		return 255
	case i < 896:
		return 0
	}
	return byte(i - 896)
}
