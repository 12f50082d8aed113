package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"delineate/assets"
	"delineate/ui"
)

// appID keys the preferences (recent studies) and the desktop integration.
const appID = "app.delineate.desktop"

// runGUI opens the workstation on path (with a label map over it), or on
// the demo phantom.
func runGUI(path, labels string) int {
	a := app.NewWithID(appID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	ws := ui.NewWorkstation(a)
	if path != "" {
		ws.OpenPathWithLabels(path, labels)
	} else {
		ws.ShowDemo()
	}
	ws.Window().ShowAndRun()
	return 0
}
