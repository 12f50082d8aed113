package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer"
	"delineate/viewer/view"
)

// SliceView is the widget that shows one view.Viewport: the slice with its
// labels and crosshair, orientation letters at the edges and "plane k/N" in
// a corner. It only adapts Fyne events to Viewport calls; what a slice view
// does (geometry, windowing, rendering) lives in viewer/view.
//
// Mouse and keys follow 3D Slicer and ITK-SNAP habits:
//
//   - wheel: one slice per notch (Viewport.Step: towards superior, anterior
//     or right, as Slicer, whatever the storage order)
//   - Ctrl+wheel (Cmd+wheel too): zoom about the pointer
//   - left drag: the current Tool, window/level by default
//   - left click without drag: move the crosshair there
//   - right or middle drag, or Ctrl+left drag: pan
//   - double click: fit the slice again (zoom 1, no pan)
//   - keys, when focused: Up/Down one slice, PageUp/PageDown ten (as Step),
//     Home/End the first/last slice in index order
//
// The view renders at the widget's size in device pixels (size × canvas
// scale), so voxels stay crisp on HiDPI screens. Rendering runs on the Fyne
// goroutine and takes a few milliseconds at most (Viewport.Render
// recomputes only what changed), so nothing here blocks.
type SliceView struct {
	widget.BaseWidget

	// The window sets these; all are called on the Fyne goroutine.

	// OnHover reports the voxel under the pointer when it moves, and again
	// when the slice or zoom changes under a still pointer; Inside is false
	// when the pointer is off the image or has left the view.
	OnHover func(view.CursorInfo)
	// OnCursorChanged: the shared crosshair moved (a click, or a slice
	// change, which moves it along this view's normal). The window makes the
	// other views FollowCursor and Refresh.
	OnCursorChanged func()
	// OnWindowChanged: window/level was dragged in this view; the window
	// refreshes the other views and the windowing panel.
	OnWindowChanged func(viewer.Window)
	// OnSliceChanged: the slice changed (wheel or keys). OnCursorChanged
	// follows it.
	OnSliceChanged func()
	// OnActivated: the view was clicked or got the keyboard focus; keys act
	// on it from now on.
	OnActivated func(*SliceView)

	// Tool handles left-button drags; nil means the window/level tool.
	// Editing tools replace it.
	Tool Tool

	vp  *view.Viewport
	img *image.RGBA // the last render, reused by the next

	wl       WindowLevelTool // the default Tool
	press    svPress
	focused  bool
	hovering bool
	hoverPos fyne.Position
	// scrollAcc carries wheel movement short of a whole notch (touchpads
	// send many small deltas) to the next event.
	scrollAcc float32
	// keyMods are the modifier keys held, tracked from key events for
	// drivers that cannot say (the test driver).
	keyMods fyne.KeyModifier
	// forwarding is set while a key goes on to the canvas handler.
	forwarding bool
}

var (
	_ fyne.Widget         = (*SliceView)(nil)
	_ fyne.Scrollable     = (*SliceView)(nil)
	_ fyne.Draggable      = (*SliceView)(nil)
	_ fyne.DoubleTappable = (*SliceView)(nil)
	_ fyne.Focusable      = (*SliceView)(nil)
	_ desktop.Mouseable   = (*SliceView)(nil)
	_ desktop.Hoverable   = (*SliceView)(nil)
	_ desktop.Keyable     = (*SliceView)(nil)
	_ desktop.Cursorable  = (*SliceView)(nil)
)

// svPress is one button gesture, from MouseDown (or the first Dragged) to
// MouseUp or DragEnd, in viewport pixels.
type svPress struct {
	active         bool
	button         desktop.MouseButton
	mods           fyne.KeyModifier
	pan            bool // the gesture pans rather than running the Tool
	moved          bool // past the drag threshold: a drag, not a click
	startX, startY float64
	x, y           float64
}

// Tool handles left-button drags in a SliceView: window/level by default,
// later painting and other editing tools. Press comes when a drag starts,
// with the pointer just past the drag threshold (StartX, StartY is where
// the button went down); a click without a drag sets the crosshair instead
// and never reaches the tool. Drag comes on each move, Release when the
// button goes up.
type Tool interface {
	Press(v *SliceView, e ToolEvent)
	Drag(v *SliceView, e ToolEvent)
	Release(v *SliceView, e ToolEvent)
}

