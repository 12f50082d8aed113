package onnx

import "fmt"

// TensorProto.DataType values (onnx.proto).
const (
	typeUndefined      = 0
	typeFloat          = 1
	typeUint8          = 2
	typeInt8           = 3
	typeUint16         = 4
	typeInt16          = 5
	typeInt32          = 6
	typeInt64          = 7
	typeString         = 8
	typeBool           = 9
	typeFloat16        = 10
	typeDouble         = 11
	typeUint32         = 12
	typeUint64         = 13
	typeComplex64      = 14
	typeComplex128     = 15
	typeBFloat16       = 16
	typeFloat8E4M3FN   = 17
	typeFloat8E4M3FNUZ = 18
	typeFloat8E5M2     = 19
	typeFloat8E5M2FNUZ = 20
	typeUint4          = 21
	typeInt4           = 22
	typeFloat4E2M1     = 23
	typeFloat8E8M0     = 24
	typeUint2          = 25
	typeInt2           = 26
)

// elemTypeNames spells the types the way Go and NumPy do (float32, not
// ONNX's FLOAT), which is how model descriptions and messages name them.
var elemTypeNames = [...]string{
	typeUndefined:      "undefined",
	typeFloat:          "float32",
	typeUint8:          "uint8",
	typeInt8:           "int8",
	typeUint16:         "uint16",
	typeInt16:          "int16",
	typeInt32:          "int32",
	typeInt64:          "int64",
	typeString:         "string",
	typeBool:           "bool",
	typeFloat16:        "float16",
	typeDouble:         "float64",
	typeUint32:         "uint32",
	typeUint64:         "uint64",
	typeComplex64:      "complex64",
	typeComplex128:     "complex128",
	typeBFloat16:       "bfloat16",
	typeFloat8E4M3FN:   "float8e4m3fn",
	typeFloat8E4M3FNUZ: "float8e4m3fnuz",
	typeFloat8E5M2:     "float8e5m2",
	typeFloat8E5M2FNUZ: "float8e5m2fnuz",
	typeUint4:          "uint4",
	typeInt4:           "int4",
	typeFloat4E2M1:     "float4e2m1",
	typeFloat8E8M0:     "float8e8m0",
	typeUint2:          "uint2",
	typeInt2:           "int2",
}

// ElemTypeName names the tensor's element type ("float32", "int64",
// "uint8", ...; "undefined" when the file gives none, which is also the case
// for inputs that are not tensors, such as sequences or maps). A type newer
// than this package reads as "elem_type(N)".
func (v ValueInfo) ElemTypeName() string {
	if v.ElemType >= 0 && int(v.ElemType) < len(elemTypeNames) {
		return elemTypeNames[v.ElemType]
	}
	return fmt.Sprintf("elem_type(%d)", v.ElemType)
}
