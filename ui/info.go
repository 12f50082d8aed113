package ui

import (
	"fmt"
	"strings"
)

// updateInfo fills the study panel. Patient identity appears only when the
// user has asked for it (View → Show Patient Identity).
func (ws *Workstation) updateInfo() {
	ws.info.SetText(ws.studySummary())
	ws.applyLayout()
}

func (ws *Workstation) studySummary() string {
	if ws.scene == nil {
		return "No study"
	}
	v := ws.scene.Volume
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", ws.title)
	if v.Modality != "" {
		fmt.Fprintf(&b, "Modality: %s\n", v.Modality)
	}
	fmt.Fprintf(&b, "%s\n", volumeSummary(v))
	if ws.study != nil && ws.seriesIdx >= 0 && ws.seriesIdx < len(ws.study.Series) {
		s := ws.study.Series[ws.seriesIdx]
		fmt.Fprintf(&b, "%d files (%s)\n", s.Files, s.Format)
		if ws.showPHI {
			fmt.Fprintf(&b, "Patient: %s  ID: %s\n", s.PatientName, s.PatientID)
		}
	}
	if len(ws.warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, w := range ws.warnings {
			fmt.Fprintf(&b, "• %s\n", w)
		}
	}
	return b.String()
}
