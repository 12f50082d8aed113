package main

import (
	"fyne.io/fyne/v2/app"

	"delineate/assets"
	"delineate/ui"
)

// appID keys the preferences (recent studies) and the desktop integration.
const appID = "app.delineate.desktop"

// runGUI opens the workstation on path, or on the demo phantom.
func runGUI(path string) int {
	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon)
	ws := ui.NewWorkstation(a)
	if path != "" {
		ws.OpenPath(path)
	} else {
		ws.ShowDemo()
	}
	ws.Window().ShowAndRun()
	return 0
}
