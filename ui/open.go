package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/labels"
	"delineate/viewer/load"
	"delineate/viewer/nifti"
	"delineate/viewer/phantom"
)

// loadingBar is the status-bar progress indicator with a cancel button:
// loading never blocks the window, and can always be stopped.
type loadingBar struct {
	bar    *widget.ProgressBar
	label  *widget.Label
	cancel context.CancelFunc
	box    *fyne.Container
}

func newLoadingBar() *loadingBar {
	l := &loadingBar{bar: widget.NewProgressBar(), label: widget.NewLabel("")}
	stop := widget.NewButton("Cancel", func() {
		if l.cancel != nil {
			l.cancel()
		}
	})
	l.box = container.NewHBox(l.label, container.NewGridWrap(fyne.NewSize(160, 20), l.bar), stop)
	l.box.Hide()
	return l
}

func (l *loadingBar) start(what string, cancel context.CancelFunc) {
	l.cancel = cancel
	l.label.SetText(what)
	l.bar.SetValue(0)
	l.box.Show()
}

func (l *loadingBar) progress(done, total int) {
	if total > 0 {
		l.bar.SetValue(float64(done) / float64(total))
	}
}

func (l *loadingBar) stop() {
	l.cancel = nil
	l.box.Hide()
}

// ShowDemo opens the built-in phantom with its ground-truth labels.
// It is generated in the background so the window appears at once.
func (ws *Workstation) ShowDemo() {
	ws.loadGen++
	gen := ws.loadGen
	go func() {
		ct, labels, names, err := phantom.Generate(phantom.DefaultOptions())
		table := &viewer.LabelTable{}
		for _, l := range names {
			// Muscle and fat cover most of the body: hidden at first, so
			// the organs read clearly (the Labels tab shows them again).
			tissue := l.ID >= phantom.LabelSkeletalMuscle
			table.Set(viewer.Label{ID: l.ID, Name: l.Name, Colour: l.Colour, Visible: !tissue})
		}
		do(func() {
			if gen != ws.loadGen {
				return
			}
			if err == nil {
				ws.study, ws.seriesIdx, ws.warnings = nil, -1, nil
				ws.seriesBox.Hide()
				err = ws.setVolumeTable(ct, labels, table, "Demo phantom")
			}
			if err != nil {
				ws.showError(fmt.Errorf("demo phantom: %w", err))
			}
		})
	}()
}

// OpenPath scans a DICOM file/folder or NIfTI file in the background, lists
// its series and loads the largest. A newer open supersedes an older one.
func (ws *Workstation) OpenPath(path string) { ws.OpenPathWithLabels(path, "") }

// OpenPathWithLabels opens a study and, once its volume is shown, a label
// map over it ("" for none).
func (ws *Workstation) OpenPathWithLabels(path, labels string) {
	ws.pacsFrom = nil // the PACS browser sets it again for what it opens
	ws.pendingLabels = labels
	ws.loadGen++
	gen := ws.loadGen
	if ws.loading.cancel != nil {
		ws.loading.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	ws.loading.start("Scanning "+filepath.Base(path), cancel)
	progress := ws.loading.reporter()
	go func() {
		st, err := load.Open(ctx, path, load.Options{PHI: true, Progress: progress})
		do(func() {
			if gen != ws.loadGen {
				return
			}
			if err != nil {
				cancel()
				ws.loading.stop()
				ws.showError(openError(path, err))
				return
			}
			ws.addRecent(path)
			ws.study = st
			ws.seriesList.UnselectAll()
			ws.seriesList.Refresh()
			if len(st.Series) > 1 {
				ws.seriesBox.Show()
				ws.makeThumbnails(st)
			} else {
				ws.seriesBox.Hide()
			}
			ws.loadSeriesCtx(ctx, cancel, gen, largestSeries(st))
		})
	}()
}

func openError(path string, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("opening %s was cancelled", filepath.Base(path))
	}
	return err
}

func largestSeries(st *load.Study) int {
	best, n := 0, -1
	for i, s := range st.Series {
		if v := s.Dims[0] * s.Dims[1] * s.Dims[2]; v > n {
			best, n = i, v
		}
	}
	return best
}

