// Package phantom generates a synthetic CT of the trunk, with an exact
// ground-truth label map, entirely in code.
//
// It exists so that Delineate has something real-looking to show with no
// study open and no network: every feature of the viewer and the annotation
// tools can be demonstrated on it offline, and because the label map is
// exact (it is painted from the same tissue map as the image), the built-in
// tools can be measured against ground truth in tests.
//
// The anatomy is a fixed arrangement of simple solids (ellipsoids, tapered
// tubes, extruded squircles and a few custom shapes) in patient
// millimetres: the body wall with skin, fat and muscle; lungs with a
// pulmonary vessel tree; the heart with contrast-filled chambers, aorta,
// pulmonary arteries, vena cava, airways and oesophagus; liver,
// gallbladder, spleen, kidneys, stomach, pancreas, small bowel and colon;
// spine, ribs, costal cartilages, sternum, clavicles, scapulae and iliac
// wings; and the scanner table. Every voxel gets the one tissue painted at
// its centre, and every tissue has one label and one HU value, so the label
// map is exactly the structure whose density was put there. The image is
// then blurred by a 3×3 kernel in plane, which softens each boundary over a
// voxel as partial volume does in a real reconstruction, and given Gaussian
// noise of the requested strength, blurred with it so that its grain looks
// like CT noise rather than salt and pepper.
//
// Output is deterministic for given Options: each slice draws its noise
// from its own PCG stream seeded from (Seed, slice), so the result does not
// depend on how slices are scheduled across CPUs. The anatomy, and so the
// label map, does not depend on the seed at all.
package phantom

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"delineate/viewer"
)

// Label is one structure of the ground truth.
type Label struct {
	ID     int
	Name   string // TotalSegmentator-style snake_case
	Colour color.RGBA
}

// Options controls the sampling of the phantom; the anatomy itself is fixed.
type Options struct {
	// Dims is the grid size (i, j, k) = (x, y, z). The volume is centred on
	// the patient-space origin; a field of Dims×Spacing smaller than the
	// default crops the body.
	Dims [3]int
	// Spacing is the voxel size in mm.
	Spacing viewer.Vec3
	// Seed picks the noise. It does not change the anatomy.
	Seed int64
	// Noise is the standard deviation of the image noise in HU; 0 gives a
	// noise-free image.
	Noise float64
}

// DefaultOptions is the start-up demo: 256×256×160 voxels of 1.5×1.5×2 mm,
// a 38 cm field and 32 cm from the iliac crests to the lower neck, with the
// noise of a routine-dose scan.
func DefaultOptions() Options {
	return Options{Dims: [3]int{256, 256, 160}, Spacing: viewer.Vec3{1.5, 1.5, 2}, Seed: 1, Noise: 12}
}

// maxVoxels bounds the grid: two bytes of CT and one of labels per voxel,
// so 2²⁷ voxels is 384 MiB, more than any demo needs.
const maxVoxels = 1 << 27

func (o Options) validate() error {
	n := 1
	for a, d := range o.Dims {
		if d < 1 || d > 4096 {
			return fmt.Errorf("phantom: dimension %d is %d, want 1..4096", a, d)
		}
		n *= d
		if s := o.Spacing[a]; !(s > 0) || s > 100 || math.IsInf(s, 0) {
			return fmt.Errorf("phantom: spacing %d is %g mm, want more than 0 and at most 100", a, s)
		}
	}
	if n > maxVoxels {
		return fmt.Errorf("phantom: %d voxels is more than %d", n, maxVoxels)
	}
	if !(o.Noise >= 0) || o.Noise > 1000 || math.IsInf(o.Noise, 0) {
		return fmt.Errorf("phantom: noise %g HU, want 0..1000", o.Noise)
	}
	return nil
}

// Geometry is the grid Generate samples for opt: identity direction (axial,
// LPS) and the origin placing the grid's centre at (0, 0, 0).
func (o Options) Geometry() viewer.Geometry {
	g := viewer.Geometry{Dims: o.Dims, Spacing: o.Spacing, Direction: viewer.Identity3}
	for a := 0; a < 3; a++ {
		g.Origin[a] = -float64(o.Dims[a]-1) * o.Spacing[a] / 2
	}
	return g
}

