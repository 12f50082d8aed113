package dicom

// DICOM Segmentation objects (SEG, PS3.3 A.51) as label maps.
//
// A SEG stores one frame per (segment, slice) pair that has any voxels,
// each frame a mask of the source image's size. Which segment a frame
// belongs to comes only from its per-frame SegmentIdentificationSequence,
// and where it lies only from its PlanePositionSequence (with orientation
// and pixel spacing from the shared or per-frame functional groups): never
// from the frame order, which writers choose freely. BINARY masks are 1 bit
// a pixel in one continuous bitstream, least significant bit first, so a
// frame starts in the middle of a byte whenever Rows·Columns is not a
// multiple of 8. FRACTIONAL masks are 8 bits a pixel, read here as "in the
// segment" at half of MaximumFractionalValue or more.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"sort"
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"delineate/viewer"
	"delineate/viewer/codec"
)

// SEGSOPClass is the Segmentation Storage SOP class UID.
const SEGSOPClass = "1.2.840.10008.5.1.4.1.1.66.4"

// Errors a caller of ReadSEG and the label-map methods decides on; the
// returned errors wrap one of them (errors.Is) and name the file.
var (
	// ErrNotSEG: the file is not a DICOM Segmentation (another DICOM
	// object, or not DICOM at all): load it some other way.
	ErrNotSEG = errors.New("not a DICOM Segmentation")
	// ErrSEGUnsupported: a Segmentation this reader cannot turn into
	// labels (a SegmentationType other than BINARY or FRACTIONAL, a
	// compressed transfer syntax, an unusual pixel layout).
	ErrSEGUnsupported = errors.New("unsupported DICOM Segmentation")
	// ErrSEGTruncated: the pixel data holds fewer bytes than the frames need.
	ErrSEGTruncated = errors.New("DICOM Segmentation pixel data is truncated")
	// ErrSEGMalformed: an attribute the labels depend on is missing or
	// inconsistent (no segments, a frame without a segment or position).
	ErrSEGMalformed = errors.New("malformed DICOM Segmentation")
	// ErrSEGGeometry: the frames cannot be put on the requested grid (a
	// different orientation or frame size than the image's slices), or on a
	// regular grid of their own.
	ErrSEGGeometry = errors.New("DICOM Segmentation frames do not fit the image grid")
)

// maxSEGBytes bounds the file ReadSEG reads whole. A binary SEG of 100
// segments over 500 slices of 512² is 1.6 GB only if every pair has a
// frame, which none does; real ones are a few MB to a few hundred.
var maxSEGBytes int64 = 2 << 30

// maxSEGVoxels bounds the label map a SEG's own geometry may need (a
// variable so that fuzzing can make it small).
var maxSEGVoxels int64 = 1 << 31

// Segment is one entry of a SEG's SegmentSequence.
type Segment struct {
	Number        int    // SegmentNumber: the label id it becomes
	Label         string // SegmentLabel
	Description   string // SegmentDescription
	AlgorithmType string // AUTOMATIC, SEMIAUTOMATIC or MANUAL
	AlgorithmName string
	// Colour is RecommendedDisplayCIELabValue in sRGB (HasColour false when
	// the segment has none).
	Colour    color.RGBA
	HasColour bool
}

// SEGFrame is one frame: which segment it is a mask of and where it lies.
type SEGFrame struct {
	Segment      int         // ReferencedSegmentNumber
	Position     viewer.Vec3 // ImagePositionPatient (LPS mm) of its first pixel
	Orientation  [6]float64  // ImageOrientationPatient: row direction, column direction
	PixelSpacing [2]float64  // between rows, between columns (mm); 0 when absent
	SourceUID    string      // the source image's SOPInstanceUID, when given
}

// SEG is a parsed Segmentation: its segments, its frames and their masks.
type SEG struct {
	Path           string
	TransferSyntax string
	Type           string // BINARY or FRACTIONAL
	FractionalType string // PROBABILITY or OCCUPANCY (FRACTIONAL only)
	MaxFractional  int    // MaximumFractionalValue (FRACTIONAL only)
	Rows, Cols     int
	SeriesUID      string
	FrameOfRef     string
	// ReferencedSeries lists the SeriesInstanceUIDs of the source images
	// (ReferencedSeriesSequence).
	ReferencedSeries []string
	// SliceThickness and SpacingBetween come from the shared
	// PixelMeasuresSequence (0 when absent).
	SliceThickness, SpacingBetween float64
	Segments                       []Segment // in file order
	Frames                         []SEGFrame
	Warnings                       []string

	pixels []byte // PixelData: the frames' bits or bytes, back to back
}

// IsSEG reports whether path is a DICOM file whose file meta information
// names the Segmentation SOP class. It reads only the file's first bytes,
// so callers can route a label file before reading it.
func IsSEG(path string) bool {
	b, _, err := readDICOMPrefix(path, 16<<10)
	if err != nil {
		return false
	}
	return metaSOPClass(b) == SEGSOPClass
}

