package phantom

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"regexp"
	"runtime"
	"testing"

	"delineate/viewer"
)

// defaultPhantom generates the default phantom, with its tissue map, once:
// most tests only read it.
var defaultPhantom = func() func(t testing.TB) (ct, lab *viewer.Volume, tis []tissue) {
	var ct, lab *viewer.Volume
	var tis []tissue
	return func(t testing.TB) (*viewer.Volume, *viewer.Volume, []tissue) {
		t.Helper()
		if ct == nil {
			var err error
			ct, lab, tis, err = generate(DefaultOptions(), true, runtime.NumCPU())
			if err != nil {
				t.Fatal(err)
			}
		}
		return ct, lab, tis
	}
}()

func int16s(v *viewer.Volume) []int16 { return v.Data.(viewer.Voxels[int16]) }
func uint8s(v *viewer.Volume) []uint8 { return v.Data.(viewer.Voxels[uint8]) }

func bytesOf(v *viewer.Volume) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, v.Data.Raw())
	return b.Bytes()
}

func TestGeometryAndHeader(t *testing.T) {
	ct, lab, _ := defaultPhantom(t)
	opt := DefaultOptions()
	if ct.Dims != opt.Dims || ct.Spacing != opt.Spacing || ct.Direction != viewer.Identity3 {
		t.Fatalf("geometry %+v", ct.Geometry)
	}
	if !lab.SameGrid(ct.Geometry, 0) {
		t.Fatal("label map is not on the CT's grid")
	}
	if ct.Data.Type() != viewer.Int16 || lab.Data.Type() != viewer.Uint8 {
		t.Fatalf("types %v, %v", ct.Data.Type(), lab.Data.Type())
	}
	// Centred on the origin: the middle of the grid is (0,0,0) mm.
	mid := ct.IndexToLPS(viewer.Vec3{float64(opt.Dims[0]-1) / 2, float64(opt.Dims[1]-1) / 2, float64(opt.Dims[2]-1) / 2})
	if mid.Norm() > 1e-9 {
		t.Errorf("grid centre at %v, want origin", mid)
	}
	if ct.Modality != "CT" || ct.Description != "Delineate phantom" || !viewer.IsCT(ct) {
		t.Errorf("header %q %q", ct.Modality, ct.Description)
	}
	if len(ct.Windows) == 0 || ct.Windows[0].Center != 40 || ct.Windows[0].Width != 400 {
		t.Errorf("windows %+v", ct.Windows)
	}
	if w := viewer.DefaultWindow(ct); w != (viewer.Window{Center: 40, Width: 400}) {
		t.Errorf("default window %v", w)
	}
	lo, hi := ct.Range()
	if lo != -1024 || hi < 1000 || hi > 3071 {
		t.Errorf("HU range %g..%g", lo, hi)
	}
}

func TestLabelTable(t *testing.T) {
	table := Labels()
	if len(table) != numLabels {
		t.Fatalf("%d labels", len(table))
	}
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	names := map[string]bool{}
	for i, l := range table {
		if l.ID != i+1 {
			t.Errorf("label %d has id %d", i+1, l.ID)
		}
		if !snake.MatchString(l.Name) || names[l.Name] {
			t.Errorf("label %d name %q", l.ID, l.Name)
		}
		names[l.Name] = true
		if l.Colour.A != 255 {
			t.Errorf("%s colour %v", l.Name, l.Colour)
		}
	}
	// The ids other code refers to by number.
	for id, name := range map[int]string{1: "liver", 2: "spleen", 3: "kidney_right", 4: "kidney_left",
		5: "lung_right", 6: "lung_left", 7: "heart", 8: "aorta", 9: "vertebrae", 10: "ribs"} {
		if table[id-1].Name != name {
			t.Errorf("label %d is %q, want %q", id, table[id-1].Name, name)
		}
	}
	// Every label is some tissue's, and every tissue's label is in the table.
	used := map[uint8]bool{}
	for tt := range numTissues {
		l := tissueInfo[tt].label
		if int(l) > numLabels || tissueInfo[tt].name == "" {
			t.Errorf("tissue %d: %+v", tt, tissueInfo[tt])
		}
		used[l] = true
	}
	for id := 1; id <= numLabels; id++ {
		if !used[uint8(id)] {
			t.Errorf("no tissue has label %d", id)
		}
	}
	// A fresh copy each time.
	table[0].Name = "x"
	if Labels()[0].Name != "liver" {
		t.Error("Labels shares its table")
	}
}

