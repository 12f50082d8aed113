package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"delineate/inference"
	"delineate/inference/sam"
	"delineate/viewer"
)

// clickPanel is the AI tab's visual-prompt section: a SAM-family export
// (a folder with encoder.onnx and decoder.onnx), a click tool (S) that
// turns clicks (Shift: exclude) and drags (a box) on any view into a mask
// for the slice under the pointer, and Propagate, which carries the last
// prompt through the neighbouring slices. The encoder runs in the
// background for the slice in view as soon as the tool is chosen and for
// its neighbours next; clicks arriving while the decoder runs are
// coalesced. Every mask lands in the prediction layer.
type clickPanel struct {
	ws      *Workstation
	sel     *widget.Select
	toggle  *widget.Check
	propBtn *widget.Button
	hint    *widget.Label
	box     *fyne.Container

	mu      sync.Mutex // guards model, cache and sessions (used off the UI goroutine)
	model   *sam.Model
	modelOf string
	cache   *sam.Cache

	// UI goroutine only.
	active   bool
	prompt   sam.Prompt
	slice    int
	plane    viewer.Plane
	pred     *prediction
	coalesce *sam.Coalescer[submitted]
	prefetch context.CancelFunc
	gen      int       // bumps when the study or tool changes: stale results are dropped
	pending  submitted // the latest prompt and its context
}

func newClickPanel(ws *Workstation) *clickPanel {
	c := &clickPanel{ws: ws, cache: sam.NewCache(512 << 20)}
	c.sel = widget.NewSelect(nil, nil)
	c.sel.PlaceHolder = "SAM export"
	c.toggle = widget.NewCheck("Click tool (S)", func(on bool) { c.setActive(on) })
	c.propBtn = widget.NewButton("Propagate", c.propagate)
	c.hint = widget.NewLabel("click: include · Shift+click: exclude · drag: box")
	c.hint.TextStyle = fyne.TextStyle{Italic: true}
	choose := widget.NewButton("Folder…", func() {
		ws.chooseFolderFor("SAM export folder (encoder.onnx, decoder.onnx)", c.addDir)
	})
	c.box = container.NewVBox(
		widget.NewLabelWithStyle("Segment from clicks", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, choose, c.sel),
		container.NewGridWithColumns(2, c.toggle, c.propBtn),
		c.hint,
	)
	c.coalesce = sam.NewCoalescer(c.decode)
	c.scan()
	return c
}

func (c *clickPanel) scan() {
	for _, d := range sam.FindExports(inference.ModelDirs(c.ws.modelsDir)) {
		c.addDir(d)
	}
}

func (c *clickPanel) addDir(d string) { addFolderOption(c.sel, d) }

// openModel opens (or reuses) the chosen export; off the UI goroutine.
func (c *clickPanel) openModel(dir, device string) (*sam.Model, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.model != nil && c.modelOf == dir {
		return c.model, nil
	}
	rt := c.ws.ai.rt
	if rt == nil {
		return nil, errors.New("ONNX Runtime is not loaded: SAM cannot run")
	}
	m, err := sam.OpenFolder(rt, dir, device, 0)
	if err != nil {
		return nil, err
	}
	if c.model != nil {
		c.model.Close()
	}
	c.model, c.modelOf = m, dir
	c.cache = sam.NewCache(512 << 20)
	return m, nil
}

// session is the prompting session for the open study, the given plane
// and the window now shown.
func (c *clickPanel) session(m *sam.Model, vol *viewer.Volume, p viewer.Plane, w viewer.Window) (*sam.Session, error) {
	c.mu.Lock()
	cache := c.cache
	c.mu.Unlock()
	return sam.NewSession(m, vol, p, w, cache)
}

// setActive turns the click tool on (every view takes clicks and drags)
// or off (the editor's tool again), and starts encoding the slice in view.
func (c *clickPanel) setActive(on bool) {
	ws := c.ws
	if on == c.active {
		return
	}
	c.gen++
	if c.prefetch != nil {
		c.prefetch()
		c.prefetch = nil
	}
	if !on {
		c.active = false
		ws.editor.setMode(ws.editor.mode)
		return
	}
	if ws.studyLoading() {
		c.toggle.SetChecked(false)
		return
	}
	if ws.scene == nil || ws.scene.Volume == nil || c.sel.Selected == "" {
		c.toggle.SetChecked(false)
		ws.showError(errors.New("open a study and choose a SAM export (Folder…) first"))
		return
	}
	c.active = true
	c.prompt = sam.Prompt{}
	for _, v := range ws.views {
		if v != nil {
			v.Tool = &clickTool{c: c}
		}
	}
	c.startPrefetch()
	ws.status.SetText("Click tool: click to include, Shift+click to exclude, drag a box; Enter accepts the mask, Esc rejects")
}

