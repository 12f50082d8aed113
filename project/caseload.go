package project

import (
	"context"
	"fmt"

	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/load"
	"delineate/viewer/nifti"
)

// LoadImage loads an image on the grid its label maps use: a DICOM
// series (the study's first) in dcm2niix's row order —
// the layout `delineate convert` writes, label maps drawn on dcm2niix
// conversions use, and the nnU-Net export stores — and NIfTI as stored.
func LoadImage(ctx context.Context, path string) (*viewer.Volume, error) {
	st, err := load.Open(ctx, path, load.Options{})
	if err != nil {
		return nil, err
	}
	img, err := st.Load(ctx, 0, load.Options{})
	if err != nil {
		return nil, err
	}
	return LabelGrid(img, st.FromDICOM(0)), nil
}

// LabelGrid puts a loaded image (or labels drawn on it) on the grid its
// label maps use: a DICOM series' rows bottom-up, as dcm2niix stores them;
// NIfTI as it is.
func LabelGrid(v *viewer.Volume, fromDICOM bool) *viewer.Volume {
	if fromDICOM {
		return viewer.FlipAxis(v, 1)
	}
	return v
}

// LabelsOn reads a label map and puts it on img's grid (the same voxels
// in another storage order are reordered; another grid is an error).
func LabelsOn(img *viewer.Volume, path string) (*viewer.Volume, error) {
	if dicom.IsSEG(path) {
		// A DICOM SEG is placed onto the image's slices by its frames'
		// positions (it has no grid of its own to align).
		seg, err := dicom.ReadSEG(path)
		if err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		lm, err := seg.LabelsOnVolume(img)
		if err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		lm.Volume.Warnings = append(lm.Volume.Warnings, lm.Warnings...)
		return lm.Volume, nil
	}
	lab, err := nifti.Read(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	al, err := viewer.AlignTo(img.Geometry, lab, 0.01)
	if err != nil {
		return nil, fmt.Errorf("labels %s are not on the image's grid (image %v, labels %v): %w", path, img.Dims, lab.Dims, err)
	}
	return al, nil
}

// LoadCase loads a case's image and, when it has one, its label map on
// the image's grid.
func (p *Project) LoadCase(ctx context.Context, c *Case) (img, labels *viewer.Volume, err error) {
	p.mu.Lock()
	imgPath, labPath := p.Resolve(c.Image), ""
	if c.Labels != "" {
		labPath = p.Resolve(c.Labels)
	}
	p.mu.Unlock()
	if img, err = LoadImage(ctx, imgPath); err != nil {
		return nil, nil, fmt.Errorf("%s: image: %w", c.ID, err)
	}
	if labPath != "" {
		if labels, err = LabelsOn(img, labPath); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.ID, err)
		}
	}
	return img, labels, nil
}