func TestDeterministic(t *testing.T) {
	opt := DefaultOptions()
	opt.Dims = [3]int{96, 96, 60}
	opt.Spacing = viewer.Vec3{4, 4, 5.3}
	a, al, _, err := Generate(opt)
	if err != nil {
		t.Fatal(err)
	}
	b, bl, _, err := Generate(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytesOf(a), bytesOf(b)) || !bytes.Equal(bytesOf(al), bytesOf(bl)) {
		t.Fatal("same options gave different volumes")
	}
	opt.Seed++
	c, cl, _, err := Generate(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytesOf(al), bytesOf(cl)) {
		t.Error("the seed changed the labels")
	}
	diff := 0
	for i, v := range int16s(a) {
		if int16s(c)[i] != v {
			diff++
		}
	}
	// Noise of 12 HU rounds to the same integer about 3% of the time.
	if frac := float64(diff) / float64(len(int16s(a))); frac < 0.9 {
		t.Errorf("another seed changed only %.1f%% of voxels", 100*frac)
	}
	// The result does not depend on how slices are shared out.
	for _, w := range []int{1, 3, 7} {
		e, el, _, err := generate(opt, false, w)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bytesOf(c), bytesOf(e)) || !bytes.Equal(bytesOf(cl), bytesOf(el)) {
			t.Errorf("%d workers gave a different volume", w)
		}
	}
	// Without noise the labels are the same again.
	opt.Noise = 0
	_, dl, _, err := Generate(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytesOf(al), bytesOf(dl)) {
		t.Error("noise 0 changed the labels")
	}
}

// TestNoiseFree: with no noise, every voxel whose in-plane neighbours are
// all one tissue is exactly that tissue's HU; the blur only touches edges.
func TestNoiseFree(t *testing.T) {
	opt := DefaultOptions()
	opt.Dims = [3]int{128, 128, 80}
	opt.Spacing = viewer.Vec3{3, 3, 4}
	opt.Noise = 0
	ct, _, tis, err := generate(opt, true, 2)
	if err != nil {
		t.Fatal(err)
	}
	hu := int16s(ct)
	nx, ny := opt.Dims[0], opt.Dims[1]
	checked := 0
	for k := 0; k < opt.Dims[2]; k++ {
		for j := 1; j < ny-1; j++ {
			for i := 1; i < nx-1; i++ {
				idx := ct.Index(i, j, k)
				tt := tis[idx]
				same := true
				for dj := -1; dj <= 1 && same; dj++ {
					for di := -1; di <= 1; di++ {
						if tis[idx+di+dj*nx] != tt {
							same = false
							break
						}
					}
				}
				if !same {
					continue
				}
				checked++
				want := max(tissueInfo[tt].hu, -1024)
				if float64(hu[idx]) != want {
					t.Fatalf("voxel (%d,%d,%d) %s: %d HU, want %g", i, j, k, tissueInfo[tt].name, hu[idx], want)
				}
			}
		}
	}
	if checked < len(hu)/2 {
		t.Errorf("only %d of %d voxels checked", checked, len(hu))
	}
}

