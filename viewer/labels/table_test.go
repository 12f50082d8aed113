package labels

import (
	"bytes"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"delineate/viewer"
)

const itksnapFixture = `################################################
# ITK-SnAP Label Description File
# File format:
# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
# Fields:
#    IDX:   Zero-based index
#    -A-:   Label transparency (0.00 .. 1.00)
################################################
    0     0    0    0        0  0  0    "Clear Label"
    1   255    0    0        1  1  1    "Label 1"
    2     0  255    0      0.5  0  1    "left kidney (cortex)"
   12    10   20   30        1  1  0    "Ümlaut"
`

func TestParseITKSNAP(t *testing.T) {
	if f := Detect([]byte(itksnapFixture)); f != FormatITKSNAP {
		t.Fatalf("detected %v", f)
	}
	tab, err := Parse([]byte(itksnapFixture))
	if err != nil {
		t.Fatal(err)
	}
	want := []viewer.Label{
		{ID: 1, Name: "Label 1", Colour: color.RGBA{255, 0, 0, 255}, Visible: true},
		{ID: 2, Name: "left kidney (cortex)", Colour: color.RGBA{0, 255, 0, 128}, Visible: false},
		{ID: 12, Name: "Ümlaut", Colour: color.RGBA{10, 20, 30, 255}, Visible: true},
	}
	if !reflect.DeepEqual(tab.Labels, want) {
		t.Errorf("got %+v\nwant %+v", tab.Labels, want)
	}
}

