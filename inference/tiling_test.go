package inference

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"slices"
	"testing"
)

func randomVolume(dims [3]int, seed int64) volume {
	r := rand.New(rand.NewSource(seed))
	v := volume{dims: dims, data: make([]float32, dims[0]*dims[1]*dims[2])}
	for i := range v.data {
		v.data[i] = float32(r.Float64()*4 - 2)
	}
	return v
}

func TestSlidingSteps(t *testing.T) {
	// nnU-Net's compute_steps_for_sliding_window, worked by hand.
	cases := []struct {
		size, patch int
		want        []int
	}{
		{64, 64, []int{0}},
		{100, 64, []int{0, 18, 36}},        // ceil(36/32)+1 = 3, step 18
		{128, 64, []int{0, 32, 64}},        // exact halves
		{129, 64, []int{0, 22, 43, 65}},    // 65/3 = 21.67: 21.67, 43.33, 65
		{65, 64, []int{0, 1}},              // ceil(1/32)+1 = 2
		{300, 128, []int{0, 57, 115, 172}}, // 172/3 = 57.33
	}
	for _, c := range cases {
		if got := slidingSteps(c.size, c.patch, 0.5); !slices.Equal(got, c.want) {
			t.Errorf("slidingSteps(%d, %d) = %v, want %v", c.size, c.patch, got, c.want)
		}
	}
	// Round half to even, as numpy: 5/2 = 2.5 → 2.
	if got := slidingSteps(13, 8, 0.5); !slices.Equal(got, []int{0, 2, 5}) {
		t.Errorf("slidingSteps(13, 8) = %v, want [0 2 5]", got)
	}
}

func TestGaussianMap(t *testing.T) {
	g := gaussianMap([3]int{8, 16, 4}, true)
	peak := g[(4*16+8)*4+2]
	if math.Abs(float64(peak)-10) > 1e-5 {
		t.Fatalf("peak %g, want 10 at patch//2", peak)
	}
	for _, v := range g {
		if !(v > 0) || v > peak {
			t.Fatalf("value %g outside (0, peak]", v)
		}
	}
	// sigma = patch/8: one sigma along the 16-axis (2 voxels) from the
	// centre is exp(-1/2) of the peak.
	one := g[(4*16+10)*4+2]
	if math.Abs(float64(one/peak)-math.Exp(-0.5)) > 1e-5 {
		t.Errorf("one sigma: ratio %g, want %g", one/peak, math.Exp(-0.5))
	}
}

// whole-volume pass of a fake net: the reference for tiling.
func wholePass(t *testing.T, net Net, v volume, ax Axes, classes int) []uint16 {
	t.Helper()
	lab := make([]uint16, len(v.data))
	if err := runOverlap(context.Background(), net, v, ax, classes, nil, v.dims, 0, lab, nil); err != nil {
		t.Fatal(err)
	}
	return lab
}

func TestOverlapEqualsWhole(t *testing.T) {
	v := randomVolume([3]int{23, 17, 19}, 1)
	for _, ax := range []Axes{{2, 1, 0}, {0, 1, 2}, {1, 2, 0}} {
		ref := wholePass(t, &boxNet{r: 2, classes: 4}, v, ax, 4)
		for _, core := range [][3]int{{8, 8, 8}, {5, 17, 3}, {23, 1, 19}} {
			net := &boxNet{r: 2, classes: 4}
			got := make([]uint16, len(v.data))
			if err := runOverlap(context.Background(), net, v, ax, 4, nil, core, 2, got, nil); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, ref) {
				t.Errorf("axes %v core %v margin 2: tiled labels differ from the whole pass", ax, core)
			}
			if net.calls < 2 {
				t.Errorf("core %v: %d tiles, expected several", core, net.calls)
			}
		}
	}
	// A margin below the receptive field must show: the test can fail.
	// (Two classes: the sign of a neighbourhood sum, which the zero
	// padding at a tile border flips often enough to see.)
	ref := wholePass(t, &boxNet{r: 2, classes: 2}, v, Axes{2, 1, 0}, 2)
	got := make([]uint16, len(v.data))
	if err := runOverlap(context.Background(), &boxNet{r: 2, classes: 2}, v, Axes{2, 1, 0}, 2, nil, [3]int{5, 5, 5}, 1, got, nil); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(got, ref) {
		t.Error("margin 1 < radius 2 gave the whole-pass labels: the comparison cannot fail")
	}
}

func TestSlidingBlocksEqualUnbounded(t *testing.T) {
	v := randomVolume([3]int{22, 18, 15}, 2)
	ax := Axes{2, 1, 0}
	patch := [3]int{10, 8, 6}
	for _, mirror := range [][]int{nil, {0, 2}} {
		sets := len(mirrorSets(mirror))
		ref := make([]uint16, len(v.data))
		p1 := planSliding(v.dims, patch, 0.5, [3]int{1, 1, 1}, sets)
		if err := runSliding(context.Background(), &boxNet{r: 1, classes: 3}, v, ax, 3, p1, true, mirror, ref, nil); err != nil {
			t.Fatal(err)
		}
		for _, nb := range [][3]int{{2, 1, 1}, {1, 3, 2}, {3, 3, 3}} {
			p := planSliding(v.dims, patch, 0.5, nb, sets)
			if len(p.blocks) < 2 {
				t.Fatalf("blocks %v: only %d block", nb, len(p.blocks))
			}
			got := make([]uint16, len(v.data))
			net := &boxNet{r: 1, classes: 3}
			if err := runSliding(context.Background(), net, v, ax, 3, p, true, mirror, got, nil); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, ref) {
				n := 0
				for i := range got {
					if got[i] != ref[i] {
						n++
					}
				}
				t.Errorf("mirror %v blocks %v: %d voxels differ from the unbounded accumulator", mirror, nb, n)
			}
			if net.calls != p.runs {
				t.Errorf("blocks %v: %d network passes, plan said %d", nb, net.calls, p.runs)
			}
		}
	}
}

