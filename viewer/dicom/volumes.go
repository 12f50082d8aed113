package dicom

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// A multi-volume series (fMRI, DTI, perfusion, a dynamic contrast run)
// images every position several times. Its slices are told apart from
// duplicates by repetition: when every position of the series occurs T
// times, the series is T volumes of the same geometry, the t-th image at
// each position (in acquisition order) belonging to volume t. A position
// that repeats more often than the others is a re-sent slice and is left
// out, as before. Magnitude and phase images of one acquisition are two
// series (groupKey), as dcm2niix writes them to two files; so are echoes
// with their own EchoNumbers.

// Private tags that carry the b-value where the standard attribute is
// absent (classic single-frame diffusion series from the three big vendors).
var (
	tagSiemensBValue = tag.Tag{Group: 0x0019, Element: 0x100c}
	tagGEBValue      = tag.Tag{Group: 0x0043, Element: 0x1039}
	tagPhilipsBValue = tag.Tag{Group: 0x2001, Element: 0x1003}
)

// volumeAttrs are what can tell one image of a position from another. NaN
// (or -1 for the indices) means absent.
type volumeAttrs struct {
	temporal  int     // TemporalPositionIdentifier / TemporalPositionIndex
	acqNumber int     // AcquisitionNumber / FrameAcquisitionNumber
	acqTime   float64 // AcquisitionTime, seconds since midnight
	trigger   float64 // TriggerTime, ms
	bValue    float64 // s/mm²
	echoTime  float64 // ms
	tr        float64 // RepetitionTime, ms
}

func noVolumeAttrs() volumeAttrs {
	nan := math.NaN()
	return volumeAttrs{temporal: -1, acqNumber: -1, acqTime: nan, trigger: nan, bValue: nan, echoTime: nan, tr: nan}
}

// readVolumeAttrs reads the top-level attributes of a classic image.
func readVolumeAttrs(el elements) volumeAttrs {
	a := noVolumeAttrs()
	if n, ok := el.int(tag.TemporalPositionIdentifier); ok {
		a.temporal = n
	}
	if n, ok := el.int(tag.AcquisitionNumber); ok {
		a.acqNumber = n
	}
	a.acqTime = parseTM(el.str(tag.AcquisitionTime))
	a.trigger = firstFloat(el, tag.TriggerTime)
	a.echoTime = firstFloat(el, tag.EchoTime)
	a.tr = firstFloat(el, tag.RepetitionTime)
	a.bValue = firstFloat(el, tag.DiffusionBValue)
	if math.IsNaN(a.bValue) {
		a.bValue = privateBValue(el)
	}
	return a
}

// perFrameVolumeAttrs overrides a's fields with an enhanced object's
// functional groups (frame content, diffusion, echo).
func perFrameVolumeAttrs(item elements, a *volumeAttrs) {
	if fc := item.seqItems(tag.FrameContentSequence); len(fc) > 0 {
		if n, ok := fc[0].int(tag.TemporalPositionIndex); ok {
			a.temporal = n
		}
		if n, ok := fc[0].int(tag.FrameAcquisitionNumber); ok {
			a.acqNumber = n
		}
	}
	if d := item.seqItems(tag.MRDiffusionSequence); len(d) > 0 {
		if v := firstFloat(d[0], tag.DiffusionBValue); !math.IsNaN(v) {
			a.bValue = v
		}
	}
	if e := item.seqItems(tag.MREchoSequence); len(e) > 0 {
		if v := firstFloat(e[0], tag.EffectiveEchoTime); !math.IsNaN(v) {
			a.echoTime = v
		}
	}
}

func firstFloat(el elements, t tag.Tag) float64 {
	if el.find(t) == nil {
		return math.NaN()
	}
	if v := el.floats(t); len(v) > 0 && !math.IsInf(v[0], 0) {
		return v[0]
	}
	return math.NaN()
}

// privateBValue reads the vendors' private b-value tags. In implicit VR
// files they arrive as raw bytes (not in the dictionary), so their text or
// binary value is decoded by hand.
func privateBValue(el elements) float64 {
	if v := textFloat(el, tagSiemensBValue); !math.IsNaN(v) {
		return v
	}
	if v := textFloat(el, tagGEBValue); !math.IsNaN(v) {
		// GE: the first of four IS values, sometimes offset by 10⁹.
		return math.Mod(v, 1e9)
	}
	if x := el.find(tagPhilipsBValue); x != nil && x.Value != nil {
		if v, ok := x.Value.GetValue().([]float64); ok && len(v) > 0 {
			return v[0]
		}
		if b, ok := x.Value.GetValue().([]byte); ok && len(b) == 4 {
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		}
	}
	return math.NaN()
}

