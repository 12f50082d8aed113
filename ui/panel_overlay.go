package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/viewer/view"
)

// overlayPanel controls how the label map is drawn: shown or not, fill
// opacity, outline.
type overlayPanel struct {
	scene   *view.Scene
	show    *widget.Check
	outline *widget.Check
	opacity *widget.Slider
	box     *fyne.Container
}

func newOverlayPanel(changed func()) *overlayPanel {
	p := &overlayPanel{}
	p.show = widget.NewCheck("Show labels", func(on bool) {
		if p.scene != nil {
			p.scene.ShowLabels = on
			p.scene.MarkLabelsChanged()
			changed()
		}
	})
	p.outline = widget.NewCheck("Outline", func(on bool) {
		if p.scene != nil {
			p.scene.Outline = on
			p.scene.MarkLabelsChanged()
			changed()
		}
	})
	p.opacity = widget.NewSlider(0, 1)
	p.opacity.Step = 0.05
	p.opacity.OnChanged = func(v float64) {
		if p.scene != nil {
			p.scene.Opacity = v
			p.scene.MarkLabelsChanged()
			changed()
		}
	}
	p.box = container.NewVBox(widget.NewLabelWithStyle("Labels", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(p.show, p.outline), p.opacity)
	p.box.Hide()
	return p
}

// setScene shows the panel when the scene has labels and reflects its state.
func (p *overlayPanel) setScene(s *view.Scene) {
	p.scene = nil // silence callbacks while syncing
	p.show.SetChecked(s.ShowLabels)
	p.outline.SetChecked(s.Outline)
	p.opacity.SetValue(s.Opacity)
	p.scene = s
	if s.Labels != nil {
		p.box.Show()
	} else {
		p.box.Hide()
	}
}