// reloadSeries loads the series on screen again (after a change of how
// it is read, such as the raw stack).
func (ws *Workstation) reloadSeries() {
	if ws.study == nil || ws.seriesIdx < 0 {
		return
	}
	i := ws.seriesIdx
	ws.seriesIdx = -1
	ws.loadSeries(i)
}

// loadSeries decodes series i of the open study in the background.
func (ws *Workstation) loadSeries(i int) {
	if ws.study == nil || i == ws.seriesIdx {
		return
	}
	ws.loadGen++
	if ws.loading.cancel != nil {
		ws.loading.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	ws.loadSeriesCtx(ctx, cancel, ws.loadGen, i)
}

func (ws *Workstation) loadSeriesCtx(ctx context.Context, cancel context.CancelFunc, gen, i int) {
	st := ws.study
	info := st.Series[i]
	title := seriesTitle(info)
	ws.loading.start(fmt.Sprintf("Loading %s", title), cancel)
	progress := ws.loading.reporter()
	// A DICOM series is shown as soon as its buffer exists, its slices
	// filling in as they are read (viewer.Arrival); the views refresh at
	// most ten times a second while it loads.
	var arriving *viewer.Arrival
	var refreshQueued atomic.Bool
	begin := func(vol *viewer.Volume) {
		arriving = viewer.NewArrival(vol.Dims[2])
		vol.Arriving = arriving
		do(func() {
			if gen != ws.loadGen {
				return
			}
			ws.seriesIdx = i
			ws.warnings = append([]string(nil), st.Warnings...)
			if err := ws.SetVolume(vol, nil, title); err != nil {
				ws.showError(err)
			}
		})
	}
	slice := func(k int) {
		arriving.Set(k)
		if refreshQueued.CompareAndSwap(false, true) {
			time.AfterFunc(100*time.Millisecond, func() {
				do(func() {
					refreshQueued.Store(false)
					if gen == ws.loadGen {
						ws.refreshViews()
					}
				})
			})
		}
	}
	go func() {
		vol, err := st.Load(ctx, i, load.Options{Progress: progress, Begin: begin, Slice: slice, RawStack: ws.rawStack})
		if err == nil && vol.Arriving != nil {
			vol.Arriving.Complete() // Load returned: every voxel is written
		}
		do(func() {
			defer cancel()
			if gen != ws.loadGen {
				return
			}
			ws.loading.stop()
			if err != nil {
				if arriving != nil {
					ws.status.SetText(fmt.Sprintf("Loading stopped with %d of %d slices read: open the series again to finish it", arriving.Count(), info.Dims[2]))
				}
				ws.showError(openError(st.Path, err))
				return
			}
			ws.seriesIdx = i
			ws.warnings = append(append([]string(nil), st.Warnings...), vol.Warnings...)
			ws.volumes.setSeries(info)
			if ws.scene != nil && ws.scene.Volume == vol {
				ws.volumeArrived()
			} else if err := ws.SetVolume(vol, nil, title); err != nil {
				ws.showError(err)
				return
			}
			if ws.pendingLabels != "" {
				ws.openLabelsNamed(ws.pendingLabels, ws.pendingTable)
				ws.pendingLabels = ""
			}
			ws.pendingTable = nil
			ws.loadHeld()
			go releaseMemory()
		})
	}()
}

// volumeArrived finishes a study shown while it loaded: what needed every
// voxel (the window for MR without a header window, the histogram and the
// "auto" preset) is worked out now.
func (ws *Workstation) volumeArrived() {
	sc := ws.scene
	if w := viewer.DefaultWindow(sc.Volume); w != sc.LUT.Window() && !viewer.IsCT(sc.Volume) && len(sc.Volume.Windows) == 0 {
		sc.LUT = viewer.NewWindowLUT(w)
	}
	ws.panel.setVolume(sc.Volume, sc.LUT.Window())
	ws.updateInfo()
	ws.refreshViews()
	if ws.editor.labels != nil {
		ws.stats.compute() // labels opened while it loaded
	}
}

// studyLoading says whether the study on screen is still being read; what
// reads its voxels (models, prompts, fills, statistics) waits for it.
func (ws *Workstation) studyLoading() bool {
	if ws.scene == nil || ws.scene.Volume.Arriving.Done() {
		return false
	}
	ws.status.SetText("The study is still loading: this needs all of it")
	return true
}

func seriesTitle(s load.SeriesInfo) string {
	parts := []string{}
	if s.Modality != "" {
		parts = append(parts, s.Modality)
	}
	if s.Description != "" {
		parts = append(parts, s.Description)
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("series %d", s.Index+1))
	}
	return strings.Join(parts, " · ")
}

