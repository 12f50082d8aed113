package viewer

import (
	"fmt"
	"math"
)

// DataType names the storage type of a volume's voxels.
type DataType int

// Voxel storage types. Integer sources keep their type where the rescaled
// values fit; everything else becomes Float32.
const (
	Uint8 DataType = iota + 1
	Int8
	Uint16
	Int16
	Uint32
	Int32
	Float32
)

var dataTypeNames = map[DataType]string{
	Uint8: "uint8", Int8: "int8", Uint16: "uint16", Int16: "int16",
	Uint32: "uint32", Int32: "int32", Float32: "float32",
}

func (t DataType) String() string {
	if s, ok := dataTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("DataType(%d)", int(t))
}

// Size is the number of bytes per voxel.
func (t DataType) Size() int {
	switch t {
	case Uint8, Int8:
		return 1
	case Uint16, Int16:
		return 2
	case Uint32, Int32, Float32:
		return 4
	}
	return 0
}

// Number is the set of element types a volume can hold.
type Number interface {
	~uint8 | ~int8 | ~uint16 | ~int16 | ~uint32 | ~int32 | ~float32
}

// VoxelData is a volume's voxel array, i fastest, then j, then k. Hot loops
// type-switch on Raw() to reach the typed slice; everything else uses At.
type VoxelData interface {
	Type() DataType
	Len() int
	At(i int) float64
	// Raw is the underlying slice: []uint8, []int8, []uint16, []int16,
	// []uint32, []int32 or []float32.
	Raw() any
}

// Voxels is a typed voxel array.
type Voxels[T Number] []T

// Len is the number of voxels.
func (v Voxels[T]) Len() int { return len(v) }

// At returns voxel i as float64.
func (v Voxels[T]) At(i int) float64 { return float64(v[i]) }

// Raw returns the plain slice.
func (v Voxels[T]) Raw() any { return []T(v) }

// Type is the element's DataType.
func (v Voxels[T]) Type() DataType { return typeOf[T]() }

func typeOf[T Number]() DataType {
	var z T
	switch any(z).(type) {
	case uint8:
		return Uint8
	case int8:
		return Int8
	case uint16:
		return Uint16
	case int16:
		return Int16
	case uint32:
		return Uint32
	case int32:
		return Int32
	case float32:
		return Float32
	}
	return 0
}

// NewVoxelData allocates a zeroed array of n voxels of type t.
func NewVoxelData(t DataType, n int) (VoxelData, error) {
	switch t {
	case Uint8:
		return Voxels[uint8](alloc[uint8](n)), nil
	case Int8:
		return Voxels[int8](alloc[int8](n)), nil
	case Uint16:
		return Voxels[uint16](alloc[uint16](n)), nil
	case Int16:
		return Voxels[int16](alloc[int16](n)), nil
	case Uint32:
		return Voxels[uint32](alloc[uint32](n)), nil
	case Int32:
		return Voxels[int32](alloc[int32](n)), nil
	case Float32:
		return Voxels[float32](alloc[float32](n)), nil
	}
	return nil, fmt.Errorf("unsupported voxel type %v", t)
}

// alloc makes a voxel slice.
func alloc[T Number](n int) []T { return make([]T, n) }

// WrapVoxels turns a plain slice ([]int16, …) into VoxelData.
func WrapVoxels(raw any) (VoxelData, error) {
	switch s := raw.(type) {
	case []uint8:
		return Voxels[uint8](s), nil
	case []int8:
		return Voxels[int8](s), nil
	case []uint16:
		return Voxels[uint16](s), nil
	case []int16:
		return Voxels[int16](s), nil
	case []uint32:
		return Voxels[uint32](s), nil
	case []int32:
		return Voxels[int32](s), nil
	case []float32:
		return Voxels[float32](s), nil
	case VoxelData:
		return s, nil
	}
	return nil, fmt.Errorf("unsupported voxel slice %T", raw)
}

// SmallestTypeFor picks the narrowest integer type holding [lo, hi], or
// Float32 when the range is not integral or does not fit 32 bits.
func SmallestTypeFor(lo, hi float64, integral bool) DataType {
	if !integral || math.IsNaN(lo) || math.IsNaN(hi) {
		return Float32
	}
	switch {
	case lo >= 0 && hi <= math.MaxUint8:
		return Uint8
	case lo >= math.MinInt8 && hi <= math.MaxInt8:
		return Int8
	case lo >= math.MinInt16 && hi <= math.MaxInt16:
		return Int16
	case lo >= 0 && hi <= math.MaxUint16:
		return Uint16
	case lo >= math.MinInt32 && hi <= math.MaxInt32:
		return Int32
	case lo >= 0 && hi <= math.MaxUint32:
		return Uint32
	}
	return Float32
}

