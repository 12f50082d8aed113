package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// sampleModel is a small model exercising most of what the parser reads:
// symbolic, fixed and unknown dims, an input with no shape, a weight listed
// as a graph input (as exporters before IR version 4 did), attributes of
// every kept kind, an omitted optional input, a second opset domain
// spelled "ai.onnx" and metadata.
func sampleModel(e enc) []byte {
	var g pb
	g = g.str(2, "sample") // GraphProto.name, ignored
	g = g.msg(graphInput, e.valueInfo("x", typeFloat, "batch", 1, "depth", nil, 32))
	g = g.msg(graphInput, e.valueInfo("w", typeFloat, 4, 1, 3, 3, 3)) // an initializer
	g = g.msg(graphInput, e.valueInfoNoShape("t", typeInt64))
	g = g.msg(graphInitializer, e.tensor("w", 4, 1, 3, 3, 3))
	g = g.msg(graphNode, e.node("Conv", "conv", []string{"x", "w", ""}, []string{"y"},
		e.attrInts("kernel_shape", 3, 3, 3), e.attrInts("pads", 1, 1, 1, 1, 1, 1), e.attrInt("group", 1),
		e.attrString("auto_pad", "NOTSET")))
	g = g.msg(graphNode, e.node("LeakyRelu", "", []string{"y"}, []string{"z"}, e.attrFloat("alpha", 0.01)))
	g = g.msg(graphNode, e.node("Custom", "custom", []string{"z", "t"}, []string{"out"},
		e.attrFloats("weights", 0.5, -2)).str(nodeDomain, "ai.onnx"))
	g = g.msg(graphOutput, e.valueInfo("out", typeUint8, "batch", 4, "depth", nil, 32))
	m := e.model(13, g, metadata("labels", `["a","b"]`), metadata("source", "test"))
	return append(m, pb{}.msg(modelOpsetImport, pb{}.str(opsetDomain, "com.example").varint(opsetVersion, 2))...)
}

func TestParseConstructed(t *testing.T) {
	m, err := Parse(sampleModel(enc{packed: true}))
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 8 || m.ProducerName != "test" || m.ProducerVersion != "1" {
		t.Errorf("header %d %q %q", m.IRVersion, m.ProducerName, m.ProducerVersion)
	}
	if want := map[string]int64{"": 13, "com.example": 2}; !reflect.DeepEqual(m.Opsets, want) {
		t.Errorf("opsets %v, want %v", m.Opsets, want)
	}
	wantIn := []ValueInfo{
		{Name: "x", ElemType: typeFloat, HasShape: true, Shape: []Dim{{Param: "batch"}, {Value: 1}, {Param: "depth"}, {}, {Value: 32}}},
		{Name: "t", ElemType: typeInt64},
	}
	if !reflect.DeepEqual(m.Inputs, wantIn) {
		t.Errorf("inputs\n%+v, want\n%+v", m.Inputs, wantIn)
	}
	if len(m.Outputs) != 1 || m.Outputs[0].ElemTypeName() != "uint8" || m.Outputs[0].Shape[1].Value != 4 {
		t.Errorf("outputs %+v", m.Outputs)
	}
	if want := map[string][]int64{"w": {4, 1, 3, 3, 3}}; !reflect.DeepEqual(m.Initializers, want) {
		t.Errorf("initializers %v", m.Initializers)
	}
	if want := map[string]string{"labels": `["a","b"]`, "source": "test"}; !reflect.DeepEqual(m.Metadata, want) {
		t.Errorf("metadata %v", m.Metadata)
	}
	if len(m.Nodes) != 3 {
		t.Fatalf("%d nodes", len(m.Nodes))
	}
	c := m.Nodes[0]
	if c.Op != "Conv" || c.Name != "conv" || c.Domain != "" || !reflect.DeepEqual(c.Inputs, []string{"x", "w", ""}) ||
		!reflect.DeepEqual(c.Outputs, []string{"y"}) {
		t.Errorf("conv node %+v", c)
	}
	if !reflect.DeepEqual(c.Ints["pads"], []int64{1, 1, 1, 1, 1, 1}) || c.Int["group"] != 1 || c.Strings["auto_pad"] != "NOTSET" {
		t.Errorf("conv attributes %v %v %v", c.Ints, c.Int, c.Strings)
	}
	if c.Float != nil || c.Floats != nil {
		t.Errorf("conv has float attributes %v %v", c.Float, c.Floats)
	}
	if m.Nodes[1].Float["alpha"] != 0.01 {
		t.Errorf("alpha %v", m.Nodes[1].Float)
	}
	if cu := m.Nodes[2]; cu.Domain != "" || !reflect.DeepEqual(cu.Floats["weights"], []float32{0.5, -2}) {
		t.Errorf("custom node %+v", cu)
	}
}

