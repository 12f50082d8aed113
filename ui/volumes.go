package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer/load"
)

// volumeBar steps through the volumes of a multi-volume series (fMRI,
// DTI, perfusion, 4D NIfTI). Only the volume in view is in memory: a step
// loads the next one in the background and swaps it in under the same
// views, labels and window, so scrolling through time keeps the place.
// Steps that arrive while a volume loads cancel it: the last one wins.
type volumeBar struct {
	ws      *Workstation
	box     *fyne.Container
	slider  *widget.Slider
	label   *widget.Label
	info    load.SeriesInfo
	current int // the volume on screen
	want    int // the volume asked for last
	cancel  context.CancelFunc
	gen     int
	quiet   bool // the slider is being set from code
}

func newVolumeBar(ws *Workstation) *volumeBar {
	b := &volumeBar{ws: ws, label: widget.NewLabel("")}
	b.slider = widget.NewSlider(1, 1)
	b.slider.Step = 1
	b.slider.OnChanged = func(v float64) {
		if !b.quiet {
			b.show(int(v) - 1)
		}
	}
	title := widget.NewLabelWithStyle("Volume", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	b.box = container.NewBorder(nil, nil, title, b.label, b.slider)
	b.box.Hide()
	return b
}

// setSeries shows the bar for a series of several volumes (volume 0 on
// screen) and hides it for others.
func (b *volumeBar) setSeries(info load.SeriesInfo) {
	b.stop()
	b.info, b.current, b.want = info, 0, 0
	if info.Volumes <= 1 {
		b.box.Hide()
		return
	}
	b.quiet = true
	b.slider.Max = float64(info.Volumes)
	b.slider.SetValue(1)
	b.quiet = false
	b.label.SetText(b.describe(0))
	b.box.Show()
}

// describe is "2/4 · b=1000 s/mm²".
func (b *volumeBar) describe(t int) string {
	s := fmt.Sprintf("%d/%d", t+1, b.info.Volumes)
	if t < len(b.info.VolumeInfo) && b.info.VolumeInfo[t].Label != "" {
		s += " · " + b.info.VolumeInfo[t].Label
	}
	return s
}

// step moves by d volumes (keys , and .), clamped.
func (b *volumeBar) step(d int) {
	if b.info.Volumes <= 1 {
		return
	}
	b.show(min(max(b.want+d, 0), b.info.Volumes-1))
}

func (b *volumeBar) stop() {
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	b.gen++
}

// show loads volume t and puts it on screen when it arrives.
func (b *volumeBar) show(t int) {
	ws := b.ws
	if ws.study == nil || ws.scene == nil || t == b.want && (b.cancel != nil || t == b.current) {
		return
	}
	if ws.studyLoading() {
		return
	}
	b.stop()
	b.want = t
	b.quiet = true
	b.slider.SetValue(float64(t + 1))
	b.quiet = false
	if t == b.current {
		b.label.SetText(b.describe(t))
		return
	}
	b.label.SetText(b.describe(t) + " (loading)")
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	gen, st, series, study := b.gen, ws.study, ws.seriesIdx, ws.study
	go func() {
		vol, err := st.Load(ctx, series, load.Options{Volume: t})
		do(func() {
			if gen != b.gen || ws.study != study || ws.seriesIdx != series || ws.scene == nil {
				return
			}
			b.cancel = nil
			cancel()
			if err != nil {
				b.label.SetText(b.describe(b.current))
				ws.showError(err)
				return
			}
			sc := ws.scene
			if vol.Dims != sc.Volume.Dims {
				ws.showError(fmt.Errorf("volume %d has another size (%v) than the one shown (%v)", t+1, vol.Dims, sc.Volume.Dims))
				return
			}
			// Same grid: the labels, predictions, cursor and window stay.
			sc.Volume = vol
			b.current = t
			b.label.SetText(b.describe(t))
			ws.refreshViews()
			ws.updateInfo()
			ws.status.SetText("Volume " + b.describe(t))
		})
	}()
}
