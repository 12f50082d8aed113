package view

import (
	"image"
	"image/color"
	"math"
	"unsafe"

	"delineate/viewer"
)

// renderCache is what Render keeps between frames. A slice change redoes
// the reslice, windowing and overlay of one slice (well under a
// millisecond); pan and zoom only redo the scaling into the viewport; a
// frame with nothing changed still rescales, since the widget only asks
// when something did.
type renderCache struct {
	grey    *image.Gray // the windowed slice
	greyKey greyKey
	greyOK  bool

	comp    *image.RGBA // the slice as drawn before scaling: grey plus fill
	compKey compKey
	compOK  bool

	// In outline mode comp is the plain grey and outlines are drawn while
	// scaling, one line thick at any zoom (see outlineRow); these are the
	// slice's label ids and which sides of each pixel border another id.
	outline        bool
	ids            []int32
	edges          []uint8
	outlineColours viewer.LabelColours

	xtab     []int32 // image column of screen columns −lw … W+lw−1; −1 outside
	blackRow []byte  // one viewport row of opaque black, copied into margins
	// gathered is the last image row scaled into a screen row, before any
	// lines were drawn on it, for the screen rows after it that show the
	// same image row but differ in lines or hatch.
	gathered []uint32

	predLayer // the prediction, drawn while scaling (prediction.go)

	err error
}

// Sides of an image pixel that border another label (edges' bits).
const (
	edgeLeft uint8 = 1 << iota
	edgeRight
	edgeTop
	edgeBottom
)

// greyKey is everything the windowed slice depends on.
type greyKey struct {
	vol     *viewer.Volume
	plane   viewer.Plane
	slice   int
	lut     *viewer.WindowLUT
	win     viewer.Window
	arrived int // slices of a loading volume that had arrived (-1: all there)
}

// compKey is everything the composited slice depends on besides the grey.
type compKey struct {
	grey     greyKey
	labels   *viewer.Volume
	version  uint64
	outline  bool
	opacity  float64
	colours  *color.RGBA
	ncolours int
}

// Render draws the viewport into dst and returns it: black background, the
// windowed slice with its label overlay (fill at the scene's Opacity, or
// outlines) scaled into ImageRect with nearest-neighbour sampling, so
// voxels stay crisp squares at any zoom, and the crosshair at the scene's
// Cursor. dst is reused when it is a W×H image with Rect at (0,0) (as the
// previous Render returned), and then Render allocates nothing. Orientation
// letters and other text are the widget's job.
//
// Only what changed is recomputed: the slice when the slice, window or
// volume changed, the overlay when the labels or their display changed
// too; pan and zoom reuse both and only rescale.
func (v *Viewport) Render(dst *image.RGBA) *image.RGBA {
	w, h := max(v.W, 0), max(v.H, 0)
	dst = rgbaFor(dst, w, h)
	if w == 0 || h == 0 {
		return dst
	}
	v.err = nil
	if len(v.blackRow) != 4*w {
		v.blackRow = make([]byte, 4*w)
		for i := 3; i < len(v.blackRow); i += 4 {
			v.blackRow[i] = 255
		}
	}
	comp := v.composite()
	if comp == nil {
		for y := range h {
			copy(dst.Pix[y*dst.Stride:], v.blackRow)
		}
		return dst
	}
	xa, xb, ya, yb := v.scaleInto(dst, comp)
	if !v.HideCrosshair && xa < xb && ya < yb {
		v.drawCrosshair(dst, xa, xb, ya, yb)
	}
	return dst
}

// lineWidth is the crosshair and outline thickness in screen pixels.
func (v *Viewport) lineWidth() int { return min(max(v.LineWidth, 1), 16) }

