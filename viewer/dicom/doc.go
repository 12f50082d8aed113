// Package dicom turns DICOM files and folders into viewer volumes.
//
// It scans a folder (or takes one file), groups the images into series,
// orders slices along the slice normal, derives the geometry from the image
// positions (never from SliceThickness), and decodes the pixels — natively, or
// through viewer/codec for compressed transfer syntaxes — with the rescale
// applied, so CT comes out in HU.
//
// Parsing of the DICOM data set is github.com/suyashkumar/dicom's. That
// library panics on some malformed input, so every parse runs under recover
// and a bad file becomes a warning naming the file, while the rest of the
// series still loads. It also leaves native pixel data to us (we ask for the
// raw bytes and convert them in bulk, which is much faster than its
// per-pixel frames) and encapsulated frames undecoded.
//
// Reading is built for large studies (read.go): the scan reads only each
// file's header (up to the pixel data, a 64 KiB prefix for nearly every
// file) and notes where the pixels lie; Load allocates the one volume
// buffer in the type the headers settle and reads each frame from its file
// straight into its slice (pread), rescaling in place; Stream hands a
// classic series out slice by slice without holding it, which is how
// `convert` writes a study of any size in a few slices of memory.
//
// Patient identity (name, ID, birth date) is read only when the caller asks
// for it (ScanOptions.PHI) and is never put in warnings or errors; file
// paths in messages are the ones the user gave us.
package dicom
