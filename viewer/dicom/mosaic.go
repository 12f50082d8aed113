package dicom

import (
	"math"

	"delineate/viewer"
)

// Siemens stores multi-slice EPI/DWI as one "mosaic" frame: N slices tiled
// row-major in a square grid of ceil(√N) tiles. ImagePositionPatient then
// names the corner of the whole mosaic, not of the first tile, so positions
// are shifted back to the tile before use.

func mosaicGrid(h *header) int {
	return int(math.Ceil(math.Sqrt(float64(h.mosaicN))))
}

func mosaicTileSize(h *header) (rows, cols int) {
	n := mosaicGrid(h)
	return h.rows / n, h.cols / n
}

func mosaicSlices(h *header, frame int, g frameGeom) []slice {
	tr, tc := mosaicTileSize(h)
	rowDir := unit(viewer.Vec3{g.iop[0], g.iop[1], g.iop[2]})
	colDir := unit(viewer.Vec3{g.iop[3], g.iop[4], g.iop[5]})
	normal := unit(rowDir.Cross(colDir))
	ps := h.pixelSpacing
	if !h.hasSpacing {
		ps = [2]float64{1, 1}
	}
	dc := ps[1] * float64(h.cols-tc) / 2 // along a row: column spacing
	dr := ps[0] * float64(h.rows-tr) / 2
	var origin viewer.Vec3
	for a := 0; a < 3; a++ {
		origin[a] = g.ipp[a] + rowDir[a]*dc + colDir[a]*dr
	}
	step := firstPositive(h.spacingBetween, h.sliceThickness, 1)
	out := make([]slice, h.mosaicN)
	for t := range out {
		var p viewer.Vec3
		for a := 0; a < 3; a++ {
			p[a] = origin[a] + normal[a]*step*float64(t)
		}
		out[t] = slice{h: h, frame: frame, tile: t, pos: p, slope: g.slope, intercept: g.intercept, vol: g.vol}
	}
	return out
}
