package dicom

// A SEG's frames as a label map: on the grid of the frames themselves,
// or placed onto an image series' grid by each frame's position.

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"

	"delineate/viewer"
)

// Mask returns frame f's mask: Rows·Cols values, row-major, 1 where the
// pixel belongs to the frame's segment. Frame f's pixel p is bit
// (f·Rows·Cols + p) of the stream, least significant bit first in each
// byte (BINARY), or byte f·Rows·Cols + p at or above half of
// MaximumFractionalValue (FRACTIONAL).
func (s *SEG) Mask(f int) []uint8 {
	out := make([]uint8, s.Rows*s.Cols)
	s.eachSet(f, func(p int) { out[p] = 1 })
	return out
}

// eachSet calls fn with every pixel of frame f that is in its segment, in
// order. Masks are mostly empty: runs of zero bytes are skipped eight bytes
// at a time, which is what makes a 500-frame SEG over 512² slices quick.
func (s *SEG) eachSet(f int, fn func(p int)) {
	n := s.Rows * s.Cols
	base := f * n
	if s.Type == "FRACTIONAL" {
		for p, v := range s.pixels[base : base+n] {
			if 2*int(v) >= s.MaxFractional {
				fn(p)
			}
		}
		return
	}
	end := base + n
	for bit := base; bit < end; {
		if bit&63 == 0 && bit+64 <= end && binary.LittleEndian.Uint64(s.pixels[bit>>3:]) == 0 {
			bit += 64
			continue
		}
		b := s.pixels[bit>>3] >> (bit & 7)
		if b == 0 { // the rest of this byte is empty
			bit = (bit>>3 + 1) << 3
			continue
		}
		if b&1 != 0 {
			fn(bit - base)
		}
		bit++
	}
}

// Table is the segments as a label table: id = SegmentNumber, name =
// SegmentLabel, colour = the recommended display colour (else the default
// palette's).
func (s *SEG) Table() viewer.LabelTable {
	var t viewer.LabelTable
	def := viewer.DefaultLabelColours()
	for _, sg := range s.Segments {
		c := def.Colour(sg.Number)
		if sg.HasColour {
			c = sg.Colour
		}
		name := sg.Label
		if name == "" {
			name = fmt.Sprintf("Segment %d", sg.Number)
		}
		_ = t.Set(viewer.Label{ID: sg.Number, Name: name, Colour: c, Visible: true})
	}
	return t
}

func (s *SEG) maxSegment() int {
	m := 0
	for _, sg := range s.Segments {
		m = max(m, sg.Number)
	}
	return m
}

// frameOrder lists the frames by segment number (stable), so that where
// segments overlap the highest number is written last and wins.
func (s *SEG) frameOrder() []int {
	order := make([]int, len(s.Frames))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return s.Frames[order[a]].Segment < s.Frames[order[b]].Segment })
	return order
}

// painter writes masks into a label map, counting voxels that more than
// one segment claims.
type painter struct {
	lm      *viewer.LabelMap
	overlap []bool // allocated at the first overlap
	n       int
}

func (p *painter) set(i, id int) {
	if old := p.lm.At(i); old != 0 && old != id {
		if p.overlap == nil {
			p.overlap = make([]bool, p.lm.NumVoxels())
		}
		if !p.overlap[i] {
			p.overlap[i] = true
			p.n++
		}
	}
	p.lm.Set(i, id)
}

func (p *painter) warn() {
	if p.n > 0 {
		p.lm.Warnf("%d voxels belong to more than one segment: each holds the highest segment number", p.n)
	}
}

// sameOrientation checks that every frame shares frame 0's orientation.
func (s *SEG) sameOrientation() error {
	r0, c0 := orientation(s.Frames[0].Orientation)
	for f, fr := range s.Frames {
		r, c := orientation(fr.Orientation)
		if r.Dot(r0) < 1-1e-6 || c.Dot(c0) < 1-1e-6 {
			return fmt.Errorf("%s: frame %d is oriented differently from frame 1: %w", s.Path, f+1, ErrSEGGeometry)
		}
	}
	return nil
}

