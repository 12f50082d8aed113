package inference

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"delineate/viewer"
	"delineate/viewer/load"
	"delineate/viewer/nifti"
)

// VerifyRun re-checks a run report against the files on disk: the
// output's sha256, grid and per-label voxel counts, the input's grid (and
// that the output lies on it), and the model files' sha256. It returns
// every mismatch; none means the report holds.
func VerifyRun(ctx context.Context, reportPath string) ([]string, error) {
	r, err := ReadReport(reportPath)
	if err != nil {
		return nil, err
	}
	var bad []string
	badf := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	base := filepath.Dir(reportPath)
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}

	outPath := resolve(r.Output.Path)
	var out *viewer.Volume
	if outPath == "" {
		badf("the report names no output file")
	} else if sum, err := FileSHA256(outPath); err != nil {
		badf("output %s: %v", r.Output.Path, err)
	} else {
		if sum != r.Output.SHA256 {
			badf("output %s: sha256 %s, the report says %s", r.Output.Path, sum, r.Output.SHA256)
		}
		if out, err = nifti.Read(outPath); err != nil {
			badf("output %s: %v", r.Output.Path, err)
		}
	}
	if out != nil {
		if d := gridDiff(r.Output, out.Geometry); d != "" {
			badf("output grid: %s", d)
		}
		lm, err := viewer.LabelMapFromVolume(out)
		if err != nil {
			badf("output: %v", err)
		} else {
			counts := map[int]int{}
			for i := 0; i < lm.Data.Len(); i++ {
				if id := lm.At(i); id != 0 {
					counts[id]++
				}
			}
			want := map[int]int{}
			for _, l := range r.Labels {
				want[l.ID] = l.Voxels
			}
			for id, n := range counts {
				if want[id] != n {
					badf("label %d: %d voxels in the output, the report says %d", id, n, want[id])
				}
			}
			for id, n := range want {
				if _, ok := counts[id]; !ok {
					badf("label %d: the report says %d voxels, the output has none", id, n)
				}
			}
		}
	}

	inPath := resolve(r.Input.Path)
	if inPath == "" {
		badf("the report names no input")
	} else if st, err := load.Open(ctx, inPath, load.Options{}); err != nil {
		badf("input %s: %v", r.Input.Path, err)
	} else if in, err := st.Load(ctx, r.Input.Series, load.Options{}); err != nil {
		badf("input %s: %v", r.Input.Path, err)
	} else {
		if d := gridDiff(r.Input, in.Geometry); d != "" {
			badf("input grid: %s", d)
		}
		if out != nil {
			if _, err := viewer.AlignTo(in.Geometry, out, 1e-3); err != nil {
				badf("the output does not lie on the input's grid: %v", err)
			} else if !r.Geometry.SameGrid {
				badf("the report says the output is not on the input's grid, but it is")
			}
		}
	}
	if r.Model.Dir != "" {
		for _, f := range r.Model.Files {
			p := f.Path
			if !filepath.IsAbs(p) {
				p = filepath.Join(r.Model.Dir, filepath.FromSlash(p))
			}
			sum, err := FileSHA256(p)
			switch {
			case err != nil:
				badf("model file %s: %v", f.Path, err)
			case sum != f.SHA256:
				badf("model file %s: sha256 %s, the report says %s", f.Path, sum, f.SHA256)
			}
		}
	}
	return bad, nil
}

// gridDiff says how a grid differs from a report's description of it
// (the axis order must match too: the report describes the file).
func gridDiff(want GridInfo, g viewer.Geometry) string {
	if want.Dims != g.Dims {
		return fmt.Sprintf("dims %v, the report says %v", g.Dims, want.Dims)
	}
	for a := 0; a < 3; a++ {
		if math.Abs(want.Spacing[a]-g.Spacing[a]) > 1e-4 {
			return fmt.Sprintf("spacing %v, the report says %v", g.Spacing, want.Spacing)
		}
		if math.Abs(want.Origin[a]-g.Origin[a]) > 1e-3 {
			return fmt.Sprintf("origin %v, the report says %v", g.Origin, want.Origin)
		}
		for r := 0; r < 3; r++ {
			if math.Abs(want.Direction[r][a]-g.Direction[r][a]) > 1e-4 {
				return fmt.Sprintf("direction %v, the report says %v", g.Direction, want.Direction)
			}
		}
	}
	return ""
}
