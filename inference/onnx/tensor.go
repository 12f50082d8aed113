package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// maxValues is the most elements whose values a tensor keeps after
// parsing: enough for the scales of a Resize, the axes of a Reduce, the
// target shape of a Reshape or the pads of a Pad, which the receptive-field
// analysis needs; never a weight.
const maxValues = 64

// tensorInfo is what is kept of a TensorProto: its name and dimensions,
// and its values only when it is small.
type tensorInfo struct {
	name  string
	dims  []int64
	dtype int32
	vals  []float64 // nil unless at most maxValues elements stored in the file itself
}

// TensorProto field numbers (onnx.proto).
const (
	tensorDims         = 1
	tensorDataType     = 2
	tensorFloatData    = 4
	tensorInt32Data    = 5
	tensorInt64Data    = 7
	tensorName         = 8
	tensorRawData      = 9
	tensorDoubleData   = 10
	tensorUint64Data   = 11
	tensorDataLocation = 14
)

// parseTensor reads a TensorProto. Large payloads (raw_data, the typed
// *_data arrays) are checked for well-formedness but not decoded: only the
// first maxValues+1 elements are looked at, so a weight costs no memory.
func parseTensor(b []byte) (tensorInfo, error) {
	var t tensorInfo
	var (
		raw      []byte
		hasRaw   bool
		external bool
		ints     []int64   // int32_data, int64_data, uint64_data (first few)
		floats   []float64 // float_data, double_data (first few)
		nTyped   int       // elements in the typed arrays, all of them
	)
	keepInt := func(v int64) {
		nTyped++
		if len(ints) <= maxValues {
			ints = append(ints, v)
		}
	}
	keepFloat := func(v float64) {
		nTyped++
		if len(floats) <= maxValues {
			floats = append(floats, v)
		}
	}
	err := eachField(b, func(f field) error {
		var err error
		switch f.num {
		case tensorDims:
			t.dims, err = f.appendInts(t.dims)
		case tensorDataType:
			t.dtype, err = f.int32()
		case tensorName:
			t.name, err = f.str()
		case tensorRawData:
			raw, err = f.bytes()
			hasRaw = true
		case tensorDataLocation:
			var loc int64
			loc, err = f.int64()
			external = loc == 1 // EXTERNAL: the values are in another file
		case tensorFloatData:
			err = eachFixed32(f, func(u uint32) { keepFloat(float64(math.Float32frombits(u))) })
		case tensorDoubleData:
			err = eachFixed64(f, func(u uint64) { keepFloat(math.Float64frombits(u)) })
		case tensorInt32Data, tensorInt64Data:
			err = eachVarint(f, func(u uint64) { keepInt(int64(u)) })
		case tensorUint64Data:
			err = eachVarint(f, func(u uint64) { keepInt(int64(min(u, math.MaxInt64))) })
		}
		return err
	})
	if err != nil {
		return t, err
	}
	for _, d := range t.dims {
		if d < 0 {
			return t, errorf("tensor %q has a negative dimension %d", t.name, d)
		}
	}
	n, ok := elementCount(t.dims)
	if !ok || n > maxValues || external {
		return t, nil
	}
	if hasRaw {
		t.vals = decodeRaw(raw, t.dtype, n)
		return t, nil
	}
	if nTyped != n {
		return t, nil
	}
	switch t.dtype {
	case typeFloat, typeDouble:
		t.vals = floats
	case typeFloat16, typeBFloat16:
		t.vals = make([]float64, n)
		for i, v := range ints {
			t.vals[i] = halfBits(uint16(v), t.dtype)
		}
	case typeInt8, typeInt16, typeInt32, typeInt64, typeUint8, typeUint16, typeUint32, typeUint64, typeBool:
		t.vals = make([]float64, n)
		for i, v := range ints {
			t.vals[i] = float64(v)
		}
	}
	return t, nil
}

// elementCount is the product of dims, ok false if it overflows.
func elementCount(dims []int64) (int, bool) {
	n := int64(1)
	for _, d := range dims {
		if d != 0 && n > math.MaxInt32/d {
			return 0, false
		}
		n *= d
	}
	return int(n), true
}

