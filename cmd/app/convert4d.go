package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/load"
	"delineate/viewer/nifti"
)

// A multi-volume series (fMRI, DTI, perfusion, a 4D NIfTI) converts to
// one 4D NIfTI, volumes in acquisition order as dcm2niix writes them,
// with the time between volumes in pixdim[4]. Volumes stream one after
// another into the file where each can (a classic DICOM series); others
// (mosaics, multi-frame files, NIfTI) are read one volume at a time. The
// file's voxel type is one for all volumes: the one the headers settle
// when streaming, else the narrowest that holds every volume's values.

// convert4D writes series i of st, which has info.Volumes > 1, to out.
func convert4D(ctx context.Context, st *load.Study, i int, out string, wopt nifti.WriteOptions, lopt load.Options, stderr io.Writer) error {
	info := st.Series[i]
	wopt.Volumes, wopt.TimeStep = info.Volumes, info.TimeStep
	progress := func(t int) {
		fmt.Fprintf(stderr, "\rvolume %d/%d", t+1, info.Volumes)
		if t+1 == info.Volumes {
			fmt.Fprintln(stderr)
		}
	}
	if st.FromDICOM(i) {
		warnings, err := streamVolumes(ctx, st, i, out, wopt, lopt, progress)
		if err == nil {
			printWarnings(stderr, warnings)
			return nil
		}
		if !errors.Is(err, dicom.ErrNotStreamable) {
			return err
		}
	}
	return load4D(ctx, st, i, out, wopt, lopt, progress, stderr)
}

// errTypeChanged says a later volume streams in another type than the
// first: the conversion then loads volumes instead.
var errTypeChanged = fmt.Errorf("%w: volumes differ in voxel type", dicom.ErrNotStreamable)

// streamVolumes streams the wopt.Volumes volumes (one when 0) of DICOM
// series i into out, in dcm2niix's row order: each slice goes to the file
// as soon as it and those before it are read, reversed row by row on the
// way. It returns the first volume's warnings, or an error wrapping
// dicom.ErrNotStreamable (having written nothing under out's name) when
// the series must be loaded instead.
func streamVolumes(ctx context.Context, st *load.Study, i int, out string, wopt nifti.WriteOptions, lopt load.Options, progress func(int)) ([]string, error) {
	var stream *nifti.Stream
	var first viewer.DataType
	var flipped viewer.VoxelData
	var warnings []string
	for t := 0; t < max(1, wopt.Volumes); t++ {
		o := lopt
		o.Volume = t
		w, err := st.Stream(ctx, i, o,
			func(hdr *viewer.Volume, typ viewer.DataType) error {
				if stream != nil {
					if typ != first {
						return errTypeChanged
					}
					return nil
				}
				h := *hdr
				h.Geometry = viewer.ReorientGeometry(h.Geometry, [3]int{0, 1, 2}, [3]bool{false, true, false})
				wopt.Description = h.Modality
				first = typ
				var err error
				stream, err = nifti.CreateFor(out, &h, typ, wopt)
				return err
			},
			func(k int, v *viewer.Volume) error {
				flipped = viewer.SliceRowsReversed(v, 0, flipped)
				return stream.WriteVoxels(flipped, 0, v.Dims[0]*v.Dims[1])
			})
		if err != nil {
			if stream != nil {
				stream.Abort()
			}
			return nil, err
		}
		if t == 0 {
			warnings = w
		}
		progress(t)
	}
	return warnings, stream.Close()
}

// load4D reads each volume whole, a volume's worth of memory at a time.
// The file's voxel type must be known before its header is written: it is
// the first volume's, which holds every volume when they share a header
// (one pass); a later volume that needs a wider type makes it start over
// with the narrowest type for all of them (a pass for the ranges, one to
// write).
func load4D(ctx context.Context, st *load.Study, i int, out string, wopt nifti.WriteOptions, lopt load.Options, progress func(int), stderr io.Writer) error {
	get := func(t int) (*viewer.Volume, error) {
		o := lopt
		o.Volume = t
		v, err := st.Load(ctx, i, o)
		if err != nil {
			return nil, fmt.Errorf("volume %d of %d: %w", t+1, wopt.Volumes, err)
		}
		if st.FromDICOM(i) {
			v = dcm2niixLayout(v)
		}
		return v, nil
	}
	first, err := get(0)
	if err != nil {
		return err
	}
	printWarnings(stderr, append(append([]string(nil), st.Warnings...), first.Warnings...))
	wopt.Description = first.Modality
	err = writeVolumes(out, first, first.Data.Type(), wopt, get, progress)
	if !errors.Is(err, errWiderType) {
		return err
	}
	lo, hi := first.Range()
	integral := first.Data.Type() != viewer.Float32
	for t := 1; t < wopt.Volumes; t++ {
		v, err := get(t)
		if err != nil {
			return err
		}
		a, b := v.Range()
		lo, hi = math.Min(lo, a), math.Max(hi, b)
		integral = integral && v.Data.Type() != viewer.Float32
	}
	return writeVolumes(out, first, viewer.SmallestTypeFor(lo, hi, integral), wopt, get, progress)
}

// errWiderType says a volume's values do not fit the type being written.
var errWiderType = errors.New("a volume needs a wider voxel type")

// writeVolumes writes first and the volumes after it (get) as type typ,
// converting those of another type whose values it holds; it writes
// nothing under out's name when it fails.
func writeVolumes(out string, first *viewer.Volume, typ viewer.DataType, wopt nifti.WriteOptions, get func(int) (*viewer.Volume, error), progress func(int)) error {
	stream, err := nifti.CreateFor(out, first, typ, wopt)
	if err != nil {
		return err
	}
	for t := 0; t < wopt.Volumes; t++ {
		v := first // its rows are in the file's order already
		if t > 0 {
			if v, err = get(t); err != nil {
				stream.Abort()
				return err
			}
		}
		d := v.Data
		if d.Type() != typ {
			lo, hi := v.Range()
			holds := typ.Holds(lo, hi) && d.Type() != viewer.Float32 ||
				typ == viewer.Float32 && math.Max(-lo, hi) <= 1<<24 // float32 is exact up to 2²⁴
			if !holds {
				stream.Abort()
				return errWiderType
			}
			if d, err = viewer.ConvertVoxels(d, typ); err != nil {
				stream.Abort()
				return err
			}
		}
		if err := stream.WriteVoxels(d, 0, d.Len()); err != nil {
			stream.Abort()
			return err
		}
		progress(t)
	}
	return stream.Close()
}
