// Package view is the model behind one slice view of a study: which slice
// of which plane is shown, where it lands on screen (zoom, pan and the
// physical aspect of anisotropic voxels), the crosshair that all views of a
// study share, window/level by mouse drag, and rendering a whole viewport
// (slice, label overlay, a model's prediction under review, crosshair) into
// an RGBA image.
//
// It is everything a slice view does except putting pixels on a screen and
// turning toolkit events into calls, so the GUI widget (ui.SliceView) stays
// a thin adapter and all of the geometry is tested headless, without cgo
// and without a GUI toolkit.
//
// Coordinates. "Screen" means viewport pixels: (0,0) is the top-left corner
// of the viewport, x runs right and y down, and positions are continuous,
// so screen pixel (X,Y) covers [X,X+1)×[Y,Y+1) and is sampled at its centre.
// The widget converts toolkit units to screen pixels by its canvas scale,
// so HiDPI displays render crisply. "Image pixels" are those of the slice as
// viewer.SliceLayout lays it out (radiological convention); "voxels" are
// volume indices (i,j,k).
//
// Nothing here is safe for concurrent use: the UI goroutine owns a Scene
// and its Viewports.
package view
