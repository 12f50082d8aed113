package view

import (
	"image"
	"image/color"
	"math"
	"sort"
	"strings"

	"delineate/viewer"
)

// Zoom limits: a quarter of the fitted size is small enough to see the
// whole study as a thumbnail, 32× shows single voxels of a 512² slice a
// few hundred pixels wide.
const (
	MinZoom float64 = 0.25
	MaxZoom float64 = 32
)

// DefaultCrosshairColour is a translucent yellow, as 3D Slicer's crosshair:
// visible on black, white and every label colour without hiding the voxels
// under it.
var DefaultCrosshairColour = color.NRGBA{R: 255, G: 230, B: 0, A: 170}

// Viewport is one view of a Scene: a plane, the slice shown, and where the
// slice sits in a W×H pixel viewport. At Zoom 1 with no pan the whole slice
// fits the viewport, centred, with its physical aspect (pixel spacing), so
// anisotropic voxels are not shown squashed.
//
// Fields may be set directly; the methods keep them consistent (SetSlice
// clamps and moves the shared cursor, ZoomAt keeps the point under the
// pointer fixed). Render caches what it drew and redraws only what changed.
type Viewport struct {
	Scene *Scene
	Plane viewer.Plane
	// Slice is the index along the volume axis nearest the plane normal,
	// as viewer.RenderSlice takes it.
	Slice int
	// Zoom is relative to fitting the slice in the viewport; 0 reads as 1.
	Zoom float64
	// PanX and PanY offset the image on screen, in pixels.
	PanX, PanY float64
	// W and H are the viewport size in pixels.
	W, H int

	// HideCrosshair turns the crosshair off in this view.
	HideCrosshair bool
	// CrosshairColour is the crosshair's colour; zero means
	// DefaultCrosshairColour.
	CrosshairColour color.NRGBA
	// LineWidth is the thickness of the crosshair and label outlines in
	// screen pixels; 0 means 1. A widget on a HiDPI screen sets it to the
	// screen scale so lines look the same everywhere.
	LineWidth int

	layoutOK    bool
	layout      viewer.SliceLayout
	layoutVol   *viewer.Volume
	layoutGeom  viewer.Geometry
	layoutPlane viewer.Plane

	renderCache
}

// NewViewport is a view of s in plane p, at the slice through s.Cursor.
func NewViewport(s *Scene, p viewer.Plane) *Viewport {
	v := &Viewport{Scene: s, Plane: p, Zoom: 1}
	v.FollowCursor()
	return v
}

func (v *Viewport) volume() *viewer.Volume {
	if v.Scene == nil {
		return nil
	}
	return v.Scene.Volume
}

// Layout is how the plane lies in the volume's grid. It is worked out once
// per volume and plane, so calling it per event is cheap.
func (v *Viewport) Layout() viewer.SliceLayout {
	vol := v.volume()
	if vol == nil {
		return viewer.SliceLayout{Plane: v.Plane}
	}
	if v.layoutOK && v.layoutVol == vol && v.layoutPlane == v.Plane && v.layoutGeom == vol.Geometry {
		return v.layout
	}
	l, err := viewer.NewSliceLayout(vol.Geometry, v.Plane)
	if err != nil {
		v.err = err
		return viewer.SliceLayout{Plane: v.Plane}
	}
	v.layout, v.layoutVol, v.layoutGeom, v.layoutPlane, v.layoutOK = l, vol, vol.Geometry, v.Plane, true
	return l
}

// NumSlices is how many slices the plane has.
func (v *Viewport) NumSlices() int { return v.Layout().Slices }

// slice is Slice clamped to the volume, for when the volume changed under
// the viewport.
func (v *Viewport) slice() int {
	n := v.NumSlices()
	return min(max(v.Slice, 0), max(n-1, 0))
}

// SetSlice shows slice k, clamped to the volume, and moves the shared
// cursor to it along this view's normal, so the other views' crosshair
// lines follow.
func (v *Viewport) SetSlice(k int) {
	n := v.NumSlices()
	if n == 0 {
		v.Slice = 0
		return
	}
	v.Slice = min(max(k, 0), n-1)
	if v.Scene != nil {
		v.Scene.Cursor[v.Layout().NormalAxis] = v.Slice
	}
}

