//go:build !cgo

package ort

import (
	"errors"

	"delineate/inference"
)

// Runtime is unavailable in a build without cgo.
type Runtime struct {
	Lib, Version string
}

// ErrNoCgo is what Load says in a build without cgo.
var ErrNoCgo = errors.New("this build of Delineate has no ONNX Runtime support (built without cgo); models are unavailable")

// Load always fails without cgo.
func Load(libFlag string) (*Runtime, error) { return nil, ErrNoCgo }

// Open is never reached.
func (r *Runtime) Open(inference.NetSpec) (inference.Net, error) { return nil, ErrNoCgo }

// Devices reports no device.
func (r *Runtime) Devices() (bool, string) { return false, ErrNoCgo.Error() }

// Describe names the missing runtime.
func (r *Runtime) Describe() string { return "no ONNX Runtime (no cgo)" }

// Inspect is never reached.
func (r *Runtime) Inspect(path string) (*IOInfo, error) { return nil, ErrNoCgo }

// ReleaseIdle does nothing.
func (r *Runtime) ReleaseIdle() {}

// Validate is never reached.
func (r *Runtime) Validate(string) error { return ErrNoCgo }

// OpenGraph is never reached.
func (r *Runtime) OpenGraph(inference.GraphSpec) (inference.Graph, error) { return nil, ErrNoCgo }
