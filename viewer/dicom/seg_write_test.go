package dicom

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"delineate/viewer"
	"delineate/viewer/labels"
	"delineate/viewer/nifti"
)

// segSeriesDir is the small synthetic CT series of the SEG reader's
// fixtures (testdata/make_conformance_seg.py): 3 slices of 15×13 pixels,
// so Rows·Columns = 195 is no multiple of 8 and frames start mid-byte.
var segSeriesDir = filepath.Join(segDir, "series")

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// syntheticLabels fills a label map on g with a deterministic pattern of
// ids (some slices empty for some labels), and a table naming them.
func syntheticLabels(t *testing.T, g viewer.Geometry, ids []int) *viewer.LabelMap {
	t.Helper()
	maxID := 0
	for _, id := range ids {
		maxID = max(maxID, id)
	}
	lm, err := viewer.NewLabelMap(g, maxID)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < lm.NumVoxels(); i++ {
		k := i / (g.Dims[0] * g.Dims[1])
		// Label ids[j] lives only on slices where (j+k) is not 0 mod 3, so
		// every label misses some slice and no frame is written for it.
		j := rng.Intn(len(ids) + 1)
		if j == len(ids) || (j+k)%3 == 0 {
			continue
		}
		lm.Set(i, ids[j])
	}
	return lm
}

// pairs counts the non-empty (label, slice) pairs of a label volume: the
// frames a SEG of it must have.
func pairs(lm *viewer.LabelMap) int {
	plane := lm.Dims[0] * lm.Dims[1]
	seen := map[[2]int]bool{}
	for i := 0; i < lm.NumVoxels(); i++ {
		if id := lm.At(i); id != 0 {
			seen[[2]int{id, i / plane}] = true
		}
	}
	return len(seen)
}

