package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Head is a network's last layer when it is pointwise and linear: a
// 1×1×1 Conv that maps Channels hidden features to Classes logits,
// logit[k] = Bias[k] + Σc Weight[k·Channels+c]·feature[c].
//
// The segmentation runner splits such a head off (SplitHead) when it has
// more classes than the layer before it has channels: ONNX Runtime then
// returns the hidden features and the runner takes the per-voxel argmax of
// the logits itself without ever storing them, so a tile costs memory for
// C features a voxel instead of K logits (21 instead of 104 for the
// 104-class MeshNet), and a bounded run needs far fewer tiles.
type Head struct {
	Hidden   string // the tensor the head reads: the split model's output
	Channels int
	Classes  int
	Weight   []float32 // Classes × Channels, row-major
	Bias     []float32 // Classes
}

// Logits computes the head's logits for one voxel's features (for tests
// and checks; the runner uses its own blocked loop).
func (h *Head) Logits(feat []float32) []float32 {
	out := make([]float32, h.Classes)
	for k := range out {
		s := h.Bias[k]
		for c, f := range feat {
			s += h.Weight[k*h.Channels+c] * f
		}
		out[k] = s
	}
	return out
}

// SplitHead looks for a pointwise linear head producing the graph output
// named output in the ONNX model data (m is data parsed). It returns nil
// and no model when the graph does not end in one (a Softmax, a Conv with
// a wider kernel, weights that are not initializers, external data); else
// the head and the model's bytes rewritten to end at the head's input.
func SplitHead(data []byte, m *Model, output string) (*Head, []byte) {
	var conv *Node
	convAt := -1
	uses := map[string]int{}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		for _, in := range n.Inputs {
			uses[in]++
		}
		for _, o := range n.Outputs {
			if o == output {
				conv, convAt = n, i
			}
		}
	}
	if conv == nil || conv.Op != "Conv" || conv.Domain != "" || len(conv.Inputs) < 2 || len(conv.Outputs) != 1 || len(m.Outputs) != 1 {
		return nil, nil
	}
	hidden := conv.Inputs[0]
	if uses[hidden] != 1 || uses[output] != 0 {
		return nil, nil
	}
	for _, o := range m.Outputs {
		if o.Name == hidden {
			return nil, nil
		}
	}
	if g := conv.Int["group"]; g > 1 {
		return nil, nil
	}
	if p, ok := conv.Strings["auto_pad"]; ok && p != "NOTSET" && p != "VALID" && p != "" {
		return nil, nil
	}
	for _, a := range []string{"kernel_shape", "strides", "dilations", "pads"} {
		for _, v := range conv.Ints[a] {
			if (a == "pads" && v != 0) || (a != "pads" && v != 1) {
				return nil, nil
			}
		}
	}
	wdims, ok := m.Initializers[conv.Inputs[1]]
	if !ok || len(wdims) < 2 {
		return nil, nil
	}
	for _, d := range wdims[2:] {
		if d != 1 {
			return nil, nil
		}
	}
	k, c := int(wdims[0]), int(wdims[1])
	if k < 1 || c < 1 || k*c > 1<<24 {
		return nil, nil
	}
	biasName := ""
	if len(conv.Inputs) > 2 && conv.Inputs[2] != "" {
		biasName = conv.Inputs[2]
		if d, ok := m.Initializers[biasName]; !ok || len(d) != 1 || int(d[0]) != k {
			return nil, nil
		}
	}
	h := &Head{Hidden: hidden, Channels: c, Classes: k, Bias: make([]float32, k)}
	drop := map[string]bool{conv.Inputs[1]: true}
	if biasName != "" {
		drop[biasName] = true
	}
	// Weights used by another node stay in the graph.
	for n, u := range uses {
		if drop[n] && u > 1 {
			drop[n] = false
		}
	}
	out, ok := rewriteModel(data, func(g []byte) ([]byte, bool) {
		return rewriteGraph(g, convAt, drop, hidden, func(name string, vals []float32) {
			switch name {
			case conv.Inputs[1]:
				if len(vals) == k*c {
					h.Weight = vals
				}
			case biasName:
				if len(vals) == k {
					h.Bias = vals
				}
			}
		}, map[string]bool{conv.Inputs[1]: true, biasName: biasName != ""})
	})
	if !ok || h.Weight == nil || (biasName != "" && len(h.Bias) != k) {
		return nil, nil
	}
	return h, out
}