// Clicker is a Tool that also acts on a click without a drag (a brush
// dab). Such a tool takes the click instead of the crosshair.
type Clicker interface {
	Click(v *SliceView, e ToolEvent)
}

// ToolEvent is a pointer event for a Tool, in viewport pixels (the units of
// view.Viewport's screen coordinates: device pixels, so pass X, Y straight
// to Viewport.ScreenToVoxel).
type ToolEvent struct {
	X, Y           float64 // the pointer now
	StartX, StartY float64 // where the button went down
	// Scale is viewport pixels per Fyne unit (2 on a typical HiDPI
	// screen): divide by it for gestures that should feel the same on
	// every screen.
	Scale    float64
	Modifier fyne.KeyModifier
}

// WindowLevelTool is the default Tool: window/level by drag, as
// view.Scene.DragWindow maps it (3D Slicer's convention: right widens the
// window, up raises the level), measured from the window the drag started
// with, so a drag that goes out and comes back restores it exactly.
type WindowLevelTool struct {
	start viewer.Window
}

// Press remembers the window the drag starts from.
func (t *WindowLevelTool) Press(v *SliceView, _ ToolEvent) { t.start = v.vp.Scene.Window() }

// Drag sets the window for the drag so far. Offsets are in Fyne units, not
// device pixels, so the sensitivity is the same on a HiDPI screen.
func (t *WindowLevelTool) Drag(v *SliceView, e ToolEvent) {
	sc := v.vp.Scene
	w := sc.DragWindow(t.start, (e.X-e.StartX)/e.Scale, (e.Y-e.StartY)/e.Scale)
	if w == sc.Window() {
		return
	}
	sc.SetWindow(w)
	v.Refresh()
	if v.OnWindowChanged != nil {
		v.OnWindowChanged(w)
	}
}

// Release does nothing: the window is already set.
func (t *WindowLevelTool) Release(*SliceView, ToolEvent) {}

// Interaction constants.
const (
	// svDragThreshold is how far, in Fyne units, the pointer moves before
	// a press becomes a drag: the driver's own threshold for left drags,
	// applied to right drags too.
	svDragThreshold = 2
	// svZoomPerNotch is the zoom factor of one wheel notch: about six
	// notches double the size, fine enough to land where wanted.
	svZoomPerNotch = 1.122462048309373 // 2^(1/6)
	// svPageSlices is how far PageUp/PageDown move.
	svPageSlices = 10
)

// svWheelNotch is the scroll delta of one wheel notch: Fyne scales GLFW's
// ±1 per notch by 10 on macOS and 25 elsewhere.
var svWheelNotch = func() float32 {
	if runtime.GOOS == "darwin" {
		return 10
	}
	return 25
}()

// NewSliceView shows vp. Set vp's Scene before showing it; the view sets
// vp.W and vp.H itself.
func NewSliceView(vp *view.Viewport) *SliceView {
	s := &SliceView{vp: vp}
	s.ExtendBaseWidget(s)
	return s
}

// Viewport is the view model the widget shows.
func (s *SliceView) Viewport() *view.Viewport { return s.vp }

// CreateRenderer is part of fyne.Widget.
func (s *SliceView) CreateRenderer() fyne.WidgetRenderer {
	r := &sliceViewRenderer{s: s}
	r.raster = canvas.NewRaster(s.render)
	// The raster is generated at the exact pixel size, so scaling should
	// never happen; if a driver rounds differently, stay crisp anyway.
	r.raster.ScaleMode = canvas.ImageScalePixels
	r.objects = []fyne.CanvasObject{r.raster}
	for i := range r.texts {
		r.texts[i] = svText(svTextColour, i < 4)
		r.shadows[i] = svText(svShadowColour, i < 4)
		r.objects = append(r.objects, r.shadows[i], r.texts[i])
	}
	r.border = canvas.NewRectangle(color.Transparent)
	r.border.StrokeWidth = 1
	r.objects = append(r.objects, r.border)
	r.update()
	return r
}