// assertSameLabels compares a read-back map with the written one, the
// segment numbers mapped back to label ids.
func assertSameLabels(t *testing.T, got, want *viewer.LabelMap, res *SEGWritten) {
	t.Helper()
	toLabel := map[int]int{}
	for _, sg := range res.Segments {
		toLabel[sg.Number] = sg.LabelID
	}
	if got.NumVoxels() != want.NumVoxels() {
		t.Fatalf("read back %d voxels, wrote %d", got.NumVoxels(), want.NumVoxels())
	}
	bad := 0
	for i := 0; i < want.NumVoxels(); i++ {
		g := got.At(i)
		if g != 0 {
			g = toLabel[g]
		}
		if g != want.At(i) {
			if bad < 5 {
				t.Errorf("voxel %d: read back label %d, wrote %d", i, g, want.At(i))
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%d voxels differ", bad)
	}
}

// segFrameChecks are what dciodvfy does not check, read with the DICOM
// library: every frame's DimensionIndexValues are [its segment, its
// position's 1-based rank along the normal], its source reference is the
// slice at its position, and the dimension UIDs agree.
func segFrameChecks(t *testing.T, path string, src *Series) {
	t.Helper()
	ds, err := dcm.ParseFile(path, nil, dcm.SkipPixelData())
	if err != nil {
		t.Fatalf("parse the written SEG: %v", err)
	}
	el := elements(ds.Elements)
	org := el.seqItems(tag.DimensionOrganizationSequence)
	idx := el.seqItems(tag.DimensionIndexSequence)
	if len(org) != 1 || len(idx) != 2 {
		t.Fatalf("%d dimension organisations, %d dimension indices; want 1 and 2", len(org), len(idx))
	}
	uid := org[0].str(tag.DimensionOrganizationUID)
	for i, it := range idx {
		if it.str(tag.DimensionOrganizationUID) != uid {
			t.Errorf("DimensionIndexSequence item %d has another DimensionOrganizationUID", i+1)
		}
	}
	if len(el.seqItems(tag.SharedFunctionalGroupsSequence)[0].seqItems(tag.PixelMeasuresSequence)) != 1 {
		t.Error("no shared PixelMeasuresSequence")
	}
	// The source slices: SOP instance and position rank.
	normal := src.Geometry.Direction.Column(2)
	rank := map[string]int{}
	inst := map[int]string{}
	for k, sl := range src.slices {
		sd, err := dcm.ParseFile(sl.h.path, nil, dcm.SkipPixelData())
		if err != nil {
			t.Fatal(err)
		}
		inst[k+1] = elements(sd.Elements).str(tag.SOPInstanceUID)
		rank[inst[k+1]] = k + 1
	}
	nseg := len(el.seqItems(tag.SegmentSequence))
	frames := el.seqItems(tag.PerFrameFunctionalGroupsSequence)
	if n, _ := el.int(tag.NumberOfFrames); n != len(frames) {
		t.Fatalf("NumberOfFrames %d, %d per-frame groups", n, len(frames))
	}
	lastSeg, lastPos := 0, 0
	for f, fg := range frames {
		div := fg.seqItems(tag.FrameContentSequence)[0].floats(tag.DimensionIndexValues)
		seg, _ := fg.seqItems(tag.SegmentIdentificationSequence)[0].int(tag.ReferencedSegmentNumber)
		ipp := fg.seqItems(tag.PlanePositionSequence)[0].floats(tag.ImagePositionPatient)
		ref := fg.seqItems(tag.DerivationImageSequence)[0].seqItems(tag.SourceImageSequence)[0].str(tag.ReferencedSOPInstanceUID)
		if len(div) != 2 {
			t.Fatalf("frame %d: %d DimensionIndexValues", f+1, len(div))
		}
		s, p := int(div[0]), int(div[1])
		if s != seg || s < 1 || s > nseg {
			t.Errorf("frame %d: DimensionIndexValues[0] %d, segment %d of %d", f+1, s, seg, nseg)
		}
		if p < 1 || p > len(src.slices) {
			t.Fatalf("frame %d: position index %d outside 1..%d", f+1, p, len(src.slices))
		}
		if ref != inst[p] || rank[ref] != p {
			t.Errorf("frame %d: position index %d, but it references the source image of rank %d", f+1, p, rank[ref])
		}
		want := src.slices[p-1].pos
		if math.Abs((viewer.Vec3{ipp[0], ipp[1], ipp[2]}).Dot(normal)-want.Dot(normal)) > 1e-3 {
			t.Errorf("frame %d: ImagePositionPatient %v, its source slice is at %v", f+1, ipp, want)
		}
		if s < lastSeg || (s == lastSeg && p <= lastPos) {
			t.Errorf("frame %d [%d,%d] after [%d,%d]: frames go by segment, then position", f+1, s, p, lastSeg, lastPos)
		}
		lastSeg, lastPos = s, p
	}
}

// runVerifier runs dciodvfy (or dcentvfy) and returns the number of
// "Error" lines it printed (its exit status is not to be trusted, see
// ../shared/specs/dicom-seg.md), skipping when it is not installed.
func runVerifier(t *testing.T, tool string, args ...string) int {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Logf("%s not installed (Debian dicom3tools; scripts/setup-deps.sh): check skipped", tool)
		return -1
	}
	out, _ := exec.Command(tool, args...).CombinedOutput()
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Error") {
			n++
			if n <= 10 {
				t.Errorf("%s: %s", tool, line)
			}
		}
	}
	t.Logf("%s: %d errors; output:\n%s", tool, n, firstLines(string(out), 12))
	return n
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// expectedFrames lists the masks a SEG of lm holds, in its frame order:
// by segment, then by slice.
func expectedFrames(lm *viewer.LabelMap, res *SEGWritten) [][]uint8 {
	plane := lm.Dims[0] * lm.Dims[1]
	var out [][]uint8
	for _, sg := range res.Segments {
		for k := 0; k < lm.Dims[2]; k++ {
			m := make([]uint8, plane)
			any := false
			for p := range m {
				if lm.At(k*plane+p) == sg.LabelID {
					m[p], any = 1, true
				}
			}
			if any {
				out = append(out, m)
			}
		}
	}
	return out
}