// TestCullingIsExact paints every voxel of a few slices with every solid,
// no bounding boxes, no row spans, and checks that the rasteriser's tissue
// map is identical: culling is an optimisation only.
func TestCullingIsExact(t *testing.T) {
	_, _, tis := defaultPhantom(t)
	opt := DefaultOptions()
	g := opt.Geometry()
	solids := model()
	nx, ny := g.Dims[0], g.Dims[1]
	xs := make([]float64, nx)
	for i := range xs {
		xs[i] = coord(g.Origin[0], g.Spacing[0], i)
	}
	row := make([]tissue, nx)
	slices := []int{0, 3, 25, 40, 47, 67, 80, 95, 110, 131, 150, 159}
	if testing.Short() {
		slices = []int{47, 80, 110}
	}
	for _, k := range slices {
		z := coord(g.Origin[2], g.Spacing[2], k)
		bad := 0
		for j := 0; j < ny; j++ {
			y := coord(g.Origin[1], g.Spacing[1], j)
			clear(row)
			for _, s := range solids {
				s.paint(y, z, xs, row)
			}
			got := tis[(k*ny+j)*nx : (k*ny+j+1)*nx]
			for i := range row {
				if row[i] != got[i] {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("slice %d: %d voxels differ from unculled painting", k, bad)
		}
	}
}

// TestPaintStaysInBounds checks the contract the culling relies on
// directly: no solid changes a voxel outside its bounding box, whatever is
// there already.
func TestPaintStaysInBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for si, s := range model() {
		b := s.bounds()
		c := b.lo.add(b.hi).scale(0.5)
		h := b.hi.sub(b.lo).scale(0.5)
		for n := 0; n < 100; {
			// A point in the box grown by half its size and 20 mm, outside
			// the box itself.
			p := v3{c.x + (h.x*1.5+20)*(2*rng.Float64()-1), c.y + (h.y*1.5+20)*(2*rng.Float64()-1), c.z + (min(h.z, 500)*1.5+20)*(2*rng.Float64()-1)}
			if b.contains(p) {
				continue
			}
			n++
			for _, cur := range []tissue{tAir, tVisceralFat, tLungR, tLungL, tSubcutFat, tMuscle} {
				row := []tissue{cur}
				s.paint(p.y, p.z, []float64{p.x}, row)
				if row[0] != cur {
					t.Fatalf("solid %d (%T) painted %s at %v, outside its box %v", si, s, tissueInfo[row[0]].name, p, b)
				}
			}
		}
	}
}

// TestSegmentIsCapsule checks the tapered tube, with its per-row shortcut,
// against the plain definition: within r(t) of the nearest point of the
// segment. It includes segments along x, where the shortcut is skipped.
func TestSegmentIsCapsule(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	f := &fill{core: tAorta}
	rv := func(s float64) v3 {
		return v3{s * (2*rng.Float64() - 1), s * (2*rng.Float64() - 1), s * (2*rng.Float64() - 1)}
	}
	for n := 0; n < 300; n++ {
		a, b := rv(50), rv(50)
		switch n % 5 {
		case 0:
			b = v3{a.x + 40, a.y, a.z} // along x
		case 1:
			b = a // a ball
		}
		ra, rb := 0.5+10*rng.Float64(), 0.5+10*rng.Float64()
		s := newSegment(a, b, ra, rb, f, 0)
		for m := 0; m < 400; m++ {
			p := rv(70)
			ab := b.sub(a)
			tt := 0.0
			if l2 := ab.dot(ab); l2 > 0 {
				tt = min(max(p.sub(a).dot(ab)/l2, 0), 1)
			}
			inside := p.sub(a.add(ab.scale(tt))).norm() <= ra+tt*(rb-ra)
			row := []tissue{tVisceralFat}
			s.paint(p.y, p.z, []float64{p.x}, row)
			if (row[0] == tAorta) != inside {
				// Points within rounding of the surface may go either way.
				if d := p.sub(a.add(ab.scale(tt))).norm() - (ra + tt*(rb-ra)); math.Abs(d) > 1e-9 {
					t.Fatalf("segment %v→%v r %g→%g, point %v: painted %v, inside %v (%.3g from the surface)", a, b, ra, rb, p, row[0] == tAorta, inside, d)
				}
			}
		}
	}
}

// classifier finds the tissue at any point by running it through the
// solids, indexed on a coarse (y, z) grid so that it is quick enough to
// sample millions of points. It shares nothing with the rasteriser but the
// solids.
type classifier struct {
	y0, z0 float64
	ny, nz int
	cells  [][]int // solid indices per cell, in painting order
	solids []solid
	boxes  []box
}

const cellMM = 6

func newClassifier() *classifier {
	c := &classifier{y0: -210, z0: -210, ny: 420 / cellMM, nz: 420 / cellMM, solids: model()}
	c.cells = make([][]int, c.ny*c.nz)
	for si, s := range c.solids {
		b := s.bounds()
		c.boxes = append(c.boxes, b)
		j0, j1 := c.cell(b.lo.y, c.y0, c.ny), c.cell(b.hi.y, c.y0, c.ny)
		k0, k1 := c.cell(b.lo.z, c.z0, c.nz), c.cell(b.hi.z, c.z0, c.nz)
		for k := k0; k <= k1; k++ {
			for j := j0; j <= j1; j++ {
				c.cells[k*c.ny+j] = append(c.cells[k*c.ny+j], si)
			}
		}
	}
	return c
}

func (c *classifier) cell(v, v0 float64, n int) int {
	return min(max(int(math.Floor((v-v0)/cellMM)), 0), n-1)
}

func (c *classifier) at(p v3) tissue {
	var x [1]float64
	var t [1]tissue
	x[0] = p.x
	for _, si := range c.cells[c.cell(p.z, c.z0, c.nz)*c.ny+c.cell(p.y, c.y0, c.ny)] {
		if c.boxes[si].contains(p) {
			c.solids[si].paint(p.y, p.z, x[:], t[:])
		}
	}
	return t[0]
}

// TestVolumes checks every label's voxel count and centroid against its
// volume and centroid measured independently of the rasteriser: one random
// point in every block of voxels of the label's bounding box, placed with
// the volume's own geometry (viewer.Geometry.IndexToLPS) and classified on
// its own. Stratified like this the estimate is within a fraction of a
// percent for organs and a few percent for thin bones, so a rasteriser
// that lost or added rows, slices or shapes, or put them in the wrong
// place, would fail.
func TestVolumes(t *testing.T) {
	_, lab, _ := defaultPhantom(t)
	g := lab.Geometry
	vox := g.Spacing[0] * g.Spacing[1] * g.Spacing[2]
	labs := uint8s(lab)
	count := make([]int, numLabels+1)
	sum := make([]viewer.Vec3, numLabels+1)
	sum2 := make([]viewer.Vec3, numLabels+1)
	lo := make([][3]int, numLabels+1)
	hi := make([][3]int, numLabels+1)
	for id := range lo {
		lo[id] = [3]int{1 << 30, 1 << 30, 1 << 30}
		hi[id] = [3]int{-1, -1, -1}
	}
	nx, ny, nz := g.Dims[0], g.Dims[1], g.Dims[2]
	for k := 0; k < nz; k++ {
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				id := labs[g.Index(i, j, k)]
				count[id]++
				sum[id][0] += float64(i)
				sum[id][1] += float64(j)
				sum[id][2] += float64(k)
				sum2[id][0] += float64(i * i)
				sum2[id][1] += float64(j * j)
				sum2[id][2] += float64(k * k)
				idx := [3]int{i, j, k}
				for a := 0; a < 3; a++ {
					lo[id][a] = min(lo[id][a], idx[a])
					hi[id][a] = max(hi[id][a], idx[a])
				}
			}
		}
	}
	c := newClassifier()
	rng := rand.New(rand.NewPCG(1, 2))
	for id := 1; id <= numLabels; id++ {
		name := labelTable[id-1].Name
		if count[id] == 0 {
			t.Errorf("%s: absent", name)
			continue
		}
		// Blocks of b×b×b voxels over the label's bounding box grown by two
		// voxels (so nothing just outside the labelled voxels is missed),
		// clipped to the grid; b is chosen to keep to about 60k points.
		var lo3, hi3 [3]int
		n := 1
		for a := 0; a < 3; a++ {
			lo3[a], hi3[a] = max(lo[id][a]-2, 0), min(hi[id][a]+2, g.Dims[a]-1)
			n *= hi3[a] - lo3[a] + 1
		}
		b := 1
		for n/(b*b*b) > 60_000 {
			b++
		}
		var hits, weight float64
		var at viewer.Vec3
		for k := lo3[2]; k <= hi3[2]; k += b {
			for j := lo3[1]; j <= hi3[1]; j += b {
				for i := lo3[0]; i <= hi3[0]; i += b {
					// A uniform point in the block whose first voxel is
					// (i,j,k), clipped to the box: voxel centres are at
					// integer indices, so voxel i spans [i−½, i+½).
					var idx viewer.Vec3
					w := 1.0
					for a, s := range [3]int{i, j, k} {
						e := min(s+b-1, hi3[a])
						idx[a] = float64(s) - 0.5 + float64(e-s+1)*rng.Float64()
						w *= float64(e - s + 1)
					}
					p := g.IndexToLPS(idx)
					if tissueInfo[c.at(v3{p[0], p[1], p[2]})].label == uint8(id) {
						hits++
						weight += w
						for a := range at {
							at[a] += w * idx[a]
						}
					}
				}
			}
		}
		want, got := weight, float64(count[id])
		// Tolerance: 1% plus the stratified estimate's own spread, which
		// comes from the blocks on the boundary (at most every hit block).
		tol := 0.01*want + 3*math.Sqrt(hits)*float64(b*b*b)/2 + 10
		t.Logf("%-22s %8d voxels %7.1f mL; reference %8.0f ± %.1f%%", name, count[id], got*vox/1000, want, 100*tol/want)
		if math.Abs(got-want) > tol {
			t.Errorf("%s: %d voxels, independent estimate %.0f ± %.0f", name, count[id], want, tol)
		}
		// The centroid's tolerance: a quarter voxel plus three standard
		// errors of the estimate, which for a structure spread as widely as
		// the ribs is several voxels, for an organ a fraction of one.
		for a := range at {
			cg, cw := sum[id][a]/got, at[a]/weight
			sd := math.Sqrt(max(sum2[id][a]/got-cg*cg, 0))
			if tol := 0.25 + 3*sd/math.Sqrt(hits); math.Abs(cg-cw) > tol {
				t.Errorf("%s: centroid along axis %d at voxel %.2f, independent estimate %.2f ± %.2f", name, a, cg, cw, tol)
			}
		}
	}
	// The spleen is painted first among the organs and touches nothing, so
	// its count is an ellipsoid's volume, and so is the gallbladder's.
	for _, e := range []struct {
		id      int
		a, b, c float64
	}{{LabelSpleen, 17, 36, 45}, {LabelGallbladder, 14, 14, 30}} {
		want := 4.0 / 3 * math.Pi * e.a * e.b * e.c / vox
		if got := float64(count[e.id]); math.Abs(got-want) > 0.015*want {
			t.Errorf("%s: %0.f voxels, ellipsoid has %.0f", labelTable[e.id-1].Name, got, want)
		}
	}
}

