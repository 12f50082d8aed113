package dicom

// Writing a label map as a DICOM Segmentation (SEG, PS3.3 A.51) over the
// series it was drawn on: the object OHIF, 3D Slicer and a PACS show as
// labels over that series.
//
// One segment per label present, numbered 1..n in label order (the
// standard wants Segment Numbers to start at 1 and increase by 1, so a
// label map with ids 1, 5, 117 becomes segments 1, 2, 3; SEGWritten says
// which is which). A frame for every (segment, slice) pair that has
// voxels, ordered by segment, then by position: each frame placed by its
// source slice's ImagePositionPatient and referencing that slice's SOP
// Instance (on a series Load resamples, at the resampled slice's position,
// referencing the stored slices it comes from), the segment in
// SegmentIdentificationSequence and the
// Multi-frame Dimension module's index values [segment, position] with the
// position counted 1.. along the slice normal. BINARY, one bit a pixel in
// one continuous bitstream, least significant bit first, frames not padded
// to bytes. Explicit VR Little Endian. The attribute set is the one
// ../shared/specs/dicom-seg.md verified with dciodvfy (0 errors), plus what
// dciodvfy does not check but readers need.
//
// Patient and study attributes are copied from the source files (the SEG
// belongs to the same patient and study), which are re-read at export time
// rather than kept by every scan: a SEG export is rare, a scan is not.

import (
	"bufio"
	"errors"
	"fmt"
	"image/color"
	"math"
	"runtime/debug"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/suyashkumar/dicom/pkg/tag"

	"delineate/viewer"
	"delineate/viewer/codec"
)

// Errors WriteSEG's callers decide on; the returned errors wrap one of them
// (errors.Is), or os.ErrExist for an output that exists.
var (
	// ErrSEGNothing: the label map has no labelled voxel.
	ErrSEGNothing = errors.New("nothing to export: the label map has no labelled voxels")
	// ErrSEGSource: the source series lacks what a Segmentation must
	// reference or copy (UIDs, positions), or is of a kind a SEG of
	// this writer cannot describe (a mosaic).
	ErrSEGSource = errors.New("the source series cannot be referenced by a DICOM Segmentation")
	// ErrSEGLabels: the label map is not on the series' grid, holds values
	// that are no label ids, or needs more frames than a SEG holds.
	ErrSEGLabels = errors.New("the labels cannot be written as a DICOM Segmentation of this series")
)

// Algorithm types (SegmentAlgorithmType).
const (
	AlgorithmAutomatic     = "AUTOMATIC"     // a model or algorithm, not reviewed voxel by voxel
	AlgorithmSemiautomatic = "SEMIAUTOMATIC" // an algorithm with a person's edits or guidance
	AlgorithmManual        = "MANUAL"        // drawn by a person
)

// Code is one coded concept (a Code Sequence item).
type Code struct {
	Value, Scheme, Meaning string // CodeValue, CodingSchemeDesignator, CodeMeaning
}

// Generic codes for a segment whose table carries none: a SNOMED CT
// category and type any labelled body region satisfies.
var (
	CodeAnatomicalStructure = Code{"123037004", "SCT", "Anatomical Structure"}
	CodeTissue              = Code{"85756007", "SCT", "Tissue"}
)

// SegmentInfo describes one label's segment beyond its name and colour.
// Zero fields take SEGOptions' defaults.
type SegmentInfo struct {
	AlgorithmType string // AUTOMATIC, SEMIAUTOMATIC or MANUAL
	AlgorithmName string // the model or tool (not written for MANUAL)
	Description   string // SegmentDescription
	Category      Code   // SegmentedPropertyCategoryCodeSequence (default CodeAnatomicalStructure)
	Type          Code   // SegmentedPropertyTypeCodeSequence (default CodeTissue)
}

// SEGOptions are WriteSEG's choices; the zero value writes a valid SEG.
type SEGOptions struct {
	// Table names and colours the labels; nil uses the label map's own
	// table. A label in neither is "Label N" in the default palette's
	// colour.
	Table *viewer.LabelTable
	// Segments gives per-label algorithm, description and codes (by label
	// id); labels not in it take AlgorithmType and AlgorithmName.
	Segments map[int]SegmentInfo
	// AlgorithmType is the default: "" means SEMIAUTOMATIC, the honest
	// claim for labels whose history is not known (software was involved,
	// and a person may have edited them).
	AlgorithmType string
	AlgorithmName string // default "Delineate"
	// SeriesDescription (default "Segmentation") and SeriesNumber (default
	// the source's + 1000, or 1000) of the new series.
	SeriesDescription string
	SeriesNumber      int
	InstanceNumber    int    // default 1
	ContentLabel      string // CS: capitals, digits, space, underscore; default "SEGMENTATION"
	// ContentDescription (default the series description) and
	// ContentCreatorName (PN, "Family^Given"; empty is allowed).
	ContentDescription string
	ContentCreatorName string
	// SeriesUID and InstanceUID of the SEG: "" makes new 2.25 UIDs (give
	// them to rewrite the same object, or for reproducible tests).
	SeriesUID, InstanceUID string
	// DeviceSerialNumber and SoftwareVersions describe this software in the
	// Enhanced General Equipment module, where both must be non-empty
	// (defaults "1" and the build's module version).
	DeviceSerialNumber string
	SoftwareVersion    string
	// Time stamps the content and the series (zero: now).
	Time time.Time
	// Overwrite replaces an existing file; without it an existing path is
	// an error wrapping os.ErrExist.
	Overwrite bool
}

