package project

import (
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"delineate/viewer"
	"delineate/viewer/nifti"
)

const childEnv = "DELINEATE_AUTOSAVE_CHILD"

// TestMain doubles as the autosaving child of TestKillDuringAutosave.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		autosaveForever(dir)
		return
	}
	os.Exit(m.Run())
}

// autosaveForever opens the project and autosaves case_0001's labels,
// each save a uniform map of the next value, as fast as it can.
func autosaveForever(dir string) {
	p, err := Open(dir)
	if err != nil || p.ReadOnly() != "" {
		os.Exit(3)
	}
	c := p.Case("case_0001")
	g := viewer.Geometry{Dims: [3]int{64, 64, 48}, Spacing: viewer.Vec3{1, 1, 1}, Direction: viewer.Identity3}
	for n := 1; ; n++ {
		v, _ := viewer.NewVolume(g, viewer.Uint8)
		d := v.Data.Raw().([]uint8)
		for i := range d {
			d[i] = uint8(n % 250)
		}
		c.RecordEdit(Edit{Tool: "brush", Label: n % 250, Voxels: len(d)})
		if err := p.SaveLabels(c, v); err != nil {
			os.Exit(4)
		}
	}
}

// TestKillDuringAutosave kills an autosaving process with SIGKILL at a
// random instant, 100 times: every time the project opens (saying it was
// recovered), and its label map is whole — one value everywhere, the
// value of an autosave that completed.
func TestKillDuringAutosave(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 100 processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "image.nii.gz")
	os.WriteFile(img, []byte("x"), 0o644)
	p, err := Create(dir, "crash", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddCase(img, InProgress); err != nil {
		t.Fatal(err)
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	r := rand.New(rand.NewSource(1))
	recovered, saved := 0, 0
	for i := 0; i < 100; i++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(10+r.Intn(120)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
			t.Fatalf("round %d: the child failed by itself (exit %d)", i, ee.ExitCode())
		}
		q, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: the project does not open after kill -9: %v", i, err)
		}
		if q.ReadOnly() != "" {
			t.Fatalf("round %d: read-only after the holder died: %s", i, q.ReadOnly())
		}
		if q.Recovered != "" {
			recovered++
		}
		c := q.Case("case_0001")
		if c.Labels != "" {
			lab, err := nifti.Read(q.Resolve(c.Labels))
			if err != nil {
				t.Fatalf("round %d: the label map is broken: %v", i, err)
			}
			d := lab.Data.Raw().([]uint8)
			for _, x := range d {
				if x != d[0] {
					t.Fatalf("round %d: the label map mixes two saves (%d and %d)", i, d[0], x)
				}
			}
			saved++
		}
		// (Lock temporaries of a process killed while taking the lock are
		// removed once a minute old, not at once.)
		for _, pat := range []string{"." + FileName + ".tmp*", "labels/.*tmp*"} {
			if m, _ := filepath.Glob(filepath.Join(dir, pat)); len(m) > 0 {
				t.Fatalf("round %d: recovery left temporary files %v", i, m)
			}
		}
		q.Close()
	}
	t.Logf("100 kills: %d opens said recovered, %d had a saved label map", recovered, saved)
	if recovered == 0 || saved == 0 {
		t.Errorf("the child never got to hold the lock or save (recovered %d, saved %d)", recovered, saved)
	}
}
