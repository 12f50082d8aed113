// Package labels reads and writes label tables (ITK-SNAP label description
// files, 3D Slicer colour tables, JSON id→name maps) and computes per-label
// statistics of an image inside a label map. It has no GUI dependencies.
package labels
