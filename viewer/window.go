package viewer

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Window is a display window: values from Center−Width/2 to Center+Width/2
// spread over the grey scale, everything outside clamps to black or white.
type Window struct {
	Center, Width float64
}

// String is the form shown in the UI and logs, centre first as radiologists
// say it.
func (w Window) String() string {
	return fmt.Sprintf("C %g / W %g", w.Center, w.Width)
}

// Grey maps a value to a grey level with
// round(clamp((v − (C − W/2)) / W, 0, 1) · 255), rounding halves up.
//
// Every render path (LUTs included) is built from this one function so that
// what a test computes by hand is exactly what the screen shows. A width of
// zero or less is a step at C (v ≥ C is white): a hard threshold is the only
// meaningful reading of "no width", and it avoids dividing by zero. NaN is
// black, so missing data never looks like tissue.
func (w Window) Grey(v float64) uint8 {
	if !(w.Width > 0) {
		if v >= w.Center {
			return 255
		}
		return 0
	}
	return greyAt(v, w.Center-w.Width/2, w.Width)
}

// greyAt is Grey with lo = C − W/2 precomputed, for the per-pixel paths. It
// assumes w > 0. The order of operations is the formula's, so results are
// bit-identical to Grey.
func greyAt(v, lo, w float64) uint8 {
	t := (v - lo) / w
	if !(t > 0) { // also catches NaN
		return 0
	}
	if t >= 1 {
		return 255
	}
	return roundHalfUp(t * 255)
}

// roundHalfUp rounds x in [0, 255] to the nearest integer, halves up.
// math.Round would do, but it is not an intrinsic and this sits in the
// per-pixel loop; x − trunc(x) is exact in floating point, so the result is
// exactly math.Round's.
func roundHalfUp(x float64) uint8 {
	n := int(x)
	if x-float64(n) >= 0.5 {
		n++
	}
	return uint8(n)
}

// CT window presets, in the order the UI lists them. Names are the ones
// ParseWindow accepts.
var ctPresets = []WindowPreset{
	{Name: "brain", Center: 40, Width: 80},
	{Name: "soft tissue", Center: 40, Width: 400},
	{Name: "liver", Center: 90, Width: 150},
	{Name: "lung", Center: -600, Width: 1500},
	{Name: "bone", Center: 480, Width: 2500},
}

// CTPresets returns the standard CT windows (brain, soft tissue, liver, lung,
// bone), in display order. It returns a fresh slice so callers cannot change
// the defaults for everyone else.
func CTPresets() []WindowPreset { return slices.Clone(ctPresets) }

// IsCT reports whether v should be treated as CT for display: the header
// says so, or it says nothing and the values look like Hounsfield units
// (air near −1000, nothing absurdly bright). The range test lets anonymised
// NIfTI CTs, which carry no modality, still get CT presets.
func IsCT(v *Volume) bool {
	switch strings.ToUpper(strings.TrimSpace(v.Modality)) {
	case "CT":
		return true
	case "":
		if v.Data == nil || v.Data.Len() == 0 || !v.Arriving.Done() {
			return false
		}
		lo, hi := v.Range()
		return lo <= -500 && lo >= -3100 && hi >= 0 && hi <= 32767
	}
	return false
}

// Presets lists the windows the UI offers for v: the CT presets when v is
// CT, then the header's own presets, then "auto". Auto comes last because for
// CT a fixed preset is almost always what a reader wants, while for MR it is
// the only sensible choice (MR intensities have no absolute scale). It
// reads every voxel (range and histogram), so call it once per volume.
func Presets(v *Volume) []WindowPreset {
	var out []WindowPreset
	if IsCT(v) {
		out = append(out, ctPresets...)
	}
	out = append(out, v.Windows...)
	if !v.Arriving.Done() {
		return out // "auto" reads every voxel: offered once the volume is there
	}
	a := AutoWindow(v)
	out = append(out, WindowPreset{Name: "auto", Center: a.Center, Width: a.Width})
	return out
}

