// Package project holds annotation projects on disk: a folder with a
// human-readable project file (project.json) naming the label table that
// every case shares, the cases (image, label map, held predictions,
// review status, notes, who and when) and each case's provenance (the
// model runs and manual edits that produced its labels, and per label
// whether its voxels came from a model, a person or both).
//
// Writes are atomic (temp file, fsync, rename, fsync of the folder), so a
// crash or a full disk leaves the previous file intact. A lock file with
// the holder's pid keeps a second instance from writing: it opens the
// project read-only and says why. Case ids are sequential ("case_0001"):
// they never carry a patient's identity, whatever the image's path.
//
// No Fyne import; exports (project/nnunet, project/labelstudio) build on
// this package.
package project
