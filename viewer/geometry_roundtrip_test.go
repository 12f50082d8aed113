package viewer_test

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"testing"

	"delineate/viewer"
	"delineate/viewer/nifti"
)

// The canonical volume is stored in LPS order with distinct dims and
// spacings, so any axis mix-up changes sizes or aspect. Its voxels are a
// hash pattern (≤ 250) with one marker voxel (255) near the patient's
// right-anterior-superior corner: low i (right), low j (anterior), high k
// (superior).
var (
	canonDims    = [3]int{7, 9, 11}
	canonSpacing = viewer.Vec3{0.8, 1.1, 1.7}
	canonOrigin  = viewer.Vec3{-30, 12, 5}
	marker       = [3]int{1, 2, 9}
)

func canonical(t *testing.T, typ viewer.DataType) (*viewer.Volume, viewer.Window) {
	t.Helper()
	g := viewer.Geometry{Dims: canonDims, Spacing: canonSpacing, Origin: canonOrigin, Direction: viewer.Identity3}
	v, err := viewer.NewVolume(g, typ)
	if err != nil {
		t.Fatal(err)
	}
	m := g.Index(marker[0], marker[1], marker[2])
	switch s := v.Data.Raw().(type) {
	case []uint8:
		for i := range s {
			s[i] = uint8((i * 2654435761 >> 9) % 251)
		}
		s[m] = 255
		return v, viewer.Window{Center: 127.5, Width: 255} // grey = value
	case []int16:
		// CT-like values; the window maps the marker alone to white.
		for i := range s {
			s[i] = int16((i*2654435761>>9)%251)*8 - 1000
		}
		s[m] = 3000
		return v, viewer.Window{Center: 1000, Width: 4000} // pattern ≤ 1000 → ≤ 128
	}
	t.Fatalf("type %v", typ)
	return nil, viewer.Window{}
}

// Where the marker must appear on screen in each plane, by radiological
// convention: axial x = i (patient right on the left), y = j (anterior at
// the top); coronal x = i, y counts down from superior; sagittal x = j
// (anterior on the left), y counts down from superior.
var markerPixel = [3][2]int{
	viewer.Axial:    {marker[0], marker[1]},
	viewer.Coronal:  {marker[0], canonDims[2] - 1 - marker[2]},
	viewer.Sagittal: {marker[1], canonDims[2] - 1 - marker[2]},
}

func render(t *testing.T, v *viewer.Volume, p viewer.Plane, k int, lut *viewer.WindowLUT) *image.Gray {
	t.Helper()
	im, err := viewer.RenderSlice(v, p, k, lut, nil)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// canonSlice finds which canonical slice shows the same patient plane as
// slice k of v, and checks that the images' top-left pixels are the same
// point in space: it maps through patient coordinates, not indices, so it
// holds whatever order the reader chose to store the voxels in.
func canonSlice(t *testing.T, canon, v *viewer.Volume, p viewer.Plane, k int) int {
	t.Helper()
	lv, _ := viewer.NewSliceLayout(v.Geometry, p)
	lc, _ := viewer.NewSliceLayout(canon.Geometry, p)
	idx := lv.Voxel(k, 0, 0)
	pos := v.IndexToLPS(viewer.Vec3{float64(idx[0]), float64(idx[1]), float64(idx[2])})
	ci := canon.LPSToIndex(pos)
	var c [3]int
	for a := range c {
		c[a] = int(math.Round(ci[a]))
		if math.Abs(ci[a]-float64(c[a])) > 1e-3 {
			t.Fatalf("%v slice %d: corner voxel at %v is off the canonical grid (%v)", p, k, pos, ci)
		}
	}
	kc, x, y := lc.Pixel(c)
	if x != 0 || y != 0 {
		t.Fatalf("%v slice %d: top-left pixel is canonical pixel (%d,%d)", p, k, x, y)
	}
	return kc
}

// TestAllAxisOrdersRoundTrip stores the canonical volume in each of the 48
// signed axis orders, writes and reads it back as NIfTI, and requires every
// slice in every plane to render exactly as the canonical volume's, with the
// marker where radiological convention puts it. A sign or permutation error
// anywhere in NIfTI geometry, reorientation or reslicing shows up here as a
// mirrored or transposed image.
func TestAllAxisOrdersRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, typ := range []viewer.DataType{viewer.Uint8, viewer.Int16} {
		canon, win := canonical(t, typ)
		lut := viewer.NewWindowLUT(win)
		n := 0
		for _, perm := range [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
			for f := 0; f < 8; f++ {
				flip := [3]bool{f&1 != 0, f&2 != 0, f&4 != 0}
				name := fmt.Sprintf("%v_%d%d%d_%d.nii", typ, perm[0], perm[1], perm[2], f)
				if n%2 == 1 {
					name += ".gz"
				}
				n++
				t.Run(name, func(t *testing.T) {
					stored := viewer.Reorient(canon, perm, flip)
					path := filepath.Join(dir, name)
					if err := nifti.Write(path, stored, nifti.WriteOptions{}); err != nil {
						t.Fatal(err)
					}
					got, err := nifti.Read(path)
					if err != nil {
						t.Fatal(err)
					}
					if got.Data.Type() != typ {
						t.Fatalf("read back as %v", got.Data.Type())
					}
					checkSameImages(t, canon, got, lut)
				})
			}
		}
	}
}