// Generate returns the phantom CT (Int16, HU), its label map (Uint8, same
// geometry) and the label table.
func Generate(opt Options) (ct, labels *viewer.Volume, table []Label, err error) {
	ct, labels, _, err = generate(opt, false, runtime.NumCPU())
	if err != nil {
		return nil, nil, nil, err
	}
	return ct, labels, Labels(), nil
}

// headerWindows are the presets a scanner would write for a chest/abdomen
// series (DICOM Window Center/Width with their explanations).
var headerWindows = []viewer.WindowPreset{
	{Name: "ABDOMEN", Center: 40, Width: 400},
	{Name: "LUNG", Center: -600, Width: 1500},
	{Name: "BONE", Center: 400, Width: 1800},
}

// generate is Generate on the given number of workers, optionally keeping
// the tissue map, for the tests.
func generate(opt Options, keepTissue bool, workers int) (ct, labels *viewer.Volume, tis []tissue, err error) {
	if err := opt.validate(); err != nil {
		return nil, nil, nil, err
	}
	g := opt.Geometry()
	if ct, err = viewer.NewVolume(g, viewer.Int16); err != nil {
		return nil, nil, nil, err
	}
	if labels, err = viewer.NewVolume(g, viewer.Uint8); err != nil {
		return nil, nil, nil, err
	}
	ct.Modality, ct.Description = "CT", "Delineate phantom"
	ct.Windows = append([]viewer.WindowPreset(nil), headerWindows...)
	labels.Description = "Delineate phantom labels"
	if keepTissue {
		tis = make([]tissue, g.NumVoxels())
	}
	r := newRaster(g, model(), opt)
	r.ct = ct.Data.(viewer.Voxels[int16])
	r.lab = labels.Data.(viewer.Voxels[uint8])
	r.tis = tis
	r.run(workers)
	return ct, labels, tis, nil
}

// raster samples the model on a grid, one slice at a time.
type raster struct {
	nx, ny, nz int
	xs, ys, zs []float64 // voxel centres
	solids     []solid
	boxes      []box
	seed       uint64
	noise      *[noiseTab]float32
	huOf       [256]float32
	labelOf    [256]uint8
	ct         []int16
	lab        []uint8
	tis        []tissue // nil unless the tests asked for it
}

// coord is the centre of voxel i along an axis. The tests compute
// positions with the same expression, so that a point classified on its own
// lands exactly where the rasteriser put it.
func coord(origin, spacing float64, i int) float64 { return origin + float64(i)*spacing }

func newRaster(g viewer.Geometry, solids []solid, opt Options) *raster {
	r := &raster{nx: g.Dims[0], ny: g.Dims[1], nz: g.Dims[2], solids: solids}
	axis := func(a int) []float64 {
		c := make([]float64, g.Dims[a])
		for i := range c {
			c[i] = coord(g.Origin[a], g.Spacing[a], i)
		}
		return c
	}
	r.xs, r.ys, r.zs = axis(0), axis(1), axis(2)
	r.boxes = make([]box, len(solids))
	for i, s := range solids {
		r.boxes[i] = s.bounds()
	}
	r.seed = uint64(opt.Seed)
	// The blur averages 9 white samples with weights whose squares sum to
	// (6/16)², so the white noise is scaled up to give opt.Noise after it.
	r.noise = noiseTable(opt.Noise / blurGain)
	for t := range numTissues {
		r.huOf[t] = float32(tissueInfo[t].hu)
		r.labelOf[t] = tissueInfo[t].label
	}
	return r
}

// blurGain is the factor by which the [1 2 1]⊗[1 2 1]/16 kernel scales the
// standard deviation of white noise: √(Σw²) = 6/16.
const blurGain = 6.0 / 16

// noiseTab is the size of the Gaussian table: 12 bits per sample, so one
// 64-bit PCG output gives five samples.
const noiseTab = 4096

// noiseTable holds N(0, σ²) at 4096 evenly spaced quantiles. Drawing from
// the table costs a shift and a load per voxel where math/rand's
// NormFloat64 would cost several times the whole rest of the per-voxel
// work; after the blur sums nine draws the discreteness is invisible.
func noiseTable(sigma float64) *[noiseTab]float32 {
	var t [noiseTab]float32
	for i := range t {
		u := (float64(i) + 0.5) / noiseTab
		t[i] = float32(sigma * math.Sqrt2 * math.Erfinv(2*u-1))
	}
	return &t
}