func TestAxisOrder(t *testing.T) {
	// A ramp along volume axis k only: the difference network must find it
	// exactly when the tensor's last axis is k ("ijk"), and nowhere when it
	// is i ("kji").
	dims := [3]int{6, 5, 7}
	v := volume{dims: dims, data: make([]float32, 6*5*7)}
	for k := 0; k < 7; k++ {
		for j := 0; j < 5; j++ {
			for i := 0; i < 6; i++ {
				v.data[i+6*(j+5*k)] = float32(k)
			}
		}
	}
	ijk := wholePass(t, diffNet{}, v, Axes{0, 1, 2}, 3)
	kji := wholePass(t, diffNet{}, v, Axes{2, 1, 0}, 3)
	for k := 0; k < 7; k++ {
		for j := 0; j < 5; j++ {
			for i := 0; i < 6; i++ {
				o := i + 6*(j+5*k)
				// Inside, x[k+1] − x[k−1] = 2 > 0.5 → class 1; at k = 0 the
				// zero padding gives 1 − 0 = 1 → 1; at k = 6, 0 − 5 → 2.
				want := uint16(1)
				if k == 6 {
					want = 2
				}
				if ijk[o] != want {
					t.Fatalf("ijk: voxel (%d,%d,%d) = %d, want %d", i, j, k, ijk[o], want)
				}
				// Along i the ramp is flat: 0 inside, the padding at the
				// ends gives ±k.
				wantI := uint16(0)
				if k > 0 && i == 0 {
					wantI = 1
				}
				if k > 0 && i == 5 {
					wantI = 2
				}
				if kji[o] != wantI {
					t.Fatalf("kji: voxel (%d,%d,%d) = %d, want %d", i, j, k, kji[o], wantI)
				}
			}
		}
	}
}

func TestCancelStopsTiling(t *testing.T) {
	v := randomVolume([3]int{20, 20, 20}, 3)
	ctx, cancel := context.WithCancel(context.Background())
	net := &boxNet{r: 0, classes: 2, cancelAt: 3, cancel: cancel}
	lab := make([]uint16, len(v.data))
	err := runOverlap(ctx, net, v, Axes{2, 1, 0}, 2, nil, [3]int{5, 5, 5}, 0, lab, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if net.calls != 3 {
		t.Errorf("%d tiles ran; cancel at the third should stop there", net.calls)
	}
}

func TestPlanOverlapFitsBudget(t *testing.T) {
	m := &Model{Output: OutputSpec{Classes: 104}, Tiling: Tiling{Mode: "overlap", Margin: 45}}
	ni := netInfo{Known: true, Local: true, Radius: 45, MaxChannels: 21}
	ax := Axes{0, 1, 2}
	dims := [3]int{256, 256, 256}
	fixed := int64(256*256*256) * 8
	p, err := makePlan(m, ni, ax, dims, fixed, 2<<30)
	if err != nil {
		t.Fatal(err)
	}
	if p.Estimate > 2<<30 || p.Tiles < 2 {
		t.Errorf("plan %+v: want several tiles within 2 GiB", p)
	}
	// The same with room for everything is one tile.
	p, err = makePlan(m, ni, ax, dims, fixed, 64<<30)
	if err != nil || p.Tiles != 1 {
		t.Errorf("64 GiB: %d tiles, %v", p.Tiles, err)
	}
	// A budget that cannot hold the smallest tile is refused with the
	// estimate.
	_, err = makePlan(m, ni, ax, dims, fixed, 200<<20)
	var me *MemoryError
	if !errors.As(err, &me) || me.Need <= me.Allowed {
		t.Errorf("200 MiB: err = %v, want a MemoryError with the estimate", err)
	}
	// Margin below the receptive field is refused.
	m.Tiling.Margin = 10
	if _, err := makePlan(m, ni, ax, dims, fixed, 2<<30); err == nil {
		t.Error("margin 10 < radius 45 was accepted")
	}
}

func TestPlanSlidingBlocks(t *testing.T) {
	m := &Model{Output: OutputSpec{Classes: 100}, Tiling: Tiling{Mode: "sliding", Patch: []int{64, 128, 128}, Step: 0.5}}
	ni := netInfo{Known: true, Local: true, MaxChannels: 4}
	ax := Axes{2, 1, 0}
	dims := [3]int{512, 512, 300}
	fixed := int64(512*512*300) * 8
	p, err := makePlan(m, ni, ax, dims, fixed, 2<<30)
	if err != nil {
		t.Fatal(err)
	}
	if p.Blocks < 2 || p.Estimate > 2<<30 {
		t.Errorf("plan %+v: want blocks within 2 GiB", p)
	}
	t.Logf("512×512×300, 100 classes, 2 GiB: %d tiles, %d blocks, %d passes, estimate %s", p.Tiles, p.Blocks, p.Runs, FormatBytes(p.Estimate))
	whole := int64(100*4) * int64(512*512*300)
	if whole < 2<<30 {
		t.Fatal("the unbounded accumulator would fit; the test proves nothing")
	}
}
