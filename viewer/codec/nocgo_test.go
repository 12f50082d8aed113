//go:build !cgo

package codec

const cgoEnabled = false
