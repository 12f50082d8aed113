package labelstudio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// Pulled is one case's annotations, now held by the case as a prediction.
type Pulled struct {
	Case   string `json:"case"`
	Path   string `json:"path"` // relative to the project folder
	Source string `json:"source"`
}

// IntoProject pulls annotations into their project cases. Each case gets
// a prediction to review — its current labels with the annotated slices
// replaced, so accepting it shows exactly what the annotator changed —
// and nothing of the case's own labels is written. Every case is checked
// (known, same grid) before anything is written.
func IntoProject(ctx context.Context, p *project.Project, tasks []Task, local map[string]*Meta) ([]Pulled, *PullSummary, error) {
	if why := p.ReadOnly(); why != "" {
		return nil, nil, fmt.Errorf("cannot pull into the project: %s", why)
	}
	got, sum, err := Pull(tasks, PullOptions{Resolve: resolverOf(p.Labels), Local: local})
	if err != nil {
		return nil, sum, err
	}
	ids := make([]string, 0, len(got))
	for id := range got {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := p.Case(id)
		if c == nil {
			return nil, sum, fmt.Errorf("the tasks name case %s, which %s does not have (nothing was pulled)", id, p.Name)
		}
		if h, err := nifti.ReadHeader(p.Resolve(c.Image)); err == nil {
			if g, err := h.Geometry(); err == nil && g.Dims != got[id].Dims {
				return nil, sum, fmt.Errorf("%s: the tasks were exported from a %v image, the case's image is %v (nothing was pulled)", id, got[id].Dims, g.Dims)
			}
		}
	}
	var out []Pulled
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return out, sum, err
		}
		rv, c := got[id], p.Case(id)
		vol, lab, err := p.LoadCase(ctx, c)
		if err != nil {
			return out, sum, err
		}
		if rv.Dims != vol.Dims {
			return out, sum, fmt.Errorf("%s: the tasks were exported from a %v image, the case's image is %v", id, rv.Dims, vol.Dims)
		}
		labels := make([]uint16, vol.Dims[0]*vol.Dims[1]*vol.Dims[2])
		if lab != nil {
			for i := range labels {
				labels[i] = uint16(lab.Data.At(i))
			}
		}
		if err := rv.Apply(labels); err != nil {
			return out, sum, err
		}
		if err := os.MkdirAll(filepath.Join(p.Dir(), "predictions"), 0o755); err != nil {
			return out, sum, err
		}
		rel := freeName(p, id)
		if err := WriteLabels(p.Resolve(rel), vol.Geometry, labels, false); err != nil {
			return out, sum, err
		}
		src := rv.Source()
		p.Update(func() {
			c.Predictions = append(c.Predictions, project.Prediction{Path: rel, Model: "Label Studio", Source: src})
		})
		out = append(out, Pulled{Case: id, Path: rel, Source: src})
	}
	return out, sum, p.Save()
}

// freeName is the first predictions/CASE_labelstudio_N.nii.gz not taken.
func freeName(p *project.Project, id string) string {
	for n := 1; ; n++ {
		rel := fmt.Sprintf("predictions/%s_labelstudio_%d.nii.gz", id, n)
		if _, err := os.Stat(p.Resolve(rel)); os.IsNotExist(err) {
			return rel
		}
	}
}

func resolverOf(table []project.Label) LabelResolver {
	return func(name string) (int, bool) {
		for _, l := range table {
			if l.Name == name {
				return l.ID, true
			}
		}
		return 0, false
	}
}

// ResolverOf names labels by a project table.
func ResolverOf(table []project.Label) LabelResolver { return resolverOf(table) }

// WriteLabels writes ids (i fastest) as a label map on grid g (uint8 when
// every id fits). nifti.Write is atomic and refuses an existing file
// unless overwrite.
func WriteLabels(path string, g viewer.Geometry, ids []uint16, overwrite bool) error {
	maxID := uint16(0)
	for _, v := range ids {
		maxID = max(maxID, v)
	}
	var data viewer.VoxelData = viewer.Voxels[uint16](ids)
	if maxID < 256 {
		b := make([]uint8, len(ids))
		for i, v := range ids {
			b[i] = uint8(v)
		}
		data = viewer.Voxels[uint8](b)
	}
	return nifti.Write(path, &viewer.Volume{Geometry: g, Data: data}, nifti.WriteOptions{Overwrite: overwrite, Description: "delineate labels from Label Studio"})
}
