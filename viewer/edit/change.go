// Package edit holds the label-map editing tools (brush, eraser, threshold
// painting, flood fill, region growing, interpolation between slices,
// islands, hole filling, smoothing) and their undo history. Every tool
// works on a viewer.LabelMap (and the image, where intensities matter) and
// returns a Change: the bounding box it touched with the labels before and
// after, so undo stores only what changed, never whole volumes.
package edit

import (
	"delineate/viewer"
)

// Box is a voxel-index box, Min inclusive, Max exclusive.
type Box struct{ Min, Max [3]int }

// Empty reports whether the box holds no voxel.
func (b Box) Empty() bool {
	return b.Max[0] <= b.Min[0] || b.Max[1] <= b.Min[1] || b.Max[2] <= b.Min[2]
}

// Size is the number of voxels in the box.
func (b Box) Size() int {
	if b.Empty() {
		return 0
	}
	return (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]) * (b.Max[2] - b.Min[2])
}

// Union is the smallest box holding both.
func (b Box) Union(o Box) Box {
	if b.Empty() {
		return o
	}
	if o.Empty() {
		return b
	}
	for a := 0; a < 3; a++ {
		b.Min[a] = min(b.Min[a], o.Min[a])
		b.Max[a] = max(b.Max[a], o.Max[a])
	}
	return b
}

// Clip limits the box to the grid.
func (b Box) Clip(dims [3]int) Box {
	for a := 0; a < 3; a++ {
		b.Min[a] = max(b.Min[a], 0)
		b.Max[a] = min(b.Max[a], dims[a])
	}
	return b
}

// Change is one undoable edit: the labels inside Box before and after.
type Change struct {
	Name          string
	Box           Box
	Before, After []uint16 // Box voxels, i fastest
}

// Bytes is the memory the change holds.
func (c *Change) Bytes() int { return 2 * (len(c.Before) + len(c.After)) }

// Touched counts, per label id (background excluded), the voxels that the
// change gave that label or took from it: what provenance records of a
// manual edit.
func (c *Change) Touched() map[int]int {
	out := map[int]int{}
	for i := range c.Before {
		b, a := c.Before[i], c.After[i]
		if a == b {
			continue
		}
		if a != 0 {
			out[int(a)]++
		}
		if b != 0 {
			out[int(b)]++
		}
	}
	return out
}

// Snapshot copies the labels inside box (clipped) so a tool can record a
// Change: take a snapshot, edit, then call Finish.
func Snapshot(m *viewer.LabelMap, name string, box Box) *Change {
	box = box.Clip(m.Dims)
	c := &Change{Name: name, Box: box}
	c.Before = readBox(m, box)
	return c
}

// Finish records the labels after the edit, and shrinks the box to the
// voxels that really changed. It returns nil when nothing changed.
func (c *Change) Finish(m *viewer.LabelMap) *Change {
	after := readBox(m, c.Box)
	tight := Box{Min: c.Box.Max, Max: c.Box.Min}
	n := 0
	forBox(c.Box, func(i, j, k, at int) {
		if after[at] != c.Before[at] {
			n++
			for a, v := range [3]int{i, j, k} {
				tight.Min[a] = min(tight.Min[a], v)
				tight.Max[a] = max(tight.Max[a], v+1)
			}
		}
	})
	if n == 0 {
		return nil
	}
	if tight == c.Box {
		c.After = after
		return c
	}
	before := c.Before
	outer := c.Box
	c.Box = tight
	c.Before = make([]uint16, tight.Size())
	c.After = make([]uint16, tight.Size())
	w, h := outer.Max[0]-outer.Min[0], outer.Max[1]-outer.Min[1]
	forBox(tight, func(i, j, k, at int) {
		src := (i - outer.Min[0]) + w*((j-outer.Min[1])+h*(k-outer.Min[2]))
		c.Before[at] = before[src]
		c.After[at] = after[src]
	})
	return c
}

// forBox visits every voxel of the box, i fastest, with its offset in the
// box's own array.
func forBox(b Box, fn func(i, j, k, at int)) {
	at := 0
	for k := b.Min[2]; k < b.Max[2]; k++ {
		for j := b.Min[1]; j < b.Max[1]; j++ {
			for i := b.Min[0]; i < b.Max[0]; i++ {
				fn(i, j, k, at)
				at++
			}
		}
	}
}

