package ui

import (
	"delineate/project"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"delineate/viewer"
)

// mainMenu builds the menus; every frequent item also has a key.
func (ws *Workstation) mainMenu() *fyne.MainMenu {
	openFile := fyne.NewMenuItem("Open File…", ws.chooseFile)
	openFile.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault}
	openDir := fyne.NewMenuItem("Open Folder…", ws.chooseFolder)
	openDir.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	openLabels := fyne.NewMenuItem("Open Labels…", ws.chooseLabels)
	openLabels.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	recent := fyne.NewMenuItem("Open Recent", nil)
	for _, p := range ws.recent() {
		recent.ChildMenu = appendItem(recent.ChildMenu, fyne.NewMenuItem(p, func() { ws.OpenPath(p) }))
	}
	if recent.ChildMenu == nil {
		recent.Disabled = true
	}
	saveLabels := fyne.NewMenuItem("Save Labels As…", ws.chooseSaveLabels)
	saveLabels.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}
	demo := fyne.NewMenuItem("Demo Phantom", ws.ShowDemo)
	labelNames := fyne.NewMenuItem("Open Label Names…", ws.chooseLabelNames)
	addModel := fyne.NewMenuItem("Add Model…", ws.chooseModelFolder)
	newProject := fyne.NewMenuItem("New Project…", func() { ws.chooseFolderFor("New project folder", ws.NewProject) })
	openProject := fyne.NewMenuItem("Open Project…", func() { ws.chooseFolderFor("Open project folder", ws.OpenProject) })
	addStudies := fyne.NewMenuItem("Add Studies…", func() { ws.chooseFolderFor("Add studies (a folder of studies, or one study)", ws.AddStudies) })
	exportNN := fyne.NewMenuItem("Export nnU-Net Dataset…", ws.exportNNUNet)
	exportLS := fyne.NewMenuItem("Export Label Studio Tasks…", ws.exportLabelStudio)
	uploadLS := fyne.NewMenuItem("Upload to Label Studio…", ws.uploadLabelStudio)
	pullLS := fyne.NewMenuItem("Pull from Label Studio…", ws.pullLabelStudio)
	openPACS := fyne.NewMenuItem("Open from PACS…", ws.openPACSBrowser)
	openPACS.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	sendPACS := fyne.NewMenuItem("Send Labels to PACS…", ws.sendLabelsToPACS)
	file := fyne.NewMenu("File", openFile, openDir, openPACS, recent, fyne.NewMenuItemSeparator(), openLabels, labelNames, saveLabels,
		fyne.NewMenuItemSeparator(), newProject, openProject, addStudies, exportNN, exportLS, uploadLS, pullLS, sendPACS, fyne.NewMenuItemSeparator(), addModel, fyne.NewMenuItemSeparator(), demo)
	// The GLFW driver delivers Ctrl+Z and Ctrl+Y as the standard undo and
	// redo shortcuts, never as custom key combinations: a CustomShortcut
	// on those keys is shown in the menu but never fires.
	undo := fyne.NewMenuItem("Undo", func() { ws.editor.undo() })
	undo.Shortcut = &fyne.ShortcutUndo{}
	redo := fyne.NewMenuItem("Redo", func() { ws.editor.redo() })
	redo.Shortcut = &fyne.ShortcutRedo{}
	redo2 := fyne.NewMenuItem("Redo", func() { ws.editor.redo() })
	redo2.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	editMenu := fyne.NewMenu("Edit", undo, redo, redo2,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Window/Level Tool (W)", func() { ws.editor.setMode(modeWindow) }),
		fyne.NewMenuItem("Brush (B)", func() { ws.editor.setMode(modeBrush) }),
		fyne.NewMenuItem("Eraser (E)", func() { ws.editor.setMode(modeEraser) }),
		fyne.NewMenuItem("Fill (F)", func() { ws.editor.setMode(modeFill) }),
		fyne.NewMenuItem("Sample Threshold (T)", func() { ws.editor.startSampling() }),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Grow from Seeds (G)", func() { ws.editor.growFromSeeds() }),
		fyne.NewMenuItem("Interpolate Slices (I)", func() { ws.editor.interpolate() }),
		altItem("Keep Largest Island", fyne.KeyK, func() { ws.editor.keepLargest() }),
		altItem("Remove Small Islands", fyne.KeyR, func() { ws.editor.removeSmall() }),
		altItem("Split Islands", fyne.KeyX, func() { ws.editor.splitIslands() }),
		altItem("Fill Holes", fyne.KeyH, func() { ws.editor.fillHoles() }),
		altItem("Smooth", fyne.KeyM, func() { ws.editor.smooth() }),
	)

	item := func(label string, key fyne.KeyName, fn func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Shortcut = &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierAlt}
		return it
	}
	// A gantry-tilted or gapped series is resampled to where its
	// positions put its pixels; this shows the slices as they are stored.
	rawStack := fyne.NewMenuItem("Slices as Stored (no tilt/gap resampling)", nil)
	rawStack.Checked = ws.rawStack
	rawStack.Action = func() {
		ws.rawStack = !ws.rawStack
		rawStack.Checked = ws.rawStack
		ws.reloadSeries()
	}
	phi := fyne.NewMenuItem("Show Patient Identity", nil)
	phi.Action = func() {
		ws.showPHI = !ws.showPHI
		phi.Checked = ws.showPHI
		ws.updateInfo()
	}
	viewMenu := fyne.NewMenu("View",
		item("Axial", fyne.KeyA, func() { ws.setSinglePlane(viewer.Axial) }),
		item("Coronal", fyne.KeyC, func() { ws.setSinglePlane(viewer.Coronal) }),
		item("Sagittal", fyne.KeyS, func() { ws.setSinglePlane(viewer.Sagittal) }),
		fyne.NewMenuItemSeparator(),
		item("1×3 Layout", fyne.Key3, func() { ws.setLayout(layoutRow) }),
		item("2×2 Layout", fyne.Key4, func() { ws.setLayout(layoutGrid) }),
		fyne.NewMenuItemSeparator(),
		rawStack,
		fyne.NewMenuItem("Next Volume (.)", func() { ws.volumes.step(1) }),
		fyne.NewMenuItem("Previous Volume (,)", func() { ws.volumes.step(-1) }),
		fyne.NewMenuItemSeparator(),
		phi,
	)
	runModel := fyne.NewMenuItem("Run Model", func() { ws.ai.run() })
	runModel.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault}
	modelsMenu := fyne.NewMenu("Models", runModel,
		fyne.NewMenuItem("Accept Prediction (Enter)", func() { ws.preds.accept() }),
		fyne.NewMenuItem("Reject Prediction (Esc)", func() { ws.preds.reject() }),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Add Model…", ws.chooseModelFolder),
		fyne.NewMenuItem("Reload Models", func() { ws.ai.reloadModels() }),
	)
	projectMenu := fyne.NewMenu("Project",
		item("Next Case", fyne.KeyRight, func() { ws.worklist.step(1) }),
		item("Previous Case", fyne.KeyLeft, func() { ws.worklist.step(-1) }),
		fyne.NewMenuItemSeparator(),
		item("Mark Done", fyne.KeyD, func() { ws.worklist.setStatus(project.Done) }),
		item("Mark Needs Review", fyne.KeyU, func() { ws.worklist.setStatus(project.NeedsReview) }),
		item("Mark In Progress", fyne.KeyG, func() { ws.worklist.setStatus(project.InProgress) }),
		item("Mark Rejected", fyne.KeyJ, func() { ws.worklist.setStatus(project.Rejected) }),
	)
	return fyne.NewMainMenu(file, editMenu, viewMenu, modelsMenu, projectMenu)
}

