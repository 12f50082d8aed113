package edit

import (
	"math"
	"sync"

	"delineate/viewer"
)

// OverwriteMode says which existing labels a tool may replace.
type OverwriteMode int

// The overwrite modes, as Slicer's "editable area" masking.
const (
	OverwriteAll       OverwriteMode = iota // any label (except locked ones)
	OverwriteEmptyOnly                      // only background (label 0)
	OverwriteLabels                         // only the labels listed in Policy.Only
)

// Range is an inclusive intensity interval [Lo, Hi] (HU for CT).
type Range struct{ Lo, Hi float64 }

// Contains reports whether v lies in [Lo, Hi].
func (r Range) Contains(v float64) bool { return v >= r.Lo && v <= r.Hi }

// Policy says which existing voxels a tool may change. Labels marked Locked
// in the map's table are never overwritten, whatever the policy.
type Policy struct {
	Overwrite OverwriteMode
	Only      []int // for OverwriteLabels
	// Threshold, when non-nil, limits painting to voxels whose image
	// intensity lies within it. A tool given a threshold but no image (or an
	// image on another grid) changes nothing.
	Threshold *Range
}

// gate is a policy resolved for one map and one target label: allow[v] says
// whether a voxel now holding v may be set to the label (false for v equal
// to the label: nothing would change).
type gate struct {
	allow []bool
	thr   *Range
	img   viewer.VoxelData
}

// newGate resolves p; ok is false when the tool can change nothing (label
// outside the map's type, threshold without a matching image).
func newGate(m *viewer.LabelMap, img *viewer.Volume, label int, p Policy) (g gate, ok bool) {
	n := 256
	if _, wide := m.Data.(viewer.Voxels[uint16]); wide {
		n = 65536
	}
	if label < 0 || label >= n {
		return g, false
	}
	if p.Threshold != nil {
		if img == nil || img.Dims != m.Dims {
			return g, false
		}
		r := *p.Threshold
		g.thr, g.img = &r, img.Data
	}
	g.allow = make([]bool, n)
	switch p.Overwrite {
	case OverwriteEmptyOnly:
		g.allow[0] = true
	case OverwriteLabels:
		for _, v := range p.Only {
			if v >= 0 && v < n {
				g.allow[v] = true
			}
		}
	default:
		for i := range g.allow {
			g.allow[i] = true
		}
	}
	for _, l := range m.Table.Labels {
		if l.Locked && l.ID < n {
			g.allow[l.ID] = false
		}
	}
	g.allow[label] = false
	return g, true
}

// Brush is a round brush of physical radius. On anisotropic grids it is an
// ellipse (ellipsoid) in voxels.
type Brush struct {
	RadiusMM float64
	Sphere   bool // false: 2D disc in the plane normal to Axis; true: 3D sphere
	Axis     int  // index axis normal to the painting plane (SliceLayout.NormalAxis)
}

// span is one row of a brush kernel: voxels (di, dj, dk) with di in
// [Lo, Hi], relative to the centre.
type span struct{ DJ, DK, Lo, Hi int }

// kernel is a brush's voxel footprint, as rows along i.
type kernel struct {
	spans []span
	ext   [3]int // half extents in voxels
	n     int    // voxel count
}

type kernelKey struct {
	r      float64
	s      viewer.Vec3
	axis   int
	sphere bool
}

var kernels struct {
	sync.Mutex
	m map[kernelKey]*kernel
}

// brushKernel returns the (cached) footprint of b on a grid of spacing s:
// the voxels d with Σ (d_a·s_a)² ≤ r², and d_axis = 0 for a disc. The
// centre voxel is always included.
func brushKernel(b Brush, s viewer.Vec3) *kernel {
	key := kernelKey{r: max(b.RadiusMM, 0), s: s, axis: b.Axis, sphere: b.Sphere}
	if key.sphere {
		key.axis = -1
	} else if key.axis < 0 || key.axis > 2 {
		key.axis = 2
	}
	kernels.Lock()
	defer kernels.Unlock()
	if k := kernels.m[key]; k != nil {
		return k
	}
	k := buildKernel(key)
	if kernels.m == nil || len(kernels.m) >= 32 {
		kernels.m = map[kernelKey]*kernel{}
	}
	kernels.m[key] = k
	return k
}