// composite returns the current slice with its overlay, from the cache
// when nothing it depends on changed; nil when there is nothing to draw.
func (v *Viewport) composite() *image.RGBA {
	s := v.Scene
	vol := v.volume()
	if vol == nil {
		return nil
	}
	l := v.Layout()
	if l.Width == 0 || l.Height == 0 {
		return nil
	}
	if s.LUT == nil {
		s.LUT = viewer.NewWindowLUT(viewer.DefaultWindow(vol))
	}
	gk := greyKey{vol: vol, plane: v.Plane, slice: v.slice(), lut: s.LUT, win: s.LUT.Window(), arrived: vol.Arriving.Count()}
	if !v.greyOK || v.greyKey != gk {
		g, err := viewer.RenderLayout(vol, l, gk.slice, s.LUT, v.grey)
		if err != nil {
			v.err, v.greyOK, v.compOK = err, false, false
			return nil
		}
		v.grey, v.greyKey, v.greyOK, v.compOK = g, gk, true, false
	}
	ck := compKey{grey: gk}
	if s.ShowLabels && s.Labels != nil {
		ck.labels, ck.version, ck.outline = s.Labels, s.labelsVersion, s.Outline
		if !s.Outline {
			ck.opacity = s.Opacity
		}
		if len(s.Colours) > 0 {
			ck.colours, ck.ncolours = &s.Colours[0], len(s.Colours)
		}
	}
	if v.compOK && v.compKey == ck {
		v.preparePrediction(l, vol, gk.slice)
		return v.comp
	}
	v.comp = rgbaFor(v.comp, l.Width, l.Height)
	v.outline = false
	switch {
	case ck.labels == nil:
		greyToRGBA(v.grey, v.comp)
	case ck.labels.Dims != vol.Dims || ck.labels.Data == nil || ck.labels.Data.Len() != ck.labels.NumVoxels():
		v.err = errLabelsGrid
		greyToRGBA(v.grey, v.comp)
	case ck.outline:
		greyToRGBA(v.grey, v.comp)
		v.findEdges(l, gk.slice, ck.labels)
		v.outline = true
		v.outlineColours = s.Colours
		if v.outlineColours == nil {
			v.outlineColours = defaultColours
		}
	default:
		out, err := viewer.RenderOverlay(v.grey, ck.labels, v.Plane, gk.slice, ck.opacity, s.Colours, v.comp)
		if err != nil {
			v.err = err
			greyToRGBA(v.grey, v.comp)
		} else {
			v.comp = out
		}
	}
	v.compKey, v.compOK, v.hpixOK = ck, true, false
	v.preparePrediction(l, vol, gk.slice)
	return v.comp
}

// defaultColours is shared read-only by every view without its own table.
var defaultColours = viewer.DefaultLabelColours()

type renderError string

func (e renderError) Error() string { return string(e) }

const errLabelsGrid = renderError("view: label map is not on the image grid (use Scene.SetLabels)")

func greyToRGBA(g *image.Gray, dst *image.RGBA) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for y := range h {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x, gv := range src {
			px := out[4*x : 4*x+4 : 4*x+4]
			px[0], px[1], px[2], px[3] = gv, gv, gv, 255
		}
	}
}