// dcmtkFrames decodes every frame with DCMTK's dcm2pnm (an independent
// reader of the 1-bit stream) and compares it with the expected masks.
func dcmtkFrames(t *testing.T, path string, want [][]uint8) {
	t.Helper()
	if _, err := exec.LookPath("dcm2pnm"); err != nil {
		t.Log("dcm2pnm not installed (Debian dcmtk; scripts/setup-deps.sh): DCMTK frame check skipped")
		return
	}
	dir := t.TempDir()
	for f, m := range want {
		pgm := filepath.Join(dir, fmt.Sprintf("f%d.pgm", f+1))
		if out, err := exec.Command("dcm2pnm", "--frame", fmt.Sprint(f+1), "--write-raw-pnm", path, pgm).CombinedOutput(); err != nil {
			t.Fatalf("dcm2pnm frame %d: %v: %s", f+1, err, out)
		}
		b, err := os.ReadFile(pgm)
		if err != nil {
			t.Fatal(err)
		}
		// "P5\nW H\n255\n" then one byte a pixel.
		n := 0
		for lines := 0; lines < 3 && n < len(b); n++ {
			if b[n] == '\n' {
				lines++
			}
		}
		var w, h, maxv int
		if _, err := fmt.Sscanf(string(b[:n]), "P5\n%d %d\n%d\n", &w, &h, &maxv); err != nil || len(b)-n != len(m) || w*h != len(m) {
			t.Fatalf("frame %d: unexpected PGM (%v, %d bytes of pixels for %d)", f+1, err, len(b)-n, len(m))
		}
		for p, v := range b[n:] {
			if (v != 0) != (m[p] != 0) {
				t.Fatalf("frame %d pixel %d: DCMTK decodes %d, the mask has %d", f+1, p, v, m[p])
			}
		}
	}
	t.Logf("DCMTK dcm2pnm decoded all %d frames as written", len(want))
}

