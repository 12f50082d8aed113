package inference

import (
	"fmt"
	"strings"

	"delineate/inference/onnx"
)

// GraphError is a model description that does not match its ONNX file.
type GraphError struct {
	Model string
	Diffs []string
}

func (e *GraphError) Error() string {
	return fmt.Sprintf("model %s does not match its ONNX file: %s", e.Model, strings.Join(e.Diffs, "; "))
}

// inspectGraph reads the network's graph and compares it with the
// description: input and output names, ranks and element types, fixed
// sizes, the class count. It returns what the tiler needs.
func inspectGraph(m *Model, path string) (netInfo, *onnx.Model, error) {
	g, err := onnx.ReadFile(path)
	if err != nil {
		return netInfo{}, nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	var ni netInfo
	var diffs []string
	in := findValue(g.Inputs, m.Input.Name)
	if in == nil {
		diffs = append(diffs, fmt.Sprintf("input %q: the ONNX file has no such input (it has %s)", m.Input.Name, valueNames(g.Inputs)))
	} else {
		diffs = append(diffs, checkTensor("input", *in, m.Input.Channels, "channels")...)
		if len(in.Shape) == 5 {
			for t := 0; t < 3; t++ {
				if d := in.Shape[2+t]; d.Value > 0 {
					ni.Fixed[t] = int(d.Value)
				}
			}
		}
	}
	out := findValue(g.Outputs, m.Output.Name)
	if out == nil {
		diffs = append(diffs, fmt.Sprintf("output %q: the ONNX file has no such output (it has %s)", m.Output.Name, valueNames(g.Outputs)))
	} else {
		diffs = append(diffs, checkTensor("output", *out, m.Output.Classes, "classes")...)
	}
	if len(diffs) > 0 {
		return ni, g, &GraphError{Model: m.Name, Diffs: diffs}
	}
	rf := g.ReceptiveField()
	ni.Known = true
	ni.Local = rf.Local
	ni.LocalReason = rf.Reason
	for _, r := range rf.Radius {
		ni.Radius = max(ni.Radius, r)
	}
	ni.MaxChannels = hiddenChannels(g)
	for _, n := range g.Nodes {
		switch n.Op {
		case "InstanceNormalization", "GroupNormalization", "LayerNormalization", "ReduceMean":
			ni.Norm = true
		}
	}
	return ni, g, nil
}

// hiddenChannels is the widest convolution inside the network: the
// output layer's K channels are counted separately by the memory
// estimate, so a final convolution producing a graph output is left out.
// It falls back to the graph's widest convolution when no other is seen.
func hiddenChannels(g *onnx.Model) int {
	out := map[string]bool{}
	for _, o := range g.Outputs {
		out[o.Name] = true
	}
	best := 0
	for _, n := range g.Nodes {
		if n.Domain != "" || n.Op != "Conv" || len(n.Inputs) < 2 || len(n.Outputs) == 0 || out[n.Outputs[0]] {
			continue
		}
		if d, ok := g.Initializers[n.Inputs[1]]; ok && len(d) > 0 {
			best = max(best, int(min(d[0], 1<<20)))
		}
	}
	if best == 0 {
		return g.MaxChannels()
	}
	return best
}

func findValue(vs []onnx.ValueInfo, name string) *onnx.ValueInfo {
	for i := range vs {
		if vs[i].Name == name {
			return &vs[i]
		}
	}
	return nil
}

func valueNames(vs []onnx.ValueInfo) string {
	var s []string
	for _, v := range vs {
		s = append(s, fmt.Sprintf("%q %s", v.Name, dimsString(v)))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func dimsString(v onnx.ValueInfo) string {
	if !v.HasShape {
		return "[?]"
	}
	var p []string
	for _, d := range v.Shape {
		switch {
		case d.Value > 0:
			p = append(p, fmt.Sprint(d.Value))
		case d.Param != "":
			p = append(p, d.Param)
		default:
			p = append(p, "?")
		}
	}
	return "[" + strings.Join(p, ",") + "]"
}

// checkTensor compares a 3D-volume tensor [N, C, D, H, W] with what the
// description says of it.
func checkTensor(role string, v onnx.ValueInfo, channels int, what string) []string {
	var d []string
	if v.ElemTypeName() != "float32" {
		d = append(d, fmt.Sprintf("%s %q is %s, the runner feeds and reads float32", role, v.Name, v.ElemTypeName()))
	}
	if v.HasShape && len(v.Shape) != 5 {
		d = append(d, fmt.Sprintf("%s %q has rank %d %s; a 3D segmentation network takes [N, C, D, H, W] (rank 5)", role, v.Name, len(v.Shape), dimsString(v)))
		return d
	}
	if v.HasShape {
		if c := v.Shape[1].Value; c > 0 && int(c) != channels {
			d = append(d, fmt.Sprintf("%s %q has %d %s, the description says %d", role, v.Name, c, what, channels))
		}
		if n := v.Shape[0].Value; n > 1 {
			d = append(d, fmt.Sprintf("%s %q has a fixed batch of %d; the runner sends one volume at a time", role, v.Name, n))
		}
	}
	return d
}
