package dicom

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"delineate/viewer"
)

// Series is one image volume's worth of DICOM slices, grouped and ordered,
// with its geometry worked out from the headers alone.
type Series struct {
	UID              string                `json:"uid"`
	Modality         string                `json:"modality"`
	Description      string                `json:"description"`
	SeriesNumber     string                `json:"series_number,omitempty"`
	Geometry         viewer.Geometry       `json:"-"`
	Files            int                   `json:"files"`
	Slices           int                   `json:"slices"`
	Windows          []viewer.WindowPreset `json:"windows,omitempty"`
	TransferSyntaxes []string              `json:"transfer_syntaxes"`
	Warnings         []string              `json:"warnings"`
	// Patient identity: filled only when scanning with Options.PHI.
	PatientName string `json:"patient_name,omitempty"`
	PatientID   string `json:"patient_id,omitempty"`
	// Volumes lists the volumes of a multi-volume series (fMRI, DTI,
	// perfusion; empty for one volume) and VolumeVaries what tells them
	// apart ("time", "b-value", "echo time").
	Volumes      []VolumeInfo `json:"volumes,omitempty"`
	VolumeVaries []string     `json:"volume_varies,omitempty"`
	TimeStep     float64      `json:"time_step_s,omitempty"` // between volumes, seconds

	slices    []slice     // the volume loaded by Load (volume 0 of several)
	volSlices [][]slice   // every volume's slices, when there are several
	regrid    *regridPlan // how the stored slices map onto Geometry (nil: they are on it)
}

// slice is one 2D image of the series: a frame of a file, or a tile of a
// Siemens mosaic frame.
type slice struct {
	h         *header
	frame     int
	tile      int // -1 unless a mosaic tile
	pos       viewer.Vec3
	dist      float64 // position along the slice normal
	slope     float64
	intercept float64
	vol       volumeAttrs
}

func (s *Series) warnf(format string, args ...any) {
	s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
}

// groupKey separates images that cannot share a volume. The UID comes first,
// but it can be empty (anonymisers) or shared by images of different planes
// or sizes (localisers), so frame of reference, orientation, size, series
// number/description and echo split those apart.
func groupKey(h *header) string {
	iop := "-"
	if len(h.frames) > 0 && h.frames[0].hasIOP {
		var b strings.Builder
		for _, v := range h.frames[0].iop {
			fmt.Fprintf(&b, "%.3f,", v+0) // +0 folds -0 into 0
		}
		iop = strings.ReplaceAll(b.String(), "-0.000", "0.000")
	}
	return strings.Join([]string{h.seriesUID, h.frameOfRef, iop,
		fmt.Sprintf("%dx%dx%d", h.cols, h.rows, h.spp), h.seriesNumber,
		h.description, h.modality, h.echo, h.complex, fmt.Sprint(h.mosaicN > 0)}, "|")
}

// buildSeries groups headers into series and orders each one.
func buildSeries(headers []*header) []*Series {
	groups := map[string][]*header{}
	var order []string
	for _, h := range headers {
		k := groupKey(h)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], h)
	}
	var out []*Series
	for _, k := range order {
		out = append(out, newSeries(groups[k]))
	}
	// A stable, meaningful order: by series number, then description.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if na, nb := atoiOr(a.SeriesNumber, math.MaxInt), atoiOr(b.SeriesNumber, math.MaxInt); na != nb {
			return na < nb
		}
		return a.Description < b.Description
	})
	return out
}

func atoiOr(s string, def int) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		return def
	}
	return n
}

func newSeries(hs []*header) *Series {
	h0 := hs[0]
	s := &Series{
		UID: h0.seriesUID, Modality: h0.modality, Description: h0.description,
		SeriesNumber: h0.seriesNumber, Files: len(hs), Windows: h0.windows,
		PatientName: h0.patientName, PatientID: h0.patID,
	}
	tss := map[string]bool{}
	for _, h := range hs {
		if !tss[h.ts] {
			tss[h.ts] = true
			s.TransferSyntaxes = append(s.TransferSyntaxes, h.ts)
		}
	}
	for _, h := range hs {
		s.slices = append(s.slices, expandSlices(h)...)
	}
	s.placeSlices()
	s.Slices = len(s.slices)
	return s
}

// expandSlices lists the 2D images of one file: every frame, and for a
// mosaic every tile.
func expandSlices(h *header) []slice {
	var out []slice
	for f, g := range h.frames {
		if h.mosaicN > 1 {
			out = append(out, mosaicSlices(h, f, g)...)
			continue
		}
		out = append(out, slice{h: h, frame: f, tile: -1, pos: g.ipp, slope: g.slope, intercept: g.intercept, vol: g.vol})
	}
	return out
}

