package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"delineate/project"
	"delineate/project/labelstudio"
	"delineate/viewer"
)

// lsSource is what a Label Studio export takes: the open project's cases
// with labels, or the open image and its labels.
type lsSource struct {
	proj  *project.Project
	table []project.Label
	item  *labelstudio.Item // the open image (no project), on its label grid
}

func (ws *Workstation) lsSource() (*lsSource, error) {
	if p := ws.worklist.proj; p != nil {
		return &lsSource{proj: p, table: append([]project.Label(nil), p.Labels...)}, nil
	}
	if ws.scene == nil || ws.editor.labels == nil {
		return nil, errors.New("open a project, or an image with labels, to export Label Studio tasks")
	}
	// The grid `labelstudio pull --image` and project cases use.
	dicom := ws.study != nil && ws.seriesIdx >= 0 && ws.study.FromDICOM(ws.seriesIdx)
	vol, lab := project.LabelGrid(ws.scene.Volume, dicom), project.LabelGrid(ws.editor.labels.Volume, dicom)
	var table []project.Label
	for _, l := range ws.editor.labels.Table.Labels {
		table = append(table, project.Label{ID: l.ID, Name: l.Name, Colour: fmt.Sprintf("#%02x%02x%02x", l.Colour.R, l.Colour.G, l.Colour.B)})
	}
	return &lsSource{table: table, item: &labelstudio.Item{Case: "case_0001", Volume: vol, Labels: lab}}, nil
}

