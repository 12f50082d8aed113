package dicom

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
)

// expected.json is written by testdata/make_dicom_fixtures.py from the
// formulas that generated the pixels, not by reading the files back.
type fixtureCase struct {
	Name      string          `json:"name"`
	Folder    string          `json:"folder"`
	NumSeries int             `json:"num_series"`
	Warnings  []string        `json:"warnings"`
	Series    []fixtureSeries `json:"series"`
}

type fixtureSeries struct {
	Match struct {
		SeriesNumber string `json:"series_number"`
		Description  string `json:"description"`
		Slices       int    `json:"slices"`
	} `json:"match"`
	Modality       string                `json:"modality"`
	Files          int                   `json:"files"`
	Dims           [3]int                `json:"dims"`
	Spacing        viewer.Vec3           `json:"spacing"`
	Origin         viewer.Vec3           `json:"origin"`
	Direction      [3]viewer.Vec3        `json:"direction_columns"`
	DType          string                `json:"dtype"`
	Values         []float64             `json:"values"`
	Tolerance      float64               `json:"value_tolerance"`
	Warnings       []string              `json:"warnings"`
	AbsentWarnings []string              `json:"absent_warnings"`
	Windows        []viewer.WindowPreset `json:"windows"`
}

func TestConstructedFixtures(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "dicom")
	raw, err := os.ReadFile(filepath.Join(root, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Cases []fixtureCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp.Cases) < 15 {
		t.Fatalf("only %d fixture cases", len(exp.Cases))
	}
	for _, c := range exp.Cases {
		t.Run(c.Name, func(t *testing.T) { checkFixture(t, filepath.Join(root, c.Folder), c) })
	}
}

func checkFixture(t *testing.T, dir string, c fixtureCase) {
	res, err := Scan(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if len(res.Series) != c.NumSeries {
		t.Fatalf("%d series, want %d", len(res.Series), c.NumSeries)
	}
	all := strings.Join(res.Warnings, "\n")
	for _, es := range c.Series {
		s := findSeries(res.Series, es)
		if s == nil {
			t.Errorf("no series matching %+v", es.Match)
			continue
		}
		v, err := s.Load(context.Background(), Options{})
		if err != nil {
			t.Errorf("load %+v: %v", es.Match, err)
			continue
		}
		all += "\n" + strings.Join(v.Warnings, "\n")
		if v.Dims != es.Dims {
			t.Errorf("dims %v, want %v", v.Dims, es.Dims)
			continue
		}
		if es.Files > 0 && s.Files != es.Files {
			t.Errorf("files %d, want %d", s.Files, es.Files)
		}
		if es.Modality != "" && v.Modality != es.Modality {
			t.Errorf("modality %q, want %q", v.Modality, es.Modality)
		}
		assertVec(t, "spacing", v.Spacing, es.Spacing, 1e-4)
		assertVec(t, "origin", v.Origin, es.Origin, 1e-4)
		for col := 0; col < 3; col++ {
			assertVec(t, "direction column", v.Direction.Column(col), es.Direction[col], 1e-6)
		}
		if v.Data.Type().String() != es.DType {
			t.Errorf("type %v, want %s", v.Data.Type(), es.DType)
		}
		if len(es.Values) != v.Data.Len() {
			t.Errorf("%d expected values for %d voxels", len(es.Values), v.Data.Len())
		} else {
			for i, want := range es.Values {
				if got := v.Data.At(i); math.Abs(got-want) > es.Tolerance+1e-6 {
					t.Errorf("voxel %d = %v, want %v", i, got, want)
					break
				}
			}
		}
		sw := strings.ToLower(strings.Join(s.Warnings, "\n"))
		for _, w := range es.AbsentWarnings {
			if strings.Contains(sw, strings.ToLower(w)) {
				t.Errorf("unexpected %q warning: %v", w, s.Warnings)
			}
		}
		for _, w := range es.Warnings {
			if !strings.Contains(strings.ToLower(all), strings.ToLower(w)) {
				t.Errorf("no warning mentions %q: %s", w, all)
			}
		}
		for i, w := range es.Windows {
			if i >= len(v.Windows) || v.Windows[i] != w {
				t.Errorf("windows %+v, want %+v", v.Windows, es.Windows)
				break
			}
		}
	}
	for _, w := range c.Warnings {
		if !strings.Contains(strings.ToLower(all), strings.ToLower(w)) {
			t.Errorf("no warning mentions %q: %s", w, all)
		}
	}
}

func findSeries(list []*Series, es fixtureSeries) *Series {
	for _, s := range list {
		m := es.Match
		if m.SeriesNumber != "" && s.SeriesNumber != m.SeriesNumber {
			continue
		}
		if m.Description != "" && s.Description != m.Description {
			continue
		}
		if m.Slices != 0 && s.Slices != m.Slices {
			continue
		}
		return s
	}
	return nil
}
