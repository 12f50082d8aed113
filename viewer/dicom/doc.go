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
// Our own length walk (lengths.go) reads the file's encoding first, and
// the library is handed only the data set before the pixels, under a meta
// that names the encoding the walk found (libraryview.go): a deflated data
// set arrives inflated, a transfer syntax the library does not know
// (High-Throughput JPEG 2000 and newer) as the explicit VR little endian
// it is, a data set encoded implicit VR under a meta that says explicit
// (found by peeking at the first element, as pydicom does) as implicit,
// with a warning, and top-level UN elements relabelled with the
// dictionary's VR.
//
// Values: Rescale Slope/Intercept; a Modality LUT Sequence replaces them
// (below the first mapped value the first entry, beyond the table the
// last); PALETTE COLOR applies the palette (8- or 16-bit entries,
// segmented palettes expanded) and keeps the luma of each colour; RGB and
// YBR are reduced to luma (Y for YBR, native YBR_FULL_422 included) in
// float, so 32-bit colour keeps its full range; RT Dose frames are placed
// by GridFrameOffsetVector and scaled by DoseGridScaling (float32, the
// units in a warning); Float and Double Float Pixel Data are taken as
// float32 without rescale. Each of these says what was done in the
// volume's warnings. testdata/make_conformance_pixels.py holds fixtures
// for all of them with pydicom's answers.
//
// Geometry: every pixel goes where ImagePositionPatient and
// ImageOrientationPatient put it. A stack sheared by a gantry tilt, or
// with missing or unevenly spaced slices, is resampled onto an orthogonal
// grid (regrid.go; the raw stack on request, Options.RawStack). Positions
// imaged several times make a multi-volume series (volumes.go: fMRI, DTI,
// perfusion), each volume loaded on its own (Series.Volume); magnitude and
// phase images are series of their own. A DICOM Segmentation is read as
// labels, not as an image (seg.go: ReadSEG, on its own grid or placed onto
// the referenced series), and a scan skips it with a word on how to open
// it. WriteSEG (seg_write.go) writes a label map back as a binary SEG of its
// series, with a small Explicit VR Little Endian writer (write.go).
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