// exportLabelStudio asks how to write Label Studio tasks, previews one
// task (the slice shown now, with its masks as Label Studio will draw
// them) and the labelling config, and exports in the background.
func (ws *Workstation) exportLabelStudio() {
	src, err := ws.lsSource()
	if err != nil {
		ws.showError(err)
		return
	}
	folder := widget.NewEntry()
	if src.proj != nil {
		folder.SetText(filepath.Join(filepath.Dir(src.proj.Dir()), "labelstudio_"+strings.Trim(notName.ReplaceAllString(src.proj.Name, "_"), "_")))
	} else {
		folder.SetText(filepath.Join(filepath.Dir(ws.study.Path), "labelstudio_export"))
	}
	choose := widget.NewButton("Choose…", func() {
		ws.chooseFolderFor("Label Studio export folder (a new one is made inside)", func(d string) { folder.SetText(filepath.Join(d, "labelstudio_export")) })
	})
	plane := widget.NewSelect([]string{"axial", "coronal", "sagittal"}, nil)
	plane.SetSelected("axial")
	if ws.active != nil {
		plane.SetSelected(ws.active.Viewport().Layout().Plane.String())
	}
	windows := []string{"as shown"}
	for _, p := range viewer.CTPresets() {
		windows = append(windows, p.Name)
	}
	window := widget.NewSelect(windows, nil)
	window.SetSelected("as shown")
	slices := widget.NewEntry()
	slices.SetText("labelled")
	fromName, toName := widget.NewEntry(), widget.NewEntry()
	fromName.SetText("tag")
	toName.SetText("image")
	version, score, minPix, prefix := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	version.SetText("delineate")
	score.SetText("1")
	minPix.SetText("1")
	prefix.SetText("/data/local-files/?d=images/")

	options := func() (labelstudio.ExportOptions, error) {
		var o labelstudio.ExportOptions
		pl, err := viewer.ParsePlane(plane.Selected)
		if err != nil {
			return o, err
		}
		sl, err := labelstudio.ParseSlices(slices.Text)
		if err != nil {
			return o, err
		}
		sc, err1 := strconv.ParseFloat(strings.TrimSpace(score.Text), 64)
		mp, err2 := strconv.Atoi(strings.TrimSpace(minPix.Text))
		if err1 != nil || err2 != nil {
			return o, errors.New("score and minimum pixels must be numbers")
		}
		o = labelstudio.ExportOptions{Plane: pl, Slices: sl, FromName: fromName.Text, ToName: toName.Text, ModelVersion: version.Text,
			Score: sc, MinPixels: mp, URLPrefix: prefix.Text}
		switch {
		case window.Selected == "as shown" && ws.scene != nil:
			w := ws.scene.LUT.Window()
			o.Window = &w
		case window.Selected != "as shown":
			for _, p := range viewer.CTPresets() {
				if p.Name == window.Selected {
					w := viewer.Window{Center: p.Center, Width: p.Width}
					o.Window, o.WindowName = &w, p.Name
				}
			}
		}
		return o, nil
	}

	preview := canvas.NewImageFromImage(image.NewGray(image.Rect(0, 0, 1, 1)))
	preview.FillMode = canvas.ImageFillContain
	preview.SetMinSize(fyne.NewSize(260, 260))
	taskInfo := widget.NewLabel("")
	taskInfo.Wrapping = fyne.TextWrapWord
	config := widget.NewMultiLineEntry()
	config.Wrapping = fyne.TextWrapOff
	config.SetMinRowsVisible(8)
	refresh := func() {
		o, err := options()
		config.SetText(labelstudio.Config(src.table, o.FromName, o.ToName))
		if err != nil {
			taskInfo.SetText(err.Error())
			return
		}
		it, k := ws.previewItem(src, o.Plane)
		if it == nil {
			taskInfo.SetText("Open a case to preview its task.")
			return
		}
		task, grey, err := labelstudio.Preview(*it, src.table, k, o)
		if err != nil {
			taskInfo.SetText(err.Error())
			return
		}
		preview.Image = previewImage(grey, task, src.table)
		preview.Refresh()
		var names []string
		if len(task.Predictions) > 0 {
			for _, r := range task.Predictions[0].Result {
				names = append(names, r.Value.BrushLabels...)
			}
		}
		taskInfo.SetText(fmt.Sprintf("Task for %s (%d×%d): %d brush result(s)%s; model_version %q, score %g.",
			labelstudio.ImageName(task.Data.Image), task.Meta.Width, task.Meta.Height, len(names), listed(names), o.ModelVersion, o.Score))
	}
	for _, e := range []*widget.Entry{slices, fromName, toName, version, score, minPix} {
		e.OnChanged = func(string) { refresh() }
	}
	plane.OnChanged = func(string) { refresh() }
	window.OnChanged = func(string) { refresh() }
	refresh()

	what := "the open image and its labels"
	if src.proj != nil {
		n := 0
		for _, c := range src.proj.Summarise().List {
			if c.Labels != "" {
				n++
			}
		}
		what = fmt.Sprintf("%d case(s) with labels of project %s", n, src.proj.Name)
	}
	form := widget.NewForm(
		widget.NewFormItem("Folder", container.NewBorder(nil, nil, nil, choose, folder)),
		widget.NewFormItem("Plane", plane),
		widget.NewFormItem("Window", window),
		widget.NewFormItem("Slices", slices),
		widget.NewFormItem("From / to name", container.NewGridWithColumns(2, fromName, toName)),
		widget.NewFormItem("Model version, score", container.NewGridWithColumns(2, version, score)),
		widget.NewFormItem("Min pixels", minPix),
		widget.NewFormItem("Image URL prefix", prefix),
	)
	left := container.NewVBox(widget.NewLabel("Exports "+what+"."), form, taskInfo)
	right := container.NewBorder(nil, nil, nil, nil, container.NewVSplit(preview, config))
	content := container.NewHSplit(left, right)
	d := dialog.NewCustomConfirm("Export Label Studio tasks", "Export", "Cancel", content, func(ok bool) {
		if !ok {
			return
		}
		o, err := options()
		if err != nil {
			ws.showError(err)
			return
		}
		ws.runLabelStudioExport(src, folder.Text, o)
	}, ws.win)
	d.Resize(fyne.NewSize(1100, 640))
	d.Show()
}

func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	if len(names) > 6 {
		return ": " + strings.Join(names[:6], ", ") + fmt.Sprintf(" and %d more", len(names)-6)
	}
	return ": " + strings.Join(names, ", ")
}

// previewItem is the item and slice the preview shows: the open image at
// the slice in view (for a project, the open case; else nothing).
func (ws *Workstation) previewItem(src *lsSource, plane viewer.Plane) (*labelstudio.Item, int) {
	if ws.scene == nil {
		return nil, 0
	}
	it := src.item
	if it == nil {
		if ws.editor.labels == nil || ws.worklist.current == "" {
			return nil, 0
		}
		it = &labelstudio.Item{Case: ws.worklist.current, Volume: ws.scene.Volume, Labels: ws.editor.labels.Volume}
	}
	l, err := viewer.NewSliceLayout(it.Volume.Geometry, plane)
	if err != nil {
		return nil, 0
	}
	k := ws.scene.Cursor[l.NormalAxis]
	if src.item != nil && ws.study != nil && ws.study.FromDICOM(ws.seriesIdx) && l.NormalAxis == 1 {
		k = l.Slices - 1 - k // the flipped grid
	}
	return it, min(max(k, 0), l.Slices-1)
}

