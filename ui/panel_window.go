package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer"
	"delineate/viewer/view"
)

// windowPanel shows the window presets, numeric centre/width and the
// intensity histogram with the current window drawn over it.
type windowPanel struct {
	presets  []viewer.WindowPreset
	selector *widget.Select
	center   *widget.Entry
	width    *widget.Entry
	hist     *canvas.Raster
	counts   []int
	lo, hi   float64
	win      viewer.Window
	box      *fyne.Container

	// OnChanged is called when the user picks or types a window.
	OnChanged func(viewer.Window)
	updating  bool
}

const histBins = 256

func newWindowPanel() *windowPanel {
	p := &windowPanel{}
	p.selector = widget.NewSelect(nil, nil) // options and callback come with a volume
	p.selector.PlaceHolder = "Preset"
	p.center = widget.NewEntry()
	p.width = widget.NewEntry()
	submit := func(string) {
		c, err1 := strconv.ParseFloat(strings.TrimSpace(p.center.Text), 64)
		w, err2 := strconv.ParseFloat(strings.TrimSpace(p.width.Text), 64)
		if err1 != nil || err2 != nil || w < 1 {
			p.show(p.win) // put back what is in force
			return
		}
		p.apply(viewer.Window{Center: c, Width: w})
	}
	p.center.OnSubmitted, p.width.OnSubmitted = submit, submit
	p.hist = canvas.NewRaster(p.drawHistogram)
	p.hist.SetMinSize(fyne.NewSize(200, 70))
	form := container.NewGridWithColumns(4,
		widget.NewLabel("C"), p.center, widget.NewLabel("W"), p.width)
	p.box = container.NewVBox(widget.NewLabelWithStyle("Window", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.selector, form, p.hist)
	return p
}

// presetLabel names a preset with its numbers and, for the first five, the
// number key that picks it.
func presetLabel(p viewer.WindowPreset) string {
	return fmt.Sprintf("%s (%g/%g)", p.Name, p.Width, p.Center)
}

// setVolume loads the presets and histogram of a new volume.
func (p *windowPanel) setVolume(vol *viewer.Volume, w viewer.Window) {
	p.presets = viewer.Presets(vol)
	var names []string
	for i, pr := range p.presets {
		label := presetLabel(pr)
		if i < 9 {
			label = fmt.Sprintf("%d  %s", i+1, label)
		}
		names = append(names, label)
	}
	// The number prefix is display only: match on the preset label.
	p.selector.Options = names
	p.selector.OnChanged = func(name string) {
		if p.updating {
			return
		}
		for i, n := range names {
			if n == name {
				p.apply(viewer.Window{Center: p.presets[i].Center, Width: p.presets[i].Width})
			}
		}
	}
	p.lo, p.hi, p.counts = w.Center-w.Width/2, w.Center+w.Width/2, nil
	if vol.Arriving.Done() { // a study still loading gets its histogram once it is there
		p.lo, p.hi = vol.Range()
		if p.hi <= p.lo {
			p.hi = p.lo + 1
		}
		p.counts = view.Histogram(vol, histBins, p.lo, p.hi)
	}
	p.show(w)
}

// preset picks preset i (0-based), as the number keys do.
func (p *windowPanel) preset(i int) bool {
	if i < 0 || i >= len(p.presets) {
		return false
	}
	p.apply(viewer.Window{Center: p.presets[i].Center, Width: p.presets[i].Width})
	return true
}

func (p *windowPanel) apply(w viewer.Window) {
	p.show(w)
	if p.OnChanged != nil {
		p.OnChanged(w)
	}
}

// show reflects a window set elsewhere (a W/L drag) without calling back.
func (p *windowPanel) show(w viewer.Window) {
	p.updating = true
	defer func() { p.updating = false }()
	p.win = w
	p.center.SetText(strconv.FormatFloat(w.Center, 'f', -1, 64))
	p.width.SetText(strconv.FormatFloat(w.Width, 'f', -1, 64))
	sel := ""
	for i, pr := range p.presets {
		if pr.Center == w.Center && pr.Width == w.Width && i < len(p.selector.Options) {
			sel = p.selector.Options[i]
			break
		}
	}
	p.selector.Selected = sel
	p.selector.Refresh()
	p.hist.Refresh()
}

// drawHistogram draws log-scaled counts with the window's ramp over them, so
// the user sees which intensities the window spans.
func (p *windowPanel) drawHistogram(w, h int) image.Image {
	span := p.hi - p.lo
	lowX := int(float64(w) * (p.win.Center - p.win.Width/2 - p.lo) / span)
	highX := int(float64(w) * (p.win.Center + p.win.Width/2 - p.lo) / span)
	img := drawBars(w, h, p.counts, func(x int) color.RGBA {
		if x >= lowX && x <= highX {
			return color.RGBA{0x9c, 0xc8, 0xe0, 0xff}
		}
		return color.RGBA{0x70, 0x74, 0x7a, 0xff}
	})
	// The window ramp: black at C−W/2 rising to white at C+W/2.
	ramp := color.RGBA{0xf0, 0xb0, 0x30, 0xff}
	for x := max(lowX, 0); x <= min(highX, w-1) && highX > lowX && len(p.counts) > 0; x++ {
		y := h - 1 - (h-1)*(x-lowX)/(highX-lowX)
		img.SetRGBA(x, y, ramp)
	}
	return img
}

// drawBars draws a log-scaled histogram on the panel background, one bar
// per pixel column in the colour barColour gives that column.
func drawBars(w, h int, counts []int, barColour func(x int) color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, max(w, 0), max(h, 0)))
	bg := color.RGBA{0x0c, 0x0c, 0x0d, 0xff}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bg.R, bg.G, bg.B, bg.A
	}
	if len(counts) == 0 || w <= 0 || h <= 0 {
		return img
	}
	maxLog := 0.0
	for _, c := range counts {
		maxLog = max(maxLog, log1p(c))
	}
	if maxLog == 0 {
		return img
	}
	for x := 0; x < w; x++ {
		bar := int(float64(h) * log1p(counts[x*len(counts)/w]) / maxLog)
		c := barColour(x)
		for y := h - bar; y < h; y++ {
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// log1p scales counts logarithmically so the air, fat and bone peaks all
// stay visible next to the huge soft-tissue peak.
func log1p(c int) float64 { return math.Log1p(float64(c)) }
