package inference

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Validator asks the runtime whether it accepts a network file (ONNX
// Runtime creates a session from it).
type Validator interface {
	Validate(path string) error
}

// Finding is one result of a model check.
type Finding struct {
	Level   string `json:"level"` // ok, warning, error
	What    string `json:"what"`
	Message string `json:"message"`
}

// CheckReport is the result of `delineate models check`.
type CheckReport struct {
	Model    string    `json:"model"`
	Dir      string    `json:"dir"`
	OK       bool      `json:"ok"`
	Findings []Finding `json:"findings"`
}

// CheckModel validates a description against its files: sha256 of every
// file, the ONNX graph's inputs and outputs (names, rank, type, channel
// and class counts, fixed sizes against the tiling), the receptive field
// against overlap tiling, the graph's label metadata against the
// description's labels, and whether the runtime accepts the file. Each
// difference is said precisely.
func CheckModel(dir string, v Validator) *CheckReport {
	r := &CheckReport{Dir: dir}
	add := func(level, what, format string, args ...any) {
		r.Findings = append(r.Findings, Finding{level, what, fmt.Sprintf(format, args...)})
	}
	m, err := LoadModel(dir)
	if err != nil {
		add("error", "description", "%v", err)
		return r.done()
	}
	r.Model = m.Name
	add("ok", "description", "%s %s (%s), %d classes, %d labels named", m.Name, m.Version, m.Family, m.Output.Classes, len(m.Labels))
	if err := m.VerifyFiles(); err != nil {
		add("error", "files", "%v", strings.TrimPrefix(err.Error(), err.(*DescriptionError).Path+": "))
		return r.done()
	}
	add("ok", "files", "%d file(s), sha256 match", len(m.Files))
	_, path := m.Network()
	runtimeCheck := func() {
		if v == nil {
			add("warning", "runtime", "ONNX Runtime not loaded: not checked whether it accepts the network")
			return
		}
		if err := v.Validate(path); err != nil {
			add("error", "runtime", "%v", err)
		} else {
			add("ok", "runtime", "ONNX Runtime accepts the network")
		}
	}
	ni, g, err := inspectGraph(m, path)
	if err != nil {
		if ge, ok := err.(*GraphError); ok {
			for _, d := range ge.Diffs {
				add("error", "graph", "%s", d)
			}
		} else {
			// The file could not be read as a graph: what ONNX Runtime
			// says of it tells a truncated download from a newer format.
			add("error", "graph", "%v", err)
			runtimeCheck()
		}
		return r.done()
	}
	add("ok", "graph", "input %q %s, output %q %s", m.Input.Name, dimsString(*findValue(g.Inputs, m.Input.Name)), m.Output.Name, dimsString(*findValue(g.Outputs, m.Output.Name)))
	if ni.Fixed != [3]int{} {
		ax, _ := ParseAxes(m.Input.Axes)
		switch m.Tiling.Mode {
		case "sliding":
			for t := 0; t < 3; t++ {
				if ni.Fixed[t] > 0 && ni.Fixed[t] != m.Tiling.Patch[t] {
					add("error", "tiling", "tiling.patch %v differs from the network's fixed input size %v", m.Tiling.Patch, ni.Fixed)
					break
				}
			}
		default:
			if c := m.Preprocess.Conform; c == nil || c.Dims == nil {
				add("error", "tiling", "the network takes a fixed %v input; give preprocess.conform.dims (volume order) so the grid matches, or use sliding tiling", ni.Fixed)
			} else if vd := ax.ToTensor([3]int{c.Dims[0], c.Dims[1], c.Dims[2]}); vd != ni.Fixed {
				add("error", "tiling", "preprocess.conform.dims %v gives a tensor of %v, the network takes %v", c.Dims, vd, ni.Fixed)
			}
		}
	}
	switch {
	case !ni.Local && m.Tiling.Mode == "overlap":
		add("error", "tiling", "overlap tiling needs a local network, but %s; use \"whole\"", ni.LocalReason)
	case ni.Local && m.Tiling.Mode == "overlap" && m.Tiling.Margin < ni.Radius:
		add("error", "tiling", "tiling.margin %d is less than the receptive-field radius %d", m.Tiling.Margin, ni.Radius)
	case ni.Local:
		add("ok", "receptive field", "fully convolutional, radius %d voxels; %d channels at most", ni.Radius, ni.MaxChannels)
	default:
		add("ok", "receptive field", "not local (%s): the network needs the whole volume", ni.LocalReason)
	}
	if s, ok := g.Metadata["labels"]; ok {
		var names []string
		if json.Unmarshal([]byte(s), &names) == nil {
			if len(names) != m.Output.Classes {
				add("warning", "labels", "the ONNX metadata names %d classes, the description %d", len(names), m.Output.Classes)
			}
			t := m.Table()
			var diff []string
			for id := 1; id < len(names); id++ {
				if l, ok := t.Get(id); ok && !sameName(l.Name, names[id]) {
					diff = append(diff, fmt.Sprintf("%d: %q vs %q", id, l.Name, names[id]))
				}
			}
			if len(diff) > 0 {
				add("warning", "labels", "names differ from the ONNX metadata (description vs file): %s", strings.Join(firstN(diff, 5), ", "))
			} else {
				add("ok", "labels", "names agree with the ONNX metadata")
			}
		}
	}
	runtimeCheck()
	return r.done()
}

func (r *CheckReport) done() *CheckReport {
	r.OK = true
	for _, f := range r.Findings {
		if f.Level == "error" {
			r.OK = false
		}
	}
	return r
}

func sameName(a, b string) bool {
	n := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '_' || r == '-' {
				return ' '
			}
			return r
		}, strings.ToLower(strings.TrimSpace(s)))
	}
	return n(a) == n(b)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… %d more", len(s)-n))
	}
	return s
}