// previewImage draws the task's masks over its image as Label Studio
// will: each result decoded from its RLE, in its label's colour.
func previewImage(grey *image.Gray, t *labelstudio.Task, table []project.Label) image.Image {
	b := grey.Bounds()
	out := image.NewRGBA(b)
	for i, g := range grey.Pix {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = g, g, g, 255
	}
	if len(t.Predictions) == 0 {
		return out
	}
	colours := viewer.DefaultLabelColours()
	for n, r := range t.Predictions[0].Result {
		words, err := labelstudio.Decode(r.Value.RLE, 4*b.Dx()*b.Dy())
		if err != nil {
			continue
		}
		mask, err := labelstudio.MaskFromRGBA(words, b.Dx(), b.Dy())
		if err != nil {
			continue
		}
		c := colours[(n+1)%len(colours)]
		if id, ok := t.Meta.Labels[r.Value.BrushLabels[0]]; ok {
			c = colours[id%len(colours)]
			for _, l := range table {
				if pc, ok := project.ParseColour(l.Colour); ok && l.ID == id {
					c = pc
				}
			}
		}
		for p, on := range mask {
			if on != 0 {
				o := out.Pix[4*p : 4*p+3]
				o[0], o[1], o[2] = uint8((int(o[0])+int(c.R))/2), uint8((int(o[1])+int(c.G))/2), uint8((int(o[2])+int(c.B))/2)
			}
		}
	}
	return out
}

// runLabelStudioExport loads the cases (for a project) and exports, in
// the background with progress and Cancel.
func (ws *Workstation) runLabelStudioExport(src *lsSource, out string, o labelstudio.ExportOptions) {
	ctx, cancel := context.WithCancel(context.Background())
	ws.loading.start("Exporting Label Studio tasks to "+filepath.Base(out), cancel)
	o.Progress = func(done, total int) { do(func() { ws.loading.progress(done, total) }) }
	go func() {
		var items []labelstudio.Item
		var err error
		if src.proj != nil {
			items, err = labelstudio.ProjectItems(ctx, src.proj, nil)
		} else {
			items = []labelstudio.Item{*src.item}
		}
		var sum *labelstudio.Summary
		if err == nil {
			sum, err = labelstudio.Export(ctx, out, items, src.table, o)
		}
		do(func() {
			ws.loading.stop()
			if err != nil {
				ws.showError(err)
				return
			}
			ws.lastLSTasks = filepath.Join(out, "tasks.json")
			ws.status.SetText(fmt.Sprintf("Wrote %s: %d tasks, %d brush results — File → Upload to Label Studio… sends them (dry run first)", out, sum.Tasks, sum.Results))
		})
	}()
}

