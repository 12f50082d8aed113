package labels

import (
	"fmt"
	"math"
	"math/big"
	"runtime"
	"sync"

	"delineate/viewer"
)

// GridTolMM is how far apart, in millimetres, the image and label grids may
// be anywhere in their extent and still count as the same grid.
const GridTolMM = 1e-3

// LabelStats describes one label id present in a label map. Mean, Std, Min
// and Max are the image intensities inside the label (Std is the population
// standard deviation); they are nil when the label map does not lie on the
// image grid, or when every voxel of the label is NaN in the image.
type LabelStats struct {
	ID       int      `json:"id"`
	Name     string   `json:"name"`
	Voxels   int64    `json:"voxels"`
	VolumeML float64  `json:"volume_ml"`
	Mean     *float64 `json:"mean"`
	Std      *float64 `json:"std"`
	Min      *float64 `json:"min"`
	Max      *float64 `json:"max"`
}

// Stats is the result of Compute.
type Stats struct {
	Labels []LabelStats `json:"labels"` // sorted by id; background (0) excluded
	// GeometryMatch is true when the label map lies on the image grid
	// (within GridTolMM), possibly after a permutation/flip of its axes.
	GeometryMatch bool `json:"geometry_match"`
	// UnexpectedLabels are ids in the map with no entry in the names table;
	// empty when no table is given.
	UnexpectedLabels []int `json:"unexpected_labels"`
	// Mismatch says how the grids differ when GeometryMatch is false.
	Mismatch string `json:"-"`
}

// Compute measures every label present in lab: voxel count, volume (from
// lab's own spacing) and, when lab lies on img's grid (directly or after
// viewer.AlignTo's permutation/flip), the mean, population standard
// deviation, min and max of img inside it. lab must hold integer ids in
// 0..65535 (a *viewer.LabelMap's Volume, or any loaded volume); names may be
// nil. img may be nil, giving counts and volumes only. It is one pass over
// the voxels, split across the CPUs.
func Compute(img, lab *viewer.Volume, names *viewer.LabelTable) (*Stats, error) {
	if lab == nil || lab.Data == nil {
		return nil, fmt.Errorf("stats: no label map")
	}
	if lab.Data.Len() != lab.NumVoxels() {
		return nil, fmt.Errorf("stats: label map has %d voxels for dims %v", lab.Data.Len(), lab.Dims)
	}
	if img != nil && (img.Data == nil || img.Data.Len() != img.NumVoxels()) {
		return nil, fmt.Errorf("stats: image voxels do not match its dims %v", img.Dims)
	}
	voxelML := lab.VoxelML()
	lm, err := asLabels(lab)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	st := &Stats{Labels: []LabelStats{}, UnexpectedLabels: []int{}}
	if img != nil {
		if a, err := viewer.AlignTo(img.Geometry, lm, GridTolMM); err == nil {
			lm, st.GeometryMatch = a, true
		} else {
			st.Mismatch = err.Error()
		}
	} else {
		st.Mismatch = "no image"
	}
	var acc []result
	if st.GeometryMatch {
		acc = accumulate(lm.Data.Raw(), img.Data.Raw())
	} else {
		acc = accumulate(lm.Data.Raw(), nil)
	}
	for id, r := range acc {
		if id == 0 || r.voxels == 0 {
			continue
		}
		s := LabelStats{ID: id, Voxels: r.voxels, VolumeML: float64(r.voxels) * voxelML}
		if names != nil {
			if l, ok := names.Get(id); ok {
				s.Name = l.Name
			} else {
				st.UnexpectedLabels = append(st.UnexpectedLabels, id)
			}
		}
		if st.GeometryMatch && r.n > 0 {
			s.Mean, s.Std, s.Min, s.Max = &r.mean, &r.std, &r.min, &r.max
		}
		st.Labels = append(st.Labels, s)
	}
	return st, nil
}

// asLabels returns lab with uint8 or uint16 voxels, converting (and
// checking for integers in range) otherwise.
func asLabels(lab *viewer.Volume) (*viewer.Volume, error) {
	switch lab.Data.(type) {
	case viewer.Voxels[uint8], viewer.Voxels[uint16]:
		return lab, nil
	}
	m, err := viewer.LabelMapFromVolume(lab)
	if err != nil {
		return nil, err
	}
	return m.Volume, nil
}

// result is one label's finished statistics; n counts the voxels whose
// intensity was usable (not NaN).
type result struct {
	voxels, n           int64
	mean, std, min, max float64
}

type labelType interface{ ~uint8 | ~uint16 }

// smallInt images have exact int64 sums: |x| ≤ 65535, so x² < 2³², and
// 2³¹ voxels of it stay below 2⁶³.
type smallInt interface {
	~int8 | ~uint8 | ~int16 | ~uint16
}

type intAcc struct{ n, sum, sq, lo, hi int64 }

// floatAcc sums x−shift, which keeps the variance accurate for images whose
// values sit far from zero.
type floatAcc struct {
	voxels, n       int64
	sum, sq, lo, hi float64
}

