package nifti

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/pgzip"

	"delineate/viewer"
)

// WriteOptions controls Write.
type WriteOptions struct {
	// Overwrite allows replacing an existing file.
	Overwrite bool
	// Description goes into the header's descrip field (79 bytes at most).
	// It must never carry patient identity: the volume's own Description is
	// deliberately not used.
	Description string
	// NoSync skips the fsync before the rename, for files that can be made
	// again (a conversion): the rename still keeps a half-written file from
	// ever carrying the name, but after a power cut the file may be
	// missing its data. Saving a person's labels never sets it.
	NoSync bool
	// Volumes above 1 makes a 4D file (dim[0] = 4, dim[4] = Volumes) of
	// that many volumes on the volume's grid, written with Create or
	// CreateFor and then WriteVoxels, volume after volume; 0 or 1 is a 3D
	// file. Write itself takes one volume and refuses more.
	Volumes int
	// TimeStep is the time between volumes in seconds, stored as pixdim[4]
	// with the time unit seconds in xyzt_units. 0 leaves it unknown
	// (pixdim[4] = 0, no time unit). Used only when Volumes > 1.
	TimeStep float64
}

// gzipLevel is the deflate level for .nii.gz output. Measured on 2 cores
// with BenchmarkGzipLevels (synthetic CT) and on the real CTs in
// ../shared/data: level 2 compresses 2.2–2.4× as fast as the default level
// 6 for files 1–2.5% larger, and is as fast as level 1 (BestSpeed) or
// faster while 3–5% smaller, level 1's simpler matcher missing matches that
// noisy 16-bit data offers. Level 9 takes 6× as long as level 2 to save
// about 1%.
const gzipLevel = 2

// Write saves v as a NIfTI file: NIfTI-1 unless a dimension exceeds 32767,
// little-endian, gzip-compressed when the name ends in .gz. The file appears
// atomically: it is written to a temporary file in the same directory,
// synced and renamed, so a crash never leaves a half-written image under
// the final name.
func Write(path string, v *viewer.Volume, opt WriteOptions) (err error) {
	if opt.Volumes > 1 {
		return fmt.Errorf("nifti: %s: Write takes one volume, not %d: write a 4D file with Create and WriteVoxels", path, opt.Volumes)
	}
	st, err := Create(path, v, opt)
	if err != nil {
		return err
	}
	if err := st.WriteVoxels(v.Data, 0, v.Data.Len()); err != nil {
		st.Abort()
		return err
	}
	return st.Close()
}

// Stream writes a NIfTI file whose voxels arrive in pieces (a conversion
// writes each slice as soon as it is read), with Write's guarantees: the
// file gets its name only once complete (Close), and Abort leaves nothing.
type Stream struct {
	path      string
	opt       WriteOptions
	gz        bool
	mode      os.FileMode
	tmp       *os.File
	w         io.Writer
	zw        *pgzip.Writer
	typ       viewer.DataType
	total     int64 // voxel bytes of the whole file
	remaining int64 // voxel bytes still to come
}

// Create starts writing v's header to path; the voxels follow through
// WriteVoxels, in storage order. Only v's geometry, type and length are
// used here, so its voxels may still be arriving. With opt.Volumes = T > 1
// the file is 4D and WriteVoxels takes T × v.NumVoxels() voxels, volume 0
// first.
func Create(path string, v *viewer.Volume, opt WriteOptions) (st *Stream, err error) {
	lower := strings.ToLower(path)
	gz := strings.HasSuffix(lower, ".gz")
	if !strings.HasSuffix(lower, ".nii") && !strings.HasSuffix(lower, ".nii.gz") {
		return nil, fmt.Errorf("nifti: %s: file name must end in .nii or .nii.gz", path)
	}
	hdr, err := encode(v, opt)
	if err != nil {
		return nil, fmt.Errorf("nifti: %s: %w", path, err)
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		if !opt.Overwrite {
			return nil, fmt.Errorf("nifti: %s exists; not overwriting: %w", path, os.ErrExist)
		}
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("nifti: %w", err)
	}
	total := int64(max(opt.Volumes, 1)) * int64(v.Data.Len()) * int64(v.Data.Type().Size())
	st = &Stream{path: path, opt: opt, gz: gz, mode: mode, tmp: tmp, w: tmp, typ: v.Data.Type(),
		total: total, remaining: total}
	if gz {
		if st.zw, err = pgzip.NewWriterLevel(tmp, gzipLevel); err != nil {
			st.Abort()
			return nil, fmt.Errorf("nifti: %w", err)
		}
		st.w = st.zw
	}
	if _, err := st.w.Write(hdr); err != nil {
		st.Abort()
		return nil, fmt.Errorf("nifti: writing %s: %w", path, err)
	}
	return st, nil
}