// uploadLabelStudio asks for the server, project and token and uploads
// the last export's predictions: a dry run first by default, then the
// summary (uploaded, skipped and why, failed and why).
func (ws *Workstation) uploadLabelStudio() {
	server := widget.NewEntry()
	server.SetText(ws.app.Preferences().StringWithFallback("labelstudio.url", "http://localhost:8080"))
	projectID := widget.NewEntry()
	projectID.SetText(ws.app.Preferences().StringWithFallback("labelstudio.project", "1"))
	token := widget.NewPasswordEntry()
	token.SetPlaceHolder("API token (legacy or personal access token)")
	token.SetText(labelstudio.LoadToken(server.Text))
	server.OnChanged = func(s string) {
		if t := labelstudio.LoadToken(s); t != "" {
			token.SetText(t)
		}
	}
	tokType := widget.NewSelect([]string{labelstudio.TokenAuto, labelstudio.TokenPAT, labelstudio.TokenLegacy}, nil)
	tokType.SetSelected(labelstudio.TokenAuto)
	remember := widget.NewCheck("Remember the token (a file of mode 0600 in your config folder, never in the project)", nil)
	remember.SetChecked(true)
	tasks := widget.NewEntry()
	tasks.SetText(ws.lastLSTasks)
	tasks.SetPlaceHolder("…/tasks.json of an export")
	dry := widget.NewCheck("Dry run: list the project and plan, send nothing that changes it", nil)
	dry.SetChecked(true)
	annotated := widget.NewCheck("Also post to tasks a person annotated", nil)
	replace := widget.NewCheck("Also post where a prediction of the same model version is", nil)
	byURL := widget.NewCheck("Missing images are on the server's local storage: import tasks by URL (else the PNGs are uploaded)", nil)
	form := widget.NewForm(
		widget.NewFormItem("Server", server),
		widget.NewFormItem("Project id", projectID),
		widget.NewFormItem("Token", container.NewBorder(nil, nil, nil, tokType, token)),
		widget.NewFormItem("", remember),
		widget.NewFormItem("Tasks", tasks),
		widget.NewFormItem("", container.NewVBox(dry, annotated, replace, byURL)),
	)
	d := dialog.NewCustomConfirm("Upload to Label Studio", "Run", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		id, err := strconv.Atoi(strings.TrimSpace(projectID.Text))
		if err != nil || id <= 0 {
			ws.showError(fmt.Errorf("project id %q is not a number", projectID.Text))
			return
		}
		if strings.TrimSpace(token.Text) == "" {
			ws.showError(errors.New("a token is needed (Label Studio → Account & Settings → Access Token)"))
			return
		}
		ws.app.Preferences().SetString("labelstudio.url", server.Text)
		ws.app.Preferences().SetString("labelstudio.project", projectID.Text)
		if remember.Checked {
			if err := labelstudio.SaveToken(server.Text, strings.TrimSpace(token.Text)); err != nil {
				ws.showError(fmt.Errorf("remembering the token: %w", err))
			}
		}
		c := &labelstudio.Client{URL: strings.TrimSpace(server.Text), Token: strings.TrimSpace(token.Text), TokenType: tokType.Selected}
		o := labelstudio.UploadOptions{ProjectID: id, DryRun: dry.Checked, IncludeAnnotated: annotated.Checked, ReplaceSameVersion: replace.Checked}
		if !byURL.Checked {
			o.ImageDir = filepath.Join(filepath.Dir(tasks.Text), "images")
		}
		ws.runUpload(c, tasks.Text, o)
	}, ws.win)
	d.Resize(fyne.NewSize(720, 420))
	d.Show()
}

