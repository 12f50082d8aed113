package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"delineate/inference/ort"
	"delineate/inference/sam"
	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// runPrompt: `prompt --model DIR IMAGE (--point i,j,k[,fg|bg]... | --box …)
// [--propagate] --out MASK.nii.gz` — SAM-family visual prompts in voxel
// indices, for scripts.
func runPrompt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("prompt", flag.ContinueOnError)
	modelDir := fs.String("model", "", "folder with encoder.onnx and decoder.onnx (SAM's contract)")
	planeS := fs.String("plane", "axial", "axial, coronal or sagittal")
	var points listFlag
	fs.Var(&points, "point", "i,j,k[,fg|bg] voxel to include (fg, the default) or exclude (bg); repeatable")
	boxS := fs.String("box", "", "i0,j0,i1,j1,k (axial) or i0,j0,k0,i1,j1,k1 (two corner voxels of one slice of --plane)")
	propagate := fs.Bool("propagate", false, "carry the prompt slice by slice until the mask vanishes")
	windowS := fs.String("window", "", "C,W or a preset; default: the image's")
	out := fs.String("out", "", "mask label map (1 inside) on the image's grid")
	device := fs.String("device", "auto", "auto, cpu or cuda")
	threads := fs.Int("threads", 0, "intra-op threads (0 = all cores)")
	lib := fs.String("ort-lib", "", "ONNX Runtime library")
	force := fs.Bool("force", false, "overwrite --out")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *modelDir == "" || *out == "" || (len(points) == 0 && *boxS == "") {
		return usageErrorf("prompt takes --model, IMAGE, --point or --box, and --out")
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		return fmt.Errorf("%s exists; pass --force to overwrite it", *out)
	}
	plane, err := viewer.ParsePlane(*planeS)
	if err != nil {
		return usageErrorf("%v", err)
	}
	vol, err := project.LoadImage(ctx, pos[0])
	if err != nil {
		return err
	}
	win := viewer.DefaultWindow(vol)
	if *windowS != "" {
		if win, err = viewer.ParseWindow(*windowS, vol); err != nil {
			return usageErrorf("--window: %v", err)
		}
	}
	l, err := viewer.NewSliceLayout(vol.Geometry, plane)
	if err != nil {
		return err
	}
	slice := -1
	var pr sam.Prompt
	at := func(idx [3]int) (float64, float64, error) {
		for a := 0; a < 3; a++ {
			if idx[a] < 0 || idx[a] >= vol.Dims[a] {
				return 0, 0, usageErrorf("voxel %v is outside the %v image", idx, vol.Dims)
			}
		}
		k, x, y := l.Pixel(idx)
		if slice >= 0 && k != slice {
			return 0, 0, usageErrorf("the prompt's voxels lie on different %s slices (%d and %d)", plane, slice, k)
		}
		slice = k
		return float64(x) + 0.5, float64(y) + 0.5, nil
	}
	for _, p := range points {
		v, fg, err := parsePoint(p)
		if err != nil {
			return usageErrorf("--point %q: %v", p, err)
		}
		x, y, err := at(v)
		if err != nil {
			return err
		}
		pr.Points = append(pr.Points, sam.Point{X: x, Y: y, FG: fg})
	}
	if *boxS != "" {
		a, b, err := parseBox(*boxS, plane)
		if err != nil {
			return usageErrorf("--box %q: %v", *boxS, err)
		}
		x0, y0, err := at(a)
		if err != nil {
			return err
		}
		x1, y1, err := at(b)
		if err != nil {
			return err
		}
		// Corner pixels' centres → the box around both corner pixels.
		box := [4]float64{min(x0, x1) - 0.5, min(y0, y1) - 0.5, max(x0, x1) + 0.5, max(y0, y1) + 0.5}
		pr.Box = &box
	}
	rt, err := ort.Load(*lib)
	if err != nil {
		return err
	}
	m, err := sam.OpenFolder(rt, *modelDir, *device, *threads)
	if err != nil {
		return err
	}
	defer m.Close()
	s, err := sam.NewSession(m, vol, plane, win, nil)
	if err != nil {
		return err
	}
	masks := map[int][]uint8{}
	if *propagate {
		masks, err = s.Propagate(ctx, slice, pr, 0, func(k int) { fmt.Fprintf(stderr, "\rslice %d", k) })
		fmt.Fprintln(stderr)
	} else {
		var m []uint8
		var score float32
		m, score, err = s.Segment(ctx, slice, pr)
		masks[slice] = m
		fmt.Fprintf(stderr, "score %.3f\n", score)
	}
	if err != nil {
		return err
	}
	lm, err := viewer.NewLabelMap(vol.Geometry, 1)
	if err != nil {
		return err
	}
	n := 0
	for k, mk := range masks {
		n += lm.PaintSlice(l, k, mk, 1)
	}
	if err := nifti.Write(*out, lm.Volume, nifti.WriteOptions{Overwrite: *force, Description: "delineate prompt"}); err != nil {
		return err
	}
	ml := float64(n) * vol.Spacing[0] * vol.Spacing[1] * vol.Spacing[2] / 1000
	fmt.Fprintf(stdout, "wrote %s: %d voxels (%.2f mL) on %d slice(s)\n", *out, n, ml, len(masks))
	return nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func parsePoint(s string) ([3]int, bool, error) {
	fg := true
	parts := strings.Split(s, ",")
	if len(parts) == 4 {
		switch strings.ToLower(strings.TrimSpace(parts[3])) {
		case "fg", "+", "1":
		case "bg", "-", "0":
			fg = false
		default:
			return [3]int{}, false, fmt.Errorf("want fg or bg, not %q", parts[3])
		}
		parts = parts[:3]
	}
	v, err := parseInts(strings.Join(parts, ","))
	if err != nil || len(v) != 3 {
		return [3]int{}, false, fmt.Errorf("want i,j,k[,fg|bg]")
	}
	return [3]int{v[0], v[1], v[2]}, fg, nil
}

func parseBox(s string, p viewer.Plane) ([3]int, [3]int, error) {
	v, err := parseInts(s)
	if err != nil {
		return [3]int{}, [3]int{}, err
	}
	switch {
	case len(v) == 5 && p == viewer.Axial:
		return [3]int{v[0], v[1], v[4]}, [3]int{v[2], v[3], v[4]}, nil
	case len(v) == 6:
		return [3]int{v[0], v[1], v[2]}, [3]int{v[3], v[4], v[5]}, nil
	}
	return [3]int{}, [3]int{}, fmt.Errorf("want i0,j0,i1,j1,k (axial) or i0,j0,k0,i1,j1,k1")
}