// interior reports whether voxel (i,j,k) and everything within 2 voxels in
// plane and 1 slice is the same tissue: far enough from any edge that the
// blur has not touched it.
func interior(tis []tissue, dims [3]int, i, j, k int) bool {
	nx, ny, nz := dims[0], dims[1], dims[2]
	if i < 2 || j < 2 || k < 1 || i >= nx-2 || j >= ny-2 || k >= nz-1 {
		return false
	}
	t := tis[i+nx*(j+ny*k)]
	for dk := -1; dk <= 1; dk++ {
		for dj := -2; dj <= 2; dj++ {
			base := nx * (j + dj + ny*(k+dk))
			for di := -2; di <= 2; di++ {
				if tis[base+i+di] != t {
					return false
				}
			}
		}
	}
	return true
}

// TestHU checks the image against the tissue map: inside each tissue, away
// from edges, the mean is its nominal HU and the spread is the requested
// noise. Organs made of one tissue (liver, spleen, …) are so checked by
// label too.
func TestHU(t *testing.T) {
	ct, _, tis := defaultPhantom(t)
	hu := int16s(ct)
	dims := ct.Dims
	var n [numTissues]int
	var sum, sum2 [numTissues]float64
	for k := 0; k < dims[2]; k++ {
		for j := 0; j < dims[1]; j++ {
			for i := 0; i < dims[0]; i++ {
				if !interior(tis, dims, i, j, k) {
					continue
				}
				idx := ct.Index(i, j, k)
				tt := tis[idx]
				v := float64(hu[idx])
				n[tt]++
				sum[tt] += v
				sum2[tt] += v * v
			}
		}
	}
	noise := DefaultOptions().Noise
	checked := 0
	for tt := range numTissues {
		if n[tt] < 300 {
			continue
		}
		checked++
		mean := sum[tt] / float64(n[tt])
		sd := math.Sqrt(sum2[tt]/float64(n[tt]) - mean*mean)
		nominal := tissueInfo[tt].hu
		// Air and gas sit at the −1024 clamp's edge, which eats the lower
		// tail of the noise: the mean rises and the spread shrinks a little.
		if math.Abs(mean-nominal) > 5 {
			t.Errorf("%s: mean %.1f HU over %d voxels, want %g ± 5", tissueInfo[tt].name, mean, n[tt], nominal)
		}
		if sd < 0.8*noise || sd > 1.2*noise {
			t.Errorf("%s: noise %.1f HU, want %g ± 20%%", tissueInfo[tt].name, sd, noise)
		}
	}
	if checked < 30 {
		t.Errorf("only %d tissues had an interior to check", checked)
	}
	for _, tt := range []tissue{tLiver, tSpleen, tMyocardium, tAorta, tLungR, tLungL, tVertCancellous, tMuscle, tSubcutFat, tVisceralFat} {
		if n[tt] < 300 {
			t.Errorf("%s: only %d interior voxels", tissueInfo[tt].name, n[tt])
		}
	}
}

