package onnx

// Node is one operator of the graph. Inputs keeps the empty names ONNX uses
// for omitted optional inputs, since inputs are positional. Attributes are
// sorted by kind into the maps, each nil when the node has none of that
// kind: INT into Int, INTS into Ints, FLOAT into Float, FLOATS into Floats,
// STRING into Strings. Tensor attributes (a Constant's value) are kept only
// as far as the receptive-field analysis needs; graph attributes (the
// bodies of If, Loop and Scan) and lists of strings, tensors or graphs are
// not kept.
type Node struct {
	Op, Domain, Name string // Domain "" is ai.onnx
	Inputs, Outputs  []string
	Ints             map[string][]int64
	Int              map[string]int64
	Float            map[string]float32
	Floats           map[string][]float32
	Strings          map[string]string

	tensors  map[string]tensorInfo // TENSOR attributes: dimensions, values if small
	subgraph bool                  // has a GRAPH or GRAPHS attribute
}

// NodeProto and AttributeProto field numbers and AttributeType values
// (onnx.proto).
const (
	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName    = 1
	attrF       = 2
	attrI       = 3
	attrS       = 4
	attrT       = 5
	attrG       = 6
	attrFloats  = 7
	attrInts    = 8
	attrStrings = 9
	attrTensors = 10
	attrGraphs  = 11
	attrType    = 20

	attrTypeFloat   = 1
	attrTypeInt     = 2
	attrTypeString  = 3
	attrTypeTensor  = 4
	attrTypeGraph   = 5
	attrTypeFloats  = 6
	attrTypeInts    = 7
	attrTypeStrings = 8
	attrTypeTensors = 9
	attrTypeGraphs  = 10
)

func parseNode(b []byte) (Node, error) {
	var n Node
	nAttr := 0
	err := eachField(b, func(f field) error {
		var err error
		switch f.num {
		case nodeInput, nodeOutput:
			var s string
			if s, err = f.str(); err == nil {
				if f.num == nodeInput {
					n.Inputs = append(n.Inputs, s)
				} else {
					n.Outputs = append(n.Outputs, s)
				}
			}
		case nodeName:
			n.Name, err = f.str()
		case nodeOpType:
			n.Op, err = f.str()
		case nodeDomain:
			n.Domain, err = f.str()
			n.Domain = canonicalDomain(n.Domain)
		case nodeAttribute:
			var ab []byte
			if ab, err = f.bytes(); err == nil {
				err = n.parseAttribute(ab)
			}
			err = withinAt(err, "attribute", nAttr)
			nAttr++
		}
		return err
	})
	if err != nil && n.Name != "" {
		err = within(err, "%q", n.Name)
	}
	return n, err
}

// attribute collects an AttributeProto's fields before it is filed by
// type, since type (field 20) usually comes last on the wire.
type attribute struct {
	name                   string
	typ                    int64
	f                      float32
	i                      int64
	s                      string
	t                      tensorInfo
	floats                 []float32
	ints                   []int64
	hasF, hasI, hasS, hasT bool
	hasFloats, hasInts     bool
	hasG, hasOther         bool
}

func (n *Node) parseAttribute(b []byte) error {
	var a attribute
	err := eachField(b, func(f field) error {
		var err error
		switch f.num {
		case attrName:
			a.name, err = f.str()
		case attrType:
			a.typ, err = f.int64()
		case attrF:
			a.f, err = f.float32()
			a.hasF = true
		case attrI:
			a.i, err = f.int64()
			a.hasI = true
		case attrS:
			a.s, err = f.str()
			a.hasS = true
		case attrT:
			var tb []byte
			if tb, err = f.bytes(); err == nil {
				a.t, err = parseTensor(tb)
				err = within(err, "t")
			}
			a.hasT = true
		case attrFloats:
			a.floats, err = f.appendFloats(a.floats)
			a.hasFloats = true
		case attrInts:
			a.ints, err = f.appendInts(a.ints)
			a.hasInts = true
		case attrG, attrGraphs:
			// Sub-graphs are skipped unread: the analyses here treat
			// their nodes as unknown, and not descending keeps parsing
			// free of recursion.
			_, err = f.bytes()
			a.hasG = true
		case attrStrings, attrTensors:
			_, err = f.bytes()
			a.hasOther = true
		}
		return err
	})
	if err != nil {
		if a.name != "" {
			err = within(err, "%q", a.name)
		}
		return err
	}
	typ := a.typ
	if typ == 0 {
		// IR version 1 attributes have no type: it is whichever value
		// field is present.
		switch {
		case a.hasF:
			typ = attrTypeFloat
		case a.hasI:
			typ = attrTypeInt
		case a.hasS:
			typ = attrTypeString
		case a.hasT:
			typ = attrTypeTensor
		case a.hasG:
			typ = attrTypeGraph
		case a.hasFloats:
			typ = attrTypeFloats
		case a.hasInts:
			typ = attrTypeInts
		}
	}
	// A field absent on the wire is its zero value (an INT attribute of 0
	// may be written as just its name and type).
	switch typ {
	case attrTypeFloat:
		n.Float = setAttr(n.Float, a.name, a.f)
	case attrTypeInt:
		n.Int = setAttr(n.Int, a.name, a.i)
	case attrTypeString:
		n.Strings = setAttr(n.Strings, a.name, a.s)
	case attrTypeTensor:
		n.tensors = setAttr(n.tensors, a.name, a.t)
	case attrTypeFloats:
		if a.floats == nil {
			a.floats = []float32{}
		}
		n.Floats = setAttr(n.Floats, a.name, a.floats)
	case attrTypeInts:
		if a.ints == nil {
			a.ints = []int64{}
		}
		n.Ints = setAttr(n.Ints, a.name, a.ints)
	case attrTypeGraph, attrTypeGraphs:
		n.subgraph = true
	}
	if a.hasG {
		n.subgraph = true
	}
	return nil
}

func setAttr[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}
