package edit

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"delineate/viewer"
)

// Accepting a prediction: a model's label map on the image grid, with its
// own ids and names, lands in the user's label map only through
// AcceptPrediction, as one undoable Change, after PlanAccept has said what
// it would do. Nothing here writes the user's labels silently: the policy
// and the table's locks decide which voxels may change, exactly as for the
// brush.

// AcceptGridTolMM is how far (mm) a prediction's voxel centres may lie from
// the label map's and still count as the same grid: a model run on the
// image's own grid agrees to rounding, anything more is another grid.
const AcceptGridTolMM = 1e-3

// AcceptOptions says which part of a prediction to accept and how.
type AcceptOptions struct {
	// Labels are the prediction ids to accept; nil accepts every id present
	// in the prediction (in Replace mode that takes one more pass over the
	// prediction to find them: pass pred.Present() when you have it).
	Labels []int
	// Mapping maps prediction ids to target (label map) ids; nil is the
	// identity. When non-nil, an accepted id that occurs in the range but
	// has no entry is an error (never a silent identity: the model's id 5
	// is rarely the user's id 5). MapByName builds it.
	Mapping map[int]int
	// Axis is the index axis (0, 1, 2) of the slice range, used when
	// SliceLo <= SliceHi.
	Axis int
	// SliceLo and SliceHi are the inclusive voxel-index range along Axis,
	// clipped to the grid; SliceLo > SliceHi (e.g. 0, -1) is the whole
	// volume. Mind the zero value: 0, 0 is slice 0 of axis 0 only.
	SliceLo, SliceHi int
	// Replace also clears (sets to 0), inside the range, voxels that hold
	// an accepted target label but that the prediction does not mark with
	// that label: the prediction replaces those labels instead of adding to
	// them.
	Replace bool
	// Policy is the overwrite policy, as for the brush: it says which
	// existing labels (0 included) a voxel may hold and still be changed,
	// whether to an accepted label or, in Replace mode, to 0. So under
	// OverwriteEmptyOnly Replace clears nothing, and under OverwriteLabels
	// a label is cleared only when listed in Only. Labels locked in the
	// target map's table are never overwritten or cleared (a locked label
	// may still be written into voxels the policy allows, as the brush
	// paints with one). Threshold is ignored.
	Policy Policy
}

// LabelDelta is the voxels one target label gains and loses.
type LabelDelta struct{ Added, Removed int }

// AcceptSummary is what accepting does, counted in voxels inside the range.
//
//   - Added: voxels that newly get an accepted target label (they held 0 or
//     another label before).
//   - Removed: voxels whose previous non-zero label is lost, because it is
//     overwritten by another label or cleared in Replace mode. A voxel that
//     changes from one label to another counts in both, so Added − Removed
//     is the change in the number of labelled voxels, and every changed
//     voxel counts in Added, Removed or both.
//   - Unchanged: voxels the prediction marks with an accepted label that
//     already hold its target.
//   - Skipped: voxels that would change but that the policy or a lock
//     keeps.
//   - PerLabel: by target-map id, the voxels each label gains (Added) and
//     loses (Removed, whatever replaced it). Labels with nothing to report
//     are absent.
//   - Box: the tight box of the voxels that change (empty when none): what
//     the Change will hold.
//   - Widen: some voxel gets an id above 255 in a uint8 map, so
//     AcceptPrediction widens the map to uint16 first (a new Volume:
//     whoever draws the map must pick it up).
type AcceptSummary struct {
	Added, Removed, Unchanged int
	PerLabel                  map[int]LabelDelta
	Box                       Box
	Skipped                   int
	Widen                     bool
}

// PlanAccept is the preview of AcceptPrediction: the same counts, from one
// pass over the range, with no write to m. m may be a Clone, so the user
// can go on editing while it counts. pred must lie on m's grid (same dims,
// voxel centres within AcceptGridTolMM); the error says how they differ.
// A target id above 255 on a uint8 map is counted as AcceptPrediction
// would write it, after widening (Summary.Widen); above MaxLabelID it is
// an error.
func PlanAccept(m, pred *viewer.LabelMap, o AcceptOptions) (AcceptSummary, error) {
	r, err := newAcceptRules(m, pred, o)
	if err != nil {
		return AcceptSummary{}, err
	}
	if r == nil {
		return AcceptSummary{PerLabel: map[int]LabelDelta{}}, nil
	}
	return r.plan(m, pred)
}

