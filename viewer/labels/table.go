package labels

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"delineate/viewer"
)

// ReadTable reads a label table from path, detecting the format from the
// content: an ITK-SNAP label description file, a 3D Slicer colour table
// (.ctbl/.txt) or JSON (an {"id": "name"} object or a list of
// {"id", "name", "color"} objects). Id 0 (background, ITK-SNAP's
// "Clear Label") is skipped.
func ReadTable(path string) (*viewer.LabelTable, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Format names a label table file format.
type Format int

// Label table formats Parse understands.
const (
	FormatUnknown Format = iota
	FormatITKSNAP
	FormatSlicer
	FormatJSON
)

func (f Format) String() string {
	switch f {
	case FormatITKSNAP:
		return "ITK-SNAP"
	case FormatSlicer:
		return "Slicer"
	case FormatJSON:
		return "JSON"
	}
	return "unknown"
}

// Detect guesses the format of a label table from its content.
func Detect(data []byte) Format {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return FormatJSON
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.ContainsRune(line, '"') {
			return FormatITKSNAP
		}
		return FormatSlicer
	}
	return FormatUnknown
}

// Parse reads a label table in any format ReadTable understands. Errors
// name the offending line.
func Parse(data []byte) (*viewer.LabelTable, error) {
	switch Detect(data) {
	case FormatJSON:
		return parseJSON(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	case FormatITKSNAP:
		return parseLines(data, parseITKSNAPLine)
	case FormatSlicer:
		t, err := parseLines(data, parseSlicerLine)
		if err != nil {
			return nil, err
		}
		// FreeSurfer-style tables (FreeSurferColorLUT.txt, which Slicer also
		// reads) put 0 in the last column for every entry, meaning opaque.
		opaque := false
		for _, l := range t.Labels {
			opaque = opaque || l.Colour.A != 0
		}
		if !opaque {
			for i := range t.Labels {
				t.Labels[i].Colour.A = 255
			}
		}
		return t, nil
	}
	return nil, errors.New("no label entries (empty file or only comments)")
}

// builder collects entries, rejecting duplicate ids.
type builder struct {
	t    viewer.LabelTable
	line map[int]int // id → line it was defined on
}

func (b *builder) add(l viewer.Label, line int) error {
	if l.ID < 0 || l.ID > viewer.MaxLabelID {
		return fmt.Errorf("line %d: label id %d outside 0..%d", line, l.ID, viewer.MaxLabelID)
	}
	if b.line == nil {
		b.line = map[int]int{}
	}
	if prev, dup := b.line[l.ID]; dup {
		return fmt.Errorf("line %d: label id %d already defined on line %d", line, l.ID, prev)
	}
	b.line[l.ID] = line
	if l.ID == 0 {
		return nil // background
	}
	l.Name = cleanName(l.Name)
	return b.t.Set(l)
}

// cleanName returns name as UTF-8: files that are not (old ITK-SNAP and
// Slicer tables written on Windows) are read as Latin-1.
func cleanName(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		sb.WriteRune(rune(s[i]))
	}
	return sb.String()
}

func parseLines(data []byte, parse func(line string, n int) (viewer.Label, error)) (*viewer.LabelTable, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var b builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		l, err := parse(line, n)
		if err != nil {
			return nil, err
		}
		if err := b.add(l, n); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return &b.t, nil
}

// parseITKSNAPLine reads `IDX -R- -G- -B- -A-- VIS MSH "LABEL"`.
func parseITKSNAPLine(line string, n int) (viewer.Label, error) {
	q := strings.IndexByte(line, '"')
	e := strings.LastIndexByte(line, '"')
	if q < 0 || e == q {
		return viewer.Label{}, fmt.Errorf("line %d: ITK-SNAP entry needs a quoted label name: %q", n, clip(line))
	}
	if rest := strings.TrimSpace(line[e+1:]); rest != "" {
		return viewer.Label{}, fmt.Errorf("line %d: unexpected %q after the label name", n, clip(rest))
	}
	f := strings.Fields(line[:q])
	if len(f) != 7 {
		return viewer.Label{}, fmt.Errorf("line %d: ITK-SNAP entry has %d numbers before the name, want 7 (IDX R G B A VIS MSH)", n, len(f))
	}
	id, err := parseID(f[0], n)
	if err != nil {
		return viewer.Label{}, err
	}
	var rgb [3]uint8
	for c := 0; c < 3; c++ {
		if rgb[c], err = parseByte(f[1+c], "RGB"[c:c+1], n); err != nil {
			return viewer.Label{}, err
		}
	}
	a, err := strconv.ParseFloat(f[4], 64)
	if err != nil || !(a >= 0 && a <= 1) {
		return viewer.Label{}, fmt.Errorf("line %d: opacity %q is not a number in 0..1", n, clip(f[4]))
	}
	vis, err := parseFlag(f[5], "VIS", n)
	if err != nil {
		return viewer.Label{}, err
	}
	if _, err := parseFlag(f[6], "MSH", n); err != nil {
		return viewer.Label{}, err
	}
	return viewer.Label{
		ID:      id,
		Name:    line[q+1 : e],
		Colour:  color.RGBA{rgb[0], rgb[1], rgb[2], uint8(math.Round(a * 255))},
		Visible: vis,
	}, nil
}