// LabelMap returns the segments as a label map on the frames' own
// geometry: columns, rows and the frames' positions sorted along the normal
// (rowDir × colDir), the slice step from the positions (gaps where no
// segment has a frame are kept as empty slices when the positions are
// multiples of one step). Warnings (overlaps, irregular spacing) are on the
// map's Volume.
func (s *SEG) LabelMap() (*viewer.LabelMap, error) {
	if err := s.sameOrientation(); err != nil {
		return nil, err
	}
	row, col := orientation(s.Frames[0].Orientation)
	normal := unit(row.Cross(col))
	ps := s.Frames[0].PixelSpacing
	if ps[0] <= 0 {
		ps = [2]float64{1, 1}
	}
	// Distinct positions along the normal.
	ds := make([]float64, len(s.Frames))
	for f, fr := range s.Frames {
		ds[f] = fr.Position.Dot(normal)
	}
	distinct := append([]float64(nil), ds...)
	sort.Float64s(distinct)
	uniq := distinct[:1]
	for _, d := range distinct[1:] {
		if d-uniq[len(uniq)-1] > 1e-3 {
			uniq = append(uniq, d)
		}
	}
	var warnings []string
	step := firstPositive(s.SpacingBetween, s.SliceThickness, 1)
	n := len(uniq)
	// slot is the slice a position along the normal goes to: a regular grid
	// through the first, or (positions that are no multiples of one step)
	// one slice per distinct position.
	first := uniq[0]
	regular := true
	if n > 1 {
		span := uniq[n-1] - first
		minGap := math.Inf(1)
		for i := 1; i < n; i++ {
			minGap = math.Min(minGap, uniq[i]-uniq[i-1])
		}
		multiples := func(st float64) bool {
			if !(st > 0) || span/st > 1<<16 {
				return false
			}
			for _, d := range uniq {
				q := (d - first) / st
				if math.Abs(q-math.Round(q)) > 0.1 {
					return false
				}
			}
			return true
		}
		switch {
		case s.SpacingBetween > 0 && s.SpacingBetween <= minGap*1.001 && multiples(s.SpacingBetween):
			step = s.SpacingBetween
		case multiples(minGap):
			step = minGap
		default:
			regular = false
			step = span / float64(n-1)
			warnings = append(warnings, fmt.Sprintf("frame positions are not evenly spaced (steps from %.3f mm): placed on a %.3f mm grid, one slice per position", minGap, step))
		}
		if regular {
			n = int(math.Round(span/step)) + 1
		}
	}
	slot := func(d float64) int {
		if regular {
			return int(math.Round((d - first) / step))
		}
		return min(sort.SearchFloat64s(uniq, d-1e-3), len(uniq)-1)
	}
	if int64(n)*int64(s.Rows)*int64(s.Cols) > maxSEGVoxels {
		return nil, fmt.Errorf("%s: frames span %d slices of %d×%d: %w", s.Path, n, s.Cols, s.Rows, ErrSEGGeometry)
	}
	// The origin: the first slot's frame position, projected back onto the
	// normal line through the lowest frame (frames in-plane offset from it
	// would need shearing, as a gantry tilt does).
	lowest := 0
	for f := range s.Frames {
		if ds[f] < ds[lowest] {
			lowest = f
		}
	}
	origin := s.Frames[lowest].Position
	sheared := 0
	for _, fr := range s.Frames {
		d := viewer.Vec3{fr.Position[0] - origin[0], fr.Position[1] - origin[1], fr.Position[2] - origin[2]}
		if math.Abs(d.Dot(row)) > 0.1*ps[1] || math.Abs(d.Dot(col)) > 0.1*ps[0] {
			sheared++
		}
	}
	if sheared > 0 {
		warnings = append(warnings, fmt.Sprintf("%d frames are shifted in-plane from the first (gantry tilt?): shown unsheared", sheared))
	}
	var dir viewer.Mat3
	for r := 0; r < 3; r++ {
		dir[r][0], dir[r][1], dir[r][2] = row[r], col[r], normal[r]
	}
	g := viewer.Geometry{Dims: [3]int{s.Cols, s.Rows, n}, Spacing: viewer.Vec3{ps[1], ps[0], step}, Origin: origin, Direction: dir}
	lm, err := viewer.NewLabelMap(g, s.maxSegment())
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", s.Path, err, ErrSEGGeometry)
	}
	lm.Modality, lm.Description = "SEG", "DICOM Segmentation"
	lm.Warnings = append(append(lm.Warnings, s.Warnings...), warnings...)
	lm.Table = s.Table()
	pt := &painter{lm: lm}
	plane := s.Rows * s.Cols
	for _, f := range s.frameOrder() {
		k := slot(ds[f])
		if k < 0 || k >= n {
			continue
		}
		id, at := s.Frames[f].Segment, k*plane
		s.eachSet(f, func(p int) { pt.set(at+p, id) })
	}
	pt.warn()
	return lm, nil
}

