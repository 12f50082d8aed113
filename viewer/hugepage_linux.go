package viewer

import (
	"syscall"
	"unsafe"
)

// madvHugepage is Linux's MADV_HUGEPAGE.
const madvHugepage = 14

// adviseHuge asks the kernel to back a large voxel buffer with huge pages
// (where transparent huge pages are "madvise", the Debian default): the
// first touch of each 2 MiB then costs one fault instead of 512, which is
// most of the system time of reading a study into a fresh buffer. Only the
// whole pages inside the buffer are advised; it is a hint, so failure is
// ignored.
func adviseHuge(p unsafe.Pointer, n int) {
	const page = 4096
	start := (uintptr(p) + page - 1) &^ (page - 1)
	end := (uintptr(p) + uintptr(n)) &^ (page - 1)
	if end <= start || n < 4<<20 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start)
	_ = syscall.Madvise(b, madvHugepage)
}