// metaSOPClass reads MediaStorageSOPClassUID from the file meta group
// (always explicit VR little endian), or "" when it is not there.
func metaSOPClass(b []byte) string {
	pos := 132
	for pos+8 <= len(b) && b[pos] == 0x02 && b[pos+1] == 0x00 {
		elem := uint16(b[pos+2]) | uint16(b[pos+3])<<8
		vr := string(b[pos+4 : pos+6])
		var n, hdr int
		switch vr {
		case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
			if pos+12 > len(b) {
				return ""
			}
			n, hdr = int(uint32(b[pos+8])|uint32(b[pos+9])<<8|uint32(b[pos+10])<<16|uint32(b[pos+11])<<24), 12
		default:
			n, hdr = int(uint16(b[pos+6])|uint16(b[pos+7])<<8), 8
		}
		if n < 0 || pos+hdr+n > len(b) {
			return ""
		}
		if elem == 0x0002 {
			return strings.TrimRight(string(b[pos+hdr:pos+hdr+n]), "\x00 ")
		}
		pos += hdr + n
	}
	return ""
}

// ReadSEG reads a DICOM Segmentation file whole (up to a size bound) and
// checks that its frames and pixel data agree. The masks are unpacked on
// demand (Mask, LabelMap, LabelsOn).
func ReadSEG(path string) (s *SEG, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%s: DICOM parser failed: %v: %w", path, r, ErrSEGMalformed)
		}
	}()
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxSEGBytes {
		return nil, fmt.Errorf("%s: a %d MiB Segmentation is more than this reader takes (%d MiB): %w", path, st.Size()>>20, maxSEGBytes>>20, ErrSEGUnsupported)
	}
	data, err := readDICOMBytes(path)
	if errors.Is(err, errNotDICOM) {
		return nil, fmt.Errorf("%s: not a DICOM file: %w", path, ErrNotSEG)
	}
	if err != nil {
		return nil, err
	}
	// Walk up to the pixel data: the lengths are checked before the parser
	// trusts them, and the pixel data is taken as the raw bytes it is (the
	// parser's own 1-bit unpacking assumes byte-aligned frames).
	w, err := walkUpTo(data, int64(len(data)))
	if errors.Is(err, errNeedWhole) { // deflated: the offsets are in the inflated stream
		w, err = walkFile(data)
	}
	if err != nil {
		if w != nil && w.pixels.found {
			return nil, fmt.Errorf("%s: %v: %w", path, err, ErrSEGTruncated)
		}
		return nil, fmt.Errorf("%s: %v: %w", path, err, ErrSEGMalformed)
	}
	px := *w.pixels
	parse := data
	if px.found && px.elemAt >= 0 {
		parse = data[:px.elemAt]
	}
	ds, err := dcm.Parse(bytes.NewReader(parse), int64(len(parse)), nil,
		dcm.AllowMissingMetaElementGroupLength(), dcm.AllowUnknownSpecificCharacterSet(),
		dcm.AllowMismatchPixelDataLength(), dcm.SkipPixelData())
	if err != nil && len(ds.Elements) == 0 {
		return nil, fmt.Errorf("%s: %v: %w", path, err, ErrSEGMalformed)
	}
	el := elements(ds.Elements)
	sop := el.str(tag.SOPClassUID)
	if sop == "" {
		sop = el.str(tag.MediaStorageSOPClassUID)
	}
	if sop != SEGSOPClass {
		what := "SOP class " + sop
		if m := el.str(tag.Modality); m != "" {
			what = m + " object, " + what
		}
		return nil, fmt.Errorf("%s: a DICOM %s, not a Segmentation (%s): %w", path, what, SEGSOPClass, ErrNotSEG)
	}
	s = &SEG{Path: path, TransferSyntax: el.str(tag.TransferSyntaxUID), SeriesUID: el.str(tag.SeriesInstanceUID),
		FrameOfRef: el.str(tag.FrameOfReferenceUID)}
	if s.TransferSyntax == "" {
		s.TransferSyntax = tsImplicitLE
	}
	if err := s.readPixelLayout(el, px, data); err != nil {
		return nil, err
	}
	if err := s.readSegments(el); err != nil {
		return nil, err
	}
	if err := s.readFrames(el); err != nil {
		return nil, err
	}
	for _, r := range el.seqItems(tag.ReferencedSeriesSequence) {
		if u := r.str(tag.SeriesInstanceUID); u != "" {
			s.ReferencedSeries = append(s.ReferencedSeries, u)
		}
	}
	return s, nil
}

func (s *SEG) warnf(format string, args ...any) {
	s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
}

