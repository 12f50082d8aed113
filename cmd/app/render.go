package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/load"
)

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	planeS := fs.String("plane", "axial", "axial, coronal or sagittal")
	index := fs.Int("index", -1, "slice index along the volume axis nearest the plane normal (default: middle)")
	windowS := fs.String("window", "", "C,W or a preset name (brain, soft, liver, lung, bone, auto, header); default: header or auto")
	out := fs.String("out", "", "output PNG")
	labelsPath := fs.String("labels", "", "label map NIfTI to overlay (same grid as the image), or a DICOM SEG of the image's series")
	opacity := fs.Float64("opacity", 0.5, "label fill opacity, 0..1")
	series := fs.Int("series", 0, "series index from `info`")
	force := fs.Bool("force", false, "overwrite OUT if it exists")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("render takes one PATH")
	}
	if *out == "" {
		return usageErrorf("--out is required")
	}
	if *opacity < 0 || *opacity > 1 {
		return usageErrorf("--opacity must be within 0..1")
	}
	plane, err := viewer.ParsePlane(*planeS)
	if err != nil {
		return usageErrorf("%v", err)
	}
	vol, _, err := openVolume(ctx, pos[0], *series)
	if err != nil {
		return err
	}
	win := viewer.DefaultWindow(vol)
	if *windowS != "" {
		if win, err = viewer.ParseWindow(*windowS, vol); err != nil {
			return usageErrorf("%v", err)
		}
	}
	n := viewer.SliceCount(vol.Geometry, plane)
	k := *index
	if k < 0 {
		k = n / 2
	}
	if k >= n {
		return usageErrorf("--index %d is out of range: the %s plane has %d slices (0..%d)", k, plane, n, n-1)
	}
	if _, warn := viewer.NearestAxes(vol.Geometry); warn != "" {
		fmt.Fprintln(stderr, "warning:", warn)
	}
	grey, err := viewer.RenderSlice(vol, plane, k, viewer.NewWindowLUT(win), nil)
	if err != nil {
		return err
	}
	var img image.Image = grey
	if *labelsPath != "" && dicom.IsSEG(*labelsPath) {
		// A DICOM SEG is placed on the series' slices by its frames'
		// positions, and drawn in its segments' colours.
		lm, err := segLabelsOn(*labelsPath, vol, stderr)
		if err != nil {
			return err
		}
		if img, err = viewer.RenderOverlay(grey, lm.Volume, plane, k, *opacity, lm.Table.Colours(), nil); err != nil {
			return err
		}
	} else if *labelsPath != "" {
		lst, err := load.Open(ctx, *labelsPath, load.Options{})
		if err != nil {
			return fmt.Errorf("labels: %w", err)
		}
		lab, err := lst.Load(ctx, 0, load.Options{})
		if err != nil {
			return fmt.Errorf("labels: %w", err)
		}
		lab, err = viewer.AlignTo(vol.Geometry, lab, 0.01*minSpacing(vol.Geometry))
		if err != nil {
			return fmt.Errorf("labels %s do not fit the image: %w", *labelsPath, err)
		}
		if img, err = viewer.RenderOverlay(grey, lab, plane, k, *opacity, nil, nil); err != nil {
			return err
		}
	}
	return writePNG(*out, img, *force)
}

func minSpacing(g viewer.Geometry) float64 {
	return min(g.Spacing[0], g.Spacing[1], g.Spacing[2])
}

// writePNG writes atomically (temp file + rename) and refuses to replace an
// existing file unless told to.
func writePNG(path string, img image.Image, force bool) error {
	if !force {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s exists; not overwriting (use --force)", path)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".delineate-*.png")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := png.Encode(tmp, img); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
