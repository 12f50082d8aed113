package ui

import (
	"context"
	"fmt"
	"image"
	"net/http"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/load"
	"delineate/viewer/view"
)

// layoutKind is how the slice views share the viewing area.
type layoutKind int

const (
	layoutSingle layoutKind = iota // the active plane, full size
	layoutRow                      // axial | coronal | sagittal
	layoutGrid                     // 2×2: the three planes and the study info
)

// Workstation is the main window: slice views in the middle, a compact tool
// panel on the right, the series list on the left, a status bar below.
type Workstation struct {
	app fyne.App
	win fyne.Window

	scene    *view.Scene
	views    [3]*SliceView // by viewer.Plane
	active   *SliceView
	layout   layoutKind
	viewArea *fyne.Container
	blank    fyne.CanvasObject

	panel         *windowPanel
	overlay       *overlayPanel
	status        *widget.Label
	info          *widget.Label
	infoPane      fyne.CanvasObject
	seriesList    *widget.List
	seriesBox     *fyne.Container
	thumbs        map[int]image.Image
	thumbCancel   context.CancelFunc
	loading       *loadingBar
	volumes       *volumeBar
	editor        *editor
	labelsPanel   *labelsPanel
	stats         *statsPanel
	ai            *aiPanel
	jobs          *jobsPanel
	preds         *predictionsPanel
	worklist      *worklist
	tabs          *container.AppTabs
	worklistTab   int
	modelsDir     string          // --models: an extra models folder
	lastHover     view.CursorInfo // the last pointer report, for key P
	pendingLabels string
	// pendingTable names the pending labels (a project's table);
	// pendingHeld are a project case's held predictions, loaded once the
	// image is.
	pendingTable *viewer.LabelTable
	pendingHeld  []heldPrediction
	// lastLSTasks is the tasks.json of the last Label Studio export.
	lastLSTasks string

	study     *load.Study
	seriesIdx int
	title     string
	warnings  []string
	showPHI   bool
	rawStack  bool // show tilted or gapped series as stored, not resampled

	// PACS: the browser window, where the open study came from, the
	// session's secrets (never saved unless the keyring is asked), the
	// cache folder and transport (tests).
	pacsWin       *pacsBrowser
	pacsFrom      *pacsOrigin
	pacsSecrets   map[string]string
	pacsCache     string
	pacsTransport http.RoundTripper
	pacsPending   *dicom.SEGWritten // the SEG the send summary shows
	// session records who made the labels on screen (model runs accepted,
	// edits) when no project case does, for a SEG's algorithm types.
	session project.Case
	loadGen int
}

// NewWorkstation builds the window; call ShowDemo or OpenPath, then
// ShowAndRun.
func NewWorkstation(a fyne.App) *Workstation {
	a.Settings().SetTheme(NewTheme())
	ws := &Workstation{app: a, win: a.NewWindow("Delineate"), layout: layoutRow, seriesIdx: -1}
	ws.status = widget.NewLabel("No study")
	ws.status.Truncation = fyne.TextTruncateEllipsis
	ws.info = widget.NewLabel("")
	ws.info.Wrapping = fyne.TextWrapWord
	ws.infoPane = container.NewVScroll(ws.info)
	ws.panel = newWindowPanel()
	ws.panel.OnChanged = ws.setWindow
	ws.overlay = newOverlayPanel(ws.refreshViews)
	ws.editor = newEditor(ws)
	ws.labelsPanel = newLabelsPanel(ws)
	ws.stats = newStatsPanel(ws)
	ws.jobs = newJobsPanel(ws)
	ws.ai = newAIPanel(ws)
	ws.preds = newPredictionsPanel(ws)
	ws.worklist = newWorklist(ws)
	ws.loading = newLoadingBar()
	ws.volumes = newVolumeBar(ws)
	ws.viewArea = container.NewStack()
	ws.seriesList = ws.newSeriesList()
	ws.seriesBox = container.NewBorder(widget.NewLabelWithStyle("Series", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, ws.seriesList)
	ws.seriesBox.Hide()

	tools := container.NewVBox(ws.panel.box, widget.NewSeparator(), ws.editor.box, ws.overlay.box)
	ws.tabs = ws.newSideTabs()
	right := container.NewBorder(tools, nil, nil, nil, ws.tabs)
	bottom := container.NewBorder(ws.volumes.box, nil, nil, ws.loading.box, ws.status)
	body := container.NewBorder(nil, bottom, ws.seriesBox, container.NewPadded(right), ws.viewArea)
	ws.win.SetContent(body)
	ws.setMenu()
	ws.bindKeys()
	ws.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		if len(uris) > 0 {
			ws.OpenPath(uris[0].Path())
		}
	})
	ws.win.Resize(fyne.NewSize(1400, 860))
	ws.win.SetOnClosed(ws.worklist.closeProject)
	// Last, so that its result (delivered through fyne.Do, which Fyne's
	// test driver runs on the loading goroutine) never meets a window
	// still being built.
	ws.ai.loadRuntime("")
	return ws
}

// Window is the Fyne window (for tests and the caller's ShowAndRun).
func (ws *Workstation) Window() fyne.Window { return ws.win }

// SetVolume shows a volume (and optional label map on its grid) in all
// views, replacing what was shown.
func (ws *Workstation) SetVolume(vol *viewer.Volume, labels *viewer.Volume, title string) error {
	return ws.setVolumeTable(vol, labels, nil, title)
}