// SEGWritten says what WriteSEG wrote.
type SEGWritten struct {
	Path              string
	SOPInstanceUID    string
	SeriesInstanceUID string
	Segments          []WrittenSegment // in segment number order
	Frames            int
	Bytes             int64 // the file's size
	// Warnings say what was changed on the way (a name shortened to the
	// 64 characters a SegmentLabel holds, a character set replaced).
	Warnings []string
}

// WrittenSegment is one segment of the written SEG.
type WrittenSegment struct {
	Number        int    // SegmentNumber in the SEG
	LabelID       int    // the label id it holds
	Label         string // SegmentLabel
	Colour        color.RGBA
	AlgorithmType string
	AlgorithmName string
	Frames        int   // slices with voxels of this label
	Voxels        int64 // labelled voxels
}

// maxSEGWriteBytes bounds the pixel data WriteSEG writes: what ReadSEG
// reads (and below the 4 GiB an OB value's length can say).
var maxSEGWriteBytes = maxSEGBytes

// SEG attributes' fixed values.
const (
	segManufacturer = "Delineate"
	segModelName    = "Delineate"
)

var (
	codeDerivationSegmentation = Code{"113076", "DCM", "Segmentation"}
	codeSourceForProcessing    = Code{"121322", "DCM", "Source image for image processing operation"}
)

// sourceSlice is what a frame needs to know about the slice it comes from.
type sourceSlice struct {
	sopClass, sopInstance string
	frame                 int // 1-based frame of a multi-frame source; 0 for a single-frame file
	pos                   viewer.Vec3
}

// segSource is the source series as a SEG refers to it.
type segSource struct {
	slices     []sourceSlice // the stored slices, in order along the normal
	instances  [][2]string   // distinct (SOP class, SOP instance), in slice order
	seriesUID  string
	frameOfRef string
	copied     dataSet // patient and study attributes, copied
	charset    string  // the first file's SpecificCharacterSet
	warnings   []string
}

