package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"delineate/assets"
	"delineate/project"
	"delineate/ui"
)

// appID keys the preferences (recent studies) and the desktop integration.
const appID = "app.delineate.desktop"

// guiOptions are the window's command-line options.
type guiOptions struct {
	path, labels  string
	model, models string
}

// runGUI opens the workstation on a study (with a label map over it), or
// on the demo phantom.
func runGUI(g guiOptions) int {
	a := app.NewWithID(appID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	ws := ui.NewWorkstation(a)
	ws.SetModels(g.models, g.model)
	if _, err := os.Stat(filepath.Join(g.path, project.FileName)); g.path != "" && err == nil {
		// A project folder: its worklist, and its first case.
		ws.OpenProject(g.path)
		ws.OpenNextCase()
	} else if g.path != "" {
		ws.OpenPathWithLabels(g.path, g.labels)
	} else {
		ws.ShowDemo()
	}
	// SIGTERM (a logout, `kill`) closes the window as the user would, so
	// the open project is saved and its lock released.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		fyne.Do(func() { ws.Window().Close() })
	}()
	ws.Window().ShowAndRun()
	return 0
}
