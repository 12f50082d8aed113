package edit

import (
	"math"
	"slices"
	"testing"

	"delineate/viewer"
)

func testGeom(dims [3]int, sp viewer.Vec3) viewer.Geometry {
	return viewer.Geometry{Dims: dims, Spacing: sp, Direction: viewer.Identity3}
}

func newTestMap(t testing.TB, dims [3]int, sp viewer.Vec3, maxID int) *viewer.LabelMap {
	t.Helper()
	m, err := viewer.NewLabelMap(testGeom(dims, sp), maxID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newTestImage is an int16 image whose voxel (i,j,k) is f(i,j,k).
func newTestImage(t testing.TB, dims [3]int, sp viewer.Vec3, f func(i, j, k int) int16) *viewer.Volume {
	t.Helper()
	v, err := viewer.NewVolume(testGeom(dims, sp), viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	d := v.Data.(viewer.Voxels[int16])
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				d[v.Index(i, j, k)] = f(i, j, k)
			}
		}
	}
	return v
}

func labelsOf(m *viewer.LabelMap) []int {
	out := make([]int, m.NumVoxels())
	for i := range out {
		out[i] = m.At(i)
	}
	return out
}

// countLabel counts voxels holding id and their bounding box.
func countLabel(m *viewer.LabelMap, id int) (int, Box) {
	n, b := 0, Box{}
	for k := 0; k < m.Dims[2]; k++ {
		for j := 0; j < m.Dims[1]; j++ {
			for i := 0; i < m.Dims[0]; i++ {
				if m.At(m.Index(i, j, k)) == id {
					n++
					b = b.Union(Box{Min: [3]int{i, j, k}, Max: [3]int{i + 1, j + 1, k + 1}})
				}
			}
		}
	}
	return n, b
}

// checkUndoRedo pushes c, undoes it (the map must equal before), and redoes
// it (the map must equal after).
func checkUndoRedo(t *testing.T, m *viewer.LabelMap, before []int, c *Change) {
	t.Helper()
	if c == nil {
		t.Fatal("no change")
	}
	after := labelsOf(m)
	var h History
	h.Push(c)
	if _, ok := h.Undo(m); !ok {
		t.Fatal("undo failed")
	}
	if !slices.Equal(labelsOf(m), before) {
		t.Fatal("undo did not restore the map")
	}
	if _, ok := h.Redo(m); !ok {
		t.Fatal("redo failed")
	}
	if !slices.Equal(labelsOf(m), after) {
		t.Fatal("redo did not re-apply the change")
	}
}

func TestSphereIsDigitalBall(t *testing.T) {
	for _, r := range []float64{0, 1, 3, 5.5, 7} {
		m := newTestMap(t, [3]int{41, 41, 41}, viewer.Vec3{1, 1, 1}, 255)
		c := [3]int{20, 19, 21}
		ch := PaintDab(m, nil, Brush{RadiusMM: r, Sphere: true}, c, 3, Policy{})
		want := 0
		for k := 0; k < 41; k++ {
			for j := 0; j < 41; j++ {
				for i := 0; i < 41; i++ {
					di, dj, dk := i-c[0], j-c[1], k-c[2]
					in := float64(di*di+dj*dj+dk*dk) <= r*r
					if in {
						want++
					}
					if got := m.At(m.Index(i, j, k)) == 3; got != in {
						t.Fatalf("r=%g: voxel %d,%d,%d painted=%v, in ball=%v", r, i, j, k, got, in)
					}
				}
			}
		}
		if n, _ := countLabel(m, 3); n != want || ch == nil || ch.Box.Size() != sizeCube(int(r)) {
			t.Fatalf("r=%g: %d voxels, want %d (change %v)", r, n, want, ch)
		}
	}
}

func sizeCube(h int) int { return (2*h + 1) * (2*h + 1) * (2*h + 1) }

