package dicom

import (
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"delineate/viewer"
)

// The SEG fixtures and their answers are written by
// testdata/make_conformance_seg.py from the arrays it packed (and checked
// there against pydicom's reading of the files).
var segDir = filepath.Join("..", "..", "testdata", "conformance", "seg")

type segExpected struct {
	Series struct {
		Dims    [3]int      `json:"dims"`
		Spacing viewer.Vec3 `json:"spacing"`
		Origin  viewer.Vec3 `json:"origin"`
	} `json:"series"`
	Segments []struct {
		Number        int    `json:"number"`
		Label         string `json:"label"`
		RGB           [3]int `json:"rgb"`
		AlgorithmType string `json:"algorithm_type"`
	} `json:"segments"`
	Cases map[string]struct {
		Type          string `json:"type"`
		Frames        int    `json:"frames"`
		FrameSegments []int  `json:"frame_segments"`
		FrameSlices   []int  `json:"frame_slices"`
		FramePixels   []int  `json:"frame_pixels"`
		MaxFractional int    `json:"max_fractional"`
		Own           *struct {
			Dims   [3]int      `json:"dims"`
			Origin viewer.Vec3 `json:"origin"`
			Labels []int       `json:"labels"`
		} `json:"own"`
		Series struct {
			Labels   []int `json:"labels"`
			Overlaps int   `json:"overlaps"`
			OffSlice int   `json:"off_slice"`
		} `json:"series"`
	} `json:"cases"`
	Errors map[string]string `json:"errors"`
}

func readSegExpected(t *testing.T) segExpected {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(segDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e segExpected
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Cases) < 3 || len(e.Segments) != 2 {
		t.Fatalf("expected.json has %d cases, %d segments", len(e.Cases), len(e.Segments))
	}
	return e
}

func closeColour(a color.RGBA, b [3]int, tol int) bool {
	d := func(x uint8, y int) bool { return abs(int(x)-y) <= tol }
	return d(a.R, b[0]) && d(a.G, b[1]) && d(a.B, b[2]) && a.A == 255
}

// The binary SEG, in Explicit VR LE, Implicit VR LE and Deflated Explicit
// VR LE.
var segBinaryFiles = []string{"seg-binary.dcm", "seg-binary-implicit.dcm", "seg-binary-deflated.dcm"}

func TestReadSEGBinary(t *testing.T) {
	for _, name := range segBinaryFiles {
		t.Run(name, func(t *testing.T) { testReadSEGBinary(t, name) })
	}
}