// Scroll moves delta slices in index order (see Step for patient order).
func (v *Viewport) Scroll(delta int) { v.SetSlice(v.Slice + delta) }

// Step moves n slices towards the patient's superior (axial), anterior
// (coronal) or right (sagittal), whatever order the volume stores its
// slices in: 3D Slicer's "next slice" for the wheel and arrow keys, so the
// same gesture moves the same way through every study. Negative n moves
// back.
func (v *Viewport) Step(n int) { v.Scroll(n * v.forward()) }

// forward is the index step (+1 or −1) that Step(1) takes.
func (v *Viewport) forward() int {
	vol := v.volume()
	if vol == nil {
		return 1
	}
	l := v.Layout()
	d := vol.Direction.Column(l.NormalAxis)
	// RAS component along the plane's own patient axis: S = +z, A = −y,
	// R = −x in LPS.
	var ras float64
	switch v.Plane {
	case viewer.Axial:
		ras = d[2]
	case viewer.Coronal:
		ras = -d[1]
	case viewer.Sagittal:
		ras = -d[0]
	}
	if ras < 0 {
		return -1
	}
	return 1
}

// FollowCursor shows the slice through the shared cursor.
func (v *Viewport) FollowCursor() {
	if v.Scene == nil || v.volume() == nil {
		return
	}
	l := v.Layout()
	v.Slice = min(max(v.Scene.Cursor[l.NormalAxis], 0), max(l.Slices-1, 0))
}

func (v *Viewport) zoom() float64 {
	if !(v.Zoom > 0) || math.IsInf(v.Zoom, 0) {
		return 1
	}
	return v.Zoom
}

// scale is the size of one image pixel on screen, in screen pixels,
// across (sx) and down (sy).
func (v *Viewport) scale() (sx, sy float64, l viewer.SliceLayout, ok bool) {
	l = v.Layout()
	if l.Width <= 0 || l.Height <= 0 || v.W <= 0 || v.H <= 0 {
		return 0, 0, l, false
	}
	cs, rs := l.ColSpacing, l.RowSpacing
	if !(cs > 0) || !(rs > 0) {
		cs, rs = 1, 1
	}
	// Screen pixels per millimetre that fit the whole slice.
	fit := min(float64(v.W)/(float64(l.Width)*cs), float64(v.H)/(float64(l.Height)*rs))
	z := fit * v.zoom()
	return z * cs, z * rs, l, true
}

// ImageRect is where the slice lands on screen, in screen pixels; it may
// extend past the viewport when zoomed in. All zeros when there is nothing
// to show.
func (v *Viewport) ImageRect() (x0, y0, x1, y1 float64) {
	sx, sy, l, ok := v.scale()
	if !ok {
		return 0, 0, 0, 0
	}
	iw, ih := float64(l.Width)*sx, float64(l.Height)*sy
	x0 = (float64(v.W)-iw)/2 + v.PanX
	y0 = (float64(v.H)-ih)/2 + v.PanY
	return x0, y0, x0 + iw, y0 + ih
}

// ZoomAt multiplies the zoom by factor (clamped to MinZoom..MaxZoom),
// keeping the image point under screen position (x, y) where it is, as
// zooming about the mouse pointer should.
func (v *Viewport) ZoomAt(factor, x, y float64) {
	if !(factor > 0) || math.IsInf(factor, 0) {
		return
	}
	sx, sy, _, ok := v.scale()
	if !ok {
		v.Zoom = clampZoom(v.zoom() * factor)
		return
	}
	x0, y0, _, _ := v.ImageRect()
	u, w := (x-x0)/sx, (y-y0)/sy // image-pixel coordinates under (x, y)
	v.Zoom = clampZoom(v.zoom() * factor)
	sx, sy, l, _ := v.scale()
	// Solve x = x0' + u·sx' for the pan that centring leaves over.
	v.PanX = x - u*sx - (float64(v.W)-float64(l.Width)*sx)/2
	v.PanY = y - w*sy - (float64(v.H)-float64(l.Height)*sy)/2
}