// AcceptPrediction applies what PlanAccept counts (the same summary, which
// it returns) and returns the edit as one Change for History, or nil when
// nothing changes. A uint8 map that must hold an id above 255 is widened to
// uint16 first (m.Volume is then a new Volume, as with LabelMap.Widen). On
// error m is untouched. The prediction's label table is not copied: new
// table entries are the caller's (see MapByName).
//
// Memory: besides the Change (two uint16 arrays of its box) nothing of
// volume size is allocated, except the uint16 copy that widening makes.
func AcceptPrediction(m, pred *viewer.LabelMap, o AcceptOptions) (*Change, AcceptSummary, error) {
	r, err := newAcceptRules(m, pred, o)
	if err != nil {
		return nil, AcceptSummary{}, err
	}
	if r == nil {
		return nil, AcceptSummary{PerLabel: map[int]LabelDelta{}}, nil
	}
	sum, err := r.plan(m, pred)
	if err != nil || sum.Box.Empty() {
		return nil, sum, err
	}
	if sum.Widen {
		// Only ids of the prediction exceed 255: the tables indexed by the
		// map's old values need no change.
		m.Widen()
	}
	c := &Change{Name: "Accept prediction", Box: sum.Box}
	c.Before = readBox(m, sum.Box)
	c.After = make([]uint16, len(c.Before))
	switch p := pred.Data.(type) {
	case viewer.Voxels[uint8]:
		afterRows(r, p, m.Dims, sum.Box, c.Before, c.After)
	case viewer.Voxels[uint16]:
		afterRows(r, p, m.Dims, sum.Box, c.Before, c.After)
	}
	writeBox(m, sum.Box, c.After)
	return c, sum, nil
}

// acceptRules is AcceptOptions resolved for one map and one prediction:
// tables indexed by id, so the pass over the voxels is a few lookups each.
type acceptRules struct {
	// target by prediction id: the target id, 0 when not accepted,
	// unmapped when accepted but missing from the mapping.
	target []int32
	// replaced by map id: an accepted target label, cleared in Replace
	// mode where the prediction does not mark it. All false otherwise.
	replaced []bool
	// allow by map id: the policy and the locks let a voxel holding it
	// change.
	allow  []bool
	region Box
}

const unmapped int32 = -1

// Outcomes of one voxel.
const (
	keepVoxel  = iota // nothing to do with it
	sameVoxel         // already holds its target
	writeVoxel        // gets a target label
	clearVoxel        // loses an accepted label (Replace)
	skipVoxel         // would change, but the policy or a lock keeps it
	badVoxel          // accepted but unmapped
)

// decide is the rule for one voxel holding cur, where the prediction's
// accepted target is t (0: none, unmapped: no mapping); it is shared by
// PlanAccept and AcceptPrediction, so the preview and the edit agree.
func (r *acceptRules) decide(cur int, t int32) (nv int, outcome int) {
	switch {
	case t > 0:
		if cur == int(t) {
			return cur, sameVoxel
		}
		if !r.allow[cur] {
			return cur, skipVoxel
		}
		return int(t), writeVoxel
	case t == unmapped:
		return cur, badVoxel
	case r.replaced[cur]:
		if !r.allow[cur] {
			return cur, skipVoxel
		}
		return 0, clearVoxel
	}
	return cur, keepVoxel
}

// newAcceptRules checks the inputs and resolves o; nil rules and no error
// mean there is nothing to do (an empty range).
func newAcceptRules(m, pred *viewer.LabelMap, o AcceptOptions) (*acceptRules, error) {
	if err := checkPrediction(m, pred); err != nil {
		return nil, err
	}
	r := &acceptRules{region: Box{Max: m.Dims}}
	if o.SliceLo <= o.SliceHi {
		if o.Axis < 0 || o.Axis > 2 {
			return nil, fmt.Errorf("accept: slice range axis %d is not 0, 1 or 2", o.Axis)
		}
		r.region.Min[o.Axis] = max(o.SliceLo, 0)
		r.region.Max[o.Axis] = min(o.SliceHi+1, m.Dims[o.Axis])
		if r.region.Empty() {
			return nil, nil
		}
	}
	np := 256
	if _, ok := pred.Data.(viewer.Voxels[uint16]); ok {
		np = 65536
	}
	r.target = make([]int32, np)
	accepted := o.Labels
	if accepted == nil {
		if o.Replace {
			accepted = pred.Present()
		} else {
			accepted = make([]int, np-1)
			for i := range accepted {
				accepted[i] = i + 1
			}
		}
	}
	for _, p := range accepted {
		if p <= 0 || p > viewer.MaxLabelID {
			return nil, fmt.Errorf("accept: prediction label id %d outside 1..%d", p, viewer.MaxLabelID)
		}
		if p >= np {
			continue // cannot occur in this prediction
		}
		t := p
		if o.Mapping != nil {
			var ok bool
			if t, ok = o.Mapping[p]; !ok {
				r.target[p] = unmapped
				continue
			}
		}
		if t <= 0 || t > viewer.MaxLabelID {
			return nil, fmt.Errorf("accept: prediction label %d maps to id %d, outside 1..%d", p, t, viewer.MaxLabelID)
		}
		r.target[p] = int32(t)
	}
	g, _ := newGate(m, nil, 0, Policy{Overwrite: o.Policy.Overwrite, Only: o.Policy.Only})
	r.allow = g.allow
	// newGate leaves 0 out (erasing 0 changes nothing); here 0 is a label
	// a voxel may hold and be written over, as the policy says.
	switch o.Policy.Overwrite {
	case OverwriteLabels:
		for _, v := range o.Policy.Only {
			if v == 0 {
				r.allow[0] = true
			}
		}
	default:
		r.allow[0] = true
	}
	r.replaced = make([]bool, len(r.allow))
	if o.Replace {
		for _, t := range r.target {
			if t > 0 && int(t) < len(r.replaced) {
				r.replaced[t] = true
			}
		}
	}
	return r, nil
}

