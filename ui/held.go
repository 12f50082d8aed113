package ui

import (
	"fmt"
	"path/filepath"
	"sort"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/edit"
	"delineate/viewer/nifti"
)

// heldPrediction is a prediction a project case holds on disk (pulled
// from Label Studio, say), shown for review when the case opens.
type heldPrediction struct {
	rel, path, name, source string
}

// loadHeld reads the open case's held predictions in the background and
// puts each in the prediction layer, on the image's grid.
func (ws *Workstation) loadHeld() {
	held := ws.pendingHeld
	ws.pendingHeld = nil
	sc := ws.scene
	if sc == nil || len(held) == 0 {
		return
	}
	var table viewer.LabelTable
	if p := ws.worklist.proj; p != nil {
		table = *p.Table()
	}
	for _, h := range held {
		go func(h heldPrediction) {
			lm, counts, err := readPrediction(h.path, sc.Volume.Geometry)
			do(func() {
				if ws.scene != sc {
					return
				}
				if err != nil {
					ws.status.SetText(fmt.Sprintf("Held prediction %s: %v", filepath.Base(h.path), err))
					return
				}
				lm.Table = table
				pr := &prediction{name: h.name, labels: lm, counts: counts, held: h.rel, source: h.source}
				ws.preds.preds = append(ws.preds.preds, pr)
				ws.preds.setCurrent(pr)
				ws.status.SetText(fmt.Sprintf("%s holds a prediction to review: %s (AI tab; Enter accepts, Esc rejects)", ws.worklist.current, h.source))
			})
		}(h)
	}
}

func readPrediction(path string, g viewer.Geometry) (*viewer.LabelMap, map[int]int, error) {
	v, err := nifti.Read(path)
	if err != nil {
		return nil, nil, err
	}
	minSp := min(g.Spacing[0], g.Spacing[1], g.Spacing[2])
	al, err := viewer.AlignTo(g, v, 0.01*minSp)
	if err != nil {
		return nil, nil, err
	}
	lm, err := viewer.LabelMapFromVolume(al)
	if err != nil {
		return nil, nil, err
	}
	counts := map[int]int{}
	for i := 0; i < lm.Volume.Data.Len(); i++ {
		if id := int(lm.Volume.Data.At(i)); id != 0 {
			counts[id]++
		}
	}
	return lm, counts, nil
}

// recordHeld notes what became of a held prediction: the changes its
// acceptance made (ch, nil for none) are a person's edits in the case's
// provenance (a Label Studio annotator's, as its source says); once it is
// settled (all of it accepted, or rejected) the case no longer holds it.
func (w *worklist) recordHeld(pr *prediction, ch *edit.Change, settled bool) {
	if w.proj == nil || w.current == "" || w.proj.ReadOnly() != "" {
		return
	}
	c := w.proj.Case(w.current)
	if c == nil {
		return
	}
	w.proj.Update(func() {
		if ch != nil {
			touched := ch.Touched()
			for _, id := range sortedIDs(touched) {
				c.RecordEdit(project.Edit{Tool: "accepted: " + pr.source, Label: id, Voxels: touched[id]})
			}
		}
		if settled {
			kept := c.Predictions[:0]
			for _, h := range c.Predictions {
				if h.Path != pr.held {
					kept = append(kept, h)
				}
			}
			c.Predictions = kept
		}
	})
	w.saveProjectNow()
}

func sortedIDs(m map[int]int) []int {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// saveProjectNow writes the project file now (with the labels, when they
// changed since the last autosave), in the background.
func (w *worklist) saveProjectNow() {
	e := w.ws.editor
	if e.labels != nil && e.history.Version() != w.saved {
		w.autosave()
		return
	}
	proj := w.proj
	go func() {
		if err := proj.Save(); err != nil {
			do(func() { w.ws.showError(fmt.Errorf("saving the project: %w", err)) })
		}
	}()
}