// TestOrganHU is the same check by label, for the organs made of one
// tissue, using only the label map and the image, as a user would.
func TestOrganHU(t *testing.T) {
	ct, lab, _ := defaultPhantom(t)
	hu, labs := int16s(ct), uint8s(lab)
	asTissue := make([]tissue, len(labs))
	for i, l := range labs {
		asTissue[i] = tissue(l)
	}
	for _, c := range []struct {
		id      int
		nominal float64
	}{{LabelLiver, 60}, {LabelSpleen, 50}, {LabelPancreas, 45}, {LabelAorta, 200}, {LabelIVC, 70}, {LabelPulmonaryArtery, 160}, {LabelGallbladder, 10}, {LabelSkeletalMuscle, 50}, {LabelSubcutaneousFat, -100}} {
		var n int
		var s, s2 float64
		for k := 1; k < ct.Dims[2]-1; k++ {
			for j := 2; j < ct.Dims[1]-2; j++ {
				for i := 2; i < ct.Dims[0]-2; i++ {
					idx := ct.Index(i, j, k)
					if int(labs[idx]) != c.id || !interior(asTissue, ct.Dims, i, j, k) {
						continue
					}
					v := float64(hu[idx])
					n++
					s += v
					s2 += v * v
				}
			}
		}
		name := labelTable[c.id-1].Name
		if n < 100 {
			t.Errorf("%s: %d interior voxels", name, n)
			continue
		}
		mean := s / float64(n)
		sd := math.Sqrt(s2/float64(n) - mean*mean)
		if math.Abs(mean-c.nominal) > 5 || math.Abs(sd-12) > 2.4 {
			t.Errorf("%s: %.1f ± %.1f HU over %d voxels, want %g ± 12", name, mean, sd, n, c.nominal)
		}
	}
}