func TestWriteSEGSynthetic(t *testing.T) {
	src := scanOne(t, segSeriesDir)
	ids := []int{2, 7, 300} // 300: a uint16 label map
	lm := syntheticLabels(t, src.Geometry, ids)
	_ = lm.Table.Set(viewer.Label{ID: 2, Name: "liver", Colour: color.RGBA{221, 130, 101, 255}})
	_ = lm.Table.Set(viewer.Label{ID: 7, Name: "Leber – größer\\Teil", Colour: color.RGBA{0, 151, 206, 255}})
	// 300 has no entry: "Label 300" in the default palette's colour.
	out := filepath.Join(t.TempDir(), "seg.dcm")
	opt := SEGOptions{Time: fixedTime, AlgorithmType: "automatic", AlgorithmName: "unit test model",
		Segments:           map[int]SegmentInfo{7: {AlgorithmType: AlgorithmManual}, 300: {AlgorithmType: AlgorithmSemiautomatic, Category: Code{"49755003", "SCT", "Morphologically Altered Structure"}, Type: Code{"108369006", "SCT", "Neoplasm"}}},
		ContentCreatorName: "Fixture^Reader"}
	res, err := WriteSEG(out, src, lm, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := pairs(lm); res.Frames != want {
		t.Errorf("%d frames written, %d non-empty (label, slice) pairs", res.Frames, want)
	}
	if res.Frames >= len(ids)*src.Slices {
		t.Errorf("%d frames for %d labels × %d slices: empty pairs were written", res.Frames, len(ids), src.Slices)
	}
	st, err := os.Stat(out)
	if err != nil || st.Size() != res.Bytes {
		t.Fatalf("file size %v (err %v), reported %d", st.Size(), err, res.Bytes)
	}

	seg, err := ReadSEG(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(seg.Frames) != res.Frames || seg.SeriesUID != res.SeriesInstanceUID || seg.FrameOfRef != src.slices[0].h.frameOfRef {
		t.Errorf("read back %d frames, series %q, frame of reference %q", len(seg.Frames), seg.SeriesUID, seg.FrameOfRef)
	}
	if len(seg.ReferencedSeries) != 1 || seg.ReferencedSeries[0] != src.UID {
		t.Errorf("ReferencedSeries %v, want [%s]", seg.ReferencedSeries, src.UID)
	}
	want := []struct {
		label, alg, name string
		colour           color.RGBA
	}{
		{"liver", "AUTOMATIC", "unit test model", color.RGBA{221, 130, 101, 255}},
		{"Leber – größer/Teil", "MANUAL", "", color.RGBA{0, 151, 206, 255}},
		{"Label 300", "SEMIAUTOMATIC", "unit test model", viewer.DefaultLabelColours().Colour(300)},
	}
	if len(seg.Segments) != len(want) {
		t.Fatalf("%d segments read back, want %d", len(seg.Segments), len(want))
	}
	for i, w := range want {
		sg := seg.Segments[i]
		if sg.Number != i+1 || sg.Label != w.label || sg.AlgorithmType != w.alg || sg.AlgorithmName != w.name || !sg.HasColour || sg.Colour != w.colour {
			t.Errorf("segment %d: %+v; want number %d, %+v", i+1, sg, i+1, w)
		}
		if res.Segments[i].LabelID != ids[i] {
			t.Errorf("segment %d holds label %d, want %d", i+1, res.Segments[i].LabelID, ids[i])
		}
	}
	back, err := seg.LabelsOn(src.Geometry)
	if err != nil {
		t.Fatal(err)
	}
	assertSameLabels(t, back, lm, res)
	segFrameChecks(t, out, src)

	// The codes and the character set, as written.
	ds, err := dcm.ParseFile(out, nil, dcm.SkipPixelData())
	if err != nil {
		t.Fatal(err)
	}
	el := elements(ds.Elements)
	if cs := el.str(tag.SpecificCharacterSet); cs != "ISO_IR 192" {
		t.Errorf("SpecificCharacterSet %q with a non-ASCII segment label; want ISO_IR 192", cs)
	}
	items := el.seqItems(tag.SegmentSequence)
	typ := items[2].seqItems(tag.SegmentedPropertyTypeCodeSequence)[0]
	cat := items[0].seqItems(tag.SegmentedPropertyCategoryCodeSequence)[0]
	if typ.str(tag.CodeValue) != "108369006" || cat.str(tag.CodeValue) != CodeAnatomicalStructure.Value || cat.str(tag.CodingSchemeDesignator) != "SCT" {
		t.Errorf("codes: type %q, category %q", typ.str(tag.CodeValue), cat.str(tag.CodeValue))
	}
	if el.str(tag.PatientName) != "Fixture^Synthetic" || el.str(tag.PatientID) != "FIXTURE-SEG" || el.str(tag.Modality) != "SEG" || el.str(tag.ContentDate) != "20260102" {
		t.Errorf("patient %q/%q, modality %q, content date %q", el.str(tag.PatientName), el.str(tag.PatientID), el.str(tag.Modality), el.str(tag.ContentDate))
	}
	if n := runVerifier(t, "dciodvfy", out); n > 0 {
		t.Errorf("dciodvfy: %d errors", n)
	}
	dcmtkFrames(t, out, expectedFrames(lm, res))
	files, _ := filepath.Glob(filepath.Join(segSeriesDir, "*.dcm"))
	if n := runVerifier(t, "dcentvfy", append([]string{out}, files...)...); n > 0 {
		t.Errorf("dcentvfy: %d errors", n)
	}
}

// The real CT series (20 slices, 512²) with the 31-label segmentation
// that lines up with its dcm2niix conversion: the labels arrive in
// dcm2niix's row order and are put on the series' grid by WriteSEG.
func TestWriteSEGRealCT(t *testing.T) {
	ctDir := sharedData(t, "ct-dicom-series-raw")
	labPath := filepath.Join(sharedData(t, "ct-dicom-series-reference"), "example_seg_dicom.nii.gz")
	names, err := labels.ReadTable(filepath.Join(sharedData(t, "ct-abdomen"), "labels_total_v2.json"))
	if err != nil {
		t.Fatal(err)
	}
	src := scanOne(t, ctDir)
	lab, err := nifti.Read(labPath)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := viewer.LabelMapFromVolume(lab)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "seg.dcm")
	t0 := time.Now()
	res, err := WriteSEG(out, src, lm, SEGOptions{Table: names, AlgorithmType: AlgorithmAutomatic, AlgorithmName: "TotalSegmentator", Time: fixedTime})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d segments, %d frames, %d bytes in %v", len(res.Segments), res.Frames, res.Bytes, time.Since(t0))
	onGrid, err := viewer.AlignTo(src.Geometry, lab, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := viewer.LabelMapFromVolume(onGrid)
	if len(res.Segments) != 31 || res.Frames != pairs(want) || res.Frames != 520 {
		t.Errorf("%d segments, %d frames; want 31 and %d non-empty pairs (520)", len(res.Segments), res.Frames, pairs(want))
	}
	seg, err := ReadSEG(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, sg := range seg.Segments {
		w := res.Segments[i]
		l, _ := names.Get(w.LabelID)
		if sg.Label != l.Name || sg.Colour != w.Colour || sg.AlgorithmType != "AUTOMATIC" || sg.AlgorithmName != "TotalSegmentator" {
			t.Errorf("segment %d: %q %v %s %q; wrote %q %v", sg.Number, sg.Label, sg.Colour, sg.AlgorithmType, sg.AlgorithmName, l.Name, w.Colour)
		}
	}
	back, err := seg.LabelsOn(src.Geometry)
	if err != nil {
		t.Fatal(err)
	}
	assertSameLabels(t, back, want, res)
	// And on the dcm2niix grid the labels came on.
	img := loadOne(t, ctDir)
	flipped := viewer.FlipAxis(img, 1)
	back2, err := seg.LabelsOn(flipped.Geometry)
	if err != nil {
		t.Fatal(err)
	}
	lm2, _ := viewer.LabelMapFromVolume(lab)
	assertSameLabels(t, back2, lm2, res)
	segFrameChecks(t, out, src)

	if n := runVerifier(t, "dciodvfy", out); n > 0 {
		t.Errorf("dciodvfy: %d errors", n)
	}
	files, _ := filepath.Glob(filepath.Join(ctDir, "*.dcm"))
	if n := runVerifier(t, "dcentvfy", append([]string{out}, files...)...); n > 0 {
		t.Errorf("dcentvfy: %d errors", n)
	}
}

func TestWriteSEGRefusals(t *testing.T) {
	src := scanOne(t, segSeriesDir)
	dir := t.TempDir()
	out := filepath.Join(dir, "seg.dcm")

	empty, _ := viewer.NewLabelMap(src.Geometry, 1)
	if _, err := WriteSEG(out, src, empty, SEGOptions{}); !errors.Is(err, ErrSEGNothing) {
		t.Errorf("empty labels: %v, want ErrSEGNothing", err)
	}
	g := src.Geometry
	g.Dims[2]--
	short := syntheticLabels(t, g, []int{1})
	if _, err := WriteSEG(out, src, short, SEGOptions{}); !errors.Is(err, ErrSEGLabels) || !strings.Contains(err.Error(), "not on the series' grid") {
		t.Errorf("labels one slice short: %v, want ErrSEGLabels", err)
	}
	lm := syntheticLabels(t, src.Geometry, []int{1, 2})
	if _, err := WriteSEG(out, src, lm, SEGOptions{AlgorithmType: "GUESSED"}); !errors.Is(err, ErrSEGLabels) {
		t.Errorf("bad algorithm type: %v, want ErrSEGLabels", err)
	}
	if _, err := WriteSEG(out, nil, lm, SEGOptions{}); !errors.Is(err, ErrSEGSource) {
		t.Errorf("no series: %v, want ErrSEGSource", err)
	}
	defer func(n int64) { maxSEGWriteBytes = n }(maxSEGWriteBytes)
	maxSEGWriteBytes = 50
	if _, err := WriteSEG(out, src, lm, SEGOptions{}); !errors.Is(err, ErrSEGLabels) || !strings.Contains(err.Error(), "frames") {
		t.Errorf("too many frames: %v, want ErrSEGLabels", err)
	}
	maxSEGWriteBytes = maxSEGBytes
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a refused export left a file")
	}

	// An existing file stays unless asked.
	if err := os.WriteFile(out, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteSEG(out, src, lm, SEGOptions{}); !errors.Is(err, os.ErrExist) {
		t.Errorf("existing output: %v, want os.ErrExist", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep" {
		t.Error("existing output was changed")
	}
	if _, err := WriteSEG(out, src, lm, SEGOptions{Overwrite: true}); err != nil {
		t.Errorf("overwrite: %v", err)
	}
	if !IsSEG(out) {
		t.Error("overwritten file is no SEG")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// Source files whose UIDs are empty: refused, naming the file.
	blank := filepath.Join(dir, "blank")
	if err := os.Mkdir(blank, 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(segSeriesDir, "*.dcm"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		sd, err := dcm.ParseFile(f, nil, dcm.SkipPixelData())
		if err != nil {
			t.Fatal(err)
		}
		uid := elements(sd.Elements).str(tag.SOPInstanceUID)
		b = bytes.ReplaceAll(b, []byte(uid), bytes.Repeat([]byte(" "), len(uid)))
		if err := os.WriteFile(filepath.Join(blank, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bsrc := scanOne(t, blank)
	_, err := WriteSEG(filepath.Join(dir, "blank.dcm"), bsrc, syntheticLabels(t, bsrc.Geometry, []int{1}), SEGOptions{})
	if !errors.Is(err, ErrSEGSource) || !strings.Contains(err.Error(), "empty SOP") {
		t.Errorf("empty SOPInstanceUIDs: %v, want ErrSEGSource", err)
	}
}

// The JPEG 2000 original of the real series has empty Study, Series and
// SOP Instance UIDs.
func TestWriteSEGEmptyUIDsReal(t *testing.T) {
	src := scanOne(t, sharedData(t, "ct-dicom-series-j2k"))
	lm := syntheticLabels(t, src.Geometry, []int{1})
	_, err := WriteSEG(filepath.Join(t.TempDir(), "seg.dcm"), src, lm, SEGOptions{})
	if !errors.Is(err, ErrSEGSource) {
		t.Fatalf("%v, want ErrSEGSource", err)
	}
	t.Log(err)
}

// The packer against bit-by-bit packing, for frame sizes on and off byte
// boundaries.
func TestBitPacker(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{195, 8, 64, 13, 1, 1000} {
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		bp := &bitPacker{w: bw}
		var bits []bool
		for f := 0; f < 5; f++ {
			frame := make([]byte, (n+7)/8)
			for p := 0; p < n; p++ {
				if rng.Intn(3) == 0 {
					frame[p>>3] |= 1 << (p & 7)
					bits = append(bits, true)
				} else {
					bits = append(bits, false)
				}
			}
			if err := bp.put(frame, n); err != nil {
				t.Fatal(err)
			}
		}
		total := int64((len(bits) + 7) / 8)
		total += total % 2
		if err := bp.finish(total); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		got := buf.Bytes()
		if int64(len(got)) != total {
			t.Fatalf("n=%d: %d bytes, want %d", n, len(got), total)
		}
		for i, b := range bits {
			if (got[i>>3]>>(i&7)&1 == 1) != b {
				t.Fatalf("n=%d: bit %d wrong", n, i)
			}
		}
		for i := len(bits); i < 8*len(got); i++ {
			if got[i>>3]>>(i&7)&1 != 0 {
				t.Fatalf("n=%d: padding bit %d set", n, i)
			}
		}
	}
}

func TestRGBToDICOMLabRoundTrip(t *testing.T) {
	for r := 0; r < 256; r += 5 {
		for g := 0; g < 256; g += 3 {
			for b := 0; b < 256; b += 7 {
				c := color.RGBA{uint8(r), uint8(g), uint8(b), 255}
				if got := DICOMLabToRGB(float64FromLab(RGBToDICOMLab(c))); got != c {
					t.Fatalf("%v → Lab → %v", c, got)
				}
			}
		}
	}
	// White and black at the ends of the scale.
	if l, a, b := RGBToDICOMLab(color.RGBA{255, 255, 255, 255}); l != 65535 || math.Abs(float64(a)-32896) > 2 || math.Abs(float64(b)-32896) > 2 {
		t.Errorf("white → %d %d %d", l, a, b)
	}
	if l, _, _ := RGBToDICOMLab(color.RGBA{0, 0, 0, 255}); l != 0 {
		t.Errorf("black → L %d", l)
	}
}

func float64FromLab(l, a, b uint16) (float64, float64, float64) {
	return float64(l), float64(a), float64(b)
}

func TestFormatDS(t *testing.T) {
	for _, v := range []float64{-804.5, 0.9765625, 249.51171875, -61.51171875, 1e-20, 123456789012345678, -0.000123456789123, 2} {
		s := formatDS(v)
		if len(s) > 16 {
			t.Errorf("%g → %q: longer than 16", v, s)
		}
		var back float64
		if _, err := fmt.Sscan(s, &back); err != nil || math.Abs(back-v) > 1e-12*math.Max(1, math.Abs(v)) && math.Abs(back-v)/math.Abs(v) > 1e-10 {
			t.Errorf("%g → %q → %g", v, s, back)
		}
	}
}

func TestNewUID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		u := NewUID()
		if len(u) > 64 || !strings.HasPrefix(u, "2.25.") || strings.HasPrefix(u, "2.25.0") || seen[u] {
			t.Fatalf("bad or repeated UID %q", u)
		}
		seen[u] = true
	}
}

// An enhanced (multi-frame) source: every SEG frame references its source
// frame by ReferencedFrameNumber, the frame at its position.
func TestWriteSEGMultiFrameSource(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "dicom", "enhanced")
	src := scanOne(t, path)
	lm := syntheticLabels(t, src.Geometry, []int{1, 2})
	out := filepath.Join(t.TempDir(), "seg.dcm")
	res, err := WriteSEG(out, src, lm, SEGOptions{Time: fixedTime})
	if err != nil {
		t.Fatal(err)
	}
	seg, err := ReadSEG(out)
	if err != nil {
		t.Fatal(err)
	}
	back, err := seg.LabelsOn(src.Geometry)
	if err != nil {
		t.Fatal(err)
	}
	assertSameLabels(t, back, lm, res)
	// The source's frame positions, by frame number.
	sd, err := dcm.ParseFile(filepath.Join(path, "enhanced-ct.dcm"), nil, dcm.SkipPixelData())
	if err != nil {
		t.Fatal(err)
	}
	var srcPos []float64
	normal := src.Geometry.Direction.Column(2)
	for _, fg := range elements(sd.Elements).seqItems(tag.PerFrameFunctionalGroupsSequence) {
		v := fg.seqItems(tag.PlanePositionSequence)[0].floats(tag.ImagePositionPatient)
		srcPos = append(srcPos, (viewer.Vec3{v[0], v[1], v[2]}).Dot(normal))
	}
	ds, err := dcm.ParseFile(out, nil, dcm.SkipPixelData())
	if err != nil {
		t.Fatal(err)
	}
	frames := elements(ds.Elements).seqItems(tag.PerFrameFunctionalGroupsSequence)
	if len(frames) != res.Frames || res.Frames != pairs(lm) {
		t.Fatalf("%d frames, %d reported, %d non-empty pairs", len(frames), res.Frames, pairs(lm))
	}
	for f, fg := range frames {
		ref := fg.seqItems(tag.DerivationImageSequence)[0].seqItems(tag.SourceImageSequence)[0]
		n, ok := ref.int(tag.ReferencedFrameNumber)
		v := fg.seqItems(tag.PlanePositionSequence)[0].floats(tag.ImagePositionPatient)
		if !ok || n < 1 || n > len(srcPos) || math.Abs((viewer.Vec3{v[0], v[1], v[2]}).Dot(normal)-srcPos[n-1]) > 1e-3 {
			t.Errorf("frame %d references source frame %d (ok %v), not the one at its position", f+1, n, ok)
		}
	}
	if n := runVerifier(t, "dciodvfy", out); n > 0 {
		t.Errorf("dciodvfy: %d errors", n)
	}
}

// A gantry-tilted series loads resampled onto an orthogonal grid of the
// same size, and the labels drawn on it are on that grid: the frames lie
// there (not at the sheared stored positions), each deriving from the
// stored slice in its plane, and read back exactly.
func TestWriteSEGTilted(t *testing.T) {
	src := scanOne(t, conformanceDir("geometry", "tilt"))
	if src.regrid == nil {
		t.Fatal("the tilt fixture is not resampled")
	}
	lm := syntheticLabels(t, src.Geometry, []int{1, 3})
	out := filepath.Join(t.TempDir(), "seg.dcm")
	res, err := WriteSEG(out, src, lm, SEGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != pairs(lm) {
		t.Errorf("%d frames, %d non-empty pairs", res.Frames, pairs(lm))
	}
	segFrameChecks(t, out, src) // the stored slice in each frame's plane
	seg, err := ReadSEG(out)
	if err != nil {
		t.Fatal(err)
	}
	g := src.Geometry
	sheared := 0
	for f, fr := range seg.Frames {
		idx := g.LPSToIndex(fr.Position)
		k := math.Round(idx[2])
		if math.Abs(idx[0]) > 1e-3 || math.Abs(idx[1]) > 1e-3 || math.Abs(idx[2]-k) > 1e-3 {
			t.Errorf("frame %d at voxel %v: not a slice origin of the loaded grid", f+1, idx)
		}
		if src.slices[int(k)].pos != fr.Position {
			sheared++
		}
	}
	if sheared == 0 {
		t.Error("every frame is at its stored slice's position: the fixture's tilt is not exercised")
	}
	back, err := seg.LabelsOn(g)
	if err != nil {
		t.Fatal(err)
	}
	assertSameLabels(t, back, lm, res)
	if n := runVerifier(t, "dciodvfy", out); n > 0 {
		t.Errorf("dciodvfy: %d errors", n)
	}
}

// Uneven spacing: the loaded grid has more slices than are stored; a
// frame between two stored slices derives from both.
func TestWriteSEGResampledSpacing(t *testing.T) {
	src := scanOne(t, filepath.Join("..", "..", "testdata", "dicom", "gap"))
	if src.regrid == nil || src.Geometry.Dims[2] == len(src.slices) {
		t.Skipf("the gap fixture is not resampled to another slice count (%d slices, grid %v)", len(src.slices), src.Geometry.Dims)
	}
	lm := syntheticLabels(t, src.Geometry, []int{1, 2})
	out := filepath.Join(t.TempDir(), "seg.dcm")
	res, err := WriteSEG(out, src, lm, SEGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seg, err := ReadSEG(out)
	if err != nil {
		t.Fatal(err)
	}
	back, err := seg.LabelsOn(src.Geometry)
	if err != nil {
		t.Fatal(err)
	}
	assertSameLabels(t, back, lm, res)
	ds, err := dcm.ParseFile(out, nil, dcm.SkipPixelData())
	if err != nil {
		t.Fatal(err)
	}
	two := 0
	for f, fg := range elements(ds.Elements).seqItems(tag.PerFrameFunctionalGroupsSequence) {
		refs := fg.seqItems(tag.DerivationImageSequence)[0].seqItems(tag.SourceImageSequence)
		if len(refs) == 2 {
			two++
		}
		if len(refs) < 1 || len(refs) > 2 || refs[0].str(tag.SpatialLocationsPreserved) != "NO" {
			t.Errorf("frame %d: %d source images, SpatialLocationsPreserved %q", f+1, len(refs), refs[0].str(tag.SpatialLocationsPreserved))
		}
	}
	if two == 0 {
		t.Error("no frame derives from two stored slices: the gap is not exercised")
	}
	if n := runVerifier(t, "dciodvfy", out); n > 0 {
		t.Errorf("dciodvfy: %d errors", n)
	}
}

// User text becomes valid LO and CS values, with a warning when cut.
func TestSEGTextValues(t *testing.T) {
	out := &SEGWritten{}
	long := strings.Repeat("ä", 40) // 80 bytes
	got := segLO(long, "name", out)
	if len(got) > 64 || !utf8ValidPrefix(got) || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "shortened") {
		t.Errorf("segLO(80 bytes) = %q (%d bytes), warnings %v", got, len(got), out.Warnings)
	}
	if got := segLO(" a\\b\tc\x00 ", "name", out); got != "a/b c" {
		t.Errorf("segLO = %q", got)
	}
	for in, want := range map[string]string{"": "SEGMENTATION", "liver v2": "LIVER V2", "a-b.c": "A_B_C", "abcdefghijklmnopqrst": "ABCDEFGHIJKLMNOP"} {
		if got := segCS(in, "SEGMENTATION"); got != want {
			t.Errorf("segCS(%q) = %q, want %q", in, got, want)
		}
	}
	// A value too long for its VR is refused before anything is written.
	var d dataSet
	d.str(tag.SegmentLabel, "LO", strings.Repeat("x", 65))
	if err := d.check(); err == nil {
		t.Error("a 65-character LO passed the check")
	}
	d = dataSet{}
	d.str(tag.PatientName, "PN", "Fixture^Synthetic")
	d.str(tag.PatientName, "PN", "again")
	if err := d.check(); err == nil {
		t.Error("a repeated tag passed the check")
	}
}

func utf8ValidPrefix(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// Writing the real CT's 31 segments (520 frames of 512²).
func BenchmarkWriteSEGRealCT(b *testing.B) {
	src := scanOne(b, sharedData(b, "ct-dicom-series-raw"))
	lab, err := nifti.Read(filepath.Join(sharedData(b, "ct-dicom-series-reference"), "example_seg_dicom.nii.gz"))
	if err != nil {
		b.Fatal(err)
	}
	lm, _ := viewer.LabelMapFromVolume(lab)
	out := filepath.Join(b.TempDir(), "seg.dcm")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := WriteSEG(out, src, lm, SEGOptions{Overwrite: true}); err != nil {
			b.Fatal(err)
		}
	}
}