// textFloat reads the first value of a numeric string element (IS, DS, or
// raw text in an implicit file), NaN when absent or not a number.
func textFloat(el elements, t tag.Tag) float64 {
	s := el.strs(t)
	if len(s) == 0 {
		return math.NaN()
	}
	first, _, _ := strings.Cut(s[0], `\`)
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.Trim(first, "\x00")), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// parseTM reads a DICOM time (HHMMSS.FFFFFF, parts optional, old
// HH:MM:SS too) as seconds since midnight.
func parseTM(s string) float64 {
	s = strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	if len(s) < 2 {
		return math.NaN()
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, frac = s[:i], s[i:]
	}
	var parts [3]float64
	for p := 0; p < 3 && len(s) >= 2*(p+1); p++ {
		v, err := strconv.Atoi(s[2*p : 2*p+2])
		if err != nil {
			return math.NaN()
		}
		parts[p] = float64(v)
	}
	t := parts[0]*3600 + parts[1]*60 + parts[2]
	if frac != "" {
		if f, err := strconv.ParseFloat("0"+frac, 64); err == nil {
			t += f
		}
	}
	return t
}

// complexPart names which component of complex MR data an image holds
// (magnitude, phase, real, imaginary), or "" when the header does not say.
// It is part of the series key: dcm2niix, too, writes phase apart.
func complexPart(h *header, cic string) string {
	switch strings.ToUpper(strings.TrimSpace(cic)) {
	case "MAGNITUDE":
		return "M"
	case "PHASE":
		return "P"
	case "REAL":
		return "R"
	case "IMAGINARY":
		return "I"
	}
	// ImageType's third value and later (the first two are ORIGINAL or
	// DERIVED, PRIMARY or SECONDARY).
	var values []string
	for _, v := range h.imageType {
		values = append(values, strings.Split(v, `\`)...)
	}
	for i := 2; i < len(values); i++ {
		switch strings.ToUpper(strings.TrimSpace(values[i])) {
		case "P", "PHASE":
			return "P"
		case "R", "REAL":
			return "R"
		case "I", "IMAGINARY":
			return "I"
		}
	}
	return ""
}

// VolumeInfo describes one volume of a multi-volume series.
type VolumeInfo struct {
	Index int `json:"index"`
	// Label says what sets this volume apart from the others, e.g.
	// "b=1000 s/mm²" or "t=+2.00 s"; empty when nothing in the headers does.
	Label    string   `json:"label,omitempty"`
	BValue   *float64 `json:"b_value,omitempty"`
	Time     *float64 `json:"time_s,omitempty"` // acquisition time relative to the first volume
	EchoTime *float64 `json:"echo_time_ms,omitempty"`
	Temporal *int     `json:"temporal_position,omitempty"`
}

// volumeLess orders the images of one position in acquisition order.
func volumeLess(a, b slice) bool {
	va, vb := a.vol, b.vol
	if va.temporal != vb.temporal && va.temporal >= 0 && vb.temporal >= 0 {
		return va.temporal < vb.temporal
	}
	if a.h.instance != b.h.instance {
		return a.h.instance < b.h.instance
	}
	if va.acqNumber != vb.acqNumber && va.acqNumber >= 0 && vb.acqNumber >= 0 {
		return va.acqNumber < vb.acqNumber
	}
	if !math.IsNaN(va.acqTime) && !math.IsNaN(vb.acqTime) && va.acqTime != vb.acqTime {
		return va.acqTime < vb.acqTime
	}
	if !math.IsNaN(va.trigger) && !math.IsNaN(vb.trigger) && va.trigger != vb.trigger {
		return va.trigger < vb.trigger
	}
	return a.frame < b.frame
}

// splitVolumes looks for repeated positions in the slices (sorted along the
// normal). When every position repeats the same number of times T > 1 the
// series is T volumes: s.slices becomes the first and s.volumes all of
// them. Otherwise nothing changes (dropDuplicates deals with the repeats).
func (s *Series) splitVolumes() {
	var groups [][]slice
	for _, sl := range s.slices {
		if n := len(groups); n > 0 && math.Abs(sl.dist-groups[n-1][0].dist) < 1e-3 {
			groups[n-1] = append(groups[n-1], sl)
			continue
		}
		groups = append(groups, []slice{sl})
	}
	lo, hi := len(s.slices), 0
	for _, g := range groups {
		lo, hi = min(lo, len(g)), max(hi, len(g))
	}
	if lo < 2 {
		return
	}
	t := lo
	extra := 0
	vols := make([][]slice, t)
	for _, g := range groups {
		sort.SliceStable(g, func(i, j int) bool { return volumeLess(g[i], g[j]) })
		for v := 0; v < t; v++ {
			vols[v] = append(vols[v], g[v])
		}
		extra += len(g) - t
	}
	if extra > 0 {
		s.warnf("%d images repeat a position more often than the others (re-sent slices?) and were left out", extra)
	}
	s.volSlices = vols
	s.slices = vols[0]
	s.describeVolumes()
}

// describeVolumes fills s.Volumes with what sets each volume apart.
func (s *Series) describeVolumes() {
	n := len(s.volSlices)
	s.Volumes = make([]VolumeInfo, n)
	rep := make([]volumeAttrs, n)
	for v, sls := range s.volSlices {
		// A volume's time is that of its earliest slice (slices of one
		// volume are acquired one after another).
		a := sls[0].vol
		for _, sl := range sls[1:] {
			if t := sl.vol.acqTime; !math.IsNaN(t) && (math.IsNaN(a.acqTime) || t < a.acqTime) {
				a.acqTime = t
			}
		}
		rep[v] = a
	}
	differs := func(get func(volumeAttrs) float64) bool {
		first := get(rep[0])
		for _, a := range rep[1:] {
			x := get(a)
			if math.IsNaN(x) != math.IsNaN(first) || (!math.IsNaN(x) && math.Abs(x-first) > 1e-6) {
				return true
			}
		}
		return false
	}
	byB := differs(func(a volumeAttrs) float64 { return a.bValue })
	byTE := differs(func(a volumeAttrs) float64 { return a.echoTime })
	byTime := differs(func(a volumeAttrs) float64 { return a.acqTime })
	byTemporal := differs(func(a volumeAttrs) float64 { return float64(a.temporal) })
	byTrigger := differs(func(a volumeAttrs) float64 { return a.trigger })
	var varies []string
	if byB {
		varies = append(varies, "b-value")
	}
	if byTE {
		varies = append(varies, "echo time")
	}
	if byTemporal || byTime || byTrigger {
		varies = append(varies, "time")
	}
	s.VolumeVaries = varies
	// The time between volumes, as a 4D NIfTI's pixdim[4]: the
	// repetition time when there is one (what dcm2niix writes), else the
	// acquisition times' mean step.
	if tr := rep[0].tr; tr > 0 {
		s.TimeStep = tr / 1000
	} else if byTime && !math.IsNaN(rep[n-1].acqTime) && !math.IsNaN(rep[0].acqTime) {
		s.TimeStep = (rep[n-1].acqTime - rep[0].acqTime) / float64(n-1)
	}
	for v, a := range rep {
		vi := VolumeInfo{Index: v}
		var parts []string
		if !math.IsNaN(a.bValue) {
			b := a.bValue
			vi.BValue = &b
			if byB {
				parts = append(parts, fmt.Sprintf("b=%g s/mm²", b))
			}
		}
		if !math.IsNaN(a.echoTime) {
			te := a.echoTime
			vi.EchoTime = &te
			if byTE {
				parts = append(parts, fmt.Sprintf("TE=%g ms", te))
			}
		}
		if a.temporal >= 0 {
			tp := a.temporal
			vi.Temporal = &tp
		}
		if !math.IsNaN(a.acqTime) && !math.IsNaN(rep[0].acqTime) {
			t := a.acqTime - rep[0].acqTime
			vi.Time = &t
			if byTime {
				parts = append(parts, fmt.Sprintf("t=%+.2f s", t))
			}
		} else if byTemporal && a.temporal >= 0 {
			parts = append(parts, fmt.Sprintf("time point %d", a.temporal))
		} else if byTrigger && !math.IsNaN(a.trigger) {
			parts = append(parts, fmt.Sprintf("trigger %g ms", a.trigger))
		}
		vi.Label = strings.Join(parts, ", ")
		s.Volumes[v] = vi
	}
	if len(varies) == 0 {
		s.warnf("%d volumes at the same positions that no header attribute tells apart (a series sent twice?)", n)
	}
}

// NumVolumes is how many volumes the series holds (1 for most).
func (s *Series) NumVolumes() int { return max(1, len(s.volSlices)) }

// Volume returns volume t of a multi-volume series as a series of its own
// (same geometry, warnings and description), ready to Load or Stream.
// Volume 0 is the series itself.
func (s *Series) Volume(t int) (*Series, error) {
	if t == 0 && len(s.volSlices) == 0 {
		return s, nil
	}
	if t < 0 || t >= len(s.volSlices) {
		return nil, fmt.Errorf("no volume %d: the series has %d", t+1, s.NumVolumes())
	}
	c := *s
	c.slices = s.volSlices[t]
	return &c, nil
}
