package onnx

import (
	"fmt"
	"os"
)

// Dim is one dimension of a tensor's shape. Value > 0 is a fixed size;
// a non-empty Param is a symbolic (dynamic) size such as "batch"; both zero
// means the file says nothing about it. A negative dim_value, which some old
// exporters wrote for "unknown", also reads as unknown.
type Dim struct {
	Value int64
	Param string
}

// ValueInfo is a graph input or output. HasShape is false when the file
// gives no shape at all (rank unknown), as opposed to a shape whose
// dimensions are unknown or symbolic. Inputs and outputs that are not
// tensors (sequences, maps, optionals) have ElemType 0 and no shape.
type ValueInfo struct {
	Name     string
	ElemType int32 // TensorProto.DataType: 1 float32, 7 int64, ...; see ElemTypeName
	Shape    []Dim
	HasShape bool
}

// Model is the structure of an ONNX model: everything but the weights.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Opsets          map[string]int64 // domain -> opset version; "" is the default domain ai.onnx

	// Inputs are the graph inputs the caller must feed: graph inputs that
	// are also initializers are left out (exporters before IR version 4
	// listed every weight as an input).
	Inputs  []ValueInfo
	Outputs []ValueInfo

	// Initializers maps each initializer (dense or sparse) to its
	// dimensions. Their data is not kept.
	Initializers map[string][]int64
	Nodes        []Node
	Metadata     map[string]string // metadata_props

	// smallInits holds the values of initializers of at most maxValues
	// elements: Resize scales, Reshape targets and the like, which the
	// receptive-field analysis reads.
	smallInits map[string][]float64
}

// ModelProto, GraphProto, ValueInfoProto, TypeProto and related field
// numbers (onnx.proto).
const (
	modelIRVersion       = 1
	modelProducerName    = 2
	modelProducerVersion = 3
	modelGraph           = 7
	modelOpsetImport     = 8
	modelMetadataProps   = 14

	opsetDomain  = 1
	opsetVersion = 2

	entryKey   = 1
	entryValue = 2

	graphNode                    = 1
	graphInitializer             = 5
	graphInput                   = 11
	graphOutput                  = 12
	graphSparseInitializer       = 15
	sparseTensorValues           = 1
	sparseTensorDims             = 3
	valueInfoName                = 1
	valueInfoType                = 2
	typeTensorType               = 1
	typeTensorElemType           = 1
	typeTensorShape              = 2
	shapeDim                     = 1
	dimValue                     = 1
	dimParam                     = 2
	maxModelSize           int64 = 2 << 30 // protobuf's limit on one message
)