// Proto2 writers (onnx.proto as declared) put each element of a repeated
// int in its own field; proto3 writers pack them. Both must read alike.
func TestPackedAndUnpackedAgree(t *testing.T) {
	packed, unpacked := sampleModel(enc{packed: true}), sampleModel(enc{packed: false})
	if string(packed) == string(unpacked) {
		t.Fatal("the two encodings are the same bytes")
	}
	a, err := Parse(packed)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(unpacked)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("packed and unpacked differ:\n%+v\n%+v", a, b)
	}
	// And mixed: one attribute with a packed run followed by single values.
	mixed := pb{}.str(attrName, "pads").ints(attrInts, []int64{1, 2}, true).varint(attrInts, 3).ints(attrInts, []int64{4}, true).varint(attrType, attrTypeInts)
	var n Node
	if err := n.parseAttribute(mixed); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(n.Ints["pads"], []int64{1, 2, 3, 4}) {
		t.Errorf("mixed encoding read as %v", n.Ints["pads"])
	}
}

func TestInitializersListedAsInputs(t *testing.T) {
	e := enc{}
	var g pb
	// IR version 3 style: every weight is also a graph input, and here the
	// initializers come after the inputs and one sparse one at the end.
	g = g.msg(graphInput, e.valueInfo("x", typeFloat, 1, 1, 8, 8, 8))
	g = g.msg(graphInput, e.valueInfo("w", typeFloat, 2, 1, 3, 3, 3))
	g = g.msg(graphInput, e.valueInfo("b", typeFloat, 2))
	g = g.msg(graphInput, e.valueInfo("s", typeFloat, 2, 2))
	g = g.msg(graphNode, e.node("Conv", "c", []string{"x", "w", "b"}, []string{"y"}))
	g = g.msg(graphOutput, e.valueInfo("y", typeFloat, 1, 2, 8, 8, 8))
	g = g.msg(graphInitializer, e.tensor("w", 2, 1, 3, 3, 3))
	g = g.msg(graphInitializer, e.tensor("b", 2))
	g = g.msg(graphSparseInitializer, pb{}.msg(sparseTensorValues, e.tensor("s", 1)).ints(sparseTensorDims, []int64{2, 2}, false))
	m, err := Parse(e.model(7, g))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs) != 1 || m.Inputs[0].Name != "x" {
		t.Errorf("inputs %+v, want only x", m.Inputs)
	}
	if want := map[string][]int64{"w": {2, 1, 3, 3, 3}, "b": {2}, "s": {2, 2}}; !reflect.DeepEqual(m.Initializers, want) {
		t.Errorf("initializers %v, want %v", m.Initializers, want)
	}
	// The Conv has no pads, so output voxel j reads inputs j..j+2: its
	// centre is shifted by one and the farthest input is two away.
	if rf := m.ReceptiveField(); !rf.Local || !reflect.DeepEqual(rf.Radius, []int{2, 2, 2}) {
		t.Errorf("rf %+v", rf)
	}
}

// IR version 1 attributes carry no type; an INT attribute of 0 may be
// written with its type but no value.
func TestAttributeTypes(t *testing.T) {
	var n Node
	for _, a := range []pb{
		pb{}.str(attrName, "f").fixed32(attrF, 1.5),
		pb{}.str(attrName, "i").varint(attrI, -3),
		pb{}.str(attrName, "s").str(attrS, "x"),
		pb{}.str(attrName, "is").ints(attrInts, []int64{1, 2}, false),
		pb{}.str(attrName, "zero").varint(attrType, attrTypeInt),
		pb{}.str(attrName, "empty").varint(attrType, attrTypeInts),
		pb{}.str(attrName, "g").msg(attrG, pb{}.str(2, "body")),
		pb{}.str(attrName, "ss").str(attrStrings, "a").str(attrStrings, "b").varint(attrType, attrTypeStrings),
	} {
		if err := n.parseAttribute(a); err != nil {
			t.Fatal(err)
		}
	}
	if n.Float["f"] != 1.5 || n.Int["i"] != -3 || n.Strings["s"] != "x" || !reflect.DeepEqual(n.Ints["is"], []int64{1, 2}) {
		t.Errorf("untyped attributes: %+v", n)
	}
	if v, ok := n.Int["zero"]; !ok || v != 0 {
		t.Errorf("zero INT attribute: %v %v", v, ok)
	}
	if v, ok := n.Ints["empty"]; !ok || len(v) != 0 {
		t.Errorf("empty INTS attribute: %v %v", v, ok)
	}
	if !n.subgraph {
		t.Error("graph attribute not noted")
	}
	if _, ok := n.Strings["ss"]; ok {
		t.Error("STRINGS attribute kept as a STRING")
	}
}

