package edit

import (
	"slices"
	"testing"

	"delineate/viewer"
)

func TestBoxOps(t *testing.T) {
	a := Box{Min: [3]int{1, 2, 3}, Max: [3]int{4, 5, 6}}
	if a.Size() != 27 || a.Empty() {
		t.Fatal(a)
	}
	if (Box{Min: [3]int{1, 1, 1}, Max: [3]int{1, 5, 5}}).Size() != 0 {
		t.Fatal("empty box has size")
	}
	b := Box{Min: [3]int{-2, 3, 3}, Max: [3]int{2, 9, 4}}
	if u := a.Union(b); u != (Box{Min: [3]int{-2, 2, 3}, Max: [3]int{4, 9, 6}}) {
		t.Fatal(u)
	}
	if u := a.Union(Box{}); u != a {
		t.Fatal(u)
	}
	if c := b.Clip([3]int{10, 8, 10}); c != (Box{Min: [3]int{0, 3, 3}, Max: [3]int{2, 8, 4}}) {
		t.Fatal(c)
	}
}

func TestSnapshotFinish(t *testing.T) {
	m := newTestMap(t, [3]int{8, 7, 6}, viewer.Vec3{1, 1, 1}, 255)
	for i := 0; i < m.NumVoxels(); i++ {
		m.Set(i, i%3)
	}
	orig := labelsOf(m)
	c := Snapshot(m, "x", Box{Min: [3]int{-3, 0, 0}, Max: [3]int{20, 20, 20}})
	if c.Box != (Box{Max: [3]int{8, 7, 6}}) {
		t.Fatalf("snapshot box %v", c.Box)
	}
	if c2 := Snapshot(m, "y", c.Box).Finish(m); c2 != nil {
		t.Fatal("unchanged snapshot gave a change")
	}
	m.Set(m.Index(2, 3, 1), 7)
	m.Set(m.Index(5, 4, 2), 9)
	c = c.Finish(m)
	if c.Box != (Box{Min: [3]int{2, 3, 1}, Max: [3]int{6, 5, 3}}) || len(c.Before) != 16 || len(c.After) != 16 || c.Bytes() != 64 {
		t.Fatalf("finished change %v (%d)", c.Box, len(c.Before))
	}
	if c.Before[0] != uint16(orig[m.Index(2, 3, 1)]) || c.After[0] != 7 || c.After[15] != 9 {
		t.Fatalf("before/after %v %v", c.Before, c.After)
	}
	after := labelsOf(m)
	writeBox(m, c.Box, c.Before)
	if !slices.Equal(labelsOf(m), orig) {
		t.Fatal("writing Before did not restore")
	}
	writeBox(m, c.Box, c.After)
	if !slices.Equal(labelsOf(m), after) {
		t.Fatal("writing After did not re-apply")
	}
}

func TestChangeTouched(t *testing.T) {
	c := &Change{Before: []uint16{0, 0, 3, 3, 5, 0}, After: []uint16{2, 2, 2, 3, 0, 0}}
	got := c.Touched()
	want := map[int]int{2: 3, 3: 1, 5: 1}
	if len(got) != len(want) {
		t.Fatalf("touched %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("touched %v, want %v", got, want)
		}
	}
}
