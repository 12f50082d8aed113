// Package labelstudio is the Label Studio round trip: brush masks out as
// Label Studio predictions (windowed slice PNGs, a BrushLabels labelling
// config and an import file whose task meta says exactly which voxel each
// pixel is), uploaded to a server without touching what a person made,
// and reviewed annotations pulled back onto the image's grid.
//
// The brush RLE codec is written here: Label Studio's format is a small
// bit-packed run-length code with no maintained Go implementation, and
// the converter's Python one is far too slow for whole volumes (see
// BENCHMARKS.md). It follows ../shared/specs/label-studio.md, checked
// against the real frontend.
//
// No Fyne import.
package labelstudio
