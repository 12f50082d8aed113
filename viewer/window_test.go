package viewer

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestWindowGreyKnownValues(t *testing.T) {
	cases := []struct {
		w    Window
		v    float64
		want uint8
	}{
		// Soft tissue: lo = −160, hi = 240.
		{Window{40, 400}, -160, 0},   // v = C − W/2
		{Window{40, 400}, 240, 255},  // v = C + W/2
		{Window{40, 400}, 40, 128},   // t = 0.5 exactly: 127.5 rounds up
		{Window{40, 400}, -1000, 0},  // clamped below
		{Window{40, 400}, 3000, 255}, // clamped above
		{Window{40, 400}, -159.5, 0}, // 0.31875 → 0
		{Window{40, 400}, -159, 1},   // 0.6375 → 1
		{Window{40, 400}, 239, 254},  // 254.3625 → 254
		{Window{40, 400}, 239.5, 255},
		// Brain: lo = 0, hi = 80.
		{Window{40, 80}, 0, 0},
		{Window{40, 80}, 20, 64}, // 63.75 → 64
		{Window{40, 80}, 40, 128},
		{Window{40, 80}, 80, 255},
		// Lung: lo = −1350, hi = 150.
		{Window{-600, 1500}, -1350, 0},
		{Window{-600, 1500}, -600, 128},
		{Window{-600, 1500}, 150, 255},
		// Zero or negative width: a step at C.
		{Window{100, 0}, 99.9, 0},
		{Window{100, 0}, 100, 255},
		{Window{100, -5}, 101, 255},
		{Window{100, -5}, 99, 0},
		// NaN is black.
		{Window{40, 400}, math.NaN(), 0},
		{Window{40, 0}, math.NaN(), 0},
	}
	for _, c := range cases {
		if got := c.w.Grey(c.v); got != c.want {
			t.Errorf("%v.Grey(%g) = %d, want %d", c.w, c.v, got, c.want)
		}
	}
}

func TestRoundHalfUpMatchesMathRound(t *testing.T) {
	vals := []float64{0, 0.49999999999999994, 0.5, 1.5, 2.5, 126.5, 127.5, 254.49999999999997, 254.5, 255}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		vals = append(vals, r.Float64()*255)
	}
	for _, v := range vals {
		if got, want := roundHalfUp(v), uint8(math.Round(v)); got != want {
			t.Fatalf("roundHalfUp(%v) = %d, want %d", v, got, want)
		}
	}
}

// The LUT must give exactly what the formula gives, for every value a type
// can hold: a table built for the wrong signedness or offset shows up here.
func TestWindowLUTMatchesFormulaForEveryValue(t *testing.T) {
	windows := []Window{{40, 400}, {-600, 1500}, {127.5, 255}, {3.3, 7.1}, {30000, 20000}, {-20, 0}, {0, 1}}
	types := []DataType{Uint8, Int8, Uint16, Int16}
	for _, typ := range types {
		n := 256
		if typ.Size() == 2 {
			n = 65536
		}
		d, _ := NewVoxelData(typ, n)
		fillAllValues(d)
		for _, w := range windows {
			lut := NewWindowLUT(w)
			got := make([]uint8, n)
			if err := lut.Apply(d, got); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if want := w.Grey(d.At(i)); got[i] != want {
					t.Fatalf("%v %v value %g: LUT %d, formula %d", typ, w, d.At(i), got[i], want)
				}
			}
		}
	}
}

// fillAllValues puts every bit pattern of an 8- or 16-bit type in d.
func fillAllValues(d VoxelData) {
	switch s := d.Raw().(type) {
	case []uint8:
		for i := range s {
			s[i] = uint8(i)
		}
	case []int8:
		for i := range s {
			s[i] = int8(uint8(i))
		}
	case []uint16:
		for i := range s {
			s[i] = uint16(i)
		}
	case []int16:
		for i := range s {
			s[i] = int16(uint16(i))
		}
	}
}

func TestWindowDirectTypes(t *testing.T) {
	w := Window{40, 400}
	i32 := Voxels[int32]{-2147483648, -161, -160, 40, 239, 240, 2147483647}
	u32 := Voxels[uint32]{0, 40, 239, 240, 4294967295}
	f32 := Voxels[float32]{-160, 40, 239.5, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, d := range []VoxelData{i32, u32, f32} {
		got := make([]uint8, d.Len())
		if err := NewWindowLUT(w).Apply(d, got); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if want := w.Grey(d.At(i)); got[i] != want {
				t.Errorf("%v value %g: %d, want %d", d.Type(), d.At(i), got[i], want)
			}
		}
	}
	if err := NewWindowLUT(w).Apply(i32, make([]uint8, 2)); err == nil {
		t.Error("Apply into a short buffer succeeded")
	}
}