// svTextColour is light enough to read on the black around and in images,
// not so bright that it competes with them; the shadow under each text
// keeps it readable over bright tissue, as in 3D Slicer.
var (
	svTextColour   = color.NRGBA{R: 0xd8, G: 0xd8, B: 0xd8, A: 0xff}
	svShadowColour = color.NRGBA{A: 0xc0}
)

func svText(c color.Color, bold bool) *canvas.Text {
	t := canvas.NewText("", c)
	t.TextSize = theme.CaptionTextSize()
	t.TextStyle = fyne.TextStyle{Bold: bold}
	return t
}

// render is the raster's generator: w×h are device pixels.
func (s *SliceView) render(w, h int) image.Image {
	s.vp.W, s.vp.H = w, h
	// Lines as thick as one Fyne unit, so a HiDPI screen does not halve
	// them.
	sx, _ := s.pixelScale()
	s.vp.LineWidth = max(1, int(math.Round(sx)))
	s.img = s.vp.Render(s.img)
	return s.img
}

// pixelScale is viewport pixels per Fyne unit along x and y: taken from the
// last render, which is what the viewport's coordinates are, and the canvas
// scale before the first.
func (s *SliceView) pixelScale() (float64, float64) {
	if sz := s.Size(); s.vp.W > 0 && s.vp.H > 0 && sz.Width > 0 && sz.Height > 0 {
		return float64(s.vp.W) / float64(sz.Width), float64(s.vp.H) / float64(sz.Height)
	}
	if c := s.canvas(); c != nil && c.Scale() > 0 {
		return float64(c.Scale()), float64(c.Scale())
	}
	return 1, 1
}

func (s *SliceView) toPx(p fyne.Position) (x, y float64) {
	sx, sy := s.pixelScale()
	return float64(p.X) * sx, float64(p.Y) * sy
}

// canvas is the canvas showing the view, nil when there is none. With no
// window at all there can be none, and asking would upset the test driver.
func (s *SliceView) canvas() fyne.Canvas {
	a := fyne.CurrentApp()
	if a == nil || a.Driver() == nil || len(a.Driver().AllWindows()) == 0 {
		return nil
	}
	return a.Driver().CanvasForObject(s)
}

// modifiers are the modifier keys held now. Scroll events carry none, so
// ask the driver; the test driver cannot say, so fall back to key events.
func (s *SliceView) modifiers() fyne.KeyModifier {
	if a := fyne.CurrentApp(); a != nil {
		if d, ok := a.Driver().(desktop.Driver); ok {
			return d.CurrentKeyModifiers() | s.keyMods
		}
	}
	return s.keyMods
}

// svCtrl is the modifier that turns the wheel into zoom and a left drag
// into pan: Ctrl, or Cmd for Mac hands.
func svCtrl(m fyne.KeyModifier) bool {
	return m&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0
}

func (s *SliceView) tool() Tool {
	if s.Tool != nil {
		return s.Tool
	}
	return &s.wl
}

// Scrolled is part of fyne.Scrollable: slices, or zoom with Ctrl.
func (s *SliceView) Scrolled(ev *fyne.ScrollEvent) {
	dy := ev.Scrolled.DY
	if dy == 0 {
		return
	}
	if svCtrl(s.modifiers()) {
		pos := ev.Position
		if pos.IsZero() && s.hovering {
			pos = s.hoverPos
		}
		x, y := s.toPx(pos)
		s.vp.ZoomAt(math.Pow(svZoomPerNotch, float64(dy/svWheelNotch)), x, y)
		s.Refresh()
		s.emitHover()
		return
	}
	if (s.scrollAcc > 0) != (dy > 0) {
		s.scrollAcc = 0 // reversing should answer at once
	}
	s.scrollAcc += dy
	n := int(s.scrollAcc / svWheelNotch)
	s.scrollAcc -= float32(n) * svWheelNotch
	if n != 0 {
		// Wheel away from the user (positive DY) is "up": Step forwards.
		s.changeSlice(func() { s.vp.Step(n) })
	}
}

