package project

import (
	"fmt"
	"sort"
	"strings"

	"delineate/viewer/dicom"
)

// SEGSegments turns a case's provenance into each label's segment
// algorithm for a DICOM SEG export (dicom.SEGOptions.Segments): AUTOMATIC
// where only a model wrote the label, MANUAL where only a person did,
// SEMIAUTOMATIC where both did. The algorithm name is the last model run
// that wrote the label ("model version"). Labels the provenance does not
// mention are left out, so they take the export's defaults.
func (pv Provenance) SEGSegments() map[int]dicom.SegmentInfo {
	model := map[int]string{}
	runs := append([]ModelRun(nil), pv.Runs...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Time.Before(runs[j].Time) })
	for _, r := range runs {
		name := strings.TrimSpace(r.Model + " " + r.Version)
		for _, id := range r.Labels {
			model[id] = name
		}
	}
	out := map[int]dicom.SegmentInfo{}
	for k, src := range pv.Sources {
		var id int
		if _, err := fmt.Sscan(k, &id); err != nil || id <= 0 {
			continue
		}
		info := dicom.SegmentInfo{AlgorithmName: model[id]}
		switch src {
		case FromModel:
			info.AlgorithmType = dicom.AlgorithmAutomatic
		case FromPerson:
			info.AlgorithmType, info.AlgorithmName = dicom.AlgorithmManual, ""
		case FromBoth:
			info.AlgorithmType = dicom.AlgorithmSemiautomatic
		default:
			continue
		}
		out[id] = info
	}
	return out
}
