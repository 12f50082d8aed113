package builtin

// The numbers of the method. Each is a physical quantity (HU, mm, mL), so
// the method behaves the same on a 0.6 mm and a 5 mm reconstruction.
const (
	// huLikeMin and huLikeMax: a volume reaching below −200 and above 200
	// has air or fat and bone, so its values are HU; anything narrower
	// cannot be segmented by density.
	huLikeMin = -200
	huLikeMax = 200

	// bodyHU: the body is above it. Half-way between air (−1000) and
	// water, so the threshold falls at the 50% partial-volume line of the
	// skin; foam mattresses (−800..−600) fall below it.
	bodyHU = -500
	// bodyOpenMM: the radius of the disc the body threshold is opened by,
	// plane by plane. The table's carbon skin and cables are 2–5 mm thick
	// and go; the body's own outline has a radius of curvature of
	// centimetres and does not move.
	bodyOpenMM = 3.0
	// bodyKeepFrac: besides the largest component, components at least
	// this fraction of it stay in the body (arms beside the trunk are 5–15%
	// of it in a trunk field; table remnants and debris are far less).
	bodyKeepFrac = 0.05
	// bodyMinML: and no component smaller than this is a body, so a scan
	// of air (a phantom holder, a calibration) gives an empty map rather
	// than its largest speck of noise.
	bodyMinML = 5.0

	// lowHU: body voxels below it are air or lung. Half-way between lung
	// parenchyma (−850) and soft tissue (+50), so the lung boundary falls
	// at the partial-volume midpoint.
	lowHU = -400
	// pocketFrac: a low-density component whose voxels touch the outside
	// air over at least this fraction of them is outside air enclosed by
	// an axial plane (under an arm, the navel). The lungs open to the
	// outside at most through the airway when the mouth is in the field:
	// 0.01–0.05% of their voxels.
	pocketFrac = 0.002
	// gasHU: a component whose median is below it is gas (bowel, stomach,
	// airway lumen, −1000); lung parenchyma sits at −700..−900 and, even
	// emphysematous, keeps its median above −950.
	gasHU = -950
	// lungMinML: a component this large with a parenchymal median is a
	// lung (a lung is 1–3 L; gas-filled bowel this large is all gas).
	lungMinML = 50.0
	// lungCutMinML: a lung cut by the superior edge of the field (the lung
	// bases of an abdominal scan) may be small; it still has to hold this
	// much to be told from partial-volume specks.
	lungCutMinML = 5.0
	// lungCutHU: and its median must be above this, stricter than gasHU:
	// a lung base cut by the field is a few slices of partial-volume
	// parenchyma (median −750..−850 in the example scans), while a gas
	// bubble of 10–20 mL reaching the same edge keeps a median of −940..−990.
	lungCutHU = -900
	// airwayMaxMM2: a piece of lung in an axial plane smaller than this
	// (the trachea is 2–5 cm² in section, a main bronchus 1–2 cm²) and
	// mostly below gasHU is airway lumen.
	airwayMaxMM2 = 800.0

	// boneLowHU and boneSeedHU: the hysteresis thresholds of bone. Cortex
	// is 500–1500 HU when resolved; cancellous bone 150–400 HU at 1 mm and
	// 100–300 at 3 mm, where the cortex too is averaged down to 150–400.
	// Muscle and organs stay under 100 HU (p95 of every organ in the
	// TotalSegmentator example scan). A component above boneLowHU is bone
	// when it reaches boneSeedHU.
	boneLowHU  = 120
	boneSeedHU = 300
	// boneMinML: bone components smaller than this are calcifications
	// (vessel walls, lymph nodes, stones) or noise.
	boneMinML = 0.1
	// boneThickMM: a region of intermediate density (boneLowHU..boneSeedHU)
	// that holds a disc of this radius in an axial plane is a blood pool or
	// an enhancing organ — the aorta, the heart's chambers, the IVC on a
	// contrast scan — not bone, whose intermediate-density parts are thin
	// (cortex at coarse resolution, partial volume) or are marrow enclosed
	// by cortex, which the marrow fill brings back.
	boneThickMM = 7.0
	// boneNearMM: intermediate-density voxels farther than this from any
	// voxel above boneSeedHU (in plane, and as far along the axis) are not
	// bone either: an enhanced organ touching a bone (a kidney on the
	// iliac crest, the aorta on a vertebra) then joins it only along the
	// contact, not as a whole.
	boneNearMM = 15.0
	// boneCloseMM: the closing radius in axial planes before marrow holes
	// are filled, so that a cortex with partial-volume gaps of a voxel still
	// encloses its marrow (at least one pixel at any spacing up to 4.5 mm).
	boneCloseMM = 4.5
	// marrowMaxMM2 and marrowMinHU: a hole enclosed by bone in an axial
	// plane is marrow when it is smaller than a vertebral body or femoral
	// head (10–20 cm², with room) and most of it is at least marrowMinHU.
	// The spinal canal (CSF and cord, 0–40 HU, median about 10) is
	// enclosed too and is not bone; the pelvic ring encloses the pelvis,
	// far larger.
	marrowMaxMM2 = 4000.0
	marrowMinHU  = 40
	// boneEdgeHU: where a bone's edge is a step up to at least this (a
	// resolved cortex), a boundary pixel below half-way up the local step
	// is partial volume of the soft tissue outside and is not bone; at
	// coarse resolution, where the cortex is averaged below it, the edge
	// stays at boneLowHU, as reference segmentations draw it there.
	boneEdgeHU = 500

	// fatLowHU and fatHighHU: adipose tissue is −190..−30 HU (the range
	// body-composition studies use); −29 and above is soft tissue.
	fatLowHU  = -190
	fatHighHU = -29.5 // integer HU −30 is fat, −29 is soft tissue
)