// readPixelLayout checks the segmentation type, the pixel module and the
// pixel data's length, and keeps the pixel bytes.
func (s *SEG) readPixelLayout(el elements, px pixelData, data []byte) error {
	p := s.Path
	s.Type = strings.ToUpper(el.str(tag.SegmentationType))
	bits := el.intOr(tag.BitsAllocated, 0)
	switch s.Type {
	case "BINARY":
		if bits != 1 {
			return fmt.Errorf("%s: a BINARY Segmentation with %d bits allocated (the standard has 1): %w", p, bits, ErrSEGUnsupported)
		}
	case "FRACTIONAL":
		if bits != 8 {
			return fmt.Errorf("%s: a FRACTIONAL Segmentation with %d bits allocated (the standard has 8): %w", p, bits, ErrSEGUnsupported)
		}
		s.FractionalType = strings.ToUpper(el.str(tag.SegmentationFractionalType))
		s.MaxFractional = el.intOr(tag.MaximumFractionalValue, 0)
		if s.MaxFractional <= 0 || s.MaxFractional > 255 {
			s.warnf("MaximumFractionalValue %d is not within 1..255: read as 255", s.MaxFractional)
			s.MaxFractional = 255
		}
	case "":
		return fmt.Errorf("%s: no SegmentationType: %w", p, ErrSEGMalformed)
	default:
		return fmt.Errorf("%s: SegmentationType %s is not supported (BINARY and FRACTIONAL are): %w", p, s.Type, ErrSEGUnsupported)
	}
	switch s.TransferSyntax {
	case tsImplicitLE, tsExplicitLE, tsDeflated:
	default:
		return fmt.Errorf("%s: Segmentation pixels in %s are not supported here; convert the file to Explicit VR Little Endian (e.g. dcmconv +te): %w %w",
			p, codec.SyntaxName(s.TransferSyntax), ErrSEGUnsupported, codec.ErrUnsupported)
	}
	if spp := el.intOr(tag.SamplesPerPixel, 1); spp != 1 {
		return fmt.Errorf("%s: %d samples per pixel in a Segmentation: %w", p, spp, ErrSEGUnsupported)
	}
	var ok bool
	s.Rows, ok = el.int(tag.Rows)
	if !ok {
		return fmt.Errorf("%s: no Rows: %w", p, ErrSEGMalformed)
	}
	s.Cols, _ = el.int(tag.Columns)
	if s.Rows <= 0 || s.Cols <= 0 || s.Rows > 1<<16 || s.Cols > 1<<16 {
		return fmt.Errorf("%s: bad frame size %d×%d: %w", p, s.Cols, s.Rows, ErrSEGMalformed)
	}
	n := el.intOr(tag.NumberOfFrames, 1)
	if n < 1 {
		return fmt.Errorf("%s: NumberOfFrames %d: %w", p, n, ErrSEGMalformed)
	}
	if !px.found {
		return fmt.Errorf("%s: no PixelData: %w", p, ErrSEGTruncated)
	}
	if px.length < 0 {
		return fmt.Errorf("%s: encapsulated pixel data in %s: %w", p, codec.SyntaxName(s.TransferSyntax), ErrSEGUnsupported)
	}
	raw := px.native
	if px.valueAt >= 0 && px.valueAt+px.length <= int64(len(data)) {
		raw = data[px.valueAt : px.valueAt+px.length]
	}
	// Compared by division first: NumberOfFrames·Rows·Columns from a
	// damaged header can overflow.
	perByte := int64(1)
	if s.Type == "BINARY" {
		perByte = 8
	}
	frame := int64(s.Rows) * int64(s.Cols)
	need := int64(-1)
	if frame <= int64(len(raw))*perByte/int64(n) {
		need = (int64(n)*frame + perByte - 1) / perByte
	}
	if need < 0 || int64(len(raw)) < need {
		return fmt.Errorf("%s: %d frames of %d×%d need %.0f bytes of pixel data, the file has %d: %w",
			p, n, s.Cols, s.Rows, math.Ceil(float64(n)*float64(frame)/float64(perByte)), len(raw), ErrSEGTruncated)
	}
	s.pixels = raw[:need]
	s.Frames = make([]SEGFrame, n) // bounded by the pixel bytes just checked
	return nil
}

// readSegments reads the SegmentSequence.
func (s *SEG) readSegments(el elements) error {
	items := el.seqItems(tag.SegmentSequence)
	if len(items) == 0 {
		return fmt.Errorf("%s: no SegmentSequence: %w", s.Path, ErrSEGMalformed)
	}
	seen := map[int]bool{}
	for i, it := range items {
		num, ok := it.int(tag.SegmentNumber)
		if !ok || num < 1 || num > viewer.MaxLabelID {
			return fmt.Errorf("%s: segment %d has SegmentNumber %q (1..%d needed): %w", s.Path, i+1, it.str(tag.SegmentNumber), viewer.MaxLabelID, ErrSEGMalformed)
		}
		if seen[num] {
			return fmt.Errorf("%s: SegmentNumber %d appears twice: %w", s.Path, num, ErrSEGMalformed)
		}
		seen[num] = true
		sg := Segment{Number: num, Label: it.str(tag.SegmentLabel), Description: it.str(tag.SegmentDescription),
			AlgorithmType: strings.ToUpper(it.str(tag.SegmentAlgorithmType)), AlgorithmName: it.str(tag.SegmentAlgorithmName)}
		if lab := it.floats(tag.RecommendedDisplayCIELabValue); len(lab) >= 3 {
			sg.Colour, sg.HasColour = DICOMLabToRGB(lab[0], lab[1], lab[2]), true
		}
		s.Segments = append(s.Segments, sg)
	}
	return nil
}

