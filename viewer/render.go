package viewer

import (
	"fmt"
	"image"
	"math"
)

// RenderSlice draws slice k of v in plane p, windowed through lut, into dst
// and returns it. dst is reused when its size matches (so a view renders
// every frame into the same buffer) and replaced otherwise; pass nil the
// first time.
//
// Reslicing and windowing happen in one pass over the slice, with one type
// switch per call and a typed loop per pixel: no allocation, no interface
// call per pixel.
func RenderSlice(v *Volume, p Plane, k int, lut *WindowLUT, dst *image.Gray) (*image.Gray, error) {
	if v == nil {
		return dst, fmt.Errorf("render: no volume")
	}
	l, err := NewSliceLayout(v.Geometry, p)
	if err != nil {
		return dst, err
	}
	return RenderLayout(v, l, k, lut, dst)
}

// RenderLayout is RenderSlice with the layout worked out by the caller, for
// a view that keeps its SliceLayout between frames.
func RenderLayout(v *Volume, l SliceLayout, k int, lut *WindowLUT, dst *image.Gray) (*image.Gray, error) {
	if err := checkSlice(v, l, k); err != nil {
		return dst, err
	}
	if lut == nil {
		return dst, fmt.Errorf("render: no window")
	}
	dst = grayFor(dst, l.Width, l.Height)
	pix, stride := dst.Pix[dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y):], dst.Stride
	base := l.Offset(k)
	if a := v.Arriving; !a.Done() {
		return dst, renderArriving(v, l, base, lut, a, pix, stride)
	}
	return dst, renderPiece(v, l, base, lut, pix, stride)
}

// renderPiece windows the l.Width × l.Height voxels at base (the layout's
// strides) into pix.
func renderPiece(v *Volume, l SliceLayout, base int, lut *WindowLUT, pix []uint8, stride int) error {
	tab, w := lut.lutFor(v.Data.Type())
	switch s := typed(v.Data).(type) {
	case Voxels[uint8]:
		slice8(s, l, base, (*[256]uint8)(tab), pix, stride)
	case Voxels[int8]:
		slice8(s, l, base, (*[256]uint8)(tab), pix, stride)
	case Voxels[uint16]:
		slice16(s, l, base, (*[65536]uint8)(tab), pix, stride)
	case Voxels[int16]:
		slice16(s, l, base, (*[65536]uint8)(tab), pix, stride)
	case Voxels[int32]:
		sliceDirect(s, l, base, w, pix, stride)
	case Voxels[uint32]:
		sliceDirect(s, l, base, w, pix, stride)
	case Voxels[float32]:
		sliceDirect(s, l, base, w, pix, stride)
	default:
		return fmt.Errorf("render: unsupported voxel type %v", v.Data.Type())
	}
	return nil
}

