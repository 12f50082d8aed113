package yolo

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var nameEntry = regexp.MustCompile(`(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")`)

// ParseNames reads the class names Ultralytics writes into an ONNX
// export's metadata ("names": a Python dict literal such as
// "{0: 'person', 1: 'liver lesion'}"; JSON objects with quoted keys are
// read too). Ids must run 0..n−1.
func ParseNames(s string) ([]string, error) {
	m := map[int]string{}
	for _, g := range nameEntry.FindAllStringSubmatch(s, -1) {
		id, err := strconv.Atoi(g[1])
		if err != nil {
			return nil, err
		}
		name := g[2]
		if name == "" {
			name = g[3]
		}
		if uq, err := strconv.Unquote(`"` + strings.ReplaceAll(name, `\'`, `'`) + `"`); err == nil {
			name = uq
		}
		m[id] = name
	}
	if len(m) == 0 {
		// JSON: {"0": "person"}
		for _, g := range regexp.MustCompile(`"(\d+)"\s*:\s*"((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(s, -1) {
			id, _ := strconv.Atoi(g[1])
			m[id] = g[2]
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("yolo: no class names in %q", trim(s))
	}
	out := make([]string, len(m))
	for id, n := range m {
		if id < 0 || id >= len(m) {
			return nil, fmt.Errorf("yolo: class ids are not 0..%d (id %d)", len(m)-1, id)
		}
		out[id] = n
	}
	return out, nil
}

func trim(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
