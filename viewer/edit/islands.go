package edit

import (
	"fmt"
	"slices"
	"sort"

	"delineate/viewer"
)

// Islands: connected components of one label (6-connectivity in 3D, 4 in a
// slice), found breadth-first with an explicit queue (never recursion), on
// the label's bounding box only.

// KeepLargestIsland clears (sets to 0) every connected component of label
// but the largest. Ties keep the component met first (i fastest, then j,
// then k). It does nothing when label is locked.
func KeepLargestIsland(m *viewer.LabelMap, label int) *Change {
	if label <= 0 || m.Locked(label) {
		return nil
	}
	box := labelBounds(m, label)
	if box.Empty() {
		return nil
	}
	mask := boxMask(m, box, label)
	comp, sizes := connectedComponents(mask, boxDims(box), -1)
	if len(sizes) < 2 {
		return nil
	}
	best := int32(0)
	for c, s := range sizes {
		if s > sizes[best] {
			best = int32(c)
		}
	}
	c := Snapshot(m, "Keep largest island", box)
	forBox(box, func(i, j, k, at int) {
		if comp[at] >= 0 && comp[at] != best {
			m.Set(m.Index(i, j, k), 0)
		}
	})
	return c.Finish(m)
}

// RemoveSmallIslands clears every connected component of label with fewer
// than minVoxels voxels. It does nothing when label is locked.
func RemoveSmallIslands(m *viewer.LabelMap, label int, minVoxels int) *Change {
	if label <= 0 || minVoxels <= 1 || m.Locked(label) {
		return nil
	}
	box := labelBounds(m, label)
	if box.Empty() {
		return nil
	}
	mask := boxMask(m, box, label)
	comp, sizes := connectedComponents(mask, boxDims(box), -1)
	c := Snapshot(m, "Remove small islands", box)
	forBox(box, func(i, j, k, at int) {
		if comp[at] >= 0 && int(sizes[comp[at]]) < minVoxels {
			m.Set(m.Index(i, j, k), 0)
		}
	})
	return c.Finish(m)
}

// SplitIslands gives each connected component of label its own id:
// firstNewLabel for the largest, firstNewLabel+1 for the next, and so on
// (ties in the order met). It returns the number of ids used. The new ids
// must not be locked nor already in use (firstNewLabel may equal label, so
// the largest island keeps its id). A uint8 map is widened to uint16 when
// the ids need it. The label table is not changed: new ids draw with the
// default palette until the caller names them.
func SplitIslands(m *viewer.LabelMap, label int, firstNewLabel int) (*Change, int, error) {
	if label <= 0 {
		return nil, 0, fmt.Errorf("label %d is not a label", label)
	}
	if firstNewLabel <= 0 {
		return nil, 0, fmt.Errorf("first new label %d must be positive", firstNewLabel)
	}
	if m.Locked(label) {
		return nil, 0, fmt.Errorf("label %d is locked", label)
	}
	box := labelBounds(m, label)
	if box.Empty() {
		return nil, 0, nil
	}
	mask := boxMask(m, box, label)
	comp, sizes := connectedComponents(mask, boxDims(box), -1)
	n := len(sizes)
	last := firstNewLabel + n - 1
	if last > viewer.MaxLabelID {
		return nil, 0, fmt.Errorf("%d islands need ids %d..%d, beyond %d", n, firstNewLabel, last, viewer.MaxLabelID)
	}
	for id := firstNewLabel; id <= last; id++ {
		if id == label {
			continue
		}
		if m.Locked(id) {
			return nil, 0, fmt.Errorf("label %d is locked", id)
		}
	}
	// Any new id other than label must be absent from the map.
	used := m.Present()
	for id := firstNewLabel; id <= last; id++ {
		if _, in := slices.BinarySearch(used, id); id != label && in {
			return nil, 0, fmt.Errorf("label %d is already in use", id)
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return sizes[order[a]] > sizes[order[b]] })
	newID := make([]int, n)
	for rank, c := range order {
		newID[c] = firstNewLabel + rank
	}
	if last > 255 {
		m.Widen()
	}
	c := Snapshot(m, "Split islands", box)
	forBox(box, func(i, j, k, at int) {
		if comp[at] >= 0 {
			m.Set(m.Index(i, j, k), newID[comp[at]])
		}
	})
	return c.Finish(m), n, nil
}

