//go:build cgo

package codec

const cgoEnabled = true
