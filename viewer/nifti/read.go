package nifti

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/klauspost/compress/gzip"

	"delineate/viewer"
)

// Read loads a .nii or .nii.gz file (NIfTI-1 or NIfTI-2, either byte
// order; gzip is recognised by its magic bytes, not the name). Only the
// first volume of a 4D file is loaded, with a warning on the volume that
// says how many there are; ReadVolume loads any one of them.
//
// Files that are valid but hold no volume image (CIFTI, surfaces, tensor
// fields, RGB or complex voxels) are refused with an error wrapping
// ErrUnsupported.
func Read(path string) (*viewer.Volume, error) { return readPath(path, 0, true) }

// ReadVolume loads volume t (from 0) of a file with more than three
// dimensions — a time series, or the components of a vector field — and
// nothing else: the voxels of the other volumes are not decoded, and in a
// .nii they are not even read (the file is read at the volume's offset; a
// .nii.gz has to be inflated up to it). Volumes are numbered as
// Header.NumVolumes counts them, dim 4 fastest; Header.TimeStep gives the
// spacing of time points. For a 3D file, t = 0 is the whole image. Unlike
// Read, it adds no warning about the other volumes: the caller chose one.
func ReadVolume(path string, t int) (*viewer.Volume, error) {
	if t < 0 {
		return nil, fmt.Errorf("nifti: %s: volume %d: volumes are numbered from 0", path, t)
	}
	return readPath(path, int64(t), false)
}

func readPath(path string, vol int64, announce bool) (*viewer.Volume, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nifti: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("nifti: %w", err)
	}
	src := source{size: -1, isize: -1}
	if st.Mode().IsRegular() {
		src = source{size: st.Size(), isize: gzipTrailerSize(f, st.Size()), at: f}
	}
	v, err := decode(f, src, vol, announce)
	if err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", path, err)
	}
	return v, nil
}

// ReadFrom reads a NIfTI image from a stream, plain or gzip-compressed.
func ReadFrom(r io.Reader) (*viewer.Volume, error) {
	src := source{size: -1, isize: -1}
	switch r := r.(type) {
	case interface{ Len() int }:
		src.size = int64(r.Len())
		// An unread bytes.Reader or strings.Reader can show its gzip
		// trailer, as a file can.
		if ra, ok := r.(interface {
			io.ReaderAt
			Size() int64
		}); ok && ra.Size() == src.size {
			src.isize = gzipTrailerSize(ra, src.size)
		}
	case *os.File:
		if st, err := r.Stat(); err == nil && st.Mode().IsRegular() {
			if pos, err := r.Seek(0, io.SeekCurrent); err == nil {
				src.size = st.Size() - pos
			}
		}
	}
	v, err := decode(r, src, 0, true)
	if err != nil {
		return nil, fmt.Errorf("nifti: %w", err)
	}
	return v, nil
}

// ReadHeader reads only the header: for .nii.gz that means decompressing
// a few hundred bytes, not the image.
func ReadHeader(path string) (*Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nifti: %w", err)
	}
	defer f.Close()
	h, err := func() (h *Header, err error) {
		defer recoverInto(&err)
		h, _, err = openStream(f)
		return h, err
	}()
	if err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", path, err)
	}
	return h, nil
}

// maxDeflateRatio bounds how many bytes one compressed byte can become.
const maxDeflateRatio = 1032

// source is what is known about the input before decoding: its size in
// bytes (compressed size for gzip; −1 if unknown), the uncompressed size
// modulo 2³² from the gzip trailer (−1 if unknown), and, for a regular
// file, random access to it, so that a later volume of a plain .nii is read
// where it lies instead of after reading everything before it.
type source struct {
	size, isize int64
	at          io.ReaderAt
}

// gzipTrailerSize returns the ISIZE field of a gzip file (the last four
// bytes: uncompressed length mod 2³²), or −1.
func gzipTrailerSize(f io.ReaderAt, size int64) int64 {
	if size < 18 {
		return -1
	}
	var b [4]byte
	if _, err := f.ReadAt(b[:], size-4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(b[:]))
}

func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error while decoding (please report): %v", r)
	}
}

