package inference

import (
	"fmt"
	"strconv"
	"strings"

	"delineate/viewer"
)

// MemoryError is a run refused before it starts because its estimated
// peak does not fit the memory allowed.
type MemoryError struct {
	Need, Allowed int64
	What          string
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("not enough memory: %s needs about %s, %s allowed (raise --max-memory or free memory)", e.What, FormatBytes(e.Need), FormatBytes(e.Allowed))
}

// FormatBytes prints a byte count in binary units (viewer.FormatBytes).
func FormatBytes(n int64) string { return viewer.FormatBytes(n) }

// ParseBytes reads a size such as 2G, 1500M or 2147483648.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "IB"), "B")
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K':
			mult, s = 1<<10, s[:n-1]
		case 'M':
			mult, s = 1<<20, s[:n-1]
		case 'G':
			mult, s = 1<<30, s[:n-1]
		case 'T':
			mult, s = 1<<40, s[:n-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes such as 2G or 1500M", s)
	}
	return int64(f * float64(mult)), nil
}

// AvailableMemory is what the system can give without swapping
// (viewer.AvailableMemory: MemAvailable, or the container's limit less its
// usage); 0 when unknown.
func AvailableMemory() int64 {
	if n, ok := viewer.AvailableMemory(); ok {
		return n
	}
	return 0
}

// DefaultBudget is the memory a run may use when none is given: half of
// what is available (the viewer, the user's other work and the OS keep
// the rest), at least 1 GiB.
func DefaultBudget() int64 {
	if a := AvailableMemory(); a > 0 {
		return max(a/2, 1<<30)
	}
	return 4 << 30
}
