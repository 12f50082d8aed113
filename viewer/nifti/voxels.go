package nifti

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"delineate/viewer"
)

// nativeOrder is the host's byte order. Voxels are decoded by viewing the
// byte buffer as a typed slice, which is only right when the file's order
// matches; otherwise the buffer is swapped in place first.
var nativeOrder binary.ByteOrder = func() binary.ByteOrder {
	x := uint16(1)
	if *(*byte)(unsafe.Pointer(&x)) == 1 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

// alignedBytes allocates n bytes backed by []uint64, so the buffer can be
// viewed as a slice of any element type up to 8 bytes without misaligned
// access.
func alignedBytes(n int) []byte {
	if n == 0 {
		return nil
	}
	w := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), n)
}

// castSlice views b as a slice of T. b must be aligned for T (alignedBytes
// or a typed slice's memory); trailing bytes that do not fill a T are
// dropped.
func castSlice[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// asBytes views a typed slice as its bytes.
func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}

// swapBytes reverses the byte order of every size-byte element of b.
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		s := castSlice[uint16](b)
		for i, v := range s {
			s[i] = bits.ReverseBytes16(v)
		}
	case 4:
		s := castSlice[uint32](b)
		for i, v := range s {
			s[i] = bits.ReverseBytes32(v)
		}
	case 8:
		s := castSlice[uint64](b)
		for i, v := range s {
			s[i] = bits.ReverseBytes64(v)
		}
	}
}

// srcNumber is every scalar type a NIfTI file can hold.
type srcNumber interface {
	~uint8 | ~int8 | ~uint16 | ~int16 | ~uint32 | ~int32 | ~int64 | ~uint64 | ~float32 | ~float64
}

// scaling is scl_slope/scl_inter as they apply: the standard says a slope
// of 0 means "no scaling", and NaN and infinities can only be mistakes.
type scaling struct {
	slope, inter float64
	on           bool
}

func newScaling(slope, inter float64) scaling {
	if slope == 0 || math.IsNaN(slope) || math.IsInf(slope, 0) {
		return scaling{slope: 1}
	}
	if math.IsNaN(inter) || math.IsInf(inter, 0) {
		inter = 0
	}
	return scaling{slope: slope, inter: inter, on: slope != 1 || inter != 0}
}

func (s scaling) integral() bool {
	return !s.on || (s.slope == math.Trunc(s.slope) && s.inter == math.Trunc(s.inter))
}

// decodeVoxels turns the raw voxel bytes (aligned, in the file's byte
// order) into the volume's voxel array, applying the scaling. The buffer is
// reused when the output type is the file's type.
func decodeVoxels(raw []byte, dt Datatype, order binary.ByteOrder, sc scaling) (viewer.VoxelData, error) {
	if order != nativeOrder {
		swapBytes(raw, dt.Size())
	}
	switch dt {
	case DTUint8:
		return finish(castSlice[uint8](raw), viewer.Uint8, sc), nil
	case DTInt8:
		return finish(castSlice[int8](raw), viewer.Int8, sc), nil
	case DTUint16:
		return finish(castSlice[uint16](raw), viewer.Uint16, sc), nil
	case DTInt16:
		return finish(castSlice[int16](raw), viewer.Int16, sc), nil
	case DTUint32:
		return finish(castSlice[uint32](raw), viewer.Uint32, sc), nil
	case DTInt32:
		return finish(castSlice[int32](raw), viewer.Int32, sc), nil
	case DTFloat32:
		return finish(castSlice[float32](raw), viewer.Float32, sc), nil
	case DTInt64:
		return finish(castSlice[int64](raw), 0, sc), nil
	case DTUint64:
		return finish(castSlice[uint64](raw), 0, sc), nil
	case DTFloat64:
		return finish(castSlice[float64](raw), 0, sc), nil
	}
	return nil, fmt.Errorf("datatype %v is not supported", dt)
}