// readFrames places every frame: segment from SegmentIdentificationSequence,
// position, orientation and spacing from the per-frame groups over the
// shared ones over the top level.
func (s *SEG) readFrames(el elements) error {
	base := SEGFrame{}
	if v := el.floats(tag.ImageOrientationPatient); len(v) >= 6 {
		copy(base.Orientation[:], v[:6])
	}
	if v := el.floats(tag.PixelSpacing); len(v) >= 2 && v[0] > 0 && v[1] > 0 {
		base.PixelSpacing = [2]float64{v[0], v[1]}
	}
	s.SliceThickness = el.float(tag.SliceThickness)
	s.SpacingBetween = el.float(tag.SpacingBetweenSlices)
	hasIPP := false
	if v := el.floats(tag.ImagePositionPatient); len(v) >= 3 {
		base.Position, hasIPP = viewer.Vec3{v[0], v[1], v[2]}, true
	}
	hasIOP := base.Orientation != [6]float64{}
	baseSeg := 0
	if shared := el.seqItems(tag.SharedFunctionalGroupsSequence); len(shared) > 0 {
		hasIPP = applySEGGroups(shared[0], &base, &baseSeg, &s.SliceThickness, &s.SpacingBetween) || hasIPP
		hasIOP = hasIOP || base.Orientation != [6]float64{}
	}
	perFrame := el.seqItems(tag.PerFrameFunctionalGroupsSequence)
	if len(perFrame) != len(s.Frames) && !(len(perFrame) == 0 && len(s.Frames) == 1) {
		return fmt.Errorf("%s: %d frames but %d per-frame functional groups: %w", s.Path, len(s.Frames), len(perFrame), ErrSEGMalformed)
	}
	known := map[int]bool{}
	for _, sg := range s.Segments {
		known[sg.Number] = true
	}
	noSpacing := false
	for f := range s.Frames {
		fr, seg, pos := base, baseSeg, hasIPP
		var thick, between float64
		if f < len(perFrame) {
			pos = applySEGGroups(perFrame[f], &fr, &seg, &thick, &between) || pos
		}
		if seg == 0 && len(s.Segments) == 1 {
			seg = s.Segments[0].Number
		}
		switch {
		case seg == 0:
			return fmt.Errorf("%s: frame %d has no ReferencedSegmentNumber: %w", s.Path, f+1, ErrSEGMalformed)
		case !known[seg]:
			return fmt.Errorf("%s: frame %d refers to segment %d, which SegmentSequence does not define: %w", s.Path, f+1, seg, ErrSEGMalformed)
		case !pos:
			return fmt.Errorf("%s: frame %d has no ImagePositionPatient: %w", s.Path, f+1, ErrSEGMalformed)
		case !hasIOP && fr.Orientation == [6]float64{}:
			return fmt.Errorf("%s: frame %d has no ImageOrientationPatient: %w", s.Path, f+1, ErrSEGMalformed)
		}
		row, col := orientation(fr.Orientation)
		if !finite(fr.Orientation[:]...) || row.Norm() < 0.5 || col.Norm() < 0.5 || math.Abs(row.Dot(col)) > 1e-3 {
			return fmt.Errorf("%s: frame %d: ImageOrientationPatient %v is not two orthogonal directions: %w", s.Path, f+1, fr.Orientation, ErrSEGMalformed)
		}
		if !finite(fr.Position[:]...) || math.Abs(fr.Position[0])+math.Abs(fr.Position[1])+math.Abs(fr.Position[2]) > 1e7 {
			return fmt.Errorf("%s: frame %d: ImagePositionPatient is not a finite position: %w", s.Path, f+1, ErrSEGMalformed)
		}
		if !finite(fr.PixelSpacing[:]...) || !(fr.PixelSpacing[0] > 0 && fr.PixelSpacing[1] > 0) || fr.PixelSpacing[0] > 1e4 || fr.PixelSpacing[1] > 1e4 {
			fr.PixelSpacing, noSpacing = [2]float64{}, true
		}
		fr.Segment = seg
		s.Frames[f] = fr
	}
	if noSpacing {
		s.warnf("no PixelSpacing for some frames (PixelMeasuresSequence): 1 mm pixels on their own grid, the image's over a series")
	}
	return nil
}

