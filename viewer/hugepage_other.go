//go:build !linux

package viewer

import "unsafe"

func adviseHuge(p unsafe.Pointer, n int) {}
