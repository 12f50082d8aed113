package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"delineate/viewer"
	"delineate/viewer/load"
	"delineate/viewer/nifti"
)

func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	series := fs.Int("series", 0, "series index from `info`")
	force := fs.Bool("force", false, "overwrite OUT if it exists")
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
	vol, st, err := openVolume(ctx, pos[0], *series)
	if err != nil {
		return err
	}
	if st.FromDICOM(*series) {
		vol = dcm2niixLayout(vol)
	}
	for _, w := range vol.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	return nifti.Write(pos[1], vol, nifti.WriteOptions{Overwrite: *force, Description: vol.Modality})
}

// dcm2niixLayout stores rows bottom-up, as dcm2niix does, so that a DICOM
// conversion is voxel-for-voxel interchangeable with one made by dcm2niix
// (and with label maps drawn on such conversions). The patient positions are
// unchanged.
func dcm2niixLayout(v *viewer.Volume) *viewer.Volume {
	return viewer.FlipAxis(v, 1)
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