// parseSlicerLine reads `id name R G B A` (A 0..255; names without spaces).
func parseSlicerLine(line string, n int) (viewer.Label, error) {
	f := strings.Fields(line)
	if len(f) != 6 {
		return viewer.Label{}, fmt.Errorf("line %d: colour table entry has %d fields, want 6 (id name R G B A): %q", n, len(f), clip(line))
	}
	id, err := parseID(f[0], n)
	if err != nil {
		return viewer.Label{}, err
	}
	var c [4]uint8
	for i := 0; i < 4; i++ {
		if c[i], err = parseByte(f[2+i], "RGBA"[i:i+1], n); err != nil {
			return viewer.Label{}, err
		}
	}
	return viewer.Label{ID: id, Name: f[1], Colour: color.RGBA{c[0], c[1], c[2], c[3]}, Visible: true}, nil
}

func parseID(s string, n int) (int, error) {
	id, err := strconv.Atoi(s)
	if err != nil || id < 0 || id > viewer.MaxLabelID {
		return 0, fmt.Errorf("line %d: label id %q is not an integer in 0..%d", n, clip(s), viewer.MaxLabelID)
	}
	return id, nil
}

func parseByte(s, what string, n int) (uint8, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > 255 {
		return 0, fmt.Errorf("line %d: %s value %q is not an integer in 0..255", n, what, clip(s))
	}
	return uint8(v), nil
}