// DefaultWindow is the window a freshly opened volume is shown with: soft
// tissue for CT (the most generally useful), the first header preset when the
// scanner supplied one, otherwise AutoWindow.
func DefaultWindow(v *Volume) Window {
	if IsCT(v) {
		return Window{Center: 40, Width: 400}
	}
	if len(v.Windows) > 0 && v.Windows[0].Width > 0 {
		return Window{Center: v.Windows[0].Center, Width: v.Windows[0].Width}
	}
	if !v.Arriving.Done() {
		// Percentiles would read slices still being written: a window over
		// the type's range until the volume is there (ask again then).
		return typeWindow(v)
	}
	return AutoWindow(v)
}

// typeWindow spans the values a volume's type holds, capped to ±4096 for
// the wide types.
func typeWindow(v *Volume) Window {
	lo, hi := -4096.0, 4096.0
	if v.Data != nil {
		switch v.Data.Type() {
		case Uint8:
			lo, hi = 0, 255
		case Int8:
			lo, hi = -128, 127
		case Uint16:
			lo = 0
		case Float32:
			lo, hi = 0, 1
		}
	}
	return Window{Center: (lo + hi) / 2, Width: hi - lo}
}

// AutoWindow spans the 0.5th to 99.5th percentile of v's values, so a few hot
// voxels (metal, vessels, noise spikes) do not squash the useful range. This
// is the default for MR, whose intensities have no fixed meaning.
//
// Percentiles are nearest-rank: the value at rank ⌈p·N⌉ of the sorted voxels.
// Integer volumes are exact (one histogram pass); float volumes, and 32-bit
// integer volumes with a range wider than 2^20, use every voxel up to 2^20
// voxels and an even sample beyond, which is plenty for display. NaNs are
// ignored. A constant volume gets width 1 around its value.
func AutoWindow(v *Volume) Window {
	lo, hi, ok := percentiles(v.Data, 5, 995)
	if !ok {
		return Window{Center: 0.5, Width: 1}
	}
	w := hi - lo
	if !(w > 0) {
		return Window{Center: lo, Width: 1}
	}
	return Window{Center: lo + w/2, Width: w}
}

// percentiles returns the values at ranks ⌈loPM·N/1000⌉ and ⌈hiPM·N/1000⌉
// (per-mille, in integer arithmetic so that e.g. 99.5% of 1000 is exactly
// rank 995 rather than a floating-point neighbour).
func percentiles(d VoxelData, loPM, hiPM int) (lo, hi float64, ok bool) {
	if d == nil || d.Len() == 0 {
		return 0, 0, false
	}
	switch s := d.Raw().(type) {
	case []uint8:
		return histPercentiles(s, 0, 256, func(x uint8) int { return int(x) }, loPM, hiPM)
	case []int8:
		return histPercentiles(s, -128, 256, func(x int8) int { return int(x) + 128 }, loPM, hiPM)
	case []uint16:
		return histPercentiles(s, 0, 65536, func(x uint16) int { return int(x) }, loPM, hiPM)
	case []int16:
		return histPercentiles(s, -32768, 65536, func(x int16) int { return int(x) + 32768 }, loPM, hiPM)
	case []int32:
		if l, h := rangeOf(s); h-l < 1<<20 {
			base := int(l)
			return histPercentiles(s, base, int(h-l)+1, func(x int32) int { return int(x) - base }, loPM, hiPM)
		}
		return samplePercentiles(s, loPM, hiPM)
	case []uint32:
		if l, h := rangeOf(s); h-l < 1<<20 {
			base := int(l)
			return histPercentiles(s, base, int(h-l)+1, func(x uint32) int { return int(x) - base }, loPM, hiPM)
		}
		return samplePercentiles(s, loPM, hiPM)
	case []float32:
		return samplePercentiles(s, loPM, hiPM)
	}
	return 0, 0, false
}

// rank converts a per-mille percentile to a 1-based nearest rank in n values.
func rank(pm, n int) int {
	r := (pm*n + 999) / 1000
	return min(max(r, 1), n)
}

func histPercentiles[T Number](s []T, base, bins int, bin func(T) int, loPM, hiPM int) (float64, float64, bool) {
	h := make([]int, bins)
	for _, x := range s {
		h[bin(x)]++
	}
	rl, rh := rank(loPM, len(s)), rank(hiPM, len(s))
	lo, hi := -1, -1
	cum := 0
	for b, c := range h {
		cum += c
		if lo < 0 && cum >= rl {
			lo = b
		}
		if cum >= rh {
			hi = b
			break
		}
	}
	return float64(base + lo), float64(base + hi), true
}

