package viewer

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrTooLarge says a volume would not fit in the memory this machine has
// free: opening it would swap the machine to a standstill, so it is
// refused before anything is allocated.
var ErrTooLarge = errors.New("too large for the memory available")

// TooLargeError carries the estimate, so a caller can say what it needs.
type TooLargeError struct {
	What            string
	Need, Available int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s needs %s of memory but only %s is available: %v (close other programs, or open a part of the study)",
		e.What, FormatBytes(e.Need), FormatBytes(e.Available), ErrTooLarge)
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// FormatBytes writes a byte count in binary units.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (n+1023)>>10)
}

// AvailableMemory is the memory a new allocation can use without swapping:
// the kernel's MemAvailable, or the container's limit less its usage when
// that is lower. ok is false where neither can be read (not Linux).
func AvailableMemory() (int64, bool) {
	avail, ok := meminfoAvailable()
	if lim, used, cok := cgroupMemory(); cok && (!ok || lim-used < avail) {
		avail, ok = max(0, lim-used), true
	}
	return avail, ok
}

// CheckAllocation refuses an allocation of need bytes that the machine
// cannot hold (TooLargeError); where the free memory cannot be known it
// allows it.
func CheckAllocation(need int64, what string) error {
	if v := os.Getenv("DELINEATE_MEMORY_LIMIT"); v != "" { // for tests: pretend this much is free
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && need > n {
			return &TooLargeError{What: what, Need: need, Available: n}
		}
	}
	avail, ok := AvailableMemory()
	if ok && need > avail {
		return &TooLargeError{What: what, Need: need, Available: avail}
	}
	return nil
}

func meminfoAvailable() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

func cgroupMemory() (limit, used int64, ok bool) {
	read := func(p string) (int64, bool) {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return n, err == nil
	}
	lim, ok1 := read("/sys/fs/cgroup/memory.max") // "max" when unlimited: not a number
	use, ok2 := read("/sys/fs/cgroup/memory.current")
	return lim, use, ok1 && ok2
}
