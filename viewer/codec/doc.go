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
// allocation. Panics in the Go decoders are recovered and reported as
// damaged data, never with the runtime's text.
//
// Every refusal is an *UnsupportedError (errors.Is(err, ErrUnsupported)):
// it names the transfer syntax in words (SyntaxName), what in the frame
// this build cannot decode, and what would, for example "codec:
// High-Throughput JPEG 2000: High-Throughput (HT) code-blocks are not
// decoded with OpenJPEG 2.5.0 …; needs OpenJPEG ≥ 2.5.1; this build has
// 2.5.0". Syntaxes without a decoder here (retired JPEG processes, JPEG XL,
// video, JPIP, Part 2 multi-component) say what to convert with.
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
// JPEG Baseline (1.2.840.10008.1.2.4.50) and 8-bit JPEG Extended (.51)
// decode in Go, to exactly the samples libjpeg gives (libjpeg-turbo under
// Pillow and so pydicom; IJG 6b in DCMTK and GDCM): internal/ijpeg is the
// standard library's image/jpeg decoder with IJG's integer inverse DCT
// (jpeg_idct_islow) and range limit in place of Go's own IDCT, and colour
// frames are up-sampled with libjpeg's "fancy" triangle filters (h2v1,
// h1v2, h2v2; repetition for 4:1:1) and converted with its integer YCbCr
// tables (jpegcolour.go). image/jpeg alone repeats chroma samples and
// rounds differently, which put saturated colour edges up to 148 levels
// per channel away from pydicom's result; the conformance fixtures
// (testdata/conformance/codec, from testdata/make_conformance_codec.py) now
// match Pillow and DCMTK byte for byte at 4:2:0, 4:2:2 and 4:4:4. Colour
// frames come out as RGB whatever the header says (YBR_FULL_422 included).
// Whether the stream was colour-transformed follows libjpeg's rules (JFIF
// marker, Adobe transform code, component ids 'R','G','B'), plus DICOM's:
// a header saying RGB, in a stream with neither marker, means no
// transform. A lossless stream mislabelled as baseline is decoded as
// lossless.
//
// 12-bit JPEG Extended (.51, process 4) wraps GDCM's 12-bit build of IJG
// libjpeg 6b through cgo: libgdcmjpeg12 from Debian's libgdcm3.0, headers
// and the unversioned .so from libgdcm-dev (no pkg-config file, so the
// include path is fixed at /usr/include/gdcm-3.0/gdcmjpeg/12). Its symbols
// are prefixed gdcmjpeg12_, so it cannot clash with another libjpeg in the
// process. IJG's error_exit, which would exit the viewer, is replaced by a
// longjmp back into the one cgo call that does the whole decode; truncated
// scans (JWRN_HIT_MARKER), bad Huffman codes and multi-scan frames cut
// short are errors rather than grey-filled images. The result equals DCMTK's
// dcmdjpeg and GDCM byte for byte. Builds without cgo, or with the
// nojpeg12 tag, return ErrUnsupported for 12-bit frames.
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
// Bytes that would be DICOM delimiters (FE FF DD E0, the Sequence
// Delimitation Item tag) mean nothing to any codec here: a JPEG 2000
// codestream carrying them in a comment decodes like any other
// (testdata/conformance/codec/j2k_delim_47x33). In entropy-coded data
// they cannot occur: JPEG 2000 follows every FF byte there with one below
// 0x90, JPEG with 00 or a restart marker, so only marker segments (a
// comment, say) can hold them.
//
// Builds without cgo still decode RLE, JPEG Lossless and 8-bit JPEG;
// JPEG-LS, JPEG 2000 and 12-bit JPEG then return ErrUnsupported with a
// message saying a cgo build is needed, and Supported reports false for
// JPEG-LS and JPEG 2000.
//
// # Tests
//
// Tests decode real scanner data from the shared data checkout (one MR
// frame stored nine ways; a 20-slice JPEG 2000 CT series with uncompressed
// twins) and require byte-identical results. Fixtures in testdata/fixtures
// were made by DCMTK, GDCM, OpenJPEG and OpenJPH (testdata/gen.sh) and are
// checked against the original pixels, or for lossy JPEG against dcmdjpeg
// byte for byte; the conformance fixtures in testdata/conformance/codec
// compare with pydicom/Pillow, GDCM and DCMTK; round-trip tests encode
// synthetic images with in-test RLE and lossless JPEG encoders and, with
// cgo, with CharLS and OpenJPEG (internal/testenc).
package codec
