package view

import (
	"errors"
	"image/color"
	"math"

	"delineate/viewer"
)

// The prediction layer: a model's label map under review, drawn above the
// labels so the user sees what accepting would add, and drawn so it can
// never be mistaken for labels, whichever way those are drawn (a
// translucent fill, or one-line outlines).
//
// It is drawn at screen resolution while the slice is scaled into the
// viewport, as label outlines are, so its lines stay one line thick and its
// hatch keeps the same spacing at any zoom: at 32× a voxel-sized hatch
// would be whole voxels of solid colour, looking like labelled voxels, and
// zoomed out it would alias. The cached composite (grey plus label fill) is
// untouched by it: a prediction change re-reads only the prediction's
// slice (and blends it once into a copy of the composite, see predLayer),
// and a slice change costs that much more, about what the label fill
// costs.

// PredictionStyle is how the prediction layer is drawn.
type PredictionStyle int

const (
	// PredOutlineHatch (the default) draws a one-line outline in each
	// prediction label's colour plus a diagonal hatch inside at
	// PredictionOpacity: the hatch tells it from labels drawn as outlines,
	// the hatch's gaps and the outline from labels drawn as a fill.
	PredOutlineHatch PredictionStyle = iota
	// PredOutline draws only the outline, dashed (4 line pixels, 2 gap),
	// so it is not taken for labels drawn as solid outlines.
	PredOutline
	// PredFill fills at PredictionOpacity and draws the outline on top;
	// label fills have no outline, which keeps the two apart.
	PredFill
)

// DefaultPredictionOpacity is the hatch opacity of a new Scene: the hatch
// lines are thin, so they can be strong without hiding the anatomy.
const DefaultPredictionOpacity = 0.5

// The hatch and dash pattern, in units of the line width: a hatch line is
// hatchOn pixels of every hatchPeriod along a diagonal; an outline dash is
// dashOn pixels of every hatchPeriod.
const (
	hatchPeriod = 6
	hatchOn     = 2
	dashOn      = 4
)

// SetPrediction shows p as the prediction layer (nil removes it) and turns
// ShowPrediction on. As with SetLabels, a label volume stored in another
// voxel order than the image is re-indexed onto the image's grid, and one
// on a different grid is refused with an error saying how the grids differ.
func (s *Scene) SetPrediction(p *viewer.Volume) error {
	if p == nil {
		s.Prediction = nil
		s.MarkPredictionChanged()
		return nil
	}
	if s.Volume == nil {
		return errors.New("view: no image to show a prediction on")
	}
	a, err := viewer.AlignTo(s.Volume.Geometry, p, 0)
	if err != nil {
		return err
	}
	s.Prediction, s.ShowPrediction = a, true
	s.MarkPredictionChanged()
	return nil
}

// MarkPredictionChanged tells every view that the prediction's voxels or
// PredictionColours' entries changed in place, so the views redraw it.
// Other changes (style, opacity, show, a new volume or colour table) are
// noticed without it; calling it anyway is harmless.
func (s *Scene) MarkPredictionChanged() { s.predictionVersion++ }

// PredictionVersion counts prediction changes (SetPrediction,
// MarkPredictionChanged), for callers that cache something derived from it.
func (s *Scene) PredictionVersion() uint64 { return s.predictionVersion }

const errPredictionGrid = renderError("view: prediction is not on the image grid (use Scene.SetPrediction)")

// predKey is everything the prediction layer's slice data depends on.
type predKey struct {
	vol      *viewer.Volume
	plane    viewer.Plane
	slice    int
	pred     *viewer.Volume
	version  uint64
	style    PredictionStyle
	opacity  float64
	colours  *color.RGBA
	ncolours int
}

// predLayer is the prediction's part of the render cache.
//
// Per slice (rebuilt when the slice or the prediction changes): the
// colour index of every image pixel (0 where there is no prediction),
// which sides of each pixel border another prediction id (as edges for
// labels), per image row the span of columns holding any and the list of
// columns on an edge. Per composite: hpix, the composite (grey and label
// fill) with each predicted pixel blended with its hatch/fill colour, so
// that while scaling a hatch pixel is one gather from hpix instead of comp,
// and a fill is a whole row gathered from it; outlines, sparse, are drawn
// pixel by pixel.
type predLayer struct {
	pred      bool // something to draw this frame
	predOK    bool
	predKey   predKey
	pcol      []int32
	pedges    []uint8
	pspan     [][2]int32    // image row → [lo, hi) of predicted columns
	edgeCols  []int32       // columns of edge pixels, row after row
	edgeRows  []int32       // image row y's edge columns: edgeCols[edgeRows[y]:edgeRows[y+1]]
	pline     []color.NRGBA // colour index → outline colour
	pfill     []color.NRGBA // colour index → hatch/fill colour at the opacity
	hpix      []byte        // comp with the hatch/fill colour blended in
	hpixOK    bool
	colStart  []int32 // image column → first screen column showing it (per frame)
	predPhase int     // −(X0 + Y0), X0, Y0 the image's top-left corner on screen (per frame)
}