// rawField is one field record with its encoding.
type rawField struct {
	num protowire.Number
	typ protowire.Type
	raw []byte // tag and value as on the wire
	val []byte // BytesType payload
}

func eachRawField(b []byte, fn func(f rawField) bool) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return false
		}
		f := rawField{num: num, typ: typ, raw: b[:n+m]}
		if typ == protowire.BytesType {
			f.val, _ = protowire.ConsumeBytes(b[n:])
		}
		if !fn(f) {
			return false
		}
		b = b[n+m:]
	}
	return true
}

func rewriteModel(data []byte, graph func([]byte) ([]byte, bool)) ([]byte, bool) {
	out := make([]byte, 0, len(data))
	ok := eachRawField(data, func(f rawField) bool {
		if f.num == modelGraph && f.typ == protowire.BytesType {
			g, ok := graph(f.val)
			if !ok {
				return false
			}
			out = protowire.AppendTag(out, modelGraph, protowire.BytesType)
			out = protowire.AppendBytes(out, g)
			return true
		}
		out = append(out, f.raw...)
		return true
	})
	return out, ok
}

// rewriteGraph copies a GraphProto without node number skip, the
// initializers (and IR-3 style inputs) named in drop, and its outputs,
// and adds hidden as the one output. Initializers named in read are
// decoded and handed to got.
func rewriteGraph(g []byte, skip int, drop map[string]bool, hidden string, got func(string, []float32), read map[string]bool) ([]byte, bool) {
	out := make([]byte, 0, len(g))
	node := 0
	ok := eachRawField(g, func(f rawField) bool {
		switch f.num {
		case graphNode:
			node++
			if node-1 == skip {
				return true
			}
		case graphOutput:
			return true
		case graphInitializer:
			name, vals, ok := floatTensor(f.val, read)
			if !ok {
				return false
			}
			if read[name] {
				got(name, vals)
			}
			if drop[name] {
				return true
			}
		case graphInput:
			if v, err := parseValueInfo(f.val); err == nil && drop[v.Name] {
				return true
			}
		}
		out = append(out, f.raw...)
		return true
	})
	if !ok {
		return nil, false
	}
	// The new output: hidden, float32, shape left to the runtime.
	var tt []byte
	tt = protowire.AppendTag(tt, typeTensorElemType, protowire.VarintType)
	tt = protowire.AppendVarint(tt, typeFloat)
	var ty []byte
	ty = protowire.AppendTag(ty, typeTensorType, protowire.BytesType)
	ty = protowire.AppendBytes(ty, tt)
	var vi []byte
	vi = protowire.AppendTag(vi, valueInfoName, protowire.BytesType)
	vi = protowire.AppendString(vi, hidden)
	vi = protowire.AppendTag(vi, valueInfoType, protowire.BytesType)
	vi = protowire.AppendBytes(vi, ty)
	out = protowire.AppendTag(out, graphOutput, protowire.BytesType)
	out = protowire.AppendBytes(out, vi)
	return out, true
}

// floatTensor reads a TensorProto's name and, when the name is in want
// and the data is float32 stored in the file, its values. ok is false
// only for a malformed message.
func floatTensor(b []byte, want map[string]bool) (name string, vals []float32, ok bool) {
	var raw []byte
	var floats []float32
	dtype := int32(0)
	external := false
	ok = eachRawField(b, func(f rawField) bool {
		switch f.num {
		case tensorName:
			name = string(f.val)
		case tensorDataType:
			v, n := protowire.ConsumeVarint(f.raw[protowire.SizeTag(f.num):])
			if n < 0 {
				return false
			}
			dtype = int32(v)
		case tensorRawData:
			raw = f.val
		case tensorDataLocation:
			v, n := protowire.ConsumeVarint(f.raw[protowire.SizeTag(f.num):])
			if n < 0 {
				return false
			}
			external = v == 1
		case tensorFloatData:
			if f.typ == protowire.BytesType {
				for p := f.val; len(p) >= 4; p = p[4:] {
					floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(p)))
				}
			} else if f.typ == protowire.Fixed32Type {
				v, _ := protowire.ConsumeFixed32(f.raw[protowire.SizeTag(f.num):])
				floats = append(floats, math.Float32frombits(v))
			}
		}
		return true
	})
	if !ok || !want[name] || dtype != typeFloat || external {
		return name, nil, ok
	}
	if raw != nil {
		if len(raw)%4 != 0 {
			return name, nil, true
		}
		vals = make([]float32, len(raw)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return name, vals, true
	}
	return name, floats, true
}