func TestWindowLUTSetWindow(t *testing.T) {
	d := Voxels[int16]{0, 40, 100}
	lut := NewWindowLUT(Window{40, 80})
	got := make([]uint8, 3)
	lut.Apply(d, got)
	if got[0] != 0 || got[1] != 128 || got[2] != 255 {
		t.Fatalf("brain window: %v", got)
	}
	lut.SetWindow(Window{100, 200})
	lut.Apply(d, got)
	if got[0] != 0 || got[1] != 51 || got[2] != 128 { // 40 → 0.2·255 = 51
		t.Fatalf("after SetWindow: %v", got)
	}
	if lut.Window() != (Window{100, 200}) {
		t.Fatalf("Window() = %v", lut.Window())
	}
}

func TestCTPresets(t *testing.T) {
	want := []WindowPreset{
		{"brain", 40, 80}, {"soft tissue", 40, 400}, {"liver", 90, 150},
		{"lung", -600, 1500}, {"bone", 480, 2500},
	}
	got := CTPresets()
	if len(got) != len(want) {
		t.Fatalf("CTPresets = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("preset %d = %v, want %v", i, got[i], want[i])
		}
	}
	got[0].Width = 1 // must not leak into the package's table
	if CTPresets()[0].Width != 80 {
		t.Error("CTPresets returns the shared table")
	}
}

func volumeOf(t *testing.T, modality string, vals ...int16) *Volume {
	t.Helper()
	v, err := NewVolume(Geometry{Dims: [3]int{len(vals), 1, 1}, Spacing: Vec3{1, 1, 1}, Direction: Identity3}, Int16)
	if err != nil {
		t.Fatal(err)
	}
	copy(v.Data.Raw().([]int16), vals)
	v.Modality = modality
	return v
}

func presetNames(ps []WindowPreset) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name)
	}
	return strings.Join(s, ",")
}

func TestPresets(t *testing.T) {
	header := []WindowPreset{{"ANGIO", 300, 600}}
	cases := []struct {
		modality string
		vals     []int16
		want     string
	}{
		{"CT", []int16{0, 100}, "brain,soft tissue,liver,lung,bone,ANGIO,auto"},
		{"MR", []int16{-1024, 3000}, "ANGIO,auto"},
		{"", []int16{-1024, 0, 1500}, "brain,soft tissue,liver,lung,bone,ANGIO,auto"}, // HU-like
		{"", []int16{0, 4000}, "ANGIO,auto"},                                          // not HU
	}
	for _, c := range cases {
		v := volumeOf(t, c.modality, c.vals...)
		v.Windows = header
		if got := presetNames(Presets(v)); got != c.want {
			t.Errorf("modality %q values %v: presets %s, want %s", c.modality, c.vals, got, c.want)
		}
	}
	v := volumeOf(t, "MR", 0, 10, 20)
	ps := Presets(v)
	a := AutoWindow(v)
	if last := ps[len(ps)-1]; last.Name != "auto" || last.Center != a.Center || last.Width != a.Width {
		t.Errorf("auto preset %v, AutoWindow %v", last, a)
	}
}

func TestDefaultWindow(t *testing.T) {
	if w := DefaultWindow(volumeOf(t, "CT", 0)); w != (Window{40, 400}) {
		t.Errorf("CT default %v", w)
	}
	mr := volumeOf(t, "MR", 0, 1)
	mr.Windows = []WindowPreset{{"", 500, 1000}}
	if w := DefaultWindow(mr); w != (Window{500, 1000}) {
		t.Errorf("MR with header default %v", w)
	}
	mr.Windows = nil
	if w := DefaultWindow(mr); w != AutoWindow(mr) {
		t.Errorf("MR default %v", w)
	}
}

// outlierValues is a histogram with a known answer: 9 low outliers, the
// values 0..1981 once each, 9 high outliers; 2000 voxels. Nearest rank
// ⌈0.005·2000⌉ = 10 is the first in-range value, 0; rank ⌈0.995·2000⌉ =
// 1990 is 9 + 1981 = 1990th, i.e. value 1980. So C = 990, W = 1980.
func outlierValues(lowOut, highOut float64) []float64 {
	var v []float64
	for i := 0; i < 9; i++ {
		v = append(v, lowOut, highOut)
	}
	for i := 0; i < 1982; i++ {
		v = append(v, float64(i))
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(v), func(i, j int) { v[i], v[j] = v[j], v[i] })
	return v
}