// preparePrediction brings the prediction layer up to date for slice k of
// layout l, once the composite is, and sets pred when there is anything to
// draw.
func (v *Viewport) preparePrediction(l viewer.SliceLayout, vol *viewer.Volume, k int) {
	s := v.Scene
	v.pred = false
	p := s.Prediction
	if !s.ShowPrediction || p == nil {
		return
	}
	if p.Dims != vol.Dims || p.Data == nil || p.Data.Len() != p.NumVoxels() {
		v.err, v.predOK = errPredictionGrid, false
		return
	}
	key := predKey{vol: vol, plane: v.Plane, slice: k, pred: p, version: s.predictionVersion,
		style: s.PredictionStyle, opacity: s.PredictionOpacity}
	if len(s.PredictionColours) > 0 {
		key.colours, key.ncolours = &s.PredictionColours[0], len(s.PredictionColours)
	}
	if !v.predOK || v.predKey != key {
		v.buildPrediction(l, k, p)
		v.predKey, v.predOK, v.hpixOK = key, true, false
	}
	for _, sp := range v.pspan[:l.Height] {
		if sp[0] < sp[1] {
			v.pred = true
			break
		}
	}
	if v.pred && !v.hpixOK && key.style != PredOutline {
		v.blendPrediction()
	}
}

// buildPrediction reads the prediction's slice k, finds its edges, and
// turns ids into indices of the colour tables, which it fills.
func (v *Viewport) buildPrediction(l viewer.SliceLayout, k int, p *viewer.Volume) {
	s := v.Scene
	sliceEdges(l, k, p, &v.pcol, &v.pedges)
	colours := s.PredictionColours
	if colours == nil {
		colours = defaultColours
	}
	n := max(len(colours), 2)
	if cap(v.pline) < n {
		v.pline = make([]color.NRGBA, n)
		v.pfill = make([]color.NRGBA, n)
	}
	v.pline, v.pfill = v.pline[:n], v.pfill[:n]
	opacity := s.PredictionOpacity
	if !(opacity > 0) {
		opacity = 0
	}
	opacity = min(opacity, 1)
	for c := range n {
		col := colours.Colour(c) // transparent for 0, and for all of a table too short to colour
		v.pline[c] = color.NRGBA(col)
		v.pfill[c] = color.NRGBA{col.R, col.G, col.B, uint8(math.Round(opacity * float64(col.A)))}
	}
	if cap(v.pspan) < l.Height {
		v.pspan = make([][2]int32, l.Height)
		v.edgeRows = make([]int32, l.Height+1)
	}
	v.edgeRows = v.edgeRows[:l.Height+1]
	w := l.Width
	if cap(v.edgeCols) < w*l.Height {
		v.edgeCols = make([]int32, 0, w*l.Height) // never grown by append
	}
	v.edgeCols = v.edgeCols[:0]
	for y := range l.Height {
		row := v.pcol[y*w : (y+1)*w]
		edges := v.pedges[y*w : (y+1)*w]
		v.edgeRows[y] = int32(len(v.edgeCols))
		lo, hi := int32(-1), int32(0)
		for x, id := range row {
			if id <= 0 {
				continue
			}
			// Ids past the table wrap, as LabelColours.Colour does.
			if int(id) >= n {
				id = int32(1 + (int(id)-1)%(n-1))
				row[x] = id
			}
			if lo < 0 {
				lo = int32(x)
			}
			hi = int32(x) + 1
			if edges[x] != 0 {
				v.edgeCols = append(v.edgeCols, int32(x))
			}
		}
		v.pspan[y] = [2]int32{max(lo, 0), hi}
	}
	v.edgeRows[l.Height] = int32(len(v.edgeCols))
}

// blendPrediction makes hpix: comp with every predicted pixel blended with
// its hatch/fill colour.
func (v *Viewport) blendPrediction() {
	w, h := v.comp.Rect.Dx(), v.comp.Rect.Dy()
	if cap(v.hpix) < 4*w*h {
		v.hpix = make([]byte, 4*w*h)
	}
	v.hpix = v.hpix[:4*w*h]
	for y := range h {
		copy(v.hpix[4*w*y:4*w*(y+1)], v.comp.Pix[y*v.comp.Stride:y*v.comp.Stride+4*w])
		sp := v.pspan[y]
		row := v.hpix[4*w*y:]
		for x, c := range v.pcol[y*w+int(sp[0]) : y*w+int(sp[1])] {
			if c > 0 {
				q := int(sp[0]) + x
				blendPixel(row[4*q:4*q+4], v.pfill[c])
			}
		}
	}
	v.hpixOK = true
}