func buildKernel(key kernelKey) *kernel {
	r2 := key.r * key.r
	eps := 1e-9 * max(r2, 1)
	k := &kernel{}
	for a := 0; a < 3; a++ {
		if a == key.axis || !(key.s[a] > 0) {
			continue
		}
		k.ext[a] = int(math.Floor(key.r/key.s[a] + 1e-9))
	}
	for dk := -k.ext[2]; dk <= k.ext[2]; dk++ {
		zk := float64(dk) * key.s[2]
		for dj := -k.ext[1]; dj <= k.ext[1]; dj++ {
			zj := float64(dj) * key.s[1]
			rem := r2 - zk*zk - zj*zj
			if rem < -eps {
				continue
			}
			h := 0
			if k.ext[0] > 0 {
				h = min(int(math.Floor(math.Sqrt(max(rem, 0))/key.s[0]+1e-9)), k.ext[0])
			}
			k.spans = append(k.spans, span{DJ: dj, DK: dk, Lo: -h, Hi: h})
			k.n += 2*h + 1
		}
	}
	return k
}

// box is the kernel's bounding box at centre c (not clipped).
func (k *kernel) box(c [3]int) Box {
	var b Box
	for a := 0; a < 3; a++ {
		b.Min[a], b.Max[a] = c[a]-k.ext[a], c[a]+k.ext[a]+1
	}
	return b
}

// PaintDab paints one brush dab of label (0 erases) centred on voxel centre,
// within the policy. It returns the change, or nil when nothing changed.
// img is needed only for a threshold policy.
func PaintDab(m *viewer.LabelMap, img *viewer.Volume, b Brush, centre [3]int, label int, p Policy) *Change {
	g, ok := newGate(m, img, label, p)
	if !ok {
		return nil
	}
	k := brushKernel(b, m.Spacing)
	box := k.box(centre).Clip(m.Dims)
	if box.Empty() {
		return nil
	}
	c := Snapshot(m, "Paint", box)
	if label == 0 {
		c.Name = "Erase"
	}
	applyDab(m, k, centre, label, &g, nil)
	return c.Finish(m)
}

// applyDab writes the kernel at c through the gate. rec, when non-nil,
// records each voxel changed. It returns the box of voxels changed.
func applyDab(m *viewer.LabelMap, k *kernel, c [3]int, label int, g *gate, rec *recorder) Box {
	switch d := m.Data.(type) {
	case viewer.Voxels[uint8]:
		return dabInto([]uint8(d), m.Dims, k, c, label, g, rec)
	case viewer.Voxels[uint16]:
		return dabInto([]uint16(d), m.Dims, k, c, label, g, rec)
	}
	return Box{}
}

func dabInto[L uint8 | uint16](lab []L, dims [3]int, k *kernel, c [3]int, label int, g *gate, rec *recorder) Box {
	changed := Box{Min: dims, Max: [3]int{}}
	nx, ny, nz := dims[0], dims[1], dims[2]
	lv := L(label)
	allow := g.allow
	for _, s := range k.spans {
		j, kk := c[1]+s.DJ, c[2]+s.DK
		if j < 0 || j >= ny || kk < 0 || kk >= nz {
			continue
		}
		i0, i1 := max(c[0]+s.Lo, 0), min(c[0]+s.Hi, nx-1)
		if i0 > i1 {
			continue
		}
		base := nx * (j + ny*kk)
		hit := false
		row := lab[base+i0 : base+i1+1]
		for x, v := range row {
			if !allow[v] {
				continue
			}
			if g.thr != nil && !g.thr.Contains(g.img.At(base+i0+x)) {
				continue
			}
			if rec != nil {
				rec.add(base+i0+x, uint16(v))
			}
			row[x] = lv
			if !hit {
				hit = true
				changed.Min[0] = min(changed.Min[0], i0+x)
			}
			changed.Max[0] = max(changed.Max[0], i0+x+1)
		}
		if hit {
			changed.Min[1], changed.Max[1] = min(changed.Min[1], j), max(changed.Max[1], j+1)
			changed.Min[2], changed.Max[2] = min(changed.Min[2], kk), max(changed.Max[2], kk+1)
		}
	}
	if changed.Empty() {
		return Box{}
	}
	return changed
}