// checkPrediction refuses a prediction that is not on m's grid, saying how
// the grids differ, and maps of a type other than uint8/uint16.
func checkPrediction(m, pred *viewer.LabelMap) error {
	if m == nil || m.Volume == nil || m.Data == nil {
		return errors.New("accept: no label map")
	}
	if pred == nil || pred.Volume == nil || pred.Data == nil {
		return errors.New("accept: no prediction")
	}
	for _, x := range []struct {
		what string
		m    *viewer.LabelMap
	}{{"label map", m}, {"prediction", pred}} {
		switch x.m.Data.(type) {
		case viewer.Voxels[uint8], viewer.Voxels[uint16]:
		default:
			return fmt.Errorf("accept: %s voxels are %v, not uint8 or uint16", x.what, x.m.Data.Type())
		}
		if x.m.Data.Len() != x.m.NumVoxels() {
			return fmt.Errorf("accept: %s has %d voxels for dims %v", x.what, x.m.Data.Len(), x.m.Dims)
		}
	}
	if d := describeGridDiff(m.Geometry, pred.Geometry, AcceptGridTolMM); d != "" {
		return fmt.Errorf("accept: prediction is not on the label map's grid: %s", d)
	}
	return nil
}

// describeGridDiff is "" when pred's grid is m's (to tolMM over the whole
// extent, as Geometry.SameGrid), else what differs, in terms a user can act
// on.
func describeGridDiff(m, pred viewer.Geometry, tolMM float64) string {
	dims := func(d [3]int) string { return fmt.Sprintf("%d×%d×%d", d[0], d[1], d[2]) }
	if m.Dims != pred.Dims {
		return fmt.Sprintf("dims %s vs labels %s", dims(pred.Dims), dims(m.Dims))
	}
	if m.SameGrid(pred, tolMM) {
		return ""
	}
	var diffs []string
	if m.Spacing != pred.Spacing {
		diffs = append(diffs, fmt.Sprintf("spacing %.4g×%.4g×%.4g mm vs labels %.4g×%.4g×%.4g mm",
			pred.Spacing[0], pred.Spacing[1], pred.Spacing[2], m.Spacing[0], m.Spacing[1], m.Spacing[2]))
	}
	if m.Origin != pred.Origin {
		diffs = append(diffs, fmt.Sprintf("origin (%.4g, %.4g, %.4g) mm vs labels (%.4g, %.4g, %.4g) mm",
			pred.Origin[0], pred.Origin[1], pred.Origin[2], m.Origin[0], m.Origin[1], m.Origin[2]))
	}
	if m.Direction != pred.Direction {
		diffs = append(diffs, "axis directions differ")
	}
	// How far apart voxel centres get: at the corners, as SameGrid checks.
	worst := 0.0
	for c := range 8 {
		var idx viewer.Vec3
		for a := range 3 {
			if c&(1<<a) != 0 {
				idx[a] = float64(m.Dims[a] - 1)
			}
		}
		p, q := m.IndexToLPS(idx), pred.IndexToLPS(idx)
		worst = max(worst, math.Abs(p[0]-q[0]), math.Abs(p[1]-q[1]), math.Abs(p[2]-q[2]))
	}
	diffs = append(diffs, fmt.Sprintf("voxel centres up to %.3g mm apart (tolerance %g mm); resample or reorient the prediction onto the image grid", worst, tolMM))
	return strings.Join(diffs, "; ")
}

// tally is the running count of plan.
type tally struct {
	added, removed, same, skipped int
	addedBy                       []int // by target id
	removedBy                     []int // by map id
	box                           Box
	maxWritten                    int
	bad                           int // an unmapped prediction id met, 0 if none
}