// applySEGGroups applies one functional groups item; it reports whether the
// item gave a position.
func applySEGGroups(item elements, fr *SEGFrame, seg *int, thick, between *float64) bool {
	pos := false
	if pp := item.seqItems(tag.PlanePositionSequence); len(pp) > 0 {
		if v := pp[0].floats(tag.ImagePositionPatient); len(v) >= 3 {
			fr.Position, pos = viewer.Vec3{v[0], v[1], v[2]}, true
		}
	}
	if po := item.seqItems(tag.PlaneOrientationSequence); len(po) > 0 {
		if v := po[0].floats(tag.ImageOrientationPatient); len(v) >= 6 {
			copy(fr.Orientation[:], v[:6])
		}
	}
	if pm := item.seqItems(tag.PixelMeasuresSequence); len(pm) > 0 {
		if v := pm[0].floats(tag.PixelSpacing); len(v) >= 2 && v[0] > 0 && v[1] > 0 {
			fr.PixelSpacing = [2]float64{v[0], v[1]}
		}
		if t := pm[0].float(tag.SliceThickness); t > 0 {
			*thick = t
		}
		if t := pm[0].float(tag.SpacingBetweenSlices); t > 0 {
			*between = t
		}
	}
	if si := item.seqItems(tag.SegmentIdentificationSequence); len(si) > 0 {
		if n, ok := si[0].int(tag.ReferencedSegmentNumber); ok {
			*seg = n
		}
	}
	if di := item.seqItems(tag.DerivationImageSequence); len(di) > 0 {
		if src := di[0].seqItems(tag.SourceImageSequence); len(src) > 0 {
			fr.SourceUID = src[0].str(tag.ReferencedSOPInstanceUID)
		}
	}
	return pos
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func orientation(iop [6]float64) (row, col viewer.Vec3) {
	return unit(viewer.Vec3{iop[0], iop[1], iop[2]}), unit(viewer.Vec3{iop[3], iop[4], iop[5]})
}

// Mask returns frame f's mask: Rows·Cols values, row-major, 1 where the
// pixel belongs to the frame's segment. Frame f's pixel p is bit
// (f·Rows·Cols + p) of the stream, least significant bit first in each
// byte (BINARY), or byte f·Rows·Cols + p at or above half of
// MaximumFractionalValue (FRACTIONAL).
func (s *SEG) Mask(f int) []uint8 {
	out := make([]uint8, s.Rows*s.Cols)
	s.eachSet(f, func(p int) { out[p] = 1 })
	return out
}

// eachSet calls fn with every pixel of frame f that is in its segment, in
// order. Masks are mostly empty: runs of zero bytes are skipped eight bytes
// at a time, which is what makes a 500-frame SEG over 512² slices quick.
func (s *SEG) eachSet(f int, fn func(p int)) {
	n := s.Rows * s.Cols
	base := f * n
	if s.Type == "FRACTIONAL" {
		for p, v := range s.pixels[base : base+n] {
			if 2*int(v) >= s.MaxFractional {
				fn(p)
			}
		}
		return
	}
	end := base + n
	for bit := base; bit < end; {
		if bit&63 == 0 && bit+64 <= end && binary.LittleEndian.Uint64(s.pixels[bit>>3:]) == 0 {
			bit += 64
			continue
		}
		b := s.pixels[bit>>3] >> (bit & 7)
		if b == 0 { // the rest of this byte is empty
			bit = (bit>>3 + 1) << 3
			continue
		}
		if b&1 != 0 {
			fn(bit - base)
		}
		bit++
	}
}

// Table is the segments as a label table: id = SegmentNumber, name =
// SegmentLabel, colour = the recommended display colour (else the default
// palette's).
func (s *SEG) Table() viewer.LabelTable {
	var t viewer.LabelTable
	def := viewer.DefaultLabelColours()
	for _, sg := range s.Segments {
		c := def.Colour(sg.Number)
		if sg.HasColour {
			c = sg.Colour
		}
		name := sg.Label
		if name == "" {
			name = fmt.Sprintf("Segment %d", sg.Number)
		}
		_ = t.Set(viewer.Label{ID: sg.Number, Name: name, Colour: c, Visible: true})
	}
	return t
}

func (s *SEG) maxSegment() int {
	m := 0
	for _, sg := range s.Segments {
		m = max(m, sg.Number)
	}
	return m
}

// frameOrder lists the frames by segment number (stable), so that where
// segments overlap the highest number is written last and wins.
func (s *SEG) frameOrder() []int {
	order := make([]int, len(s.Frames))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return s.Frames[order[a]].Segment < s.Frames[order[b]].Segment })
	return order
}

// painter writes masks into a label map, counting voxels that more than
// one segment claims.
type painter struct {
	lm      *viewer.LabelMap
	overlap []bool // allocated at the first overlap
	n       int
}

