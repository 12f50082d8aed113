package edit

import (
	"image/color"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"delineate/viewer"
)

// accDims is the grid of the accept tests: 10×8×6, 1 mm.
var accDims = [3]int{10, 8, 6}

func accMap(t testing.TB) *viewer.LabelMap { return toolMap(t, accDims, viewer.Vec3{1, 1, 1}) }

// accPred is a prediction with label 1 in box A (i 1..4, j 1..4, k 1..3:
// 4·4·3 = 48 voxels) and label 2 in box B (i 6..8, j 2..5, k 2..4:
// 3·4·3 = 36).
func accPred(t testing.TB) *viewer.LabelMap {
	p := accMap(t)
	toolFill(p, toolBox(1, 1, 1, 5, 5, 4), 1)
	toolFill(p, toolBox(6, 2, 2, 9, 6, 5), 2)
	return p
}

// accDiff is the summary counted from the maps themselves: what changed
// between before and after, by the definitions of Added and Removed.
func accDiff(m *viewer.LabelMap, before, after []uint16) (added, removed int, per map[int]LabelDelta, box Box) {
	per = map[int]LabelDelta{}
	box = Box{Min: m.Dims}
	forBox(Box{Max: m.Dims}, func(i, j, k, at int) {
		b, a := int(before[at]), int(after[at])
		if a == b {
			return
		}
		if a != 0 {
			added++
			d := per[a]
			d.Added++
			per[a] = d
		}
		if b != 0 {
			removed++
			d := per[b]
			d.Removed++
			per[b] = d
		}
		box = box.Union(Box{Min: [3]int{i, j, k}, Max: [3]int{i + 1, j + 1, k + 1}})
	})
	if added+removed == 0 {
		box = Box{}
	}
	return
}

// accept runs PlanAccept, then AcceptPrediction, and checks that both
// summaries agree with each other and with what the map shows, that
// nothing outside the range changed, and that undo and redo restore
// exactly.
func accept(t *testing.T, m, pred *viewer.LabelMap, o AcceptOptions) (*Change, AcceptSummary) {
	t.Helper()
	before := toolAll(m)
	plan, err := PlanAccept(m, pred, o)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if !slices.Equal(toolAll(m), before) {
		t.Fatal("PlanAccept wrote to the map")
	}
	c, sum, err := AcceptPrediction(m, pred, o)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	if !reflect.DeepEqual(plan, sum) {
		t.Fatalf("plan %+v\n!= apply %+v", plan, sum)
	}
	after := toolAll(m)
	added, removed, per, box := accDiff(m, before, after)
	if sum.Added != added || sum.Removed != removed || !reflect.DeepEqual(sum.PerLabel, per) || sum.Box != box {
		t.Fatalf("summary %+v, the map shows added %d removed %d %v box %v", sum, added, removed, per, box)
	}
	if (c == nil) != (added+removed == 0) {
		t.Fatalf("change %v for %d/%d voxels changed", c, added, removed)
	}
	if c != nil {
		if c.Box != box {
			t.Fatalf("change box %v, want the tight box %v", c.Box, box)
		}
		toolUndo(t, m, before, c)
	}
	return c, sum
}

func TestAcceptIdentityIntoEmpty(t *testing.T) {
	m, pred := accMap(t), accPred(t)
	_, s := accept(t, m, pred, AcceptOptions{SliceLo: 0, SliceHi: -1})
	if !slices.Equal(toolAll(m), toolAll(pred)) {
		t.Fatal("the map is not the prediction")
	}
	want := AcceptSummary{Added: 84, PerLabel: map[int]LabelDelta{1: {Added: 48}, 2: {Added: 36}},
		Box: toolBox(1, 1, 1, 9, 6, 5)}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("summary %+v, want %+v", s, want)
	}
	// Accepting again changes nothing: every voxel already holds its label.
	c, s := accept(t, m, pred, AcceptOptions{SliceHi: -1})
	if c != nil || s.Unchanged != 84 || s.Added != 0 || !s.Box.Empty() {
		t.Fatalf("second accept: change %v, summary %+v", c, s)
	}
}