func testReadSEGBinary(t *testing.T, name string) {
	e := readSegExpected(t)
	c := e.Cases[name]
	s, err := ReadSEG(filepath.Join(segDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != "BINARY" || s.Rows != 13 || s.Cols != 15 || len(s.Frames) != c.Frames {
		t.Fatalf("type %s, %d×%d, %d frames", s.Type, s.Cols, s.Rows, len(s.Frames))
	}
	if len(s.Segments) != len(e.Segments) {
		t.Fatalf("%d segments, want %d", len(s.Segments), len(e.Segments))
	}
	for i, want := range e.Segments {
		got := s.Segments[i]
		if got.Number != want.Number || got.Label != want.Label || got.AlgorithmType != want.AlgorithmType {
			t.Errorf("segment %d = %+v, want %+v", i, got, want)
		}
		// The generator encoded these sRGB colours as DICOM CIELab: the
		// conversion back must give them again (rounding: ±1).
		if !got.HasColour || !closeColour(got.Colour, want.RGB, 1) {
			t.Errorf("segment %d colour %v, want %v", want.Number, got.Colour, want.RGB)
		}
	}
	if len(s.ReferencedSeries) != 1 || s.SliceThickness != 2.5 || s.SpacingBetween != 2.5 {
		t.Errorf("referenced series %v, thickness %g, spacing %g", s.ReferencedSeries, s.SliceThickness, s.SpacingBetween)
	}
	for f, fr := range s.Frames {
		if fr.Segment != c.FrameSegments[f] {
			t.Errorf("frame %d segment %d, want %d", f, fr.Segment, c.FrameSegments[f])
		}
		wantZ := e.Series.Origin[2] + float64(c.FrameSlices[f])*e.Series.Spacing[2]
		if fr.Position != (viewer.Vec3{-6, -4.5, wantZ}) || fr.Orientation != [6]float64{1, 0, 0, 0, 1, 0} || fr.PixelSpacing != [2]float64{0.8, 0.6} {
			t.Errorf("frame %d at %v %v %v, want z %g", f, fr.Position, fr.Orientation, fr.PixelSpacing, wantZ)
		}
		if fr.SourceUID == "" {
			t.Errorf("frame %d: no source image UID", f)
		}
		n := 0
		for _, v := range s.Mask(f) {
			n += int(v)
		}
		if n != c.FramePixels[f] {
			t.Errorf("frame %d has %d pixels set, want %d", f, n, c.FramePixels[f])
		}
	}
	tab := s.Table()
	if l, ok := tab.Get(2); !ok || l.Name != "Lesion" || !closeColour(l.Colour, e.Segments[1].RGB, 1) || !l.Visible {
		t.Errorf("table entry 2 = %+v", l)
	}
}

// checkLabels compares a label map with expected ids, voxel by voxel.
func checkLabels(t *testing.T, what string, lm *viewer.LabelMap, want []int) {
	t.Helper()
	if lm.NumVoxels() != len(want) {
		t.Fatalf("%s: %d voxels, want %d", what, lm.NumVoxels(), len(want))
	}
	bad := 0
	for i, w := range want {
		if g := lm.At(i); g != w {
			if bad < 5 {
				t.Errorf("%s: voxel %d (i=%d j=%d k=%d) = %d, want %d", what, i, i%lm.Dims[0], i/lm.Dims[0]%lm.Dims[1], i/(lm.Dims[0]*lm.Dims[1]), g, w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d voxels differ", what, bad, len(want))
	}
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestSEGOwnGeometry(t *testing.T) {
	e := readSegExpected(t)
	for _, name := range append([]string{"seg-fractional.dcm"}, segBinaryFiles...) {
		c := e.Cases[name]
		s, err := ReadSEG(filepath.Join(segDir, name))
		if err != nil {
			t.Fatal(err)
		}
		lm, err := s.LabelMap()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g := lm.Geometry
		if g.Dims != c.Own.Dims || g.Origin != c.Own.Origin || g.Spacing != e.Series.Spacing || g.Direction != viewer.Identity3 {
			t.Errorf("%s: geometry %+v, want dims %v origin %v spacing %v", name, g, c.Own.Dims, c.Own.Origin, e.Series.Spacing)
		}
		checkLabels(t, name+" own", lm, c.Own.Labels)
		if c.Series.Overlaps > 0 && !hasWarning(lm.Warnings, "more than one segment") {
			t.Errorf("%s: no overlap warning in %q", name, lm.Warnings)
		}
		if len(lm.Table.Labels) != len(s.Segments) {
			t.Errorf("%s: table %+v", name, lm.Table)
		}
	}
}

// loadSegSeries loads the fixtures' CT series as the viewer does.
func loadSegSeries(t *testing.T) *viewer.Volume {
	t.Helper()
	res, err := Scan(context.Background(), filepath.Join(segDir, "series"), Options{Workers: 1})
	if err != nil || len(res.Series) != 1 {
		t.Fatalf("scan: %v (%v)", err, res)
	}
	v, err := res.Series[0].Load(context.Background(), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSEGOverSeries(t *testing.T) {
	e := readSegExpected(t)
	vol := loadSegSeries(t)
	if vol.Dims != e.Series.Dims || vol.Origin != e.Series.Origin || vol.Spacing != e.Series.Spacing {
		t.Fatalf("series geometry %+v", vol.Geometry)
	}
	for _, name := range append([]string{"seg-fractional.dcm", "seg-offslice.dcm"}, segBinaryFiles...) {
		c := e.Cases[name]
		s, err := ReadSEG(filepath.Join(segDir, name))
		if err != nil {
			t.Fatal(err)
		}
		lm, err := s.LabelsOn(vol.Geometry)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkLabels(t, name+" over the series", lm, c.Series.Labels)
		if got := hasWarning(lm.Warnings, strconv.Itoa(c.Series.Overlaps)+" voxels belong to more than one segment"); got != (c.Series.Overlaps > 0) {
			t.Errorf("%s: overlap warning %v, want %d overlaps: %q", name, got, c.Series.Overlaps, lm.Warnings)
		}
		if got := hasWarning(lm.Warnings, strconv.Itoa(c.Series.OffSlice)+" of "); got != (c.Series.OffSlice > 0) {
			t.Errorf("%s: off-slice warning %v, want %d: %q", name, got, c.Series.OffSlice, lm.Warnings)
		}

		// The same labels on the grid stored rows bottom-up (dcm2niix's
		// layout, as a NIfTI conversion of the series has it).
		flipped := viewer.FlipAxis(&viewer.Volume{Geometry: vol.Geometry, Data: lm.Data}, 1)
		lf, err := s.LabelsOn(flipped.Geometry)
		if err != nil {
			t.Fatalf("%s on the flipped grid: %v", name, err)
		}
		want := make([]int, flipped.Data.Len())
		for i := range want {
			want[i] = int(flipped.Data.At(i))
		}
		checkLabels(t, name+" over the flipped grid", lf, want)
	}
}

func TestSEGErrors(t *testing.T) {
	e := readSegExpected(t)
	vol := loadSegSeries(t)
	kinds := map[string]error{"not-seg": ErrNotSEG, "unsupported": ErrSEGUnsupported, "truncated": ErrSEGTruncated,
		"geometry-over-series": ErrSEGGeometry}
	if len(e.Errors) < 6 {
		t.Fatalf("only %d error cases", len(e.Errors))
	}
	for name, kind := range e.Errors {
		want := kinds[kind]
		if want == nil {
			t.Fatalf("unknown error kind %q", kind)
		}
		path := filepath.Join(segDir, name)
		s, err := ReadSEG(path)
		if kind == "geometry-over-series" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			_, err = s.LabelsOn(vol.Geometry)
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: error %v, want %v", name, err, want)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: the error does not name the file: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
	// Not DICOM at all.
	p := filepath.Join(t.TempDir(), "labels.nii")
	os.WriteFile(p, make([]byte, 400), 0o644)
	if _, err := ReadSEG(p); !errors.Is(err, ErrNotSEG) {
		t.Errorf("a NIfTI-sized file of zeros: %v", err)
	}
	if IsSEG(p) || IsSEG(filepath.Join(segDir, "series", "ct-1.dcm")) || !IsSEG(filepath.Join(segDir, "seg-binary.dcm")) {
		t.Error("IsSEG is wrong")
	}
}

func TestDICOMLabToRGB(t *testing.T) {
	for _, c := range []struct {
		lab  [3]float64
		want [3]int
	}{
		{[3]float64{65535, 32896, 32896}, [3]int{255, 255, 255}}, // L 100, a = b = 0 (0.0039)
		{[3]float64{0, 32896, 32896}, [3]int{0, 0, 0}},
		// sRGB red is L 53.24, a 80.09, b 67.20 (D65).
		{[3]float64{53.24 * 65535 / 100, (80.09 + 128) * 65535 / 255, (67.20 + 128) * 65535 / 255}, [3]int{255, 0, 0}},
	} {
		if got := DICOMLabToRGB(c.lab[0], c.lab[1], c.lab[2]); !closeColour(got, c.want, 1) {
			t.Errorf("%v → %v, want %v", c.lab, got, c.want)
		}
	}
	if got := DICOMLabToRGB(math.NaN(), 0, 0); got.A != 255 {
		t.Errorf("NaN → %v", got)
	}
}

// The 1-bit stream is continuous across frames: frame 1 of 195-pixel
// frames starts at bit 3 of byte 24.
func TestSEGMaskBitOffsets(t *testing.T) {
	s := &SEG{Type: "BINARY", Rows: 13, Cols: 15, pixels: make([]byte, 49)}
	s.pixels[24] = 1 << 3  // bit 195: frame 1, pixel 0
	s.pixels[48] = 1 << 5  // bit 389: frame 1, pixel 194 (the last)
	s.pixels[24] |= 1 << 2 // bit 194: frame 0's last pixel
	m0, m1 := s.Mask(0), s.Mask(1)
	if m0[194] != 1 || m1[0] != 1 || m1[194] != 1 || m0[0] != 0 || m1[1] != 0 {
		t.Errorf("frame 0 last %d, frame 1 first %d last %d", m0[194], m1[0], m1[194])
	}
	n := 0
	for _, v := range append(m0, m1...) {
		n += int(v)
	}
	if n != 3 {
		t.Errorf("%d bits set, want 3", n)
	}
}

// eachSet skips empty bytes and 8-byte runs: it must still find exactly
// the bits a plain LSB-first unpacking finds, for frames starting anywhere
// in a byte.
func TestSEGEachSetMatchesUnpacking(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for trial := 0; trial < 200; trial++ {
		rows, cols, n := 1+r.Intn(20), 1+r.Intn(37), 1+r.Intn(6)
		px := make([]byte, (rows*cols*n+7)/8)
		for i := range px {
			if r.Intn(4) == 0 { // mostly empty, as masks are
				px[i] = byte(r.Intn(256))
			}
		}
		s := &SEG{Type: "BINARY", Rows: rows, Cols: cols, pixels: px}
		for f := 0; f < n; f++ {
			m := s.Mask(f)
			for p := range m {
				bit := f*rows*cols + p
				if want := px[bit/8] >> (bit % 8) & 1; m[p] != want {
					t.Fatalf("%d×%d frame %d pixel %d = %d, want %d", cols, rows, f, p, m[p], want)
				}
			}
		}
	}
}

// The frames' own grid: gaps stay empty slices when the positions are
// multiples of one step; irregular positions get one slice each and a
// warning.
func TestSEGOwnGridGapsAndIrregular(t *testing.T) {
	mk := func(between float64, zs ...float64) *SEG {
		s := &SEG{Path: "x.dcm", Type: "BINARY", Rows: 2, Cols: 4, SpacingBetween: between,
			Segments: []Segment{{Number: 1}}, pixels: make([]byte, len(zs))}
		for f, z := range zs {
			s.Frames = append(s.Frames, SEGFrame{Segment: 1, Position: viewer.Vec3{0, 0, z},
				Orientation: [6]float64{1, 0, 0, 0, 1, 0}, PixelSpacing: [2]float64{1, 1}})
			s.pixels[f] = 1 << f // pixel f of frame f
		}
		return s
	}
	for _, c := range []struct {
		s       *SEG
		n       int
		step    float64
		slices  []int // the slice each frame lands on
		warning string
	}{
		{mk(2.5, 15, 10), 3, 2.5, []int{2, 0}, ""}, // a gap where no segment has a frame
		{mk(0, 10, 15), 2, 5, []int{0, 1}, ""},     // nothing says there is a slice between
		{mk(0, 10, 12.5, 16), 3, 3, []int{0, 1, 2}, "not evenly spaced"},
	} {
		lm, err := c.s.LabelMap()
		if err != nil {
			t.Fatal(err)
		}
		if lm.Dims != [3]int{4, 2, c.n} || lm.Spacing[2] != c.step || lm.Origin[2] != 10 {
			t.Errorf("dims %v spacing %v origin %v, want %d slices of %g", lm.Dims, lm.Spacing, lm.Origin, c.n, c.step)
			continue
		}
		for f, k := range c.slices {
			if lm.At(f+8*k) != 1 {
				t.Errorf("frame %d is not on slice %d", f, k)
			}
		}
		ok := len(lm.Warnings) == 0
		if c.warning != "" {
			ok = hasWarning(lm.Warnings, c.warning)
		}
		if !ok {
			t.Errorf("warnings %q, want %q", lm.Warnings, c.warning)
		}
	}
}
