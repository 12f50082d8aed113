package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/labels"
	"delineate/viewer/nifti"
)

func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	namesPath := fs.String("names", "", "label names: ITK-SNAP label file, Slicer colour table or JSON")
	series := fs.Int("series", 0, "series index from `info` (for a DICOM folder)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf("stats takes IMAGE and LABELS")
	}
	var names *viewer.LabelTable
	if *namesPath != "" {
		if names, err = labels.ReadTable(*namesPath); err != nil {
			return fmt.Errorf("names: %w", err)
		}
	}
	img, _, err := openVolume(ctx, pos[0], *series)
	if err != nil {
		return err
	}
	var lab *viewer.Volume
	if dicom.IsSEG(pos[1]) {
		// A DICOM SEG over the image's series: its segments' names unless
		// --names gives others.
		lm, err := segLabelsOn(pos[1], img, stderr)
		if err != nil {
			return err
		}
		lab = lm.Volume
		if names == nil {
			names = &lm.Table
		}
	} else if lab, err = nifti.Read(pos[1]); err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	st, err := labels.Compute(img, lab, names)
	if err != nil {
		return fmt.Errorf("labels %s: %w", pos[1], err)
	}
	if !st.GeometryMatch {
		fmt.Fprintf(stderr, "warning: intensity statistics left out: %s\n", st.Mismatch)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

// segLabelsOn reads a DICOM SEG onto an image (frames placed by
// position), its segment names and colours as the label table, and
// prints its warnings.
func segLabelsOn(path string, img *viewer.Volume, stderr io.Writer) (*viewer.LabelMap, error) {
	seg, err := dicom.ReadSEG(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	lm, err := seg.LabelsOnVolume(img)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	printWarnings(stderr, lm.Warnings)
	return lm, nil
}
