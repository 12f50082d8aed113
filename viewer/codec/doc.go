// Package codec decodes compressed DICOM pixel data.
//
// The DICOM reader hands Decode one complete compressed frame (its
// fragments already joined) together with the frame's layout from the
// header, and gets back the bytes an uncompressed file would have held:
// little-endian, samples interleaved, signed values in two's complement
// filling the container. The rest of the viewer then never needs to know
// how a series was stored.
//
// Every codec checks the compressed stream's own dimensions, component
// count and precision against the header before decoding, names what
// differed when they disagree, and sizes its output from the header alone,
// so a damaged or hostile file costs an error, not a panic or a huge
// allocation. Panics in the Go decoders are recovered and returned as
// errors.
//
// # Codecs
//
// RLE Lossless (1.2.840.10008.1.2.5) is written here in Go. The format
// (PS3.5 Annex G: PackBits byte planes behind a 64-byte offset table) is a
// page of code, and owning it keeps the common case free of cgo.
//
// JPEG Lossless (1.2.840.10008.1.2.4.57 and .70) is written here in Go.
// No maintained Go library decodes the lossless JPEG process, and the
// libjpeg-turbo in Debian bookworm (2.1) predates its lossless support. The
// decoder covers what DICOM files use: Huffman-coded SOF3, predictors 1–7,
// point transform, precision 2–16, restart intervals, one to three
// components interleaved or in separate scans, and the SSSS=16 difference.
// It decodes a 512×512 16-bit CT slice in about 3 ms on one core.
//
// JPEG Baseline (1.2.840.10008.1.2.4.50) uses the standard library's
// image/jpeg. Colour frames come out as RGB whatever the header says
// (YBR_FULL_422 included); frames the header calls RGB are decoded without
// a colour transform, as DICOM requires. Go's decoder may differ from
// libjpeg by a few levels (rounding, chroma upsampling): lossy data has no
// single right answer. JPEG Extended (.51) decodes when the frame is 8-bit;
// 12-bit frames return ErrUnsupported because image/jpeg reads 8-bit only.
// A lossless stream mislabelled as baseline is decoded as lossless.
//
// JPEG-LS (1.2.840.10008.1.2.4.80 and .81) wraps CharLS 2.4 through cgo
// (Debian libcharls-dev), the reference implementation DCMTK and GDCM
// build on.
//
// JPEG 2000 (1.2.840.10008.1.2.4.90 and .91) and High-Throughput JPEG 2000
// (.201, .202, .203) wrap OpenJPEG 2.5 through cgo (Debian
// libopenjp2-7-dev). Raw codestreams and the JP2 box format are accepted.
// HT code-blocks are decoded only with OpenJPEG 2.5.1 or later: 2.5.0, the
// version in Debian bookworm, is built with assertions and aborts the whole
// process on some damaged HT data, so with it every codestream is scanned
// first and HT ones, whatever syntax they are labelled with, return
// ErrUnsupported. The decoder runs in strict mode so a truncated
// codestream is an error rather than a quietly blurred image, and it is
// single-threaded unless OPJ_NUM_THREADS says otherwise, because callers
// decode many frames in parallel already. Components that the codestream
// calls unsigned in a frame the header calls signed are reinterpreted as
// two's complement, a known encoder slip. Signed HTJ2K is unverified:
// OpenJPH 0.9 output decodes to different values in OpenJPEG 2.5.0.
//
// Builds without cgo still decode RLE, JPEG Lossless and JPEG Baseline;
// JPEG-LS and JPEG 2000 then return ErrUnsupported with a message saying a
// cgo build is needed, and Supported reports false for them.
//
// # Tests
//
// Tests decode real scanner data from the shared data checkout (one MR
// frame stored nine ways; a 20-slice JPEG 2000 CT series with uncompressed
// twins) and require byte-identical results. Fixtures in testdata/fixtures
// were made by DCMTK, GDCM, OpenJPEG and OpenJPH (testdata/gen.sh) and are
// checked against the original pixels; round-trip tests encode synthetic
// images with in-test RLE and lossless JPEG encoders and, with cgo, with
// CharLS and OpenJPEG (internal/testenc).
package codec