func clampZoom(z float64) float64 { return min(max(z, MinZoom), MaxZoom) }

// Pan moves the image by (dx, dy) screen pixels.
func (v *Viewport) Pan(dx, dy float64) {
	v.PanX += dx
	v.PanY += dy
}

// Reset fits the slice in the viewport again: zoom 1, no pan.
func (v *Viewport) Reset() {
	v.Zoom, v.PanX, v.PanY = 1, 0, 0
}

// toPixel is the image pixel under screen position (x, y), and whether it
// is inside the image.
func (v *Viewport) toPixel(x, y float64) (px, py int, l viewer.SliceLayout, ok bool) {
	sx, sy, l, ok := v.scale()
	if !ok || math.IsNaN(x) || math.IsNaN(y) {
		return 0, 0, l, false
	}
	x0, y0, _, _ := v.ImageRect()
	px, py = floorInt((x-x0)/sx), floorInt((y-y0)/sy)
	return px, py, l, px >= 0 && px < l.Width && py >= 0 && py < l.Height
}

// floorInt is ⌊f⌋, saturated far outside any image so that absurd inputs
// cannot overflow the conversion.
func floorInt(f float64) int {
	const lim = 1 << 40
	return int(math.Floor(min(max(f, -lim), lim)))
}

// ScreenToVoxel is the voxel shown at screen position (x, y) of the current
// slice. Outside the image ok is false and idx is where the voxel would be
// if the grid went on (so coordinates still track the pointer).
func (v *Viewport) ScreenToVoxel(x, y float64) (idx [3]int, ok bool) {
	px, py, l, ok := v.toPixel(x, y)
	if l.Width == 0 || math.IsNaN(x) || math.IsNaN(y) {
		return idx, false
	}
	return l.Voxel(v.slice(), px, py), ok
}

// VoxelToScreen is the screen position of the centre of voxel idx as this
// view draws it (idx's coordinate along the normal is ignored: every slice
// lies at the same place on screen).
func (v *Viewport) VoxelToScreen(idx [3]int) (x, y float64) {
	sx, sy, l, ok := v.scale()
	if !ok {
		return 0, 0
	}
	_, px, py := l.Pixel(idx)
	x0, y0, _, _ := v.ImageRect()
	return x0 + (float64(px)+0.5)*sx, y0 + (float64(py)+0.5)*sy
}

// SetCursorAt moves the shared crosshair to the voxel under screen position
// (x, y) in this slice; it reports false, changing nothing, outside the
// image.
func (v *Viewport) SetCursorAt(x, y float64) bool {
	idx, ok := v.ScreenToVoxel(x, y)
	if !ok || v.Scene == nil {
		return false
	}
	v.Scene.Cursor = idx
	return true
}

// OrientationLabels are the patient directions at the four edges of the
// view, as radiological letters: R/L (right/left), A/P (anterior/
// posterior), S/I (superior/inferior). For the standard layouts: axial
// left R, right L, top A, bottom P; coronal R, L, S, I; sagittal A, P, S, I.
//
// They come from the volume's direction cosines rather than from the plane
// name, so they are right for any storage order, and for an oblique grid
// they name every patient axis the edge leans towards by more than about
// 11° (a component of 0.2), strongest first: "RA" is mostly right, partly
// anterior.
func (v *Viewport) OrientationLabels() (left, right, top, bottom string) {
	vol := v.volume()
	if vol == nil {
		return "", "", "", ""
	}
	l := v.Layout()
	col := vol.Direction.Column(l.ColAxis)
	if l.ColFlip {
		col = neg(col)
	}
	row := vol.Direction.Column(l.RowAxis)
	if l.RowFlip {
		row = neg(row)
	}
	return letters(neg(col)), letters(col), letters(neg(row)), letters(row)
}

func neg(d viewer.Vec3) viewer.Vec3 { return viewer.Vec3{-d[0], -d[1], -d[2]} }

// minLetterComponent is the smallest direction component (a unit vector's
// cosine with a patient axis) that earns a letter: tilts under ~11.5° are
// not worth a second letter on screen.
const minLetterComponent = 0.2