func TestSphereAnisotropicExtents(t *testing.T) {
	sp := viewer.Vec3{0.7, 0.8, 2.5}
	m := newTestMap(t, [3]int{60, 60, 30}, sp, 255)
	c := [3]int{30, 28, 14}
	PaintDab(m, nil, Brush{RadiusMM: 10, Sphere: true}, c, 1, Policy{})
	_, b := countLabel(m, 1)
	ext := [3]int{14, 12, 4} // floor(10/0.7), floor(10/0.8), floor(10/2.5)
	for a := 0; a < 3; a++ {
		if b.Min[a] != c[a]-ext[a] || b.Max[a] != c[a]+ext[a]+1 {
			t.Fatalf("axis %d: extent %d..%d, want %d..%d", a, b.Min[a], b.Max[a]-1, c[a]-ext[a], c[a]+ext[a])
		}
	}
	for k := 0; k < 30; k++ {
		for j := 0; j < 60; j++ {
			for i := 0; i < 60; i++ {
				x, y, z := float64(i-c[0])*sp[0], float64(j-c[1])*sp[1], float64(k-c[2])*sp[2]
				in := x*x+y*y+z*z <= 100+1e-9
				if got := m.At(m.Index(i, j, k)) == 1; got != in {
					t.Fatalf("voxel %d,%d,%d painted=%v, in ellipsoid=%v", i, j, k, got, in)
				}
			}
		}
	}
}

func TestDiscTouchesOneSlice(t *testing.T) {
	sp := viewer.Vec3{0.5, 1, 2}
	for axis := 0; axis < 3; axis++ {
		m := newTestMap(t, [3]int{40, 40, 40}, sp, 255)
		c := [3]int{20, 21, 19}
		ch := PaintDab(m, nil, Brush{RadiusMM: 6, Axis: axis}, c, 2, Policy{})
		n, b := countLabel(m, 2)
		if b.Min[axis] != c[axis] || b.Max[axis] != c[axis]+1 || ch.Box != b {
			t.Fatalf("axis %d: painted box %v, change box %v", axis, b, ch.Box)
		}
		want := 0
		for k := 0; k < 40; k++ {
			for j := 0; j < 40; j++ {
				for i := 0; i < 40; i++ {
					d := [3]int{i - c[0], j - c[1], k - c[2]}
					if d[axis] != 0 {
						continue
					}
					s := 0.0
					for a := 0; a < 3; a++ {
						s += float64(d[a]) * sp[a] * float64(d[a]) * sp[a]
					}
					if s <= 36+1e-9 {
						want++
					}
				}
			}
		}
		if n != want {
			t.Fatalf("axis %d: %d voxels, want %d", axis, n, want)
		}
	}
}

func TestDabClippedAtEdge(t *testing.T) {
	m := newTestMap(t, [3]int{10, 10, 10}, viewer.Vec3{1, 1, 1}, 255)
	ch := PaintDab(m, nil, Brush{RadiusMM: 3, Sphere: true}, [3]int{0, 9, 0}, 1, Policy{})
	if ch == nil || ch.Box != (Box{Min: [3]int{0, 6, 0}, Max: [3]int{4, 10, 4}}) {
		t.Fatalf("edge dab change %+v", ch)
	}
	if PaintDab(m, nil, Brush{RadiusMM: 3, Sphere: true}, [3]int{-10, 0, 0}, 1, Policy{}) != nil {
		t.Fatal("dab off the grid changed something")
	}
}

func TestEraser(t *testing.T) {
	m := newTestMap(t, [3]int{20, 20, 20}, viewer.Vec3{1, 1, 1}, 255)
	b := Brush{RadiusMM: 4, Sphere: true}
	PaintDab(m, nil, b, [3]int{10, 10, 10}, 5, Policy{})
	before := labelsOf(m)
	ch := PaintDab(m, nil, b, [3]int{10, 10, 10}, 0, Policy{})
	if n, _ := countLabel(m, 5); n != 0 {
		t.Fatalf("%d voxels left after erasing", n)
	}
	if ch.Name != "Erase" {
		t.Fatalf("name %q", ch.Name)
	}
	checkUndoRedo(t, m, before, ch)
	// Erasing nothing changes nothing.
	if PaintDab(m, nil, b, [3]int{10, 10, 10}, 0, Policy{}) != nil {
		t.Fatal("second erase reported a change")
	}
}

// policyMap is a 9×1×1 row of labels 0,2,3,0,2,3,4,4,0.
func policyMap(t *testing.T) *viewer.LabelMap {
	m := newTestMap(t, [3]int{9, 1, 1}, viewer.Vec3{1, 1, 1}, 255)
	for i, v := range []int{0, 2, 3, 0, 2, 3, 4, 4, 0} {
		m.Set(i, v)
	}
	return m
}