func readBox(m *viewer.LabelMap, b Box) []uint16 {
	out := make([]uint16, b.Size())
	if len(out) == 0 {
		return out
	}
	w := b.Max[0] - b.Min[0]
	at := 0
	for k := b.Min[2]; k < b.Max[2]; k++ {
		for j := b.Min[1]; j < b.Max[1]; j++ {
			base := m.Index(b.Min[0], j, k)
			switch d := m.Data.(type) {
			case viewer.Voxels[uint8]:
				for x, v := range d[base : base+w] {
					out[at+x] = uint16(v)
				}
			case viewer.Voxels[uint16]:
				copy(out[at:at+w], d[base:base+w])
			}
			at += w
		}
	}
	return out
}

func writeBox(m *viewer.LabelMap, b Box, vals []uint16) {
	w := b.Max[0] - b.Min[0]
	at := 0
	for k := b.Min[2]; k < b.Max[2]; k++ {
		for j := b.Min[1]; j < b.Max[1]; j++ {
			base := m.Index(b.Min[0], j, k)
			switch d := m.Data.(type) {
			case viewer.Voxels[uint8]:
				for x := 0; x < w; x++ {
					d[base+x] = uint8(vals[at+x])
				}
			case viewer.Voxels[uint16]:
				copy(d[base:base+w], vals[at:at+w])
			}
			at += w
		}
	}
}

// Apply writes the change's after-values into m: how a change computed on
// a copy of the map (in the background) lands on the real one.
func (c *Change) Apply(m *viewer.LabelMap) {
	if c != nil {
		writeBox(m, c.Box, c.After)
	}
}

// History is the undo/redo stack. It keeps at least MinSteps changes and
// otherwise drops the oldest ones once their memory exceeds Limit bytes.
type History struct {
	Limit int // bytes; 0 means DefaultHistoryBytes
	undo  []*Change
	redo  []*Change
	bytes int
	// version counts changes (pushes, undos, redos).
	version uint64
}

// MinSteps is how many undo steps are always kept, whatever their size.
const MinSteps = 50

// DefaultHistoryBytes bounds the undo memory beyond MinSteps.
const DefaultHistoryBytes = 512 << 20

// Push records a finished change (nil is ignored) and clears redo.
func (h *History) Push(c *Change) {
	if c == nil {
		return
	}
	h.version++
	h.undo = append(h.undo, c)
	h.bytes += c.Bytes()
	for _, r := range h.redo {
		h.bytes -= r.Bytes()
	}
	h.redo = nil
	limit := h.Limit
	if limit == 0 {
		limit = DefaultHistoryBytes
	}
	for len(h.undo) > MinSteps && h.bytes > limit {
		h.bytes -= h.undo[0].Bytes()
		h.undo[0] = nil
		h.undo = h.undo[1:]
	}
}

// Undo reverts the last change and returns the box it touched.
func (h *History) Undo(m *viewer.LabelMap) (Box, bool) {
	if len(h.undo) == 0 {
		return Box{}, false
	}
	h.version++
	c := h.undo[len(h.undo)-1]
	h.undo = h.undo[:len(h.undo)-1]
	writeBox(m, c.Box, c.Before)
	h.redo = append(h.redo, c)
	return c.Box, true
}

// Redo re-applies the last undone change.
func (h *History) Redo(m *viewer.LabelMap) (Box, bool) {
	if len(h.redo) == 0 {
		return Box{}, false
	}
	h.version++
	c := h.redo[len(h.redo)-1]
	h.redo = h.redo[:len(h.redo)-1]
	writeBox(m, c.Box, c.After)
	h.undo = append(h.undo, c)
	return c.Box, true
}

// CanUndo and CanRedo say whether there is something to undo or redo.
func (h *History) CanUndo() bool { return len(h.undo) > 0 }

// CanRedo reports whether there is something to redo.
func (h *History) CanRedo() bool { return len(h.redo) > 0 }

// Steps returns the number of undo and redo steps held.
func (h *History) Steps() (undo, redo int) { return len(h.undo), len(h.redo) }

// Version changes whenever the label map changes through the history (a
// push, an undo, a redo): autosave compares it with the version it saved.
func (h *History) Version() uint64 { return h.version }