func (p *painter) set(i, id int) {
	if old := p.lm.At(i); old != 0 && old != id {
		if p.overlap == nil {
			p.overlap = make([]bool, p.lm.NumVoxels())
		}
		if !p.overlap[i] {
			p.overlap[i] = true
			p.n++
		}
	}
	p.lm.Set(i, id)
}

func (p *painter) warn() {
	if p.n > 0 {
		p.lm.Warnf("%d voxels belong to more than one segment: each holds the highest segment number", p.n)
	}
}

// sameOrientation checks that every frame shares frame 0's orientation.
func (s *SEG) sameOrientation() error {
	r0, c0 := orientation(s.Frames[0].Orientation)
	for f, fr := range s.Frames {
		r, c := orientation(fr.Orientation)
		if r.Dot(r0) < 1-1e-6 || c.Dot(c0) < 1-1e-6 {
			return fmt.Errorf("%s: frame %d is oriented differently from frame 1: %w", s.Path, f+1, ErrSEGGeometry)
		}
	}
	return nil
}

// LabelMap returns the segments as a label map on the frames' own
// geometry: columns, rows and the frames' positions sorted along the normal
// (rowDir × colDir), the slice step from the positions (gaps where no
// segment has a frame are kept as empty slices when the positions are
// multiples of one step). Warnings (overlaps, irregular spacing) are on the
// map's Volume.
func (s *SEG) LabelMap() (*viewer.LabelMap, error) {
	if err := s.sameOrientation(); err != nil {
		return nil, err
	}
	row, col := orientation(s.Frames[0].Orientation)
	normal := unit(row.Cross(col))
	ps := s.Frames[0].PixelSpacing
	if ps[0] <= 0 {
		ps = [2]float64{1, 1}
	}
	// Distinct positions along the normal.
	ds := make([]float64, len(s.Frames))
	for f, fr := range s.Frames {
		ds[f] = fr.Position.Dot(normal)
	}
	distinct := append([]float64(nil), ds...)
	sort.Float64s(distinct)
	uniq := distinct[:1]
	for _, d := range distinct[1:] {
		if d-uniq[len(uniq)-1] > 1e-3 {
			uniq = append(uniq, d)
		}
	}
	var warnings []string
	step := firstPositive(s.SpacingBetween, s.SliceThickness, 1)
	n := len(uniq)
	// slot is the slice a position along the normal goes to: a regular grid
	// through the first, or (positions that are no multiples of one step)
	// one slice per distinct position.
	first := uniq[0]
	regular := true
	if n > 1 {
		span := uniq[n-1] - first
		minGap := math.Inf(1)
		for i := 1; i < n; i++ {
			minGap = math.Min(minGap, uniq[i]-uniq[i-1])
		}
		multiples := func(st float64) bool {
			if !(st > 0) || span/st > 1<<16 {
				return false
			}
			for _, d := range uniq {
				q := (d - first) / st
				if math.Abs(q-math.Round(q)) > 0.1 {
					return false
				}
			}
			return true
		}
		switch {
		case s.SpacingBetween > 0 && s.SpacingBetween <= minGap*1.001 && multiples(s.SpacingBetween):
			step = s.SpacingBetween
		case multiples(minGap):
			step = minGap
		default:
			regular = false
			step = span / float64(n-1)
			warnings = append(warnings, fmt.Sprintf("frame positions are not evenly spaced (steps from %.3f mm): placed on a %.3f mm grid, one slice per position", minGap, step))
		}
		if regular {
			n = int(math.Round(span/step)) + 1
		}
	}
	slot := func(d float64) int {
		if regular {
			return int(math.Round((d - first) / step))
		}
		return min(sort.SearchFloat64s(uniq, d-1e-3), len(uniq)-1)
	}
	if int64(n)*int64(s.Rows)*int64(s.Cols) > maxSEGVoxels {
		return nil, fmt.Errorf("%s: frames span %d slices of %d×%d: %w", s.Path, n, s.Cols, s.Rows, ErrSEGGeometry)
	}
	// The origin: the first slot's frame position, projected back onto the
	// normal line through the lowest frame (frames in-plane offset from it
	// would need shearing, as a gantry tilt does).
	lowest := 0
	for f := range s.Frames {
		if ds[f] < ds[lowest] {
			lowest = f
		}
	}
	origin := s.Frames[lowest].Position
	sheared := 0
	for _, fr := range s.Frames {
		d := viewer.Vec3{fr.Position[0] - origin[0], fr.Position[1] - origin[1], fr.Position[2] - origin[2]}
		if math.Abs(d.Dot(row)) > 0.1*ps[1] || math.Abs(d.Dot(col)) > 0.1*ps[0] {
			sheared++
		}
	}
	if sheared > 0 {
		warnings = append(warnings, fmt.Sprintf("%d frames are shifted in-plane from the first (gantry tilt?): shown unsheared", sheared))
	}
	var dir viewer.Mat3
	for r := 0; r < 3; r++ {
		dir[r][0], dir[r][1], dir[r][2] = row[r], col[r], normal[r]
	}
	g := viewer.Geometry{Dims: [3]int{s.Cols, s.Rows, n}, Spacing: viewer.Vec3{ps[1], ps[0], step}, Origin: origin, Direction: dir}
	lm, err := viewer.NewLabelMap(g, s.maxSegment())
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", s.Path, err, ErrSEGGeometry)
	}
	lm.Modality, lm.Description = "SEG", "DICOM Segmentation"
	lm.Warnings = append(append(lm.Warnings, s.Warnings...), warnings...)
	lm.Table = s.Table()
	pt := &painter{lm: lm}
	plane := s.Rows * s.Cols
	for _, f := range s.frameOrder() {
		k := slot(ds[f])
		if k < 0 || k >= n {
			continue
		}
		id, at := s.Frames[f].Segment, k*plane
		s.eachSet(f, func(p int) { pt.set(at+p, id) })
	}
	pt.warn()
	return lm, nil
}

