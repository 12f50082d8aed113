package ui

import (
	"image"
	"testing"
	"time"
)

// statsDone reports each finished statistics pass on a channel, which
// also orders the background results before the test reads them.
func statsDone(ws *Workstation) chan struct{} {
	done := make(chan struct{}, 16)
	ws.stats.onDone = func() {
		select {
		case done <- struct{}{}:
		default:
		}
	}
	return done
}

// waitStats runs f (which starts a statistics pass) and waits for its result.
func waitStats(t *testing.T, ws *Workstation, f func()) {
	t.Helper()
	done := statsDone(ws)
	f()
	deadline := time.Now().Add(30 * time.Second)
	for {
		drainUI(10 * time.Millisecond) // the result arrives through do
		select {
		case <-done:
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("statistics did not finish")
		}
	}
}

func TestStatisticsPanel(t *testing.T) {
	ws := labelledWorkstation(t)
	ws.labelsPanel.selectLabel(1)
	waitStats(t, ws, ws.stats.button.OnTapped)
	p := ws.stats
	if p.stats == nil || len(p.stats.Labels) != 2 {
		t.Fatalf("stats %+v", p.stats)
	}
	l1, l2 := p.stats.Labels[0], p.stats.Labels[1]
	if l1.ID != 1 || l1.Name != "Tumour" || l1.Voxels != 36 || *l1.Mean != 700 || *l1.Std != 0 || *l1.Min != 700 || *l1.Max != 700 {
		t.Errorf("label 1: %+v", l1)
	}
	if l1.VolumeML != 36*2.5/1000 {
		t.Errorf("label 1 volume %g mL", l1.VolumeML)
	}
	if l2.ID != 2 || l2.Voxels != 16 || *l2.Mean != -480 || *l2.Std != 520 || *l2.Min != -1000 || *l2.Max != 40 {
		t.Errorf("label 2: %+v mean %v std %v", l2, *l2.Mean, *l2.Std)
	}
	if got := p.cell(1, 4); got != "-480.0 ± 520.0" {
		t.Errorf("mean cell %q", got)
	}
	if got := p.cell(0, 1); got != "Tumour" {
		t.Errorf("name cell %q", got)
	}
	sum := func() int {
		n := 0
		for _, c := range p.counts {
			n += c
		}
		return n
	}
	if p.histID != 1 || sum() != 36 {
		t.Errorf("histogram of label %d holds %d voxels", p.histID, sum())
	}
	// Picking label 2 draws its histogram: 8 voxels each at both ends.
	waitStats(t, ws, func() { ws.labelsPanel.selectLabel(2) })
	if p.histID != 2 || sum() != 16 || p.counts[0] != 8 || p.counts[len(p.counts)-1] != 8 {
		t.Errorf("histogram of label %d: %v", p.histID, p.counts)
	}
	img := p.drawHistogram(64, 20).(*image.RGBA)
	if c := img.RGBAAt(0, 19); c == img.RGBAAt(32, 19) {
		t.Errorf("histogram raster shows no bar at the first bin: %v", c)
	}
}

// A painted voxel shows up when the statistics are run again.
func TestStatisticsRefresh(t *testing.T) {
	ws := labelledWorkstation(t)
	waitStats(t, ws, ws.stats.compute)
	if n := len(ws.stats.stats.Labels); n != 2 {
		t.Fatalf("%d labels", n)
	}
	ws.editor.labels.Set(ws.scene.Volume.Index(0, 0, 0), 7)
	waitStats(t, ws, ws.stats.button.OnTapped)
	st := ws.stats.stats.Labels
	if len(st) != 3 || st[2].ID != 7 || st[2].Voxels != 1 || *st[2].Mean != -1000 {
		t.Errorf("after painting: %+v", st)
	}
}