// The policies and locks, against a map with label 3 over the left half of
// A (i 1..2: 24 voxels of A) and locked label 4 over B's first column
// (i 6: 12 voxels of B), plus background everywhere else.
func TestAcceptPolicyAndLocks(t *testing.T) {
	setup := func() *viewer.LabelMap {
		m := accMap(t)
		toolFill(m, toolBox(0, 0, 0, 3, 8, 6), 3) // i 0..2, all j, k
		toolFill(m, toolBox(6, 0, 0, 7, 8, 6), 4) // i 6
		if err := m.Table.Set(viewer.Label{ID: 4, Name: "locked", Locked: true}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	pred := accPred(t)
	for _, c := range []struct {
		name string
		p    Policy
		want AcceptSummary
	}{
		{"all", Policy{}, AcceptSummary{Added: 48 + 24, Removed: 24, Skipped: 12,
			PerLabel: map[int]LabelDelta{1: {Added: 48}, 2: {Added: 24}, 3: {Removed: 24}}, Box: toolBox(1, 1, 1, 9, 6, 5)}},
		{"empty only", Policy{Overwrite: OverwriteEmptyOnly}, AcceptSummary{Added: 24 + 24, Skipped: 24 + 12,
			PerLabel: map[int]LabelDelta{1: {Added: 24}, 2: {Added: 24}}, Box: toolBox(3, 1, 1, 9, 6, 5)}},
		{"labels 3", Policy{Overwrite: OverwriteLabels, Only: []int{3}}, AcceptSummary{Added: 24, Removed: 24, Skipped: 24 + 36,
			PerLabel: map[int]LabelDelta{1: {Added: 24}, 3: {Removed: 24}}, Box: toolBox(1, 1, 1, 3, 5, 4)}},
		// Listing the locked label does not unlock it; listing 0 allows
		// background.
		{"labels 0, 4", Policy{Overwrite: OverwriteLabels, Only: []int{0, 4}}, AcceptSummary{Added: 24 + 24, Skipped: 24 + 12,
			PerLabel: map[int]LabelDelta{1: {Added: 24}, 2: {Added: 24}}, Box: toolBox(3, 1, 1, 9, 6, 5)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := setup()
			_, s := accept(t, m, pred, AcceptOptions{SliceHi: -1, Policy: c.p})
			if !reflect.DeepEqual(s, c.want) {
				t.Fatalf("summary %+v, want %+v", s, c.want)
			}
			if n := toolCount(m, 4); n != 6*8 {
				t.Fatalf("locked label 4 has %d voxels, want 48", n)
			}
		})
	}
}

func TestAcceptSomeLabels(t *testing.T) {
	m, pred := accMap(t), accPred(t)
	_, s := accept(t, m, pred, AcceptOptions{SliceHi: -1, Labels: []int{2}})
	if s.Added != 36 || toolCount(m, 1) != 0 || toolCount(m, 2) != 36 {
		t.Fatalf("summary %+v, label 1 %d, label 2 %d voxels", s, toolCount(m, 1), toolCount(m, 2))
	}
	// A listed label the prediction lacks is simply not there.
	c, s := accept(t, accMap(t), pred, AcceptOptions{SliceHi: -1, Labels: []int{7}})
	if c != nil || s.Added != 0 {
		t.Fatalf("absent label: change %v, summary %+v", c, s)
	}
}

// A slice range along each axis accepts only those slices.
func TestAcceptSliceRange(t *testing.T) {
	pred := accMap(t)
	toolFill(pred, Box{Max: accDims}, 1)
	for axis := range 3 {
		for _, r := range []struct{ lo, hi, wantLo, wantHi int }{
			{1, 2, 1, 2},
			{3, 3, 3, 3},
			{-5, 1, 0, 1},                 // clipped below
			{4, 99, 4, accDims[axis] - 1}, // clipped above
		} {
			m := accMap(t)
			_, s := accept(t, m, pred, AcceptOptions{Axis: axis, SliceLo: r.lo, SliceHi: r.hi})
			want := Box{Max: accDims}
			want.Min[axis], want.Max[axis] = r.wantLo, r.wantHi+1
			if s.Box != want || s.Added != want.Size() || toolCount(m, 1, want) != want.Size() || toolCount(m, 1) != want.Size() {
				t.Fatalf("axis %d range %d..%d: summary %+v, want box %v", axis, r.lo, r.hi, s, want)
			}
		}
		// A range off the grid is nothing to do.
		c, s, err := AcceptPrediction(accMap(t), pred, AcceptOptions{Axis: axis, SliceLo: 50, SliceHi: 60})
		if c != nil || err != nil || s.Added != 0 {
			t.Fatalf("range off the grid: %v %+v %v", c, s, err)
		}
	}
	if _, _, err := AcceptPrediction(accMap(t), pred, AcceptOptions{Axis: 3, SliceLo: 0, SliceHi: 1}); err == nil {
		t.Fatal("axis 3 accepted")
	}
}

func TestAcceptReplace(t *testing.T) {
	pred := accPred(t)
	// The map's label 1 is box C (i 3..6, j 0..2, k 0..5: 4·3·6 = 72), which
	// overlaps A in i 3..4, j 1..2, k 1..3 (12 voxels); label 5 elsewhere.
	setup := func() *viewer.LabelMap {
		m := accMap(t)
		toolFill(m, toolBox(3, 0, 0, 7, 3, 6), 1)
		toolFill(m, toolBox(0, 6, 0, 2, 8, 6), 5)
		return m
	}
	m := setup()
	_, s := accept(t, m, pred, AcceptOptions{SliceHi: -1, Labels: []int{1}, Replace: true})
	// After: label 1 is exactly A; C outside A is cleared, except where B
	// (not accepted) lies: cleared too, B marks it 2, not 1.
	if toolCount(m, 1) != 48 || toolCount(m, 1, toolBox(1, 1, 1, 5, 5, 4)) != 48 || toolCount(m, 5) != 24 {
		t.Fatalf("label 1 %d voxels (48 in A), label 5 %d", toolCount(m, 1), toolCount(m, 5))
	}
	want := AcceptSummary{Added: 36, Removed: 60, Unchanged: 12, PerLabel: map[int]LabelDelta{1: {Added: 36, Removed: 60}},
		Box: toolBox(1, 0, 0, 7, 5, 6)}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("summary %+v, want %+v", s, want)
	}

	// Accept all with Replace: only labels the prediction has are replaced
	// (5 stays).
	m = setup()
	accept(t, m, pred, AcceptOptions{SliceHi: -1, Replace: true})
	if toolCount(m, 5) != 24 || toolCount(m, 1) != 48 || toolCount(m, 2) != 36 {
		t.Fatalf("replace all: label 1 %d, 2 %d, 5 %d", toolCount(m, 1), toolCount(m, 2), toolCount(m, 5))
	}

	// Inside a range only: slices k 0..1 of C are cleared where A is
	// absent (k 0: 12, k 1: 12 − 4 = 8 outside A) and A's slice k 1 is
	// written (16 − 4 already there).
	m = setup()
	_, s = accept(t, m, pred, AcceptOptions{Labels: []int{1}, Replace: true, Axis: 2, SliceLo: 0, SliceHi: 1})
	if s.Removed != 20 || s.Added != 12 || s.Unchanged != 4 || toolCount(m, 1, toolBox(0, 0, 2, 10, 8, 6)) != 48 {
		t.Fatalf("replace in k 0..1: %+v", s)
	}

	// Locked, label 1 is neither cleared nor overwritten; the policy
	// applies to clearing too.
	m = setup()
	_ = m.Table.Set(viewer.Label{ID: 1, Name: "x", Locked: true})
	_, s = accept(t, m, pred, AcceptOptions{SliceHi: -1, Labels: []int{1}, Replace: true})
	if toolCount(m, 1, toolBox(3, 0, 0, 7, 3, 6)) != 72 || s.Removed != 0 || s.Skipped != 60 {
		t.Fatalf("locked: %+v", s)
	}
	m = setup()
	_, s = accept(t, m, pred, AcceptOptions{SliceHi: -1, Labels: []int{1}, Replace: true, Policy: Policy{Overwrite: OverwriteEmptyOnly}})
	if s.Removed != 0 || s.Added != 36 || s.Skipped != 60 {
		t.Fatalf("empty only: %+v", s)
	}
}

func TestMapByName(t *testing.T) {
	var pred, table viewer.LabelTable
	red := color.RGBA{200, 10, 10, 255}
	for _, l := range []viewer.Label{
		{ID: 1, Name: "Liver"}, {ID: 2, Name: "left_kidney"}, {ID: 3, Name: "Spleen", Colour: red},
		{ID: 5, Name: " AORTA "}, {ID: 6, Name: "spleen"}, {ID: 7, Name: "inferior--vena_cava"},
	} {
		_ = pred.Set(l)
	}
	for _, l := range []viewer.Label{
		{ID: 1, Name: "aorta", Locked: true}, {ID: 4, Name: "liver"}, {ID: 9, Name: "Left Kidney"},
		{ID: 10, Name: "left kidney"}, {ID: 11, Name: ""}, {ID: 12, Name: "Inferior vena cava"},
	} {
		_ = table.Set(l)
	}
	used := []int{1, 2, 4, 12} // 2 is in the map without a table entry
	mapping, added := MapByName(pred, []int{8, 1, 2, 3, 5, 6, 7, 3, 0}, table, used)
	want := map[int]int{
		1: 4,  // Liver → liver
		2: 9,  // left_kidney → Left Kidney (9 < 10)
		3: 3,  // Spleen: new, smallest free (1, 2 taken)
		5: 1,  // " AORTA " → aorta, locked or not
		6: 3,  // spleen: same name as 3, shares its new id
		7: 12, // inferior--vena_cava → Inferior vena cava
		8: 5,  // unnamed: new "Label 8", next free id
	}
	if !reflect.DeepEqual(mapping, want) {
		t.Fatalf("mapping %v, want %v", mapping, want)
	}
	wantAdded := []viewer.Label{
		{ID: 3, Name: "Spleen", Colour: red, Visible: true},
		{ID: 5, Name: "Label 8", Colour: viewer.DefaultLabelColours().Colour(8), Visible: true},
	}
	if !reflect.DeepEqual(added, wantAdded) {
		t.Fatalf("added %+v, want %+v", added, wantAdded)
	}
	if got := normLabelName("  Left__Kidney - upper\tpole "); got != "left kidney upper pole" {
		t.Fatalf("normalised %q", got)
	}

	// End to end: prediction ids 1 and 2 land on the table's 4 and 9.
	m, p := accMap(t), accPred(t)
	p.Table = pred
	m.Table = table
	mp, add := MapByName(p.Table, p.Present(), m.Table, m.Present())
	if len(add) != 0 || mp[1] != 4 || mp[2] != 9 {
		t.Fatalf("mapping %v, added %v", mp, add)
	}
	accept(t, m, p, AcceptOptions{SliceHi: -1, Mapping: mp})
	if toolCount(m, 4) != 48 || toolCount(m, 9) != 36 {
		t.Fatalf("mapped: 4 has %d, 9 has %d", toolCount(m, 4), toolCount(m, 9))
	}
}

// A target id above 255 widens a uint8 map; undo restores the values (the
// map stays uint16).
func TestAcceptWidens(t *testing.T) {
	m, pred := accMap(t), accPred(t)
	o := AcceptOptions{SliceHi: -1, Mapping: map[int]int{1: 300, 2: 2}}
	plan, err := PlanAccept(m, pred, o)
	if err != nil || !plan.Widen || plan.PerLabel[300].Added != 48 {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	if _, ok := m.Data.(viewer.Voxels[uint8]); !ok {
		t.Fatal("PlanAccept widened the map")
	}
	_, s := accept(t, m, pred, o)
	if _, ok := m.Data.(viewer.Voxels[uint16]); !ok || !s.Widen || toolCount(m, 300) != 48 {
		t.Fatalf("not widened: %T, %+v", m.Data, s)
	}
	// Once wide, no more widening.
	if p, _ := PlanAccept(m, pred, o); p.Widen {
		t.Fatal("a uint16 map asks to widen")
	}
	// A uint16 prediction into a uint8 map, ids within 255: no widening.
	wide := accPred(t)
	wide.Widen()
	m = accMap(t)
	_, s = accept(t, m, wide, AcceptOptions{SliceHi: -1})
	if _, ok := m.Data.(viewer.Voxels[uint8]); !ok || s.Widen || s.Added != 84 {
		t.Fatalf("uint16 prediction: %T %+v", m.Data, s)
	}
}

func TestAcceptErrors(t *testing.T) {
	pred := accPred(t)
	for _, c := range []struct {
		name string
		o    AcceptOptions
		want string
	}{
		{"target too big", AcceptOptions{SliceHi: -1, Mapping: map[int]int{1: 70000, 2: 2}}, "maps to id 70000"},
		{"target 0", AcceptOptions{SliceHi: -1, Mapping: map[int]int{1: 0, 2: 2}}, "maps to id 0"},
		{"unmapped", AcceptOptions{SliceHi: -1, Mapping: map[int]int{1: 1}}, "prediction label 2 has no target"},
		{"bad label", AcceptOptions{SliceHi: -1, Labels: []int{-1}}, "label id -1"},
	} {
		m := accMap(t)
		toolFill(m, toolBox(0, 0, 0, 10, 8, 1), 3)
		before := toolAll(m)
		if _, err := PlanAccept(m, pred, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: plan error %v, want %q", c.name, err, c.want)
		}
		ch, _, err := AcceptPrediction(m, pred, c.o)
		if err == nil || ch != nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: accept error %v, want %q", c.name, err, c.want)
		}
		if !slices.Equal(toolAll(m), before) {
			t.Errorf("%s: the map changed on error", c.name)
		}
	}
	// An unmapped label outside the range, or not accepted, is no error.
	if _, err := PlanAccept(accMap(t), pred, AcceptOptions{SliceHi: -1, Mapping: map[int]int{1: 1}, Labels: []int{1}}); err != nil {
		t.Errorf("unmapped but not accepted: %v", err)
	}
	if _, err := PlanAccept(accMap(t), pred, AcceptOptions{Mapping: map[int]int{1: 1}, Axis: 0, SliceLo: 0, SliceHi: 5}); err != nil {
		t.Errorf("unmapped outside the range: %v", err)
	}
}

func TestAcceptGridMismatch(t *testing.T) {
	m := accMap(t)
	for _, c := range []struct {
		name string
		edit func(g *viewer.Geometry)
		want string // "" accepted
	}{
		{"dims", func(g *viewer.Geometry) { g.Dims[2] = 7 }, "dims 10×8×7 vs labels 10×8×6"},
		{"spacing", func(g *viewer.Geometry) { g.Spacing[2] = 1.5 }, "spacing 1×1×1.5 mm vs labels 1×1×1 mm"},
		{"origin", func(g *viewer.Geometry) { g.Origin[0] = 0.01 }, "origin (0.01, 0, 0) mm"},
		{"direction", func(g *viewer.Geometry) { g.Direction = viewer.Mat3{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}} }, "axis directions differ"},
		{"within tolerance", func(g *viewer.Geometry) { g.Origin[0] = 1e-4 }, ""},
	} {
		p := accPred(t)
		v := *p.Volume
		c.edit(&v.Geometry)
		if v.NumVoxels() != v.Data.Len() {
			v.Data = viewer.Voxels[uint8](make([]uint8, v.NumVoxels()))
		}
		p.Volume = &v
		_, err := PlanAccept(m, p, AcceptOptions{SliceHi: -1})
		_, _, err2 := AcceptPrediction(m, p, AcceptOptions{SliceHi: -1})
		if c.want == "" {
			if err != nil || err2 != nil {
				t.Errorf("%s: %v, %v", c.name, err, err2)
			}
			continue
		}
		if err == nil || err2 == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not on the label map's grid") {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if toolCount(m, 1) != 48 {
		t.Fatalf("only the matching prediction was accepted: %d", toolCount(m, 1))
	}
}

