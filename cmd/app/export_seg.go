package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/labels"
	"delineate/viewer/load"
	"delineate/viewer/nifti"
)

// runExportSEG: `export seg IMAGE LABELS.nii.gz --out SEG.dcm` writes a
// label map as a DICOM Segmentation of the DICOM series it was drawn on;
// `export seg --project DIR --case ID --out SEG.dcm` takes the image, the
// labels, their names and each label's provenance from a project.
func runExportSEG(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export seg", flag.ContinueOnError)
	out := fs.String("out", "", "the DICOM SEG file to write")
	namesPath := fs.String("names", "", "label names and colours: ITK-SNAP label file, Slicer colour table or JSON id→name (default: the project's table)")
	series := fs.Int("series", 0, "series index from `info` (for a DICOM folder)")
	force := fs.Bool("force", false, "replace an existing --out")
	projDir := fs.String("project", "", "project folder: names, colours and each label's provenance")
	caseID := fs.String("case", "", "the project's case (its image and labels unless IMAGE and LABELS are given)")
	algType := fs.String("algorithm-type", "", "AUTOMATIC, SEMIAUTOMATIC or MANUAL for labels whose provenance is not known (default SEMIAUTOMATIC)")
	algName := fs.String("algorithm-name", "", "the model or tool, for labels whose provenance does not name one (default Delineate)")
	desc := fs.String("description", "", "the SEG's SeriesDescription (default Segmentation)")
	seriesNumber := fs.Int("series-number", 0, "the SEG's SeriesNumber (default the source's + 1000)")
	creator := fs.String("creator", "", "ContentCreatorName, as Family^Given")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("export seg needs --out SEG.dcm")
	}
	if (*projDir == "") != (*caseID == "") {
		return usageErrorf("--project and --case go together")
	}
	if len(pos) != 2 && !(*projDir != "" && len(pos) == 0) {
		return usageErrorf("export seg takes IMAGE and LABELS (or --project DIR --case ID)")
	}
	switch *algType = strings.ToUpper(*algType); *algType {
	case "", dicom.AlgorithmAutomatic, dicom.AlgorithmSemiautomatic, dicom.AlgorithmManual:
	default:
		return usageErrorf("--algorithm-type %s: AUTOMATIC, SEMIAUTOMATIC or MANUAL", *algType)
	}

	opt := dicom.SEGOptions{AlgorithmType: *algType, AlgorithmName: *algName, SeriesDescription: *desc,
		SeriesNumber: *seriesNumber, ContentCreatorName: *creator, Overwrite: *force}
	var imagePath, labelPath string
	if len(pos) == 2 {
		imagePath, labelPath = pos[0], pos[1]
	}
	if *projDir != "" {
		p, err := project.Open(*projDir)
		if err != nil {
			return err
		}
		defer p.Close()
		c := p.Case(*caseID)
		if c == nil {
			return fmt.Errorf("project %s has no case %q", *projDir, *caseID)
		}
		if imagePath == "" {
			if c.Labels == "" {
				return fmt.Errorf("case %s has no labels yet: %w", c.ID, dicom.ErrSEGNothing)
			}
			imagePath, labelPath = p.Resolve(c.Image), p.Resolve(c.Labels)
		}
		opt.Table = p.Table()
		opt.Segments = c.Provenance.SEGSegments()
	}
	if *namesPath != "" {
		if opt.Table, err = labels.ReadTable(*namesPath); err != nil {
			return fmt.Errorf("--names: %w", err)
		}
	}
	if *projDir == "" {
		// Without a project nothing says who made each label.
		t := *algType
		if t == "" {
			t = dicom.AlgorithmSemiautomatic
		}
		fmt.Fprintf(stderr, "no --project: every segment is %s (--algorithm-type to say otherwise)\n", t)
	}

	src, err := segSourceSeries(ctx, imagePath, *series, stderr)
	if err != nil {
		return err
	}
	lm, err := segLabelMap(labelPath)
	if err != nil {
		return err
	}
	res, err := dicom.WriteSEG(*out, src, lm, opt)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists; not overwriting (use --force)", *out)
	}
	if err != nil {
		return err
	}
	printWarnings(stderr, res.Warnings)
	fmt.Fprintf(stdout, "wrote %s: %d segments, %d frames over %d slices, %.1f MB\n", res.Path, len(res.Segments), res.Frames, src.Slices, float64(res.Bytes)/1e6)
	fmt.Fprintf(stdout, "  SOPInstanceUID %s, SeriesInstanceUID %s\n", res.SOPInstanceUID, res.SeriesInstanceUID)
	for _, sg := range res.Segments {
		alg := sg.AlgorithmType
		if sg.AlgorithmName != "" {
			alg += " (" + sg.AlgorithmName + ")"
		}
		fmt.Fprintf(stdout, "  segment %d = label %d %q: %s, %d frames, %d voxels\n", sg.Number, sg.LabelID, sg.Label, alg, sg.Frames, sg.Voxels)
	}
	return nil
}

// segSourceSeries scans a DICOM image for series i (the `info` index):
// the series a SEG refers to. A NIfTI image has no instances to refer to.
func segSourceSeries(ctx context.Context, path string, i int, stderr io.Writer) (*dicom.Series, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() && load.IsNIfTI(path) {
		return nil, fmt.Errorf("%s is a NIfTI image: a DICOM SEG needs the source DICOM series (it references every slice by its UIDs); give the DICOM folder the image was converted from: %w", path, dicom.ErrSEGSource)
	}
	if !st.IsDir() && dicom.IsSEG(path) {
		return nil, fmt.Errorf("%s is a DICOM SEG itself: give the image series it segments: %w", path, dicom.ErrSEGSource)
	}
	res, err := dicom.Scan(ctx, path, dicom.Options{})
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(res.Series) {
		return nil, fmt.Errorf("%w: %d (%s has %d)", load.ErrNoSuchSeries, i, path, len(res.Series))
	}
	printWarnings(stderr, res.Warnings)
	s := res.Series[i]
	if s.NumVolumes() > 1 {
		fmt.Fprintf(stderr, "warning: the series has %d volumes: the SEG is drawn over the first volume's images\n", s.NumVolumes())
	}
	return s, nil
}

// segLabelMap reads a label NIfTI (on the image's grid in any voxel
// order: WriteSEG puts it on the series' slices).
func segLabelMap(path string) (*viewer.LabelMap, error) {
	if dicom.IsSEG(path) {
		return nil, fmt.Errorf("%s is a DICOM SEG already: convert it to NIfTI first if it is to be rewritten", path)
	}
	v, err := nifti.Read(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	lm, err := viewer.LabelMapFromVolume(v)
	if err != nil {
		return nil, fmt.Errorf("labels %s: %v: %w", path, err, dicom.ErrSEGLabels)
	}
	return lm, nil
}
