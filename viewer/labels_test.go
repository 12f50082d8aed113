package viewer

import (
	"image/color"
	"testing"
)

func TestDefaultLabelColours(t *testing.T) {
	c := DefaultLabelColours()
	if len(c) != 256 {
		t.Fatalf("%d entries", len(c))
	}
	if c.Colour(0) != (color.RGBA{}) || c.Colour(-4) != (color.RGBA{}) {
		t.Error("background not transparent")
	}
	first := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 0, 255}, {0, 255, 255, 255}, {255, 0, 255, 255}}
	for i, want := range first {
		if c[i+1] != want {
			t.Errorf("label %d = %v, want %v", i+1, c[i+1], want)
		}
	}
	seen := map[color.RGBA]int{}
	for id := 1; id < 256; id++ {
		col := c[id]
		if col.A != 255 {
			t.Errorf("label %d not opaque: %v", id, col)
		}
		if prev, ok := seen[col]; ok {
			t.Errorf("labels %d and %d share colour %v", prev, id, col)
		}
		seen[col] = id
		if id > 1 && colourDistance(c[id-1], col) < 60 {
			t.Errorf("consecutive labels %d and %d too alike: %v %v", id-1, id, c[id-1], col)
		}
	}
	// Deterministic: a second call gives the same table, and it is a copy.
	d := DefaultLabelColours()
	for i := range c {
		if c[i] != d[i] {
			t.Fatalf("label %d differs between calls", i)
		}
	}
	d[1] = color.RGBA{}
	if DefaultLabelColours()[1] != first[0] {
		t.Error("DefaultLabelColours shares its table")
	}
}

func colourDistance(a, b color.RGBA) int {
	abs := func(x int) int { return max(x, -x) }
	return abs(int(a.R)-int(b.R)) + abs(int(a.G)-int(b.G)) + abs(int(a.B)-int(b.B))
}

func TestLabelColoursWrap(t *testing.T) {
	c := DefaultLabelColours()
	for _, x := range []struct{ id, want int }{{255, 255}, {256, 1}, {300, 45}, {510, 255}, {511, 1}} {
		if c.Colour(x.id) != c[x.want] {
			t.Errorf("Colour(%d) = %v, want label %d's %v", x.id, c.Colour(x.id), x.want, c[x.want])
		}
	}
	if (LabelColours{{1, 2, 3, 4}}).Colour(1) != (color.RGBA{}) {
		t.Error("a table with only background should draw nothing")
	}
}
