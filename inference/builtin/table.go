package builtin

import (
	"image/color"

	"delineate/viewer"
)

// Label ids of the built-in CT tissue segmenter.
const (
	TissueBody  = 1 // inside the body but in no class below (skin/partial-volume/other); the body is the union of 1..6
	TissueLungs = 2
	TissueFat   = 3
	TissueSoft  = 4 // soft tissue (muscle, organs, blood, fluid)
	TissueBone  = 5
	TissueAir   = 6 // air inside the body that is not lung (bowel gas, airway outside the lungs, ...)
)

// CTTissueVersion identifies the method and its thresholds: a run report
// records it, so a change to any number in this package that changes
// results must change it too.
const CTTissueVersion = "1.0.0"

// CTTissueTable is the label table of SegmentCT's output. The colours are
// the usual ones for these tissues in 3D Slicer's and ITK-SNAP's body
// composition presets (fat yellow, muscle red, bone ivory, lung blue), kept
// far enough apart to tell at a glance on a grey CT.
func CTTissueTable() viewer.LabelTable {
	return viewer.LabelTable{Labels: []viewer.Label{
		{ID: TissueBody, Name: "body", Colour: color.RGBA{177, 122, 101, 255}, Visible: true},
		{ID: TissueLungs, Name: "lungs", Colour: color.RGBA{80, 160, 230, 255}, Visible: true},
		{ID: TissueFat, Name: "fat", Colour: color.RGBA{240, 220, 60, 255}, Visible: true},
		{ID: TissueSoft, Name: "soft tissue", Colour: color.RGBA{200, 60, 50, 255}, Visible: true},
		{ID: TissueBone, Name: "bone", Colour: color.RGBA{241, 238, 210, 255}, Visible: true},
		{ID: TissueAir, Name: "air inside body", Colour: color.RGBA{60, 220, 200, 255}, Visible: true},
	}}
}
