// Package sam runs visual-prompt segmenters (SAM, MobileSAM, EdgeSAM and
// other exports with SAM's encoder/decoder contract) on medical slices:
// the slice is rendered with a window and resampled to square millimetres
// with its longest side at the encoder's size (1024), normalised with
// SAM's mean and std and padded bottom/right; the decoder takes points and
// boxes in that frame and returns masks that are mapped back to the
// slice's pixels and, through the slice layout, to voxels.
//
// Embeddings are cached per (plane, slice, window) in an LRU bounded by
// bytes, so after the encoder has run once for a slice a click costs only
// the decoder. Clicks that arrive while the decoder runs are coalesced to
// the latest. Propagate repeats a prompt slice by slice, the box taken
// from the previous slice's mask, until the mask vanishes.
//
// MedSAM / LiteMedSAM (box-only, min–max input, plain resize) and SAM2
// (extra high-resolution features) differ in pre-processing and tensor
// names; their contracts are in ../shared/specs/models.md §4 and are not
// run here yet.
package sam
