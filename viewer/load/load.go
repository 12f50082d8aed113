// Package load opens whatever the user points at — a DICOM folder or file,
// or a NIfTI file — as a list of series, and loads one of them as a volume.
// It is the one entry point the CLI and the GUI share, so both see the same
// series list, the same order and the same warnings.
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"delineate/viewer"
	"delineate/viewer/dicom"
	"delineate/viewer/nifti"
)

// Options control opening and loading.
type Options struct {
	PHI      bool                  // read patient identity (DICOM) for display
	Workers  int                   // parallel decoders; 0 = all CPUs
	Progress func(done, total int) // called from worker goroutines
	// Begin and Slice follow a DICOM series as it loads (dicom.Options):
	// the volume before its pixels, then each slice as it becomes final.
	// A NIfTI volume is in memory already: neither is called.
	Begin func(*viewer.Volume)
	Slice func(k int)
	// Volume picks one volume of a multi-volume series (0 = the first).
	Volume int
	// RawStack loads a tilted or irregularly spaced DICOM series as its
	// slices are stored instead of resampled (dicom.Options.RawStack).
	RawStack bool
}

// SeriesInfo describes one series without its voxels: what `info` prints
// and what a series picker shows.
type SeriesInfo struct {
	Index            int                   `json:"index"`
	UID              string                `json:"uid"`
	Modality         string                `json:"modality"`
	Description      string                `json:"description"`
	SeriesNumber     string                `json:"series_number,omitempty"`
	Dims             [3]int                `json:"dims"`
	Spacing          viewer.Vec3           `json:"spacing"`
	Origin           viewer.Vec3           `json:"origin"`
	Direction        viewer.Mat3           `json:"direction"`
	Files            int                   `json:"files"`
	Format           string                `json:"format"`
	TransferSyntaxes []string              `json:"transfer_syntaxes,omitempty"`
	Windows          []viewer.WindowPreset `json:"windows,omitempty"`
	// Volumes is how many volumes share the geometry (fMRI, DTI, 4D
	// NIfTI; 1 for most); VolumeInfo says what sets each apart.
	Volumes      int                `json:"volumes"`
	VolumeVaries []string           `json:"volume_varies,omitempty"`
	VolumeInfo   []dicom.VolumeInfo `json:"volume_info,omitempty"`
	TimeStep     float64            `json:"time_step_s,omitempty"`
	Warnings     []string           `json:"warnings"`
	PatientName  string             `json:"patient_name,omitempty"`
	PatientID    string             `json:"patient_id,omitempty"`
}

// Study is an opened path: its series and what was skipped on the way.
type Study struct {
	Path     string       `json:"path"`
	Series   []SeriesInfo `json:"series"`
	Warnings []string     `json:"warnings"`

	dicom []*dicom.Series
	vol   *viewer.Volume // NIfTI: read once at open
}

// IsNIfTI reports whether the path names a NIfTI file by its suffix.
func IsNIfTI(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".nii") || strings.HasSuffix(p, ".nii.gz")
}

// Open scans path. Origin/direction in SeriesInfo are DICOM LPS.
func Open(ctx context.Context, path string, opt Options) (*Study, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Study{Path: path, Warnings: []string{}}
	if !st.IsDir() && IsNIfTI(path) {
		h, err := nifti.ReadHeader(path)
		if err != nil {
			return nil, err
		}
		nvol := int(min(h.NumVolumes(), math.MaxInt32))
		step, _ := h.TimeStep()
		var v *viewer.Volume
		if nvol > 1 {
			// One volume at a time (Load with Options.Volume).
			if v, err = nifti.ReadVolume(path, 0); err == nil {
				v.Warnf("%d volumes in the file (%s): one is loaded at a time", nvol, dimsText(h))
			}
		} else {
			v, err = nifti.Read(path)
		}
		if err != nil {
			return nil, err
		}
		if v.Description == "" {
			// NIfTI has no series description worth showing; the file name is
			// what the user picked.
			v.Description = filepath.Base(path)
		}
		s.vol = v
		s.Series = []SeriesInfo{infoOf(0, v.Geometry, SeriesInfo{
			Modality: v.Modality, Description: v.Description, Files: 1,
			Format: "nifti", Windows: v.Windows, Warnings: v.Warnings,
			Volumes: nvol, TimeStep: step,
		})}
		return s, nil
	}
	res, err := dicom.Scan(ctx, path, dicom.Options{PHI: opt.PHI, Workers: opt.Workers, Progress: opt.Progress})
	if res != nil {
		s.Warnings = append(s.Warnings, res.Warnings...)
	}
	if err != nil {
		return nil, err
	}
	s.dicom = res.Series
	for i, ds := range res.Series {
		s.Series = append(s.Series, infoOf(i, ds.Geometry, SeriesInfo{
			UID: ds.UID, Modality: ds.Modality, Description: ds.Description,
			SeriesNumber: ds.SeriesNumber, Files: ds.Files, Format: "dicom",
			TransferSyntaxes: ds.TransferSyntaxes, Windows: ds.Windows,
			Warnings: ds.Warnings, PatientName: ds.PatientName, PatientID: ds.PatientID,
			Volumes: ds.NumVolumes(), VolumeVaries: ds.VolumeVaries, VolumeInfo: ds.Volumes,
			TimeStep: ds.TimeStep,
		}))
	}
	return s, nil
}

