// Package onnx reads the structure of an ONNX model file — its inputs and
// outputs with their element types and (possibly symbolic) shapes, the
// opsets, metadata_props, the nodes with their attributes, and the names
// and dimensions of the initializers — without ONNX Runtime and without
// cgo.
//
// It exists for two callers. `delineate models check` compares a model
// description (model.json) with the real graph: the input and output names,
// ranks, element types, fixed sizes and class counts, and the labels a
// converter wrote into the metadata. The tiler needs to know whether a
// network is fully convolutional and, if so, its receptive field and
// downsampling factor (Model.ReceptiveField) and its widest layer
// (Model.MaxChannels) to choose tile sizes, overlap margins and a memory
// estimate. ONNX Runtime's API exposes none of the graph: a session only
// tells the names, types and shapes of the inputs and outputs, so this has
// to be read from the file itself.
//
// The reader walks the protobuf wire format directly with
// google.golang.org/protobuf/encoding/protowire rather than using code
// generated from onnx.proto. Generated code would decode every weight into
// memory (a model's bytes are almost all raw_data of initializers, which
// this package skips after reading their dimensions), would pull the
// reflection-based protobuf runtime and a few thousand generated lines into
// the build for the handful of fields used here, and would have to be
// regenerated as onnx.proto grows. The ONNX message layout needed is small
// and has been stable since IR version 3; the field numbers are written
// out beside the code that reads them.
//
// Parsing is strict about the wire format and lenient about ONNX semantics:
// any input that is not a well-formed ModelProto (truncated, a length that
// runs past its message, a known field with the wrong wire type, no graph,
// no ir_version, no opset_import) gives a FormatError, never a panic, and
// memory use is bounded by a small multiple of the input size because every
// allocation is driven by bytes actually present. Fields this package does
// not use, sub-graphs of If/Loop/Scan included, are skipped unread. A file
// cut short exactly at a boundary between two top-level fields is, to
// protobuf, a complete and shorter message; if the cut falls after the graph
// and the opset_import it parses as that shorter model (with fewer metadata
// entries, say), otherwise it is a FormatError. Nothing in the format can
// tell such a cut from a file that was written that way.
package onnx