// decodeRaw decodes n little-endian elements of raw_data, or returns nil
// for a type not read here or a length that does not match.
func decodeRaw(raw []byte, dtype int32, n int) []float64 {
	size := 0
	if dtype >= 0 && int(dtype) < len(rawSizes) {
		size = rawSizes[dtype]
	}
	if size == 0 || len(raw) != n*size {
		return nil
	}
	vals := make([]float64, n)
	for i := range vals {
		e := raw[i*size : (i+1)*size]
		switch dtype {
		case typeFloat:
			vals[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(e)))
		case typeDouble:
			vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(e))
		case typeUint8, typeBool:
			vals[i] = float64(e[0])
		case typeInt8:
			vals[i] = float64(int8(e[0]))
		case typeUint16:
			vals[i] = float64(binary.LittleEndian.Uint16(e))
		case typeInt16:
			vals[i] = float64(int16(binary.LittleEndian.Uint16(e)))
		case typeInt32:
			vals[i] = float64(int32(binary.LittleEndian.Uint32(e)))
		case typeUint32:
			vals[i] = float64(binary.LittleEndian.Uint32(e))
		case typeInt64:
			vals[i] = float64(int64(binary.LittleEndian.Uint64(e)))
		case typeUint64:
			vals[i] = float64(binary.LittleEndian.Uint64(e))
		case typeFloat16, typeBFloat16:
			vals[i] = halfBits(binary.LittleEndian.Uint16(e), dtype)
		}
	}
	return vals
}

// rawSizes is the element size in raw_data of the types decodeRaw reads.
var rawSizes = [...]int{
	typeFloat: 4, typeUint8: 1, typeInt8: 1, typeUint16: 2, typeInt16: 2, typeInt32: 4,
	typeInt64: 8, typeBool: 1, typeFloat16: 2, typeDouble: 8, typeUint32: 4, typeUint64: 8,
	typeBFloat16: 2,
}

// halfBits converts IEEE half or bfloat16 bits to a float64.
func halfBits(h uint16, dtype int32) float64 {
	if dtype == typeBFloat16 {
		return float64(math.Float32frombits(uint32(h) << 16))
	}
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}

// eachVarint, eachFixed32 and eachFixed64 visit the elements of a
// repeated scalar field, packed or not, without allocating.
func eachVarint(f field, fn func(uint64)) error {
	switch f.typ {
	case protowire.VarintType:
		fn(f.u)
		return nil
	case protowire.BytesType:
		for b := f.b; len(b) > 0; {
			v, k := protowire.ConsumeVarint(b)
			if k < 0 {
				return within(wireError(k), "field %d (packed)", f.num)
			}
			fn(v)
			b = b[k:]
		}
		return nil
	}
	return f.wrongType(protowire.VarintType)
}

func eachFixed32(f field, fn func(uint32)) error {
	switch f.typ {
	case protowire.Fixed32Type:
		fn(uint32(f.u))
		return nil
	case protowire.BytesType:
		if len(f.b)%4 != 0 {
			return errorf("field %d (packed fixed32) has %d bytes, not a multiple of 4", f.num, len(f.b))
		}
		for b := f.b; len(b) > 0; b = b[4:] {
			fn(binary.LittleEndian.Uint32(b))
		}
		return nil
	}
	return f.wrongType(protowire.Fixed32Type)
}

func eachFixed64(f field, fn func(uint64)) error {
	switch f.typ {
	case protowire.Fixed64Type:
		fn(f.u)
		return nil
	case protowire.BytesType:
		if len(f.b)%8 != 0 {
			return errorf("field %d (packed fixed64) has %d bytes, not a multiple of 8", f.num, len(f.b))
		}
		for b := f.b; len(b) > 0; b = b[8:] {
			fn(binary.LittleEndian.Uint64(b))
		}
		return nil
	}
	return f.wrongType(protowire.Fixed64Type)
}
