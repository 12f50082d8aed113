package viewer

import "sync/atomic"

// Arrival says which slices (along index axis 2, the acquisition's slice
// axis) of a volume that is still loading hold their voxels, so a viewer
// can show a large study while the rest of it is read. The loader writes a
// slice's voxels and then calls Set; a reader that sees Has(k) true may
// read slice k (the atomic store and load order the two). After Complete
// every slice may be read. A nil *Arrival is a volume that is all there.
type Arrival struct {
	got  []atomic.Bool
	n    atomic.Int64
	done atomic.Bool
}

// NewArrival tracks n slices, none arrived.
func NewArrival(n int) *Arrival { return &Arrival{got: make([]atomic.Bool, n)} }

// Set marks slice k as arrived.
func (a *Arrival) Set(k int) {
	if k >= 0 && k < len(a.got) && !a.got[k].Swap(true) {
		a.n.Add(1)
	}
}

// Complete marks the whole volume as final (slices that failed to load
// included: the loader filled them).
func (a *Arrival) Complete() { a.done.Store(true) }

// Done says whether every slice may be read.
func (a *Arrival) Done() bool { return a == nil || a.done.Load() }

// Has says whether slice k may be read.
func (a *Arrival) Has(k int) bool {
	return a == nil || a.done.Load() || (k >= 0 && k < len(a.got) && a.got[k].Load())
}

// Count is how many slices have arrived (all of them once Done).
func (a *Arrival) Count() int {
	if a.Done() {
		if a == nil {
			return -1
		}
		return len(a.got)
	}
	return int(a.n.Load())
}