// maxSample bounds the work of the sorting fallback; a million values pins
// display percentiles far more finely than one grey level.
const maxSample = 1 << 20

func samplePercentiles[T Number](s []T, loPM, hiPM int) (float64, float64, bool) {
	step := 1
	if len(s) > maxSample {
		step = (len(s) + maxSample - 1) / maxSample
	}
	vals := make([]float64, 0, len(s)/step+1)
	for i := 0; i < len(s); i += step {
		if f := float64(s[i]); !math.IsNaN(f) {
			vals = append(vals, f)
		}
	}
	if len(vals) == 0 {
		return 0, 0, false
	}
	slices.Sort(vals)
	return vals[rank(loPM, len(vals))-1], vals[rank(hiPM, len(vals))-1], true
}

// ParseWindow reads a window from the command line or a settings file:
// either "C,W" (centre first, as radiologists say "level, width"; e.g.
// "40,400" or "-600,1500") or a preset name, case-insensitive and ignoring
// spaces, '-' and '_': brain, soft / softtissue / "soft tissue", liver, lung,
// bone, auto, "header" (the first header preset) or any header preset's name.
// The built-in names win over header names so that a command line means the
// same thing for every file. v may be nil when only "C,W" or CT names are
// used.
func ParseWindow(s string, v *Volume) (Window, error) {
	str := strings.TrimSpace(s)
	if c, w, ok := strings.Cut(str, ","); ok {
		cv, err1 := strconv.ParseFloat(strings.TrimSpace(c), 64)
		wv, err2 := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err1 != nil || err2 != nil || math.IsNaN(cv) || math.IsInf(cv, 0) || math.IsNaN(wv) || math.IsInf(wv, 0) {
			return Window{}, fmt.Errorf("window %q: want centre,width as two numbers, e.g. 40,400", s)
		}
		if wv <= 0 {
			return Window{}, fmt.Errorf("window %q: width must be positive (the order is centre,width)", s)
		}
		return Window{Center: cv, Width: wv}, nil
	}
	key := normName(str)
	switch key {
	case "soft", "softtissue", "tissue":
		key = "softtissue"
	}
	for _, p := range ctPresets {
		if normName(p.Name) == key {
			return Window{Center: p.Center, Width: p.Width}, nil
		}
	}
	if v == nil {
		return Window{}, fmt.Errorf("window %q: not centre,width or a CT preset name (brain, soft, liver, lung, bone)", s)
	}
	switch key {
	case "auto":
		return AutoWindow(v), nil
	case "header":
		if len(v.Windows) == 0 {
			return Window{}, fmt.Errorf("window %q: this image's header has no window presets", s)
		}
		return Window{Center: v.Windows[0].Center, Width: v.Windows[0].Width}, nil
	}
	for _, p := range v.Windows {
		if normName(p.Name) == key && key != "" {
			return Window{Center: p.Center, Width: p.Width}, nil
		}
	}
	names := []string{"brain", "soft", "liver", "lung", "bone", "auto"}
	if len(v.Windows) > 0 {
		names = append(names, "header")
		for _, p := range v.Windows {
			if p.Name != "" {
				names = append(names, strconv.Quote(p.Name))
			}
		}
	}
	return Window{}, fmt.Errorf("window %q: want centre,width (e.g. 40,400) or one of %s", s, strings.Join(names, ", "))
}

func normName(s string) string {
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', '_':
			return -1
		}
		return r
	}, s)
}

