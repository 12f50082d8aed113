package nnunet

import (
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"delineate/internal/atomicfile"
	"delineate/project"
	"delineate/viewer"
)

// Import turns an nnU-Net dataset into a new project in dir: v2
// (DatasetNNN_Name, labels name → id) or v1 (TaskNNN_Name, labels id →
// name, "modality"). The label table keeps the dataset's ids and names;
// each training case becomes a case with status done and its label map
// copied into the project; each imagesTs case one with status todo. The
// project's case ids are new sequential ones; the dataset's case name is
// kept in the case's notes. Multi-channel cases keep channel 0 as their
// image (the project holds one image a case).
func Import(dataset, dir string) (*project.Project, error) {
	b, err := os.ReadFile(filepath.Join(dataset, "dataset.json"))
	if err != nil {
		return nil, fmt.Errorf("%s: no dataset.json: %w", dataset, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s/dataset.json: %w", dataset, err)
	}
	ending := ".nii.gz"
	if fe, ok := raw["file_ending"]; ok {
		if err := json.Unmarshal(fe, &ending); err != nil {
			return nil, fmt.Errorf("file_ending: %w", err)
		}
	}
	table, err := importLabels(raw["labels"])
	if err != nil {
		return nil, err
	}
	train, err := trainingCases(dataset, ending)
	if err != nil {
		return nil, err
	}
	var test []Case
	if _, err := os.Stat(filepath.Join(dataset, "imagesTs")); err == nil {
		tmp := filepath.Join(dataset, "imagesTs")
		entries, _ := os.ReadDir(tmp)
		seen := map[string]bool{}
		for _, e := range entries {
			n := e.Name()
			if strings.HasSuffix(n, "_0000"+ending) {
				id := strings.TrimSuffix(n, "_0000"+ending)
				if !seen[id] {
					seen[id] = true
					test = append(test, Case{ID: id, Images: []string{filepath.Join(tmp, n)}})
				}
			}
		}
		sort.Slice(test, func(i, j int) bool { return test[i].ID < test[j].ID })
	}
	if len(train)+len(test) == 0 {
		return nil, fmt.Errorf("%s holds no cases", dataset)
	}
	name := filepath.Base(filepath.Clean(dataset))
	p, err := project.Create(dir, name, table)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*project.Project, error) {
		p.Close()
		return nil, err
	}
	for _, c := range train {
		if len(c.Images) == 0 {
			continue
		}
		pc, err := p.AddCase(c.Images[0], project.Done)
		if err != nil {
			return fail(err)
		}
		pc.Notes = "imported from nnU-Net case " + c.ID
		lab := filepath.Join(dataset, "labelsTr", c.ID+ending)
		if _, err := os.Stat(lab); err != nil {
			pc.Status = project.Todo
			continue
		}
		rel := "labels/" + pc.ID + ending
		if err := os.MkdirAll(filepath.Join(dir, "labels"), 0o755); err != nil {
			return fail(err)
		}
		if err := atomicfile.CopyNew(lab, p.Resolve(rel)); err != nil {
			return fail(err)
		}
		pc.Labels = rel
	}
	for _, c := range test {
		pc, err := p.AddCase(c.Images[0], project.Todo)
		if err != nil {
			return fail(err)
		}
		pc.Notes = "imported from nnU-Net test case " + c.ID
	}
	if err := p.Save(); err != nil {
		return fail(err)
	}
	return p, nil
}

// importLabels reads v2 (name → id) or v1 (id → name) labels into a
// table without background.
func importLabels(b json.RawMessage) (*viewer.LabelTable, error) {
	entries, err := orderedLabels(b)
	if err != nil {
		return nil, err
	}
	colours := viewer.DefaultLabelColours()
	t := &viewer.LabelTable{}
	add := func(id int, name string) error {
		if id == 0 {
			return nil
		}
		var c color.RGBA
		if id < len(colours) {
			c = colours[id]
		}
		return t.Set(viewer.Label{ID: id, Name: name, Colour: c, Visible: true})
	}
	for _, e := range entries {
		switch {
		case e.Invalid != "":
			// v1: "1": "liver"
			id, err := strconv.Atoi(e.Name)
			var name string
			if err != nil || json.Unmarshal([]byte(e.Invalid), &name) != nil {
				return nil, fmt.Errorf("label %q: neither name → id (v2) nor id → name (v1)", e.Name)
			}
			if err := add(id, name); err != nil {
				return nil, err
			}
		case len(e.Values) == 1:
			if err := add(e.Values[0], e.Name); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("label %q is a region %v: region-based datasets cannot become a label table", e.Name, e.Values)
		}
	}
	return t, nil
}
