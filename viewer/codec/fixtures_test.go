package codec

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(fixtureDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx []fixture
	if err := json.Unmarshal(js, &fx); err != nil {
		t.Fatal(err)
	}
	return fx
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFixtures decodes frames made by other encoders (DCMTK, GDCM,
// OpenJPEG, OpenJPH; see gen_test.go) and compares them with the original
// pixels, or for lossy syntaxes with the encoding tool's own decoder.
func TestFixtures(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			if !Supported(fx.TS) {
				t.Skipf("%s not supported in this build", SyntaxName(fx.TS))
			}
			got, err := Decode(fx.TS, readFixture(t, fx.Data), fx.Frame)
			if fx.TS == TSJPEGExtended12 && fx.Frame.BitsStored > 8 && !haveJPEG12 {
				// 12-bit DCT needs the cgo 12-bit libjpeg.
				fx.Unsupported = true
			}
			if fx.Unsupported {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("want ErrUnsupported, got %v", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatalf("%s (%s): %v", fx.Name, fx.Tool, err)
			}
			want := readFixture(t, fx.Want)
			if fx.KnownIssue != "" {
				t.Skipf("known issue, decoded but not compared (%s): %s", firstDiff(got, want), fx.KnownIssue)
			}
			if fx.MaxDiff == 0 {
				if d := firstDiff(got, want); d != "" {
					t.Fatalf("%s (%s): %s", fx.Name, fx.Tool, d)
				}
				return
			}
			if len(got) != len(want) {
				t.Fatalf("length %d, want %d", len(got), len(want))
			}
			worst := 0
			for i := range got {
				d := int(got[i]) - int(want[i])
				worst = max(worst, d, -d)
			}
			t.Logf("largest difference from the reference decoder: %d (allowed %d)", worst, fx.MaxDiff)
			if worst > fx.MaxDiff {
				t.Fatalf("%s (%s): a sample differs from libjpeg's by %d (allowed %d)", fx.Name, fx.Tool, worst, fx.MaxDiff)
			}
		})
	}
}
