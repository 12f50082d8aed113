package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/labels"
	"delineate/viewer/load"
	"delineate/viewer/nifti"
)

func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	defer batchGC()()
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	series := fs.Int("series", 0, "series index from `info`")
	force := fs.Bool("force", false, "overwrite OUT if it exists")
	rawStack := fs.Bool("raw-stack", false, "a tilted or irregularly spaced series as its slices are stored, not resampled")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf("convert takes PATH and OUT")
	}
	if !load.IsNIfTI(pos[1]) {
		return usageErrorf("OUT must end in .nii or .nii.gz")
	}
	// The output can be made again from the study: no fsync (a power cut
	// loses it; it never leaves a half-written file under its name).
	wopt := nifti.WriteOptions{Overwrite: *force, NoSync: true}
	if dicom.IsSEG(pos[0]) {
		return convertSEG(pos[0], pos[1], wopt, stderr)
	}
	st, err := load.Open(ctx, pos[0], load.Options{})
	if err != nil {
		return err
	}
	if *series >= 0 && *series < len(st.Series) && st.Series[*series].Volumes > 1 {
		return convert4D(ctx, st, *series, pos[1], wopt, load.Options{RawStack: *rawStack}, stderr)
	}
	if st.FromDICOM(*series) {
		return convertDICOM(ctx, st, *series, pos[1], wopt, load.Options{RawStack: *rawStack}, stderr)
	}
	vol, err := st.Load(ctx, *series, load.Options{})
	if err != nil {
		return err
	}
	printWarnings(stderr, append(append([]string(nil), st.Warnings...), vol.Warnings...))
	wopt.Description = vol.Modality
	return nifti.Write(pos[1], vol, wopt)
}

// batchGC lets the garbage collector run less often for a command whose
// live heap stays small (a header scan, a streamed conversion: the voxels
// are in a few explicit buffers): the scan's parser makes a lot of
// short-lived garbage, and collecting it at the default pace cost a fifth
// of a conversion's time (measured: 169 → 135 ms on the 300-slice series).
// It returns the restore.
func batchGC() func() {
	old := debug.SetGCPercent(400)
	return func() { debug.SetGCPercent(old) }
}

func printWarnings(w io.Writer, warnings []string) {
	for _, s := range warnings {
		fmt.Fprintln(w, "warning:", s)
	}
}

// convertDICOM writes series i in dcm2niix's row order. A classic series
// streams: each slice goes to the file as soon as it and those before it
// are read, reversed row by row on the way, so writing overlaps reading and
// memory is a few slices whatever the study's size. Others (multi-frame,
// mosaic, a slice that fails) load whole first.
func convertDICOM(ctx context.Context, st *load.Study, i int, out string, wopt nifti.WriteOptions, lopt load.Options, stderr io.Writer) error {
	warnings, err := streamVolumes(ctx, st, i, out, wopt, lopt, func(int) {})
	if err == nil {
		printWarnings(stderr, warnings)
		return nil
	}
	if !errors.Is(err, dicom.ErrNotStreamable) {
		return err
	}
	v, err := st.Load(ctx, i, lopt)
	if err != nil {
		return err
	}
	printWarnings(stderr, append(append([]string(nil), st.Warnings...), v.Warnings...))
	wopt.Description = v.Modality
	return nifti.Write(out, dcm2niixLayout(v), wopt)
}

// convertSEG writes a DICOM Segmentation as a label map on its frames'
// own geometry (segment number = label id), rows bottom-up as convertDICOM
// writes its source series, and the segments' names and colours beside it
// as an ITK-SNAP label description file (segNamesPath), which File → Open
// Label Names…, `stats --names` and ITK-SNAP read.
func convertSEG(path, out string, wopt nifti.WriteOptions, stderr io.Writer) error {
	seg, err := dicom.ReadSEG(path)
	if err != nil {
		return err
	}
	lm, err := seg.LabelMap()
	if err != nil {
		return err
	}
	names := segNamesPath(out)
	if !wopt.Overwrite {
		if _, err := os.Stat(names); err == nil {
			return fmt.Errorf("%s exists; not overwriting (use --force)", names)
		}
	}
	printWarnings(stderr, lm.Warnings)
	wopt.Description = "DICOM SEG labels"
	if err := nifti.Write(out, dcm2niixLayout(lm.Volume), wopt); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := labels.WriteITKSNAP(&b, &lm.Table); err != nil {
		return err
	}
	if err := os.WriteFile(names, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", names, err)
	}
	fmt.Fprintf(stderr, "%d segments; label names and colours in %s\n", len(lm.Table.Labels), names)
	return nil
}

// segNamesPath is where convertSEG puts the label table: OUT without its
// .nii/.nii.gz suffix, plus .labels.txt.
func segNamesPath(out string) string {
	base := out
	for _, suf := range []string{".nii.gz", ".nii"} {
		if len(base) > len(suf) && strings.EqualFold(base[len(base)-len(suf):], suf) {
			base = base[:len(base)-len(suf)]
			break
		}
	}
	return base + ".labels.txt"
}

// dcm2niixLayout stores rows bottom-up, as dcm2niix does, so that a DICOM
// conversion is voxel-for-voxel interchangeable with one made by dcm2niix
// (and with label maps drawn on such conversions). The patient positions are
// unchanged. The volume is the conversion's own, so the rows are swapped in
// its memory rather than in a copy.
func dcm2niixLayout(v *viewer.Volume) *viewer.Volume {
	return viewer.FlipRowsInPlace(v)
}

// openVolume opens PATH and loads series i.
func openVolume(ctx context.Context, path string, i int) (*viewer.Volume, *load.Study, error) {
	st, err := load.Open(ctx, path, load.Options{})
	if err != nil {
		return nil, nil, err
	}
	vol, err := st.Load(ctx, i, load.Options{})
	if err != nil {
		return nil, nil, err
	}
	if len(st.Warnings) > 0 {
		vol.Warnings = append(append([]string(nil), st.Warnings...), vol.Warnings...)
	}
	return vol, st, nil
}