// scaleInto draws comp into dst at ImageRect, nearest neighbour, black
// outside, and returns the screen columns [xa, xb) and rows [ya, yb) the
// image covers.
//
// Each screen pixel samples the image at its centre. The image column of
// every screen column is worked out once per frame (xtab), so a row is one
// gather; and when zoomed in, consecutive screen rows sample the same image
// row, so all but the first are a copy of the row above. Pixels move as
// 32-bit words: the gather and the copy do not care about byte order.
func (v *Viewport) scaleInto(dst, comp *image.RGBA) (xa, xb, ya, yb int) {
	w, h, lw := v.W, v.H, v.lineWidth()
	iw, ih := comp.Rect.Dx(), comp.Rect.Dy()
	sx, sy, _, _ := v.scale()
	x0, y0, _, _ := v.ImageRect()
	// xtab covers lw columns either side of the viewport: outlines need
	// to know whether a column's neighbours show the same voxel.
	if n := w + 2*lw; cap(v.xtab) < n {
		v.xtab = make([]int32, n)
	}
	xt := v.xtab[:w+2*lw]
	xa, xb = w, 0
	for x := -lw; x < w+lw; x++ {
		p := floorInt((float64(x) + 0.5 - x0) / sx)
		if p < 0 || p >= iw {
			p = -1
		} else if x >= 0 && x < w {
			xa = min(xa, x)
			xb = x + 1
		}
		xt[x+lw] = int32(p)
	}
	if v.pred {
		v.predColumns(xt, iw, lw, x0, y0)
	}
	rowOf := func(y int) int {
		p := floorInt((float64(y) + 0.5 - y0) / sy)
		if p < 0 || p >= ih {
			return -1
		}
		return p
	}
	src, out := words(comp.Pix), words(dst.Pix)
	if cap(v.gathered) < w {
		v.gathered = make([]uint32, w)
	}
	gathered, gatheredRow := v.gathered[:w], -1
	ya, yb = h, 0
	prevRow, prevY, prevPlain := -1, -1, false
	for y := range h {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		p := rowOf(y)
		if p < 0 || xa >= xb {
			copy(row, v.blackRow)
			prevRow = -1
			continue
		}
		ya = min(ya, y)
		yb = y + 1
		// With outlines, the first and last rows of an image row may carry
		// a horizontal line; the rows between are all alike, unless a
		// prediction's hatch or dashes cross them.
		first, last := false, false
		if v.outline || v.pred {
			first, last = rowOf(y-lw) != p, rowOf(y+lw) != p
		}
		pred := v.pred && v.pspan[p][0] < v.pspan[p][1]
		style := v.predKey.style
		plain := !(v.outline || pred) || !first && !last && (!pred || style == PredFill)
		if p == prevRow && plain && prevPlain {
			copy(row, dst.Pix[prevY*dst.Stride:prevY*dst.Stride+4*w])
			prevY = y
			continue
		}
		copy(row[:4*xa], v.blackRow)
		copy(row[4*xb:], v.blackRow)
		srow := src[p*iw : p*iw+iw]
		if pred && style == PredFill {
			srow = words(v.hpix)[p*iw : p*iw+iw]
		}
		orow := out[y*w+xa : y*w+xb]
		if p == gatheredRow {
			copy(orow, gathered[xa:xb])
		} else {
			for i, c := range xt[xa+lw : xb+lw] {
				orow[i] = srow[c]
			}
			if !plain {
				copy(gathered[xa:xb], orow)
				gatheredRow = p
			}
		}
		if pred && style == PredOutlineHatch {
			v.hatchRow(out[y*w:(y+1)*w], y, p, xt, xa, xb, lw)
		}
		if v.outline {
			v.outlineRow(row, y, p, xt, xa, xb, lw, first, last, pred && style != PredOutline)
		}
		if pred {
			v.predOutlineRow(row, y, p, xt, xa, xb, lw, first, last)
		}
		prevRow, prevY, prevPlain = p, y, plain
	}
	return xa, xb, ya, yb
}

// outlineRow draws, on screen row row showing image row p, the outline
// pixels: those within lw screen pixels of a side of their voxel that
// borders another label. Drawing at screen resolution keeps outlines one
// line thick at any zoom, so at high zoom the voxels along the boundary,
// the ones an annotator is judging, stay visible instead of turning into a
// band of colour.
//
// pred says the row shows a prediction's hatch or fill, which lies above
// the labels: an outline pixel there is drawn over the composite, then the
// prediction over it.
func (v *Viewport) outlineRow(row []byte, y, p int, xt []int32, xa, xb, lw int, first, last, pred bool) {
	iw := v.comp.Rect.Dx()
	edges := v.edges[p*iw : p*iw+iw]
	ids := v.ids[p*iw : p*iw+iw]
	var comp, out []uint32
	var pcol []int32
	if pred {
		comp, out, pcol = words(v.comp.Pix)[p*iw:p*iw+iw], words(row), v.pcol[p*iw:p*iw+iw]
	}
	for x := xa; x < xb; x++ {
		q := xt[x+lw]
		e := edges[q]
		if e == 0 || !onOutline(e, xt, x, q, lw, first, last) {
			continue
		}
		px := row[4*x : 4*x+4]
		if pred {
			out[x] = comp[q]
		}
		blendPixel(px, color.NRGBA(v.outlineColours.Colour(int(ids[q]))))
		if pred {
			if c := pcol[q]; c > 0 && v.predInterior(x, y, lw) {
				blendPixel(px, v.pfill[c])
			}
		}
	}
}

// onOutline reports whether screen column x, showing image column q whose
// edges are e, is within lw pixels of a side that borders another label:
// xt[x] and xt[x+2·lw] are the image columns lw pixels to the left and
// right, and first and last say the screen row is within lw pixels of the
// image row's top or bottom.
func onOutline(e uint8, xt []int32, x int, q int32, lw int, first, last bool) bool {
	return first && e&edgeTop != 0 || last && e&edgeBottom != 0 ||
		e&edgeLeft != 0 && xt[x] != q || e&edgeRight != 0 && xt[x+2*lw] != q
}

