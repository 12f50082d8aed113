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
// Kinds (kinds.go) carry what differs between families: MedSAM and SAM2
// stretch the slice to the square, MedSAM and LiteMedSAM normalise by
// min–max and take boxes only, SAM2 uses ImageNet's mean/std and passes
// the encoder's high-resolution features to the decoder, and SAM2's and
// LiteMedSAM's decoders answer low-resolution masks over the whole frame
// that are interpolated back here (../shared/specs/models.md §4).
package sam
