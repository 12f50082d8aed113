package edit

import (
	"math"

	"delineate/viewer"
)

// recorder notes the voxels a multi-step edit changes, with their labels
// before, so one exact Change can be built at the end without knowing the
// box in advance. A tool only sets voxels to its own label and never
// rewrites a voxel already holding it, so each voxel is recorded once.
type recorder struct {
	idx []int
	old []uint16
}

func (r *recorder) add(i int, old uint16) {
	r.idx = append(r.idx, i)
	r.old = append(r.old, old)
}

// change builds the Change over the tight box of the recorded voxels, or
// nil when none were.
func (r *recorder) change(m *viewer.LabelMap, name string) *Change {
	if len(r.idx) == 0 {
		return nil
	}
	nx, ny := m.Dims[0], m.Dims[1]
	box := Box{Min: m.Dims}
	for _, i := range r.idx {
		c := [3]int{i % nx, (i / nx) % ny, i / (nx * ny)}
		for a := 0; a < 3; a++ {
			box.Min[a] = min(box.Min[a], c[a])
			box.Max[a] = max(box.Max[a], c[a]+1)
		}
	}
	after := readBox(m, box)
	before := make([]uint16, len(after))
	copy(before, after)
	w, h := box.Max[0]-box.Min[0], box.Max[1]-box.Min[1]
	for n, i := range r.idx {
		x, y, z := i%nx-box.Min[0], (i/nx)%ny-box.Min[1], i/(nx*ny)-box.Min[2]
		before[x+w*(y+h*z)] = r.old[n]
	}
	return &Change{Name: name, Box: box, Before: before, After: after}
}

// Stroke is a brush stroke: dabs along the polyline of the mouse positions,
// spaced at most half the radius apart (and at most one voxel along each
// axis) so the painted band has no gaps. The whole stroke is one Change.
type Stroke struct {
	m     *viewer.LabelMap
	k     *kernel
	b     Brush
	label int
	g     gate
	ok    bool
	rec   recorder
	last  [3]float64
	dab   [3]int // centre of the last dab
	begun bool
	ended bool
}

// NewStroke starts a stroke of label (0 erases) with brush b under policy p;
// img is needed only for a threshold policy.
func NewStroke(m *viewer.LabelMap, img *viewer.Volume, b Brush, label int, p Policy) *Stroke {
	s := &Stroke{m: m, b: b, label: label}
	s.g, s.ok = newGate(m, img, label, p)
	s.k = brushKernel(b, m.Spacing)
	return s
}

// Add extends the stroke to pt, a continuous voxel index (i, j, k), and
// returns the box of voxels it changed (empty when none), for the UI to
// redraw.
func (s *Stroke) Add(pt [3]float64) Box {
	if s.ended || !s.ok {
		return Box{}
	}
	if !s.begun {
		s.begun = true
		s.last = pt
		s.dab = roundIdx(pt)
		return applyDab(s.m, s.k, s.dab, s.label, &s.g, &s.rec)
	}
	from := s.last
	s.last = pt
	var d [3]float64
	lenMM, maxVox := 0.0, 0.0
	for a := 0; a < 3; a++ {
		d[a] = pt[a] - from[a]
		lenMM += d[a] * d[a] * s.m.Spacing[a] * s.m.Spacing[a]
		maxVox = max(maxVox, math.Abs(d[a]))
	}
	lenMM = math.Sqrt(lenMM)
	step := s.b.RadiusMM / 2
	n := int(math.Ceil(maxVox))
	if step > 0 {
		n = max(n, int(math.Ceil(lenMM/step)))
	}
	var box Box
	for t := 1; t <= n; t++ {
		f := float64(t) / float64(n)
		c := roundIdx([3]float64{from[0] + f*d[0], from[1] + f*d[1], from[2] + f*d[2]})
		if c == s.dab {
			continue
		}
		s.dab = c
		box = box.Union(applyDab(s.m, s.k, c, s.label, &s.g, &s.rec))
	}
	return box
}

// End finishes the stroke and returns its change, or nil when it changed
// nothing. Later Adds do nothing.
func (s *Stroke) End() *Change {
	if s.ended {
		return nil
	}
	s.ended = true
	name := "Paint"
	if s.label == 0 {
		name = "Erase"
	}
	c := s.rec.change(s.m, name)
	s.rec = recorder{}
	return c
}

func roundIdx(p [3]float64) [3]int {
	return [3]int{int(math.Round(p[0])), int(math.Round(p[1])), int(math.Round(p[2]))}
}