func checkSameImages(t *testing.T, canon, got *viewer.Volume, lut *viewer.WindowLUT) {
	t.Helper()
	for _, p := range viewer.Planes {
		cw, ch := viewer.SliceSize(canon.Geometry, p)
		if w, h := viewer.SliceSize(got.Geometry, p); w != cw || h != ch {
			t.Fatalf("%v: %d×%d, canonical %d×%d", p, w, h, cw, ch)
		}
		cc, cr := viewer.PixelSpacing(canon.Geometry, p)
		if c, r := viewer.PixelSpacing(got.Geometry, p); math.Abs(c-cc) > 1e-5 || math.Abs(r-cr) > 1e-5 {
			t.Fatalf("%v: pixel spacing %g×%g, canonical %g×%g", p, c, r, cc, cr)
		}
		n := viewer.SliceCount(got.Geometry, p)
		if n != viewer.SliceCount(canon.Geometry, p) {
			t.Fatalf("%v: %d slices", p, n)
		}
		if _, warn := viewer.NearestAxes(got.Geometry); warn != "" {
			t.Fatalf("round trip made the grid oblique: %s", warn)
		}
		for k := 0; k < n; k++ {
			kc := canonSlice(t, canon, got, p, k)
			want := render(t, canon, p, kc, lut)
			im := render(t, got, p, k, lut)
			if !bytes.Equal(im.Pix, want.Pix) {
				t.Fatalf("%v slice %d (canonical %d) differs:\n got %v\nwant %v", p, k, kc, im.Pix, want.Pix)
			}
			// The marker is the only white pixel, and only in its slice.
			whites := 0
			for y := 0; y < ch; y++ {
				for x := 0; x < cw; x++ {
					if im.GrayAt(x, y).Y == 255 {
						whites++
						if mp := markerPixel[p]; x != mp[0] || y != mp[1] {
							t.Fatalf("%v slice %d: marker at (%d,%d), want (%d,%d)", p, k, x, y, mp[0], mp[1])
						}
					}
				}
			}
			if onMarker := kc == markerSlice(p); whites != btoi(onMarker) {
				t.Fatalf("%v slice %d (canonical %d): %d marker pixels", p, k, kc, whites)
			}
		}
	}
	// And in words: the marker, near the patient's right-anterior-superior
	// corner, is in the image's left half on axial and coronal views (the
	// patient's right is on the viewer's left), in the top half on axial
	// (anterior up), in the top half on coronal and sagittal (superior up),
	// and in the left half on sagittal (anterior left).
	ax, cor, sag := markerPixel[viewer.Axial], markerPixel[viewer.Coronal], markerPixel[viewer.Sagittal]
	aw, ah := viewer.SliceSize(canon.Geometry, viewer.Axial)
	cw, chh := viewer.SliceSize(canon.Geometry, viewer.Coronal)
	sw, sh := viewer.SliceSize(canon.Geometry, viewer.Sagittal)
	if !(ax[0] < aw/2 && ax[1] < ah/2 && cor[0] < cw/2 && cor[1] < chh/2 && sag[0] < sw/2 && sag[1] < sh/2) {
		t.Fatalf("marker pixels %v %v %v break radiological convention", ax, cor, sag)
	}
}

// markerSlice is the canonical slice holding the marker in plane p (the
// canonical volume is LPS-ordered, so slices are i, j, k as stored).
func markerSlice(p viewer.Plane) int {
	switch p {
	case viewer.Axial:
		return marker[2]
	case viewer.Coronal:
		return marker[1]
	}
	return marker[0]
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAlignToAfterRoundTrip is the label-alignment case end to end: a label
// map written in another storage order (as dcm2niix does to rows) comes
// back from NIfTI and AlignTo puts it voxel for voxel on the image's grid.
func TestAlignToAfterRoundTrip(t *testing.T) {
	canon, _ := canonical(t, viewer.Uint8)
	dir := t.TempDir()
	for _, c := range []struct {
		perm [3]int
		flip [3]bool
	}{
		{[3]int{0, 1, 2}, [3]bool{false, true, false}}, // rows reversed
		{[3]int{0, 2, 1}, [3]bool{true, false, true}},
		{[3]int{2, 1, 0}, [3]bool{false, false, false}},
	} {
		path := filepath.Join(dir, fmt.Sprintf("lab_%v_%v.nii.gz", c.perm, c.flip))
		if err := nifti.Write(path, viewer.Reorient(canon, c.perm, c.flip), nifti.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		lab, err := nifti.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		al, err := viewer.AlignTo(canon.Geometry, lab, 0)
		if err != nil {
			t.Fatalf("%v %v: %v", c.perm, c.flip, err)
		}
		if !bytes.Equal(al.Data.Raw().([]uint8), canon.Data.Raw().([]uint8)) {
			t.Errorf("%v %v: aligned labels differ from the image's voxels", c.perm, c.flip)
		}
	}
}
