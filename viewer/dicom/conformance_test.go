package dicom

import (
	"bytes"
	"context"
	"encoding/json"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
)

// testdata/conformance/pixels is written by
// testdata/make_conformance_pixels.py; the expected values are pydicom's
// pixel_array (with its modality LUT, palette and YBR handling) for each
// file, so these tests compare the reader with pydicom voxel by voxel.
type conformanceCase struct {
	Name      string      `json:"name"`
	Folder    string      `json:"folder"`
	Error     []string    `json:"error"`
	Dims      [3]int      `json:"dims"`
	DType     string      `json:"dtype"`
	Values    []float64   `json:"values"`
	Tolerance float64     `json:"tolerance"`
	Spacing   viewer.Vec3 `json:"spacing"`
	Origin    viewer.Vec3 `json:"origin"`
	Warnings  []string    `json:"warnings"`
	Stream    bool        `json:"stream"`
}

func loadConformance(t *testing.T) (string, []conformanceCase) {
	root := filepath.Join("..", "..", "testdata", "conformance", "pixels")
	raw, err := os.ReadFile(filepath.Join(root, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Cases []conformanceCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp.Cases) < 18 {
		t.Fatalf("only %d cases", len(exp.Cases))
	}
	return root, exp.Cases
}

func TestConformancePixels(t *testing.T) {
	root, cases := loadConformance(t)
	// The DICOM library logs before some of its panics: none may happen.
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			defer func() {
				if logged.Len() > 0 {
					t.Errorf("the DICOM library logged: %s", logged.String())
					logged.Reset()
				}
			}()
			checkConformance(t, filepath.Join(root, c.Folder), c)
		})
	}
}

func checkConformance(t *testing.T, dir string, c conformanceCase) {
	ctx := context.Background()
	res, err := Scan(ctx, dir, Options{Workers: 1})
	var v *viewer.Volume
	msgs := ""
	if res != nil {
		msgs = strings.Join(res.Warnings, "\n")
	}
	if err == nil {
		if len(res.Series) != 1 {
			t.Fatalf("%d series, want 1", len(res.Series))
		}
		v, err = res.Series[0].Load(ctx, Options{Workers: 1})
	}
	if err != nil {
		msgs += "\n" + err.Error()
	}
	if v != nil {
		msgs += "\n" + strings.Join(v.Warnings, "\n")
	}
	if strings.Contains(msgs, "nil pointer") || strings.Contains(msgs, "runtime error") {
		t.Errorf("a recovered panic reached the user: %s", msgs)
	}
	if c.Error != nil {
		if err == nil {
			t.Fatalf("loaded, want a refusal mentioning %q (warnings: %s)", c.Error, msgs)
		}
		for _, want := range c.Error {
			if !strings.Contains(msgs, want) {
				t.Errorf("refusal does not mention %q: %s", want, msgs)
			}
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings {
		if !strings.Contains(strings.ToLower(msgs), strings.ToLower(w)) {
			t.Errorf("no warning mentions %q: %s", w, msgs)
		}
	}
	if v.Dims != c.Dims {
		t.Fatalf("dims %v, want %v", v.Dims, c.Dims)
	}
	if got := v.Data.Type().String(); got != c.DType {
		t.Errorf("type %s, want %s", got, c.DType)
	}
	if c.Spacing != (viewer.Vec3{}) {
		assertVec(t, "spacing", v.Spacing, c.Spacing, 1e-6)
	}
	if c.Origin != (viewer.Vec3{}) {
		assertVec(t, "origin", v.Origin, c.Origin, 1e-6)
	}
	compareVoxels(t, "load", v.Data, c)
	if c.Stream {
		s := res.Series[0]
		var got viewer.VoxelData
		plane := c.Dims[0] * c.Dims[1]
		_, err := s.Stream(ctx, Options{Workers: 2}, func(g viewer.Geometry, typ viewer.DataType) error {
			got, err = viewer.NewVoxelData(typ, g.NumVoxels())
			return err
		}, func(k int, d viewer.VoxelData) error {
			for i := 0; i < plane; i++ {
				setAt(got, k*plane+i, d.At(i))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		compareVoxels(t, "stream", got, c)
	}
}

func compareVoxels(t *testing.T, what string, d viewer.VoxelData, c conformanceCase) {
	if d.Len() != len(c.Values) {
		t.Fatalf("%s: %d voxels, want %d", what, d.Len(), len(c.Values))
	}
	worst, at := 0.0, 0
	for i, want := range c.Values {
		tol := c.Tolerance + 1e-9*math.Abs(want)
		if diff := math.Abs(d.At(i) - want); diff > worst {
			worst, at = diff, i
			if diff > tol {
				t.Errorf("%s: voxel %d = %v, pydicom %v", what, i, d.At(i), want)
				return
			}
		}
	}
	t.Logf("%s: %d voxels, largest difference from pydicom %g (voxel %d)", what, d.Len(), worst, at)
}
