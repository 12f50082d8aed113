package inference

import (
	"fmt"
	"math"
)

// netInfo is what the tiler needs to know of the network beyond the
// description: fixed spatial sizes (0 = dynamic, tensor order), the widest
// layer and, for fully convolutional networks, the receptive field.
type netInfo struct {
	Fixed       [3]int
	MaxChannels int
	Local       bool
	LocalReason string
	Radius      int // largest receptive-field radius over the axes
	Known       bool
	Norm        bool // has normalisation layers (more intermediates alive)
	OutChannels int  // channels the network returns when its head is split off; 0 = the classes
}

// Plan is how a run will tile the volume, and what memory it expects.
type Plan struct {
	Mode      string `json:"mode"`
	Grid      [3]int `json:"grid"`                // the network's grid (volume order)
	Tile      [3]int `json:"tile"`                // largest tile (tensor order)
	Margin    int    `json:"margin,omitempty"`    // overlap tiling
	Tiles     int    `json:"tiles"`               // distinct tiles
	Runs      int    `json:"runs"`                // network passes
	Blocks    int    `json:"blocks,omitempty"`    // sliding window: accumulator blocks
	Mirrors   int    `json:"mirrors,omitempty"`   // passes per tile with mirroring
	Estimate  int64  `json:"estimate_bytes"`      // estimated peak
	Budget    int64  `json:"budget_bytes"`        // allowed
	BytesPerV int    `json:"net_bytes_per_voxel"` // network working memory per tile voxel
	Note      string `json:"note,omitempty"`
	Head      string `json:"head,omitempty"` // how the last layer ran when the runner applied it

	core    [3]int
	sliding slidingPlan
	pad     [3]int // sliding: padding below (volume order)
	padded  [3]int // sliding: padded dims
}

// netBytesPerVoxel estimates the network's working memory per voxel of a
// tile, fitted to ONNX Runtime 1.24 on the CPU with the runner's own
// output buffer: the output map (K classes, or C features when the head is
// split off), two activations of the widest hidden layer (three when the
// network normalises, which keeps statistics and inputs alive), plus the
// input, with a tenth more. Marginal costs measured from the peak RSS of
// whole passes at 96³ and 128³: 513 B/voxel for the 104-class MeshNet
// (21 channels; estimate 647) and 180 with its head split (estimate 282);
// about 190 for MindGrab's normalised 15-channel layers (estimate 211).
func netBytesPerVoxel(m *Model, ni netInfo) int {
	if m.Memory != nil {
		return m.Memory.BytesPerVoxel
	}
	c := ni.MaxChannels
	if c == 0 {
		c = 32
	}
	k := m.Output.Classes
	if ni.OutChannels > 0 {
		k = ni.OutChannels
	}
	a := 2.0
	if ni.Norm {
		a = 3
	}
	return int(4 * (float64(k) + a*float64(c) + 1) * 1.1)
}

