package inference

import (
	"context"
	"fmt"
	"strings"
	"time"

	"delineate/inference/builtin"
	"delineate/viewer"
)

// BuiltinPrefix marks a built-in model reference: builtin:ct-tissue.
const BuiltinPrefix = "builtin:"

// BuiltinNames lists the built-in models.
var BuiltinNames = []string{"ct-tissue"}

// BuiltinModel is the description of a built-in segmenter: no network
// file, no GPU, run as a job like any model.
func BuiltinModel(name string) (*Model, error) {
	name = strings.TrimPrefix(name, BuiltinPrefix)
	switch name {
	case "ct-tissue":
		m := &Model{Name: BuiltinPrefix + name, Title: "CT tissue classes (built-in)", Version: builtin.CTTissueVersion, Family: "builtin",
			Modality: "CT", Licence: "same as Delineate", Source: "delineate/inference/builtin",
			Description: "Body, lungs, fat, soft tissue, bone and air inside the body from HU thresholds, morphology and connected components.",
			Builtin:     name}
		t := builtin.CTTissueTable()
		m.Output.Classes = 1
		for _, l := range t.Labels {
			m.Labels = append(m.Labels, ModelLabel{ID: l.ID, Name: l.Name, Colour: []int{int(l.Colour.R), int(l.Colour.G), int(l.Colour.B)}})
			m.Output.Classes = max(m.Output.Classes, l.ID+1)
		}
		return m, nil
	}
	return nil, fmt.Errorf("unknown built-in model %q (have: %s)", name, strings.Join(BuiltinNames, ", "))
}

func runBuiltin(ctx context.Context, vol *viewer.Volume, m *Model, o RunOptions, pr progress, rep *Report) (*Result, error) {
	start := time.Now()
	rep.Device = DeviceInfo{Requested: o.Device, Used: "cpu", Why: "built-in segmenters run on the CPU"}
	rep.Runtime = "built-in (Go)"
	o.logf("%s on the CPU", m.Name)
	lm, err := builtin.SegmentCT(ctx, vol, func(stage string, f float64) { pr.set(stage, f) })
	if err != nil {
		return nil, err
	}
	rep.Stages = append(rep.Stages, Stage{"segment", time.Since(start).Seconds()})
	rep.Output = GridOf(lm.Volume)
	rep.Output.Modality = ""
	rep.Geometry = checkGrid(vol.Geometry, lm.Geometry)
	rep.countLabels(lm, lm.Table, m.Output.Classes)
	rep.Seconds = time.Since(start).Seconds()
	pr.set("done", 1)
	return &Result{Labels: lm, Report: rep}, nil
}