// Holds reports whether integer type t holds every integer in [lo, hi]
// (false for Float32, which holds them only up to 2²⁴).
func (t DataType) Holds(lo, hi float64) bool {
	var a, b float64
	switch t {
	case Uint8:
		a, b = 0, math.MaxUint8
	case Int8:
		a, b = math.MinInt8, math.MaxInt8
	case Uint16:
		a, b = 0, math.MaxUint16
	case Int16:
		a, b = math.MinInt16, math.MaxInt16
	case Uint32:
		a, b = 0, math.MaxUint32
	case Int32:
		a, b = math.MinInt32, math.MaxInt32
	default:
		return false
	}
	return lo >= a && hi <= b
}

// ConvertVoxels copies d into a new buffer of type t, value by value (t
// must hold d's values: nothing is clamped).
func ConvertVoxels(d VoxelData, t DataType) (VoxelData, error) {
	out, err := NewVoxelData(t, d.Len())
	if err != nil {
		return nil, err
	}
	switch o := out.Raw().(type) {
	case []uint8:
		convertInto(o, d)
	case []int8:
		convertInto(o, d)
	case []uint16:
		convertInto(o, d)
	case []int16:
		convertInto(o, d)
	case []uint32:
		convertInto(o, d)
	case []int32:
		convertInto(o, d)
	case []float32:
		convertInto(o, d)
	default:
		return nil, fmt.Errorf("cannot convert voxels to %v", t)
	}
	return out, nil
}

func convertInto[T Number](dst []T, d VoxelData) {
	for i := range dst {
		dst[i] = T(d.At(i))
	}
}

// WindowPreset is a named window centre/width.
type WindowPreset struct {
	Name   string  `json:"name"`
	Center float64 `json:"center"`
	Width  float64 `json:"width"`
}

// Volume is a loaded image: geometry, typed voxels with any rescale already
// applied (CT in HU), and what the header said about display. Treat it as
// immutable once loaded: views, tools and jobs share it without copying.
type Volume struct {
	Geometry
	Data        VoxelData
	Modality    string         // DICOM modality ("CT", "MR", …); "" when unknown
	Description string         // series description, free of patient identity
	Windows     []WindowPreset // presets from the header
	Warnings    []string       // what was odd about the source, for the user
	// FrameOfReferenceUID is the DICOM frame of reference the positions
	// are in ("" for NIfTI): labels placed by position (a DICOM SEG) must
	// share it.
	FrameOfReferenceUID string
	// Arriving is set while a viewer shows the volume as it loads: only
	// its arrived slices may be read (RenderLayout draws the others
	// black). nil for a volume that is all there.
	Arriving *Arrival
}

// NewVolume allocates a zero volume of type t on geometry g.
func NewVolume(g Geometry, t DataType) (*Volume, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	d, err := NewVoxelData(t, g.NumVoxels())
	if err != nil {
		return nil, err
	}
	return &Volume{Geometry: g, Data: d}, nil
}

// Value returns the voxel at (i,j,k) as float64.
func (v *Volume) Value(i, j, k int) float64 { return v.Data.At(v.Index(i, j, k)) }

// Range returns the minimum and maximum voxel values.
func (v *Volume) Range() (lo, hi float64) {
	switch s := v.Data.Raw().(type) {
	case []uint8:
		return rangeOf(s)
	case []int8:
		return rangeOf(s)
	case []uint16:
		return rangeOf(s)
	case []int16:
		return rangeOf(s)
	case []uint32:
		return rangeOf(s)
	case []int32:
		return rangeOf(s)
	case []float32:
		return rangeOf(s)
	}
	return 0, 0
}

func rangeOf[T Number](s []T) (float64, float64) {
	if len(s) == 0 {
		return 0, 0
	}
	lo, hi := s[0], s[0]
	for _, x := range s[1:] {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return float64(lo), float64(hi)
}

// Warnf records a warning for the user.
func (v *Volume) Warnf(format string, args ...any) {
	v.Warnings = append(v.Warnings, fmt.Sprintf(format, args...))
}