// openStream detects gzip, reads and parses the header, and leaves the
// returned reader positioned just after it.
func openStream(r io.Reader) (*Header, io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	peek, err := br.Peek(2)
	if len(peek) == 0 {
		if err == io.EOF || err == nil {
			return nil, nil, errors.New("empty file")
		}
		return nil, nil, err
	}
	var in io.Reader = br
	gz := len(peek) == 2 && peek[0] == 0x1f && peek[1] == 0x8b
	if gz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("corrupt gzip stream: %w", err)
		}
		zr.Multistream(false)
		in = &members{z: zr, br: br}
	}
	hdr := make([]byte, sizeofHdr2)
	n, err := io.ReadFull(in, hdr[:4])
	if err != nil {
		if n == 0 && err == io.EOF {
			return nil, nil, errors.New("empty file (nothing inside the gzip stream)")
		}
		return nil, nil, headerErr(n, 0, err)
	}
	version, _, err := detectVersion(hdr)
	if err != nil {
		return nil, nil, err
	}
	hs := headerSize(version)
	if n, err := io.ReadFull(in, hdr[4:hs]); err != nil {
		return nil, nil, headerErr(4+n, hs, err)
	}
	h, err := parseHeader(hdr[:hs])
	if err != nil {
		return nil, nil, err
	}
	h.Compressed = gz
	return h, in, nil
}

// members reads a gzip stream member by member, so that the end of the
// data (every member verified) is told apart from junk after it: some tools
// pad files, and junk after a verified image should cost a warning, not the
// image.
type members struct {
	z        *gzip.Reader
	br       *bufio.Reader
	trailing bool // bytes that are not a gzip member follow the last one
}

func (m *members) Read(p []byte) (int, error) {
	for {
		n, err := m.z.Read(p)
		if err != io.EOF {
			return n, err
		}
		// A member ended and its checksum matched. Another may follow.
		next, _ := m.br.Peek(2)
		if len(next) == 0 {
			return n, io.EOF
		}
		if len(next) < 2 || next[0] != 0x1f || next[1] != 0x8b {
			m.trailing = true
			return n, io.EOF
		}
		if err := m.z.Reset(m.br); err != nil {
			return n, err
		}
		m.z.Multistream(false)
		if n > 0 {
			return n, nil
		}
	}
}

var errChecksum = errors.New("corrupt gzip data: checksum mismatch, the file is damaged")

// readErr turns the end-of-stream errors into plain words and keeps the
// gzip ones, which say more.
func readErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("unexpected end of data")
	}
	return err
}

// headerErr describes a failure to read the header: running out of data is
// truncation, anything else from a gzip stream is corruption.
func headerErr(got, want int, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		if want == 0 {
			return fmt.Errorf("truncated header: got %d bytes", got)
		}
		return fmt.Errorf("truncated header: got %d of %d bytes", got, want)
	}
	return fmt.Errorf("corrupt data in the header: %w", err)
}

