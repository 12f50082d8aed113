package onnx

import (
	"encoding/binary"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one field record of a message, as found on the wire. For
// BytesType, b aliases the input: it must be copied (string(b)) before
// being kept, so that a parsed Model never pins the file's bytes (and
// with them every weight) in memory.
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64 // VarintType, Fixed32Type and Fixed64Type values
	b   []byte // BytesType value
}

// eachField calls fn for every field of the message encoded in b, in wire
// order. protowire checks every declared length against the bytes that
// remain, so a corrupt length fails here instead of causing a large
// allocation. Groups (a deprecated wire type ONNX never uses) are skipped
// whole: protowire bounds their nesting.
func eachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return wireError(n)
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.u = uint64(v)
		case protowire.Fixed64Type:
			f.u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return within(wireError(n), "field %d", num)
		}
		b = b[n:]
		if typ == protowire.StartGroupType {
			continue
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func wireError(n int) error {
	err := protowire.ParseError(n)
	if err == nil {
		return nil
	}
	if err == io.ErrUnexpectedEOF {
		return errorf("truncated")
	}
	return errorf("%v", err)
}

var typeNames = map[protowire.Type]string{
	protowire.VarintType:  "varint",
	protowire.Fixed32Type: "fixed32",
	protowire.Fixed64Type: "fixed64",
	protowire.BytesType:   "length-delimited",
}

func (f field) wrongType(want protowire.Type) error {
	got, ok := typeNames[f.typ]
	if !ok {
		got = "group"
	}
	return errorf("field %d has wire type %s, want %s", f.num, got, typeNames[want])
}

// int64 reads an int64 or int32 field (ONNX has no sint fields, so no
// zig-zag: negative values are ten-byte two's-complement varints).
func (f field) int64() (int64, error) {
	if f.typ != protowire.VarintType {
		return 0, f.wrongType(protowire.VarintType)
	}
	return int64(f.u), nil
}

func (f field) int32() (int32, error) {
	v, err := f.int64()
	return int32(v), err
}

func (f field) bytes() ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, f.wrongType(protowire.BytesType)
	}
	return f.b, nil
}

// str copies a string field. ONNX's own schema is proto2, where strings
// are not checked for UTF-8, so neither are they here: a name is whatever
// bytes the exporter wrote.
func (f field) str() (string, error) {
	b, err := f.bytes()
	return string(b), err
}

func (f field) float32() (float32, error) {
	if f.typ != protowire.Fixed32Type {
		return 0, f.wrongType(protowire.Fixed32Type)
	}
	return math.Float32frombits(uint32(f.u)), nil
}

// appendInts appends a repeated int64/int32 field: one value if unpacked
// (proto2's default, which onnx.proto uses), all of them if packed
// (proto3's default, used by the onnx.proto3 variant and by some writers).
// Either may occur, even mixed within one message.
func (f field) appendInts(dst []int64) ([]int64, error) {
	switch f.typ {
	case protowire.VarintType:
		return append(dst, int64(f.u)), nil
	case protowire.BytesType:
		// Each packed varint takes at least one byte, so len(f.b) bounds
		// the count; count exactly first to allocate once.
		n := 0
		for b := f.b; len(b) > 0; n++ {
			_, k := protowire.ConsumeVarint(b)
			if k < 0 {
				return dst, within(wireError(k), "field %d (packed)", f.num)
			}
			b = b[k:]
		}
		dst = growInts(dst, n)
		for b := f.b; len(b) > 0; {
			v, k := protowire.ConsumeVarint(b)
			dst = append(dst, int64(v))
			b = b[k:]
		}
		return dst, nil
	}
	return dst, f.wrongType(protowire.VarintType)
}

func growInts(s []int64, n int) []int64 {
	if cap(s)-len(s) < n {
		t := make([]int64, len(s), len(s)+n)
		copy(t, s)
		s = t
	}
	return s
}

// appendFloats appends a repeated float field, packed or not.
func (f field) appendFloats(dst []float32) ([]float32, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(f.u))), nil
	case protowire.BytesType:
		if len(f.b)%4 != 0 {
			return dst, errorf("field %d (packed floats) has %d bytes, not a multiple of 4", f.num, len(f.b))
		}
		if cap(dst)-len(dst) < len(f.b)/4 {
			t := make([]float32, len(dst), len(dst)+len(f.b)/4)
			copy(t, dst)
			dst = t
		}
		for b := f.b; len(b) > 0; b = b[4:] {
			dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b)))
		}
		return dst, nil
	}
	return dst, f.wrongType(protowire.Fixed32Type)
}