// makePlan chooses the tiling for a grid of dims (volume order) within
// budget bytes, of which fixed are already taken by the volumes.
func makePlan(m *Model, ni netInfo, ax Axes, dims [3]int, fixed, budget int64) (Plan, error) {
	bpv := netBytesPerVoxel(m, ni)
	p := Plan{Mode: m.Tiling.Mode, Grid: dims, Budget: budget, BytesPerV: bpv}
	// The estimate counts the run's buffers; a tenth of the budget is kept
	// for what it cannot count (the Go runtime and collector, ONNX
	// Runtime's allocator, freed pages not yet returned). Measured: a
	// 100-class sliding window planned to the whole of 2 GiB peaked at
	// 2.06 GiB.
	fit := budget - budget/10
	avail := fit - fixed
	tdims := ax.ToTensor(dims)
	fixedOK := func(tile [3]int) error {
		for t := 0; t < 3; t++ {
			if ni.Fixed[t] > 0 && ni.Fixed[t] != tile[t] {
				return fmt.Errorf("the network takes exactly %d×%d×%d voxels (tensor order) but would get %d×%d×%d; conform the image to its grid (preprocess.conform.dims) or use a sliding-window patch of that size",
					ni.Fixed[0], ni.Fixed[1], ni.Fixed[2], tile[0], tile[1], tile[2])
			}
		}
		return nil
	}
	switch m.Tiling.Mode {
	case "whole":
		if err := fixedOK(tdims); err != nil {
			return p, err
		}
		v := int64(dims[0] * dims[1] * dims[2])
		p.Tile, p.Tiles, p.Runs, p.core = tdims, 1, 1, dims
		p.Estimate = fixed + v*int64(bpv+4)
		if p.Estimate > fit {
			why := "this network needs the whole volume in one pass"
			if !ni.Local && ni.LocalReason != "" {
				why += " (" + ni.LocalReason + ")"
			}
			return p, &MemoryError{Need: p.Estimate, Allowed: budget, What: fmt.Sprintf("%s, %d×%d×%d voxels,", why, dims[0], dims[1], dims[2])}
		}
	case "overlap":
		if ni.Known && !ni.Local {
			return p, fmt.Errorf("overlap tiling needs a fully convolutional network, but %s; use tiling mode \"whole\"", ni.LocalReason)
		}
		if ni.Known && m.Tiling.Margin < ni.Radius {
			return p, fmt.Errorf("tiling.margin %d is less than the network's receptive-field radius %d: tiles would differ from one whole pass", m.Tiling.Margin, ni.Radius)
		}
		if ni.Fixed != [3]int{} {
			if err := fixedOK(tdims); err != nil {
				return p, err
			}
		}
		p.Margin = m.Tiling.Margin
		// Fewest voxels computed, subject to the largest tile fitting. Both
		// are products over the axes, so each axis is tabulated once.
		var axisSum, axisMax [3][]int64
		for a := 0; a < 3; a++ {
			limit := max(1, ceilDiv(dims[a], 8))
			if ni.Fixed != [3]int{} {
				limit = 1
			}
			for n := 1; n <= limit; n++ {
				c := ceilDiv(dims[a], n)
				var sum, big int64
				for s := 0; s < dims[a]; s += c {
					l := int64(min(dims[a], s+c+p.Margin) - max(0, s-p.Margin))
					sum += l
					big = max(big, l)
				}
				axisSum[a] = append(axisSum[a], sum)
				axisMax[a] = append(axisMax[a], big)
			}
		}
		best, bestTile := int64(math.MaxInt64), int64(0)
		var bestN [3]int
		found := false
		for n2 := range axisSum[2] {
			for n1 := range axisSum[1] {
				for n0 := range axisSum[0] {
					largest := axisMax[0][n0] * axisMax[1][n1] * axisMax[2][n2]
					if fixed+largest*int64(bpv+4) > fit {
						continue
					}
					total := axisSum[0][n0] * axisSum[1][n1] * axisSum[2][n2]
					if total < best || (total == best && largest < bestTile) {
						best, bestTile, bestN, found = total, largest, [3]int{n0 + 1, n1 + 1, n2 + 1}, true
					}
				}
			}
		}
		if found {
			for a := 0; a < 3; a++ {
				p.core[a] = ceilDiv(dims[a], bestN[a])
			}
			tiles, _ := overlapTiles(dims, p.core, p.Margin)
			p.Tiles, p.Runs = len(tiles), len(tiles)
			p.Estimate = fixed + bestTile*int64(bpv+4)
			for _, t := range tiles {
				if int64(t.voxels()) == bestTile {
					p.Tile = ax.ToTensor(t.size())
					break
				}
			}
		}
		if !found {
			return p, &MemoryError{Need: fixed + int64(bpv+4)*int64(cube(2*p.Margin+8)), Allowed: budget, What: fmt.Sprintf("the smallest useful tile (margin %d)", p.Margin)}
		}
		if p.Tiles > 1 {
			p.Note = fmt.Sprintf("%d overlapping tiles (core %v, margin %d) computing %.2f× the volume's voxels, to stay within %s", p.Tiles, ax.ToTensor(p.core), p.Margin, float64(best)/float64(dims[0]*dims[1]*dims[2]), FormatBytes(budget))
		}
	case "sliding":
		patch := [3]int{m.Tiling.Patch[0], m.Tiling.Patch[1], m.Tiling.Patch[2]}
		if err := fixedOK(patch); err != nil && ni.Fixed != [3]int{} {
			return p, err
		}
		vpatch := ax.ToVolume(patch)
		var padded [3]int
		for a := 0; a < 3; a++ {
			padded[a] = max(dims[a], vpatch[a])
			p.pad[a] = (padded[a] - dims[a]) / 2
		}
		p.padded = padded
		mirrors := len(mirrorSets(m.Tiling.MirrorAxes))
		pv := int64(cube3(patch))
		tileCost := pv * int64(bpv+4)
		if mirrors > 1 {
			tileCost += pv * int64(4*m.Output.Classes+4)
		}
		padCost := int64(0)
		if padded != dims {
			padCost = int64(cube3(padded)) * 6
		}
		accAvail := avail - tileCost - padCost
		perAcc := int64(4 * (m.Output.Classes + 1))
		// Network passes and the largest block are products over the axes
		// too: a tile meets a block when it meets it along every axis.
		var axisPairs, axisBig [3][]int
		var axisCuts [3][][]int
		for a := 0; a < 3; a++ {
			starts := slidingSteps(padded[a], vpatch[a], m.Tiling.Step)
			for n := 1; n <= len(starts); n++ {
				cuts := blockCuts(padded[a], starts, n)
				pairs, big := 0, 0
				for b := 0; b+1 < len(cuts); b++ {
					big = max(big, cuts[b+1]-cuts[b])
					for _, s := range starts {
						if s < cuts[b+1] && s+vpatch[a] > cuts[b] {
							pairs++
						}
					}
				}
				axisPairs[a] = append(axisPairs[a], pairs)
				axisBig[a] = append(axisBig[a], big)
				axisCuts[a] = append(axisCuts[a], cuts)
			}
		}
		bestRuns, bestBig := math.MaxInt, 0
		var bestN [3]int
		found := false
		for n2 := range axisPairs[2] {
			for n1 := range axisPairs[1] {
				for n0 := range axisPairs[0] {
					largest := axisBig[0][n0] * axisBig[1][n1] * axisBig[2][n2]
					if int64(largest)*perAcc > accAvail {
						continue
					}
					runs := axisPairs[0][n0] * axisPairs[1][n1] * axisPairs[2][n2] * mirrors
					if runs < bestRuns {
						bestRuns, bestBig, bestN, found = runs, largest, [3]int{n0 + 1, n1 + 1, n2 + 1}, true
					}
				}
			}
		}
		if found {
			p.sliding = planSliding(padded, vpatch, m.Tiling.Step, bestN, mirrors)
			p.Estimate = fixed + tileCost + padCost + int64(bestBig)*perAcc
		}
		if !found {
			return p, &MemoryError{Need: fixed + tileCost + padCost + int64(cube3(vpatch))*perAcc, Allowed: budget, What: fmt.Sprintf("a %d-class sliding window with patch %v", m.Output.Classes, patch)}
		}
		p.Tile, p.Tiles, p.Runs, p.Blocks, p.Mirrors = patch, len(p.sliding.tiles), p.sliding.runs, len(p.sliding.blocks), mirrors
		if p.Blocks > 1 {
			p.Note = fmt.Sprintf("the %d-class accumulator is held in %d blocks (%d network passes instead of %d) to stay within %s", m.Output.Classes, p.Blocks, p.Runs, p.Tiles*mirrors, FormatBytes(budget))
		}
	}
	return p, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func cube(n int) int { return n * n * n }

func cube3(d [3]int) int { return d[0] * d[1] * d[2] }