// placeSlices sorts the slices along the normal, drops duplicates and sets
// the geometry, with warnings for what is not a clean regular grid.
func (s *Series) placeSlices() {
	h0 := s.slices[0].h
	g0 := h0.frames[0]
	rowDir, colDir := viewer.Vec3{1, 0, 0}, viewer.Vec3{0, 1, 0}
	if g0.hasIOP {
		rowDir = unit(viewer.Vec3{g0.iop[0], g0.iop[1], g0.iop[2]})
		colDir = unit(viewer.Vec3{g0.iop[3], g0.iop[4], g0.iop[5]})
		if math.Abs(rowDir.Dot(colDir)) > 1e-3 || rowDir.Norm() == 0 || colDir.Norm() == 0 {
			s.warnf("image orientation is not orthonormal; using identity")
			rowDir, colDir = viewer.Vec3{1, 0, 0}, viewer.Vec3{0, 1, 0}
		}
	} else {
		s.warnf("no image orientation in the header: patient orientation is unknown")
	}
	normal := unit(rowDir.Cross(colDir))
	hasPos := true
	for i := range s.slices {
		if !s.slices[i].h.frames[s.slices[i].frame].hasIPP {
			hasPos = false
		}
	}
	if !hasPos {
		// Without positions the file/instance order is all we have.
		s.warnf("no image positions in the header: slices ordered by instance number, spacing from SliceThickness")
		sort.SliceStable(s.slices, func(i, j int) bool {
			a, b := s.slices[i], s.slices[j]
			if a.h.instance != b.h.instance {
				return a.h.instance < b.h.instance
			}
			return a.frame < b.frame
		})
		step := firstPositive(h0.spacingBetween, h0.sliceThickness, 1)
		for i := range s.slices {
			s.slices[i].pos = viewer.Vec3{normal[0] * step * float64(i), normal[1] * step * float64(i), normal[2] * step * float64(i)}
		}
	}
	for i := range s.slices {
		s.slices[i].dist = s.slices[i].pos.Dot(normal)
	}
	sort.SliceStable(s.slices, func(i, j int) bool {
		a, b := s.slices[i], s.slices[j]
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		if a.h.instance != b.h.instance {
			return a.h.instance < b.h.instance
		}
		return a.frame < b.frame
	})
	s.splitVolumes()
	s.dropDuplicates()

	n := len(s.slices)
	step := firstPositive(h0.spacingBetween, h0.sliceThickness, 1)
	if n > 1 {
		step = (s.slices[n-1].dist - s.slices[0].dist) / float64(n-1)
	}
	ps := [2]float64{1, 1}
	if h0.hasSpacing {
		ps = h0.pixelSpacing
	} else {
		s.warnf("no PixelSpacing in the header: assuming 1 mm pixels")
	}
	rows, cols := h0.rows, h0.cols
	if h0.mosaicN > 1 {
		rows, cols = mosaicTileSize(h0)
	}
	var dir viewer.Mat3
	for r := 0; r < 3; r++ {
		dir[r][0], dir[r][1], dir[r][2] = rowDir[r], colDir[r], normal[r]
	}
	s.Geometry = viewer.Geometry{
		Dims:      [3]int{cols, rows, n},
		Spacing:   viewer.Vec3{ps[1], ps[0], step},
		Origin:    s.slices[0].pos,
		Direction: dir,
	}
	if step <= 0 {
		s.Geometry.Spacing[2] = 1
	}
	if hasPos {
		s.planRegrid(s.Geometry, rowDir, colDir, normal)
	}
}

// dropDuplicates removes slices at the same position (keeping the first),
// which would otherwise scramble the volume.
func (s *Series) dropDuplicates() {
	kept := s.slices[:1]
	dups := 0
	for _, sl := range s.slices[1:] {
		if math.Abs(sl.dist-kept[len(kept)-1].dist) < 1e-3 {
			dups++
			continue
		}
		kept = append(kept, sl)
	}
	if dups > 0 {
		s.warnf("%d slices duplicate the position of another slice and were left out", dups)
	}
	s.slices = kept
}

func unit(v viewer.Vec3) viewer.Vec3 {
	n := v.Norm()
	if n == 0 {
		return v
	}
	return viewer.Vec3{v[0] / n, v[1] / n, v[2] / n}
}

func firstPositive(vs ...float64) float64 {
	for _, v := range vs {
		if v > 0 && !math.IsInf(v, 0) {
			return v
		}
	}
	return 1
}
