package main

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// rawNIfTI is a NIfTI-1 file decoded here, independently of
// delineate/viewer/nifti: header fields by offset, voxels scaled by
// scl_slope/scl_inter.
type rawNIfTI struct {
	dims   [3]int
	pixdim [3]float64
	srow   [12]float32
	vals   []float64
}

func readRawNIfTI(t *testing.T, path string) rawNIfTI {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if len(b) < 352 || le.Uint32(b) != 348 {
		t.Fatalf("%s: not a little-endian NIfTI-1 file", path)
	}
	f32 := func(off int) float64 { return float64(math.Float32frombits(le.Uint32(b[off:]))) }
	var n rawNIfTI
	for a := 0; a < 3; a++ {
		n.dims[a] = int(int16(le.Uint16(b[42+2*a:])))
		n.pixdim[a] = f32(80 + 4*a)
	}
	for i := range n.srow {
		n.srow[i] = float32(f32(280 + 4*i))
	}
	datatype := int16(le.Uint16(b[70:]))
	voxOffset := int(f32(108))
	slope, inter := f32(112), f32(116)
	if slope == 0 || math.IsNaN(slope) {
		slope, inter = 1, 0
	}
	count := n.dims[0] * n.dims[1] * n.dims[2]
	data := b[voxOffset:]
	n.vals = make([]float64, count)
	for i := range n.vals {
		var x float64
		switch datatype {
		case 2: // uint8
			x = float64(data[i])
		case 256: // int8
			x = float64(int8(data[i]))
		case 4: // int16
			x = float64(int16(le.Uint16(data[2*i:])))
		case 512: // uint16
			x = float64(le.Uint16(data[2*i:]))
		case 8: // int32
			x = float64(int32(le.Uint32(data[4*i:])))
		case 16: // float32
			x = float64(math.Float32frombits(le.Uint32(data[4*i:])))
		default:
			t.Fatalf("%s: datatype %d not handled by the test decoder", path, datatype)
		}
		n.vals[i] = x*slope + inter
	}
	return n
}

type statsJSON struct {
	Labels []struct {
		ID       int      `json:"id"`
		Name     string   `json:"name"`
		Voxels   int64    `json:"voxels"`
		VolumeML float64  `json:"volume_ml"`
		Mean     *float64 `json:"mean"`
		Std      *float64 `json:"std"`
		Min      *float64 `json:"min"`
		Max      *float64 `json:"max"`
	} `json:"labels"`
	GeometryMatch    bool  `json:"geometry_match"`
	UnexpectedLabels []int `json:"unexpected_labels"`
}

// decodeStats checks the exact key set and decodes.
func decodeStats(t *testing.T, out string) statsJSON {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(top) != 3 || top["labels"] == nil || top["geometry_match"] == nil || top["unexpected_labels"] == nil {
		t.Errorf("top-level keys %v", keys(top))
	}
	var ls []map[string]json.RawMessage
	if err := json.Unmarshal(top["labels"], &ls); err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if got := strings.Join(keys(l), ","); got != "id,max,mean,min,name,std,volume_ml,voxels" {
			t.Fatalf("label keys %s", got)
		}
	}
	if !strings.Contains(out, "\n  \"labels\": [\n    {\n      \"id\"") {
		t.Errorf("not 2-space indented:\n%.200s", out)
	}
	var s statsJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.UnexpectedLabels == nil {
		t.Error("unexpected_labels is null, want a list")
	}
	return s
}

