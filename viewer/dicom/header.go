package dicom

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"delineate/viewer"
	"delineate/viewer/codec"
)

// Transfer syntaxes we treat specially.
const (
	tsImplicitLE = "1.2.840.10008.1.2"
	tsExplicitLE = "1.2.840.10008.1.2.1"
	tsDeflated   = "1.2.840.10008.1.2.1.99"
	tsExplicitBE = "1.2.840.10008.1.2.2"
)

// Siemens private tag holding the number of images tiled in a mosaic.
var tagMosaicCount = tag.Tag{Group: 0x0019, Element: 0x100a}

// errNotDICOM marks a file without the DICM signature, so a folder scan can
// skip it quietly with a short warning rather than a parse failure.
var errNotDICOM = errors.New("not a DICOM file")

// errSEGFile marks a DICOM Segmentation met in a scan: labels, not an
// image series (ReadSEG reads it over the series it refers to).
var errSEGFile = errors.New("a DICOM SEG (segmentation) file")

// frameGeom is where one frame sits in patient space and how its stored
// values map to real ones.
type frameGeom struct {
	ipp       viewer.Vec3
	hasIPP    bool
	iop       [6]float64
	hasIOP    bool
	slope     float64
	intercept float64
	vol       volumeAttrs // what tells this image from others at its position
}

// header is what we need from one DICOM file to place and decode it.
type header struct {
	path         string
	ts           string
	seriesUID    string
	frameOfRef   string
	modality     string
	description  string
	seriesNumber string
	echo         string
	instance     int
	imageType    []string
	complex      string // magnitude/phase/real/imaginary (complexPart)

	rows, cols         int
	spp                int
	bitsAllocated      int
	bitsStored         int
	highBit            int
	pixelRep           int
	photometric        string
	planar             int
	nFrames            int
	pixelSpacing       [2]float64 // row spacing (between rows), column spacing
	hasSpacing         bool
	sliceThickness     float64
	spacingBetween     float64
	mosaicN            int
	frames             []frameGeom
	windows            []viewer.WindowPreset
	patientName, patID string
	native             []byte   // uncompressed PixelData bytes (set by withPixels)
	fragments          [][]byte // encapsulated fragments (set by withPixels)
	hasPixels          bool
	// Where the scan found the pixel data in the file (-1: not known, as
	// in a deflated file): the element, its value and its declared length
	// (-1: encapsulated).
	fileSize                       int64
	pixelElemAt, pixelAt, pixelLen int64
	// floatBytes is 4 or 8 for Float or Double Float Pixel Data: samples
	// are IEEE floats, taken as they are (no rescale).
	floatBytes int
	// lut, when set, maps stored values to voxel values instead of the
	// rescale: a Modality LUT, or a palette reduced to luma (lut.go).
	lut *valueLUT
	// notes say what was done to this file's pixels that a reader should
	// know (they become the volume's warnings, once per series).
	notes []string
}

func (h *header) notef(format string, args ...any) {
	h.notes = append(h.notes, fmt.Sprintf(format, args...))
}

var (
	tagGridFrameOffsetVector = tag.Tag{Group: 0x3004, Element: 0x000c}
	tagDoseGridScaling       = tag.Tag{Group: 0x3004, Element: 0x000e}
	tagDoseUnits             = tag.Tag{Group: 0x3004, Element: 0x0002}
	tagDoseType              = tag.Tag{Group: 0x3004, Element: 0x0004}
)

// headerPrefix is how much of a file a scan reads first: the data set up
// to the pixel data fits in it for nearly every file (a CT or MR header is
// 2–20 KiB), and a file whose header does not is read whole.
var headerPrefix = 64 << 10 // a variable so that fuzzing can make it small

