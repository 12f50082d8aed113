package inference

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"delineate/internal/atomicfile"
	"delineate/viewer"
)

// ReportVersion is the version of the run report format.
const ReportVersion = 1

// Report is what a reviewer needs to trust a run: what went in, what came
// out (with its hash), the model and its file hashes, the device and why,
// the time per stage, and what the output holds. `delineate verify run`
// re-checks it against the files on disk.
type Report struct {
	Format     int           `json:"format"`
	Tool       string        `json:"tool"`
	Created    time.Time     `json:"created"`
	Input      GridInfo      `json:"input"`
	Output     GridInfo      `json:"output"`
	Model      ModelInfo     `json:"model"`
	Device     DeviceInfo    `json:"device"`
	Runtime    string        `json:"runtime,omitempty"`
	Threads    int           `json:"threads,omitempty"`
	Stages     []Stage       `json:"stages"`
	Seconds    float64       `json:"seconds_total"`
	Preprocess []string      `json:"preprocess,omitempty"`
	Plan       *Plan         `json:"plan,omitempty"`
	FirstStage *Report       `json:"first_stage,omitempty"`
	Labels     []LabelCount  `json:"labels"`
	Observed   []int         `json:"observed_ids"`
	Undeclared []int         `json:"undeclared_ids"`
	Geometry   GeometryCheck `json:"geometry_check"`
	Warnings   []string      `json:"warnings,omitempty"`
}

// GridInfo describes a volume: where it came from and its grid.
type GridInfo struct {
	Path        string      `json:"path,omitempty"`
	SHA256      string      `json:"sha256,omitempty"`
	Dims        [3]int      `json:"dims"`
	Spacing     viewer.Vec3 `json:"spacing_mm"`
	Origin      viewer.Vec3 `json:"origin_lps_mm"`
	Direction   viewer.Mat3 `json:"direction_lps"`
	Orientation string      `json:"orientation"`
	Modality    string      `json:"modality,omitempty"`
	Type        string      `json:"type,omitempty"`
	Series      int         `json:"series,omitempty"` // series index of a DICOM study
}

// ModelInfo names the model of a run.
type ModelInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Family  string `json:"family"`
	Dir     string `json:"dir,omitempty"`
	Files   []File `json:"files,omitempty"`
	Licence string `json:"licence,omitempty"`
	Source  string `json:"source,omitempty"`
	Classes int    `json:"classes"`
}

// Stage is one step of a run and its wall time.
type Stage struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// LabelCount is one label of the output.
type LabelCount struct {
	ID       int     `json:"id"`
	Name     string  `json:"name,omitempty"`
	Voxels   int     `json:"voxels"`
	VolumeML float64 `json:"volume_ml"`
}

// GeometryCheck says whether the output lies on the input's grid.
type GeometryCheck struct {
	SameGrid bool   `json:"same_grid"`
	Detail   string `json:"detail,omitempty"`
}

// GridOf describes a volume's grid.
func GridOf(v *viewer.Volume) GridInfo {
	return GridInfo{Dims: v.Dims, Spacing: v.Spacing, Origin: v.Origin, Direction: v.Direction,
		Orientation: viewer.OrientationCode(v.Geometry), Modality: v.Modality, Type: v.Data.Type().String()}
}

// countLabels fills Labels, Observed and Undeclared from a label map, with
// volumes from its own spacing.
func (r *Report) countLabels(lm *viewer.LabelMap, table viewer.LabelTable, classes int) {
	counts := map[int]int{}
	n := lm.Data.Len()
	for i := 0; i < n; i++ {
		if id := lm.At(i); id != 0 {
			counts[id]++
		}
	}
	r.Labels, r.Observed, r.Undeclared = CountsToLabels(counts, lm.Spacing, table, classes)
}

// CountsToLabels turns voxel counts by id into the report's label list,
// the ids observed, and those the model does not declare (ids not in the
// table, or outside its classes).
func CountsToLabels(counts map[int]int, spacing viewer.Vec3, table viewer.LabelTable, classes int) (labels []LabelCount, observed, undeclared []int) {
	ml := spacing[0] * spacing[1] * spacing[2] / 1000
	observed, undeclared = []int{}, []int{}
	for id := 1; id <= viewer.MaxLabelID; id++ {
		c, ok := counts[id]
		if !ok {
			continue
		}
		l, named := table.Get(id)
		labels = append(labels, LabelCount{ID: id, Name: l.Name, Voxels: c, VolumeML: float64(c) * ml})
		observed = append(observed, id)
		if (!named && len(table.Labels) > 0) || (classes > 0 && id >= classes) {
			undeclared = append(undeclared, id)
		}
	}
	if labels == nil {
		labels = []LabelCount{}
	}
	return labels, observed, undeclared
}

// WriteReport writes the report as indented JSON, atomically.
func WriteReport(path string, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadReport reads a report.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a run report: %v", path, err)
	}
	if r.Format != ReportVersion {
		return nil, fmt.Errorf("%s: report format %d, this version reads %d", path, r.Format, ReportVersion)
	}
	return &r, nil
}
