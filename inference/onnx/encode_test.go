package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// pb builds protobuf messages field by field, for constructing ONNX
// models in tests. Each method returns the extended message.
type pb []byte

func (b pb) varint(num protowire.Number, v int64) pb {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func (b pb) fixed32(num protowire.Number, v float32) pb {
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, math.Float32bits(v))
}

func (b pb) bytes(num protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func (b pb) str(num protowire.Number, s string) pb { return b.bytes(num, []byte(s)) }

func (b pb) msg(num protowire.Number, m pb) pb { return b.bytes(num, m) }

// ints writes a repeated int64 field, packed (proto3 style) or as one
// field per value (proto2 style, what onnx.proto itself declares).
func (b pb) ints(num protowire.Number, vs []int64, packed bool) pb {
	if !packed {
		for _, v := range vs {
			b = b.varint(num, v)
		}
		return b
	}
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, uint64(v))
	}
	return b.bytes(num, p)
}

func (b pb) floats(num protowire.Number, vs []float32, packed bool) pb {
	if !packed {
		for _, v := range vs {
			b = b.fixed32(num, v)
		}
		return b
	}
	var p []byte
	for _, v := range vs {
		p = protowire.AppendFixed32(p, math.Float32bits(v))
	}
	return b.bytes(num, p)
}

// enc chooses the encoding of repeated ints in everything it builds.
type enc struct{ packed bool }

// valueInfo is a tensor ValueInfoProto; each dim is an int (dim_value),
// a string (dim_param) or nil (unknown). No dims at all means a shape of
// rank 0; use valueInfoNoShape for none.
func (e enc) valueInfo(name string, elem int32, dims ...any) pb {
	var shape pb
	for _, d := range dims {
		var dm pb
		switch d := d.(type) {
		case int:
			dm = dm.varint(dimValue, int64(d))
		case string:
			dm = dm.str(dimParam, d)
		case nil:
		default:
			panic(fmt.Sprintf("dim %T", d))
		}
		shape = shape.msg(shapeDim, dm)
	}
	tt := pb{}.varint(typeTensorElemType, int64(elem)).msg(typeTensorShape, shape)
	return pb{}.str(valueInfoName, name).msg(valueInfoType, pb{}.msg(typeTensorType, tt))
}

func (e enc) valueInfoNoShape(name string, elem int32) pb {
	tt := pb{}.varint(typeTensorElemType, int64(elem))
	return pb{}.str(valueInfoName, name).msg(valueInfoType, pb{}.msg(typeTensorType, tt))
}

// tensor is a float TensorProto with dims and a name but no data, which
// is all the parser reads of a weight.
func (e enc) tensor(name string, dims ...int64) pb {
	return pb{}.ints(tensorDims, dims, e.packed).varint(tensorDataType, typeFloat).str(tensorName, name)
}

// floatTensor is a float TensorProto holding vals as raw_data.
func (e enc) floatTensor(name string, dims []int64, vals ...float32) pb {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return pb{}.ints(tensorDims, dims, e.packed).varint(tensorDataType, typeFloat).str(tensorName, name).bytes(tensorRawData, raw)
}

// int64Tensor is an int64 TensorProto holding vals in int64_data.
func (e enc) int64Tensor(name string, dims []int64, vals ...int64) pb {
	return pb{}.ints(tensorDims, dims, e.packed).varint(tensorDataType, typeInt64).str(tensorName, name).ints(tensorInt64Data, vals, e.packed)
}

func (e enc) attrInts(name string, vs ...int64) pb {
	return pb{}.str(attrName, name).ints(attrInts, vs, e.packed).varint(attrType, attrTypeInts)
}

func (e enc) attrInt(name string, v int64) pb {
	return pb{}.str(attrName, name).varint(attrI, v).varint(attrType, attrTypeInt)
}

func (e enc) attrFloat(name string, v float32) pb {
	return pb{}.str(attrName, name).fixed32(attrF, v).varint(attrType, attrTypeFloat)
}

func (e enc) attrFloats(name string, vs ...float32) pb {
	return pb{}.str(attrName, name).floats(attrFloats, vs, e.packed).varint(attrType, attrTypeFloats)
}