// readHeader parses one file's data set up to its pixel data, reading only
// the file's header where it can (Load reads the pixels later, from where
// the scan found them). A panic in the parser comes back as an error
// naming the file.
func readHeader(path string, phi bool) (h *header, err error) {
	ts := "" // the transfer syntax, once the walk has read it
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("%s: the %s header could not be parsed (the DICOM library failed: %v); the file may be damaged", path, codec.SyntaxName(ts), r)
		}
	}()
	p, err := readDataSet(path, &ts)
	if err != nil {
		return nil, err
	}
	ds, w, size, px := p.ds, p.w, p.size, *p.w.pixels
	// The pixels of a deflated file take their inflated size.
	h, herr := headerFrom(path, &ds, phi, w.ts, max(size, int64(w.metaEnd)+int64(len(w.body))), px.floatBytes)
	if herr != nil {
		return nil, herr
	}
	if w.mislabelled {
		h.notef("the file meta says %s but the data set is encoded implicit VR: read as Implicit VR Little Endian", codec.SyntaxName(h.ts))
	}
	h.hasPixels = h.hasPixels || px.found
	h.fileSize, h.pixelElemAt, h.pixelAt, h.pixelLen = size, px.elemAt, px.valueAt, px.length
	if p.err != nil && !h.hasPixels {
		return nil, fmt.Errorf("%s: %w", path, p.err)
	}
	return h, nil
}

// parsedFile is one file's data set up to its pixel data, as readDataSet
// parsed it.
type parsedFile struct {
	ds   dcm.Dataset
	w    *lengthWalker
	size int64 // the file's size
	err  error // the parser's error when it still returned elements
}