func TestPolicies(t *testing.T) {
	b := Brush{RadiusMM: 10, Axis: 2} // covers the whole row
	centre := [3]int{4, 0, 0}
	cases := []struct {
		name   string
		p      Policy
		locked []int
		want   []int
	}{
		{"all", Policy{}, nil, []int{1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"empty only", Policy{Overwrite: OverwriteEmptyOnly}, nil, []int{1, 2, 3, 1, 2, 3, 4, 4, 1}},
		{"only 2 and 4", Policy{Overwrite: OverwriteLabels, Only: []int{2, 4}}, nil, []int{0, 1, 3, 0, 1, 3, 1, 1, 0}},
		{"locked 3", Policy{}, []int{3}, []int{1, 1, 3, 1, 1, 3, 1, 1, 1}},
		{"locked 2 with only 2", Policy{Overwrite: OverwriteLabels, Only: []int{2, 3}}, []int{2}, []int{0, 2, 1, 0, 2, 1, 4, 4, 0}},
		{"empty only, no empty voxels", Policy{Overwrite: OverwriteEmptyOnly}, []int{0}, []int{0, 2, 3, 0, 2, 3, 4, 4, 0}},
	}
	for _, tc := range cases {
		m := policyMap(t)
		for _, id := range tc.locked {
			if id == 0 {
				continue // label 0 cannot be in the table
			}
			if err := m.Table.Set(viewer.Label{ID: id, Locked: true}); err != nil {
				t.Fatal(err)
			}
		}
		if slices.Contains(tc.locked, 0) {
			// Nothing to lock: background is not a table entry, so instead
			// check empty-only with no empty voxels changes nothing.
			for i := range 9 {
				if m.At(i) == 0 {
					m.Set(i, 4)
				}
			}
			tc.want = []int{4, 2, 3, 4, 2, 3, 4, 4, 4}
		}
		before := labelsOf(m)
		ch := PaintDab(m, nil, b, centre, 1, tc.p)
		if got := labelsOf(m); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		if slices.Equal(before, tc.want) {
			if ch != nil {
				t.Errorf("%s: change reported for no change", tc.name)
			}
			continue
		}
		checkUndoRedo(t, m, before, ch)
	}
}

func TestLockedNotErased(t *testing.T) {
	m := policyMap(t)
	m.Table.Set(viewer.Label{ID: 4, Locked: true})
	PaintDab(m, nil, Brush{RadiusMM: 10, Axis: 2}, [3]int{4, 0, 0}, 0, Policy{})
	if got, want := labelsOf(m), []int{0, 0, 0, 0, 0, 0, 4, 4, 0}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestThresholdPaint(t *testing.T) {
	dims := [3]int{30, 30, 1}
	img := newTestImage(t, dims, viewer.Vec3{1, 1, 1}, func(i, j, k int) int16 { return int16(10*i - 100) })
	m := newTestMap(t, dims, viewer.Vec3{1, 1, 1}, 255)
	p := Policy{Threshold: &Range{Lo: -20, Hi: 40}} // i in 8..14
	PaintDab(m, img, Brush{RadiusMM: 20, Axis: 2}, [3]int{15, 15, 0}, 1, p)
	for j := 0; j < 30; j++ {
		for i := 0; i < 30; i++ {
			in := i >= 8 && i <= 14 && (i-15)*(i-15)+(j-15)*(j-15) <= 400
			if got := m.At(m.Index(i, j, 0)) == 1; got != in {
				t.Fatalf("voxel %d,%d painted=%v want %v", i, j, got, in)
			}
		}
	}
	// A threshold without an image paints nothing.
	if PaintDab(m, nil, Brush{RadiusMM: 20, Axis: 2}, [3]int{15, 15, 0}, 2, p) != nil {
		t.Fatal("threshold without image painted")
	}
}

func TestLabelOutsideMapType(t *testing.T) {
	m := newTestMap(t, [3]int{5, 5, 5}, viewer.Vec3{1, 1, 1}, 255)
	if PaintDab(m, nil, Brush{RadiusMM: 2}, [3]int{2, 2, 2}, 300, Policy{}) != nil {
		t.Fatal("label 300 painted into a uint8 map")
	}
	w := newTestMap(t, [3]int{5, 5, 5}, viewer.Vec3{1, 1, 1}, 1000)
	before := labelsOf(w)
	ch := PaintDab(w, nil, Brush{RadiusMM: 2}, [3]int{2, 2, 2}, 300, Policy{})
	if n, _ := countLabel(w, 300); n == 0 {
		t.Fatal("label 300 not painted into a uint16 map")
	}
	checkUndoRedo(t, w, before, ch)
}

// connected reports whether the voxels holding id form one component
// (6-connected, or 26-connected when diag).
func connected(m *viewer.LabelMap, id int, diag bool) bool {
	n, _ := countLabel(m, id)
	if n == 0 {
		return false
	}
	start := -1
	for i := 0; i < m.NumVoxels(); i++ {
		if m.At(i) == id {
			start = i
			break
		}
	}
	seen := map[int]bool{start: true}
	stack := []int{start}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j, k := v%m.Dims[0], (v/m.Dims[0])%m.Dims[1], v/(m.Dims[0]*m.Dims[1])
		for dk := -1; dk <= 1; dk++ {
			for dj := -1; dj <= 1; dj++ {
				for di := -1; di <= 1; di++ {
					if !diag && abs(di)+abs(dj)+abs(dk) != 1 {
						continue
					}
					x, y, z := i+di, j+dj, k+dk
					if x < 0 || y < 0 || z < 0 || x >= m.Dims[0] || y >= m.Dims[1] || z >= m.Dims[2] {
						continue
					}
					w := m.Index(x, y, z)
					if !seen[w] && m.At(w) == id {
						seen[w] = true
						stack = append(stack, w)
					}
				}
			}
		}
	}
	return len(seen) == n
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestStrokeHasNoGaps(t *testing.T) {
	for _, tc := range []struct {
		r    float64
		diag bool
	}{{3, false}, {1, false}, {0.2, true}} {
		m := newTestMap(t, [3]int{120, 100, 5}, viewer.Vec3{0.7, 0.7, 3}, 255)
		before := labelsOf(m)
		s := NewStroke(m, nil, Brush{RadiusMM: tc.r, Axis: 2}, 7, Policy{})
		pts := [][3]float64{{5, 5, 2}, {110.4, 80.6, 2}, {20, 95, 2}, {21, 95, 2}}
		var boxes Box
		for _, p := range pts {
			boxes = boxes.Union(s.Add(p))
		}
		c := s.End()
		if c == nil {
			t.Fatal("no change")
		}
		if !connected(m, 7, tc.diag) {
			t.Fatalf("r=%g: stroke is not connected", tc.r)
		}
		for _, p := range pts {
			if m.At(m.Index(int(math.Round(p[0])), int(math.Round(p[1])), 2)) != 7 {
				t.Fatalf("r=%g: point %v not painted", tc.r, p)
			}
		}
		_, b := countLabel(m, 7)
		if c.Box != b || boxes != b || b.Min[2] != 2 || b.Max[2] != 3 {
			t.Fatalf("r=%g: change box %v, Add boxes %v, painted %v", tc.r, c.Box, boxes, b)
		}
		checkUndoRedo(t, m, before, c)
		if s.End() != nil || !s.Add([3]float64{50, 50, 2}).Empty() {
			t.Fatal("stroke still active after End")
		}
	}
}

func TestStrokeOverExistingLabels(t *testing.T) {
	m := newTestMap(t, [3]int{40, 40, 40}, viewer.Vec3{1, 1, 1}, 255)
	for i := 0; i < m.NumVoxels(); i++ {
		m.Set(i, (i*7)%5)
	}
	m.Table.Set(viewer.Label{ID: 3, Locked: true})
	before := labelsOf(m)
	s := NewStroke(m, nil, Brush{RadiusMM: 4, Sphere: true}, 2, Policy{Overwrite: OverwriteLabels, Only: []int{0, 1, 3}})
	for _, p := range [][3]float64{{5, 5, 5}, {30, 8, 20}, {10, 35, 33}, {30, 8, 20}} {
		s.Add(p)
	}
	c := s.End()
	for i, v := range labelsOf(m) {
		if v != before[i] && (v != 2 || (before[i] != 0 && before[i] != 1)) {
			t.Fatalf("voxel %d: %d → %d", i, before[i], v)
		}
	}
	checkUndoRedo(t, m, before, c)
}

func TestSampleRange(t *testing.T) {
	img := newTestImage(t, [3]int{10, 10, 10}, viewer.Vec3{1, 1, 1}, func(i, j, k int) int16 {
		if i < 5 {
			return 100
		}
		return int16(200 + 10*(k%2))
	})
	if r := SampleRange(img, [3]int{2, 5, 5}, 1); r != (Range{100, 100}) {
		t.Fatalf("uniform: %v", r)
	}
	r := SampleRange(img, [3]int{8, 5, 5}, 1) // 9 of 200, 18 of 210 → mean 206.67, sd 4.71
	if !(r.Lo < 200 && r.Lo > 190 && r.Hi > 210 && r.Hi < 215) {
		t.Fatalf("mixed: %v", r)
	}
	if r := SampleRange(img, [3]int{-1, 0, 0}, 1); r.Lo <= r.Hi {
		t.Fatalf("outside: %v", r)
	}
}