// centroids returns each label's centroid in LPS mm.
func centroids(lab *viewer.Volume) []viewer.Vec3 {
	var sum = make([]viewer.Vec3, numLabels+1)
	var n = make([]float64, numLabels+1)
	labs := uint8s(lab)
	for k := 0; k < lab.Dims[2]; k++ {
		for j := 0; j < lab.Dims[1]; j++ {
			for i := 0; i < lab.Dims[0]; i++ {
				id := labs[lab.Index(i, j, k)]
				sum[id][0] += float64(i)
				sum[id][1] += float64(j)
				sum[id][2] += float64(k)
				n[id]++
			}
		}
	}
	out := make([]viewer.Vec3, numLabels+1)
	for id := range out {
		if n[id] > 0 {
			out[id] = lab.IndexToLPS(viewer.Vec3{sum[id][0] / n[id], sum[id][1] / n[id], sum[id][2] / n[id]})
		}
	}
	return out
}

// TestAnatomy checks sidedness and the order of organs in patient space
// (LPS: +x patient left, +y posterior, +z superior).
func TestAnatomy(t *testing.T) {
	_, lab, _ := defaultPhantom(t)
	c := centroids(lab)
	x, y, z := func(id int) float64 { return c[id][0] }, func(id int) float64 { return c[id][1] }, func(id int) float64 { return c[id][2] }
	checks := []struct {
		what string
		ok   bool
	}{
		{"liver on the patient's right", x(LabelLiver) < -20},
		{"spleen on the patient's left", x(LabelSpleen) > 40},
		{"right kidney on the right", x(LabelKidneyRight) < -40},
		{"left kidney on the left", x(LabelKidneyLeft) > 40},
		{"right lung on the right", x(LabelLungRight) < -40},
		{"left lung on the left", x(LabelLungLeft) > 40},
		{"heart left of the midline", x(LabelHeart) > 0},
		{"stomach on the left", x(LabelStomach) > 20},
		{"IVC right of the aorta", x(LabelIVC) < x(LabelAorta)},
		{"spine behind the aorta", y(LabelVertebrae) > y(LabelAorta)},
		{"kidneys behind the liver", y(LabelKidneyRight) > y(LabelLiver)},
		{"sternum in front of the heart", y(LabelSternum) < y(LabelHeart)},
		{"spinal canal behind the vertebral bodies", y(LabelSpinalCanal) > y(LabelVertebrae)},
		{"lungs above the liver", z(LabelLungRight) > z(LabelLiver)+40 && z(LabelLungLeft) > z(LabelLiver)+40},
		{"heart above the liver", z(LabelHeart) > z(LabelLiver)},
		{"kidneys below the spleen", z(LabelKidneyLeft) < z(LabelSpleen)},
		{"left kidney higher than the right", z(LabelKidneyLeft) > z(LabelKidneyRight)},
		{"hips at the bottom", z(LabelHipLeft) < z(LabelKidneyLeft)},
		{"clavicles at the top", z(LabelClavicleLeft) > z(LabelHeart)+60},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("not so: %s", ch.what)
		}
	}
	// The lungs sit over the liver: in the columns of the liver's dome the
	// lung is above it, never below.
	labs := uint8s(lab)
	for j := 0; j < lab.Dims[1]; j++ {
		for i := 0; i < lab.Dims[0]; i++ {
			topLiver := -1
			for k := 0; k < lab.Dims[2]; k++ {
				if labs[lab.Index(i, j, k)] == LabelLiver {
					topLiver = k
				}
			}
			for k := 0; k < topLiver; k++ {
				if l := labs[lab.Index(i, j, k)]; l == LabelLungRight || l == LabelLungLeft {
					t.Fatalf("lung below the liver at voxel (%d,%d,%d)", i, j, k)
				}
			}
		}
	}
}