func TestAutoWindowPercentiles(t *testing.T) {
	want := Window{Center: 990, Width: 1980}
	cases := []struct {
		typ      DataType
		low, hig float64
	}{
		{Int16, -3000, 30000},       // 65536-bin histogram
		{Uint16, 0, 60000},          // (low outliers at 0 coincide with value 0: rank 10 is still 0)
		{Int32, -3000, 30000},       // narrow range: histogram over the range
		{Int32, -2e9, 2e9},          // wide range: sorting path
		{Uint32, 0, 4e9},            // wide range: sorting path
		{Float32, -3000, 30000},     // sorting path
		{Float32, math.NaN(), 1e30}, // NaNs ignored: 1991 values, ranks 10 and 1982 → 9 and 1981
	}
	for _, c := range cases {
		vals := outlierValues(c.low, c.hig)
		d, _ := NewVoxelData(c.typ, len(vals))
		setValues(d, vals)
		v := &Volume{Geometry: Geometry{Dims: [3]int{len(vals), 1, 1}}, Data: d}
		got := AutoWindow(v)
		w := want
		if math.IsNaN(c.low) {
			w = Window{Center: 995, Width: 1972}
		}
		if got != w {
			t.Errorf("%v outliers %g/%g: AutoWindow = %v, want %v", c.typ, c.low, c.hig, got, w)
		}
	}
	// 8-bit: values 0..199 five times each (1000 voxels): ranks 5 and 995
	// are 0 and 198.
	d := make(Voxels[uint8], 1000)
	for i := range d {
		d[i] = uint8(i % 200)
	}
	if got := AutoWindow(&Volume{Data: d}); got != (Window{99, 198}) {
		t.Errorf("uint8 AutoWindow = %v", got)
	}
	// Constant volume: unit width at the value.
	if got := AutoWindow(&Volume{Data: Voxels[int16]{7, 7, 7}}); got != (Window{7, 1}) {
		t.Errorf("constant AutoWindow = %v", got)
	}
}

func setValues(d VoxelData, vals []float64) {
	switch s := d.Raw().(type) {
	case []uint8:
		for i, v := range vals {
			s[i] = uint8(v)
		}
	case []int16:
		for i, v := range vals {
			s[i] = int16(v)
		}
	case []uint16:
		for i, v := range vals {
			s[i] = uint16(v)
		}
	case []int32:
		for i, v := range vals {
			s[i] = int32(v)
		}
	case []uint32:
		for i, v := range vals {
			s[i] = uint32(v)
		}
	case []float32:
		for i, v := range vals {
			s[i] = float32(v)
		}
	}
}

func TestParseWindow(t *testing.T) {
	v := volumeOf(t, "MR", 0, 100, 200)
	v.Windows = []WindowPreset{{"T1 Default", 500, 1000}, {"ANGIO", 300, 600}}
	ok := []struct {
		s    string
		want Window
	}{
		{"40,400", Window{40, 400}},
		{"-600,1500", Window{-600, 1500}},
		{" -600 , 1500.5 ", Window{-600, 1500.5}},
		{"brain", Window{40, 80}},
		{"BRAIN", Window{40, 80}},
		{"soft", Window{40, 400}},
		{"softtissue", Window{40, 400}},
		{"Soft Tissue", Window{40, 400}},
		{"soft_tissue", Window{40, 400}},
		{"liver", Window{90, 150}},
		{"lung", Window{-600, 1500}},
		{"Bone", Window{480, 2500}},
		{"auto", AutoWindow(v)},
		{"header", Window{500, 1000}},
		{"angio", Window{300, 600}},
		{"t1-default", Window{500, 1000}},
	}
	for _, c := range ok {
		got, err := ParseWindow(c.s, v)
		if err != nil || got != c.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", c.s, got, err, c.want)
		}
	}
	if got, err := ParseWindow("lung", nil); err != nil || got != (Window{-600, 1500}) {
		t.Errorf("ParseWindow(lung, nil) = %v, %v", got, err)
	}
	bad := []struct {
		s   string
		v   *Volume
		msg string
	}{
		{"400", v, "centre,width"},
		{"40,abc", v, "two numbers"},
		{"40,-5", v, "positive"},
		{"40,0", v, "positive"},
		{"NaN,400", v, "two numbers"},
		{"auto", nil, "CT preset"},
		{"header", volumeOf(t, "MR", 1), "no window presets"},
		{"kidney", v, `"ANGIO"`},
	}
	for _, c := range bad {
		if _, err := ParseWindow(c.s, c.v); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseWindow(%q) error %v, want one mentioning %q", c.s, err, c.msg)
		}
	}
}