// newSeriesList lists the open study's series with a thumbnail each;
// picking one loads it.
func (ws *Workstation) newSeriesList() *widget.List {
	l := widget.NewList(
		func() int {
			if ws.study == nil {
				return 0
			}
			return len(ws.study.Series)
		},
		func() fyne.CanvasObject {
			img := canvas.NewImageFromImage(nil)
			img.FillMode = canvas.ImageFillContain
			img.ScaleMode = canvas.ImageScalePixels
			img.SetMinSize(fyne.NewSize(56, 56))
			return container.NewBorder(nil, nil, img, nil,
				widget.NewLabel("CT · description long enough\n512×512×300 · 300 files"))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			s := ws.study.Series[id]
			c := o.(*fyne.Container)
			c.Objects[0].(*widget.Label).SetText(fmt.Sprintf("%s\n%d×%d×%d · %d files",
				seriesTitle(s), s.Dims[0], s.Dims[1], s.Dims[2], s.Files))
			img := c.Objects[1].(*canvas.Image)
			img.Image = ws.thumbs[id]
			img.Refresh()
		})
	l.OnSelected = func(id widget.ListItemID) { ws.loadSeries(id) }
	return l
}

// makeThumbnails decodes one slice per series in the background and shows
// them in the list as they arrive.
func (ws *Workstation) makeThumbnails(st *load.Study) {
	ws.thumbs = map[int]image.Image{}
	if ws.thumbCancel != nil {
		ws.thumbCancel()
	}
	var ctx context.Context
	ctx, ws.thumbCancel = context.WithCancel(context.Background())
	go func() {
		for i := range st.Series {
			if ctx.Err() != nil {
				return
			}
			th, err := st.Thumbnail(ctx, i)
			if err != nil {
				continue
			}
			p := viewer.AcquisitionPlane(th.Geometry)
			k := viewer.SliceCount(th.Geometry, p) / 2
			img, err := viewer.RenderSlice(th, p, k, viewer.NewWindowLUT(viewer.DefaultWindow(th)), nil)
			if err != nil {
				continue
			}
			do(func() {
				if ws.study == st {
					ws.thumbs[i] = img
					ws.seriesList.RefreshItem(i)
				}
			})
		}
	}()
}

// openLabels loads a label NIfTI over the open image; it must lie on the
// image's grid (up to axis order), else the user is told how they differ.
// A DICOM SEG of the image's series is placed by its frames' positions.
func (ws *Workstation) openLabels(path string) { ws.openLabelsNamed(path, nil) }

// openLabelsNamed opens a label map named by table (nil: its ids only).
func (ws *Workstation) openLabelsNamed(path string, table *viewer.LabelTable) {
	if ws.scene == nil {
		ws.showError(errors.New("open an image before its labels"))
		return
	}
	sc := ws.scene
	go func() {
		var lab *viewer.Volume
		var segTable *viewer.LabelTable
		var err error
		if dicom.IsSEG(path) {
			// A DICOM SEG: its frames go onto the image's slices by
			// position, named and coloured by its segments.
			var seg *dicom.SEG
			if seg, err = dicom.ReadSEG(path); err == nil {
				var m *viewer.LabelMap
				if m, err = seg.LabelsOnVolume(sc.Volume); err == nil {
					lab, segTable = m.Volume, &m.Table
				}
			}
		} else {
			lab, err = nifti.Read(path)
		}
		do(func() {
			var lm *viewer.LabelMap
			if table == nil {
				table = segTable
			}
			if err == nil {
				lm, err = adoptLabels(sc, lab, table)
			}
			if err != nil {
				ws.showError(fmt.Errorf("labels %s: %w", filepath.Base(path), err))
				return
			}
			if segTable != nil && len(lab.Warnings) > 0 {
				ws.status.SetText(fmt.Sprintf("Labels %s: %s", filepath.Base(path), strings.Join(lab.Warnings, "; ")))
			}
			ws.editor.setLabels(lm)
			ws.overlay.setScene(sc)
			ws.refreshViews()
			ws.labelsChanged()
			go releaseMemory()
		})
	}()
}

