package phantom

import "image/color"

// Label ids. 1–10 are the ones the rest of Delineate's tests and demos
// refer to by number; the others follow TotalSegmentator's names so that a
// model's output can be compared with the ground truth by name. The tissue
// classes (muscle, fat) come last so a display can hide them as a block.
const (
	LabelLiver = iota + 1
	LabelSpleen
	LabelKidneyRight
	LabelKidneyLeft
	LabelLungRight
	LabelLungLeft
	LabelHeart
	LabelAorta
	LabelVertebrae
	LabelRibs
	LabelStomach
	LabelPancreas
	LabelGallbladder
	LabelIVC
	LabelPulmonaryArtery
	LabelEsophagus
	LabelTrachea
	LabelSternum
	LabelCostalCartilages
	LabelDiscs
	LabelSpinalCanal
	LabelClavicleRight
	LabelClavicleLeft
	LabelScapulaRight
	LabelScapulaLeft
	LabelHipRight
	LabelHipLeft
	LabelSmallBowel
	LabelColon
	LabelSkeletalMuscle
	LabelSubcutaneousFat
	LabelTorsoFat
	numLabels = LabelTorsoFat
)

// labelTable is the label table, index = id − 1. Colours are anatomical
// (after 3D Slicer's GenericAnatomyColors where it has the structure), so
// an overlay reads at a glance: liver brown, spleen purple, kidneys orange,
// arteries red, veins blue, bone ivory.
var labelTable = [numLabels]Label{
	{LabelLiver, "liver", color.RGBA{221, 130, 101, 255}},
	{LabelSpleen, "spleen", color.RGBA{157, 108, 162, 255}},
	{LabelKidneyRight, "kidney_right", color.RGBA{185, 102, 83, 255}},
	{LabelKidneyLeft, "kidney_left", color.RGBA{212, 126, 70, 255}},
	{LabelLungRight, "lung_right", color.RGBA{90, 160, 220, 255}},
	{LabelLungLeft, "lung_left", color.RGBA{120, 200, 235, 255}},
	{LabelHeart, "heart", color.RGBA{206, 110, 84, 255}},
	{LabelAorta, "aorta", color.RGBA{230, 40, 40, 255}},
	{LabelVertebrae, "vertebrae", color.RGBA{241, 214, 145, 255}},
	{LabelRibs, "ribs", color.RGBA{253, 232, 158, 255}},
	{LabelStomach, "stomach", color.RGBA{255, 170, 90, 255}},
	{LabelPancreas, "pancreas", color.RGBA{249, 180, 111, 255}},
	{LabelGallbladder, "gallbladder", color.RGBA{139, 150, 98, 255}},
	{LabelIVC, "inferior_vena_cava", color.RGBA{0, 110, 210, 255}},
	{LabelPulmonaryArtery, "pulmonary_artery", color.RGBA{0, 151, 206, 255}},
	{LabelEsophagus, "esophagus", color.RGBA{211, 171, 143, 255}},
	{LabelTrachea, "trachea", color.RGBA{182, 228, 255, 255}},
	{LabelSternum, "sternum", color.RGBA{244, 214, 49, 255}},
	{LabelCostalCartilages, "costal_cartilages", color.RGBA{111, 184, 210, 255}},
	{LabelDiscs, "intervertebral_discs", color.RGBA{100, 220, 160, 255}},
	{LabelSpinalCanal, "spinal_canal", color.RGBA{244, 238, 90, 255}},
	{LabelClavicleRight, "clavicula_right", color.RGBA{205, 179, 108, 255}},
	{LabelClavicleLeft, "clavicula_left", color.RGBA{225, 199, 128, 255}},
	{LabelScapulaRight, "scapula_right", color.RGBA{190, 175, 120, 255}},
	{LabelScapulaLeft, "scapula_left", color.RGBA{210, 195, 140, 255}},
	{LabelHipRight, "hip_right", color.RGBA{220, 200, 130, 255}},
	{LabelHipLeft, "hip_left", color.RGBA{200, 180, 110, 255}},
	{LabelSmallBowel, "small_bowel", color.RGBA{255, 208, 170, 255}},
	{LabelColon, "colon", color.RGBA{204, 168, 120, 255}},
	{LabelSkeletalMuscle, "skeletal_muscle", color.RGBA{192, 104, 88, 255}},
	{LabelSubcutaneousFat, "subcutaneous_fat", color.RGBA{230, 220, 70, 255}},
	{LabelTorsoFat, "torso_fat", color.RGBA{255, 244, 160, 255}},
}

// Labels returns the label table (a fresh copy), in id order.
func Labels() []Label {
	out := make([]Label, numLabels)
	copy(out, labelTable[:])
	return out
}

// tissue is what the painter writes: finer than a label, because one organ
// can hold several densities (a vertebra's cortex and marrow, the stomach's
// wall, fluid and gas). Each tissue has exactly one label and one HU, so
// the label map and the image are two views of one tissue map and cannot
// disagree.
type tissue uint8