// labelOutlinePixel draws the label outline at screen column x of row, if
// there is one, as outlineRow would.
func (v *Viewport) labelOutlinePixel(row []byte, x, p, q int, xt []int32, lw int, first, last bool) {
	iw := v.comp.Rect.Dx()
	if e := v.edges[p*iw+q]; e != 0 && onOutline(e, xt, x, int32(q), lw, first, last) {
		blendPixel(row[4*x:4*x+4], color.NRGBA(v.outlineColours.Colour(int(v.ids[p*iw+q]))))
	}
}

// blendPixel draws c over an opaque pixel at c's own alpha.
func blendPixel(p []byte, c color.NRGBA) {
	a := uint32(c.A)
	p[0] = uint8((uint32(c.R)*a + uint32(p[0])*(255-a) + 127) / 255)
	p[1] = uint8((uint32(c.G)*a + uint32(p[1])*(255-a) + 127) / 255)
	p[2] = uint8((uint32(c.B)*a + uint32(p[2])*(255-a) + 127) / 255)
}

// words views an RGBA pixel array as one 32-bit word per pixel.
func words(b []byte) []uint32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// aligned reports whether b may be viewed as words. Go's allocator aligns
// every pixel buffer it hands out; this only guards images built by hand.
func aligned(b []byte) bool {
	return len(b) == 0 || uintptr(unsafe.Pointer(&b[0]))%4 == 0
}

// drawCrosshair draws the two crosshair lines, LineWidth pixels wide,
// through the screen pixel that holds the centre of the cursor voxel,
// across the part of the image on screen ([xa, xb) × [ya, yb)). The lines
// mark where the other two planes cut this one, so they are drawn whatever
// this view's slice.
func (v *Viewport) drawCrosshair(dst *image.RGBA, xa, xb, ya, yb int) {
	c := v.CrosshairColour
	if c == (color.NRGBA{}) {
		c = DefaultCrosshairColour
	}
	lw := v.lineWidth()
	l := v.Layout()
	_, px, py := l.Pixel(v.Scene.Cursor)
	cx, cy := v.VoxelToScreen(v.Scene.Cursor)
	// Columns [vx0, vx1) of the vertical line, empty when it is off the
	// image; the horizontal line skips them so the centre is not blended
	// twice.
	vx0, vx1 := 0, 0
	if px >= 0 && px < l.Width {
		vx0 = max(floorInt(cx)-(lw-1)/2, xa)
		vx1 = min(floorInt(cx)-(lw-1)/2+lw, xb)
		for y := ya; y < yb; y++ {
			row := dst.Pix[y*dst.Stride:]
			for x := vx0; x < vx1; x++ {
				blendPixel(row[4*x:4*x+4], c)
			}
		}
	}
	if py < 0 || py >= l.Height {
		return
	}
	y0 := floorInt(cy) - (lw-1)/2
	for y := max(y0, ya); y < min(y0+lw, yb); y++ {
		row := dst.Pix[y*dst.Stride:]
		for x := xa; x < xb; x++ {
			if x < vx0 || x >= vx1 {
				blendPixel(row[4*x:4*x+4], c)
			}
		}
	}
}

// findEdges reads the label ids of slice k and marks, for every labelled
// pixel, which of its sides border a different id (or the slice's edge).
func (v *Viewport) findEdges(l viewer.SliceLayout, k int, labels *viewer.Volume) {
	sliceEdges(l, k, labels, &v.ids, &v.edges)
}