// letters names LPS direction d, strongest component first.
func letters(d viewer.Vec3) string {
	n := d.Norm()
	if !(n > 0) {
		return ""
	}
	type comp struct {
		mag    float64
		letter byte
	}
	var cs []comp
	names := [3][2]byte{{'R', 'L'}, {'A', 'P'}, {'I', 'S'}} // −, + along LPS x, y, z
	for a := range 3 {
		c := d[a] / n
		if math.Abs(c) < minLetterComponent {
			continue
		}
		ch := names[a][0]
		if c > 0 {
			ch = names[a][1]
		}
		cs = append(cs, comp{math.Abs(c), ch})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].mag > cs[j].mag })
	var b strings.Builder
	for _, c := range cs {
		b.WriteByte(c.letter)
	}
	return b.String()
}

// CursorInfo is what the status bar shows about the voxel under the
// pointer.
type CursorInfo struct {
	// Voxel is the voxel under the pointer; outside the image (Inside
	// false) it is where the voxel would be if the grid went on.
	Voxel  [3]int
	Inside bool
	// LPS and RAS are the voxel centre in patient coordinates (mm).
	LPS, RAS viewer.Vec3
	// Value and Label are the image value and label id (0 without labels);
	// both 0 outside the image.
	Value float64
	Label int
	// Prediction is the prediction's id there (0 without one, or when it
	// is hidden).
	Prediction int
	// Pending: the voxel's slice has not been read yet (a study still
	// loading); Value, Label and Prediction are not given.
	Pending bool
	// Slice, NumSlices and Zoom describe the view.
	Slice, NumSlices int
	Zoom             float64
}

// Info describes screen position (x, y) for the status bar.
func (v *Viewport) Info(x, y float64) CursorInfo {
	ci := CursorInfo{Slice: v.slice(), NumSlices: v.NumSlices(), Zoom: v.zoom()}
	vol := v.volume()
	if vol == nil || math.IsNaN(x) || math.IsNaN(y) {
		return ci
	}
	idx, ok := v.ScreenToVoxel(x, y)
	ci.Voxel, ci.Inside = idx, ok
	f := viewer.Vec3{float64(idx[0]), float64(idx[1]), float64(idx[2])}
	ci.LPS, ci.RAS = vol.IndexToLPS(f), vol.IndexToRAS(f)
	if !ok || vol.Data == nil || vol.Data.Len() != vol.NumVoxels() {
		return ci
	}
	if !vol.Arriving.Has(idx[2]) {
		ci.Pending = true // that slice is still being read
		return ci
	}
	ci.Value = vol.Value(idx[0], idx[1], idx[2])
	if lab := v.Scene.Labels; lab != nil && lab.Dims == vol.Dims && lab.Data != nil && lab.Data.Len() == lab.NumVoxels() {
		ci.Label = int(labelID(lab.Value(idx[0], idx[1], idx[2])))
	}
	if p := v.Scene.Prediction; p != nil && v.Scene.ShowPrediction && p.Dims == vol.Dims && p.Data != nil && p.Data.Len() == p.NumVoxels() {
		ci.Prediction = int(labelID(p.Value(idx[0], idx[1], idx[2])))
	}
	return ci
}

// labelID turns a stored label value into an id as viewer.RenderOverlay
// does: float maps are rounded (resampling tools leave 2.9999 for 3), and
// negative or NaN values are background.
func labelID(f float64) int32 {
	if f >= 0.5 && f < math.MaxInt32 {
		return int32(f + 0.5)
	}
	return 0
}

// Err is the last error met while laying out or rendering, nil when the
// last Render drew everything; for logs, since Render itself always
// returns an image (black where there was nothing it could draw).
func (v *Viewport) Err() error { return v.err }

// rgbaFor returns dst when it is a w×h image Render can write through its
// word view, else a new one.
func rgbaFor(dst *image.RGBA, w, h int) *image.RGBA {
	if dst != nil && dst.Rect == image.Rect(0, 0, w, h) && dst.Stride == 4*w && len(dst.Pix) >= 4*w*h && aligned(dst.Pix) {
		return dst
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}