func TestSmallTensorValues(t *testing.T) {
	e := enc{packed: true}
	for _, tc := range []struct {
		name string
		t    pb
		want []float64
	}{
		{"raw float", e.floatTensor("a", []int64{4}, 1, 1, 2, 2), []float64{1, 1, 2, 2}},
		{"int64_data", e.int64Tensor("a", []int64{3}, 0, -1, 7), []float64{0, -1, 7}},
		{"unpacked int64_data", enc{}.int64Tensor("a", []int64{2}, 5, 6), []float64{5, 6}},
		{"float_data", pb{}.ints(tensorDims, []int64{2}, true).varint(tensorDataType, typeFloat).floats(tensorFloatData, []float32{0.5, 3}, true), []float64{0.5, 3}},
		{"scalar", e.floatTensor("a", nil, 2.5), []float64{2.5}},
		{"float16 raw", pb{}.varint(tensorDataType, typeFloat16).bytes(tensorRawData, []byte{0x00, 0x40, 0x00, 0xb8}).ints(tensorDims, []int64{2}, true), []float64{2, -0.5}},
		{"too many", e.floatTensor("a", []int64{maxValues + 1}, make([]float32, maxValues+1)...), nil},
		{"count mismatch", e.floatTensor("a", []int64{3}, 1, 2), nil},
		{"external", e.floatTensor("a", []int64{1}, 1).varint(tensorDataLocation, 1), nil},
		{"weight without data", e.tensor("a", 2, 2), nil},
	} {
		ti, err := parseTensor(tc.t)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(ti.vals, tc.want) {
			t.Errorf("%s: values %v, want %v", tc.name, ti.vals, tc.want)
		}
	}
}

// The Model must not alias the input: callers drop the file's bytes (and
// the weights in them) once parsed.
func TestNoAliasing(t *testing.T) {
	data := sampleModel(enc{packed: true})
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	before := *m
	before.Inputs = append([]ValueInfo(nil), m.Inputs...)
	names := []string{m.Inputs[0].Name, m.Nodes[0].Name, m.Metadata["labels"], m.Nodes[0].Strings["auto_pad"]}
	for i := range data {
		data[i] = 'Z'
	}
	if got := []string{m.Inputs[0].Name, m.Nodes[0].Name, m.Metadata["labels"], m.Nodes[0].Strings["auto_pad"]}; !reflect.DeepEqual(got, []string{"x", "conv", `["a","b"]`, "NOTSET"}) || !reflect.DeepEqual(got, names) {
		t.Errorf("strings changed with the input: %q", got)
	}
}

func TestElemTypeName(t *testing.T) {
	for typ, want := range map[int32]string{
		0: "undefined", 1: "float32", 2: "uint8", 3: "int8", 6: "int32", 7: "int64", 9: "bool",
		10: "float16", 11: "float64", 16: "bfloat16", 17: "float8e4m3fn", 26: "int2", 99: "elem_type(99)", -1: "elem_type(-1)",
	} {
		if got := (ValueInfo{ElemType: typ}).ElemTypeName(); got != want {
			t.Errorf("%d: %q, want %q", typ, got, want)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(good, sampleModel(enc{}), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadFile(good); err != nil || len(m.Nodes) != 3 {
		t.Fatalf("ReadFile: %v", err)
	}
	bad := filepath.Join(dir, "bad.onnx")
	if err := os.WriteFile(bad, []byte("not a model at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(bad)
	var fe FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("ReadFile of text: %v, want a FormatError", err)
	}
	if want := bad + ": onnx: invalid format: "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.onnx")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