func TestAcceptNothingToDo(t *testing.T) {
	c, s, err := AcceptPrediction(accMap(t), accMap(t), AcceptOptions{SliceHi: -1})
	if c != nil || err != nil || !reflect.DeepEqual(s, AcceptSummary{PerLabel: map[int]LabelDelta{}}) {
		t.Fatalf("empty prediction: %v %+v %v", c, s, err)
	}
	// Everything skipped is nothing to do, too.
	m := accMap(t)
	toolFill(m, Box{Max: accDims}, 3)
	c, s, err = AcceptPrediction(m, accPred(t), AcceptOptions{SliceHi: -1, Policy: Policy{Overwrite: OverwriteEmptyOnly}})
	if c != nil || err != nil || s.Skipped != 84 {
		t.Fatalf("all protected: %v %+v %v", c, s, err)
	}
}

// Random maps, predictions and options: the preview and the edit agree,
// and both with the map (accept checks it), and locked labels never move.
func TestAcceptPlanMatchesApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var changed, removed, skipped, same int
	for n := range 300 {
		m, pred := accMap(t), accMap(t)
		for i := range m.NumVoxels() {
			if rng.IntN(3) > 0 {
				m.Set(i, rng.IntN(5))
			}
			if rng.IntN(2) > 0 {
				pred.Set(i, rng.IntN(5))
			}
		}
		lockedID := 1 + rng.IntN(4)
		if rng.IntN(2) == 0 {
			_ = m.Table.Set(viewer.Label{ID: lockedID, Locked: true})
		}
		o := AcceptOptions{SliceLo: 0, SliceHi: -1}
		if rng.IntN(2) == 0 {
			o.Labels = []int{1 + rng.IntN(4), 1 + rng.IntN(4)}
		}
		if rng.IntN(2) == 0 {
			o.Mapping = map[int]int{1: 2, 2: 1, 3: 3, 4: 6}
		}
		if rng.IntN(2) == 0 {
			o.Axis = rng.IntN(3)
			o.SliceLo = rng.IntN(6) - 1
			o.SliceHi = o.SliceLo + rng.IntN(4)
		}
		o.Replace = rng.IntN(2) == 0
		o.Policy.Overwrite = OverwriteMode(rng.IntN(3))
		o.Policy.Only = []int{rng.IntN(5), rng.IntN(5)}
		lockedBefore := toolAll(m)
		c, sum := accept(t, m, pred, o)
		if c != nil {
			changed++
		}
		removed += min(sum.Removed, 1)
		skipped += min(sum.Skipped, 1)
		same += min(sum.Unchanged, 1)
		if m.Locked(lockedID) {
			for i, v := range toolAll(m) {
				if int(lockedBefore[i]) == lockedID && int(v) != lockedID {
					t.Fatalf("case %d: locked label %d changed at %d", n, lockedID, i)
				}
			}
		}
	}
	// The cases cover every outcome.
	if changed < 100 || removed < 50 || skipped < 50 || same < 50 {
		t.Fatalf("of 300 cases %d changed, %d removed, %d skipped, %d unchanged something", changed, removed, skipped, same)
	}
}