// startPrefetch encodes the slice in view, then its neighbours, in the
// background, so the first click costs only the decoder.
func (c *clickPanel) startPrefetch() {
	ws := c.ws
	plane, k := viewer.Axial, ws.scene.Cursor[2]
	if ws.active != nil {
		l := ws.active.Viewport().Layout()
		plane, k = l.Plane, ws.scene.Cursor[l.NormalAxis]
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.prefetch = cancel
	dir, device, vol, win := c.sel.Selected, ws.ai.deviceSel.Selected, ws.scene.Volume, ws.scene.LUT.Window()
	go func() {
		m, err := c.openModel(dir, device)
		if err != nil {
			do(func() { ws.status.SetText("SAM: " + err.Error()) })
			return
		}
		s, err := c.session(m, vol, plane, win)
		if err != nil {
			return
		}
		for _, d := range []int{0, 1, -1, 2, -2} {
			if ctx.Err() != nil {
				return
			}
			if kk := k + d; kk >= 0 && kk < s.Layout.Slices {
				_, _ = s.Embedding(ctx, kk)
			}
		}
	}()
}

// clickTool turns gestures on a view into prompts.
type clickTool struct {
	c *clickPanel
}

func (t *clickTool) Press(v *SliceView, e ToolEvent)   {}
func (t *clickTool) Drag(v *SliceView, e ToolEvent)    {}
func (t *clickTool) Release(v *SliceView, e ToolEvent) { t.c.boxFrom(v, e) }
func (t *clickTool) Click(v *SliceView, e ToolEvent)   { t.c.click(v, e) }

// where maps a screen position of a view to its plane, slice and slice
// coordinates (pixel centre).
func where(v *SliceView, x, y float64) (viewer.Plane, int, float64, float64, bool) {
	idx, ok := v.Viewport().ScreenToVoxel(x, y)
	if !ok {
		return 0, 0, 0, 0, false
	}
	l := v.Viewport().Layout()
	k, px, py := l.Pixel(idx)
	return l.Plane, k, float64(px) + 0.5, float64(py) + 0.5, true
}

func (c *clickPanel) click(v *SliceView, e ToolEvent) {
	p, k, x, y, ok := where(v, e.X, e.Y)
	if !ok {
		return
	}
	if p != c.plane || k != c.slice {
		c.prompt = sam.Prompt{}
	}
	c.plane, c.slice = p, k
	c.prompt.Points = append(c.prompt.Points, sam.Point{X: x, Y: y, FG: e.Modifier&fyne.KeyModifierShift == 0})
	c.submit()
}

func (c *clickPanel) boxFrom(v *SliceView, e ToolEvent) {
	if math.Hypot(e.X-e.StartX, e.Y-e.StartY) < 4*math.Max(e.Scale, 1) {
		return // a click, not a box
	}
	p, k, x0, y0, ok1 := where(v, e.StartX, e.StartY)
	_, k1, x1, y1, ok2 := where(v, e.X, e.Y)
	if !ok1 || !ok2 || k1 != k {
		return
	}
	c.plane, c.slice = p, k
	b := [4]float64{math.Min(x0, x1) - 0.5, math.Min(y0, y1) - 0.5, math.Max(x0, x1) + 0.5, math.Max(y0, y1) + 0.5}
	c.prompt = sam.Prompt{Box: &b}
	c.submit()
}

// submitted is one prompt with what it needs to run off the UI goroutine.
type submitted struct {
	gen          int
	dir, device  string
	vol          *viewer.Volume
	win          viewer.Window
	plane        viewer.Plane
	slice        int
	prompt       sam.Prompt
	studyLoadGen int
}

func (c *clickPanel) submit() {
	c.submitState()
	c.coalesce.Submit(c.pending)
}

// decode runs on the coalescer's goroutine: the latest prompt's mask.
func (c *clickPanel) decode(job submitted) {
	m, err := c.openModel(job.dir, job.device)
	if err != nil {
		do(func() { c.ws.status.SetText("SAM: " + err.Error()) })
		return
	}
	s, err := c.session(m, job.vol, job.plane, job.win)
	if err != nil {
		return
	}
	mask, score, err := s.Segment(context.Background(), job.slice, job.prompt)
	do(func() {
		if job.gen != c.gen || c.ws.scene == nil || c.ws.scene.Volume != job.vol || c.ws.loadGen != job.studyLoadGen {
			return // the tool or the study changed meanwhile
		}
		if err != nil {
			c.ws.status.SetText("SAM: " + err.Error())
			return
		}
		c.show(s.Layout, map[int][]uint8{job.slice: mask}, fmt.Sprintf("SAM (slice %d)", job.slice+1))
		c.ws.status.SetText(fmt.Sprintf("SAM mask on slice %d: score %.2f — Enter accepts, Esc rejects, Propagate carries it on", job.slice+1, score))
	})
}

// show puts masks into the prediction layer, replacing the tool's last.
func (c *clickPanel) show(l viewer.SliceLayout, masks map[int][]uint8, name string) {
	ws := c.ws
	lm, err := viewer.NewLabelMap(ws.scene.Volume.Geometry, 1)
	if err != nil {
		ws.showError(err)
		return
	}
	_ = lm.Table.Set(viewer.Label{ID: 1, Name: "prompted", Colour: viewer.DefaultLabelColours()[1], Visible: true})
	n := 0
	for k, mask := range masks {
		n += lm.PaintSlice(l, k, mask, 1)
	}
	if c.pred != nil {
		ws.preds.drop(c.pred)
	}
	if n == 0 {
		c.pred = nil
		return
	}
	c.pred = &prediction{name: name, labels: lm, counts: map[int]int{1: n}}
	ws.preds.preds = append(ws.preds.preds, c.pred)
	ws.preds.setCurrent(c.pred)
}

// propagate carries the last prompt through the neighbouring slices as a
// job (progress, Cancel), until the mask vanishes.
func (c *clickPanel) propagate() {
	ws := c.ws
	if len(c.prompt.Points) == 0 && c.prompt.Box == nil {
		ws.showError(errors.New("click or drag a box on a slice first (Click tool, S)"))
		return
	}
	c.submitState()
	job := c.pending
	ws.ai.runner.Submit("SAM propagate", ws.title, func(ctx context.Context, j *inference.Job) (any, error) {
		m, err := c.openModel(job.dir, job.device)
		if err != nil {
			return nil, err
		}
		s, err := c.session(m, job.vol, job.plane, job.win)
		if err != nil {
			return nil, err
		}
		done := 0
		masks, err := s.Propagate(ctx, job.slice, job.prompt, 0, func(k int) {
			done++
			j.Progress(fmt.Sprintf("slice %d", k+1), math.Min(0.95, float64(done)/float64(s.Layout.Slices)))
		})
		if err != nil {
			return nil, err
		}
		return propagated{layout: s.Layout, masks: masks}, nil
	}, func(j *inference.Job) {
		do(func() {
			ws.jobs.refresh()
			res, err := j.Result()
			if err != nil {
				ws.status.SetText("SAM propagate: " + err.Error())
				return
			}
			if ws.scene == nil || ws.scene.Volume != job.vol || ws.loadGen != job.studyLoadGen {
				return
			}
			pr := res.(propagated)
			c.show(pr.layout, pr.masks, fmt.Sprintf("SAM propagated (%d slices)", len(pr.masks)))
			ws.status.SetText(fmt.Sprintf("SAM propagated the prompt through %d slice(s) — Enter accepts, Esc rejects", len(pr.masks)))
		})
	})
	ws.jobs.refresh()
}

type propagated struct {
	layout viewer.SliceLayout
	masks  map[int][]uint8
}

// submitState records the current prompt with what running it needs.
func (c *clickPanel) submitState() {
	ws := c.ws
	p := c.prompt
	p.Points = append([]sam.Point(nil), p.Points...)
	c.pending = submitted{gen: c.gen, dir: c.sel.Selected, device: ws.ai.deviceSel.Selected, vol: ws.scene.Volume,
		win: ws.scene.LUT.Window(), plane: c.plane, slice: c.slice, prompt: p, studyLoadGen: ws.loadGen}
}

// reset forgets the prompt and the tool's prediction (a new study opened)
// and turns the tool off.
func (c *clickPanel) reset() {
	c.gen++
	c.prompt, c.pred = sam.Prompt{}, nil
	if c.active {
		c.toggle.SetChecked(false)
	}
}
