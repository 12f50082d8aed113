// Package nifti reads and writes NIfTI-1 and NIfTI-2 images (.nii and
// .nii.gz), the format research tools and segmentation models exchange
// volumes and label maps in. It turns a file into a viewer.Volume — voxels
// rescaled by scl_slope/scl_inter, geometry converted from NIfTI's RAS to
// the viewer's DICOM LPS — and writes one back with sform and qform set
// consistently, so FSL, ITK-SNAP, 3D Slicer and nibabel all place it where
// Delineate did.
//
// The I/O is written here rather than taken from a library: the pure-Go
// NIfTI packages we found are small, single-author and little maintained,
// and none we saw both reads and writes NIfTI-1 and NIfTI-2. The format is
// a fixed-layout header followed by raw voxels, so owning the code costs
// little, and it lets us decide the points that matter to a clinical
// viewer: which of sform and qform wins, how rescaled values are typed, and
// what a damaged or hostile file is refused with.
//
// Reading treats the header as untrusted. Dimensions, datatype and offset
// are validated before anything is allocated; a volume over 2³¹ voxels or
// 16 GiB is refused; plain files are checked against their size, and gzip
// streams are read into a buffer that grows only as data actually arrives,
// so a truncated file fails with a message instead of a huge allocation.
// Voxels are decoded in bulk by viewing the byte buffer as a typed slice
// (swapped in place when the file's byte order is not the host's), and the
// buffer becomes the volume's array whenever the type does not change.
//
// Only scalar volume images are shown. Files that are valid NIfTI but hold
// something else — CIFTI matrices (intent 3000–3099, or data in dims 5–7
// over a single voxel), surfaces (POINTSET, TRIANGLE), per-voxel matrices
// and quaternions, RGB or complex voxels, .hdr/.img pairs — are refused
// with an *UnsupportedError wrapping ErrUnsupported, so a caller can tell
// "open it elsewhere" from "the file is damaged". Statistic maps and label
// images are images. A file with more than three dimensions is a sequence
// of volumes (time points, vector components): Read loads the first and
// says so, ReadVolume loads any one without decoding the others, and the
// streaming writer writes one with WriteOptions.Volumes and TimeStep.
//
// Compression uses github.com/klauspost/compress/gzip to read, which
// inflates markedly faster than compress/gzip, and github.com/klauspost/pgzip
// to write, which deflates blocks on all cores. Writing uses level 2: on CT
// it is more than twice as fast as the default level 6 for files 1–2.5%
// larger, and no slower than level 1 while smaller (see gzipLevel and
// BenchmarkGzipLevels).
package nifti
