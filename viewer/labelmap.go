package viewer

import (
	"fmt"
	"image/color"
	"slices"
	"sort"
)

// Label is one entry of a label table.
type Label struct {
	ID      int        `json:"id"`
	Name    string     `json:"name"`
	Colour  color.RGBA `json:"colour"`
	Visible bool       `json:"visible"`
	Locked  bool       `json:"locked"` // locked labels are never overwritten by edit tools
}

// LabelTable names and colours label ids. Ids not in the table still draw,
// with the default palette colour.
type LabelTable struct {
	Labels []Label // sorted by ID, unique IDs, no ID 0
}

// Get returns the entry for id.
func (t *LabelTable) Get(id int) (Label, bool) {
	i := sort.Search(len(t.Labels), func(i int) bool { return t.Labels[i].ID >= id })
	if i < len(t.Labels) && t.Labels[i].ID == id {
		return t.Labels[i], true
	}
	return Label{}, false
}

// Set inserts or replaces an entry, keeping the table sorted.
func (t *LabelTable) Set(l Label) error {
	if l.ID <= 0 || l.ID > MaxLabelID {
		return fmt.Errorf("label id %d outside 1..%d", l.ID, MaxLabelID)
	}
	i := sort.Search(len(t.Labels), func(i int) bool { return t.Labels[i].ID >= l.ID })
	if i < len(t.Labels) && t.Labels[i].ID == l.ID {
		t.Labels[i] = l
		return nil
	}
	t.Labels = append(t.Labels, Label{})
	copy(t.Labels[i+1:], t.Labels[i:])
	t.Labels[i] = l
	return nil
}

// Colours returns a colour table for rendering: the entries' colours, the
// default palette elsewhere, and alpha 0 for hidden labels.
func (t *LabelTable) Colours() LabelColours {
	n := 256
	for _, l := range t.Labels {
		n = max(n, l.ID+1)
	}
	c := make(LabelColours, n)
	def := DefaultLabelColours()
	for id := 1; id < n; id++ {
		c[id] = def.Colour(id)
	}
	for _, l := range t.Labels {
		c[l.ID] = l.Colour
		if !l.Visible {
			c[l.ID].A = 0
		}
	}
	return c
}

// MaxLabelID is the largest label id a label map can hold (uint16).
const MaxLabelID = 65535

// LabelMap is a label volume on an image's grid: uint8 voxels, or uint16
// when more than 255 ids are needed, plus its label table. The embedded
// Volume is what renderers and writers see.
type LabelMap struct {
	*Volume
	Table LabelTable
}

// NewLabelMap allocates an empty label map on g; maxID > 255 selects uint16.
func NewLabelMap(g Geometry, maxID int) (*LabelMap, error) {
	t := Uint8
	if maxID > 255 {
		t = Uint16
	}
	v, err := NewVolume(g, t)
	if err != nil {
		return nil, err
	}
	return &LabelMap{Volume: v}, nil
}

// LabelMapFromVolume adopts a loaded volume as labels: integer voxels in
// 0..65535, converted to uint8/uint16 (a copy only when the type differs).
func LabelMapFromVolume(v *Volume) (*LabelMap, error) {
	lo, hi := v.Range()
	if lo < 0 || hi > MaxLabelID {
		return nil, fmt.Errorf("label values %g..%g outside 0..%d", lo, hi, MaxLabelID)
	}
	want := Uint8
	if hi > 255 {
		want = Uint16
	}
	if v.Data.Type() == want {
		return &LabelMap{Volume: v}, nil
	}
	m, err := NewLabelMap(v.Geometry, int(hi))
	if err != nil {
		return nil, err
	}
	for i := 0; i < v.Data.Len(); i++ {
		f := v.Data.At(i)
		if f != float64(int(f)) {
			return nil, fmt.Errorf("label value %g at voxel %d is not an integer", f, i)
		}
		m.Set(i, int(f))
	}
	m.Modality, m.Description = v.Modality, v.Description
	return m, nil
}

// At returns the label at linear index i.
func (m *LabelMap) At(i int) int {
	switch d := m.Data.(type) {
	case Voxels[uint8]:
		return int(d[i])
	case Voxels[uint16]:
		return int(d[i])
	}
	return int(m.Data.At(i))
}

// Set writes label id at linear index i. The caller keeps id within the
// map's type (see Widen).
func (m *LabelMap) Set(i, id int) {
	switch d := m.Data.(type) {
	case Voxels[uint8]:
		d[i] = uint8(id)
	case Voxels[uint16]:
		d[i] = uint16(id)
	}
}

// Widen switches a uint8 map to uint16 so ids above 255 fit.
func (m *LabelMap) Widen() {
	d, ok := m.Data.(Voxels[uint8])
	if !ok {
		return
	}
	w := make(Voxels[uint16], len(d))
	for i, x := range d {
		w[i] = uint16(x)
	}
	v := *m.Volume
	v.Data = w
	m.Volume = &v
}

// Clone copies the label voxels and the table, so background work (grow,
// statistics) can read a stable map while the user keeps painting.
func (m *LabelMap) Clone() *LabelMap {
	v := *m.Volume
	switch d := m.Data.(type) {
	case Voxels[uint8]:
		v.Data = slices.Clone(d)
	case Voxels[uint16]:
		v.Data = slices.Clone(d)
	}
	return &LabelMap{Volume: &v, Table: LabelTable{Labels: slices.Clone(m.Table.Labels)}}
}

// Locked reports whether the table marks id locked.
func (m *LabelMap) Locked(id int) bool {
	l, ok := m.Table.Get(id)
	return ok && l.Locked
}

// Present lists the non-zero ids that occur in the map, ascending.
func (m *LabelMap) Present() []int {
	seen := make([]bool, MaxLabelID+1)
	switch d := m.Data.(type) {
	case Voxels[uint8]:
		for _, v := range d {
			seen[v] = true
		}
	case Voxels[uint16]:
		for _, v := range d {
			seen[v] = true
		}
	}
	var ids []int
	for id := 1; id < len(seen); id++ {
		if seen[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// PaintSlice writes id into the voxels of slice k (plane layout l) where
// mask (W×H, row-major as the slice shows it) is non-zero, and returns how
// many voxels changed: how a mask found on a slice (a detector's, a
// prompted segmenter's) becomes labels.
func (m *LabelMap) PaintSlice(l SliceLayout, k int, mask []uint8, id int) int {
	changed := 0
	for p, on := range mask {
		if on == 0 {
			continue
		}
		v := l.Voxel(k, p%l.Width, p/l.Width)
		i := m.Index(v[0], v[1], v[2])
		if m.At(i) != id {
			m.Set(i, id)
			changed++
		}
	}
	return changed
}
