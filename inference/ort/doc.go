// Package ort is the ONNX Runtime backend of package inference: it finds
// and loads the ONNX Runtime shared library (saying every path it tried,
// and why each failed, when none loads), chooses the execution provider
// (auto tries CUDA and falls back to CPU, saying why), and keeps one
// session per model, created once, shared by the jobs that use it and
// released when it has been idle for a while.
//
// It needs cgo (github.com/yalue/onnxruntime_go loads the library with
// dlopen); a build without cgo gets a stub whose Load says so, so the
// viewer still builds, opens and views.
package ort