// Tolerances for placing frames on an image grid, in voxels: a frame's
// corners must land this close to voxel centres in-plane, and its plane this
// close to a slice's along the normal.
const (
	segInPlaneTol = 0.1
	segSliceTol   = 0.2
)

// LabelsOn places the segments on an image's grid g (a series' geometry
// as loaded, or any other voxel order of it): every frame must lie in the
// grid's slice planes with its pixels on the slice's voxels, covering the
// whole slice (else ErrSEGGeometry); a frame between slices, or beyond the
// image, is left out with a warning. Where segments overlap the highest
// segment number wins, with a warning counting the voxels.
func (s *SEG) LabelsOn(g viewer.Geometry) (*viewer.LabelMap, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("labels for %s: image geometry: %w", s.Path, err)
	}
	lm, err := viewer.NewLabelMap(g, s.maxSegment())
	if err != nil {
		return nil, err
	}
	lm.Modality, lm.Description = "SEG", "DICOM Segmentation"
	lm.Warnings = append(lm.Warnings, s.Warnings...)
	lm.Table = s.Table()
	pt := &painter{lm: lm}
	off, placed := 0, 0
	for _, f := range s.frameOrder() {
		m, err := s.placement(f, g)
		if err != nil {
			return nil, err
		}
		if !m.onSlice {
			off++
			continue
		}
		placed++
		// Pixel (r, c) goes to linear voxel start + c·sc + r·sr.
		lin := func(v [3]int) int { return v[0] + g.Dims[0]*(v[1]+g.Dims[1]*v[2]) }
		start, sc, sr := lin(m.start), lin(m.colStep), lin(m.rowStep)
		id, cols := s.Frames[f].Segment, s.Cols
		s.eachSet(f, func(p int) { pt.set(start+(p%cols)*sc+(p/cols)*sr, id) })
	}
	if placed == 0 {
		return nil, fmt.Errorf("%s: none of its %d frames lies on a slice of the %d×%d×%d image: a segmentation of another series? %w",
			s.Path, len(s.Frames), g.Dims[0], g.Dims[1], g.Dims[2], ErrSEGGeometry)
	}
	if off > 0 {
		lm.Warnf("%d of %d frames lie on no slice of the image (between slices or beyond it) and were left out", off, len(s.Frames))
	}
	pt.warn()
	return lm, nil
}

// framePlacement maps a frame's pixel (r, c) to voxel start + c·colStep +
// r·rowStep.
type framePlacement struct {
	start, colStep, rowStep [3]int
	onSlice                 bool
}

