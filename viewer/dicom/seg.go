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
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
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
