// Package yolo runs the pre- and post-processing of Ultralytics YOLO
// exports (YOLOv8/11/12 detect and segment, YOLOE, YOLO-World) on medical
// slices: it renders a slice into the network's letterboxed RGB input
// (one window repeated, or one window per channel), decodes output0
// (boxes, class scores, mask coefficients), applies the confidence
// threshold and class-wise NMS, assembles masks from the prototypes, and
// maps everything back to the slice's pixels — and through the slice
// layout to voxels and millimetres.
//
// The letterbox keeps the slice's physical aspect: pixels of a coronal
// slice of a 3 mm CT are resampled to square millimetres before the
// network sees them, as a radiologist sees them on screen, and mapped
// back exactly.
//
// No Fyne; the network runs through inference's Backend like any other.
package yolo
