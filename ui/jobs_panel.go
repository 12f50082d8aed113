package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/inference"
)

// jobsPanel lists running, queued and finished model runs with their
// stage, progress, ETA, device and time; each can be cancelled or opened
// (log and run report) in a window of its own.
type jobsPanel struct {
	ws    *Workstation
	list  *widget.List
	jobs  []inference.JobInfo
	empty *widget.Label
	box   *fyne.Container
}

func newJobsPanel(ws *Workstation) *jobsPanel {
	p := &jobsPanel{ws: ws, empty: widget.NewLabel("No model runs yet. Choose a model in the AI tab and press Run (Ctrl+R).")}
	p.empty.Wrapping = fyne.TextWrapWord
	p.list = widget.NewList(
		func() int { return len(p.jobs) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("")
			title.Truncation = fyne.TextTruncateEllipsis
			detail := widget.NewLabel("")
			detail.Truncation = fyne.TextTruncateEllipsis
			bar := widget.NewProgressBar()
			cancel := widget.NewButton("Cancel", nil)
			open := widget.NewButton("Report", nil)
			return container.NewBorder(nil, nil, nil, container.NewVBox(cancel, open), container.NewVBox(title, bar, detail))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(p.jobs) {
				return
			}
			j := p.jobs[len(p.jobs)-1-id] // newest first
			c := o.(*fyne.Container)
			body := c.Objects[0].(*fyne.Container)
			btns := c.Objects[1].(*fyne.Container)
			body.Objects[0].(*widget.Label).SetText(fmt.Sprintf("#%d %s · %s", j.ID, j.Name, j.Study))
			body.Objects[1].(*widget.ProgressBar).SetValue(j.Fraction)
			body.Objects[2].(*widget.Label).SetText(jobDetail(j))
			cancel := btns.Objects[0].(*widget.Button)
			cancel.OnTapped = func() { p.cancel(j.ID) }
			if j.State == inference.JobRunning || j.State == inference.JobQueued {
				cancel.Enable()
			} else {
				cancel.Disable()
			}
			btns.Objects[1].(*widget.Button).OnTapped = func() { p.open(j.ID) }
		})
	p.box = container.NewBorder(p.empty, nil, nil, nil, p.list)
	return p
}

func jobDetail(j inference.JobInfo) string {
	s := string(j.State)
	switch j.State {
	case inference.JobRunning:
		s = fmt.Sprintf("%.0f%% %s", 100*j.Fraction, j.Stage)
		if j.ETA > 0 {
			s += fmt.Sprintf(" · ETA %s", j.ETA.Round(time.Second))
		}
	case inference.JobFailed:
		s = "failed: " + j.Error
	}
	if j.Elapsed > 0 {
		s += fmt.Sprintf(" · %s", j.Elapsed.Round(100*time.Millisecond))
	}
	if j.Device != "" {
		s += " · " + j.Device
	}
	return s
}

// refresh re-reads the runner's jobs (called through fyne.Do).
func (p *jobsPanel) refresh() {
	p.jobs = p.ws.ai.runner.Jobs()
	if len(p.jobs) > 0 {
		p.empty.Hide()
	} else {
		p.empty.Show()
	}
	p.list.Refresh()
}

func (p *jobsPanel) cancel(id int) {
	if j := p.ws.ai.runner.Job(id); j != nil {
		j.Cancel()
	}
}

// open shows a job's log and run report in a window of its own, so the
// review goes on beside it.
func (p *jobsPanel) open(id int) {
	j := p.ws.ai.runner.Job(id)
	if j == nil {
		return
	}
	info := j.Info()
	var b strings.Builder
	fmt.Fprintf(&b, "Job #%d  %s on %s\nState: %s   %s\n\nLog:\n", info.ID, info.Name, info.Study, info.State, jobDetail(info))
	for _, l := range info.Log {
		b.WriteString("  " + l + "\n")
	}
	if p.ws.ai.rtErr != nil {
		b.WriteString("\nONNX Runtime: " + p.ws.ai.rtErr.Error() + "\n")
	}
	if res, _ := j.Result(); res != nil {
		if r, ok := res.(*inference.Result); ok && r.Report != nil {
			js, _ := json.MarshalIndent(r.Report, "", "  ")
			b.WriteString("\nRun report:\n" + string(js) + "\n")
		}
	}
	w := p.ws.app.NewWindow(fmt.Sprintf("Job #%d — %s", info.ID, info.Name))
	text := widget.NewMultiLineEntry()
	text.SetText(b.String())
	text.TextStyle = fyne.TextStyle{Monospace: true}
	text.Wrapping = fyne.TextWrapOff
	w.SetContent(text)
	w.Resize(fyne.NewSize(720, 640))
	w.Show()
}