func (ws *Workstation) showError(err error) {
	ws.status.SetText("Error: " + err.Error())
	dialog.ShowError(err, ws.win)
}

// Recent studies live in the app preferences, newest first.
const recentKey = "recent"

func (ws *Workstation) recent() []string {
	return ws.app.Preferences().StringList(recentKey)
}

func (ws *Workstation) addRecent(path string) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	list := []string{path}
	for _, p := range ws.recent() {
		if p != path && len(list) < 10 {
			list = append(list, p)
		}
	}
	ws.app.Preferences().SetStringList(recentKey, list)
	ws.setMenu()
}

// volumeSummary describes a volume in one line for the info panel.
func volumeSummary(v *viewer.Volume) string {
	return fmt.Sprintf("%d×%d×%d voxels, %.3g×%.3g×%.3g mm, %s",
		v.Dims[0], v.Dims[1], v.Dims[2], v.Spacing[0], v.Spacing[1], v.Spacing[2], v.Data.Type())
}

// saveLabels writes the edited label map as NIfTI in the background,
// asking before it replaces an existing file.
func (ws *Workstation) saveLabels(path string, overwrite bool) {
	lm := ws.editor.labels
	if lm == nil {
		ws.showError(errors.New("there are no labels to save"))
		return
	}
	go func() {
		err := nifti.Write(path, lm.Volume, nifti.WriteOptions{Overwrite: overwrite, Description: "Delineate labels"})
		do(func() {
			switch {
			case errors.Is(err, os.ErrExist):
				dialog.ShowConfirm("Replace file?", filepath.Base(path)+" exists. Replace it?", func(ok bool) {
					if ok {
						ws.saveLabels(path, true)
					}
				}, ws.win)
			case err != nil:
				ws.showError(fmt.Errorf("save labels: %w", err))
			default:
				ws.status.SetText("Saved labels to " + path)
			}
		})
	}()
}

// openLabelNames applies a label table (ITK-SNAP, Slicer colour table or
// JSON id→name) to the label map being shown.
func (ws *Workstation) openLabelNames(path string) {
	if ws.editor.labels == nil || ws.scene == nil {
		ws.showError(errors.New("open a label map before its names"))
		return
	}
	go func() {
		t, err := labels.ReadTable(path)
		do(func() {
			if err != nil {
				ws.showError(err)
				return
			}
			ws.editor.labels.Table = *t
			ws.scene.Colours = t.Colours()
			ws.scene.MarkLabelsChanged()
			ws.editor.refreshLabelList()
			ws.refreshViews()
			ws.labelsChanged()
		})
	}()
}

// releaseMemory hands the garbage of a load (a scan's parser output, a
// label file's read buffer, the copy an alignment replaced) back to the
// system now rather than over the next minutes: a reader opens several
// large studies in a session, and the machine's memory is theirs.
func releaseMemory() { debug.FreeOSMemory() }

// reporter turns a loader's progress calls (one per file and per slice,
// from worker goroutines) into at most one UI update per percent: a
// 2000-slice series otherwise queues thousands of bar redraws ahead of
// the first slice.
func (l *loadingBar) reporter() func(done, total int) {
	var last atomic.Int64
	last.Store(-1)
	return func(done, total int) {
		pct := int64(0)
		if total > 0 {
			pct = int64(done) * 100 / int64(total)
		}
		if old := last.Load(); pct == old || !last.CompareAndSwap(old, pct) {
			return
		}
		do(func() { l.progress(done, total) })
	}
}