// Tolerances for placing frames on an image grid, in voxels: a frame's
// corners must land this close to voxel centres in-plane, and its plane this
// close to a slice's along the normal.
const (
	segInPlaneTol = 0.1
	segSliceTol   = 0.2
)

// LabelsOnVolume is LabelsOn on v's grid, with a warning in the label
// map's when the SEG's frame of reference is not v's: positions in two
// frames of reference need not mean the same place (another acquisition,
// or a patient moved between them).
func (s *SEG) LabelsOnVolume(v *viewer.Volume) (*viewer.LabelMap, error) {
	lm, err := s.LabelsOn(v.Geometry)
	if err != nil {
		return nil, err
	}
	if s.FrameOfRef != "" && v.FrameOfReferenceUID != "" && s.FrameOfRef != v.FrameOfReferenceUID {
		lm.Warnings = append(lm.Warnings, fmt.Sprintf("%s is in another frame of reference than the image: its frames were placed by position, which may not be the same place in this image", s.Path))
	}
	return lm, nil
}

// LabelsOn places the segments on an image's grid g (a series' geometry
// as loaded, or any other voxel order of it): every frame must lie in the
// grid's slice planes with its pixels on the slice's voxels, covering the
// whole slice (else ErrSEGGeometry); a frame between slices, or beyond the
// image, is left out with a warning. Where segments overlap the highest
// segment number wins, with a warning counting the voxels.
func (s *SEG) LabelsOn(g viewer.Geometry) (*viewer.LabelMap, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("labels for %s: image geometry: %w", s.Path, err)
	}
	lm, err := viewer.NewLabelMap(g, s.maxSegment())
	if err != nil {
		return nil, err
	}
	lm.Modality, lm.Description = "SEG", "DICOM Segmentation"
	lm.Warnings = append(lm.Warnings, s.Warnings...)
	lm.Table = s.Table()
	pt := &painter{lm: lm}
	off, placed := 0, 0
	for _, f := range s.frameOrder() {
		m, err := s.placement(f, g)
		if err != nil {
			return nil, err
		}
		if !m.onSlice {
			off++
			continue
		}
		placed++
		// Pixel (r, c) goes to linear voxel start + c·sc + r·sr.
		lin := func(v [3]int) int { return v[0] + g.Dims[0]*(v[1]+g.Dims[1]*v[2]) }
		start, sc, sr := lin(m.start), lin(m.colStep), lin(m.rowStep)
		id, cols := s.Frames[f].Segment, s.Cols
		s.eachSet(f, func(p int) { pt.set(start+(p%cols)*sc+(p/cols)*sr, id) })
	}
	if placed == 0 {
		return nil, fmt.Errorf("%s: none of its %d frames lies on a slice of the %d×%d×%d image: a segmentation of another series? %w",
			s.Path, len(s.Frames), g.Dims[0], g.Dims[1], g.Dims[2], ErrSEGGeometry)
	}
	if off > 0 {
		lm.Warnf("%d of %d frames lie on no slice of the image (between slices or beyond it) and were left out", off, len(s.Frames))
	}
	pt.warn()
	return lm, nil
}

// framePlacement maps a frame's pixel (r, c) to voxel start + c·colStep +
// r·rowStep.
type framePlacement struct {
	start, colStep, rowStep [3]int
	onSlice                 bool
}

