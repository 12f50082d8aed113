package inference

import (
	"context"
	"fmt"
)

// Value is a named input or output of a multi-tensor network: float32 or
// int64 data in C order (token ids, point labels and the like are int64).
type Value struct {
	Shape []int64
	F32   []float32
	I64   []int64
}

// Elements is the product of the shape.
func (v Value) Elements() int {
	n := 1
	for _, d := range v.Shape {
		n *= int(d)
	}
	return n
}

// Check says whether the data matches the shape.
func (v Value) Check(name string) error {
	n := v.Elements()
	switch {
	case v.F32 != nil && v.I64 != nil:
		return fmt.Errorf("%s: both float32 and int64 data", name)
	case v.F32 != nil && len(v.F32) != n, v.I64 != nil && len(v.I64) != n:
		return fmt.Errorf("%s: %d values for shape %v", name, max(len(v.F32), len(v.I64)), v.Shape)
	case v.F32 == nil && v.I64 == nil:
		return fmt.Errorf("%s: no data", name)
	}
	return nil
}

// Graph is a network with named inputs and outputs (detectors with
// prototypes, text encoders, prompt decoders), as opposed to Net's one
// volume in, one map out. One job at a time.
type Graph interface {
	// Run feeds the named inputs and returns the named outputs. A
	// cancelled ctx stops a running network.
	Run(ctx context.Context, in map[string]Value, outputs []string) (map[string]Value, error)
	// Metadata is the model's custom metadata (Ultralytics writes class
	// names, stride and image size there).
	Metadata() map[string]string
	Device() DeviceInfo
	Close()
}

// GraphSpec names a multi-tensor network and how to run it.
type GraphSpec struct {
	Path            string
	Inputs, Outputs []string
	Device          string // auto, cpu or cuda
	Threads         int
}

// GraphBackend opens multi-tensor networks (inference/ort in the app).
type GraphBackend interface {
	OpenGraph(spec GraphSpec) (Graph, error)
}