func keys[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func TestStatsRealCT(t *testing.T) {
	small := sharedData(t, "ct-abdomen-small")
	namesPath := filepath.Join(sharedData(t, "ct-abdomen"), "labels_total_v2.json")
	ctPath := filepath.Join(small, "example_ct_sm.nii.gz")
	segPath := filepath.Join(small, "example_seg.nii.gz")

	code, out, stderr := cli(t, "stats", ctPath, segPath, "--names", namesPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := decodeStats(t, out)

	// Independent answer.
	ct, seg := readRawNIfTI(t, ctPath), readRawNIfTI(t, segPath)
	if ct.dims != seg.dims || ct.srow != seg.srow {
		t.Fatalf("test data changed: CT and segmentation grids differ")
	}
	voxelML := seg.pixdim[0] * seg.pixdim[1] * seg.pixdim[2] / 1000
	type acc struct {
		n             int64
		sum, min, max float64
	}
	want := map[int]*acc{}
	for i, v := range seg.vals {
		id := int(v)
		if id == 0 {
			continue
		}
		a := want[id]
		if a == nil {
			a = &acc{min: math.Inf(1), max: math.Inf(-1)}
			want[id] = a
		}
		x := ct.vals[i]
		a.n++
		a.sum += x
		a.min, a.max = min(a.min, x), max(a.max, x)
	}
	var names map[string]string
	nb, err := os.ReadFile(namesPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(nb, &names); err != nil {
		t.Fatal(err)
	}

	if !got.GeometryMatch {
		t.Error("geometry_match false for the segmentation made on this CT")
	}
	if len(got.Labels) != len(want) || len(want) != 41 {
		t.Fatalf("%d labels, independent count %d (README says 41)", len(got.Labels), len(want))
	}
	if len(got.UnexpectedLabels) != 0 {
		t.Errorf("unexpected labels %v", got.UnexpectedLabels)
	}
	for i, l := range got.Labels {
		if i > 0 && got.Labels[i-1].ID >= l.ID {
			t.Errorf("labels not sorted by id at %d", l.ID)
		}
		w := want[l.ID]
		if w == nil {
			t.Errorf("label %d not in the segmentation", l.ID)
			continue
		}
		if l.Voxels != w.n || math.Abs(l.VolumeML-float64(w.n)*voxelML) > 1e-9 {
			t.Errorf("label %d: %d voxels %.6f ml, want %d voxels %.6f ml", l.ID, l.Voxels, l.VolumeML, w.n, float64(w.n)*voxelML)
		}
		if l.Name != names[strconv.Itoa(l.ID)] {
			t.Errorf("label %d named %q, want %q", l.ID, l.Name, names[strconv.Itoa(l.ID)])
		}
		if l.Mean == nil || math.Abs(*l.Mean-w.sum/float64(w.n)) > 1e-9 || *l.Min != w.min || *l.Max != w.max {
			t.Errorf("label %d intensities mean %v min %v max %v, want %v %v %v", l.ID, l.Mean, l.Min, l.Max, w.sum/float64(w.n), w.min, w.max)
		}
	}
	// Spot checks a reader can follow: liver (5) and spleen (1) are soft
	// tissue, so their mean HU is between 0 and 100.
	for _, id := range []int{1, 5} {
		w := want[id]
		if w == nil {
			t.Fatalf("label %d absent", id)
		}
		if m := w.sum / float64(w.n); m < 0 || m > 100 {
			t.Errorf("label %d mean %v HU, not soft tissue: HU decoding wrong?", id, m)
		}
	}
}

// A label map from another grid: counts and volumes still, intensities
// null, geometry_match false, a warning on stderr, exit 0.
func TestStatsMismatchedGrid(t *testing.T) {
	big := filepath.Join(sharedData(t, "ct-abdomen"), "example_ct.nii.gz")
	seg := filepath.Join(sharedData(t, "ct-abdomen-small"), "example_seg.nii.gz")
	code, out, stderr := cli(t, "stats", big, seg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := decodeStats(t, out)
	if got.GeometryMatch || !strings.Contains(stderr, "warning") {
		t.Errorf("geometry_match %v, stderr %q", got.GeometryMatch, stderr)
	}
	raw := readRawNIfTI(t, seg)
	n := map[int]int64{}
	for _, v := range raw.vals {
		n[int(v)]++
	}
	if len(got.Labels) != 41 {
		t.Fatalf("%d labels", len(got.Labels))
	}
	for _, l := range got.Labels {
		if l.Voxels != n[l.ID] || l.Mean != nil || l.Std != nil || l.Min != nil || l.Max != nil || l.Name != "" {
			t.Errorf("label %+v (want %d voxels, no intensities, no name)", l, n[l.ID])
		}
	}
	if len(got.UnexpectedLabels) != 0 {
		t.Errorf("unexpected labels %v without a names table", got.UnexpectedLabels)
	}
}

// An ITK-SNAP names file naming only some labels: the others are reported.
func TestStatsITKSNAPNames(t *testing.T) {
	small := sharedData(t, "ct-abdomen-small")
	names := filepath.Join(t.TempDir(), "labels.txt")
	itk := "# ITK-SnAP Label Description File\n" +
		"    0     0    0    0        0  0  0    \"Clear Label\"\n" +
		"    5   221  130  101        1  1  1    \"Liver\"\n"
	if err := os.WriteFile(names, []byte(itk), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := cli(t, "stats", filepath.Join(small, "example_ct_sm.nii.gz"), filepath.Join(small, "example_seg.nii.gz"), "--names", names)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := decodeStats(t, out)
	if len(got.UnexpectedLabels) != len(got.Labels)-1 {
		t.Errorf("%d unexpected of %d labels", len(got.UnexpectedLabels), len(got.Labels))
	}
	for _, l := range got.Labels {
		if (l.ID == 5) != (l.Name == "Liver") {
			t.Errorf("label %d named %q", l.ID, l.Name)
		}
	}
}

func TestStatsErrors(t *testing.T) {
	if code, _, stderr := cli(t, "stats", "only-one"); code != 2 || !strings.Contains(stderr, "usage: delineate stats") {
		t.Errorf("one argument: exit %d %q", code, stderr)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ctbl")
	os.WriteFile(bad, []byte("# x\n1 liver 1 2 3\n"), 0o644)
	code, out, stderr := cli(t, "stats", "a.nii.gz", "b.nii.gz", "--names", bad)
	if code != 1 || out != "" || !strings.Contains(stderr, "line 2") {
		t.Errorf("bad names: exit %d stdout %q stderr %q", code, out, stderr)
	}
	code, out, stderr = cli(t, "stats", filepath.Join(dir, "missing.nii.gz"), filepath.Join(dir, "missing2.nii.gz"))
	if code != 1 || out != "" || stderr == "" {
		t.Errorf("missing files: exit %d stdout %q stderr %q", code, out, stderr)
	}
}
