// Package inference runs segmentation models on volumes: model folders and
// their descriptions (model.json), preprocessing (conforming to the
// network's grid, intensity normalisation), tiling with bounded memory
// (nnU-Net's Gaussian sliding window, overlap-tiling for fully
// convolutional networks), the way back to the image grid, background
// jobs with progress and cancel, and the run report that lets a reviewer
// trust (and `delineate verify run` re-check) a result.
//
// It knows nothing of Fyne and nothing of ONNX Runtime's C library: a
// Backend opens networks (inference/ort for ONNX Runtime, fakes in
// tests), so the package builds and tests without cgo. The built-in CT
// segmenter lives in inference/builtin, the ONNX graph reader in
// inference/onnx.
package inference