func infoOf(i int, g viewer.Geometry, si SeriesInfo) SeriesInfo {
	si.Index = i
	if si.Volumes < 1 {
		si.Volumes = 1
	}
	si.Dims, si.Spacing, si.Origin, si.Direction = g.Dims, g.Spacing, g.Origin, g.Direction
	if si.Warnings == nil {
		si.Warnings = []string{}
	}
	return si
}

// dimsText is a header's dimensions, "96×96×40×150".
func dimsText(h *nifti.Header) string {
	parts := []string{}
	for i := int64(1); i <= h.Dim[0] && i < 8; i++ {
		parts = append(parts, strconv.FormatInt(h.Dim[i], 10))
	}
	return strings.Join(parts, "×")
}

// ErrNoSuchSeries is returned for a series index out of range.
var ErrNoSuchSeries = errors.New("no such series")

// Load decodes series i.
func (s *Study) Load(ctx context.Context, i int, opt Options) (*viewer.Volume, error) {
	if i < 0 || i >= len(s.Series) {
		return nil, fmt.Errorf("%w: %d (the study has %d)", ErrNoSuchSeries, i, len(s.Series))
	}
	if s.vol != nil {
		if opt.Volume == 0 {
			return s.vol, nil
		}
		if opt.Volume < 0 || opt.Volume >= s.Series[i].Volumes {
			return nil, fmt.Errorf("no volume %d: %s has %d", opt.Volume+1, s.Path, s.Series[i].Volumes)
		}
		v, err := nifti.ReadVolume(s.Path, opt.Volume)
		if err != nil {
			return nil, err
		}
		v.Description = s.vol.Description
		v.Warnings = s.vol.Warnings
		return v, nil
	}
	ds, err := s.dicom[i].Volume(opt.Volume)
	if err != nil {
		return nil, err
	}
	return ds.Load(ctx, dicom.Options{Workers: opt.Workers, Progress: opt.Progress, Begin: opt.Begin, Slice: opt.Slice, RawStack: opt.RawStack})
}

// Stream reads DICOM series i slice by slice in slice order without
// holding the volume (dicom.Series.Stream): begin gets the volume's
// description (geometry, modality, windows; no voxels) and voxel type,
// emit each slice as a one-slice volume valid only during the call. It
// returns the warnings Load would have given, or an error wrapping
// dicom.ErrNotStreamable when the series must be loaded instead.
func (s *Study) Stream(ctx context.Context, i int, opt Options, begin func(hdr *viewer.Volume, t viewer.DataType) error, emit func(k int, slice *viewer.Volume) error) ([]string, error) {
	if i < 0 || i >= len(s.Series) {
		return nil, fmt.Errorf("%w: %d (the study has %d)", ErrNoSuchSeries, i, len(s.Series))
	}
	if s.vol != nil {
		return nil, dicom.ErrNotStreamable
	}
	ds, err := s.dicom[i].Volume(opt.Volume)
	if err != nil {
		return nil, err
	}
	g := ds.Geometry
	if opt.RawStack {
		g = ds.StoredGeometry()
	}
	hdr := &viewer.Volume{Geometry: g, Modality: ds.Modality, Description: ds.Description,
		Windows: append([]viewer.WindowPreset(nil), ds.Windows...)}
	sv := *hdr
	sv.Dims[2] = 1
	w, err := ds.Stream(ctx, dicom.Options{Workers: opt.Workers, Progress: opt.Progress, RawStack: opt.RawStack},
		func(_ viewer.Geometry, t viewer.DataType) error { return begin(hdr, t) },
		func(k int, d viewer.VoxelData) error {
			sv.Data = d
			return emit(k, &sv)
		})
	if err != nil {
		return nil, err
	}
	return append(append([]string(nil), s.Warnings...), w...), nil
}

// DICOMSeries is DICOM series i as scanned (what a DICOM SEG of it
// refers to), volume t of a multi-volume series; ok is false for NIfTI.
func (s *Study) DICOMSeries(i, t int) (*dicom.Series, bool) {
	if !s.FromDICOM(i) {
		return nil, false
	}
	ds, err := s.dicom[i].Volume(t)
	return ds, err == nil
}

// FromDICOM reports whether series i came from DICOM (whose NIfTI export
// follows dcm2niix's row order).
func (s *Study) FromDICOM(i int) bool { return s.vol == nil && i >= 0 && i < len(s.dicom) }

// Thumbnail returns a small volume to preview series i: the middle slice of
// a DICOM series, or the whole NIfTI volume (already in memory).
func (s *Study) Thumbnail(ctx context.Context, i int) (*viewer.Volume, error) {
	if i < 0 || i >= len(s.Series) {
		return nil, fmt.Errorf("%w: %d", ErrNoSuchSeries, i)
	}
	if s.vol != nil {
		return s.vol, nil
	}
	return s.dicom[i].Thumbnail(ctx)
}