// placement works out where frame f's pixels fall on grid g.
func (s *SEG) placement(f int, g viewer.Geometry) (framePlacement, error) {
	fr := s.Frames[f]
	row, col := orientation(fr.Orientation)
	ps := fr.PixelSpacing
	if ps[0] <= 0 { // no spacing: take the image's, along the frame's axes
		ps = [2]float64{1, 1}
	}
	at := func(r, c float64) viewer.Vec3 {
		var p viewer.Vec3
		for a := 0; a < 3; a++ {
			p[a] = fr.Position[a] + c*ps[1]*row[a] + r*ps[0]*col[a]
		}
		return g.LPSToIndex(p)
	}
	i0 := at(0, 0)
	dc := sub(at(0, 1), i0)
	dr := sub(at(1, 0), i0)
	if fr.PixelSpacing[0] <= 0 {
		// Unknown spacing: one pixel is one voxel along whichever axis the
		// direction runs.
		dc, dr = unitAxis(dc), unitAxis(dr)
	}
	ac, sc := dominant(dc)
	ar, sr := dominant(dr)
	var m framePlacement
	bad := ac == ar
	if !bad {
		m.colStep[ac], m.rowStep[ar] = sc, sr
		for a := 0; a < 3; a++ {
			m.start[a] = int(math.Round(i0[a]))
		}
		// The four corners must land on the voxels the steps predict.
		for _, rc := range [][2]int{{0, 0}, {0, s.Cols - 1}, {s.Rows - 1, 0}, {s.Rows - 1, s.Cols - 1}} {
			got := viewer.Vec3{}
			if fr.PixelSpacing[0] > 0 {
				got = at(float64(rc[0]), float64(rc[1]))
			} else {
				for a := 0; a < 3; a++ {
					got[a] = i0[a] + float64(rc[1])*dc[a] + float64(rc[0])*dr[a]
				}
			}
			for a := 0; a < 3; a++ {
				want := float64(m.start[a] + rc[1]*m.colStep[a] + rc[0]*m.rowStep[a])
				tol := segInPlaneTol
				if a != ac && a != ar {
					tol = math.Inf(1) // the slice match is checked below
				}
				if math.Abs(got[a]-want) > tol {
					bad = true
				}
			}
		}
	}
	if bad {
		return m, fmt.Errorf("%s: frame %d (orientation %s, %g×%g mm pixels) does not lie on the image's voxel grid (%v mm voxels): a segmentation of another series or a resampled one: %w",
			s.Path, f+1, fmtIOP(fr.Orientation), ps[1], ps[0], g.Spacing, ErrSEGGeometry)
	}
	// It must cover the whole slice: the same size, starting at its edge.
	for _, ax := range [][3]int{{ac, sc, s.Cols}, {ar, sr, s.Rows}} {
		a, sign, n := ax[0], ax[1], ax[2]
		first := 0
		if sign < 0 {
			first = g.Dims[a] - 1
		}
		if n != g.Dims[a] || m.start[a] != first {
			return m, fmt.Errorf("%s: frame %d is %d×%d pixels starting at voxel %v; the image's slices are %d×%d: the frames do not match the series' size: %w",
				s.Path, f+1, s.Cols, s.Rows, m.start, g.Dims[ac], g.Dims[ar], ErrSEGGeometry)
		}
	}
	na := 3 - ac - ar
	k := math.Round(i0[na])
	m.onSlice = math.Abs(i0[na]-k) <= segSliceTol && k >= 0 && k < float64(g.Dims[na])
	return m, nil
}

func sub(a, b viewer.Vec3) viewer.Vec3 { return viewer.Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// dominant returns the axis a step mostly runs along and its sign.
func dominant(v viewer.Vec3) (axis, sign int) {
	for a := 1; a < 3; a++ {
		if math.Abs(v[a]) > math.Abs(v[axis]) {
			axis = a
		}
	}
	if v[axis] < 0 {
		return axis, -1
	}
	return axis, 1
}

// unitAxis is v shrunk or grown to one voxel along its dominant axis.
func unitAxis(v viewer.Vec3) viewer.Vec3 {
	a, s := dominant(v)
	var u viewer.Vec3
	u[a] = float64(s)
	return u
}

func fmtIOP(iop [6]float64) string {
	parts := make([]string, 6)
	for i, v := range iop {
		parts[i] = fmt.Sprintf("%.4g", v)
	}
	return strings.Join(parts, `\`)
}
