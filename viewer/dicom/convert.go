package dicom

import (
	"context"
	"encoding/binary"
	"math"
	"unsafe"

	"delineate/viewer"
)

// The loops that turn stored samples into voxels. The common case — 16-bit
// samples into int16/uint16, in place — has its own loop without a row
// buffer; everything else (8- and 32-bit samples, float output, mosaic
// tiles, decoded frames) goes row by row through stored values in int64.

// storedType is the type that holds a header's stored values as they are
// (no rescale): what a volume holds in raw mode until the range is known.
func storedType(slices []slice) viewer.DataType {
	h := slices[0].h
	for _, sl := range slices {
		if sl.h.bitsAllocated != h.bitsAllocated || sl.h.pixelRep != h.pixelRep {
			return viewer.Int32
		}
	}
	switch {
	case h.bitsAllocated == 8 && h.pixelRep == 1:
		return viewer.Int8
	case h.bitsAllocated == 8:
		return viewer.Uint8
	case h.bitsAllocated == 16 && h.pixelRep == 1:
		return viewer.Int16
	case h.bitsAllocated == 16:
		return viewer.Uint16
	case h.pixelRep == 1:
		return viewer.Int32
	}
	return viewer.Uint32
}

// affine is the map from stored value to voxel value of one slice: the
// rescale, or the identity in raw mode.
type affine struct {
	slope, inter float64
	is, ii       int64
	integral     bool
}

func affineOf(sl slice, rawMode, integral bool) affine {
	if rawMode {
		return affine{slope: 1, is: 1, integral: true}
	}
	return affine{slope: sl.slope, inter: sl.intercept, is: int64(sl.slope), ii: int64(sl.intercept), integral: integral}
}

// convertInPlace turns the raw samples just read into voxels [from,
// from+n) of d (same element size as the samples) into voxel values, and
// returns their range — or, where track is false, leaves the range
// unknown (the header's stands in: see Load).
func convertInPlace(d viewer.VoxelData, from, n int, sl slice, rawMode, integral, track bool) sliceRange {
	dec := newStoredDecoder(sl.h)
	a := affineOf(sl, rawMode, integral)
	if f, ok := d.Raw().([]float32); ok && sl.h.floatBytes == 4 {
		return floatRange(f[from : from+n]) // float pixels are the voxels
	}
	if a.integral && sl.h.lut == nil {
		switch s := d.Raw().(type) {
		case []int16:
			return affine16(s[from:from+n], asWords16(s[from:from+n]), dec, a.is, a.ii, track)
		case []uint16:
			return affine16(s[from:from+n], s[from:from+n], dec, a.is, a.ii, true)
		}
	}
	// Row by row through int64: each row is decoded before it is written,
	// so the in-place overwrite never reads what it wrote.
	b := sliceBytes(d, from, n)
	cols := sl.h.cols
	sl.tile = -1
	return fillInto(d, from, n, b[:n*d.Type().Size()], sl, rawMode, integral, make([]int64, cols))
}