// splitmix64 decorrelates the per-slice seeds: consecutive slice numbers
// would otherwise start PCG streams with nearly equal states.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// run renders every slice on up to workers goroutines, each taking the next
// slice not yet taken.
func (r *raster) run(workers int) {
	workers = max(1, min(workers, r.nz))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := r.nx * r.ny
			buf := &sliceBuf{
				tis:    make([]tissue, n),
				f:      make([]float32, n),
				g:      make([]float32, n),
				active: make([]int, 0, len(r.solids)),
			}
			for {
				k := int(next.Add(1) - 1)
				if k >= r.nz {
					return
				}
				r.slice(k, buf)
			}
		}()
	}
	wg.Wait()
}

type sliceBuf struct {
	tis    []tissue
	f, g   []float32
	active []int
	pcg    rand.PCG
}

// span returns the index range [i0, i1) of the voxel centres c inside
// [lo, hi]. c is increasing.
func span(c []float64, lo, hi float64) (int, int) {
	n := len(c)
	if n == 0 || hi < c[0] || lo > c[n-1] {
		return 0, 0
	}
	if n == 1 {
		return 0, 1
	}
	s := c[1] - c[0]
	i0 := max(0, int(math.Floor((lo-c[0])/s)))
	i1 := min(n, int(math.Ceil((hi-c[0])/s))+1)
	return i0, max(i0, i1)
}

func (r *raster) slice(k int, b *sliceBuf) {
	nx, ny := r.nx, r.ny
	n := nx * ny
	z := r.zs[k]
	tis := b.tis
	if r.tis != nil {
		tis = r.tis[k*n : (k+1)*n]
	}
	clear(tis)
	for si := range r.solids {
		bb := &r.boxes[si]
		if z < bb.lo.z || z > bb.hi.z {
			continue
		}
		i0, i1 := span(r.xs, bb.lo.x, bb.hi.x)
		j0, j1 := span(r.ys, bb.lo.y, bb.hi.y)
		if i0 >= i1 {
			continue
		}
		s := r.solids[si]
		xs := r.xs[i0:i1]
		for j := j0; j < j1; j++ {
			s.paint(r.ys[j], z, xs, tis[j*nx+i0:j*nx+i1])
		}
	}

	// Image: nominal HU plus white noise, then the in-plane blur, which
	// both softens edges like a reconstruction kernel and gives the noise
	// CT's fine-grained texture.
	f, g := b.f[:n], b.g[:n]
	b.pcg.Seed(splitmix64(r.seed), splitmix64(uint64(k)^0x5851f42d4c957f2d))
	tab := r.noise
	var bits uint64
	left := 0
	for i, t := range tis {
		if left == 0 {
			bits, left = b.pcg.Uint64(), 5
		}
		f[i] = r.huOf[t] + tab[bits&(noiseTab-1)]
		bits >>= 12
		left--
	}
	for j := 0; j < ny; j++ {
		src, dst := f[j*nx:(j+1)*nx], g[j*nx:(j+1)*nx]
		blur1(src, dst)
	}
	ct := r.ct[k*n : (k+1)*n]
	lab := r.lab[k*n : (k+1)*n]
	for j := 0; j < ny; j++ {
		up, down := g[max(j-1, 0)*nx:], g[min(j+1, ny-1)*nx:]
		mid := g[j*nx : (j+1)*nx]
		out := ct[j*nx : (j+1)*nx]
		up, down = up[:nx], down[:nx]
		for i := range out {
			v := 0.25*(up[i]+down[i]) + 0.5*mid[i]
			out[i] = toHU(v)
		}
	}
	for i, t := range tis {
		lab[i] = r.labelOf[t]
	}
}

// blur1 is the [1 2 1]/4 filter along a row, repeating the edge voxels.
func blur1(src, dst []float32) {
	n := len(src)
	if n == 1 {
		dst[0] = src[0]
		return
	}
	dst[0] = 0.75*src[0] + 0.25*src[1]
	for i := 1; i < n-1; i++ {
		dst[i] = 0.25*(src[i-1]+src[i+1]) + 0.5*src[i]
	}
	dst[n-1] = 0.75*src[n-1] + 0.25*src[n-2]
}

// toHU rounds to the nearest integer and clamps to the range a 12-bit CT
// scanner stores (−1024 to 3071).
func toHU(v float32) int16 {
	if v <= -1024 {
		return -1024
	}
	if v >= 3071 {
		return 3071
	}
	return int16(math.Floor(float64(v) + 0.5))
}