// WriteSEG writes labels as a binary DICOM Segmentation of src to path,
// atomically (a temporary file renamed into place; an existing file is
// replaced only with opt.Overwrite).
//
// labels must lie on src's grid as Load returns it, in any voxel order of
// it (a map in `convert`'s dcm2niix row order is reordered; another grid is
// an ErrSEGLabels error). For a series Load resamples (gantry tilt, uneven
// spacing) the frames lie on the resampled grid, where the labels are, each
// referencing the stored slices it was interpolated from; a label map
// drawn on the raw stack (RawStack) cannot be told from one on the
// resampled grid and would be written sheared. src is a series from Scan,
// or one volume of it (Series.Volume).
func WriteSEG(path string, src *Series, labels *viewer.LabelMap, opt SEGOptions) (*SEGWritten, error) {
	if src == nil || len(src.slices) == 0 {
		return nil, fmt.Errorf("DICOM SEG %s: no source series: %w", path, ErrSEGSource)
	}
	if labels == nil || labels.Volume == nil || labels.Data == nil {
		return nil, fmt.Errorf("DICOM SEG %s: no label map: %w", path, ErrSEGNothing)
	}
	lm, err := segLabelsOnSeries(src, labels)
	if err != nil {
		return nil, fmt.Errorf("DICOM SEG %s: %w", path, err)
	}
	out := &SEGWritten{Path: path}
	g := lm.Geometry
	cols, rows, nk := g.Dims[0], g.Dims[1], g.Dims[2]
	plane := cols * rows

	// Which labels each slice holds, how many voxels each label has, and
	// the rows each (label, slice) pair spans: packing a frame then reads
	// only those rows (an organ covers a fraction of a slice).
	counts := make([]int64, viewer.MaxLabelID+1)
	mark := make([]int32, viewer.MaxLabelID+1)
	perSlice := make([][]int, nk)
	rowsOf := map[[2]int][2]int{} // (label, slice) → first and last row
	lastRow := make([]int32, viewer.MaxLabelID+1)
	for k := 0; k < nk; k++ {
		for i := k * plane; i < (k+1)*plane; i++ {
			id := lm.At(i)
			if id == 0 {
				continue
			}
			counts[id]++
			if mark[id] != int32(k+1) {
				mark[id] = int32(k + 1)
				perSlice[k] = append(perSlice[k], id)
				rowsOf[[2]int{id, k}] = [2]int{(i - k*plane) / cols, 0}
			}
			lastRow[id] = int32((i - k*plane) / cols)
		}
		for _, id := range perSlice[k] {
			r := rowsOf[[2]int{id, k}]
			r[1] = int(lastRow[id])
			rowsOf[[2]int{id, k}] = r
		}
	}
	var ids []int
	for id, n := range counts {
		if n > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("DICOM SEG %s: %w", path, ErrSEGNothing)
	}
	number := map[int]int{} // label id → segment number
	for i, id := range ids {
		number[id] = i + 1
	}
	slicesOf := make(map[int][]int, len(ids)) // label id → slices with voxels
	nFrames := 0
	for k, list := range perSlice {
		for _, id := range list {
			slicesOf[id] = append(slicesOf[id], k)
			nFrames++
		}
	}
	if bytes := (int64(nFrames)*int64(plane) + 7) / 8; bytes > maxSEGWriteBytes {
		return nil, fmt.Errorf("DICOM SEG %s: %d segments over %d slices need %d frames of %d×%d, %d MiB of pixel data, more than a Segmentation here holds (%d MiB): export fewer labels: %w",
			path, len(ids), nk, nFrames, cols, rows, bytes>>20, maxSEGWriteBytes>>20, ErrSEGLabels)
	}

	srcInfo, err := readSEGSource(src)
	if err != nil {
		return nil, fmt.Errorf("DICOM SEG %s: %w", path, err)
	}
	out.Warnings = append(out.Warnings, srcInfo.warnings...)

	segs, err := describeSegments(ids, number, counts, slicesOf, labels, opt, out)
	if err != nil {
		return nil, fmt.Errorf("DICOM SEG %s: %w", path, err)
	}
	out.Segments = segs
	out.Frames = nFrames

	ds, err := segDataSet(src, srcInfo, segPlanes(src, srcInfo, lm.Geometry), lm.Geometry, segs, slicesOf, nFrames, &opt, out)
	if err != nil {
		return nil, fmt.Errorf("DICOM SEG %s: %w", path, err)
	}
	if err := ds.check(); err != nil {
		return nil, fmt.Errorf("DICOM SEG %s: %v: %w", path, err, ErrSEGLabels)
	}
	out.SOPInstanceUID, out.SeriesInstanceUID = opt.InstanceUID, opt.SeriesUID

	pixBits := int64(nFrames) * int64(plane)
	pixLen := (pixBits + 7) / 8
	pixLen += pixLen % 2
	err = writeAtomic(path, opt.Overwrite, func(w *bufio.Writer) error {
		head := fileMeta(SEGSOPClass, opt.InstanceUID)
		head = ds.encode(head)
		// Pixel Data (7FE0,0010) OB, last: written frame by frame.
		head = append(head, 0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0,
			byte(pixLen), byte(pixLen>>8), byte(pixLen>>16), byte(pixLen>>24))
		if _, err := w.Write(head); err != nil {
			return err
		}
		out.Bytes = int64(len(head)) + pixLen
		bp := &bitPacker{w: w}
		frame := make([]byte, (plane+7)/8)
		for _, sg := range segs {
			for _, k := range slicesOf[sg.LabelID] {
				r := rowsOf[[2]int{sg.LabelID, k}]
				packFrame(lm, k*plane, r[0]*cols, (r[1]+1)*cols, sg.LabelID, frame)
				if err := bp.put(frame, plane); err != nil {
					return err
				}
			}
		}
		return bp.finish(pixLen)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// segLabelsOnSeries puts the labels on the series' grid as Load returns
// it (a resampled one for a tilted or unevenly spaced series).
func segLabelsOnSeries(src *Series, labels *viewer.LabelMap) (*viewer.LabelMap, error) {
	al, err := viewer.AlignTo(src.Geometry, labels.Volume, 0)
	if err != nil {
		return nil, fmt.Errorf("the labels are not on the series' grid: %v: %w", err, ErrSEGLabels)
	}
	lm, err := viewer.LabelMapFromVolume(al)
	if err != nil {
		return nil, fmt.Errorf("%v (label ids are whole numbers 0..%d): %w", err, viewer.MaxLabelID, ErrSEGLabels)
	}
	return lm, nil
}

// segPlane is one slice of the label grid as a SEG frame sees it: where
// it lies and the source images it derives from.
type segPlane struct {
	pos  viewer.Vec3
	refs []sourceSlice
	// preserved: the plane is its source slice's, pixel for pixel (no
	// resampling in between): SpatialLocationsPreserved YES, else NO.
	preserved bool
}

// segPlanes places the label grid's slices. On a series loaded as stored
// they are the source slices themselves; on a resampled one (regrid.go)
// each lies on the orthogonal grid, at the grid's position, deriving from
// the stored slice in its plane, or the two around it it was
// interpolated from.
func segPlanes(src *Series, si *segSource, g viewer.Geometry) []segPlane {
	out := make([]segPlane, g.Dims[2])
	if src.regrid == nil {
		for k := range out {
			out[k] = segPlane{pos: si.slices[k].pos, refs: si.slices[k : k+1], preserved: true}
		}
		return out
	}
	normal := g.Direction.Column(2)
	dist := src.regrid.dist
	for k := range out {
		z := float64(k) * g.Spacing[2]
		if k < len(src.regrid.z) {
			z = src.regrid.z[k]
		}
		var p viewer.Vec3
		for a := 0; a < 3; a++ {
			p[a] = g.Origin[a] + z*normal[a]
		}
		i := sort.SearchFloat64s(dist, z-1e-3) // the first stored slice at or beyond z
		var refs []sourceSlice
		switch {
		case i >= len(dist):
			refs = si.slices[len(dist)-1:]
		case math.Abs(dist[i]-z) <= 1e-3 || i == 0:
			refs = si.slices[i : i+1]
		default:
			refs = si.slices[i-1 : i+1]
		}
		out[k] = segPlane{pos: p, refs: refs}
	}
	return out
}

// readSEGSource re-reads the source files' headers for the UIDs a SEG
// references and the patient and study attributes it copies.
func readSEGSource(src *Series) (*segSource, error) {
	s := &segSource{seriesUID: src.UID, frameOfRef: src.slices[0].h.frameOfRef}
	type fileAttrs struct {
		sopClass, sopInstance, study, series string
	}
	files := map[string]*fileAttrs{}
	studies := map[string]bool{}
	byInstance := map[string]string{}
	for k, sl := range src.slices {
		h := sl.h
		switch {
		case h.mosaicN > 1:
			return nil, fmt.Errorf("%s is a Siemens mosaic: its tiles are no image instances a SEG frame could reference (convert the series to NIfTI instead): %w", h.path, ErrSEGSource)
		case !h.frames[sl.frame].hasIPP:
			return nil, fmt.Errorf("%s has no ImagePositionPatient: SEG frames are placed by the source slices' positions: %w", h.path, ErrSEGSource)
		case !h.frames[sl.frame].hasIOP:
			return nil, fmt.Errorf("%s has no ImageOrientationPatient: %w", h.path, ErrSEGSource)
		}
		fa := files[h.path]
		if fa == nil {
			el, err := readSourceElements(h.path, k == 0, s)
			if err != nil {
				return nil, err
			}
			fa = &fileAttrs{sopClass: el.str(tag.SOPClassUID), sopInstance: el.str(tag.SOPInstanceUID),
				study: el.str(tag.StudyInstanceUID), series: el.str(tag.SeriesInstanceUID)}
			if fa.sopClass == "" {
				fa.sopClass = el.str(tag.MediaStorageSOPClassUID)
			}
			if fa.sopInstance == "" || fa.sopClass == "" || fa.study == "" || fa.series == "" {
				// Derived UIDs would reference instances that exist nowhere
				// under those UIDs (a PACS stores nothing for empty ones).
				return nil, fmt.Errorf("%s has an empty SOP Class, SOP Instance, Study Instance or Series Instance UID: a SEG must reference its source images by UID; store the series in a PACS or fill in the UIDs first: %w", h.path, ErrSEGSource)
			}
			if other, ok := byInstance[fa.sopInstance]; ok {
				return nil, fmt.Errorf("%s and %s have the same SOPInstanceUID: a SEG frame could not say which it came from: %w", other, h.path, ErrSEGSource)
			}
			byInstance[fa.sopInstance] = h.path
			files[h.path] = fa
			studies[fa.study] = true
			s.instances = append(s.instances, [2]string{fa.sopClass, fa.sopInstance})
		}
		ss := sourceSlice{sopClass: fa.sopClass, sopInstance: fa.sopInstance, pos: sl.pos}
		if h.nFrames > 1 {
			ss.frame = sl.frame + 1
		}
		s.slices = append(s.slices, ss)
	}
	if s.seriesUID == "" {
		s.seriesUID = files[src.slices[0].h.path].series
	}
	if s.frameOfRef == "" {
		return nil, fmt.Errorf("%s has no FrameOfReferenceUID: a SEG's frames lie in the source's frame of reference, and a new one would claim another: %w", src.slices[0].h.path, ErrSEGSource)
	}
	if len(studies) > 1 {
		s.warnings = append(s.warnings, fmt.Sprintf("the source slices belong to %d studies: the SEG takes the first slice's", len(studies)))
	}
	return s, nil
}

// Patient and study attributes a SEG copies from its source, with their
// VRs; type2 ones are written empty when the source lacks them.
var segCopied = []struct {
	tag   tag.Tag
	vr    string
	type2 bool
}{
	{tag.PatientName, "PN", true},
	{tag.PatientID, "LO", true},
	{tag.IssuerOfPatientID, "LO", false},
	{tag.PatientBirthDate, "DA", true},
	{tag.PatientSex, "CS", true},
	{tag.PatientIdentityRemoved, "CS", false},
	{tag.DeidentificationMethod, "LO", false},
	{tag.StudyInstanceUID, "UI", true},
	{tag.StudyDate, "DA", true},
	{tag.StudyTime, "TM", true},
	{tag.ReferringPhysicianName, "PN", true},
	{tag.StudyID, "SH", true},
	{tag.AccessionNumber, "SH", true},
	{tag.StudyDescription, "LO", false},
	{tag.PositionReferenceIndicator, "LO", true},
}

// readSourceElements parses one source file's header; for the first file
// it also copies the patient and study attributes into s.
func readSourceElements(path string, first bool, s *segSource) (el elements, err error) {
	ts := ""
	defer func() {
		if r := recover(); r != nil {
			el, err = nil, fmt.Errorf("%s: the %s header could not be parsed again (the DICOM library failed: %v): %w", path, codec.SyntaxName(ts), r, ErrSEGSource)
		}
	}()
	p, err := readDataSet(path, &ts)
	if err != nil {
		return nil, fmt.Errorf("reading the source again: %w", err)
	}
	el = elements(p.ds.Elements)
	if first {
		s.charset = el.str(tag.SpecificCharacterSet)
		for _, c := range segCopied {
			x := el.find(c.tag)
			if x == nil && !c.type2 {
				continue
			}
			v := ""
			if x != nil {
				v = strings.Join(el.strs(c.tag), `\`)
			}
			if !utf8.ValidString(v) {
				// A character set the library does not decode: the bytes
				// cannot be carried into a UTF-8 object as they are.
				v = strings.ToValidUTF8(v, "?")
				s.warnings = append(s.warnings, fmt.Sprintf("%s of the source is in a character set (%s) that could not be decoded: unreadable characters written as ?", c.tag, s.charset))
			}
			s.copied = append(s.copied, dsElem{tag: c.tag, vr: c.vr, value: []byte(v), lenient: true})
		}
	}
	return el, nil
}

// describeSegments settles each segment's label, colour and algorithm.
func describeSegments(ids []int, number map[int]int, counts []int64, slicesOf map[int][]int, labels *viewer.LabelMap, opt SEGOptions, out *SEGWritten) ([]WrittenSegment, error) {
	table := opt.Table
	if table == nil {
		table = &labels.Table
	}
	def := viewer.DefaultLabelColours()
	defType := strings.ToUpper(strings.TrimSpace(opt.AlgorithmType))
	if defType == "" {
		defType = AlgorithmSemiautomatic
	}
	defName := strings.TrimSpace(opt.AlgorithmName)
	if defName == "" {
		defName = "Delineate"
	}
	var segs []WrittenSegment
	for _, id := range ids {
		ws := WrittenSegment{Number: number[id], LabelID: id, Frames: len(slicesOf[id]), Voxels: counts[id], Colour: def.Colour(id)}
		name := ""
		if l, ok := table.Get(id); ok {
			name = l.Name
			ws.Colour = l.Colour
		}
		ws.Colour.A = 255
		ws.Label = segLO(name, fmt.Sprintf("segment %d (label %d) name", ws.Number, id), out)
		if ws.Label == "" {
			ws.Label = fmt.Sprintf("Label %d", id)
		}
		info := opt.Segments[id]
		ws.AlgorithmType = strings.ToUpper(strings.TrimSpace(info.AlgorithmType))
		if ws.AlgorithmType == "" {
			ws.AlgorithmType = defType
		}
		switch ws.AlgorithmType {
		case AlgorithmAutomatic, AlgorithmSemiautomatic, AlgorithmManual:
		default:
			return nil, fmt.Errorf("label %d: algorithm type %q (AUTOMATIC, SEMIAUTOMATIC or MANUAL): %w", id, ws.AlgorithmType, ErrSEGLabels)
		}
		if ws.AlgorithmType != AlgorithmManual {
			ws.AlgorithmName = strings.TrimSpace(info.AlgorithmName)
			if ws.AlgorithmName == "" {
				ws.AlgorithmName = defName
			}
			ws.AlgorithmName = segLO(ws.AlgorithmName, fmt.Sprintf("segment %d algorithm name", ws.Number), out)
		}
		segs = append(segs, ws)
	}
	return segs, nil
}

// segLO makes a user's text a valid LO value: no backslash (the value
// separator) or control characters, at most 64 characters (cut on a
// character boundary, with a warning).
func segLO(s, what string, out *SEGWritten) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\\':
			return '/'
		case r < 0x20 || r == 0x7f:
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	out.Warnings = append(out.Warnings, fmt.Sprintf("%s shortened to the 64 bytes a DICOM LO value holds", what))
	return strings.TrimSpace(s[:cut])
}

// segCS makes a Code String: capitals, digits, space and underscore, at
// most 16 characters.
func segCS(s, def string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '_':
			return r
		}
		return '_'
	}, strings.TrimSpace(s))
	if len(s) > 16 {
		s = s[:16]
	}
	if s == "" {
		return def
	}
	return s
}

func codeItem(c Code) dataSet {
	var d dataSet
	d.str(tag.CodeValue, "SH", c.Value)
	d.str(tag.CodingSchemeDesignator, "SH", c.Scheme)
	d.str(tag.CodeMeaning, "LO", c.Meaning)
	return d
}

// softwareVersion is the build's module version ("devel" for a build from
// a checkout).
func softwareVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// segDataSet builds the SEG's data set, all but the pixel data, filling in
// opt's defaults (the UIDs among them) as it goes.
func segDataSet(src *Series, si *segSource, planes []segPlane, g viewer.Geometry, segs []WrittenSegment, slicesOf map[int][]int, nFrames int, opt *SEGOptions, out *SEGWritten) (dataSet, error) {
	now := opt.Time
	if now.IsZero() {
		now = time.Now()
	}
	date, tm := now.Format("20060102"), now.Format("150405")
	if opt.InstanceUID == "" {
		opt.InstanceUID = NewUID()
	}
	if opt.SeriesUID == "" {
		opt.SeriesUID = NewUID()
	}
	seriesNumber := opt.SeriesNumber
	if seriesNumber <= 0 {
		seriesNumber = atoiOr(src.SeriesNumber, 0) + 1000
	}
	instance := max(opt.InstanceNumber, 1)
	desc := opt.SeriesDescription
	if desc == "" {
		desc = "Segmentation"
	}
	desc = segLO(desc, "series description", out)
	content := opt.ContentDescription
	if content == "" {
		content = desc
	}
	content = segLO(content, "content description", out)
	serial := strings.TrimSpace(opt.DeviceSerialNumber)
	if serial == "" {
		serial = "1"
	}
	version := strings.TrimSpace(opt.SoftwareVersion)
	if version == "" {
		version = softwareVersion()
	}

	var d dataSet
	d = append(d, si.copied...)
	d.str(tag.ImageType, "CS", "DERIVED", "PRIMARY")
	d.str(tag.SOPClassUID, "UI", SEGSOPClass)
	d.str(tag.SOPInstanceUID, "UI", opt.InstanceUID)
	d.str(tag.SeriesDate, "DA", date)
	d.str(tag.SeriesTime, "TM", tm)
	d.str(tag.ContentDate, "DA", date)
	d.str(tag.ContentTime, "TM", tm)
	d.str(tag.InstanceCreationDate, "DA", date)
	d.str(tag.InstanceCreationTime, "TM", tm)
	d.str(tag.Modality, "CS", "SEG")
	d.str(tag.Manufacturer, "LO", segManufacturer)
	d.str(tag.SeriesDescription, "LO", desc)
	d.str(tag.ManufacturerModelName, "LO", segModelName)
	d.str(tag.DeviceSerialNumber, "LO", segLO(serial, "device serial number", out))
	d.str(tag.SoftwareVersions, "LO", segLO(version, "software version", out))
	d.str(tag.SeriesInstanceUID, "UI", opt.SeriesUID)
	d.str(tag.SeriesNumber, "IS", fmt.Sprint(seriesNumber))
	d.str(tag.InstanceNumber, "IS", fmt.Sprint(instance))
	d.str(tag.FrameOfReferenceUID, "UI", si.frameOfRef)
	d.str(tag.ContentLabel, "CS", segCS(opt.ContentLabel, "SEGMENTATION"))
	d.str(tag.ContentDescription, "LO", content)
	d.str(tag.ContentCreatorName, "PN", strings.ReplaceAll(strings.TrimSpace(opt.ContentCreatorName), `\`, "/"))

	// Image pixel and Segmentation Image modules.
	d.u16(tag.SamplesPerPixel, 1)
	d.str(tag.PhotometricInterpretation, "CS", "MONOCHROME2")
	d.u16(tag.Rows, g.Dims[1])
	d.u16(tag.Columns, g.Dims[0])
	d.u16(tag.BitsAllocated, 1)
	d.u16(tag.BitsStored, 1)
	d.u16(tag.HighBit, 0)
	d.u16(tag.PixelRepresentation, 0)
	d.str(tag.LossyImageCompression, "CS", "00")
	d.str(tag.SegmentationType, "CS", "BINARY")
	d.str(tag.SegmentsOverlap, "CS", "NO") // one label per voxel
	d.str(tag.NumberOfFrames, "IS", fmt.Sprint(nFrames))

	var segItems []dataSet
	for _, sg := range segs {
		var it dataSet
		it.u16(tag.SegmentNumber, sg.Number)
		it.str(tag.SegmentLabel, "LO", sg.Label)
		info := opt.Segments[sg.LabelID]
		if info.Description != "" {
			it.str(tag.SegmentDescription, "ST", info.Description)
		}
		it.str(tag.SegmentAlgorithmType, "CS", sg.AlgorithmType)
		if sg.AlgorithmName != "" {
			it.str(tag.SegmentAlgorithmName, "LO", sg.AlgorithmName)
		}
		cat, typ := info.Category, info.Type
		if cat.Value == "" {
			cat = CodeAnatomicalStructure
		}
		if typ.Value == "" {
			typ = CodeTissue
		}
		it.seq(tag.SegmentedPropertyCategoryCodeSequence, codeItem(cat))
		it.seq(tag.SegmentedPropertyTypeCodeSequence, codeItem(typ))
		l, a, b := RGBToDICOMLab(sg.Colour)
		it.u16(tag.RecommendedDisplayCIELabValue, int(l), int(a), int(b))
		segItems = append(segItems, it)
	}
	d.seq(tag.SegmentSequence, segItems...)

	// Shared functional groups: orientation and pixel measures of the
	// source slices.
	h0 := src.slices[0].h
	iop := h0.frames[src.slices[0].frame].iop
	var pm dataSet
	ps := h0.pixelSpacing
	if !h0.hasSpacing {
		ps = [2]float64{g.Spacing[1], g.Spacing[0]}
	}
	pm.str(tag.PixelSpacing, "DS", formatDSs(ps[0], ps[1])...)
	thick := h0.sliceThickness
	if !(thick > 0) {
		thick = g.Spacing[2]
	}
	pm.str(tag.SliceThickness, "DS", formatDS(thick))
	if g.Dims[2] > 1 {
		// The step between slices, for readers that rebuild a volume
		// from the SEG alone (SliceThickness need not be the step).
		pm.str(tag.SpacingBetweenSlices, "DS", formatDS(g.Spacing[2]))
	}
	var po dataSet
	po.str(tag.ImageOrientationPatient, "DS", formatDSs(iop[:]...)...)
	var shared dataSet
	shared.seq(tag.PixelMeasuresSequence, pm)
	shared.seq(tag.PlaneOrientationSequence, po)
	d.seq(tag.SharedFunctionalGroupsSequence, shared)

	// Per-frame functional groups, in the pixel data's order: by segment,
	// then by position.
	perFrame := make([]dataSet, 0, nFrames)
	for _, sg := range segs {
		for _, k := range slicesOf[sg.LabelID] {
			pl := planes[k]
			var srcItems []dataSet
			for _, ss := range pl.refs {
				var srcItem dataSet
				srcItem.str(tag.ReferencedSOPClassUID, "UI", ss.sopClass)
				srcItem.str(tag.ReferencedSOPInstanceUID, "UI", ss.sopInstance)
				if ss.frame > 0 {
					srcItem.str(tag.ReferencedFrameNumber, "IS", fmt.Sprint(ss.frame))
				}
				srcItem.seq(tag.PurposeOfReferenceCodeSequence, codeItem(codeSourceForProcessing))
				srcItem.str(tag.SpatialLocationsPreserved, "CS", map[bool]string{true: "YES", false: "NO"}[pl.preserved])
				srcItems = append(srcItems, srcItem)
			}
			var deriv dataSet
			deriv.seq(tag.DerivationCodeSequence, codeItem(codeDerivationSegmentation))
			deriv.seq(tag.SourceImageSequence, srcItems...)
			var fc dataSet
			fc.u32(tag.DimensionIndexValues, sg.Number, k+1)
			var pp dataSet
			pp.str(tag.ImagePositionPatient, "DS", formatDSs(pl.pos[0], pl.pos[1], pl.pos[2])...)
			var sid dataSet
			sid.u16(tag.ReferencedSegmentNumber, sg.Number)
			var fg dataSet
			fg.seq(tag.DerivationImageSequence, deriv)
			fg.seq(tag.FrameContentSequence, fc)
			fg.seq(tag.PlanePositionSequence, pp)
			fg.seq(tag.SegmentIdentificationSequence, sid)
			perFrame = append(perFrame, fg)
		}
	}
	d.seq(tag.PerFrameFunctionalGroupsSequence, perFrame...)

	// Multi-frame Dimension module: frames indexed by segment, then by
	// position (the order the DimensionIndexValues hold them).
	dimUID := NewUID()
	var org dataSet
	org.str(tag.DimensionOrganizationUID, "UI", dimUID)
	d.seq(tag.DimensionOrganizationSequence, org)
	var dSeg, dPos dataSet
	dSeg.str(tag.DimensionOrganizationUID, "UI", dimUID)
	dSeg.at(tag.DimensionIndexPointer, tag.ReferencedSegmentNumber)
	dSeg.at(tag.FunctionalGroupPointer, tag.SegmentIdentificationSequence)
	dSeg.str(tag.DimensionDescriptionLabel, "LO", "Segment Number")
	dPos.str(tag.DimensionOrganizationUID, "UI", dimUID)
	dPos.at(tag.DimensionIndexPointer, tag.ImagePositionPatient)
	dPos.at(tag.FunctionalGroupPointer, tag.PlanePositionSequence)
	dPos.str(tag.DimensionDescriptionLabel, "LO", "Image Position Patient")
	d.seq(tag.DimensionIndexSequence, dSeg, dPos)

	// Common Instance Reference: every source image, frames or not.
	var refs []dataSet
	for _, in := range si.instances {
		var r dataSet
		r.str(tag.ReferencedSOPClassUID, "UI", in[0])
		r.str(tag.ReferencedSOPInstanceUID, "UI", in[1])
		refs = append(refs, r)
	}
	var rs dataSet
	rs.str(tag.SeriesInstanceUID, "UI", si.seriesUID)
	rs.seq(tag.ReferencedInstanceSequence, refs...)
	d.seq(tag.ReferencedSeriesSequence, rs)

	if cs := segCharset(d); cs != "" {
		d.str(tag.SpecificCharacterSet, "CS", cs)
	}
	return d, nil
}

// segCharset is the SpecificCharacterSet the data set needs: none while
// every text is ASCII, UTF-8 (ISO_IR 192) otherwise — the library hands
// copied values over decoded, and names typed by a user are UTF-8.
func segCharset(d dataSet) string {
	for _, e := range d {
		if e.vr == "SQ" {
			for _, it := range e.items {
				if segCharset(it) != "" {
					return "ISO_IR 192"
				}
			}
			continue
		}
		switch e.vr {
		case "PN", "LO", "SH", "ST", "LT", "UT", "UC":
			for _, b := range e.value {
				if b >= 0x80 {
					return "ISO_IR 192"
				}
			}
		}
	}
	return ""
}

// bitPacker writes frames of bits as one continuous stream, least
// significant bit first: frame after frame with no padding between them,
// so a frame of Rows·Columns bits not a multiple of 8 starts mid-byte.
type bitPacker struct {
	w       *bufio.Writer
	cur     byte // bits not yet written
	n       uint // how many of cur's low bits are used
	written int64
}

// put appends nbits bits: frame holds them packed from bit 0 (the bits
// past nbits zero).
func (b *bitPacker) put(frame []byte, nbits int) error {
	if b.n == 0 && nbits%8 == 0 {
		_, err := b.w.Write(frame[:nbits/8])
		b.written += int64(nbits / 8)
		return err
	}
	for q := 0; q < len(frame); q++ {
		m := uint(min(8, nbits-8*q))
		v := frame[q]
		b.cur |= v << b.n
		if b.n+m >= 8 {
			if err := b.w.WriteByte(b.cur); err != nil {
				return err
			}
			b.written++
			b.cur = v >> (8 - b.n)
			b.n = b.n + m - 8
		} else {
			b.n += m
		}
	}
	return nil
}

// finish writes the last partial byte and zero padding up to total bytes.
func (b *bitPacker) finish(total int64) error {
	if b.n > 0 {
		if err := b.w.WriteByte(b.cur); err != nil {
			return err
		}
		b.written++
		b.cur, b.n = 0, 0
	}
	for ; b.written < total; b.written++ {
		if err := b.w.WriteByte(0); err != nil {
			return err
		}
	}
	if b.written != total {
		return fmt.Errorf("DICOM SEG pixel data: wrote %d bytes for %d", b.written, total)
	}
	return nil
}

// packFrame sets frame's bit p (least significant first) where voxel
// base+p holds label id, for p in [from, to) (the frame is zero
// elsewhere).
func packFrame(lm *viewer.LabelMap, base, from, to, id int, frame []byte) {
	clear(frame)
	switch d := lm.Data.(type) {
	case viewer.Voxels[uint8]:
		packBits(d[base+from:base+to], from, uint8(id), frame)
	case viewer.Voxels[uint16]:
		packBits(d[base+from:base+to], from, uint16(id), frame)
	default:
		for p := from; p < to; p++ {
			if lm.At(base+p) == id {
				frame[p>>3] |= 1 << (p & 7)
			}
		}
	}
}

func packBits[T uint8 | uint16](vox []T, from int, id T, frame []byte) {
	for i, v := range vox {
		if v == id {
			p := from + i
			frame[p>>3] |= 1 << (p & 7)
		}
	}
}