// renderArriving draws a slice of a volume still loading: the parts that
// come from arrived acquisition slices as usual, the rest black, without
// reading a voxel of a slice still being written. Axis 2 is the whole view
// (an axial view of an axial series), its rows or its columns.
func renderArriving(v *Volume, l SliceLayout, base int, lut *WindowLUT, a *Arrival, pix []uint8, stride int) error {
	plane := v.Dims[0] * v.Dims[1]
	black := func(x0, y0, w, h int) {
		for y := y0; y < y0+h; y++ {
			clear(pix[y*stride+x0 : y*stride+x0+w])
		}
	}
	switch 2 {
	case l.NormalAxis:
		if !a.Has(base / plane) {
			black(0, 0, l.Width, l.Height)
			return nil
		}
		return renderPiece(v, l, base, lut, pix, stride)
	case l.RowAxis:
		row := l
		row.Height = 1
		for y := 0; y < l.Height; y++ {
			off := base + y*l.RowStride
			if !a.Has(off / plane) {
				black(0, y, l.Width, 1)
				continue
			}
			if err := renderPiece(v, row, off, lut, pix[y*stride:], stride); err != nil {
				return err
			}
		}
	default: // the columns
		col := l
		col.Width = 1
		for x := 0; x < l.Width; x++ {
			off := base + x*l.ColStride
			if !a.Has(off / plane) {
				black(x, 0, 1, l.Height)
				continue
			}
			if err := renderPiece(v, col, off, lut, pix[x:], stride); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSlice rejects what would otherwise index out of the data: a volume
// whose array does not match its dims, a layout from another grid, or a
// slice number out of range.
func checkSlice(v *Volume, l SliceLayout, k int) error {
	if v == nil || v.Data == nil {
		return fmt.Errorf("render: no voxel data")
	}
	if v.Data.Len() != v.NumVoxels() {
		return fmt.Errorf("render: volume has %d voxels for dims %v", v.Data.Len(), v.Dims)
	}
	if l.Width != v.Dims[l.ColAxis] || l.Height != v.Dims[l.RowAxis] || l.Slices != v.Dims[l.NormalAxis] {
		return fmt.Errorf("render: layout is for another grid")
	}
	if k < 0 || k >= l.Slices {
		return fmt.Errorf("render: %v slice %d out of range 0..%d", l.Plane, k, l.Slices-1)
	}
	return nil
}

// typed returns d as a Voxels[T] so hot paths can type-switch on the
// interface itself: going through Raw() would box a fresh slice header on
// every call, one allocation per frame for nothing. Other VoxelData
// implementations are unwrapped once through Raw.
func typed(d VoxelData) VoxelData {
	switch d.(type) {
	case Voxels[uint8], Voxels[int8], Voxels[uint16], Voxels[int16], Voxels[int32], Voxels[uint32], Voxels[float32]:
		return d
	}
	if w, err := WrapVoxels(d.Raw()); err == nil {
		return w
	}
	return d
}

func grayFor(dst *image.Gray, w, h int) *image.Gray {
	if dst != nil && dst.Rect.Dx() == w && dst.Rect.Dy() == h {
		return dst
	}
	return image.NewGray(image.Rect(0, 0, w, h))
}

// The three loops below differ only in how a voxel becomes a grey level;
// they are separate (rather than one loop taking a func) so that the lookup
// is inlined. The ColStride == 1 case is the axial and coronal fast path: a
// contiguous run the compiler can walk without bounds checks.

func slice8[T uint8 | int8](src []T, l SliceLayout, base int, tab *[256]uint8, pix []uint8, stride int) {
	w, cs, rs := l.Width, l.ColStride, l.RowStride
	for y := 0; y < l.Height; y++ {
		out := pix[y*stride : y*stride+w]
		off := base + y*rs
		if cs == 1 {
			for x, v := range src[off : off+w] {
				out[x] = tab[uint8(v)]
			}
			continue
		}
		for x := range out {
			out[x] = tab[uint8(src[off])]
			off += cs
		}
	}
}

func slice16[T uint16 | int16](src []T, l SliceLayout, base int, tab *[65536]uint8, pix []uint8, stride int) {
	w, cs, rs := l.Width, l.ColStride, l.RowStride
	for y := 0; y < l.Height; y++ {
		out := pix[y*stride : y*stride+w]
		off := base + y*rs
		if cs == 1 {
			for x, v := range src[off : off+w] {
				out[x] = tab[uint16(v)]
			}
			continue
		}
		for x := range out {
			out[x] = tab[uint16(src[off])]
			off += cs
		}
	}
}

func sliceDirect[T int32 | uint32 | float32](src []T, l SliceLayout, base int, win Window, pix []uint8, stride int) {
	w, cs, rs := l.Width, l.ColStride, l.RowStride
	if !(win.Width > 0) {
		for y := 0; y < l.Height; y++ {
			out := pix[y*stride : y*stride+w]
			off := base + y*rs
			for x := range out {
				out[x] = win.Grey(float64(src[off]))
				off += cs
			}
		}
		return
	}
	lo, wd := win.Center-win.Width/2, win.Width
	for y := 0; y < l.Height; y++ {
		out := pix[y*stride : y*stride+w]
		off := base + y*rs
		for x := range out {
			out[x] = greyAt(float64(src[off]), lo, wd)
			off += cs
		}
	}
}

// RenderOverlay draws slice k (plane p) of a label map over grey, the same
// slice already rendered by RenderSlice, into dst and returns it; dst is
// reused when its size matches. Each labelled pixel is blended as
// grey·(1−a) + colour·a with a = opacity·alpha/255 (opacity clamped to
// 0..1); label 0 is transparent, and so are negative, NaN or ≥ 2³¹ labels.
// Float label maps are rounded to the nearest id.
//
// labels must be on the image's grid (same dims and geometry; AlignTo puts
// them there): k is an index along the label map's own axis, so only on the
// same grid is label slice k the image's slice k. colours nil means
// DefaultLabelColours.
//
// The blend uses 8-bit fixed point, so a channel may differ from the exact
// real-valued blend by at most 1.
func RenderOverlay(grey *image.Gray, labels *Volume, p Plane, k int, opacity float64, colours LabelColours, dst *image.RGBA) (*image.RGBA, error) {
	if grey == nil {
		return dst, fmt.Errorf("overlay: no grey image")
	}
	if labels == nil {
		return dst, fmt.Errorf("overlay: no label map")
	}
	l, err := NewSliceLayout(labels.Geometry, p)
	if err != nil {
		return dst, err
	}
	if err := checkSlice(labels, l, k); err != nil {
		return dst, err
	}
	if grey.Rect.Dx() != l.Width || grey.Rect.Dy() != l.Height {
		return dst, fmt.Errorf("overlay: label slice is %d×%d but the image is %d×%d; align the labels to the image first",
			l.Width, l.Height, grey.Rect.Dx(), grey.Rect.Dy())
	}
	if colours == nil {
		colours = defaultColours
	}
	if dst == nil || dst.Rect.Dx() != l.Width || dst.Rect.Dy() != l.Height {
		dst = image.NewRGBA(image.Rect(0, 0, l.Width, l.Height))
	}
	var stackTable [256]blend
	bt := stackTable[:]
	if len(colours) > len(bt) {
		bt = make([]blend, len(colours))
	}
	newBlendTable(bt, colours, opacity)
	o := overlayArgs{
		l:      l,
		base:   l.Offset(k),
		grey:   grey.Pix[grey.PixOffset(grey.Rect.Min.X, grey.Rect.Min.Y):],
		gs:     grey.Stride,
		out:    dst.Pix[dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y):],
		os:     dst.Stride,
		blend:  bt,
		period: max(len(colours)-1, 1),
	}
	switch s := typed(labels.Data).(type) {
	case Voxels[uint8]:
		overlay8(s, o)
	case Voxels[int8]:
		overlay8(s, o)
	case Voxels[uint16]:
		overlayWide(s, o)
	case Voxels[int16]:
		overlayWide(s, o)
	case Voxels[int32]:
		overlayWide(s, o)
	case Voxels[uint32]:
		overlayWide(s, o)
	case Voxels[float32]:
		overlayWide(s, o)
	default:
		return dst, fmt.Errorf("overlay: unsupported label type %v", labels.Data.Type())
	}
	return dst, nil
}

// defaultColours is shared read-only by every overlay that passes nil.
var defaultColours = DefaultLabelColours()

// blend is one label's colour premultiplied by its 8-bit alpha a (0..256)
// plus the rounding half, and 256−a for the grey underneath, so a blended
// channel is one multiply-add and a shift. An entry with a = 0 gives back
// the grey exactly, so hidden labels need no special case.
type blend struct {
	r, g, b, inv uint32
}

// newBlendTable fills bt for colours at opacity. bt has at least 256
// entries, so 8-bit ids index it without a bounds check, and entries past
// the end of colours wrap as LabelColours.Colour does.
func newBlendTable(bt []blend, c LabelColours, opacity float64) {
	if !(opacity > 0) {
		opacity = 0
	}
	opacity = min(opacity, 1)
	bt[0] = blend{r: 128, g: 128, b: 128, inv: 256}
	for id := 1; id < len(bt); id++ {
		col := c.Colour(id)
		a := uint32(math.Round(opacity * float64(col.A) / 255 * 256))
		bt[id] = blend{r: uint32(col.R)*a + 128, g: uint32(col.G)*a + 128, b: uint32(col.B)*a + 128, inv: 256 - a}
	}
}

type overlayArgs struct {
	l         SliceLayout
	base      int
	grey, out []uint8
	gs, os    int
	blend     []blend
	// period is len(colours)−1: ids past the table wrap onto 1..period,
	// as LabelColours.Colour does.
	period int
}

// overlay8 is the path for 8-bit label maps, the common case: the id
// indexes the 256-entry table directly.
func overlay8[T uint8 | int8](src []T, o overlayArgs) {
	bt := (*[256]blend)(o.blend)
	w, cs, rs := o.l.Width, o.l.ColStride, o.l.RowStride
	for y := 0; y < o.l.Height; y++ {
		g := o.grey[y*o.gs : y*o.gs+w]
		out := o.out[y*o.os : y*o.os+4*w]
		off := o.base + y*rs
		for x, gv := range g {
			v := src[off]
			off += cs
			px := out[4*x : 4*x+4 : 4*x+4]
			// Most of a slice is background: copying the grey is cheaper
			// than a blend, and well predicted inside and outside organs.
			// Negative int8 ids are background too.
			if v <= 0 {
				px[0], px[1], px[2], px[3] = gv, gv, gv, 255
				continue
			}
			blendPixel(px, gv, &bt[uint8(v)])
		}
	}
}

// overlayWide handles 16/32-bit and float label maps, whose ids may run past
// the table and wrap.
func overlayWide[T uint16 | int16 | int32 | uint32 | float32](src []T, o overlayArgs) {
	bt := o.blend
	w, cs, rs := o.l.Width, o.l.ColStride, o.l.RowStride
	for y := 0; y < o.l.Height; y++ {
		g := o.grey[y*o.gs : y*o.gs+w]
		out := o.out[y*o.os : y*o.os+4*w]
		off := o.base + y*rs
		for x, gv := range g {
			f := src[off]
			off += cs
			id := 0
			// Float label maps come from tools that resample; round rather
			// than truncate so 2.9999 is label 3. NaN fails f >= 0.5.
			if f >= T(1)/2 && float64(f) < math.MaxInt32 {
				id = int(float64(f) + 0.5)
			}
			px := out[4*x : 4*x+4 : 4*x+4]
			if id == 0 {
				px[0], px[1], px[2], px[3] = gv, gv, gv, 255
				continue
			}
			if id >= len(bt) {
				id = 1 + (id-1)%o.period
			}
			blendPixel(px, gv, &bt[id])
		}
	}
}

func blendPixel(px []uint8, gv uint8, b *blend) {
	under := uint32(gv) * b.inv
	px[0] = uint8((under + b.r) >> 8)
	px[1] = uint8((under + b.g) >> 8)
	px[2] = uint8((under + b.b) >> 8)
	px[3] = 255
}
