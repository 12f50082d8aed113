package ui

import (
	"fmt"
	"image"
	"image/color"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer"
	"delineate/viewer/labels"
)

// statsPanel measures every label of the label map on the image (voxels,
// volume, mean ± std, min, max) and draws the intensity histogram of the
// active label. Measuring runs in the background on a snapshot of the
// label voxels, so painting can go on meanwhile.
type statsPanel struct {
	ws     *Workstation
	button *widget.Button
	status *widget.Label
	table  *widget.Table
	hist   *canvas.Raster
	box    *fyne.Container

	stats *labels.Stats
	// Every label's histogram from the last measurement, so picking
	// another label needs no snapshot of the label map (a volume-sized
	// copy) to be kept.
	hists map[int][]int
	gen   int // bumps per request; stale results are dropped

	histID int
	counts []int
	lo, hi float64

	// onDone, for tests, is called on the UI goroutine after each result.
	onDone func()
}

var statsColumns = []string{"ID", "Name", "Voxels", "mL", "Mean ± SD", "Min", "Max"}
var statsWidths = []float32{40, 90, 70, 60, 100, 55, 55}

const statsHistBins = 64

func newStatsPanel(ws *Workstation) *statsPanel {
	p := &statsPanel{ws: ws}
	p.button = widget.NewButton("Statistics", p.compute)
	p.status = widget.NewLabel("")
	p.status.Truncation = fyne.TextTruncateEllipsis
	p.table = widget.NewTableWithHeaders(
		func() (int, int) {
			if p.stats == nil {
				return 0, len(statsColumns)
			}
			return len(p.stats.Labels), len(statsColumns)
		},
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(c widget.TableCellID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.cell(c.Row, c.Col)) })
	p.table.ShowHeaderColumn = false
	p.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.table.UpdateHeader = func(c widget.TableCellID, o fyne.CanvasObject) {
		if c.Col >= 0 && c.Col < len(statsColumns) {
			o.(*widget.Label).SetText(statsColumns[c.Col])
		}
	}
	for i, w := range statsWidths {
		p.table.SetColumnWidth(i, w)
	}
	p.table.OnSelected = func(c widget.TableCellID) {
		if p.stats != nil && c.Row >= 0 && c.Row < len(p.stats.Labels) {
			ws.labelsPanel.selectLabel(p.stats.Labels[c.Row].ID)
		}
	}
	p.hist = canvas.NewRaster(p.drawHistogram)
	p.hist.SetMinSize(fyne.NewSize(200, 60))
	p.box = container.NewBorder(
		container.NewBorder(nil, nil, p.button, nil, p.status),
		p.hist, nil, nil, p.table)
	return p
}

// cell is the text of one table cell.
func (p *statsPanel) cell(row, col int) string {
	if p.stats == nil || row < 0 || row >= len(p.stats.Labels) {
		return ""
	}
	s := p.stats.Labels[row]
	num := func(f *float64) string {
		if f == nil {
			return "–"
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	switch col {
	case 0:
		return strconv.Itoa(s.ID)
	case 1:
		return s.Name
	case 2:
		return strconv.FormatInt(s.Voxels, 10)
	case 3:
		return fmt.Sprintf("%.2f", s.VolumeML)
	case 4:
		if s.Mean == nil || s.Std == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f ± %.1f", *s.Mean, *s.Std)
	case 5:
		return num(s.Min)
	case 6:
		return num(s.Max)
	}
	return ""
}

// compute measures the current label map in the background.
func (p *statsPanel) compute() {
	sc, lm := p.ws.scene, p.ws.editor.labels
	p.gen++
	if sc == nil || lm == nil {
		p.stats, p.hists, p.counts = nil, nil, nil
		p.status.SetText("No labels")
		p.table.Refresh()
		p.hist.Refresh()
		return
	}
	if !sc.Volume.Arriving.Done() {
		p.status.SetText("Measured once the study has loaded")
		return // volumeArrived measures then
	}
	gen, img, lab := p.gen, sc.Volume, lm.Clone().Volume
	names := viewer.LabelTable{Labels: slices.Clone(lm.Table.Labels)}
	id := p.ws.editor.label
	p.status.SetText("Measuring…")
	p.button.Disable()
	go func() {
		st, err := labels.Compute(img, lab, &names)
		var hists map[int][]int
		var counts []int
		var lo, hi float64
		if err == nil {
			hists = labels.Histograms(img, lab, st, statsHistBins)
			counts, lo, hi = labelHistogram(st, hists, id)
		}
		do(func() {
			if gen != p.gen {
				return
			}
			p.button.Enable()
			if err != nil {
				p.stats = nil
				p.status.SetText("Error: " + err.Error())
			} else {
				p.stats, p.hists = st, hists
				p.status.SetText(statsSummary(st))
				p.histID, p.counts, p.lo, p.hi = id, counts, lo, hi
			}
			p.table.Refresh()
			p.hist.Refresh()
			go releaseMemory() // the snapshot measured is garbage now
			if p.onDone != nil {
				p.onDone()
			}
		})
	}()
}

func statsSummary(st *labels.Stats) string {
	s := fmt.Sprintf("%d labels", len(st.Labels))
	if !st.GeometryMatch {
		s += " (no intensities: " + st.Mismatch + ")"
	}
	return s
}

// labelHistogram is id's histogram (over its own min..max) among hists.
func labelHistogram(st *labels.Stats, hists map[int][]int, id int) ([]int, float64, float64) {
	for _, l := range st.Labels {
		if l.ID != id || l.Min == nil || l.Max == nil {
			continue
		}
		lo, hi := *l.Min, *l.Max
		if !(hi > lo) {
			hi = lo + 1
		}
		return hists[id], lo, hi
	}
	return nil, 0, 0
}

// setLabel shows the histogram of label id from the last measurement.
func (p *statsPanel) setLabel(id int) {
	if p.stats == nil || id == p.histID {
		return
	}
	p.histID = id
	p.counts, p.lo, p.hi = labelHistogram(p.stats, p.hists, id)
	p.hist.Refresh()
	if p.onDone != nil {
		p.onDone()
	}
	for i, l := range p.stats.Labels {
		if l.ID == id {
			p.table.ScrollTo(widget.TableCellID{Row: i, Col: 0})
		}
	}
}

// drawHistogram draws the active label's log-scaled intensity counts in
// its colour, as the window panel draws the image's.
func (p *statsPanel) drawHistogram(w, h int) image.Image {
	c := color.RGBA{0x9c, 0xc8, 0xe0, 0xff}
	if p.ws.labelsPanel != nil {
		c = p.ws.labelsPanel.entry(p.histID).Colour
		c.A = 0xff
	}
	return drawBars(w, h, p.counts, func(int) color.RGBA { return c })
}