// FillHoles turns into label the unlabelled (0) voxels of every region that
// label encloses: connected regions of non-label voxels, inside the label's
// bounding box, that do not reach the box's border. With threeD the regions
// are 6-connected in 3D; otherwise each slice across axis (0, 1 or 2) is
// filled on its own with 4-connected regions. Voxels of other labels inside
// a hole are kept (a nested structure stays), and do not open the hole.
func FillHoles(m *viewer.LabelMap, label int, threeD bool, axis int) *Change {
	if label <= 0 || m.Locked(label) {
		return nil
	}
	skip := -1
	if !threeD {
		if axis < 0 || axis > 2 {
			return nil
		}
		skip = axis
	}
	box := labelBounds(m, label)
	if box.Empty() {
		return nil
	}
	d := boxDims(box)
	mask := boxMask(m, box, label)
	for i := range mask {
		mask[i] = !mask[i]
	}
	comp, sizes := connectedComponents(mask, d, skip)
	open := make([]bool, len(sizes))
	forBox(Box{Max: d}, func(i, j, k, at int) {
		if comp[at] < 0 {
			return
		}
		p := [3]int{i, j, k}
		for a := 0; a < 3; a++ {
			if a != skip && (p[a] == 0 || p[a] == d[a]-1) {
				open[comp[at]] = true
			}
		}
	})
	c := Snapshot(m, "Fill holes", box)
	forBox(box, func(i, j, k, at int) {
		if comp[at] >= 0 && !open[comp[at]] {
			if x := m.Index(i, j, k); m.At(x) == 0 {
				m.Set(x, label)
			}
		}
	})
	return c.Finish(m)
}

// connectedComponents labels the true voxels of mask (dims d, i fastest)
// with component numbers 0.. in the order first met; false voxels get -1.
// Neighbours are the 6 face neighbours, less the two along axis skip when
// skip is 0, 1 or 2 (so components then stay within a slice). It returns
// the component of every voxel and each component's size.
func connectedComponents(mask []bool, d [3]int, skip int) ([]int32, []int32) {
	n := len(mask)
	comp := make([]int32, n)
	for i := range comp {
		comp[i] = -1
	}
	var sizes []int32
	queue := make([]int32, 0, 1024)
	sx, sxy := d[0], d[0]*d[1]
	for start := 0; start < n; start++ {
		if !mask[start] || comp[start] >= 0 {
			continue
		}
		id := int32(len(sizes))
		comp[start] = id
		queue = append(queue[:0], int32(start))
		size := int32(0)
		for h := 0; h < len(queue); h++ {
			v := int(queue[h])
			size++
			i, j, k := v%sx, (v/sx)%d[1], v/sxy
			visit := func(w int) {
				if mask[w] && comp[w] < 0 {
					comp[w] = id
					queue = append(queue, int32(w))
				}
			}
			if skip != 0 {
				if i > 0 {
					visit(v - 1)
				}
				if i < d[0]-1 {
					visit(v + 1)
				}
			}
			if skip != 1 {
				if j > 0 {
					visit(v - sx)
				}
				if j < d[1]-1 {
					visit(v + sx)
				}
			}
			if skip != 2 {
				if k > 0 {
					visit(v - sxy)
				}
				if k < d[2]-1 {
					visit(v + sxy)
				}
			}
		}
		sizes = append(sizes, size)
	}
	return comp, sizes
}

// labelBounds is the bounding box of the voxels holding label (empty when
// there are none).
func labelBounds(m *viewer.LabelMap, label int) Box {
	return bounds(m, func(id int) bool { return id == label })
}

// LabelledBox is the bounding box of every labelled (non-zero) voxel grown
// by margin voxels and clipped to the grid: the region a grow from seeds
// needs to consider. It is empty when the map has no labels.
func LabelledBox(m *viewer.LabelMap, margin int) Box {
	b := bounds(m, func(id int) bool { return id != 0 })
	if b.Empty() {
		return b
	}
	for a := 0; a < 3; a++ {
		b.Min[a] -= margin
		b.Max[a] += margin
	}
	return b.Clip(m.Dims)
}

// bounds is the bounding box of the voxels whose label satisfies in.
func bounds(m *viewer.LabelMap, in func(id int) bool) Box {
	d := m.Dims
	b := Box{Min: d}
	found := false
	x := 0
	for k := 0; k < d[2]; k++ {
		for j := 0; j < d[1]; j++ {
			rowHit := false
			for i := 0; i < d[0]; i++ {
				if in(m.At(x)) {
					if !rowHit {
						b.Min[0] = min(b.Min[0], i)
						rowHit = true
					}
					b.Max[0] = max(b.Max[0], i+1)
				}
				x++
			}
			if rowHit {
				found = true
				b.Min[1], b.Max[1] = min(b.Min[1], j), max(b.Max[1], j+1)
				b.Min[2], b.Max[2] = min(b.Min[2], k), max(b.Max[2], k+1)
			}
		}
	}
	if !found {
		return Box{}
	}
	return b
}

// boxDims is the box's extent along each axis.
func boxDims(b Box) [3]int {
	return [3]int{b.Max[0] - b.Min[0], b.Max[1] - b.Min[1], b.Max[2] - b.Min[2]}
}

// boxMask marks, in box order, the voxels holding label.
func boxMask(m *viewer.LabelMap, b Box, label int) []bool {
	mask := make([]bool, b.Size())
	forBox(b, func(i, j, k, at int) {
		mask[at] = m.At(m.Index(i, j, k)) == label
	})
	return mask
}