func (e enc) attrString(name, v string) pb {
	return pb{}.str(attrName, name).str(attrS, v).varint(attrType, attrTypeString)
}

func (e enc) attrTensor(name string, t pb) pb {
	return pb{}.str(attrName, name).msg(attrT, t).varint(attrType, attrTypeTensor)
}

func (e enc) attrGraph(name string, g pb) pb {
	return pb{}.str(attrName, name).msg(attrG, g).varint(attrType, attrTypeGraph)
}

// node is a NodeProto; ins and outs are comma-free lists of names.
func (e enc) node(op, name string, ins, outs []string, attrs ...pb) pb {
	var n pb
	for _, in := range ins {
		n = n.str(nodeInput, in)
	}
	for _, out := range outs {
		n = n.str(nodeOutput, out)
	}
	n = n.str(nodeName, name).str(nodeOpType, op)
	for _, a := range attrs {
		n = n.msg(nodeAttribute, a)
	}
	return n
}

// model wraps a graph in a ModelProto of the default domain's opset.
func (e enc) model(opset int64, graph pb, extra ...pb) pb {
	m := pb{}.varint(modelIRVersion, 8).str(modelProducerName, "test").str(modelProducerVersion, "1").msg(modelGraph, graph)
	m = m.msg(modelOpsetImport, pb{}.str(opsetDomain, "").varint(opsetVersion, opset))
	for _, x := range extra {
		m = append(m, x...)
	}
	return m
}

func metadata(key, value string) pb {
	return pb{}.msg(modelMetadataProps, pb{}.str(entryKey, key).str(entryValue, value))
}

// net builds a graph of 3D layers on an input "x" [1, C, 'd', 'h', 'w'],
// adding the weights as initializers.
type net struct {
	enc
	g      pb
	n      int
	nsp    int
	output []string
}

func newNet(e enc, channels int) *net {
	return newNetRank(e, channels, 3)
}

func newNetRank(e enc, channels, nsp int) *net {
	dims := []any{1, channels}
	for i := 0; i < nsp; i++ {
		dims = append(dims, fmt.Sprintf("s%d", i))
	}
	nt := &net{enc: e, nsp: nsp}
	nt.g = nt.g.msg(graphInput, e.valueInfo("x", typeFloat, dims...))
	return nt
}

func (nt *net) rep(v int64) []int64 {
	r := make([]int64, nt.nsp)
	for i := range r {
		r[i] = v
	}
	return r
}

func (nt *net) add(op string, ins []string, attrs ...pb) string {
	nt.n++
	out := fmt.Sprintf("%s_%d", op, nt.n)
	nt.g = nt.g.msg(graphNode, nt.node(op, fmt.Sprintf("n%d", nt.n), ins, []string{out}, attrs...))
	return out
}

func (nt *net) init(t pb) { nt.g = nt.g.msg(graphInitializer, t) }

// conv adds a Conv of kernel k, dilation d, stride s and symmetric pads p
// on every axis, cin to cout channels.
func (nt *net) conv(in string, cin, cout, k, d, s, p int64) string {
	w := fmt.Sprintf("w%d", nt.n+1)
	nt.init(nt.tensor(w, append([]int64{cout, cin}, nt.rep(k)...)...))
	return nt.add("Conv", []string{in, w},
		nt.attrInts("kernel_shape", nt.rep(k)...), nt.attrInts("dilations", nt.rep(d)...),
		nt.attrInts("strides", nt.rep(s)...), nt.attrInts("pads", append(nt.rep(p), nt.rep(p)...)...),
		nt.attrInt("group", 1))
}

func (nt *net) out(name string, channels int) {
	dims := []any{1, channels}
	for i := 0; i < nt.nsp; i++ {
		dims = append(dims, fmt.Sprintf("s%d", i))
	}
	nt.g = nt.g.msg(graphOutput, nt.valueInfo(name, typeFloat, dims...))
}

func (nt *net) bytes(opset int64) []byte { return nt.model(opset, nt.g) }