// ReadFile reads and parses an ONNX model file. Errors name the file; a
// file that is not a valid model gives an error wrapping a FormatError.
func ReadFile(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxModelSize {
		// No protobuf message can be this large, so this is not a model
		// (more likely its external-data file); do not read it all.
		return nil, fmt.Errorf("%s: %w", path, FormatError(fmt.Sprintf("%d bytes, more than the 2 GiB a protobuf message can hold", st.Size())))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Parse parses the bytes of an ONNX model (a serialized ModelProto). Any
// error is a FormatError. The Model keeps no reference to data.
func Parse(data []byte) (m *Model, err error) {
	m = &Model{
		Opsets:       map[string]int64{},
		Initializers: map[string][]int64{},
		Metadata:     map[string]string{},
		smallInits:   map[string][]float64{},
	}
	var (
		inputs          []ValueInfo
		hasGraph, hasIR bool
		nOpsets, nMeta  int
		graphNodes      int // across merged graph fields, for error paths
	)
	err = eachField(data, func(f field) error {
		var err error
		switch f.num {
		case modelIRVersion:
			m.IRVersion, err = f.int64()
			hasIR = true
		case modelProducerName:
			m.ProducerName, err = f.str()
		case modelProducerVersion:
			m.ProducerVersion, err = f.str()
		case modelGraph:
			// A repeated singular message field merges (protobuf's rule),
			// so a second graph adds to the first.
			var b []byte
			if b, err = f.bytes(); err == nil {
				inputs, err = m.parseGraph(b, inputs, &graphNodes)
				err = within(err, "graph")
			}
			hasGraph = true
		case modelOpsetImport:
			err = withinAt(m.parseOpset(f), "opset_import", nOpsets)
			nOpsets++
		case modelMetadataProps:
			var k, v string
			if k, v, err = parseEntry(f); err == nil {
				m.Metadata[k] = v
			}
			err = withinAt(err, "metadata_props", nMeta)
			nMeta++
		}
		return err
	})
	if err == nil {
		switch {
		case !hasIR:
			err = errorf("no ir_version (not an ONNX model)")
		case !hasGraph:
			err = errorf("no graph")
		case nOpsets == 0:
			err = errorf("no opset_import")
		}
	}
	if err != nil {
		if pe, ok := err.(*parseError); ok {
			return nil, pe.format()
		}
		return nil, err
	}
	// Only now are all initializers known, wherever they came in the file.
	for _, in := range inputs {
		if _, isInit := m.Initializers[in.Name]; !isInit {
			m.Inputs = append(m.Inputs, in)
		}
	}
	return m, nil
}

func (m *Model) parseOpset(f field) error {
	b, err := f.bytes()
	if err != nil {
		return err
	}
	var domain string
	var version int64
	err = eachField(b, func(f field) error {
		var err error
		switch f.num {
		case opsetDomain:
			domain, err = f.str()
		case opsetVersion:
			version, err = f.int64()
		}
		return err
	})
	if err == nil {
		m.Opsets[canonicalDomain(domain)] = version
	}
	return err
}

// canonicalDomain folds the default domain's two spellings into "".
func canonicalDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// parseEntry reads a StringStringEntryProto.
func parseEntry(f field) (key, value string, err error) {
	b, err := f.bytes()
	if err != nil {
		return "", "", err
	}
	err = eachField(b, func(f field) error {
		var err error
		switch f.num {
		case entryKey:
			key, err = f.str()
		case entryValue:
			value, err = f.str()
		}
		return err
	})
	return key, value, err
}

// parseGraph reads a GraphProto into m, returning the graph inputs
// (initializers not yet removed) appended to inputs. nodes counts the
// nodes seen so far, for error paths.
func (m *Model) parseGraph(b []byte, inputs []ValueInfo, nodes *int) ([]ValueInfo, error) {
	var nInit, nIn, nOut, nSparse int
	err := eachField(b, func(f field) error {
		switch f.num {
		case graphNode:
			b, err := f.bytes()
			if err != nil {
				return err
			}
			n, err := parseNode(b)
			if err != nil {
				return withinAt(err, "node", *nodes)
			}
			m.Nodes = append(m.Nodes, n)
			*nodes++
		case graphInitializer:
			b, err := f.bytes()
			if err == nil {
				var t tensorInfo
				if t, err = parseTensor(b); err == nil {
					m.addInitializer(t)
				}
			}
			if err != nil {
				return withinAt(err, "initializer", nInit)
			}
			nInit++
		case graphSparseInitializer:
			b, err := f.bytes()
			if err == nil {
				err = m.parseSparseInitializer(b)
			}
			if err != nil {
				return withinAt(err, "sparse_initializer", nSparse)
			}
			nSparse++
		case graphInput, graphOutput:
			b, err := f.bytes()
			var v ValueInfo
			if err == nil {
				v, err = parseValueInfo(b)
			}
			if f.num == graphInput {
				if err != nil {
					return withinAt(err, "input", nIn)
				}
				inputs = append(inputs, v)
				nIn++
			} else {
				if err != nil {
					return withinAt(err, "output", nOut)
				}
				m.Outputs = append(m.Outputs, v)
				nOut++
			}
		}
		return nil
	})
	return inputs, err
}

func (m *Model) addInitializer(t tensorInfo) {
	dims := t.dims
	if dims == nil {
		dims = []int64{} // a scalar: present, rank 0
	}
	m.Initializers[t.name] = dims
	if t.vals != nil {
		m.smallInits[t.name] = t.vals
	} else {
		delete(m.smallInits, t.name)
	}
}

// parseSparseInitializer reads a SparseTensorProto: its name is that of
// its values tensor, its dimensions are its own dims field.
func (m *Model) parseSparseInitializer(b []byte) error {
	var name string
	var dims []int64
	err := eachField(b, func(f field) error {
		var err error
		switch f.num {
		case sparseTensorValues:
			var vb []byte
			if vb, err = f.bytes(); err == nil {
				var t tensorInfo
				t, err = parseTensor(vb)
				name = t.name
				err = within(err, "values")
			}
		case sparseTensorDims:
			dims, err = f.appendInts(dims)
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, d := range dims {
		if d < 0 {
			return errorf("sparse initializer %q has a negative dimension %d", name, d)
		}
	}
	m.addInitializer(tensorInfo{name: name, dims: dims})
	return nil
}

// parseValueInfo reads a ValueInfoProto. Only tensor types are read;
// other types leave ElemType 0 and HasShape false.
func parseValueInfo(b []byte) (ValueInfo, error) {
	var v ValueInfo
	err := eachField(b, func(f field) error {
		var err error
		switch f.num {
		case valueInfoName:
			v.Name, err = f.str()
		case valueInfoType:
			var tb []byte
			if tb, err = f.bytes(); err == nil {
				err = within(eachField(tb, func(f field) error {
					if f.num != typeTensorType {
						return nil
					}
					b, err := f.bytes()
					if err != nil {
						return err
					}
					return within(v.parseTensorType(b), "tensor_type")
				}), "type")
			}
		}
		return err
	})
	if err != nil && v.Name != "" {
		err = within(err, "%q", v.Name)
	}
	return v, err
}

func (v *ValueInfo) parseTensorType(b []byte) error {
	return eachField(b, func(f field) error {
		var err error
		switch f.num {
		case typeTensorElemType:
			v.ElemType, err = f.int32()
		case typeTensorShape:
			var sb []byte
			if sb, err = f.bytes(); err != nil {
				return err
			}
			v.HasShape = true
			if v.Shape == nil {
				v.Shape = []Dim{}
			}
			nDim := 0
			err = within(eachField(sb, func(f field) error {
				if f.num != shapeDim {
					return nil
				}
				db, err := f.bytes()
				if err != nil {
					return err
				}
				d, err := parseDim(db)
				if err != nil {
					return withinAt(err, "dim", nDim)
				}
				v.Shape = append(v.Shape, d)
				nDim++
				return nil
			}), "shape")
		}
		return err
	})
}

func parseDim(b []byte) (Dim, error) {
	var d Dim
	err := eachField(b, func(f field) error {
		var err error
		switch f.num {
		// dim_value and dim_param are a oneof: the last one on the wire
		// is the one set.
		case dimValue:
			d.Value, err = f.int64()
			d.Value, d.Param = max(d.Value, 0), ""
		case dimParam:
			d.Param, err = f.str()
			d.Value = 0
		}
		return err
	})
	return d, err
}