// changeSlice runs move and, if the slice changed, redraws and tells the
// window.
func (s *SliceView) changeSlice(move func()) {
	before := s.vp.Slice
	move()
	if s.vp.Slice == before {
		return
	}
	s.Refresh()
	if s.OnSliceChanged != nil {
		s.OnSliceChanged()
	}
	if s.OnCursorChanged != nil {
		s.OnCursorChanged()
	}
	s.emitHover()
}

// emitHover reports what is under a pointer that did not move.
func (s *SliceView) emitHover() {
	if !s.hovering || s.OnHover == nil {
		return
	}
	s.OnHover(s.vp.Info(s.toPx(s.hoverPos)))
}

// MouseIn is part of desktop.Hoverable.
func (s *SliceView) MouseIn(ev *desktop.MouseEvent) { s.MouseMoved(ev) }

// MouseMoved is part of desktop.Hoverable: hover information, and right-
// button pans, which Fyne does not report as drags.
func (s *SliceView) MouseMoved(ev *desktop.MouseEvent) {
	s.hovering, s.hoverPos = true, ev.Position
	if p := &s.press; p.active && p.button == desktop.MouseButtonSecondary {
		x, y := s.toPx(ev.Position)
		if !p.moved {
			sx, sy := s.pixelScale()
			p.moved = math.Abs(x-p.startX) >= svDragThreshold*sx || math.Abs(y-p.startY) >= svDragThreshold*sy
		}
		if p.moved {
			s.vp.Pan(x-p.x, y-p.y)
			p.x, p.y = x, y
			s.Refresh()
		}
	}
	s.emitHover()
}

// MouseOut is part of desktop.Hoverable. A right-button pan ends here: the
// button's release will go to whatever is under the pointer then.
func (s *SliceView) MouseOut() {
	s.hovering = false
	if s.press.active && s.press.button == desktop.MouseButtonSecondary {
		s.press = svPress{}
	}
	if s.OnHover != nil {
		ci := s.vp.Info(math.NaN(), math.NaN())
		s.OnHover(ci)
	}
}

// MouseDown is part of desktop.Mouseable: a gesture starts, and the view
// becomes the active one.
func (s *SliceView) MouseDown(ev *desktop.MouseEvent) {
	s.activate()
	x, y := s.toPx(ev.Position)
	s.press = svPress{
		active: true, button: ev.Button, mods: ev.Modifier,
		pan:    ev.Button != desktop.MouseButtonPrimary || svCtrl(ev.Modifier),
		startX: x, startY: y, x: x, y: y,
	}
}

// MouseUp is part of desktop.Mouseable. A left press that never became a
// drag is a click: it moves the crosshair. Fyne sends MouseUp before
// DragEnd, so a drag ends here and DragEnd finds nothing left to do.
func (s *SliceView) MouseUp(ev *desktop.MouseEvent) {
	p := s.press
	if !p.active || ev.Button != p.button {
		return
	}
	if p.moved && p.button != desktop.MouseButtonSecondary {
		x, y := s.toPx(ev.Position)
		s.endDrag(x, y)
		return
	}
	s.press = svPress{}
	if !p.moved && p.button == desktop.MouseButtonPrimary && !p.pan {
		x, y := s.toPx(ev.Position)
		if c, ok := s.tool().(Clicker); ok {
			p.x, p.y = x, y
			c.Click(s, s.toolEventFor(p))
			return
		}
		if s.vp.SetCursorAt(x, y) {
			s.Refresh()
			if s.OnCursorChanged != nil {
				s.OnCursorChanged()
			}
		}
	}
}

// Dragged is part of fyne.Draggable, which Fyne sends for the left and
// middle buttons: pan with the middle button or Ctrl, else the Tool.
func (s *SliceView) Dragged(ev *fyne.DragEvent) {
	p := &s.press
	if !p.active {
		// No MouseDown came first (a touch screen, or the test driver's
		// Drag, which sends the start position): begin here.
		x, y := s.toPx(ev.Position)
		m := s.modifiers()
		*p = svPress{active: true, button: desktop.MouseButtonPrimary, mods: m, pan: svCtrl(m), startX: x, startY: y, x: x, y: y}
	}
	if p.button == desktop.MouseButtonSecondary {
		return
	}
	sx, sy := s.pixelScale()
	dx, dy := float64(ev.Dragged.DX)*sx, float64(ev.Dragged.DY)*sy
	p.x += dx
	p.y += dy
	if !p.moved {
		p.moved = true
		if !p.pan {
			s.tool().Press(s, s.toolEvent())
		}
	}
	if p.pan {
		s.vp.Pan(dx, dy)
		s.Refresh()
		return
	}
	s.tool().Drag(s, s.toolEvent())
}