func asWords16[T ~int16](s []T) []uint16 {
	return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// affine16 converts 16-bit samples to T in one pass (dst and src may be the
// same memory). Without track it only converts: unsigned samples plus an
// intercept (12-bit CT into HU, the commonest case of all) then go four
// at a time through 64-bit words.
func affine16[T ~int16 | ~uint16](dst []T, src []uint16, d storedDecoder, is, ii int64, track bool) sliceRange {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	identity := d.shift == 0 && d.mask == 0xffff && is == 1 && ii == 0 && d.signed == isSigned[T]()
	src = src[:len(dst)]
	switch {
	case identity && !track:
		return sliceRange{}
	case identity:
		for _, w := range dst {
			v := int64(w)
			lo, hi = min(lo, v), max(hi, v)
		}
	case !track && !d.signed && d.shift == 0 && is == 1 && d.mask <= 0x7fff:
		addMasked16(asRaw16(dst), src, uint16(d.mask), uint16(ii))
		return sliceRange{}
	case d.signed:
		shift, mask, sign, ext := d.shift, d.mask, d.signBit, d.extender
		for i, w := range src {
			u := (uint32(w) >> shift) & mask
			if u&sign != 0 {
				u |= ext
			}
			v := int64(int32(u))*is + ii
			lo, hi = min(lo, v), max(hi, v)
			dst[i] = T(v)
		}
	default:
		shift, mask := d.shift, d.mask
		for i, w := range src {
			v := int64((uint32(w)>>shift)&mask)*is + ii
			lo, hi = min(lo, v), max(hi, v)
			dst[i] = T(v)
		}
	}
	return sliceRange{lo: float64(lo), hi: float64(hi), ok: true}
}

func asRaw16[T ~int16 | ~uint16](s []T) []uint16 {
	return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// addMasked16 computes dst[i] = (src[i] & mask) + c (mod 2¹⁶), four lanes
// to a 64-bit word where the words are aligned: the lanes' top bits are
// added apart so that no carry crosses into the next lane.
func addMasked16(dst, src []uint16, mask, c uint16) {
	i := 0
	for ; i < len(dst) && uintptr(unsafe.Pointer(&dst[i]))%8 != 0; i++ {
		dst[i] = src[i]&mask + c
	}
	n := (len(dst) - i) / 4
	if n > 0 && uintptr(unsafe.Pointer(&src[i]))%8 == 0 {
		d64 := unsafe.Slice((*uint64)(unsafe.Pointer(&dst[i])), n)
		s64 := unsafe.Slice((*uint64)(unsafe.Pointer(&src[i])), n)
		const lanes = 0x0001000100010001
		const low, top = 0x7fff7fff7fff7fff, 0x8000800080008000
		m, cc := uint64(mask)*lanes, uint64(c)*lanes
		for j, w := range s64 {
			x := w & m
			d64[j] = ((x & low) + (cc & low)) ^ ((x ^ cc) & top)
		}
		i += 4 * n
	}
	for ; i < len(dst); i++ {
		dst[i] = src[i]&mask + c
	}
}

func isSigned[T ~int16 | ~uint16]() bool {
	var z T
	return z-1 < 0
}

// fillInto writes slice sl (a frame, or a tile of a mosaic frame) of the
// decoded samples b into voxels [from, from+n) of d and returns its range.
func fillInto(d viewer.VoxelData, from, n int, b []byte, sl slice, rawMode, integral bool, rows []int64) sliceRange {
	a := affineOf(sl, rawMode, integral)
	switch s := d.Raw().(type) {
	case []uint8:
		return fillRows(s[from:from+n], b, sl, a, rows)
	case []int8:
		return fillRows(s[from:from+n], b, sl, a, rows)
	case []uint16:
		return fillRows(s[from:from+n], b, sl, a, rows)
	case []int16:
		return fillRows(s[from:from+n], b, sl, a, rows)
	case []uint32:
		return fillRows(s[from:from+n], b, sl, a, rows)
	case []int32:
		return fillRows(s[from:from+n], b, sl, a, rows)
	case []float32:
		return fillRows(s[from:from+n], b, sl, a, rows)
	}
	return sliceRange{}
}

func fillRows[T viewer.Number](dst []T, b []byte, sl slice, a affine, buf []int64) sliceRange {
	h := sl.h
	if h.floatBytes > 0 {
		return fillFloats(dst, b, sl)
	}
	d := newStoredDecoder(h)
	rows, cols := h.rows, h.cols
	r0, c0 := 0, 0
	if sl.tile >= 0 {
		rows, cols = mosaicTileSize(h)
		g := mosaicGrid(h)
		r0, c0 = (sl.tile/g)*rows, (sl.tile%g)*cols
	}
	buf = buf[:cols]
	lo, hi := math.Inf(1), math.Inf(-1)
	for r := 0; r < rows; r++ {
		d.row(b, (r0+r)*h.cols+c0, cols, buf)
		out := dst[r*cols : (r+1)*cols]
		if lut := h.lut; lut != nil {
			// The table gives the voxel values (its range is the header's).
			rlo, rhi := int64(math.MaxInt64), int64(math.MinInt64)
			for i, v := range buf {
				y := lut.at(v)
				rlo, rhi = min(rlo, y), max(rhi, y)
				out[i] = T(y)
			}
			lo, hi = math.Min(lo, float64(rlo)), math.Max(hi, float64(rhi))
			continue
		}
		if a.integral {
			rlo, rhi := int64(math.MaxInt64), int64(math.MinInt64)
			for i, v := range buf {
				y := v*a.is + a.ii
				rlo, rhi = min(rlo, y), max(rhi, y)
				out[i] = T(y)
			}
			lo, hi = math.Min(lo, float64(rlo)), math.Max(hi, float64(rhi))
			continue
		}
		for i, v := range buf {
			y := float64(v)*a.slope + a.inter
			lo, hi = math.Min(lo, y), math.Max(hi, y)
			out[i] = T(y)
		}
	}
	if a.integral || !isFloat[T]() {
		return sliceRange{lo: lo, hi: hi, ok: true}
	}
	// The range of what was stored (float32 rounding).
	return sliceRange{lo: float64(float32(lo)), hi: float64(float32(hi)), ok: true}
}

// fillFloats writes Float (4-byte) or Double Float (8-byte) pixel data,
// narrowed to the voxel type (float32: doubles lose what float32 cannot
// hold), and returns the range of the finite values.
func fillFloats[T viewer.Number](dst []T, b []byte, sl slice) sliceRange {
	h := sl.h
	rows, cols := h.rows, h.cols
	size := h.floatBytes
	for r := 0; r < rows; r++ {
		row := b[r*cols*size : (r+1)*cols*size]
		out := dst[r*cols : (r+1)*cols]
		for i := range out {
			var v float64
			if size == 8 {
				v = math.Float64frombits(binary.LittleEndian.Uint64(row[8*i:]))
			} else {
				v = float64(math.Float32frombits(binary.LittleEndian.Uint32(row[4*i:])))
			}
			out[i] = T(v)
		}
	}
	if f, ok := any(dst).([]float32); ok {
		return floatRange(f[:rows*cols])
	}
	return sliceRange{}
}

// floatRange is the range of the finite values (NaN and ±Inf are what a
// parametric map uses for "no value"); none: 0..0.
func floatRange(f []float32) sliceRange {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range f {
		x := float64(v)
		if x < lo {
			lo = x
		}
		if x > hi && !math.IsInf(x, 1) {
			hi = x
		}
	}
	if math.IsInf(lo, -1) {
		lo = -math.MaxFloat32
	}
	if lo > hi {
		lo, hi = 0, 0
	}
	return sliceRange{lo: lo, hi: hi, ok: true}
}

func isFloat[T viewer.Number]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// rescaleRaw turns a raw-mode volume (stored values) into voxels of type
// want, slice by slice with each slice's rescale: in place when want is as
// wide as the stored values, otherwise into a new buffer.
func rescaleRaw(ctx context.Context, d viewer.VoxelData, slices []slice, want viewer.DataType, plane, workers int) (viewer.VoxelData, error) {
	out := d
	if want.Size() != d.Type().Size() {
		var err error
		if out, err = viewer.NewVoxelData(want, d.Len()); err != nil {
			return nil, err
		}
	} else {
		out = relabel(d, want)
	}
	err := parallel(ctx, len(slices), workers, func(k int) {
		sl := slices[k]
		is, ii := int64(sl.slope), int64(sl.intercept)
		rescaleSlice(out, d, k*plane, plane, is, ii)
	}, nil)
	return out, err
}

// rescaleSlice computes out[i] = src[i]·is + ii for voxels [from, from+n);
// out and src may be the same memory under two types of one size.
func rescaleSlice(out, src viewer.VoxelData, from, n int, is, ii int64) {
	switch s := src.Raw().(type) {
	case []uint8:
		rescaleTo(out, s[from:from+n], from, is, ii)
	case []int8:
		rescaleTo(out, s[from:from+n], from, is, ii)
	case []uint16:
		rescaleTo(out, s[from:from+n], from, is, ii)
	case []int16:
		rescaleTo(out, s[from:from+n], from, is, ii)
	case []uint32:
		rescaleTo(out, s[from:from+n], from, is, ii)
	case []int32:
		rescaleTo(out, s[from:from+n], from, is, ii)
	}
}

func rescaleTo[S viewer.Number](out viewer.VoxelData, src []S, from int, is, ii int64) {
	switch o := out.Raw().(type) {
	case []uint8:
		rescaleLoop(o[from:from+len(src)], src, is, ii)
	case []int8:
		rescaleLoop(o[from:from+len(src)], src, is, ii)
	case []uint16:
		rescaleLoop(o[from:from+len(src)], src, is, ii)
	case []int16:
		rescaleLoop(o[from:from+len(src)], src, is, ii)
	case []uint32:
		rescaleLoop(o[from:from+len(src)], src, is, ii)
	case []int32:
		rescaleLoop(o[from:from+len(src)], src, is, ii)
	case []float32:
		rescaleLoop(o[from:from+len(src)], src, is, ii)
	}
}

func rescaleLoop[T, S viewer.Number](dst []T, src []S, is, ii int64) {
	for i, v := range src {
		dst[i] = T(int64(v)*is + ii)
	}
}

// relabel views d's memory as type t of the same size.
func relabel(d viewer.VoxelData, t viewer.DataType) viewer.VoxelData {
	if d.Type() == t {
		return d
	}
	b := sliceBytes(d, 0, d.Len())
	p, n := unsafe.Pointer(unsafe.SliceData(b)), d.Len()
	switch t {
	case viewer.Uint8:
		return viewer.Voxels[uint8](unsafe.Slice((*uint8)(p), n))
	case viewer.Int8:
		return viewer.Voxels[int8](unsafe.Slice((*int8)(p), n))
	case viewer.Uint16:
		return viewer.Voxels[uint16](unsafe.Slice((*uint16)(p), n))
	case viewer.Int16:
		return viewer.Voxels[int16](unsafe.Slice((*int16)(p), n))
	case viewer.Uint32:
		return viewer.Voxels[uint32](unsafe.Slice((*uint32)(p), n))
	case viewer.Int32:
		return viewer.Voxels[int32](unsafe.Slice((*int32)(p), n))
	}
	return viewer.Voxels[float32](unsafe.Slice((*float32)(p), n))
}

// narrow gives d as type want, holding values in [lo, hi]: relabelled
// when both types are of one size and mean the same for every value in
// the range (int16 and uint16 agree on 0..32767), otherwise converted.
func narrow(d viewer.VoxelData, want viewer.DataType, lo, hi float64) viewer.VoxelData {
	if d.Type() == want {
		return d
	}
	if want.Size() == d.Type().Size() && want != viewer.Float32 && d.Type() != viewer.Float32 && lo >= 0 && hi <= float64(int64(1)<<(8*want.Size()-1)-1) {
		return relabel(d, want)
	}
	out, err := viewer.NewVoxelData(want, d.Len())
	if err != nil {
		return d
	}
	convertAll(out, d)
	return out
}

func convertAll(out, src viewer.VoxelData) {
	switch s := src.Raw().(type) {
	case []float32:
		for i, v := range s {
			setAt(out, i, float64(v))
		}
	default:
		rescaleSlice(out, src, 0, src.Len(), 1, 0)
	}
}

func setAt(d viewer.VoxelData, i int, v float64) {
	switch o := d.Raw().(type) {
	case []uint8:
		o[i] = uint8(v)
	case []int8:
		o[i] = int8(v)
	case []uint16:
		o[i] = uint16(v)
	case []int16:
		o[i] = int16(v)
	case []uint32:
		o[i] = uint32(v)
	case []int32:
		o[i] = int32(v)
	case []float32:
		o[i] = float32(v)
	}
}