// sliceEdges is findEdges into the buffers *idsBuf and *edgesBuf, grown as
// needed: for the labels and for the prediction layer.
func sliceEdges(l viewer.SliceLayout, k int, labels *viewer.Volume, idsBuf *[]int32, edgesBuf *[]uint8) {
	w, h := l.Width, l.Height
	if cap(*idsBuf) < w*h {
		*idsBuf = make([]int32, w*h)
		*edgesBuf = make([]uint8, w*h)
	}
	*idsBuf, *edgesBuf = (*idsBuf)[:w*h], (*edgesBuf)[:w*h]
	ids, edges := *idsBuf, *edgesBuf
	base := l.Offset(k)
	switch s := labels.Data.(type) {
	case viewer.Voxels[uint8]:
		sliceSmallIDs(s, l, base, ids)
	case viewer.Voxels[int8]:
		sliceSmallIDs(s, l, base, ids)
	case viewer.Voxels[uint16]:
		sliceSmallIDs(s, l, base, ids)
	case viewer.Voxels[int16]:
		sliceSmallIDs(s, l, base, ids)
	case viewer.Voxels[uint32]:
		sliceIDs(s, l, base, ids)
	case viewer.Voxels[int32]:
		sliceIDs(s, l, base, ids)
	case viewer.Voxels[float32]:
		sliceIDs(s, l, base, ids)
	default:
		for y := range h {
			for x := range w {
				ids[y*w+x] = labelID(labels.Data.At(base + y*l.RowStride + x*l.ColStride))
			}
		}
	}
	for y := range h {
		for x := range w {
			n := y*w + x
			id := ids[n]
			var e uint8
			if id > 0 {
				if x == 0 || ids[n-1] != id {
					e |= edgeLeft
				}
				if x == w-1 || ids[n+1] != id {
					e |= edgeRight
				}
				if y == 0 || ids[n-w] != id {
					e |= edgeTop
				}
				if y == h-1 || ids[n+w] != id {
					e |= edgeBottom
				}
			}
			edges[n] = e
		}
	}
}

// sliceSmallIDs is sliceIDs for the label types (8 and 16 bits, the
// common case): every positive value is its own id, negatives are
// background, so no float conversion is needed.
func sliceSmallIDs[T uint8 | int8 | uint16 | int16](src []T, l viewer.SliceLayout, base int, ids []int32) {
	for y := range l.Height {
		off := base + y*l.RowStride
		row := ids[y*l.Width : (y+1)*l.Width]
		for x := range row {
			row[x] = max(int32(src[off]), 0)
			off += l.ColStride
		}
	}
}

func sliceIDs[T viewer.Number](src []T, l viewer.SliceLayout, base int, ids []int32) {
	for y := range l.Height {
		off := base + y*l.RowStride
		row := ids[y*l.Width : (y+1)*l.Width]
		for x := range row {
			row[x] = labelID(float64(src[off]))
			off += l.ColStride
		}
	}
}

// Histogram counts vol's voxels in bins equal bins over [lo, hi]; values
// outside the range, and NaNs, are not counted, and hi itself falls in the
// last bin. It is for the windowing panel: call it once per volume (it reads
// every voxel) and draw the window over it.
func Histogram(vol *viewer.Volume, bins int, lo, hi float64) []int {
	if bins <= 0 {
		return nil
	}
	h := make([]int, bins)
	if vol == nil || vol.Data == nil || math.IsNaN(lo) || math.IsNaN(hi) || hi < lo {
		return h
	}
	switch s := vol.Data.(type) {
	case viewer.Voxels[uint8]:
		histogram(s, h, lo, hi)
	case viewer.Voxels[int8]:
		histogram(s, h, lo, hi)
	case viewer.Voxels[uint16]:
		histogram(s, h, lo, hi)
	case viewer.Voxels[int16]:
		histogram(s, h, lo, hi)
	case viewer.Voxels[uint32]:
		histogram(s, h, lo, hi)
	case viewer.Voxels[int32]:
		histogram(s, h, lo, hi)
	case viewer.Voxels[float32]:
		histogram(s, h, lo, hi)
	default:
		for i := range vol.Data.Len() {
			histAdd(h, vol.Data.At(i), lo, hi)
		}
	}
	return h
}

func histogram[T viewer.Number](s []T, h []int, lo, hi float64) {
	if hi == lo {
		for _, x := range s {
			if float64(x) == lo {
				h[0]++
			}
		}
		return
	}
	scale := float64(len(h)) / (hi - lo)
	last := len(h) - 1
	for _, x := range s {
		f := float64(x)
		if !(f >= lo && f <= hi) {
			continue
		}
		b := int((f - lo) * scale)
		h[min(b, last)]++
	}
}

func histAdd(h []int, f, lo, hi float64) {
	if !(f >= lo && f <= hi) {
		return
	}
	b := len(h) - 1
	if hi > lo {
		b = min(int((f-lo)*float64(len(h))/(hi-lo)), b)
	} else {
		b = 0
	}
	h[b]++
}