// mask is a volume that is 1 where lab has id: rendered through a step
// window it shows where the structure is on screen.
func mask(lab *viewer.Volume, id int) *viewer.Volume {
	m := &viewer.Volume{Geometry: lab.Geometry}
	d := make(viewer.Voxels[uint8], len(uint8s(lab)))
	for i, l := range uint8s(lab) {
		if int(l) == id {
			d[i] = 1
		}
	}
	m.Data = d
	return m
}

// onScreen renders structure id in plane p, slice k, as the viewer would
// and returns the mean column and row of its pixels, as fractions of the
// image size, and the number of pixels.
func onScreen(t *testing.T, lab *viewer.Volume, id int, p viewer.Plane, k int) (col, row float64, n int) {
	t.Helper()
	img, err := viewer.RenderSlice(mask(lab, id), p, k, viewer.NewWindowLUT(viewer.Window{Center: 0.5, Width: 0}), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.GrayAt(x, y).Y == 255 {
				col += float64(x)
				row += float64(y)
				n++
			}
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	return col / float64(n) / float64(b.Dx()), row / float64(n) / float64(b.Dy()), n
}

// TestRenderedOrientation renders slices with viewer.RenderSlice and checks
// the radiological conventions: patient right (the liver) on the image's
// left in axial and coronal views, anterior at the top of axial views,
// superior at the top of coronal and sagittal views.
func TestRenderedOrientation(t *testing.T) {
	_, lab, _ := defaultPhantom(t)
	c := centroids(lab)
	at := func(id int) [3]int {
		idx := lab.LPSToIndex(c[id])
		return [3]int{int(math.Round(idx[0])), int(math.Round(idx[1])), int(math.Round(idx[2]))}
	}
	liver := at(LabelLiver)
	if col, _, n := onScreen(t, lab, LabelLiver, viewer.Axial, liver[2]); n < 500 || col > 0.45 {
		t.Errorf("axial: liver at column %.2f (%d px), want the image's left half", col, n)
	}
	if col, _, n := onScreen(t, lab, LabelSpleen, viewer.Axial, at(LabelSpleen)[2]); n < 100 || col < 0.55 {
		t.Errorf("axial: spleen at column %.2f (%d px), want the right half", col, n)
	}
	_, sternumRow, _ := onScreen(t, lab, LabelSternum, viewer.Axial, at(LabelSternum)[2])
	_, spineRow, _ := onScreen(t, lab, LabelSpinalCanal, viewer.Axial, at(LabelSternum)[2])
	if !(sternumRow < 0.4 && spineRow > 0.6) {
		t.Errorf("axial: sternum at row %.2f, spine at %.2f; want anterior at the top", sternumRow, spineRow)
	}
	if col, _, n := onScreen(t, lab, LabelLiver, viewer.Coronal, liver[1]); n < 500 || col > 0.45 {
		t.Errorf("coronal: liver at column %.2f (%d px), want the left half", col, n)
	}
	_, lungRow, _ := onScreen(t, lab, LabelLungRight, viewer.Coronal, liver[1])
	_, liverRow, _ := onScreen(t, lab, LabelLiver, viewer.Coronal, liver[1])
	if !(lungRow < liverRow) {
		t.Errorf("coronal: lung at row %.2f, liver at %.2f; want superior at the top", lungRow, liverRow)
	}
	sag := lab.Dims[0] / 2
	spineCol, _, _ := onScreen(t, lab, LabelVertebrae, viewer.Sagittal, sag)
	sternumCol, _, _ := onScreen(t, lab, LabelSternum, viewer.Sagittal, sag)
	if !(sternumCol < 0.4 && spineCol > 0.55) {
		t.Errorf("sagittal: sternum at column %.2f, spine at %.2f; want anterior on the left", sternumCol, spineCol)
	}
	_, heartRow, _ := onScreen(t, lab, LabelHeart, viewer.Sagittal, at(LabelHeart)[0])
	_, bowelRow, _ := onScreen(t, lab, LabelSmallBowel, viewer.Sagittal, sag)
	if !(heartRow < bowelRow) {
		t.Errorf("sagittal: heart at row %.2f, bowel at %.2f; want superior at the top", heartRow, bowelRow)
	}
}

func TestSmallGrid(t *testing.T) {
	opt := Options{Dims: [3]int{64, 64, 40}, Spacing: viewer.Vec3{6, 6, 8}, Seed: 3, Noise: 12}
	ct, lab, table, err := Generate(opt)
	if err != nil {
		t.Fatal(err)
	}
	if ct.Dims != opt.Dims || len(table) != numLabels {
		t.Fatalf("dims %v, %d labels", ct.Dims, len(table))
	}
	seen := make([]int, 256)
	for _, l := range uint8s(lab) {
		seen[l]++
	}
	for _, l := range table {
		if seen[l.ID] == 0 {
			t.Errorf("%s missing on a 64×64×40 grid", l.Name)
		}
	}
	// Odd sizes and a single voxel are fine too.
	for _, d := range [][3]int{{1, 1, 1}, {7, 3, 2}, {2, 200, 1}} {
		opt.Dims = d
		if _, _, _, err := Generate(opt); err != nil {
			t.Errorf("%v: %v", d, err)
		}
	}
}

func TestInvalidOptions(t *testing.T) {
	ok := DefaultOptions()
	bad := []func(*Options){
		func(o *Options) { *o = Options{} },
		func(o *Options) { o.Dims[0] = 0 },
		func(o *Options) { o.Dims[2] = -5 },
		func(o *Options) { o.Dims = [3]int{4096, 4096, 4096} },
		func(o *Options) { o.Spacing[1] = 0 },
		func(o *Options) { o.Spacing[2] = -1 },
		func(o *Options) { o.Spacing[0] = math.NaN() },
		func(o *Options) { o.Spacing[0] = math.Inf(1) },
		func(o *Options) { o.Noise = -1 },
		func(o *Options) { o.Noise = math.NaN() },
		func(o *Options) { o.Noise = math.Inf(1) },
	}
	for i, f := range bad {
		o := ok
		f(&o)
		if ct, lab, table, err := Generate(o); err == nil || ct != nil || lab != nil || table != nil {
			t.Errorf("case %d (%+v): err %v", i, o, err)
		}
	}
}

// BenchmarkGenerate is the start-up cost of the demo.
func BenchmarkGenerate(b *testing.B) {
	opt := DefaultOptions()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Generate(opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(opt.Dims[0]*opt.Dims[1]*opt.Dims[2])/1e6, "Mvoxels")
}