// DragEnd is part of fyne.Draggable.
func (s *SliceView) DragEnd() {
	if s.press.active && s.press.button != desktop.MouseButtonSecondary {
		s.endDrag(s.press.x, s.press.y)
	}
}

func (s *SliceView) endDrag(x, y float64) {
	p := s.press
	s.press = svPress{}
	if p.moved && !p.pan {
		p.x, p.y = x, y
		e := s.toolEventFor(p)
		s.tool().Release(s, e)
	}
	s.emitHover()
}

func (s *SliceView) toolEvent() ToolEvent { return s.toolEventFor(s.press) }

func (s *SliceView) toolEventFor(p svPress) ToolEvent {
	sx, _ := s.pixelScale()
	return ToolEvent{X: p.x, Y: p.y, StartX: p.startX, StartY: p.startY, Scale: sx, Modifier: p.mods}
}

// DoubleTapped is part of fyne.DoubleTappable: fit the slice again.
func (s *SliceView) DoubleTapped(*fyne.PointEvent) {
	s.vp.Reset()
	s.Refresh()
	s.emitHover()
}

// activate focuses the view, which reports it through OnActivated.
func (s *SliceView) activate() {
	c := s.canvas()
	if c == nil {
		if s.OnActivated != nil {
			s.OnActivated(s)
		}
		return
	}
	if c.Focused() != s {
		c.Focus(s)
	}
}

// FocusGained is part of fyne.Focusable.
func (s *SliceView) FocusGained() {
	s.focused = true
	s.Refresh()
	if s.OnActivated != nil {
		s.OnActivated(s)
	}
}

// FocusLost is part of fyne.Focusable.
func (s *SliceView) FocusLost() {
	s.focused = false
	s.keyMods = 0
	s.Refresh()
}

// TypedRune is part of fyne.Focusable. The view takes no text: runes go on
// to the window's canvas handler, so window-wide keys (preset numbers) keep
// working while a view has the focus, which Fyne would otherwise give all
// keys to.
func (s *SliceView) TypedRune(r rune) {
	if c := s.canvas(); c != nil && c.OnTypedRune() != nil && !s.forwarding {
		s.forwarding = true
		defer func() { s.forwarding = false }()
		c.OnTypedRune()(r)
	}
}

// TypedKey is part of fyne.Focusable: slice keys; other keys go on to the
// window's canvas handler, as runes do. The window's handler may hand keys
// back to the active view (this one): forwarding is not repeated then.
func (s *SliceView) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp:
		s.changeSlice(func() { s.vp.Step(1) })
	case fyne.KeyDown:
		s.changeSlice(func() { s.vp.Step(-1) })
	case fyne.KeyPageUp:
		s.changeSlice(func() { s.vp.Step(svPageSlices) })
	case fyne.KeyPageDown:
		s.changeSlice(func() { s.vp.Step(-svPageSlices) })
	case fyne.KeyHome:
		s.changeSlice(func() { s.vp.SetSlice(0) })
	case fyne.KeyEnd:
		s.changeSlice(func() { s.vp.SetSlice(s.vp.NumSlices() - 1) })
	default:
		if c := s.canvas(); c != nil && c.OnTypedKey() != nil && !s.forwarding {
			s.forwarding = true
			defer func() { s.forwarding = false }()
			c.OnTypedKey()(ev)
		}
	}
}

// svModifierKeys maps modifier keys to the modifier they hold.
var svModifierKeys = map[fyne.KeyName]fyne.KeyModifier{
	desktop.KeyControlLeft: fyne.KeyModifierControl, desktop.KeyControlRight: fyne.KeyModifierControl,
	desktop.KeySuperLeft: fyne.KeyModifierSuper, desktop.KeySuperRight: fyne.KeyModifierSuper,
	desktop.KeyShiftLeft: fyne.KeyModifierShift, desktop.KeyShiftRight: fyne.KeyModifierShift,
	desktop.KeyAltLeft: fyne.KeyModifierAlt, desktop.KeyAltRight: fyne.KeyModifierAlt,
}

