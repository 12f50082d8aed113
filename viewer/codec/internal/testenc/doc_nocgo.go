//go:build !cgo

// Package testenc encodes test images with CharLS and OpenJPEG; without cgo
// it is empty and the tests that need it skip.
package testenc