// CreateFor is Create for a volume of type t described by hdr (its
// geometry and windows; its Data is not used) whose voxels are not in
// memory at all: they are streamed through WriteVoxels.
func CreateFor(path string, hdr *viewer.Volume, t viewer.DataType, opt WriteOptions) (*Stream, error) {
	v := *hdr
	v.Data = shape{t, hdr.NumVoxels()}
	return Create(path, &v, opt)
}

// shape is voxel data of a type and length only, for a header.
type shape struct {
	t viewer.DataType
	n int
}

func (s shape) Type() viewer.DataType { return s.t }
func (s shape) Len() int              { return s.n }
func (s shape) At(int) float64        { return 0 }
func (s shape) Raw() any              { return nil }

// WriteVoxels appends voxels [from, from+n) of d, little-endian. d must
// have the type the header was made for. The voxels of a 4D file come
// volume after volume, in as many calls as suit the caller: a call may
// span the end of one volume and the start of the next.
func (st *Stream) WriteVoxels(d viewer.VoxelData, from, n int) error {
	if from < 0 || n < 0 || from+n > d.Len() {
		return fmt.Errorf("nifti: voxels [%d, %d) of %d", from, from+n, d.Len())
	}
	if d.Type() != st.typ {
		return fmt.Errorf("nifti: %s: voxels of type %v for a file of type %v", st.path, d.Type(), st.typ)
	}
	size := d.Type().Size()
	b, err := voxelBytesRange(d, from, n)
	if err != nil {
		return fmt.Errorf("nifti: %s: %w", st.path, err)
	}
	if int64(n*size) > st.remaining {
		return fmt.Errorf("nifti: %s: more voxels than the header declares", st.path)
	}
	// In pieces: one write of a whole large volume makes the kernel find
	// all its page-cache pages at once (measured: 240 ms for 150 MiB in one
	// write, 40–50 ms in 16 MiB writes).
	for off := 0; off < len(b); off += writeChunk {
		if _, err := st.w.Write(b[off:min(len(b), off+writeChunk)]); err != nil {
			return fmt.Errorf("nifti: writing %s: %w", st.path, err)
		}
	}
	st.remaining -= int64(len(b))
	return nil
}

const writeChunk = 16 << 20

// Abort removes the unfinished file.
func (st *Stream) Abort() {
	if st.tmp != nil {
		st.tmp.Close()
		os.Remove(st.tmp.Name())
		st.tmp = nil
	}
}

// Close finishes the file and gives it its name.
func (st *Stream) Close() (err error) {
	if st.tmp == nil {
		return fmt.Errorf("nifti: %s: already closed", st.path)
	}
	defer func() {
		if err != nil {
			st.Abort()
		}
	}()
	if st.remaining != 0 {
		if st.opt.Volumes > 1 {
			per := st.perVolume()
			return fmt.Errorf("nifti: %s: %d voxel bytes missing: %d of %d volumes complete", st.path, st.remaining,
				int64(st.opt.Volumes)-(st.remaining+per-1)/per, st.opt.Volumes)
		}
		return fmt.Errorf("nifti: %s: %d voxel bytes missing", st.path, st.remaining)
	}
	if st.zw != nil {
		if err = st.zw.Close(); err != nil {
			return fmt.Errorf("nifti: writing %s: %w", st.path, err)
		}
	}
	tmp := st.tmp
	if err = tmp.Chmod(st.mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("nifti: %w", err)
	}
	if !st.opt.NoSync {
		if err = tmp.Sync(); err != nil {
			return fmt.Errorf("nifti: writing %s: %w", st.path, err)
		}
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("nifti: writing %s: %w", st.path, err)
	}
	st.tmp = nil
	if err = publish(tmp.Name(), st.path, st.opt.Overwrite); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if !st.opt.NoSync {
		syncDir(filepath.Dir(st.path))
	}
	return nil
}

// perVolume is the byte size of one volume.
func (st *Stream) perVolume() int64 {
	return st.total / int64(max(st.opt.Volumes, 1))
}

