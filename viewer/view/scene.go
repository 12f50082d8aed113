package view

import (
	"errors"

	"delineate/viewer"
)

// Scene is what every view of one study shows: the image, its label map,
// the display window and the crosshair. Views share one Scene, which is how
// a window change or a crosshair move in one view reaches the others.
//
// Not safe for concurrent mutation: the UI goroutine owns it. After
// changing Labels' voxels or Colours in place, call MarkLabelsChanged (for
// the prediction, MarkPredictionChanged); views notice every other change
// (window, opacity, style, a new label map or prediction) by themselves.
type Scene struct {
	Volume *viewer.Volume
	// Labels is nil or a label map on Volume's grid: SetLabels puts it
	// there; code that assigns the field directly must align it first.
	Labels  *viewer.Volume
	LUT     *viewer.WindowLUT
	Colours viewer.LabelColours // nil → viewer.DefaultLabelColours
	// Opacity is the label fill opacity, 0..1.
	Opacity float64
	// Outline draws each label's boundary instead of filling it.
	Outline    bool
	ShowLabels bool
	// Cursor is the crosshair voxel, shared by all views.
	Cursor [3]int

	// Prediction is nil or a model's label volume on Volume's grid, shown
	// above the labels and distinct from them (see PredictionStyle) until
	// the user accepts or rejects it: SetPrediction puts it there, aligned
	// as SetLabels aligns labels. After changing its voxels in place, call
	// MarkPredictionChanged; views notice the fields below by themselves.
	Prediction *viewer.Volume
	// PredictionColours colours the prediction's ids (its own label table's
	// Colours); nil → viewer.DefaultLabelColours. Alpha 0 hides an id.
	PredictionColours viewer.LabelColours
	// PredictionOpacity is the hatch (or fill) opacity, 0..1; outlines are
	// drawn at the colours' own alpha.
	PredictionOpacity float64
	// ShowPrediction draws the prediction; SetPrediction turns it on.
	ShowPrediction bool
	// PredictionStyle is how it is drawn; the zero value is
	// PredOutlineHatch.
	PredictionStyle PredictionStyle

	labelsVersion     uint64
	predictionVersion uint64

	// The volume's value range, worked out on first use: it costs a pass
	// over the whole volume.
	rangeVol         *viewer.Volume
	rangeLo, rangeHi float64
}

// DefaultOpacity is the label fill opacity of a new Scene: enough colour to
// see every structure at a glance, while the anatomy under it still shows.
const DefaultOpacity = 0.4

// NewScene shows vol with its default window (viewer.DefaultWindow), the
// crosshair at the centre voxel, labels shown at DefaultOpacity and a
// prediction, once set, at DefaultPredictionOpacity.
func NewScene(vol *viewer.Volume) *Scene {
	s := &Scene{Volume: vol, Opacity: DefaultOpacity, ShowLabels: true,
		PredictionOpacity: DefaultPredictionOpacity, ShowPrediction: true}
	if vol == nil {
		s.LUT = viewer.NewWindowLUT(viewer.Window{Center: 0.5, Width: 1})
		return s
	}
	s.LUT = viewer.NewWindowLUT(viewer.DefaultWindow(vol))
	for a := range 3 {
		s.Cursor[a] = vol.Dims[a] / 2
	}
	return s
}

// SetLabels shows l (nil removes the label map). A label map stored in
// another voxel order than the image is re-indexed onto the image's grid
// (viewer.AlignTo); one on a different grid is refused with AlignTo's
// error, which says how the grids differ.
func (s *Scene) SetLabels(l *viewer.Volume) error {
	if l == nil {
		s.Labels = nil
		s.MarkLabelsChanged()
		return nil
	}
	if s.Volume == nil {
		return errors.New("view: no image to show labels on")
	}
	a, err := viewer.AlignTo(s.Volume.Geometry, l, 0)
	if err != nil {
		return err
	}
	s.Labels = a
	s.MarkLabelsChanged()
	return nil
}

// MarkLabelsChanged tells every view that the label voxels (or the colour
// table) changed in place, so cached overlays are redrawn. Editing tools
// call it after each stroke.
func (s *Scene) MarkLabelsChanged() { s.labelsVersion++ }

// LabelsVersion counts label changes (SetLabels, MarkLabelsChanged), for
// callers that cache something derived from the labels, as views do.
func (s *Scene) LabelsVersion() uint64 { return s.labelsVersion }

// Window is the current display window.
func (s *Scene) Window() viewer.Window {
	if s.LUT == nil {
		return viewer.Window{}
	}
	return s.LUT.Window()
}

// SetWindow changes the display window of every view of the scene.
func (s *Scene) SetWindow(w viewer.Window) {
	if s.LUT == nil {
		s.LUT = viewer.NewWindowLUT(w)
		return
	}
	s.LUT.SetWindow(w)
}

// DragPixelsPerRange is how many pixels of drag sweep the window across the
// volume's whole value range: 3D Slicer's figure, so a drag across a view
// covers everything whatever the modality (about 8 HU a pixel for CT, and
// the same feel for MR's arbitrary units).
const DragPixelsPerRange = 500

// DragWindow is window/level by mouse drag, from the window start the drag
// began with and the drag's total offset (dx, dy) in pixels (y down, as on
// screen). It follows 3D Slicer: dragging right widens the window (less
// contrast), dragging left narrows it; dragging up raises the level, so the
// image gets darker (the window moves up the intensity scale), and dragging
// down lowers it. Both move by the volume's value range / 500 per pixel.
//
// The width stays at least 1, the narrowest window that means anything for
// integer data; float volumes whose whole range is small (normalised MR,
// 0..1) may go down to one pixel's worth of drag instead, or a drag could
// never narrow them below their full range.
func (s *Scene) DragWindow(start viewer.Window, dx, dy float64) viewer.Window {
	lo, hi := s.valueRange()
	span := hi - lo
	if !(span > 0) {
		span = 1
	}
	gain := span / DragPixelsPerRange
	w := viewer.Window{Center: start.Center - gain*dy, Width: start.Width + gain*dx}
	minWidth := 1.0
	if s.Volume != nil && s.Volume.Data != nil && s.Volume.Data.Type() == viewer.Float32 {
		minWidth = min(1, gain)
	}
	if !(w.Width >= minWidth) {
		w.Width = minWidth
	}
	return w
}

// valueRange is the volume's min and max, cached per volume.
func (s *Scene) valueRange() (lo, hi float64) {
	if s.Volume == nil || s.Volume.Data == nil {
		return 0, 0
	}
	if !s.Volume.Arriving.Done() {
		// Still loading: the window's own span sets the drag's pace.
		w := s.LUT.Window()
		return w.Center - w.Width/2, w.Center + w.Width/2
	}
	if s.rangeVol != s.Volume {
		s.rangeLo, s.rangeHi = s.Volume.Range()
		s.rangeVol = s.Volume
	}
	return s.rangeLo, s.rangeHi
}
