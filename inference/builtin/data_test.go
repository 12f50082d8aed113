package builtin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"delineate/viewer"
	"delineate/viewer/nifti"
)

// sharedData returns the path of rel under ../shared/data beside the
// repository root (found by walking up to the go.mod of module delineate),
// or skips the test when it is not there: a user's clone has no ../shared.
func sharedData(tb testing.TB, rel string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module delineate\n") {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root (go.mod of module delineate) not found above the test's directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("real test data not available (%s): it lives in ../shared/data next to the repository", p)
	}
	return p
}

func readNIfTI(tb testing.TB, rel string) *viewer.Volume {
	tb.Helper()
	v, err := nifti.Read(sharedData(tb, rel))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// dice is 2|A∩B| / (|A|+|B|) of the voxels where a and b hold; 1 when both
// are empty. Voxels where skip holds (when given) are left out.
func dice(n int, a, b func(i int) bool, skip ...func(i int) bool) float64 {
	var na, nb, both int
	for i := 0; i < n; i++ {
		if len(skip) > 0 && skip[0](i) {
			continue
		}
		x, y := a(i), b(i)
		if x {
			na++
		}
		if y {
			nb++
		}
		if x && y {
			both++
		}
	}
	if na+nb == 0 {
		return 1
	}
	return 2 * float64(both) / float64(na+nb)
}

func labelsOf(tb testing.TB, lm *viewer.LabelMap) []uint8 {
	tb.Helper()
	d, ok := lm.Data.(viewer.Voxels[uint8])
	if !ok {
		tb.Fatalf("label map holds %v, want uint8", lm.Data.Type())
	}
	return d
}