// readDataSet reads and parses a file's data set up to its pixel data: the
// prefix where the header fits in it, else the whole file. ts is set to the
// transfer syntax as soon as the walk knows it (for the caller's panic
// message). DICOM SEG files are refused with errSEGFile. The caller
// recovers from the parser's panics.
func readDataSet(path string, ts *string) (*parsedFile, error) {
	data, size, err := readDICOMPrefix(path, headerPrefix)
	if err != nil {
		return nil, err
	}
	if metaSOPClass(data) == SEGSOPClass {
		return nil, fmt.Errorf("%s: %w", path, errSEGFile)
	}
	var w *lengthWalker
	if int64(len(data)) < size {
		w, err = walkUpTo(data, size)
		if errors.Is(err, errNeedWhole) {
			w = nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if w == nil {
		if data, err = readDICOMBytes(path); err != nil {
			return nil, err
		}
		size = int64(len(data))
		if w, err = walkFile(data); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	*ts = w.ts
	parse := libraryView(w)
	opts := []dcm.ParseOption{
		dcm.AllowMissingMetaElementGroupLength(),
		dcm.AllowUnknownSpecificCharacterSet(),
		dcm.AllowMismatchPixelDataLength(),
		dcm.SkipPixelData(),
	}
	ds, err := dcm.Parse(bytes.NewReader(parse), int64(len(parse)), nil, opts...)
	if err != nil && len(ds.Elements) == 0 {
		return nil, fmt.Errorf("%s: %s: %w", path, codec.SyntaxName(w.ts), err)
	}
	return &parsedFile{ds: ds, w: w, size: size, err: err}, nil
}

// readDICOMPrefix reads up to n bytes of a file and its size, checking the
// signature first so that a folder full of other files costs one small
// read each.
func readDICOMPrefix(path string, n int) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	size := st.Size()
	buf := make([]byte, min(int64(n), max(size, 132)))
	got, err := io.ReadFull(f, buf)
	if got < 132 || string(buf[128:132]) != "DICM" {
		return nil, 0, fmt.Errorf("%s: %w", path, errNotDICOM)
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, 0, err
	}
	return buf[:got], max(size, int64(got)), nil
}

// readDICOMBytes reads the whole file, checking the signature first.
func readDICOMBytes(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var pre [132]byte
	if _, err := io.ReadFull(f, pre[:]); err != nil || string(pre[128:132]) != "DICM" {
		return nil, fmt.Errorf("%s: %w", path, errNotDICOM)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// headerFrom extracts the fields we use from a parsed data set.
func headerFrom(path string, ds *dcm.Dataset, phi bool, ts string, fileSize int64, floatBytes int) (*header, error) {
	el := elements(ds.Elements)
	h := &header{
		path:         path,
		ts:           ts,
		seriesUID:    el.str(tag.SeriesInstanceUID),
		frameOfRef:   el.str(tag.FrameOfReferenceUID),
		modality:     el.str(tag.Modality),
		description:  el.str(tag.SeriesDescription),
		seriesNumber: el.str(tag.SeriesNumber),
		echo:         el.str(tag.EchoNumbers),
		imageType:    el.strs(tag.ImageType),
		photometric:  el.str(tag.PhotometricInterpretation),
	}
	if h.ts == "" {
		h.ts = tsImplicitLE
	}
	h.instance, _ = el.int(tag.InstanceNumber)
	var ok bool
	if h.rows, ok = el.int(tag.Rows); !ok {
		return nil, fmt.Errorf("%s: not an image (no Rows)", path)
	}
	h.cols, _ = el.int(tag.Columns)
	if h.rows <= 0 || h.cols <= 0 || h.rows > 1<<16 || h.cols > 1<<16 {
		return nil, fmt.Errorf("%s: bad image size %d×%d", path, h.cols, h.rows)
	}
	h.spp = el.intOr(tag.SamplesPerPixel, 1)
	h.bitsAllocated = el.intOr(tag.BitsAllocated, 16)
	h.bitsStored = el.intOr(tag.BitsStored, h.bitsAllocated)
	h.highBit = el.intOr(tag.HighBit, h.bitsStored-1)
	h.pixelRep = el.intOr(tag.PixelRepresentation, 0)
	h.planar = el.intOr(tag.PlanarConfiguration, 0)
	h.nFrames = el.intOr(tag.NumberOfFrames, 1)
	if h.nFrames < 1 {
		h.nFrames = 1
	}
	if floatBytes > 0 {
		// Float pixels: the sample size is the element's, whatever
		// BitsAllocated says; there is no stored-bits packing or sign.
		h.floatBytes = floatBytes
		h.bitsAllocated, h.bitsStored, h.highBit, h.pixelRep = 8*floatBytes, 8*floatBytes, 8*floatBytes-1, 1
		if h.spp != 1 {
			return nil, fmt.Errorf("%s: float pixel data with %d samples per pixel is not supported (one sample per pixel would be needed)", path, h.spp)
		}
	}
	switch {
	case h.spp != 1 && h.spp != 3:
		return nil, fmt.Errorf("%s (%s): %d samples per pixel not supported; 1 (grey) or 3 (colour) would be needed", path, codec.SyntaxName(ts), h.spp)
	case h.bitsAllocated != 8 && h.bitsAllocated != 16 && h.bitsAllocated != 32 && h.floatBytes != 8:
		return nil, fmt.Errorf("%s (%s): %d bits allocated not supported; 8, 16 or 32 bits per sample would be needed", path, codec.SyntaxName(ts), h.bitsAllocated)
	case h.bitsStored < 1 || h.bitsStored > h.bitsAllocated:
		h.bitsStored = h.bitsAllocated
	}
	if h.highBit < h.bitsStored-1 || h.highBit >= h.bitsAllocated {
		h.highBit = h.bitsStored - 1
	}
	// Frames and pixels must stay within what a file can hold: guards an
	// absurd NumberOfFrames before anything is allocated from it.
	// Every frame needs at least an 8-byte fragment item, and uncompressed
	// ones their full size, so the file size bounds NumberOfFrames before
	// per-frame state is allocated from it.
	minFrame := int64(8)
	if !isEncapsulatedSyntax(h.ts) {
		minFrame = max(minFrame, int64(h.frameLen()))
	}
	if int64(h.nFrames)*minFrame > fileSize || int64(h.nFrames)*int64(h.rows)*int64(h.cols) > 1<<32 {
		return nil, fmt.Errorf("%s: %d frames of %d×%d do not fit in a %d-byte file", path, h.nFrames, h.cols, h.rows, fileSize)
	}
	if ps := el.floats(tag.PixelSpacing); len(ps) >= 2 && ps[0] > 0 && ps[1] > 0 {
		h.pixelSpacing, h.hasSpacing = [2]float64{ps[0], ps[1]}, true
	}
	h.sliceThickness = el.float(tag.SliceThickness)
	h.spacingBetween = el.float(tag.SpacingBetweenSlices)
	if phi {
		h.patientName = el.str(tag.PatientName)
		h.patID = el.str(tag.PatientID)
	}

	base := frameGeom{slope: 1, vol: readVolumeAttrs(el)}
	h.complex = complexPart(h, el.str(tag.ComplexImageComponent))
	if v := el.floats(tag.ImagePositionPatient); len(v) >= 3 {
		base.ipp, base.hasIPP = viewer.Vec3{v[0], v[1], v[2]}, true
	}
	if v := el.floats(tag.ImageOrientationPatient); len(v) >= 6 {
		copy(base.iop[:], v[:6])
		base.hasIOP = true
	}
	if s := el.floats(tag.RescaleSlope); len(s) > 0 && s[0] != 0 && !math.IsNaN(s[0]) {
		base.slope = s[0]
	}
	if s := el.floats(tag.RescaleIntercept); len(s) > 0 && !math.IsNaN(s[0]) {
		base.intercept = s[0]
	}
	h.windows = headerWindows(el)
	if err := h.valueMaps(el, &base); err != nil {
		return nil, err
	}

	if containsFold(h.imageType, "MOSAIC") && h.floatBytes == 0 { // a float mosaic is no format anyone writes
		h.mosaicN = el.mosaicCount(ds)
		if g := int(math.Ceil(math.Sqrt(float64(h.mosaicN)))); h.mosaicN > 1 && (g > h.rows || g > h.cols || h.mosaicN*h.nFrames > 1<<16) {
			return nil, fmt.Errorf("%s: a mosaic of %d images does not fit %d×%d pixels", path, h.mosaicN, h.cols, h.rows)
		}
	}
	if err := h.enhancedFrames(el, base); err != nil {
		return nil, err
	}

	h.hasPixels = el.find(tag.PixelData) != nil
	return h, nil
}

// valueMaps settles how stored values become voxel values where that is
// not a plain rescale: float pixels (taken as they are), a palette, a
// Modality LUT, RT Dose's DoseGridScaling.
func (h *header) valueMaps(el elements, base *frameGeom) error {
	hasRescale := el.find(tag.RescaleSlope) != nil || el.find(tag.RescaleIntercept) != nil
	switch {
	case h.floatBytes > 0:
		base.slope, base.intercept = 1, 0
		if h.floatBytes == 8 {
			h.notef("Double Float Pixel Data (64-bit) held as float32: about 7 significant digits are kept")
		}
		if hasRescale {
			h.notef("float pixel data: RescaleSlope/Intercept ignored (float values are taken as they are)")
		}
		return nil
	case h.photometric == "PALETTE COLOR" && h.spp == 1:
		lut, what, err := h.paletteLUT(el)
		if err != nil {
			h.notef("%v: shown as palette indices", err)
			return nil
		}
		h.lut, base.slope, base.intercept = lut, 1, 0
		h.notes = append(h.notes, what)
		return nil
	}
	lut, err := h.modalityLUT(el)
	if err != nil {
		h.notef("%v: the rescale is used instead", err)
	} else if lut != nil {
		h.lut, base.slope, base.intercept = lut, 1, 0
		msg := fmt.Sprintf("Modality LUT Sequence applied (%d entries from stored value %d, output %g to %g)", len(lut.data), lut.first, lut.lo, lut.hi)
		if hasRescale {
			msg += "; it replaces RescaleSlope/Intercept, which are ignored"
		}
		h.notes = append(h.notes, msg)
	}
	if strings.EqualFold(h.modality, "RTDOSE") {
		units := el.str(tagDoseUnits)
		if units == "" {
			units = "unstated units"
		}
		if sc := el.floats(tagDoseGridScaling); len(sc) > 0 && sc[0] > 0 && !math.IsInf(sc[0], 0) && h.lut == nil {
			base.slope, base.intercept = base.slope*sc[0], base.intercept*sc[0]
			h.notef("RT Dose: stored values × DoseGridScaling %g = dose in %s (%s)", sc[0], units, strings.ToLower(firstNonEmpty(el.str(tagDoseType), "dose type not stated")))
		} else {
			h.notef("RT Dose without DoseGridScaling: values are stored values, not dose in %s", units)
		}
	}
	return nil
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// enhancedFrames fills per-frame geometry from the functional groups of an
// enhanced multi-frame object, or replicates the classic header for every
// frame.
func (h *header) enhancedFrames(el elements, base frameGeom) error {
	shared := el.seqItems(tag.SharedFunctionalGroupsSequence)
	perFrame := el.seqItems(tag.PerFrameFunctionalGroupsSequence)
	if len(shared) > 0 {
		// Shared groups override the top level, per-frame groups override both.
		applyFunctionalGroups(shared[0], &base, h)
	}
	h.frames = make([]frameGeom, h.nFrames)
	for f := range h.frames {
		h.frames[f] = base
		if f < len(perFrame) {
			applyFunctionalGroups(perFrame[f], &h.frames[f], h)
		}
	}
	if offs := el.floats(tagGridFrameOffsetVector); len(perFrame) == 0 && h.nFrames > 1 && h.mosaicN == 0 && base.hasIPP && base.hasIOP && len(offs) >= h.nFrames && allFinite(offs) {
		// RT Dose (PS3.3 C.8.8.3.2): offsets along the normal from the
		// first frame when the first is 0, else the frames' z coordinates
		// (allowed only for axial grids, where z is along the normal).
		row := viewer.Vec3{base.iop[0], base.iop[1], base.iop[2]}
		n := unit(row.Cross(viewer.Vec3{base.iop[3], base.iop[4], base.iop[5]}))
		rel := offs[0] == 0
		for f := range h.frames {
			if rel {
				for a := 0; a < 3; a++ {
					h.frames[f].ipp[a] = base.ipp[a] + n[a]*offs[f]
				}
			} else {
				h.frames[f].ipp[2] = offs[f]
			}
		}
		if !rel && (math.Abs(n[2]) < 0.9999) {
			h.notef("GridFrameOffsetVector gives absolute z positions but the grid is not axial: frame positions are approximate")
		}
	} else if len(perFrame) == 0 && h.nFrames > 1 && h.mosaicN == 0 && base.hasIPP && base.hasIOP {
		// Classic multi-frame has one position: by convention the frames
		// step along the normal by SpacingBetweenSlices (else SliceThickness).
		row := viewer.Vec3{base.iop[0], base.iop[1], base.iop[2]}
		n := unit(row.Cross(viewer.Vec3{base.iop[3], base.iop[4], base.iop[5]}))
		step := firstPositive(h.spacingBetween, h.sliceThickness, 1)
		for f := range h.frames {
			for a := 0; a < 3; a++ {
				h.frames[f].ipp[a] = base.ipp[a] + n[a]*step*float64(f)
			}
		}
	}
	return nil
}

func applyFunctionalGroups(item elements, g *frameGeom, h *header) {
	perFrameVolumeAttrs(item, &g.vol)
	if pp := item.seqItems(tag.PlanePositionSequence); len(pp) > 0 {
		if v := pp[0].floats(tag.ImagePositionPatient); len(v) >= 3 {
			g.ipp, g.hasIPP = viewer.Vec3{v[0], v[1], v[2]}, true
		}
	}
	if po := item.seqItems(tag.PlaneOrientationSequence); len(po) > 0 {
		if v := po[0].floats(tag.ImageOrientationPatient); len(v) >= 6 {
			copy(g.iop[:], v[:6])
			g.hasIOP = true
		}
	}
	if pm := item.seqItems(tag.PixelMeasuresSequence); len(pm) > 0 {
		if ps := pm[0].floats(tag.PixelSpacing); len(ps) >= 2 && ps[0] > 0 && ps[1] > 0 {
			h.pixelSpacing, h.hasSpacing = [2]float64{ps[0], ps[1]}, true
		}
		if t := pm[0].float(tag.SliceThickness); t > 0 {
			h.sliceThickness = t
		}
		if t := pm[0].float(tag.SpacingBetweenSlices); t > 0 {
			h.spacingBetween = t
		}
	}
	if pv := item.seqItems(tag.PixelValueTransformationSequence); len(pv) > 0 {
		if s := pv[0].floats(tag.RescaleSlope); len(s) > 0 && s[0] != 0 && !math.IsNaN(s[0]) {
			g.slope = s[0]
		}
		if s := pv[0].floats(tag.RescaleIntercept); len(s) > 0 && !math.IsNaN(s[0]) {
			g.intercept = s[0]
		}
	}
}

// headerWindows turns WindowCenter/Width (multi-valued) into presets named by
// the explanation when there is one.
func headerWindows(el elements) []viewer.WindowPreset {
	cs, ws := el.floats(tag.WindowCenter), el.floats(tag.WindowWidth)
	names := el.strs(tag.WindowCenterWidthExplanation)
	var out []viewer.WindowPreset
	for i := 0; i < len(cs) && i < len(ws); i++ {
		if !(ws[i] > 0) || math.IsInf(cs[i], 0) || math.IsNaN(cs[i]) {
			continue
		}
		name := fmt.Sprintf("header %d", i+1)
		if i < len(names) && strings.TrimSpace(names[i]) != "" {
			name = strings.TrimSpace(names[i])
		}
		out = append(out, viewer.WindowPreset{Name: name, Center: cs[i], Width: ws[i]})
	}
	return out
}

// elements is a flat list of data elements with typed getters.
type elements []*dcm.Element

func (e elements) find(t tag.Tag) *dcm.Element {
	for _, x := range e {
		if x != nil && x.Tag == t {
			return x
		}
	}
	return nil
}

func (e elements) strs(t tag.Tag) []string {
	x := e.find(t)
	if x == nil || x.Value == nil {
		return nil
	}
	switch v := x.Value.GetValue().(type) {
	case []string:
		out := make([]string, 0, len(v))
		for _, s := range v {
			out = append(out, strings.TrimRight(strings.TrimSpace(s), "\x00"))
		}
		return out
	case []byte:
		return strings.Split(strings.TrimRight(strings.TrimSpace(string(v)), "\x00 "), `\`)
	case []int:
		out := make([]string, len(v))
		for i, n := range v {
			out[i] = strconv.Itoa(n)
		}
		return out
	}
	return nil
}

func (e elements) str(t tag.Tag) string {
	return strings.TrimSpace(strings.Join(e.strs(t), `\`))
}

func (e elements) floats(t tag.Tag) []float64 {
	x := e.find(t)
	if x == nil || x.Value == nil {
		return nil
	}
	switch v := x.Value.GetValue().(type) {
	case []float64:
		return v
	case []int:
		out := make([]float64, len(v))
		for i, n := range v {
			out[i] = float64(n)
		}
		return out
	case []string, []byte:
		var out []float64
		for _, s := range e.strs(t) {
			for _, part := range strings.Split(s, `\`) {
				f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
				if err != nil {
					return out
				}
				out = append(out, f)
			}
		}
		return out
	}
	return nil
}

func (e elements) float(t tag.Tag) float64 {
	if v := e.floats(t); len(v) > 0 && !math.IsNaN(v[0]) && !math.IsInf(v[0], 0) {
		return v[0]
	}
	return 0
}

func (e elements) int(t tag.Tag) (int, bool) {
	v := e.floats(t)
	if len(v) == 0 || math.IsNaN(v[0]) || math.Abs(v[0]) > 1<<31 {
		return 0, false
	}
	return int(v[0]), true
}

func (e elements) intOr(t tag.Tag, def int) int {
	if n, ok := e.int(t); ok {
		return n
	}
	return def
}

func (e elements) seqItems(t tag.Tag) []elements {
	x := e.find(t)
	if x == nil || x.Value == nil {
		return nil
	}
	items, ok := x.Value.GetValue().([]*dcm.SequenceItemValue)
	if !ok {
		return nil
	}
	out := make([]elements, 0, len(items))
	for _, it := range items {
		if it == nil {
			continue
		}
		if els, ok := it.GetValue().([]*dcm.Element); ok {
			out = append(out, elements(els))
		}
	}
	return out
}

// mosaicCount reads Siemens' NumberOfImagesInMosaic, which arrives as US in
// explicit files and as raw bytes in implicit ones (private tags are not in
// the dictionary).
func (e elements) mosaicCount(ds *dcm.Dataset) int {
	x := e.find(tagMosaicCount)
	if x == nil || x.Value == nil {
		return 0
	}
	switch v := x.Value.GetValue().(type) {
	case []int:
		if len(v) > 0 {
			return v[0]
		}
	case []byte:
		if len(v) >= 2 {
			return int(binary.LittleEndian.Uint16(v))
		}
	case []string:
		if len(v) > 0 {
			n, _ := strconv.Atoi(strings.TrimSpace(v[0]))
			return n
		}
	}
	return 0
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		for _, p := range strings.Split(x, `\`) {
			if strings.EqualFold(strings.TrimSpace(p), s) {
				return true
			}
		}
	}
	return false
}

// isEncapsulatedSyntax reports whether pixel data of this transfer syntax is
// stored as compressed fragments.
func isEncapsulatedSyntax(ts string) bool {
	switch ts {
	case tsImplicitLE, tsExplicitLE, tsExplicitBE, tsDeflated:
		return false
	}
	return true
}