func TestParseITKSNAPLatin1(t *testing.T) {
	tab, err := Parse([]byte("1 1 2 3 1 1 1 \"caf\xe9\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Labels[0].Name != "café" {
		t.Errorf("name %q, want café (Latin-1 read as such)", tab.Labels[0].Name)
	}
}

const slicerFixture = `# Color table file /tmp/GenericAnatomyColors.ctbl
# 4 values
0 Background 0 0 0 0
1 tissue 128 174 128 255
2 bone 241 214 145 255
7 left_kidney 1 2 3 100
`

func TestParseSlicer(t *testing.T) {
	if f := Detect([]byte(slicerFixture)); f != FormatSlicer {
		t.Fatalf("detected %v", f)
	}
	tab, err := Parse([]byte(slicerFixture))
	if err != nil {
		t.Fatal(err)
	}
	want := []viewer.Label{
		{ID: 1, Name: "tissue", Colour: color.RGBA{128, 174, 128, 255}, Visible: true},
		{ID: 2, Name: "bone", Colour: color.RGBA{241, 214, 145, 255}, Visible: true},
		{ID: 7, Name: "left_kidney", Colour: color.RGBA{1, 2, 3, 100}, Visible: true},
	}
	if !reflect.DeepEqual(tab.Labels, want) {
		t.Errorf("got %+v\nwant %+v", tab.Labels, want)
	}
}

// FreeSurferColorLUT.txt puts 0 in the last column, meaning opaque.
func TestParseFreeSurferLUT(t *testing.T) {
	tab, err := Parse([]byte("#No. Label Name: R G B A\n0 Unknown 0 0 0 0\n2 Left-Cerebral-White-Matter 245 245 245 0\n4 Left-Lateral-Ventricle 120 18 134 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Labels) != 2 || tab.Labels[0].Colour.A != 255 || tab.Labels[1].Name != "Left-Lateral-Ventricle" {
		t.Errorf("got %+v", tab.Labels)
	}
}

func TestParseJSONMap(t *testing.T) {
	tab, err := Parse([]byte(`{"0": "background", "1": "spleen", "5": "liver", "2": "kidney_right"}`))
	if err != nil {
		t.Fatal(err)
	}
	def := viewer.DefaultLabelColours()
	want := []viewer.Label{
		{ID: 1, Name: "spleen", Colour: def.Colour(1), Visible: true},
		{ID: 2, Name: "kidney_right", Colour: def.Colour(2), Visible: true},
		{ID: 5, Name: "liver", Colour: def.Colour(5), Visible: true},
	}
	if !reflect.DeepEqual(tab.Labels, want) {
		t.Errorf("got %+v\nwant %+v", tab.Labels, want)
	}
}

func TestParseJSONList(t *testing.T) {
	tab, err := Parse([]byte(`[
  {"id": 3, "name": "liver", "color": [1, 2, 3]},
  {"id": 1, "name": "spleen"},
  {"id": 4, "name": "hidden", "colour": "#0a0b0c80", "visible": false, "locked": true}
]`))
	if err != nil {
		t.Fatal(err)
	}
	def := viewer.DefaultLabelColours()
	want := []viewer.Label{
		{ID: 1, Name: "spleen", Colour: def.Colour(1), Visible: true},
		{ID: 3, Name: "liver", Colour: color.RGBA{1, 2, 3, 255}, Visible: true},
		{ID: 4, Name: "hidden", Colour: color.RGBA{10, 11, 12, 128}, Visible: false, Locked: true},
	}
	if !reflect.DeepEqual(tab.Labels, want) {
		t.Errorf("got %+v\nwant %+v", tab.Labels, want)
	}
}

func TestReadTableTotalSegmentator(t *testing.T) {
	p := filepath.Join("..", "..", "..", "shared", "data", "ct-abdomen", "labels_total_v2.json")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference data %s not present (../shared is beside the repository in CI): %v", p, err)
	}
	tab, err := ReadTable(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Labels) != 117 {
		t.Errorf("%d labels, want 117", len(tab.Labels))
	}
	if l, ok := tab.Get(5); !ok || l.Name != "liver" {
		t.Errorf("label 5 = %+v", l)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "no label entries"},
		{"comments only", "# hi\n\n#x\n", "no label entries"},
		{"itk few fields", "# c\n1 255 0 0 1 1 \"a\"\n", "line 2: ITK-SNAP entry has 6 numbers"},
		{"itk bad colour", "1 255 0 0 1 1 1 \"a\"\n2 256 0 0 1 1 1 \"b\"\n", "line 2: R value \"256\""},
		{"itk bad opacity", "1 1 0 0 1.5 1 1 \"a\"\n", "line 1: opacity \"1.5\""},
		{"itk bad vis", "1 1 0 0 1 2 1 \"a\"\n", "line 1: VIS flag \"2\""},
		{"itk unterminated", "1 1 0 0 1 1 1 \"a\n", "line 1: ITK-SNAP entry needs a quoted"},
		{"itk trailing", "1 1 0 0 1 1 1 \"a\" x\n", "line 1: unexpected \"x\""},
		{"itk duplicate", "1 1 0 0 1 1 1 \"a\"\n\n1 1 0 0 1 1 1 \"b\"\n", "line 3: label id 1 already defined on line 1"},
		{"itk big id", "70000 1 0 0 1 1 1 \"a\"\n", "line 1: label id \"70000\""},
		{"slicer fields", "1 a 1 2 3\n", "line 1: colour table entry has 5 fields"},
		{"slicer name space", "# x\n1 left kidney 1 2 3 255\n", "line 2: colour table entry has 7 fields"},
		{"slicer alpha", "1 a 1 2 3 255\n2 b 1 2 3 300\n", "line 2: A value \"300\""},
		{"slicer id", "x a 1 2 3 255\n", "line 1: label id \"x\""},
		{"json key", "{\n\"1\": \"a\",\n\"b\": \"c\"}", "line 3: key \"b\""},
		{"json value", "{\n\"1\": \"a\",\n\"2\": 5}", "line 3:"},
		{"json syntax", "{\n\"1\": \"a\",\n\"2\" \"b\"}", "line 3:"},
		{"json dup", "{\"1\": \"a\",\n\"1\": \"b\"}", "line 2: label id 1 already defined on line 1"},
		{"json list no id", "[\n{\"id\": 1, \"name\": \"a\"},\n{\"name\": \"b\"}]", "line 3: entry has no \"id\""},
		{"json list colour", "[\n{\"id\": 1, \"color\": [1,2]}]", "line 2: label 1: colour must be"},
		{"json list hex", "[{\"id\": 1, \"color\": \"#12\"}]", "is not #rrggbb"},
		{"json scalar", "[1]", "line 1:"},
		{"json trailing", "{\"1\": \"a\"}\n{}", "line 2: unexpected data"},
		{"json negative", "{\"-1\": \"a\"}", "not a label id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestReadTableNamesPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(p, []byte("1 a 1 2 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadTable(p)
	if err == nil || !strings.Contains(err.Error(), p+": line 1:") {
		t.Errorf("error %v, want path and line", err)
	}
}

func sampleTable() *viewer.LabelTable {
	return &viewer.LabelTable{Labels: []viewer.Label{
		{ID: 1, Name: "spleen", Colour: color.RGBA{255, 0, 0, 255}, Visible: true},
		{ID: 2, Name: "kidney \"right\"", Colour: color.RGBA{0, 255, 0, 77}, Visible: false},
		{ID: 300, Name: " padded name ", Colour: color.RGBA{1, 2, 3, 1}, Visible: true},
		{ID: 65535, Name: "", Colour: color.RGBA{9, 8, 7, 0}, Visible: true},
	}}
}

func TestRoundTripITKSNAP(t *testing.T) {
	in := sampleTable()
	var buf bytes.Buffer
	if err := WriteITKSNAP(&buf, in); err != nil {
		t.Fatal(err)
	}
	if Detect(buf.Bytes()) != FormatITKSNAP {
		t.Fatalf("written file not detected as ITK-SNAP:\n%s", buf.String())
	}
	out, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip\n got %+v\nwant %+v\n%s", out.Labels, in.Labels, buf.String())
	}
	if err := WriteITKSNAP(&buf, &viewer.LabelTable{Labels: []viewer.Label{{ID: 1, Name: "a\nb"}}}); err == nil {
		t.Error("newline in a name written without error")
	}
}

func TestRoundTripJSON(t *testing.T) {
	in := sampleTable()
	in.Labels[0].Locked = true
	var buf bytes.Buffer
	if err := WriteJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip\n got %+v\nwant %+v\n%s", out.Labels, in.Labels, buf.String())
	}
	// An empty table is an empty list, which reads back.
	buf.Reset()
	if err := WriteJSON(&buf, &viewer.LabelTable{}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("empty table written as %q", buf.String())
	}
	if out, err := Parse(buf.Bytes()); err != nil || len(out.Labels) != 0 {
		t.Errorf("empty table read back as %+v, %v", out, err)
	}
}