// finish picks the output type and converts. srcType is the file's type
// when the viewer has it, else 0.
//
// The rule: an integral result goes to the narrowest integer type that
// holds its range (so int32 CT in HU becomes int16, halving memory), except
// that an 8- or 16-bit source, or one as narrow as that choice, keeps its
// own type when the values fit — a uint16 MR stays uint16 and is shared,
// not copied. Anything fractional becomes float32; float32 stays float32.
func finish[S srcNumber](src []S, srcType viewer.DataType, sc scaling) viewer.VoxelData {
	isFloat := isFloatType[S]()
	if !sc.on && srcType != 0 && (srcType.Size() <= 2 || srcType == viewer.Float32) {
		return wrap(src)
	}
	lo, hi, integral := rangeOf(src)
	if sc.on {
		lo, hi = lo*sc.slope+sc.inter, hi*sc.slope+sc.inter
		if lo > hi {
			lo, hi = hi, lo
		}
	}
	integral = integral && sc.integral()
	target := viewer.SmallestTypeFor(lo, hi, integral)
	switch {
	case srcType == viewer.Float32:
		target = viewer.Float32
	case isFloat:
		// float64 with integral values goes to an integer type, the rest
		// to float32; SmallestTypeFor already says which.
	case integral && srcType != 0 && srcType.Holds(lo, hi) && srcType.Size() <= max(target.Size(), 2):
		target = srcType
	}
	if target == srcType && !sc.on {
		return wrap(src)
	}
	inPlace := target == srcType
	switch target {
	case viewer.Uint8:
		return viewer.Voxels[uint8](convert(dst[uint8](src, inPlace), src, sc))
	case viewer.Int8:
		return viewer.Voxels[int8](convert(dst[int8](src, inPlace), src, sc))
	case viewer.Uint16:
		return viewer.Voxels[uint16](convert(dst[uint16](src, inPlace), src, sc))
	case viewer.Int16:
		return viewer.Voxels[int16](convert(dst[int16](src, inPlace), src, sc))
	case viewer.Uint32:
		return viewer.Voxels[uint32](convert(dst[uint32](src, inPlace), src, sc))
	case viewer.Int32:
		return viewer.Voxels[int32](convert(dst[int32](src, inPlace), src, sc))
	}
	return viewer.Voxels[float32](convert(dst[float32](src, inPlace), src, sc))
}

func isFloatType[S srcNumber]() bool {
	var z S
	switch any(z).(type) {
	case float32, float64:
		return true
	}
	return false
}

// wrap returns src as VoxelData; only called for the viewer's own types.
func wrap[S srcNumber](src []S) viewer.VoxelData {
	d, err := viewer.WrapVoxels(any(src))
	if err != nil {
		panic(err) // a bug: callers only pass viewer types
	}
	return d
}

// dst is the output slice: src itself when the types match (conversion
// reads each element before writing it), else a new one.
func dst[D viewer.Number, S srcNumber](src []S, inPlace bool) []D {
	if inPlace {
		if d, ok := any(src).([]D); ok {
			return d
		}
	}
	return make([]D, len(src))
}

// convert writes the scaled src into d. Callers have checked the range, so
// the float→integer conversions are exact and in range.
func convert[D viewer.Number, S srcNumber](d []D, src []S, sc scaling) []D {
	d = d[:len(src)]
	if !sc.on {
		for i, v := range src {
			d[i] = D(v)
		}
		return d
	}
	m, c := sc.slope, sc.inter
	for i, v := range src {
		d[i] = D(float64(v)*m + c)
	}
	return d
}

// rangeOf returns the extremes of src and whether every value is a finite
// integer; NaNs are skipped for the range.
func rangeOf[S srcNumber](src []S) (lo, hi float64, integral bool) {
	if isFloatType[S]() {
		lo, hi = math.Inf(1), math.Inf(-1)
		integral = true
		for _, v := range src {
			f := float64(v)
			if f != f {
				integral = false
				continue
			}
			if f < lo {
				lo = f
			}
			if f > hi {
				hi = f
			}
			if integral && f != math.Trunc(f) {
				integral = false
			}
		}
		if lo > hi { // all NaN
			return math.NaN(), math.NaN(), false
		}
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			integral = false
		}
		return lo, hi, integral
	}
	if len(src) == 0 {
		return 0, 0, true
	}
	l, h := src[0], src[0]
	for _, v := range src {
		if v < l {
			l = v
		}
		if v > h {
			h = v
		}
	}
	return float64(l), float64(h), true
}