// publish moves the finished temporary file to its name. Without Overwrite
// it uses a hard link, which fails if the name was taken in the meantime,
// rather than a rename, which would silently replace it.
func publish(tmp, path string, overwrite bool) error {
	if !overwrite {
		err := os.Link(tmp, path)
		if err == nil {
			os.Remove(tmp)
			return nil
		}
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("nifti: %s exists; not overwriting: %w", path, os.ErrExist)
		}
		// No hard links here (FAT, some network shares): check and rename.
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("nifti: %s exists; not overwriting: %w", path, os.ErrExist)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("nifti: %w", err)
	}
	return nil
}

// syncDir makes the rename durable. It is best effort: not every platform
// can sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// encode builds the header (with extension flag) of v.
func encode(v *viewer.Volume, opt WriteOptions) (hdr []byte, err error) {
	if v == nil || v.Data == nil {
		return nil, errors.New("no voxel data")
	}
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("invalid geometry: %w", err)
	}
	if v.Data.Len() != v.NumVoxels() {
		return nil, fmt.Errorf("voxel count %d does not match dimensions %v", v.Data.Len(), v.Dims)
	}
	h, version, err := headerFor(v, opt.Description)
	if err != nil {
		return nil, err
	}
	if err := setVolumes(h, &version, opt); err != nil {
		return nil, err
	}
	return encodeHeader(h, version, binary.LittleEndian)
}

// headerFor fills a header for v. Both sform and qform are set (code 1,
// scanner-based) and agree, because readers differ in which they prefer:
// ITK and Slicer lean on the qform, FSL and nibabel on the sform.
func headerFor(v *viewer.Volume, desc string) (*Header, int, error) {
	dt, err := datatypeFor(v.Data.Type())
	if err != nil {
		return nil, 0, err
	}
	version := 1
	for _, d := range v.Dims {
		if d > math.MaxInt16 {
			version = 2
		}
	}
	aff := v.AffineRAS()
	var dirRAS viewer.Mat3
	for r := range 3 {
		for c := range 3 {
			dirRAS[r][c] = v.Direction[r][c]
			if r < 2 {
				dirRAS[r][c] = -dirRAS[r][c]
			}
		}
	}
	q, qfac := affineToQuatern(dirRAS)
	q = storableQuatern(q, version)
	h := &Header{
		Dim:       [8]int64{3, int64(v.Dims[0]), int64(v.Dims[1]), int64(v.Dims[2]), 1, 1, 1, 1},
		Datatype:  dt,
		Bitpix:    8 * dt.Size(),
		Pixdim:    [8]float64{qfac, v.Spacing[0], v.Spacing[1], v.Spacing[2], 1, 1, 1, 1},
		SclSlope:  1,
		XYZTUnits: unitsMM,
		QformCode: 1,
		SformCode: 1,
		Quatern:   q,
		QOffset:   viewer.Vec3{aff[0][3], aff[1][3], aff[2][3]},
		Descrip:   cleanString(desc),
	}
	for r := range 3 {
		h.Srow[r] = aff[r]
	}
	h.VoxOffset = voxOffset1
	if version == 2 {
		h.VoxOffset = voxOffset2
	} else if err := fitsFloat32(h); err != nil {
		return nil, 0, err
	}
	if len(v.Windows) > 0 {
		w := v.Windows[0]
		if w.Width > 0 && !math.IsInf(w.Width, 0) && !math.IsNaN(w.Center) {
			h.CalMin, h.CalMax = w.Center-w.Width/2, w.Center+w.Width/2
		}
	}
	return h, version, nil
}