// predColumns works out, for this frame, the screen columns that show each
// image column: column q covers screen columns [colStart[q],
// colStart[q+1]), counted over xt's whole range (−lw … W+lw−1), where xt
// (see scaleInto) is non-decreasing; columns off that range get empty
// runs at its ends.
func (v *Viewport) predColumns(xt []int32, iw, lw int, x0, y0 float64) {
	if cap(v.colStart) < iw+1 {
		v.colStart = make([]int32, iw+1)
	}
	cs := v.colStart[:iw+1]
	c, end := 0, len(xt)-lw
	for x := -lw; x < len(xt)-lw; x++ {
		q := int(xt[x+lw])
		if q < 0 {
			if c > 0 {
				end = x // past the image's right edge
				break
			}
			continue
		}
		for ; c <= q; c++ {
			cs[c] = int32(x)
		}
	}
	for ; c <= iw; c++ {
		cs[c] = int32(end)
	}
	v.predPhase = -floorInt(x0) - floorInt(y0)
}

// The pattern. Screen pixel (x, y) has phase (x − X0) + (y − Y0) mod 6·lw,
// (X0, Y0) being the image's top-left corner on screen. The hatch is the
// pixels whose phase is below 2·lw inside the prediction: diagonal lines
// 2 line widths thick, at the same spacing at any zoom, that move with the
// image when it is panned. PredOutline's dashes are the outline pixels
// whose phase is below 4·lw.

// phase is the pattern phase of screen pixel (x, y).
func (v *Viewport) phase(x, y, period int) int {
	ph := (x + y + v.predPhase) % period
	if ph < 0 {
		ph += period
	}
	return ph
}

// predInterior reports whether screen pixel (x, y), showing a predicted
// voxel off its outline, takes the hatch/fill colour.
func (v *Viewport) predInterior(x, y, lw int) bool {
	switch v.predKey.style {
	case PredFill:
		return true
	case PredOutlineHatch:
		return v.phase(x, y, hatchPeriod*lw) < hatchOn*lw
	}
	return false
}

// hatchRow gathers the hatch pixels of screen row y (image row p) from
// hpix: only the pixels on hatch lines, within the row's predicted span;
// those not showing the prediction gather the composite itself.
func (v *Viewport) hatchRow(orow []uint32, y, p int, xt []int32, xa, xb, lw int) {
	sp := v.pspan[p]
	a, b := max(xa, int(v.colStart[sp[0]])), min(xb, int(v.colStart[sp[1]]))
	if a >= b {
		return
	}
	iw := v.comp.Rect.Dx()
	hrow := words(v.hpix)[p*iw : p*iw+iw]
	period, on := hatchPeriod*lw, hatchOn*lw
	ph := v.phase(a, y, period)
	for x := a; x < b; {
		if ph < on {
			orow[x] = hrow[xt[x+lw]]
			x, ph = x+1, ph+1
			continue
		}
		x, ph = x+period-ph, 0
	}
}

// predOutlineRow draws the prediction's outline on screen row y (image row
// p): the pixels within lw screen pixels of a side of a voxel that borders
// another prediction id, as outlineRow draws label outlines, found from the
// row's edge columns only. An outline pixel is its colour over the pixel as
// drawn without the prediction (so over the label's outline there, but not
// over the hatch); PredOutline draws only its dashes.
func (v *Viewport) predOutlineRow(row []byte, y, p int, xt []int32, xa, xb, lw int, first, last bool) {
	iw := v.comp.Rect.Dx()
	cols := v.pcol[p*iw : p*iw+iw]
	edges := v.pedges[p*iw : p*iw+iw]
	comp := words(v.comp.Pix)[p*iw : p*iw+iw]
	out := words(row)
	cs := v.colStart
	period, on := hatchPeriod*lw, hatchPeriod*lw
	dashed := v.predKey.style == PredOutline
	if dashed {
		on = dashOn * lw
	}
	draw := func(x, q int, c int32) {
		if dashed && v.phase(x, y, period) >= on {
			return
		}
		if !dashed {
			// Below the outline is what the view shows without the
			// prediction: the composite, and the label's outline.
			out[x] = comp[q]
			if v.outline {
				v.labelOutlinePixel(row, x, p, q, xt, lw, first, last)
			}
		}
		blendPixel(row[4*x:4*x+4], v.pline[c])
	}
	for _, q32 := range v.edgeCols[v.edgeRows[p]:v.edgeRows[p+1]] {
		q := int(q32)
		xs, xe := int(cs[q]), int(cs[q+1])
		a, b := max(xs, xa), min(xe, xb)
		if a >= b {
			continue
		}
		c, e := cols[q], edges[q]
		if first && e&edgeTop != 0 || last && e&edgeBottom != 0 {
			for x := a; x < b; x++ {
				draw(x, q, c)
			}
			continue
		}
		// Left: within lw of the run's start; right: within lw of its end
		// (xt[x−lw] and xt[x+lw] show another column there). A run narrower
		// than 2·lw is drawn once.
		la := a
		if e&edgeLeft != 0 {
			la = max(a, min(xs+lw, b))
			for x := a; x < la; x++ {
				draw(x, q, c)
			}
		}
		if e&edgeRight != 0 {
			for x := max(xe-lw, la); x < b; x++ {
				draw(x, q, c)
			}
		}
	}
}