// setVolumeTable is SetVolume with a label table for the labels.
func (ws *Workstation) setVolumeTable(vol *viewer.Volume, labels *viewer.Volume, table *viewer.LabelTable, title string) error {
	sc := view.NewScene(vol)
	var lm *viewer.LabelMap
	if labels != nil {
		var err error
		if lm, err = adoptLabels(sc, labels, table); err != nil {
			return err
		}
	}
	ws.editor.setLabels(lm)
	ws.session = project.Case{}
	ws.scene = sc
	ws.preds.clear() // predictions belong to the study they ran on
	if c := ws.ai.click; c != nil {
		c.reset() // prompts too
	}
	ws.title = title
	for _, p := range viewer.Planes {
		sv := NewSliceView(view.NewViewport(sc, p))
		ws.wireView(sv)
		ws.views[p] = sv
	}
	if ws.active == nil || ws.active.Viewport().Scene != sc {
		ws.active = ws.views[viewer.Axial]
	}
	ws.overlay.setScene(sc)
	ws.editor.setMode(ws.editor.mode)
	ws.panel.setVolume(vol, sc.Window())
	ws.applyLayout()
	ws.updateInfo()
	ws.labelsChanged()
	ws.win.SetTitle("Delineate — " + title)
	ws.status.SetText(fmt.Sprintf("%s  %d×%d×%d", title, vol.Dims[0], vol.Dims[1], vol.Dims[2]))
	return nil
}

func (ws *Workstation) wireView(sv *SliceView) {
	sv.OnHover = ws.showCursorInfo
	sv.OnCursorChanged = func() {
		for _, o := range ws.views {
			if o != nil && o != sv {
				o.Viewport().FollowCursor()
				o.Refresh()
			}
		}
	}
	sv.OnWindowChanged = func(w viewer.Window) {
		ws.panel.show(w)
		ws.refreshViews()
	}
	sv.OnSliceChanged = func() {}
	sv.OnActivated = func(v *SliceView) { ws.active = v }
}

// setWindow applies a window chosen in the panel or by a number key.
func (ws *Workstation) setWindow(w viewer.Window) {
	if ws.scene == nil {
		return
	}
	ws.scene.SetWindow(w)
	ws.refreshViews()
}

func (ws *Workstation) refreshViews() {
	for _, v := range ws.views {
		if v != nil {
			v.Refresh()
		}
	}
}

// setLayout switches between single, 1×3 and 2×2 views.
func (ws *Workstation) setLayout(l layoutKind) {
	ws.layout = l
	ws.applyLayout()
}

// setSinglePlane shows one plane full size.
func (ws *Workstation) setSinglePlane(p viewer.Plane) {
	if ws.views[p] != nil {
		ws.active = ws.views[p]
	}
	ws.setLayout(layoutSingle)
}

func (ws *Workstation) applyLayout() {
	if ws.views[0] == nil {
		return
	}
	var c fyne.CanvasObject
	ax, co, sa := ws.views[viewer.Axial], ws.views[viewer.Coronal], ws.views[viewer.Sagittal]
	switch ws.layout {
	case layoutSingle:
		c = ws.active
	case layoutRow:
		c = container.NewGridWithColumns(3, ax, co, sa)
	default:
		c = container.NewGridWithColumns(2, ax, co, sa, container.NewPadded(widget.NewLabel(ws.studySummary())))
	}
	ws.viewArea.Objects = []fyne.CanvasObject{c}
	ws.viewArea.Refresh()
}

// showCursorInfo fills the status bar: voxel, patient position, value,
// slice and zoom.
func (ws *Workstation) showCursorInfo(ci view.CursorInfo) {
	ws.lastHover = ci
	if ws.scene == nil {
		return
	}
	s := fmt.Sprintf("slice %d/%d   zoom %.0f%%", ci.Slice+1, ci.NumSlices, ci.Zoom*100)
	if ci.Inside {
		unit := ""
		if viewer.IsCT(ws.scene.Volume) {
			unit = " HU"
		}
		value := formatValue(ci.Value) + unit
		if ci.Pending {
			value = "(still loading)"
		}
		s = fmt.Sprintf("voxel (%d, %d, %d)   LPS (%.1f, %.1f, %.1f) mm   value %s",
			ci.Voxel[0], ci.Voxel[1], ci.Voxel[2], ci.LPS[0], ci.LPS[1], ci.LPS[2], value)
		if ci.Label > 0 {
			s += fmt.Sprintf("   label %d", ci.Label)
		}
		s += "   " + fmt.Sprintf("slice %d/%d   zoom %.0f%%", ci.Slice+1, ci.NumSlices, ci.Zoom*100)
	}
	ws.status.SetText(s)
}

func formatValue(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}

// adoptLabels puts a label volume on the scene (aligned to the image grid)
// as an editable label map with its table.
func adoptLabels(sc *view.Scene, labels *viewer.Volume, table *viewer.LabelTable) (*viewer.LabelMap, error) {
	if err := sc.SetLabels(labels); err != nil {
		return nil, err
	}
	lm, err := viewer.LabelMapFromVolume(sc.Labels)
	if err != nil {
		return nil, err
	}
	if lm.Volume != sc.Labels {
		// Converted to uint8/uint16: the scene must draw what the tools edit.
		if err := sc.SetLabels(lm.Volume); err != nil {
			return nil, err
		}
		lm.Volume = sc.Labels
	}
	if table != nil {
		lm.Table = *table
		sc.Colours = lm.Table.Colours()
	}
	return lm, nil
}