func accumulate(labRaw, imgRaw any) []result {
	switch l := labRaw.(type) {
	case []uint8:
		return accumulateImg(l, imgRaw, 256)
	case []uint16:
		return accumulateImg(l, imgRaw, viewer.MaxLabelID+1)
	}
	panic(fmt.Sprintf("labels: unexpected label voxels %T", labRaw))
}

func accumulateImg[L labelType](lab []L, imgRaw any, nid int) []result {
	switch x := imgRaw.(type) {
	case nil:
		return countOnly(lab, nid)
	case []int8:
		return intStats(lab, x, nid)
	case []uint8:
		return intStats(lab, x, nid)
	case []int16:
		return intStats(lab, x, nid)
	case []uint16:
		return intStats(lab, x, nid)
	case []int32:
		return floatStats(lab, x, nid)
	case []uint32:
		return floatStats(lab, x, nid)
	case []float32:
		return floatStats(lab, x, nid)
	}
	panic(fmt.Sprintf("labels: unexpected image voxels %T", imgRaw))
}

// parallel runs f over [0,n) in one chunk per CPU (one chunk for small n)
// and returns the number of chunks; f gets the chunk number.
func parallel(n int, f func(w, lo, hi int)) int {
	p := runtime.GOMAXPROCS(0)
	if n < 1<<20 {
		p = 1
	}
	var wg sync.WaitGroup
	for w := 0; w < p; w++ {
		lo, hi := n*w/p, n*(w+1)/p
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w, lo, hi)
		}()
	}
	wg.Wait()
	return p
}

func countOnly[L labelType](lab []L, nid int) []result {
	parts := make([][]int64, runtime.GOMAXPROCS(0))
	p := parallel(len(lab), func(w, lo, hi int) {
		c := make([]int64, nid)
		for _, l := range lab[lo:hi] {
			c[l]++
		}
		parts[w] = c
	})
	out := make([]result, nid)
	for _, c := range parts[:p] {
		for id, k := range c {
			out[id].voxels += k
		}
	}
	return out
}

func intStats[L labelType, I smallInt](lab []L, img []I, nid int) []result {
	parts := make([][]intAcc, runtime.GOMAXPROCS(0))
	p := parallel(len(lab), func(w, lo, hi int) {
		acc := make([]intAcc, nid)
		for i := range acc {
			acc[i].lo, acc[i].hi = math.MaxInt64, math.MinInt64
		}
		ls, xs := lab[lo:hi], img[lo:hi]
		xs = xs[:len(ls)]
		for i, l := range ls {
			if l == 0 {
				continue
			}
			x := int64(xs[i])
			a := &acc[l]
			a.n++
			a.sum += x
			a.sq += x * x
			a.lo = min(a.lo, x)
			a.hi = max(a.hi, x)
		}
		parts[w] = acc
	})
	tot := parts[0]
	for _, acc := range parts[1:p] {
		for id := range acc {
			a, t := &acc[id], &tot[id]
			t.n += a.n
			t.sum += a.sum
			t.sq += a.sq
			t.lo, t.hi = min(t.lo, a.lo), max(t.hi, a.hi)
		}
	}
	out := make([]result, nid)
	for id, t := range tot {
		if t.n == 0 {
			continue
		}
		r := &out[id]
		r.voxels, r.n = t.n, t.n
		r.mean = float64(t.sum) / float64(t.n)
		r.std = exactStd(t.n, t.sum, t.sq)
		r.min, r.max = float64(t.lo), float64(t.hi)
	}
	return out
}

// exactStd is sqrt((n·Σx² − (Σx)²)/n²) computed without rounding before
// the division.
func exactStd(n, sum, sq int64) float64 {
	bn, bs := big.NewInt(n), big.NewInt(sum)
	num := new(big.Int).Mul(bn, big.NewInt(sq))
	num.Sub(num, new(big.Int).Mul(bs, bs))
	if num.Sign() <= 0 {
		return 0
	}
	den := new(big.Int).Mul(bn, bn)
	v, _ := new(big.Float).SetPrec(128).Quo(new(big.Float).SetInt(num), new(big.Float).SetInt(den)).Float64()
	return math.Sqrt(v)
}