func (ws *Workstation) runUpload(c *labelstudio.Client, tasksPath string, o labelstudio.UploadOptions) {
	local, err := labelstudio.ReadTasks(tasksPath)
	if err != nil {
		ws.showError(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	what := "Uploading to Label Studio"
	if o.DryRun {
		what = "Planning the upload (dry run)"
	}
	ws.loading.start(what, cancel)
	o.Progress = func(done, total int) { do(func() { ws.loading.progress(done, total) }) }
	go func() {
		sum, err := labelstudio.Upload(ctx, c, local, o)
		if sum != nil {
			name := "upload-summary.json"
			if o.DryRun {
				name = "upload-plan.json"
			}
			_ = writeJSONFile(filepath.Join(filepath.Dir(tasksPath), name), sum)
		}
		do(func() {
			ws.loading.stop()
			if err != nil && sum == nil {
				ws.showError(err)
				return
			}
			ws.showUploadSummary(sum, err)
		})
	}()
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return project.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

func (ws *Workstation) showUploadSummary(s *labelstudio.UploadSummary, err error) {
	var b strings.Builder
	if s.DryRun {
		fmt.Fprintf(&b, "Dry run: %d tasks in the project; %d request(s) planned, nothing sent that changes it.\n", s.Listed, len(s.Planned))
		for _, p := range s.Planned {
			switch {
			case p.Task != 0:
				fmt.Fprintf(&b, "  POST %s: task %d (%s), %d result(s)\n", p.Path, p.Task, p.Image, p.Results)
			case p.Files != 0:
				fmt.Fprintf(&b, "  POST %s: %d image file(s), each a new task\n", p.Path, p.Files)
			case p.Image != "":
				fmt.Fprintf(&b, "  POST %s: the new task of %s, %d result(s)\n", p.Path, p.Image, p.Results)
			default:
				fmt.Fprintf(&b, "  POST %s: %d new task(s), %d result(s)\n", p.Path, p.Tasks, p.Results)
			}
		}
	} else {
		fmt.Fprintf(&b, "Uploaded %d prediction(s), imported %d new task(s), skipped %d, failed %d.\n", len(s.Uploaded), len(s.Imported), len(s.Skipped), len(s.Failed))
	}
	for _, o := range s.Skipped {
		fmt.Fprintf(&b, "  skipped %s: %s\n", o.Image, o.Why)
	}
	for _, o := range s.Failed {
		fmt.Fprintf(&b, "  FAILED %s: %s\n", o.Image, o.Why)
	}
	if err != nil {
		fmt.Fprintf(&b, "\nStopped: %v\n", err)
	}
	text := widget.NewMultiLineEntry()
	text.SetText(b.String())
	text.Wrapping = fyne.TextWrapWord
	text.SetMinRowsVisible(12)
	title := "Label Studio upload"
	if s.DryRun {
		title = "Label Studio upload — dry run"
	}
	d := dialog.NewCustom(title, "Close", text, ws.win)
	d.Resize(fyne.NewSize(760, 420))
	d.Show()
	ws.status.SetText(strings.SplitN(b.String(), "\n", 2)[0])
}

// pullLabelStudio brings reviewed annotations back into the open project,
// from the server or from a Label Studio JSON export: each case gets a
// prediction to review, shown when the case opens.
func (ws *Workstation) pullLabelStudio() {
	p := ws.worklist.proj
	if p == nil {
		ws.showError(errors.New("open the project the tasks were exported from (File → Open Project…)"))
		return
	}
	fromServer := widget.NewRadioGroup([]string{"Label Studio server", "Label Studio JSON export file"}, nil)
	fromServer.SetSelected("Label Studio server")
	server := widget.NewEntry()
	server.SetText(ws.app.Preferences().StringWithFallback("labelstudio.url", "http://localhost:8080"))
	projectID := widget.NewEntry()
	projectID.SetText(ws.app.Preferences().StringWithFallback("labelstudio.project", "1"))
	token := widget.NewPasswordEntry()
	token.SetText(labelstudio.LoadToken(server.Text))
	file := widget.NewEntry()
	file.SetPlaceHolder("export.json (Label Studio → Export → JSON)")
	local := widget.NewEntry()
	local.SetText(ws.lastLSTasks)
	local.SetPlaceHolder("the export's tasks.json (maps tasks made from uploaded images back to voxels)")
	form := widget.NewForm(
		widget.NewFormItem("From", fromServer),
		widget.NewFormItem("Server", server),
		widget.NewFormItem("Project id", projectID),
		widget.NewFormItem("Token", token),
		widget.NewFormItem("Export file", file),
		widget.NewFormItem("Tasks", local),
	)
	d := dialog.NewCustomConfirm("Pull from Label Studio into "+p.Name, "Pull", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		var c *labelstudio.Client
		id := 0
		if fromServer.Selected == "Label Studio server" {
			var err error
			if id, err = strconv.Atoi(strings.TrimSpace(projectID.Text)); err != nil || id <= 0 {
				ws.showError(fmt.Errorf("project id %q is not a number", projectID.Text))
				return
			}
			c = &labelstudio.Client{URL: strings.TrimSpace(server.Text), Token: strings.TrimSpace(token.Text)}
		}
		ws.runPull(p, c, id, file.Text, local.Text)
	}, ws.win)
	d.Resize(fyne.NewSize(720, 420))
	d.Show()
}

func (ws *Workstation) runPull(p *project.Project, c *labelstudio.Client, projectID int, file, localTasks string) {
	ctx, cancel := context.WithCancel(context.Background())
	ws.loading.start("Pulling annotations from Label Studio", cancel)
	go func() {
		var tasks []labelstudio.Task
		var err error
		if c != nil {
			tasks, err = c.Tasks(ctx, projectID)
		} else {
			tasks, err = labelstudio.ReadTasks(file)
		}
		var local map[string]*labelstudio.Meta
		if err == nil && localTasks != "" {
			var lt []labelstudio.Task
			if lt, err = labelstudio.ReadTasks(localTasks); err == nil {
				local = labelstudio.LocalMeta(lt)
			}
		}
		var pulled []labelstudio.Pulled
		var sum *labelstudio.PullSummary
		if err == nil {
			pulled, sum, err = labelstudio.IntoProject(ctx, p, tasks, local)
		}
		do(func() {
			ws.loading.stop()
			if err != nil {
				ws.showError(err)
				return
			}
			ws.worklist.refresh()
			msg := fmt.Sprintf("Pulled %d task(s) with annotations into %d case(s) as predictions to review (%d without annotations)", sum.Annotated, len(pulled), sum.NotAnnotated)
			for _, pc := range pulled {
				if pc.Case == ws.worklist.current {
					ws.worklist.open(pc.Case) // show it now
				}
			}
			ws.status.SetText(msg)
		})
	}()
}
