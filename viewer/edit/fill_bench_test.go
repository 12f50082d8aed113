package edit

import "testing"

// BenchmarkFloodFill3DMillion fills the ~1M-voxel contrast ball of benchCT
// (alternating labels so every fill changes every voxel).
func BenchmarkFloodFill3DMillion(b *testing.B) {
	img := benchCT()
	m := benchMap(b)
	c := FloodFill(m, img, [3]int{256, 256, 150}, 1, 15, true, 0, Policy{})
	if n := c.Box.Size(); n < 900_000 {
		b.Fatalf("box of %d voxels", n)
	}
	b.Logf("%d voxels filled", countFilled(c))
	for n := 0; b.Loop(); n++ {
		if FloodFill(m, img, [3]int{256, 256, 150}, 2-n%2, 15, true, 0, Policy{}) == nil {
			b.Fatal("no change")
		}
	}
}

func BenchmarkFloodFill2D(b *testing.B) {
	img := benchCT()
	m := benchMap(b)
	for n := 0; b.Loop(); n++ {
		if FloodFill(m, img, [3]int{100, 256, 150}, 1+n%2, 20, false, 2, Policy{}) == nil {
			b.Fatal("no change")
		}
	}
}

func BenchmarkUndoRedoFloodFill3D(b *testing.B) {
	img := benchCT()
	m := benchMap(b)
	var h History
	h.Push(FloodFill(m, img, [3]int{256, 256, 150}, 1, 15, true, 0, Policy{}))
	for b.Loop() {
		h.Undo(m)
		h.Redo(m)
	}
}

func countFilled(c *Change) int {
	n := 0
	for i := range c.After {
		if c.After[i] != c.Before[i] {
			n++
		}
	}
	return n
}
