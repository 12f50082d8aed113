package ui

// sendLabelsToPACS is File → Send Labels to PACS…: the labels as a DICOM
// SEG over the open series, a summary to confirm, then STOW-RS in the
// background. (Filled in once the SEG writer lands.)
func (ws *Workstation) sendLabelsToPACS() {
	ws.status.SetText("Send Labels to PACS is not available yet")
}