// WindowLUT turns voxels into grey levels for one window. A view keeps one
// and calls SetWindow as the user drags; the lookup tables behind it are
// built on first use per voxel type and kept until the window changes, so
// dragging costs one table build per frame at most, and scrolling through
// slices costs none. Building the 65536-entry table for 16-bit data is far
// cheaper than one frame, and turns the per-pixel arithmetic into a load.
//
// 32-bit and float voxels use the formula directly: a table over their range
// would need the volume's range first, which costs a full pass over the
// volume, more than the arithmetic saves.
//
// A WindowLUT is safe for concurrent use; the zero value is the window
// C 0 / W 0.
type WindowLUT struct {
	mu   sync.Mutex
	win  Window
	t8   *[256]uint8   // uint8
	t8s  *[256]uint8   // int8, indexed by the same bits as uint8
	t16  *[65536]uint8 // uint16
	t16s *[65536]uint8 // int16, indexed by the same bits as uint16
}

// NewWindowLUT returns a LUT for w.
func NewWindowLUT(w Window) *WindowLUT { return &WindowLUT{win: w} }

// Window returns the current window.
func (l *WindowLUT) Window() Window {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.win
}

// SetWindow changes the window, dropping the tables only when it really
// changed, so a UI may call it on every frame.
func (l *WindowLUT) SetWindow(w Window) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w == l.win {
		return
	}
	l.win = w
	l.t8, l.t8s, l.t16, l.t16s = nil, nil, nil, nil
}

// Grey maps one value, as Window.Grey.
func (l *WindowLUT) Grey(v float64) uint8 { return l.Window().Grey(v) }

// lutFor returns the table for t (nil for the direct-arithmetic types) and
// the window it was built for, consistently under one lock.
func (l *WindowLUT) lutFor(t DataType) (tab []uint8, w Window) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w = l.win
	switch t {
	case Uint8:
		if l.t8 == nil {
			l.t8 = new([256]uint8)
			for i := range l.t8 {
				l.t8[i] = w.Grey(float64(uint8(i)))
			}
		}
		return l.t8[:], w
	case Int8:
		if l.t8s == nil {
			l.t8s = new([256]uint8)
			for i := range l.t8s {
				l.t8s[i] = w.Grey(float64(int8(uint8(i))))
			}
		}
		return l.t8s[:], w
	case Uint16:
		if l.t16 == nil {
			l.t16 = new([65536]uint8)
			for i := range l.t16 {
				l.t16[i] = w.Grey(float64(uint16(i)))
			}
		}
		return l.t16[:], w
	case Int16:
		if l.t16s == nil {
			l.t16s = new([65536]uint8)
			for i := range l.t16s {
				l.t16s[i] = w.Grey(float64(int16(uint16(i))))
			}
		}
		return l.t16s[:], w
	}
	return nil, w
}

// Apply windows a whole voxel array into dst (len(dst) ≥ src.Len()), e.g.
// for thumbnails or a 3D texture; RenderSlice is the per-slice path.
func (l *WindowLUT) Apply(src VoxelData, dst []uint8) error {
	if src == nil {
		return fmt.Errorf("window: no voxel data")
	}
	n := src.Len()
	if len(dst) < n {
		return fmt.Errorf("window: destination holds %d values, need %d", len(dst), n)
	}
	dst = dst[:n]
	tab, w := l.lutFor(src.Type())
	switch s := src.Raw().(type) {
	case []uint8:
		t := (*[256]uint8)(tab)
		for i, x := range s {
			dst[i] = t[x]
		}
	case []int8:
		t := (*[256]uint8)(tab)
		for i, x := range s {
			dst[i] = t[uint8(x)]
		}
	case []uint16:
		t := (*[65536]uint8)(tab)
		for i, x := range s {
			dst[i] = t[x]
		}
	case []int16:
		t := (*[65536]uint8)(tab)
		for i, x := range s {
			dst[i] = t[uint16(x)]
		}
	case []int32:
		applyDirect(s, dst, w)
	case []uint32:
		applyDirect(s, dst, w)
	case []float32:
		applyDirect(s, dst, w)
	default:
		return fmt.Errorf("window: unsupported voxel type %v", src.Type())
	}
	return nil
}

func applyDirect[T int32 | uint32 | float32](s []T, dst []uint8, w Window) {
	if !(w.Width > 0) {
		for i, x := range s {
			dst[i] = w.Grey(float64(x))
		}
		return
	}
	lo, wd := w.Center-w.Width/2, w.Width
	for i, x := range s {
		dst[i] = greyAt(float64(x), lo, wd)
	}
}
