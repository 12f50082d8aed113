package inference

import (
	"fmt"
	"strings"
)

// Axes maps the network tensor's spatial axes to volume axes: Axes[t] is
// the volume axis (0 = i, 1 = j, 2 = k) of tensor spatial axis t, slowest
// first (t = 0 is D of [N, C, D, H, W]).
type Axes [3]int

// ParseAxes reads an axes string such as "kji" or "ijk".
func ParseAxes(s string) (Axes, error) {
	var a Axes
	if len(s) != 3 {
		return a, fmt.Errorf("%q: want a permutation of i, j, k such as \"kji\" (NIfTI order, i fastest) or \"ijk\" (k fastest)", s)
	}
	var seen [3]bool
	for t := 0; t < 3; t++ {
		v := strings.IndexByte("ijk", s[t])
		if v < 0 || seen[v] {
			return a, fmt.Errorf("%q: want a permutation of i, j, k such as \"kji\" or \"ijk\"", s)
		}
		seen[v] = true
		a[t] = v
	}
	return a, nil
}

// ToVolume maps a size or position in tensor order to volume order.
func (a Axes) ToVolume(t [3]int) [3]int {
	var v [3]int
	for i := 0; i < 3; i++ {
		v[a[i]] = t[i]
	}
	return v
}

// ToTensor maps a size or position in volume order to tensor order.
func (a Axes) ToTensor(v [3]int) [3]int {
	var t [3]int
	for i := 0; i < 3; i++ {
		t[i] = v[a[i]]
	}
	return t
}