// KeyDown is part of desktop.Keyable: it tracks modifiers (see modifiers).
func (s *SliceView) KeyDown(ev *fyne.KeyEvent) { s.keyMods |= svModifierKeys[ev.Name] }

// KeyUp is part of desktop.Keyable.
func (s *SliceView) KeyUp(ev *fyne.KeyEvent) { s.keyMods &^= svModifierKeys[ev.Name] }

// Cursor is part of desktop.Cursorable: a crosshair, for pointing at
// voxels.
func (s *SliceView) Cursor() desktop.Cursor { return desktop.CrosshairCursor }

// sliceViewRenderer draws the raster and the text over it.
type sliceViewRenderer struct {
	s      *SliceView
	raster *canvas.Raster
	// texts are the orientation letters (left, right, top, bottom) and the
	// caption ("Axial 12/30"); shadows are the same, one pixel down-right.
	texts, shadows [5]*canvas.Text
	caption        [2]string // long and short forms
	border         *canvas.Rectangle
	objects        []fyne.CanvasObject
}

func (r *sliceViewRenderer) Destroy() {}

func (r *sliceViewRenderer) Objects() []fyne.CanvasObject { return r.objects }

// MinSize is small: views are laid out by the window, and a tiny view still
// works.
func (r *sliceViewRenderer) MinSize() fyne.Size { return fyne.NewSize(48, 48) }

func (r *sliceViewRenderer) Layout(size fyne.Size) {
	r.raster.Move(fyne.NewPos(0, 0))
	r.raster.Resize(size)
	r.border.Move(fyne.NewPos(0, 0))
	r.border.Resize(size)
	pad := theme.InnerPadding() / 2
	// The caption sits in the top-left corner; in a narrow view, where it
	// would run into the top letter, it drops the plane name.
	top := r.texts[2].MinSize()
	r.texts[4].Text = r.caption[0]
	if pad+r.texts[4].MinSize().Width+pad > (size.Width-top.Width)/2 {
		r.texts[4].Text = r.caption[1]
	}
	r.shadows[4].Text = r.texts[4].Text
	for i, t := range r.texts {
		ts := t.MinSize()
		var pos fyne.Position
		switch i {
		case 0:
			pos = fyne.NewPos(pad, (size.Height-ts.Height)/2)
		case 1:
			pos = fyne.NewPos(size.Width-ts.Width-pad, (size.Height-ts.Height)/2)
		case 2:
			pos = fyne.NewPos((size.Width-ts.Width)/2, pad)
		case 3:
			pos = fyne.NewPos((size.Width-ts.Width)/2, size.Height-ts.Height-pad)
		default:
			pos = fyne.NewPos(pad, pad)
		}
		t.Move(pos)
		t.Resize(ts)
		r.shadows[i].Move(pos.AddXY(1, 1))
		r.shadows[i].Resize(ts)
	}
}

// update sets the text and border from the viewport.
func (r *sliceViewRenderer) update() {
	vp := r.s.vp
	l, rt, t, b := vp.OrientationLabels()
	for i, txt := range []string{l, rt, t, b} {
		r.texts[i].Text = txt
		r.shadows[i].Text = txt
	}
	r.caption[0], r.caption[1] = svCaption(vp)
	if r.s.focused {
		r.border.StrokeColor = theme.Color(theme.ColorNamePrimary)
	} else {
		r.border.StrokeColor = color.Transparent
	}
}

// svCaption is the plane and the slice, counted from 1 as viewers show it
// ("Axial 12/30"), and the short form without the plane name.
func svCaption(vp *view.Viewport) (long, short string) {
	n := vp.NumSlices()
	name := vp.Plane.String()
	name = strings.ToUpper(name[:1]) + name[1:]
	if n == 0 {
		return name, name
	}
	short = fmt.Sprintf("%d/%d", min(max(vp.Slice, 0), n-1)+1, n)
	return name + " " + short, short
}

func (r *sliceViewRenderer) Refresh() {
	r.update()
	r.Layout(r.s.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}
