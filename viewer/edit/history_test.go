package edit

import (
	"testing"

	"delineate/viewer"
)

// nChange is a change of the first n voxels of a row (4n bytes).
func nChange(n int, before, after uint16) *Change {
	c := &Change{Name: "t", Box: Box{Max: [3]int{n, 1, 1}}, Before: make([]uint16, n), After: make([]uint16, n)}
	for i := range c.Before {
		c.Before[i], c.After[i] = before, after
	}
	return c
}

func TestHistoryKeepsMinSteps(t *testing.T) {
	h := History{Limit: 1} // every change is over the limit
	for i := 0; i < MinSteps+20; i++ {
		h.Push(nChange(100, 0, 1))
	}
	if u, r := h.Steps(); u != MinSteps || r != 0 {
		t.Fatalf("steps %d/%d, want %d/0", u, r, MinSteps)
	}
	if h.bytes != MinSteps*400 {
		t.Fatalf("bytes %d", h.bytes)
	}
}

func TestHistoryEvictsBeyondLimit(t *testing.T) {
	h := History{Limit: 60 * 400}
	for i := 0; i < 80; i++ {
		h.Push(nChange(100, 0, 1))
	}
	if u, _ := h.Steps(); u != 60 {
		t.Fatalf("%d steps, want 60", u)
	}
	// The oldest went first: undoing everything kept leaves the Before of
	// push 20.
	m := newTestMap(t, [3]int{100, 1, 1}, viewer.Vec3{1, 1, 1}, 255)
	h = History{Limit: 60 * 400}
	for i := 0; i < 80; i++ {
		h.Push(nChange(100, uint16(i), uint16(i+1)))
	}
	for h.CanUndo() {
		h.Undo(m)
	}
	if u, r := h.Steps(); u != 0 || r != 60 {
		t.Fatalf("steps %d/%d", u, r)
	}
	if got := m.At(99); got != 20 {
		t.Fatalf("oldest kept change starts at %d, want 20", got)
	}
	// Default limit keeps all of these small changes.
	var d History
	for i := 0; i < 500; i++ {
		d.Push(nChange(10, 0, 1))
	}
	if u, _ := d.Steps(); u != 500 {
		t.Fatalf("default limit kept %d", u)
	}
}

func TestHistoryUndoRedoOrder(t *testing.T) {
	m := newTestMap(t, [3]int{4, 1, 1}, viewer.Vec3{1, 1, 1}, 255)
	var h History
	if _, ok := h.Undo(m); ok {
		t.Fatal("undo on empty history")
	}
	for i := 1; i <= 3; i++ {
		c := Snapshot(m, "set", Box{Max: [3]int{4, 1, 1}})
		m.Set(i, i)
		h.Push(c.Finish(m))
	}
	h.Push(nil)
	if u, _ := h.Steps(); u != 3 {
		t.Fatalf("%d steps", u)
	}
	h.Undo(m)
	h.Undo(m)
	if got := labelsOf(m); got[1] != 1 || got[2] != 0 || got[3] != 0 {
		t.Fatalf("after two undos %v", got)
	}
	if b, ok := h.Redo(m); !ok || b != (Box{Min: [3]int{2, 0, 0}, Max: [3]int{3, 1, 1}}) {
		t.Fatalf("redo box %v", b)
	}
	if !h.CanRedo() || m.At(2) != 2 {
		t.Fatal("redo did not re-apply")
	}
	// A new push clears redo and its bytes.
	c := Snapshot(m, "set", Box{Max: [3]int{4, 1, 1}})
	m.Set(0, 9)
	h.Push(c.Finish(m))
	if h.CanRedo() {
		t.Fatal("redo survived a push")
	}
	if h.bytes != 3*4 { // three one-voxel changes on the undo stack
		t.Fatalf("bytes %d, want 12", h.bytes)
	}
}
