package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/project/pacs"
	"delineate/viewer/dicom"
)

// pacsBrowser is File → Open from PACS…: a window of its own (nothing
// modal) with a search form, the studies found and the series of the one
// picked. Retrieving runs in the background with the main window's
// progress bar and Cancel; the study opens as soon as it is in the cache.
type pacsBrowser struct {
	ws      *Workstation
	win     fyne.Window
	current func() (pacsServer, bool)

	pid, name, modality, date, accession *widget.Entry

	studies    []pacs.Result
	series     []pacs.Result
	studyList  *widget.List
	seriesList *widget.List
	study      int // picked study, -1 for none
	pick       int // picked series, -1 for the whole study
	status     *widget.Label
	retrieve   *widget.Button
	cancel     context.CancelFunc
	gen        int
}

// pacsOrigin is where the open study came from, so labels can go back.
type pacsOrigin struct {
	server pacsServer
	study  string
	series string // "" when the whole study was opened
}

// pacsCacheRoot is where retrieved studies are kept: the user's cache
// folder, by UIDs only (pacs.SeriesDir).
func (ws *Workstation) pacsCacheRoot() string {
	if ws.pacsCache != "" {
		return ws.pacsCache
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "delineate", "pacs")
}

func (ws *Workstation) openPACSBrowser() {
	if ws.pacsWin != nil {
		ws.pacsWin.win.RequestFocus()
		return
	}
	b := &pacsBrowser{ws: ws, win: ws.app.NewWindow("Open from PACS"), study: -1, pick: -1}
	ws.pacsWin = b
	b.win.SetOnClosed(func() {
		b.stop()
		ws.pacsWin = nil
	})
	picker, current := ws.serverPicker(b.win, func(s pacsServer) {
		ws.app.Preferences().SetString("pacs.last", s.label())
	})
	b.current = current
	b.pid, b.name, b.modality, b.date, b.accession = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	b.pid.SetPlaceHolder("Patient ID")
	b.name.SetPlaceHolder("Patient name (* ?)")
	b.modality.SetPlaceHolder("Modality (CT)")
	b.date.SetPlaceHolder("Date 20230101-20231231")
	b.accession.SetPlaceHolder("Accession")
	for _, e := range []*widget.Entry{b.pid, b.name, b.modality, b.date, b.accession} {
		e.OnSubmitted = func(string) { b.search() }
	}
	find := widget.NewButton("Search", b.search)
	find.Importance = widget.HighImportance
	form := container.NewGridWithColumns(6, b.pid, b.name, b.modality, b.date, b.accession, find)

	b.studyList = widget.NewList(func() int { return len(b.studies) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(b.studyLine(b.studies[i])) })
	b.studyList.OnSelected = func(i widget.ListItemID) { b.pickStudy(i) }
	b.seriesList = widget.NewList(func() int { return len(b.series) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(seriesLine(b.series[i])) })
	b.seriesList.OnSelected = func(i widget.ListItemID) { b.pick = i; b.retrieve.SetText("Retrieve and Open Series") }
	b.seriesList.OnUnselected = func(widget.ListItemID) { b.pick = -1; b.retrieve.SetText("Retrieve and Open Study") }
	b.retrieve = widget.NewButton("Retrieve and Open Study", b.retrieveAndOpen)
	b.retrieve.Disable()
	b.status = widget.NewLabel("Pick a server, fill in what you know, Search (Enter)")
	b.status.Truncation = fyne.TextTruncateEllipsis

	studies := container.NewBorder(widget.NewLabelWithStyle("Studies", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, b.studyList)
	series := container.NewBorder(widget.NewLabelWithStyle("Series", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, b.seriesList)
	split := container.NewVSplit(studies, series)
	split.SetOffset(0.6)
	top := container.NewVBox(picker, form)
	bottom := container.NewBorder(nil, nil, nil, b.retrieve, b.status)
	b.win.SetContent(container.NewBorder(top, bottom, nil, nil, split))
	b.win.Resize(fyne.NewSize(980, 620))
	b.win.Show()
}

// studyLine is one row of the studies list; the patient only when the
// user asked to see patient identity (View → Show Patient Identity).
func (b *pacsBrowser) studyLine(r pacs.Result) string {
	desc := r.StudyDescription
	if desc == "" {
		desc = "(no description)"
	}
	s := fmt.Sprintf("%s   %-8s  %-40s  %d series, %d images", formatDA(r.StudyDate), strings.Join(r.ModalitiesInStudy, "/"),
		clip(desc, 40), r.NumberOfSeries, r.NumberOfInstances)
	if r.AccessionNumber != "" {
		s += "   acc. " + r.AccessionNumber
	}
	if b.ws.showPHI {
		s += "   " + r.PatientName + "  " + r.PatientID
	}
	return s
}

func seriesLine(r pacs.Result) string {
	num := "     "
	if r.SeriesNumber != 0 {
		num = fmt.Sprintf("#%-4d", r.SeriesNumber)
	}
	s := fmt.Sprintf("%s %-4s %-44s %d images", num, r.Modality, clip(r.SeriesDescription, 44), r.NumberOfInstances)
	if r.Modality == "SEG" {
		s += "   (opens over its images as labels)"
	}
	return s
}

func formatDA(d string) string {
	if len(d) == 8 {
		return d[:4] + "-" + d[4:6] + "-" + d[6:]
	}
	if d == "" {
		return "(no date)"
	}
	return d
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func (b *pacsBrowser) stop() {
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	b.gen++
}

func (b *pacsBrowser) client() (*pacs.Client, pacsServer, bool) {
	s, ok := b.current()
	if !ok {
		b.status.SetText("No server: Add… one first")
		return nil, s, false
	}
	c, err := b.ws.pacsClient(s)
	if err != nil {
		b.status.SetText(err.Error())
		return nil, s, false
	}
	return c, s, true
}

// search runs the QIDO study search in the background; a new search
// cancels the one running.
func (b *pacsBrowser) search() {
	c, _, ok := b.client()
	if !ok {
		return
	}
	q := pacs.Query{Level: pacs.Studies, PatientID: strings.TrimSpace(b.pid.Text), PatientName: strings.TrimSpace(b.name.Text),
		Modality: strings.ToUpper(strings.TrimSpace(b.modality.Text)), AccessionNumber: strings.TrimSpace(b.accession.Text), Limit: 200}
	if d := strings.TrimSpace(b.date.Text); d != "" {
		var err error
		if q.DateFrom, q.DateTo, err = pacs.ParseDateRange(d); err != nil {
			b.status.SetText(err.Error())
			return
		}
	}
	b.status.SetText("Searching…")
	b.query(c, q, func(rs []pacs.Result) {
		b.studies, b.series, b.study, b.pick = rs, nil, -1, -1
		b.studyList.UnselectAll()
		b.studyList.Refresh()
		b.seriesList.Refresh()
		b.retrieve.Disable()
		switch {
		case len(rs) == 0:
			b.status.SetText("No study matches")
		case len(rs) == q.Limit:
			b.status.SetText(fmt.Sprintf("The first %d studies: narrow the search to see others", len(rs)))
		default:
			b.status.SetText(fmt.Sprintf("%d studies", len(rs)))
		}
	})
}

// query runs a QIDO search in the background, cancelling the one running,
// and hands its results to done on the UI goroutine unless a newer search
// or a close came first; an error goes to the status line.
func (b *pacsBrowser) query(c *pacs.Client, q pacs.Query, done func([]pacs.Result)) {
	b.stop()
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	gen := b.gen
	go func() {
		rs, err := c.Search(ctx, q)
		do(func() {
			if gen != b.gen {
				return
			}
			b.cancel = nil
			cancel()
			if err != nil {
				b.status.SetText(pacsErrorText(err))
				return
			}
			done(rs)
		})
	}()
}

// pickStudy lists the series of study i.
func (b *pacsBrowser) pickStudy(i int) {
	c, _, ok := b.client()
	if !ok || i < 0 || i >= len(b.studies) {
		return
	}
	b.study, b.pick = i, -1
	b.series = nil
	b.seriesList.UnselectAll()
	b.seriesList.Refresh()
	b.retrieve.SetText("Retrieve and Open Study")
	b.retrieve.Enable()
	b.query(c, pacs.Query{Level: pacs.Series, StudyInstanceUID: b.studies[i].StudyInstanceUID}, func(rs []pacs.Result) {
		b.series = rs
		b.seriesList.Refresh()
		b.status.SetText(fmt.Sprintf("%d series: pick one, or retrieve the whole study", len(rs)))
	})
}

// retrieveAndOpen fetches the picked series (or the study) into the cache
// in the background and opens it; what is in the cache already is not
// fetched again.
func (b *pacsBrowser) retrieveAndOpen() {
	c, srv, ok := b.client()
	if !ok || b.study < 0 || b.study >= len(b.studies) {
		return
	}
	st := b.studies[b.study]
	root := b.ws.pacsCacheRoot()
	if b.pick < 0 || b.pick >= len(b.series) {
		b.fetch(fmt.Sprintf("Retrieving study %s", formatDA(st.StudyDate)), srv, st, func(ctx context.Context, opt pacs.RetrieveOptions) (fetched, error) {
			r, err := c.RetrieveStudy(ctx, root, st.StudyInstanceUID, opt)
			if err != nil {
				return fetched{}, err
			}
			return fetched{images: filepath.Join(root, st.StudyInstanceUID), note: cachedNote(r)}, nil
		})
		return
	}
	se := b.series[b.pick]
	if se.Modality == "SEG" {
		b.openSEG(c, srv, st, se)
		return
	}
	b.fetch(fmt.Sprintf("Retrieving series #%d", se.SeriesNumber), srv, st, func(ctx context.Context, opt pacs.RetrieveOptions) (fetched, error) {
		r, err := c.RetrieveSeries(ctx, root, st.StudyInstanceUID, se.SeriesInstanceUID, opt)
		if err != nil {
			return fetched{}, err
		}
		return fetched{images: pacs.SeriesDir(root, st.StudyInstanceUID, se.SeriesInstanceUID), series: se.SeriesInstanceUID, note: cachedNote(r)}, nil
	})
}

func cachedNote(r *pacs.Retrieved) string {
	return fmt.Sprintf("In the cache: %d fetched, %d there already (%.1f MB); opening", r.Fetched, r.Skipped, float64(r.Bytes)/1e6)
}

// fetched is what a retrieve put in the cache to open: the images (a
// series or study folder), the labels over them ("" for none), the series
// opened ("" for a study) and a line for the status.
type fetched struct {
	images, labels, series, note string
}

// fetch runs a retrieve in the background, with progress and Cancel in
// the main window's status bar, and opens what it fetched.
func (b *pacsBrowser) fetch(what string, srv pacsServer, st pacs.Result, work func(context.Context, pacs.RetrieveOptions) (fetched, error)) {
	ws := b.ws
	if ws.loading.cancel != nil {
		ws.loading.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	ws.loading.start(what, cancel)
	b.status.SetText(what + " (progress in the main window; Cancel there)")
	opt := pacs.RetrieveOptions{Progress: func(p pacs.Progress) {
		do(func() {
			ws.loading.progress(p.Instances, p.Total)
			ws.loading.label.SetText(fmt.Sprintf("%s: %d/%d, %.1f MB", what, p.Instances, p.Total, float64(p.Bytes)/1e6))
		})
	}}
	go func() {
		f, err := work(ctx, opt)
		do(func() {
			cancel()
			ws.loading.stop()
			if err != nil {
				msg := pacsErrorText(err)
				b.status.SetText(msg)
				ws.status.SetText(msg)
				return
			}
			b.status.SetText(f.note)
			ws.OpenPathWithLabels(f.images, f.labels)
			ws.pacsFrom = &pacsOrigin{server: srv, study: st.StudyInstanceUID, series: f.series}
		})
	}()
}

// openSEG retrieves a SEG series and the image series it segments, and
// opens the images with the SEG as their labels: a segmentation on the
// PACS is read back as it would be drawn.
func (b *pacsBrowser) openSEG(c *pacs.Client, srv pacsServer, st pacs.Result, seg pacs.Result) {
	root := b.ws.pacsCacheRoot()
	what := fmt.Sprintf("Retrieving the segmentation %q and its images", seg.SeriesDescription)
	b.fetch(what, srv, st, func(ctx context.Context, opt pacs.RetrieveOptions) (fetched, error) {
		r, err := c.RetrieveSeries(ctx, root, st.StudyInstanceUID, seg.SeriesInstanceUID, opt)
		if err != nil {
			return fetched{}, err
		}
		if len(r.Files) != 1 {
			return fetched{}, fmt.Errorf("the SEG series holds %d objects: open them one at a time from the cache (%s)", len(r.Files), pacs.SeriesDir(root, st.StudyInstanceUID, seg.SeriesInstanceUID))
		}
		sg, err := dicom.ReadSEG(r.Files[0])
		if err != nil {
			return fetched{}, err
		}
		if len(sg.ReferencedSeries) == 0 {
			return fetched{}, fmt.Errorf("the SEG does not say which series it segments")
		}
		images := sg.ReferencedSeries[0]
		if _, err := c.RetrieveSeries(ctx, root, st.StudyInstanceUID, images, opt); err != nil {
			return fetched{}, err
		}
		return fetched{images: pacs.SeriesDir(root, st.StudyInstanceUID, images), labels: r.Files[0], series: images,
			note: "Opening the images with the segmentation as labels"}, nil
	})
}

// pacsErrorText says what went wrong and what to do, by the kind of error.
func pacsErrorText(err error) string {
	switch pacs.KindOf(err) {
	case pacs.KindUnauthorized:
		return "The server refused the credentials: check the user and password or token (Edit…). " + err.Error()
	case pacs.KindNotFound:
		return "Not found on the server: " + err.Error()
	case pacs.KindUnreachable:
		return "The server cannot be reached: check the URL and the network. " + err.Error()
	case pacs.KindCancelled:
		return "Cancelled"
	}
	return err.Error()
}