const (
	tAir tissue = iota // outside the patient; the zero value
	tTable
	tTableFoam
	tSkin
	tSubcutFat
	tMuscle
	tVisceralFat
	tDiaphragm
	tLungR
	tLungL
	tVesselR // pulmonary vessels, labelled as the lung they run in
	tVesselL
	tAirway
	tAirwayWall
	tMyocardium
	tLeftHeart  // left atrium and ventricle: contrast-filled
	tRightHeart // right atrium and ventricle: contrast mixing with venous blood
	tAorta
	tIVC
	tPulmonaryArtery
	tEsophagus
	tLiver
	tGallbladder
	tSpleen
	tKidneyRCortex
	tKidneyRMedulla
	tKidneyLCortex
	tKidneyLMedulla
	tStomachWall
	tStomachFluid
	tStomachGas
	tPancreas
	tBowelWall
	tBowelFluid
	tBowelGas
	tColonWall
	tColonStool
	tColonGas
	tVertCancellous
	tVertCortex
	tVertPosterior
	tDisc
	tCanal
	tRibCortex
	tRibMarrow
	tCartilage
	tSternumCortex
	tSternumMarrow
	tClavicleRCortex
	tClavicleRMarrow
	tClavicleLCortex
	tClavicleLMarrow
	tScapulaR
	tScapulaL
	tHipRCortex
	tHipRMarrow
	tHipLCortex
	tHipLMarrow
	numTissues
)

// tissueInfo gives each tissue its label and nominal HU. The values are a
// contrast-enhanced scan in the late arterial phase: aorta and left heart
// bright, kidneys with a bright cortex, the IVC not yet opacified.
var tissueInfo = [numTissues]struct {
	name  string
	label uint8
	hu    float64
}{
	tAir:             {"air", 0, -1000},
	tTable:           {"table", 0, 200},
	tTableFoam:       {"table foam", 0, -800},
	tSkin:            {"skin", 0, 30},
	tSubcutFat:       {"subcutaneous fat", LabelSubcutaneousFat, -100},
	tMuscle:          {"muscle", LabelSkeletalMuscle, 50},
	tVisceralFat:     {"visceral fat", LabelTorsoFat, -90},
	tDiaphragm:       {"diaphragm", LabelSkeletalMuscle, 50},
	tLungR:           {"right lung", LabelLungRight, -850},
	tLungL:           {"left lung", LabelLungLeft, -850},
	tVesselR:         {"right pulmonary vessels", LabelLungRight, 100},
	tVesselL:         {"left pulmonary vessels", LabelLungLeft, 100},
	tAirway:          {"airway lumen", LabelTrachea, -1000},
	tAirwayWall:      {"airway wall", LabelTrachea, 60},
	tMyocardium:      {"myocardium", LabelHeart, 40},
	tLeftHeart:       {"left heart blood", LabelHeart, 250},
	tRightHeart:      {"right heart blood", LabelHeart, 150},
	tAorta:           {"aorta", LabelAorta, 200},
	tIVC:             {"inferior vena cava", LabelIVC, 70},
	tPulmonaryArtery: {"pulmonary artery", LabelPulmonaryArtery, 160},
	tEsophagus:       {"esophagus", LabelEsophagus, 40},
	tLiver:           {"liver", LabelLiver, 60},
	tGallbladder:     {"gallbladder", LabelGallbladder, 10},
	tSpleen:          {"spleen", LabelSpleen, 50},
	tKidneyRCortex:   {"right renal cortex", LabelKidneyRight, 150},
	tKidneyRMedulla:  {"right renal medulla", LabelKidneyRight, 60},
	tKidneyLCortex:   {"left renal cortex", LabelKidneyLeft, 150},
	tKidneyLMedulla:  {"left renal medulla", LabelKidneyLeft, 60},
	tStomachWall:     {"stomach wall", LabelStomach, 45},
	tStomachFluid:    {"stomach fluid", LabelStomach, 15},
	tStomachGas:      {"stomach gas", LabelStomach, -1000},
	tPancreas:        {"pancreas", LabelPancreas, 45},
	tBowelWall:       {"small bowel wall", LabelSmallBowel, 45},
	tBowelFluid:      {"small bowel fluid", LabelSmallBowel, 20},
	tBowelGas:        {"small bowel gas", LabelSmallBowel, -1000},
	tColonWall:       {"colon wall", LabelColon, 40},
	tColonStool:      {"colon stool", LabelColon, -40},
	tColonGas:        {"colon gas", LabelColon, -1000},
	tVertCancellous:  {"vertebral cancellous bone", LabelVertebrae, 400},
	tVertCortex:      {"vertebral cortex", LabelVertebrae, 1000},
	tVertPosterior:   {"vertebral posterior elements", LabelVertebrae, 700},
	tDisc:            {"intervertebral disc", LabelDiscs, 80},
	tCanal:           {"spinal canal", LabelSpinalCanal, 20},
	tRibCortex:       {"rib cortex", LabelRibs, 900},
	tRibMarrow:       {"rib marrow", LabelRibs, 300},
	tCartilage:       {"costal cartilage", LabelCostalCartilages, 120},
	tSternumCortex:   {"sternal cortex", LabelSternum, 800},
	tSternumMarrow:   {"sternal marrow", LabelSternum, 300},
	tClavicleRCortex: {"right clavicle cortex", LabelClavicleRight, 900},
	tClavicleRMarrow: {"right clavicle marrow", LabelClavicleRight, 300},
	tClavicleLCortex: {"left clavicle cortex", LabelClavicleLeft, 900},
	tClavicleLMarrow: {"left clavicle marrow", LabelClavicleLeft, 300},
	tScapulaR:        {"right scapula", LabelScapulaRight, 700},
	tScapulaL:        {"left scapula", LabelScapulaLeft, 700},
	tHipRCortex:      {"right iliac cortex", LabelHipRight, 900},
	tHipRMarrow:      {"right iliac marrow", LabelHipRight, 300},
	tHipLCortex:      {"left iliac cortex", LabelHipLeft, 900},
	tHipLMarrow:      {"left iliac marrow", LabelHipLeft, 300},
}