// decode reads volume vol of the file (0 for a 3D one). announce adds the
// warning that the file has other volumes, for readers that did not ask for
// one.
func decode(r io.Reader, src source, vol int64, announce bool) (v *viewer.Volume, err error) {
	defer recoverInto(&err)
	h, in, err := openStream(r)
	if err != nil {
		return nil, err
	}
	if err := h.checkSingleFile(); err != nil {
		return nil, err
	}
	intentWarns, err := h.checkIntent(vol)
	if err != nil {
		return nil, err
	}
	nvox, err := h.validate()
	if err != nil {
		return nil, err
	}
	need := nvox * int64(h.Datatype.Size())
	if need > math.MaxInt {
		return nil, fmt.Errorf("image too large for this platform: %d bytes", need)
	}
	nvol := h.NumVolumes()
	if vol >= nvol {
		return nil, fmt.Errorf("volume %d requested, but the file has %d (numbered from 0)", vol, nvol)
	}
	off := h.dataOffset()
	if vol > (math.MaxInt64-off)/max(need, 1) {
		return nil, fmt.Errorf("volume %d of %d bytes would start beyond any possible file", vol, need)
	}
	// Where the wanted volume starts, and the bytes before it that are not
	// header: extensions (DICOM tags, AFNI XML, …; Delineate has no use for
	// them) and the earlier volumes.
	start := off + vol*need
	if skip := start - int64(headerSize(h.Version)); skip > 0 {
		short := func(end int64, err error) error {
			if vol > 0 {
				return fmt.Errorf("truncated: volume %d starts at byte %d but the data ends at byte %d: %w", vol, start, end, readErr(err))
			}
			return fmt.Errorf("truncated: vox_offset is %d but the data ends at byte %d: %w", off, end, readErr(err))
		}
		if !h.Compressed && src.at != nil && src.size >= 0 {
			// A plain file: read at the offset, skipping nothing.
			if src.size < start {
				return nil, short(src.size, io.EOF)
			}
			in = io.NewSectionReader(src.at, start, src.size-start)
		} else if n, err := io.CopyN(io.Discard, in, skip); err != nil {
			if errors.Is(err, gzip.ErrChecksum) {
				return nil, errChecksum
			}
			return nil, short(int64(headerSize(h.Version))+n, err)
		}
	}

	// How much to allocate before any voxel has arrived. A plain file's
	// size is known, so a short one fails here with no allocation. A gzip
	// stream's size is only known when the trailer agrees with the header;
	// otherwise the buffer grows as data arrives, so a truncated or hostile
	// stream fails long before a header-sized allocation.
	hint := int64(1 << 20)
	switch {
	case !h.Compressed && src.size >= 0:
		avail := max(src.size-start, 0)
		if avail < need {
			if vol > 0 {
				return nil, fmt.Errorf("truncated: expected %d bytes of voxels for volume %d, got %d", need, vol, avail)
			}
			return nil, fmt.Errorf("truncated: expected %d bytes of voxels, got %d", need, avail)
		}
		hint = need
	case h.Compressed && src.isize >= 0 && src.size >= 0:
		// Trust the trailer only as far as deflate can expand: at most
		// 1032:1, so a forged trailer on a small file buys little.
		total := off + need*nvol
		if nvol < math.MaxInt64/max(need, 1) && uint32(total) == uint32(src.isize) &&
			need/maxDeflateRatio < src.size {
			hint = need
		}
	}
	if hint == need {
		// The size is known: a volume the machine cannot hold is refused
		// before anything is read (the estimate is in the error).
		if err := viewer.CheckAllocation(need, "the image"); err != nil {
			return nil, err
		}
	}
	raw, got, err := readGrowing(in, int(need), int(min(hint, need)))
	if err != nil {
		if errors.Is(err, gzip.ErrChecksum) {
			return nil, errChecksum
		}
		if h.Compressed {
			return nil, fmt.Errorf("corrupt gzip data after %d of %d bytes of voxels: %w", got, need, err)
		}
		return nil, fmt.Errorf("reading voxels: %w (after %d of %d bytes)", err, got, need)
	}
	if int64(got) < need {
		return nil, fmt.Errorf("truncated: expected %d bytes of voxels, got %d", need, got)
	}

	v = &viewer.Volume{Description: h.Descrip}
	if h.Compressed && vol == nvol-1 {
		// The gzip checksum is only verified at the end of the stream;
		// after the last volume (the only one of a 3D file) reading on to
		// it costs nothing and catches corruption that would otherwise
		// show up as silent garbage.
		switch _, err := io.CopyN(io.Discard, in, 1<<20); {
		case err == nil:
		case err == io.EOF:
			if m, ok := in.(*members); ok && m.trailing {
				v.Warnf("data after the end of the gzip stream was ignored")
			}
		case errors.Is(err, gzip.ErrChecksum):
			return nil, errChecksum
		case err == io.ErrUnexpectedEOF:
			v.Warnf("the gzip stream ends without its trailer: voxel data could not be verified")
		default:
			return nil, fmt.Errorf("corrupt gzip data after the voxels: %w", err)
		}
	}

	g, _, warns := h.geometry()
	v.Geometry = g
	v.Warnings = append(v.Warnings, warns...)
	v.Warnings = append(v.Warnings, intentWarns...)
	if announce && nvol > 1 && !(h.isVectorField() && h.components() == nvol) {
		v.Warnf("%dD file with %d volumes: loaded the first (volume 1 of %d)", h.Dim[0], nvol, nvol)
	}
	v.Data, err = decodeVoxels(raw, h.Datatype, h.ByteOrder, newScaling(h.SclSlope, h.SclInter))
	if err != nil {
		return nil, err
	}
	if lo, hi := h.CalMin, h.CalMax; hi > lo && !math.IsInf(hi-lo, 0) {
		v.Windows = []viewer.WindowPreset{{Name: "cal_min/cal_max", Center: (lo + hi) / 2, Width: hi - lo}}
	}
	return v, nil
}

// readGrowing reads exactly need bytes if the stream has them, starting
// with a buffer of hint bytes and doubling it as data keeps arriving. It
// returns the (aligned) buffer, the count read and any error other than a
// short stream.
func readGrowing(r io.Reader, need, hint int) ([]byte, int, error) {
	buf := alignedBytes(max(hint, min(need, 64<<10)))
	n := 0
	for n < need {
		if n == len(buf) {
			nb := alignedBytes(min(need, 2*len(buf)))
			copy(nb, buf)
			buf = nb
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, n, err
		}
		if m == 0 {
			// A reader that returns (0, nil) forever would spin here;
			// tolerate a few, as io.Reader allows, then give up.
			if m, err = readAtLeastOne(r, buf[n:]); err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					break
				}
				return nil, n, err
			}
			n += m
		}
	}
	return buf, n, nil
}

func readAtLeastOne(r io.Reader, b []byte) (int, error) {
	for range 100 {
		if m, err := r.Read(b); m > 0 || err != nil {
			return m, err
		}
	}
	return 0, io.ErrNoProgress
}
