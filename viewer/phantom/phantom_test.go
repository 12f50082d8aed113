package phantom

import (
	"bytes"
	"encoding/binary"
	"image"
	"math"
	"math/rand/v2"
	"regexp"
	"testing"

	"delineate/viewer"
)

// cache the default phantom: most tests only read it.
var defaultPhantom = func() func(t testing.TB) (ct, lab *viewer.Volume, tis []tissue) {
	var ct, lab *viewer.Volume
	var tis []tissue
	return func(t testing.TB) (*viewer.Volume, *viewer.Volume, []tissue) {
		t.Helper()
		if ct == nil {
			var err error
			ct, lab, tis, err = generate(DefaultOptions(), true)
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
	// No noise: every voxel whose in-plane neighbourhood is one tissue is
	// exactly its nominal HU.
	opt.Noise = 0
	d, dl, err := generateClean(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytesOf(al), bytesOf(dl)) {
		t.Error("noise 0 changed the labels")
	}
	_ = d
}

// generateClean is generate without noise, returning the tissue map too.
func generateClean(opt Options) (*viewer.Volume, *viewer.Volume, error) {
	opt.Noise = 0
	ct, lab, _, err := generate(opt, false)
	return ct, lab, err
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
	for _, k := range []int{3, 40, 67, 80, 95, 110, 131, 150, 158} {
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

// classifier finds the tissue at any point by running it through the
// solids, indexed by height so that it is quick enough to sample millions of
// points. It shares nothing with the rasteriser but the solids.
type classifier struct {
	z0, dz  float64
	buckets [][]solid
}

func newClassifier(zlo, zhi float64) *classifier {
	c := &classifier{z0: zlo, dz: 4}
	n := int((zhi-zlo)/c.dz) + 1
	c.buckets = make([][]solid, n)
	for _, s := range model() {
		b := s.bounds()
		for i := range c.buckets {
			lo, hi := zlo+float64(i)*c.dz, zlo+float64(i+1)*c.dz
			if b.hi.z >= lo && b.lo.z <= hi {
				c.buckets[i] = append(c.buckets[i], s)
			}
		}
	}
	return c
}

func (c *classifier) at(p v3) tissue {
	i := min(max(int((p.z-c.z0)/c.dz), 0), len(c.buckets)-1)
	var x [1]float64
	var t [1]tissue
	x[0] = p.x
	for _, s := range c.buckets[i] {
		if s.bounds().contains(p) {
			s.paint(p.y, p.z, x[:], t[:])
		}
	}
	return t[0]
}

// TestVolumes checks every label's voxel count against its volume measured
// independently of the grid: one random point in every block of voxels of
// the label's bounding box, classified on its own. Stratified like this the
// estimate is within a fraction of a percent for organs and a few percent
// for thin bones, so a rasteriser that lost or added a row, a slice, a half
// voxel shift or a shape would fail.
func TestVolumes(t *testing.T) {
	_, lab, _ := defaultPhantom(t)
	g := lab.Geometry
	vox := g.Spacing[0] * g.Spacing[1] * g.Spacing[2]
	labs := uint8s(lab)
	count := make([]int, numLabels+1)
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
				idx := [3]int{i, j, k}
				for a := 0; a < 3; a++ {
					lo[id][a] = min(lo[id][a], idx[a])
					hi[id][a] = max(hi[id][a], idx[a])
				}
			}
		}
	}
	c := newClassifier(g.Origin[2]-g.Spacing[2], g.Origin[2]+float64(nz)*g.Spacing[2])
	rng := rand.New(rand.NewPCG(1, 2))
	for id := 1; id <= numLabels; id++ {
		name := labelTable[id-1].Name
		if count[id] == 0 {
			t.Errorf("%s: absent", name)
			continue
		}
		// Blocks of b×b×b voxels, b chosen to keep the sample to about 200k
		// points; the box is grown by a block so that nothing just outside
		// the voxels that happen to be labelled is missed.
		n := 1
		for a := 0; a < 3; a++ {
			n *= hi[id][a] - lo[id][a] + 5
		}
		b := 1
		for n/(b*b*b) > 200_000 {
			b++
		}
		if testing.Short() {
			b *= 2
		}
		hits := 0
		for k := lo[id][2] - 2; k <= hi[id][2]+2; k += b {
			for j := lo[id][1] - 2; j <= hi[id][1]+2; j += b {
				for i := lo[id][0] - 2; i <= hi[id][0]+2; i += b {
					// A uniform point in the block whose first voxel is
					// (i,j,k): voxel centres are at integer indices, so the
					// block spans [i−½, i+b−½).
					idx := viewer.Vec3{float64(i) - 0.5 + float64(b)*rng.Float64(),
						float64(j) - 0.5 + float64(b)*rng.Float64(),
						float64(k) - 0.5 + float64(b)*rng.Float64()}
					p := g.IndexToLPS(idx)
					if tissueInfo[c.at(v3{p[0], p[1], p[2]})].label == uint8(id) {
						hits++
					}
				}
			}
		}
		want := float64(hits * b * b * b)
		got := float64(count[id])
		// Tolerance: 1% plus the stratified estimate's own spread, which
		// comes from the blocks on the boundary (at most every hit block).
		tol := 0.01*want + 3*math.Sqrt(float64(hits))*float64(b*b*b)/2 + 10
		t.Logf("%-22s %8d voxels %9.1f mL, reference %9.0f voxels (±%.1f%%)", name, count[id], got*vox/1000, want, 100*tol/want)
		if math.Abs(got-want) > tol {
			t.Errorf("%s: %d voxels, independent estimate %.0f ± %.0f", name, count[id], want, tol)
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
			seenLung := false
			for k := lab.Dims[2] - 1; k >= 0; k-- {
				switch labs[lab.Index(i, j, k)] {
				case LabelLungRight:
					seenLung = true
				case LabelLiver:
					if !seenLung {
						continue
					}
				}
			}
			_ = seenLung
		}
	}
	for j := 0; j < lab.Dims[1]; j++ {
		for i := 0; i < lab.Dims[0]; i++ {
			topLiver := -1
			for k := 0; k < lab.Dims[2]; k++ {
				switch labs[lab.Index(i, j, k)] {
				case LabelLiver:
					topLiver = k
				case LabelLungRight, LabelLungLeft:
					if topLiver < 0 {
						continue
					}
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
	spine := at(LabelVertebrae)
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
	_ = spine
	_ = image.Rect
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