// placement works out where frame f's pixels fall on grid g.
func (s *SEG) placement(f int, g viewer.Geometry) (framePlacement, error) {
	fr := s.Frames[f]
	row, col := orientation(fr.Orientation)
	ps := fr.PixelSpacing
	if ps[0] <= 0 { // no spacing: take the image's, along the frame's axes
		ps = [2]float64{1, 1}
	}
	at := func(r, c float64) viewer.Vec3 {
		var p viewer.Vec3
		for a := 0; a < 3; a++ {
			p[a] = fr.Position[a] + c*ps[1]*row[a] + r*ps[0]*col[a]
		}
		return g.LPSToIndex(p)
	}
	i0 := at(0, 0)
	dc := sub(at(0, 1), i0)
	dr := sub(at(1, 0), i0)
	if fr.PixelSpacing[0] <= 0 {
		// Unknown spacing: one pixel is one voxel along whichever axis the
		// direction runs.
		dc, dr = unitAxis(dc), unitAxis(dr)
	}
	ac, sc := dominant(dc)
	ar, sr := dominant(dr)
	var m framePlacement
	bad := ac == ar
	if !bad {
		m.colStep[ac], m.rowStep[ar] = sc, sr
		for a := 0; a < 3; a++ {
			m.start[a] = int(math.Round(i0[a]))
		}
		// The four corners must land on the voxels the steps predict.
		for _, rc := range [][2]int{{0, 0}, {0, s.Cols - 1}, {s.Rows - 1, 0}, {s.Rows - 1, s.Cols - 1}} {
			got := viewer.Vec3{}
			if fr.PixelSpacing[0] > 0 {
				got = at(float64(rc[0]), float64(rc[1]))
			} else {
				for a := 0; a < 3; a++ {
					got[a] = i0[a] + float64(rc[1])*dc[a] + float64(rc[0])*dr[a]
				}
			}
			for a := 0; a < 3; a++ {
				want := float64(m.start[a] + rc[1]*m.colStep[a] + rc[0]*m.rowStep[a])
				tol := segInPlaneTol
				if a != ac && a != ar {
					tol = math.Inf(1) // the slice match is checked below
				}
				if math.Abs(got[a]-want) > tol {
					bad = true
				}
			}
		}
	}
	if bad {
		return m, fmt.Errorf("%s: frame %d (orientation %s, %g×%g mm pixels) does not lie on the image's voxel grid (%v mm voxels): a segmentation of another series or a resampled one: %w",
			s.Path, f+1, fmtIOP(fr.Orientation), ps[1], ps[0], g.Spacing, ErrSEGGeometry)
	}
	// It must cover the whole slice: the same size, starting at its edge.
	for _, ax := range [][3]int{{ac, sc, s.Cols}, {ar, sr, s.Rows}} {
		a, sign, n := ax[0], ax[1], ax[2]
		first := 0
		if sign < 0 {
			first = g.Dims[a] - 1
		}
		if n != g.Dims[a] || m.start[a] != first {
			return m, fmt.Errorf("%s: frame %d is %d×%d pixels starting at voxel %v; the image's slices are %d×%d: the frames do not match the series' size: %w",
				s.Path, f+1, s.Cols, s.Rows, m.start, g.Dims[ac], g.Dims[ar], ErrSEGGeometry)
		}
	}
	na := 3 - ac - ar
	k := math.Round(i0[na])
	m.onSlice = math.Abs(i0[na]-k) <= segSliceTol && k >= 0 && k < float64(g.Dims[na])
	return m, nil
}

func sub(a, b viewer.Vec3) viewer.Vec3 { return viewer.Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// dominant returns the axis a step mostly runs along and its sign.
func dominant(v viewer.Vec3) (axis, sign int) {
	for a := 1; a < 3; a++ {
		if math.Abs(v[a]) > math.Abs(v[axis]) {
			axis = a
		}
	}
	if v[axis] < 0 {
		return axis, -1
	}
	return axis, 1
}

// unitAxis is v shrunk or grown to one voxel along its dominant axis.
func unitAxis(v viewer.Vec3) viewer.Vec3 {
	a, s := dominant(v)
	var u viewer.Vec3
	u[a] = float64(s)
	return u
}

func fmtIOP(iop [6]float64) string {
	parts := make([]string, 6)
	for i, v := range iop {
		parts[i] = fmt.Sprintf("%.4g", v)
	}
	return strings.Join(parts, `\`)
}

// DICOMLabToRGB converts a DICOM CIELab triple (PS3.3 C.10.7.1.1: L* 0..100
// and a*, b* −128..127 each scaled to 0..65535) to 8-bit sRGB, with the D65
// white point that DCMTK (and so dcmqi and 3D Slicer) uses. Colours outside
// the sRGB gamut are clipped.
func DICOMLabToRGB(l, a, b float64) color.RGBA {
	if math.IsNaN(l+a+b) || math.IsInf(l+a+b, 0) {
		return color.RGBA{A: 255}
	}
	L := l * 100 / 65535
	A := a*255/65535 - 128
	B := b*255/65535 - 128
	fy := (L + 16) / 116
	fx := fy + A/500
	fz := fy - B/200
	inv := func(t float64) float64 {
		if t > 6.0/29 {
			return t * t * t
		}
		return 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0/29)
	}
	x, y, z := 0.950456*inv(fx), 1.0*inv(fy), 1.088754*inv(fz)
	r := 3.2404542*x - 1.5371385*y - 0.4985314*z
	g := -0.9692660*x + 1.8760108*y + 0.0415560*z
	bl := 0.0556434*x - 0.2040259*y + 1.0572252*z
	enc := func(c float64) uint8 {
		if c <= 0.0031308 {
			c *= 12.92
		} else {
			c = 1.055*math.Pow(c, 1/2.4) - 0.055
		}
		return uint8(math.Round(255 * math.Max(0, math.Min(1, c))))
	}
	return color.RGBA{enc(r), enc(g), enc(bl), 255}
}
