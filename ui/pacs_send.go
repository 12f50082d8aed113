package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"delineate/project/pacs"
	"delineate/viewer/dicom"
)

// sendLabelsToPACS is File → Send Labels to PACS…: the labels become a
// DICOM SEG over the open DICOM series (written in the background into
// the cache's outgoing folder), a summary says what will be sent where,
// and Send stores it with STOW-RS in the background, checking that the
// server listed it as stored. Segments carry AUTOMATIC, SEMIAUTOMATIC or
// MANUAL from the project's provenance when a project case is open.
func (ws *Workstation) sendLabelsToPACS() {
	st := ws.study
	if st == nil || ws.scene == nil {
		ws.showError(errors.New("open a DICOM study first"))
		return
	}
	src, ok := st.DICOMSeries(ws.seriesIdx, ws.volumes.current)
	if !ok {
		ws.showError(errors.New("a DICOM SEG needs the source DICOM series: this study is NIfTI; open the DICOM folder (or the study from PACS)"))
		return
	}
	lm := ws.editor.labels
	if lm == nil || ws.studyLoading() {
		ws.showError(errors.New("there are no labels to send: draw or accept some first"))
		return
	}
	if ws.rawStack {
		ws.showError(errors.New("the series is shown as stored (View → Slices as Stored): a SEG is placed on the resampled grid; turn it off first"))
		return
	}
	// Who made each label: the project case's record, else this session's
	// (labels opened from a file have none: SEMIAUTOMATIC).
	opt := dicom.SEGOptions{Table: &lm.Table, Segments: ws.session.Provenance.SEGSegments()}
	if p := ws.worklist.proj; p != nil {
		if c := p.Case(ws.worklist.current); c != nil {
			opt.Segments = c.Provenance.SEGSegments()
		}
	}
	out := filepath.Join(ws.pacsCacheRoot(), "outgoing")
	if err := os.MkdirAll(out, 0o755); err != nil {
		ws.showError(err)
		return
	}
	// A copy of the labels: editing goes on while the SEG is written.
	snap := lm.Clone()
	// Writing takes well under a second; Cancel drops the result.
	var cancelled atomic.Bool
	ws.loading.start("Writing the DICOM SEG", func() { cancelled.Store(true) })
	go func() {
		path := filepath.Join(out, fmt.Sprintf("seg-%d.dcm", time.Now().UnixNano()))
		w, err := dicom.WriteSEG(path, src, snap, opt)
		do(func() {
			ws.loading.stop()
			if cancelled.Load() {
				os.Remove(path)
				ws.status.SetText("Send Labels to PACS cancelled")
				return
			}
			if err != nil {
				ws.showError(err)
				return
			}
			ws.pacsPending = w
			ws.confirmSend(w, src)
		})
	}()
}

// confirmSend shows what the SEG holds and where it goes; Send stores it.
func (ws *Workstation) confirmSend(w *dicom.SEGWritten, src *dicom.Series) {
	var b strings.Builder
	fmt.Fprintf(&b, "DICOM SEG over %q (%d slices): %d segments, %d frames, %.1f MB\n\n",
		src.Description, src.Slices, len(w.Segments), w.Frames, float64(w.Bytes)/1e6)
	for _, sg := range w.Segments {
		alg := sg.AlgorithmType
		if sg.AlgorithmName != "" && sg.AlgorithmType != dicom.AlgorithmManual {
			alg += " (" + sg.AlgorithmName + ")"
		}
		fmt.Fprintf(&b, "  %d  %-24s %s, %d slices, %.2f mL\n", sg.Number, sg.Label, alg, sg.Frames,
			float64(sg.Voxels)*src.Geometry.VoxelML())
	}
	for _, warn := range w.Warnings {
		fmt.Fprintf(&b, "\nwarning: %s", warn)
	}
	text := widget.NewLabel(b.String())
	text.Wrapping = fyne.TextWrapWord
	if ws.pacsFrom != nil {
		// Back where the study came from, by default.
		ws.app.Preferences().SetString("pacs.last", ws.pacsFrom.server.label())
	}
	picker, current := ws.serverPicker(ws.win, nil)
	content := container.NewBorder(nil, container.NewVBox(widget.NewLabel("Send to"), picker), nil, nil, container.NewVScroll(text))
	d := dialog.NewCustomConfirm("Send Labels to PACS", "Send", "Cancel", content, func(ok bool) {
		if !ok {
			os.Remove(w.Path)
			return
		}
		srv, have := current()
		if !have {
			ws.showError(errors.New("no server: add one under File → Open from PACS… → Add…"))
			return
		}
		ws.storeSEG(srv, w)
	}, ws.win)
	d.Resize(fyne.NewSize(700, 460))
	d.Show()
}

// storeSEG sends the written SEG in the background.
func (ws *Workstation) storeSEG(srv pacsServer, w *dicom.SEGWritten) {
	c, err := ws.pacsClient(srv)
	if err != nil {
		ws.showError(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ws.loading.start("Sending the SEG to "+srv.label(), cancel)
	opt := pacs.StoreOptions{Progress: func(p pacs.Progress) {
		do(func() {
			ws.loading.label.SetText(fmt.Sprintf("Sending the SEG to %s: %.1f of %.1f MB", srv.label(), float64(p.Bytes)/1e6, float64(w.Bytes)/1e6))
		})
	}}
	go func() {
		res, err := c.Store(ctx, []string{w.Path}, opt)
		do(func() {
			cancel()
			ws.loading.stop()
			switch {
			case err != nil:
				ws.showError(errors.New(pacsErrorText(err)))
			case len(res.Failed) > 0:
				ws.showError(fmt.Errorf("%s did not store the SEG: %s", srv.label(), res.Failed[0].Reason))
			default:
				os.Remove(w.Path)
				ws.status.SetText(fmt.Sprintf("Stored on %s: SEG %s (%d segments, %d frames)", srv.label(), w.SOPInstanceUID, len(w.Segments), w.Frames))
			}
		})
	}()
}
