package dicom

import (
	"encoding/binary"
	"fmt"
	"math"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// A valueLUT maps stored values to voxel values by table, where the header
// says a table rather than a rescale gives the real values: the Modality
// LUT Sequence (0028,3000), and PALETTE COLOR images, whose palette is
// reduced to the luma of each entry (the viewer works on one channel).
//
// Stored values below first take the first entry, values beyond the table
// the last (PS3.3 C.11.1.1.1 and C.7.6.3.1.5, as pydicom's
// apply_modality_lut and apply_color_lut do).
type valueLUT struct {
	first  int64
	data   []int64
	lo, hi float64 // the range of data
}

func (l *valueLUT) at(v int64) int64 {
	i := v - l.first
	switch {
	case i < 0:
		i = 0
	case i >= int64(len(l.data)):
		i = int64(len(l.data)) - 1
	}
	return l.data[i]
}

// maxLUT is the most entries a LUT descriptor can declare (0 means 2^16).
const maxLUT = 1 << 16

func newValueLUT(first int64, data []int64) *valueLUT {
	l := &valueLUT{first: first, data: data, lo: math.Inf(1), hi: math.Inf(-1)}
	for _, v := range data {
		l.lo, l.hi = math.Min(l.lo, float64(v)), math.Max(l.hi, float64(v))
	}
	return l
}

// lutDescriptor reads a LUT descriptor: the number of entries (0 means
// 65536), the first stored value mapped (signed when the pixels are, even
// where the file says US), and the bits per entry.
func lutDescriptor(v []float64, pixelRep int) (count int, first int64, bits int, ok bool) {
	if len(v) < 3 {
		return 0, 0, 0, false
	}
	count, first, bits = int(v[0]), int64(v[1]), int(v[2])
	if count == 0 {
		count = maxLUT
	}
	if pixelRep == 1 && first > math.MaxInt16 {
		first -= 1 << 16
	}
	if count < 0 || count > maxLUT || bits < 1 || bits > 16 {
		return 0, 0, 0, false
	}
	return count, first, bits, true
}

// lutWords reads LUT data given as US values or as OW bytes. Bytes hold
// one entry each when there are as many bytes as entries (8-bit palette
// data, as pydicom reads it), otherwise two.
func lutWords(x *dcm.Element, count int, bo binary.ByteOrder) []int64 {
	if x == nil || x.Value == nil {
		return nil
	}
	var out []int64
	switch v := x.Value.GetValue().(type) {
	case []int:
		for _, n := range v {
			out = append(out, int64(n))
		}
	case []byte:
		if len(v) == count {
			for _, b := range v {
				out = append(out, int64(b))
			}
			break
		}
		for i := 0; i+2 <= len(v); i += 2 {
			out = append(out, int64(bo.Uint16(v[i:])))
		}
	}
	return out
}

func (h *header) byteOrder() binary.ByteOrder {
	if h.ts == tsExplicitBE {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

var (
	tagModalityLUTSequence = tag.Tag{Group: 0x0028, Element: 0x3000}
	tagLUTDescriptor       = tag.Tag{Group: 0x0028, Element: 0x3002}
	tagLUTData             = tag.Tag{Group: 0x0028, Element: 0x3006}
	// Red, green, blue palette descriptors, data and segmented data.
	tagPaletteDescriptor = [3]tag.Tag{{Group: 0x0028, Element: 0x1101}, {Group: 0x0028, Element: 0x1102}, {Group: 0x0028, Element: 0x1103}}
	tagPaletteData       = [3]tag.Tag{{Group: 0x0028, Element: 0x1201}, {Group: 0x0028, Element: 0x1202}, {Group: 0x0028, Element: 0x1203}}
	tagSegmentedPalette  = [3]tag.Tag{{Group: 0x0028, Element: 0x1221}, {Group: 0x0028, Element: 0x1222}, {Group: 0x0028, Element: 0x1223}}
)

// modalityLUT reads the Modality LUT Sequence's first item; nil without one.
func (h *header) modalityLUT(el elements) (*valueLUT, error) {
	items := el.seqItems(tagModalityLUTSequence)
	if len(items) == 0 {
		return nil, nil
	}
	count, first, bits, ok := lutDescriptor(items[0].floats(tagLUTDescriptor), h.pixelRep)
	if !ok {
		return nil, fmt.Errorf("%s: the Modality LUT Sequence has no usable LUT Descriptor", h.path)
	}
	data := lutWords(items[0].find(tagLUTData), count, h.byteOrder())
	if len(data) < count {
		return nil, fmt.Errorf("%s: the Modality LUT declares %d entries but holds %d", h.path, count, len(data))
	}
	data = data[:count]
	mask := int64(1)<<uint(bits) - 1
	for i := range data {
		data[i] &= mask
	}
	return newValueLUT(first, data), nil
}

// paletteLUT reads the palette of a PALETTE COLOR image as the Rec. 601
// luma of each entry, rounded (the entries are 8 or 16 bits, so the luma
// is too). Segmented palettes are expanded as PS3.3 C.7.9.2 describes.
func (h *header) paletteLUT(el elements) (*valueLUT, string, error) {
	var chans [3][]int64
	var first int64
	count, bits := 0, 0
	segmented := false
	for c := 0; c < 3; c++ {
		n, f, b, ok := lutDescriptor(el.floats(tagPaletteDescriptor[c]), 0)
		if !ok {
			return nil, "", fmt.Errorf("%s: PALETTE COLOR image without a usable palette descriptor; the palette would be needed to show it", h.path)
		}
		if c == 0 {
			count, first, bits = n, f, b
		}
		if d := lutWords(el.find(tagPaletteData[c]), n, h.byteOrder()); len(d) > 0 {
			chans[c] = d
		} else if x := el.find(tagSegmentedPalette[c]); x != nil {
			segmented = true
			words := lutWords(x, -1, h.byteOrder())
			if b == 8 {
				words = nil
				if raw, ok := x.Value.GetValue().([]byte); ok {
					for _, v := range raw {
						words = append(words, int64(v))
					}
				}
			}
			budget := 1 << 22
			chans[c] = expandSegmented(words, &budget, 0, 0, false, 0)
		}
		if len(chans[c]) == 0 {
			return nil, "", fmt.Errorf("%s: PALETTE COLOR image without palette data; the palette would be needed to show it", h.path)
		}
	}
	n := min(len(chans[0]), len(chans[1]), len(chans[2]))
	if !segmented {
		n = min(n, count)
	}
	data := make([]int64, n)
	for i := range data {
		data[i] = int64(math.Round(0.299*float64(chans[0][i]) + 0.587*float64(chans[1][i]) + 0.114*float64(chans[2][i])))
	}
	what := fmt.Sprintf("PALETTE COLOR image: the %d-entry palette (%d-bit entries) applied, shown as the luma of each colour", n, bits)
	if segmented {
		what = fmt.Sprintf("PALETTE COLOR image: the segmented palette expanded to %d entries and applied, shown as the luma of each colour", n)
	}
	return newValueLUT(first, data), what, nil
}

// expandSegmented expands segmented palette data (PS3.3 C.7.9.2):
// discrete (0), linear (1) and indirect (2) segments, as pydicom's
// _expand_segmented_lut does: an indirect segment repeats the given number
// of segments from an earlier offset. Indirect segments nest at most a few
// deep and the table stops at 65536 entries, whatever the data claims.
// segments > 0 stops after that many segments.
func expandSegmented(data []int64, budget *int, depth, segments int, haveLast bool, last int64) []int64 {
	var lut []int64
	off := 0
	for read := 0; off+1 < len(data) && len(lut) < maxLUT && (segments == 0 || read < segments) && *budget > 0; read++ {
		op, n := data[off], int(data[off+1])
		off += 2
		n = min(n, maxLUT-len(lut))
		*budget -= 1 + n // bounds the work of nested indirect segments
		switch op {
		case 0:
			end := min(off+n, len(data))
			lut = append(lut, data[off:end]...)
			off += n
		case 1:
			y0 := last
			if len(lut) > 0 {
				y0 = lut[len(lut)-1]
			} else if !haveLast {
				return lut
			}
			if off >= len(data) {
				return lut
			}
			y1 := data[off]
			off++
			if n == 0 {
				continue
			}
			step := float64(y1-y0) / float64(n)
			start := float64(y0) + step
			for k := 0; k < n; k++ {
				v := float64(y1)
				if n > 1 {
					v = start + float64(k)*(float64(y1)-start)/float64(n-1)
				}
				lut = append(lut, int64(math.RoundToEven(v)))
			}
		case 2:
			if len(lut) == 0 || depth > 4 || off+1 >= len(data) {
				return lut
			}
			at := int(data[off+1]<<16 | data[off])
			off += 2
			if at < 0 || at >= len(data) {
				return lut
			}
			if n == 0 {
				continue
			}
			lut = append(lut, expandSegmented(data[at:], budget, depth+1, n, true, lut[len(lut)-1])...)
		default:
			return lut
		}
	}
	return lut[:min(len(lut), maxLUT)]
}