// plan is the counting pass over the region.
func (r *acceptRules) plan(m, pred *viewer.LabelMap) (AcceptSummary, error) {
	t := &tally{removedBy: make([]int, len(r.allow)), box: Box{Min: m.Dims}}
	maxT := int32(0)
	for _, x := range r.target {
		maxT = max(maxT, x)
	}
	t.addedBy = make([]int, maxT+1)
	switch md := m.Data.(type) {
	case viewer.Voxels[uint8]:
		switch pd := pred.Data.(type) {
		case viewer.Voxels[uint8]:
			planRows(r, md, pd, m.Dims, t)
		case viewer.Voxels[uint16]:
			planRows(r, md, pd, m.Dims, t)
		}
	case viewer.Voxels[uint16]:
		switch pd := pred.Data.(type) {
		case viewer.Voxels[uint8]:
			planRows(r, md, pd, m.Dims, t)
		case viewer.Voxels[uint16]:
			planRows(r, md, pd, m.Dims, t)
		}
	}
	if t.bad != 0 {
		return AcceptSummary{}, fmt.Errorf("accept: prediction label %d has no target id in the mapping", t.bad)
	}
	s := AcceptSummary{Added: t.added, Removed: t.removed, Unchanged: t.same, Skipped: t.skipped, PerLabel: map[int]LabelDelta{}}
	if t.added+t.removed > 0 {
		s.Box = t.box
	}
	_, wide := m.Data.(viewer.Voxels[uint16])
	s.Widen = !wide && t.maxWritten > 255
	for id, n := range t.addedBy {
		if n > 0 {
			d := s.PerLabel[id]
			d.Added = n
			s.PerLabel[id] = d
		}
	}
	for id, n := range t.removedBy {
		if n > 0 {
			d := s.PerLabel[id]
			d.Removed = n
			s.PerLabel[id] = d
		}
	}
	return s, nil
}

// planRows counts the region row by row. Most voxels are neither marked
// by an accepted label nor (in Replace mode) an accepted label in the map,
// and cost two lookups.
func planRows[M, P uint8 | uint16](r *acceptRules, md []M, pd []P, dims [3]int, t *tally) {
	b := r.region
	nx, ny := dims[0], dims[1]
	target, replaced := r.target, r.replaced
	for k := b.Min[2]; k < b.Max[2]; k++ {
		for j := b.Min[1]; j < b.Max[1]; j++ {
			base := nx*(j+ny*k) + b.Min[0]
			w := b.Max[0] - b.Min[0]
			mrow, prow := md[base:base+w], pd[base:base+w]
			lo, hi := -1, -1
			for x, pv := range prow {
				tv := target[pv]
				cur := mrow[x]
				if tv == 0 && !replaced[cur] {
					continue
				}
				nv, out := r.decide(int(cur), tv)
				switch out {
				case sameVoxel:
					t.same++
					continue
				case skipVoxel:
					t.skipped++
					continue
				case badVoxel:
					t.bad = int(pv)
					return
				case keepVoxel:
					continue
				}
				if nv != 0 {
					t.added++
					t.addedBy[nv]++
					t.maxWritten = max(t.maxWritten, nv)
				}
				if cur != 0 {
					t.removed++
					t.removedBy[cur]++
				}
				if lo < 0 {
					lo = x
				}
				hi = x
			}
			if lo >= 0 {
				i0 := b.Min[0]
				t.box.Min[0], t.box.Max[0] = min(t.box.Min[0], i0+lo), max(t.box.Max[0], i0+hi+1)
				t.box.Min[1], t.box.Max[1] = min(t.box.Min[1], j), max(t.box.Max[1], j+1)
				t.box.Min[2], t.box.Max[2] = min(t.box.Min[2], k), max(t.box.Max[2], k+1)
			}
		}
	}
}

// afterRows fills the Change's after-values for box (inside the region)
// from its before-values and the prediction, by the rule plan counted with.
func afterRows[P uint8 | uint16](r *acceptRules, pd []P, dims [3]int, box Box, before, after []uint16) {
	nx, ny := dims[0], dims[1]
	w := box.Max[0] - box.Min[0]
	at := 0
	for k := box.Min[2]; k < box.Max[2]; k++ {
		for j := box.Min[1]; j < box.Max[1]; j++ {
			base := nx*(j+ny*k) + box.Min[0]
			prow := pd[base : base+w]
			brow, arow := before[at:at+w], after[at:at+w]
			for x, pv := range prow {
				nv, _ := r.decide(int(brow[x]), r.target[pv])
				arow[x] = uint16(nv)
			}
			at += w
		}
	}
}
