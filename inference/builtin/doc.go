// Package builtin holds Delineate's built-in segmenters: ones that need no
// model file and no GPU, so that a fresh install can segment a study at
// once, on any machine, and so that the inference plumbing (jobs,
// progress, cancel, reports) has a real, fast segmenter to run end to end.
//
// builtin:ct-tissue (SegmentCT) labels a CT in Hounsfield units with six
// tissue classes — body, lungs, fat, soft tissue, bone and air inside the
// body — from HU thresholds, 2D morphology on axial planes and 3D
// connected components. It is what a radiographer would do by hand with
// thresholds and a flood fill, done carefully: the body is the patient,
// not the table; lungs are told from bowel gas by size, density and where
// they sit; bone marrow that is darker than the threshold is recovered
// inside the cortex. The comments in segment.go give the method step by
// step, with the reason for every number.
//
// It is built for whole studies on a laptop: every pass is parallel over
// planes or slabs, masks live in the bits of the output label array and in
// run-length form (no float64 copy of the volume, about one byte per voxel
// beyond the input and the result), and a cancelled context stops it
// within a plane's work.
//
// The package imports no GUI and no cgo.
package builtin