func appendItem(m *fyne.Menu, it *fyne.MenuItem) *fyne.Menu {
	if m == nil {
		return fyne.NewMenu("", it)
	}
	m.Items = append(m.Items, it)
	return m
}

// bindKeys puts the frequent actions on keys that work wherever the focus
// is: number keys pick presets, arrows and Page keys move the active view.
func (ws *Workstation) bindKeys() {
	c := ws.win.Canvas()
	c.SetOnTypedRune(func(r rune) {
		switch {
		case r >= '1' && r <= '9':
			ws.panel.preset(int(r - '1'))
		case r == 'w' || r == 'W':
			ws.editor.setMode(modeWindow)
		case r == 'b' || r == 'B':
			ws.editor.setMode(modeBrush)
		case r == 'e' || r == 'E':
			ws.editor.setMode(modeEraser)
		case ws.editor.typedRune(r): // F, T, G, I: the editor's tools
		case r == '[':
			ws.editor.adjustRadius(1 / 1.25)
		case r == ']':
			ws.editor.adjustRadius(1.25)
		case r == ',':
			ws.volumes.step(-1)
		case r == '.':
			ws.volumes.step(1)
		case r == 'p' || r == 'P':
			ws.pickHoveredLabel()
		case r == 's' || r == 'S':
			ws.ai.click.toggle.SetChecked(!ws.ai.click.active)
		}
	})
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		// Enter and Esc review the prediction, as in OHIF.
		if ws.preds.current != nil {
			switch ev.Name {
			case fyne.KeyReturn, fyne.KeyEnter:
				ws.preds.accept()
				return
			case fyne.KeyEscape:
				ws.preds.reject()
				return
			}
		}
		if ws.active != nil {
			ws.active.TypedKey(ev)
		}
	})
}

// setMenu shows the menus and binds their shortcuts; called again when
// the recent-studies list changes (re-adding a shortcut replaces it).
func (ws *Workstation) setMenu() {
	m := ws.mainMenu()
	ws.win.SetMainMenu(m)
	ws.bindMenuShortcuts(m)
}

// bindMenuShortcuts makes the keys shown in the menus work from the canvas:
// Fyne shows a menu item's shortcut but only native (macOS) menus act on it.
func (ws *Workstation) bindMenuShortcuts(m *fyne.MainMenu) {
	var walk func(items []*fyne.MenuItem)
	walk = func(items []*fyne.MenuItem) {
		for _, it := range items {
			if it.ChildMenu != nil {
				walk(it.ChildMenu.Items)
			}
			if it.Shortcut == nil || it.Action == nil {
				continue
			}
			it := it
			ws.win.Canvas().AddShortcut(it.Shortcut, func(fyne.Shortcut) { it.Action() })
		}
	}
	for _, menu := range m.Items {
		walk(menu.Items)
	}
}

// altItem is a menu item whose Alt shortcut shows in the menu and works
// from the canvas (see bindMenuShortcuts).
func altItem(label string, key fyne.KeyName, fn func()) *fyne.MenuItem {
	it := fyne.NewMenuItem(label, fn)
	it.Shortcut = &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierAlt}
	return it
}