func floatStats[L labelType, I viewer.Number](lab []L, img []I, nid int) []result {
	// Shift by the first finite intensity inside a label.
	shift := 0.0
	for i, l := range lab {
		if x := float64(img[i]); l != 0 && !math.IsNaN(x) && !math.IsInf(x, 0) {
			shift = x
			break
		}
	}
	parts := make([][]floatAcc, runtime.GOMAXPROCS(0))
	p := parallel(len(lab), func(w, lo, hi int) {
		acc := make([]floatAcc, nid)
		for i := range acc {
			acc[i].lo, acc[i].hi = math.Inf(1), math.Inf(-1)
		}
		ls, xs := lab[lo:hi], img[lo:hi]
		xs = xs[:len(ls)]
		for i, l := range ls {
			if l == 0 {
				continue
			}
			a := &acc[l]
			a.voxels++
			x := float64(xs[i])
			if x != x { // NaN: counted as a voxel, not as an intensity
				continue
			}
			d := x - shift
			a.n++
			a.sum += d
			a.sq += d * d
			a.lo = min(a.lo, x)
			a.hi = max(a.hi, x)
		}
		parts[w] = acc
	})
	tot := parts[0]
	for _, acc := range parts[1:p] {
		for id := range acc {
			a, t := &acc[id], &tot[id]
			t.voxels += a.voxels
			t.n += a.n
			t.sum += a.sum
			t.sq += a.sq
			t.lo, t.hi = min(t.lo, a.lo), max(t.hi, a.hi)
		}
	}
	out := make([]result, nid)
	for id, t := range tot {
		r := &out[id]
		r.voxels, r.n = t.voxels, t.n
		if t.n == 0 {
			continue
		}
		m := t.sum / float64(t.n)
		r.mean = shift + m
		r.std = math.Sqrt(max(t.sq/float64(t.n)-m*m, 0))
		r.min, r.max = t.lo, t.hi
	}
	return out
}

// Histogram counts the intensities of img inside label id into bins equal
// bins over [lo, hi] (values equal to hi fall in the last bin; values
// outside, and NaNs, are left out). lab is aligned to img's grid as
// Compute does; the result is nil when it cannot be, or when bins < 1 or
// hi ≤ lo.
func Histogram(img, lab *viewer.Volume, id, bins int, lo, hi float64) []int {
	if img == nil || lab == nil || img.Data == nil || lab.Data == nil || bins < 1 || !(hi > lo) ||
		img.Data.Len() != img.NumVoxels() || lab.Data.Len() != lab.NumVoxels() {
		return nil
	}
	lab, err := viewer.AlignTo(img.Geometry, lab, GridTolMM)
	if err != nil {
		return nil
	}
	h := make([]int, bins)
	scale := float64(bins) / (hi - lo)
	add := func(x float64) {
		if !(x >= lo && x <= hi) {
			return
		}
		b := int((x - lo) * scale)
		h[min(b, bins-1)]++
	}
	switch l := lab.Data.Raw().(type) {
	case []uint8:
		if id < 0 || id > 255 {
			return h
		}
		want := uint8(id)
		for i, v := range l {
			if v == want {
				add(img.Data.At(i))
			}
		}
	case []uint16:
		if id < 0 || id > viewer.MaxLabelID {
			return h
		}
		want := uint16(id)
		for i, v := range l {
			if v == want {
				add(img.Data.At(i))
			}
		}
	default:
		want := float64(id)
		for i := 0; i < lab.Data.Len(); i++ {
			if lab.Data.At(i) == want {
				add(img.Data.At(i))
			}
		}
	}
	return h
}

// Histograms counts, in one pass, the intensities of every label of st
// into bins equal bins over that label's own [Min, Max] (one bin's width
// when Min = Max), as Histogram does for one label. A viewer keeps these
// instead of a snapshot of the label map to redraw any label's histogram
// later. Labels without intensities are absent.
func Histograms(img, lab *viewer.Volume, st *Stats, bins int) map[int][]int {
	out := map[int][]int{}
	if st == nil || img == nil || lab == nil || img.Data == nil || lab.Data == nil || bins < 1 ||
		img.Data.Len() != img.NumVoxels() || lab.Data.Len() != lab.NumVoxels() {
		return out
	}
	lab, err := viewer.AlignTo(img.Geometry, lab, GridTolMM)
	if err != nil {
		return out
	}
	type rng struct {
		lo, scale float64
		hi        float64
		h         []int
	}
	by := make([]*rng, viewer.MaxLabelID+1)
	for _, l := range st.Labels {
		if l.Min == nil || l.Max == nil || l.ID <= 0 || l.ID > viewer.MaxLabelID {
			continue
		}
		lo, hi := *l.Min, *l.Max
		if !(hi > lo) {
			hi = lo + 1
		}
		r := &rng{lo: lo, hi: hi, scale: float64(bins) / (hi - lo), h: make([]int, bins)}
		by[l.ID] = r
		out[l.ID] = r.h
	}
	add := func(id int, x float64) {
		if id <= 0 || id > viewer.MaxLabelID {
			return
		}
		r := by[id]
		if r == nil || !(x >= r.lo && x <= r.hi) {
			return
		}
		r.h[min(int((x-r.lo)*r.scale), bins-1)]++
	}
	switch l := lab.Data.Raw().(type) {
	case []uint8:
		for i, v := range l {
			if v != 0 {
				add(int(v), img.Data.At(i))
			}
		}
	case []uint16:
		for i, v := range l {
			if v != 0 {
				add(int(v), img.Data.At(i))
			}
		}
	default:
		for i := 0; i < lab.Data.Len(); i++ {
			if f := lab.Data.At(i); f > 0 && f == float64(int(f)) {
				add(int(f), img.Data.At(i))
			}
		}
	}
	return out
}