// setVolumes makes h 4D when opt asks for more than one volume, switching
// to NIfTI-2 when the count does not fit NIfTI-1's int16.
func setVolumes(h *Header, version *int, opt WriteOptions) error {
	if opt.Volumes < 0 {
		return fmt.Errorf("invalid volume count %d", opt.Volumes)
	}
	if ts := opt.TimeStep; ts < 0 || math.IsNaN(ts) || math.IsInf(ts, 0) {
		return fmt.Errorf("invalid time step %g s", ts)
	}
	if opt.Volumes <= 1 {
		return nil
	}
	n := int64(h.Dim[1]) * int64(h.Dim[2]) * int64(h.Dim[3])
	if int64(opt.Volumes) > math.MaxInt64/8/n {
		return fmt.Errorf("%d volumes of %d voxels is too large", opt.Volumes, n)
	}
	h.Dim[0], h.Dim[4] = 4, int64(opt.Volumes)
	if opt.Volumes > math.MaxInt16 && *version == 1 {
		*version = 2
		h.VoxOffset = voxOffset2
	}
	if opt.TimeStep > 0 {
		h.Pixdim[4] = opt.TimeStep
		h.XYZTUnits = unitsMM | unitsSec
		if f := float32(opt.TimeStep); *version == 1 && (f == 0 || math.IsInf(float64(f), 0)) {
			return fmt.Errorf("time step %g s is out of range for NIfTI-1", opt.TimeStep)
		}
	} else {
		h.Pixdim[4] = 0
	}
	return nil
}

// voxelBytesRange is the little-endian byte image of voxels [from,
// from+n) of d: on a little-endian host the array's own memory, with no
// copy.
func voxelBytesRange(d viewer.VoxelData, from, n int) ([]byte, error) {
	var b []byte
	var size int
	switch s := d.Raw().(type) {
	case []uint8:
		return asBytes(s[from : from+n]), nil
	case []int8:
		return asBytes(s[from : from+n]), nil
	case []uint16:
		b, size = asBytes(s[from:from+n]), 2
	case []int16:
		b, size = asBytes(s[from:from+n]), 2
	case []uint32:
		b, size = asBytes(s[from:from+n]), 4
	case []int32:
		b, size = asBytes(s[from:from+n]), 4
	case []float32:
		b, size = asBytes(s[from:from+n]), 4
	default:
		return nil, fmt.Errorf("unsupported voxel slice %T", s)
	}
	if nativeOrder != binary.LittleEndian {
		c := alignedBytes(len(b))
		copy(c, b)
		swapBytes(c, size)
		b = c
	}
	return b, nil
}

// fitsFloat32 refuses geometry that NIfTI-1's float32 fields would turn into
// infinities or zeros, since the file could not be read back.
func fitsFloat32(h *Header) error {
	for i := 1; i <= 3; i++ {
		if f := float32(h.Pixdim[i]); !(f > 0) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("spacing %g is out of range for NIfTI-1", h.Pixdim[i])
		}
	}
	for r := range 3 {
		for c := range 4 {
			if math.IsInf(float64(float32(h.Srow[r][c])), 0) {
				return fmt.Errorf("affine entry %g is out of range for NIfTI-1", h.Srow[r][c])
			}
		}
	}
	return nil
}

// storableQuatern adjusts b, c, d of a (nearly) 180° rotation so that,
// once rounded to the file's float type, b²+c²+d² is not below 1. Readers
// derive a = sqrt(1−b²−c²−d²); rounding that leaves the sum at 1−1e-7
// would make them compute a ≈ 3e-4 and tilt the image by a milliradian
// (nibabel does exactly that), while a sum of 1 or just above is read as
// a = 0 by nibabel, nifti_io and this package alike.
func storableQuatern(q viewer.Vec3, version int) viewer.Vec3 {
	eps := 1e-7
	if version == 2 {
		eps = 1e-15
	}
	n2 := q.Dot(q)
	if 1-n2 >= eps || n2 == 0 {
		return q
	}
	n := math.Sqrt(n2)
	q = viewer.Vec3{q[0] / n, q[1] / n, q[2] / n}
	big := 0
	for i := range 3 {
		if math.Abs(q[i]) > math.Abs(q[big]) {
			big = i
		}
	}
	if version == 2 {
		for q.Dot(q) < 1 {
			q[big] = math.Nextafter(q[big], math.Copysign(2, q[big]))
		}
		return q
	}
	var f [3]float32
	for i := range 3 {
		f[i] = float32(q[i])
	}
	sum := func() float64 {
		return float64(f[0])*float64(f[0]) + float64(f[1])*float64(f[1]) + float64(f[2])*float64(f[2])
	}
	for sum() < 1 {
		f[big] = math.Nextafter32(f[big], float32(math.Copysign(2, float64(f[big]))))
	}
	return viewer.Vec3{float64(f[0]), float64(f[1]), float64(f[2])}
}

// voxelBytes is the little-endian byte image of all of d.
func voxelBytes(d viewer.VoxelData) ([]byte, error) { return voxelBytesRange(d, 0, d.Len()) }
