// Package viewer is Delineate's imaging core: volumes and their geometry in
// patient space, window/level, reslicing to the three radiological planes and
// rendering slices to images. It has no GUI dependency, so everything here is
// testable headless; file formats live in the sub-packages (nifti, dicom,
// codec) and viewer/load picks the right one for a path.
package viewer