func parseFlag(s, what string, n int) (bool, error) {
	switch s {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("line %d: %s flag %q is not 0 or 1", n, what, clip(s))
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// jsonEntry is one element of the JSON list form.
type jsonEntry struct {
	ID      *int            `json:"id"`
	Name    *string         `json:"name"`
	Color   json.RawMessage `json:"color,omitempty"`
	Colour  json.RawMessage `json:"colour,omitempty"`
	Visible *bool           `json:"visible,omitempty"`
	Locked  bool            `json:"locked,omitempty"`
}

func parseJSON(data []byte) (*viewer.LabelTable, error) {
	lineAt := func(off int64) int {
		off = min(max(off, 0), int64(len(data)))
		return 1 + bytes.Count(data[:off], []byte("\n"))
	}
	// startAt is the line where the next value starts after off.
	startAt := func(off int64) int { return lineAt(int64(skipSpace(data, off))) }
	wrap := func(err error, off int64) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		return fmt.Errorf("line %d: %v", lineAt(off), err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, wrap(err, dec.InputOffset())
	}
	def := viewer.DefaultLabelColours()
	var b builder
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			off := dec.InputOffset()
			kt, err := dec.Token()
			if err != nil {
				return nil, wrap(err, off)
			}
			key, _ := kt.(string)
			line := startAt(off)
			id, err := strconv.Atoi(strings.TrimSpace(key))
			if err != nil || id < 0 || id > viewer.MaxLabelID {
				return nil, fmt.Errorf("line %d: key %q is not a label id in 0..%d", line, clip(key), viewer.MaxLabelID)
			}
			var name string
			voff := dec.InputOffset()
			if err := dec.Decode(&name); err != nil {
				return nil, wrap(err, int64(skipSpace(data, voff)))
			}
			if err := b.add(viewer.Label{ID: id, Name: name, Colour: def.Colour(id), Visible: true}, line); err != nil {
				return nil, err
			}
		}
	case json.Delim('['):
		for dec.More() {
			off := dec.InputOffset()
			var e jsonEntry
			if err := dec.Decode(&e); err != nil {
				return nil, wrap(err, int64(skipSpace(data, off)))
			}
			line := startAt(off)
			if e.ID == nil {
				return nil, fmt.Errorf("line %d: entry has no \"id\"", line)
			}
			if *e.ID < 0 || *e.ID > viewer.MaxLabelID {
				return nil, fmt.Errorf("line %d: label id %d outside 0..%d", line, *e.ID, viewer.MaxLabelID)
			}
			l := viewer.Label{ID: *e.ID, Colour: def.Colour(*e.ID), Visible: true, Locked: e.Locked}
			if e.Name != nil {
				l.Name = *e.Name
			}
			if e.Visible != nil {
				l.Visible = *e.Visible
			}
			raw := e.Color
			if raw == nil {
				raw = e.Colour
			}
			if raw != nil && string(raw) != "null" {
				c, err := parseJSONColour(raw)
				if err != nil {
					return nil, fmt.Errorf("line %d: label %d: %v", line, l.ID, err)
				}
				l.Colour = c
			}
			if err := b.add(l, line); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("line 1: JSON label table must be an object or a list")
	}
	if _, err := dec.Token(); err != nil { // closing delimiter
		return nil, wrap(err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("line %d: unexpected data after the label table", lineAt(dec.InputOffset()))
	}
	return &b.t, nil
}

// parseJSONColour accepts [r,g,b], [r,g,b,a] (0..255) or "#rrggbb[aa]".
func parseJSONColour(raw json.RawMessage) (color.RGBA, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		h := strings.TrimPrefix(s, "#")
		if len(h) != 6 && len(h) != 8 {
			return color.RGBA{}, fmt.Errorf("colour %q is not #rrggbb or #rrggbbaa", clip(s))
		}
		if len(h) == 6 {
			h += "ff"
		}
		v, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return color.RGBA{}, fmt.Errorf("colour %q is not hexadecimal", clip(s))
		}
		return color.RGBA{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
	}
	var a []json.Number
	if err := json.Unmarshal(raw, &a); err != nil || (len(a) != 3 && len(a) != 4) {
		return color.RGBA{}, fmt.Errorf("colour must be [r,g,b], [r,g,b,a] or \"#rrggbb\"")
	}
	c := [4]uint8{3: 255}
	for i, x := range a {
		v, err := strconv.Atoi(x.String())
		if err != nil || v < 0 || v > 255 {
			return color.RGBA{}, fmt.Errorf("colour component %s is not an integer in 0..255", clip(x.String()))
		}
		c[i] = uint8(v)
	}
	return color.RGBA{c[0], c[1], c[2], c[3]}, nil
}

// WriteITKSNAP writes t as an ITK-SNAP label description file, with the
// "Clear Label" entry ITK-SNAP expects first.
func WriteITKSNAP(w io.Writer, t *viewer.LabelTable) error {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, "################################################\n"+
		"# ITK-SnAP Label Description File\n"+
		"# Written by Delineate\n"+
		"# Columns = Index, Red, Green, Blue, Label opacity (0..1),\n"+
		"#           Label visibility, Mesh visibility, Label description\n"+
		"################################################\n")
	fmt.Fprintf(bw, "%5d %5d %4d %4d %8.6g %2d %2d    %q\n", 0, 0, 0, 0, 0.0, 0, 0, "Clear Label")
	for _, l := range t.Labels {
		if strings.ContainsAny(l.Name, "\r\n") || !utf8.ValidString(l.Name) {
			return fmt.Errorf("label %d: name %q cannot be written to an ITK-SNAP file", l.ID, clip(l.Name))
		}
		vis := 0
		if l.Visible {
			vis = 1
		}
		c := l.Colour
		// %.6g of A/255 round-trips: 255 steps are 0.0039 apart.
		fmt.Fprintf(bw, "%5d %5d %4d %4d %8.6g %2d %2d    \"%s\"\n",
			l.ID, c.R, c.G, c.B, float64(c.A)/255, vis, vis, l.Name)
	}
	return bw.Flush()
}

// WriteJSON writes t as a JSON list of {"id", "name", "color": [r,g,b,a],
// "visible", "locked"} objects, which ReadTable reads back exactly.
func WriteJSON(w io.Writer, t *viewer.LabelTable) error {
	type entry struct {
		ID      int      `json:"id"`
		Name    string   `json:"name"`
		Color   [4]uint8 `json:"color"`
		Visible bool     `json:"visible"`
		Locked  bool     `json:"locked,omitempty"`
	}
	out := make([]entry, 0, len(t.Labels))
	for _, l := range t.Labels {
		c := l.Colour
		out = append(out, entry{l.ID, l.Name, [4]uint8{c.R, c.G, c.B, c.A}, l.Visible, l.Locked})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// skipSpace returns the offset of the first byte at or after off that is
// not JSON whitespace, a comma or a colon.
func skipSpace(data []byte, off int64) int {
	i := int(min(max(off, 0), int64(len(data))))
	for i < len(data) && strings.IndexByte(" \t\r\n,:", data[i]) >= 0 {
		i++
	}
	return i
}
