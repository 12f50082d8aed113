package nifti

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/klauspost/pgzip"

	"delineate/viewer"
)

// syntheticCT builds a 512×512×300 int16 volume that compresses like a real
// abdominal CT: air around an elliptical body with a fat layer, organs,
// lungs in the upper slices, a spine with cortical bone, a table, and noise
// of about 12 HU everywhere (the noise is what makes CT compress only 2–3×).
var syntheticCT = sync.OnceValue(func() *viewer.Volume {
	const nx, ny, nz = 512, 512, 300
	g := viewer.Geometry{
		Dims:      [3]int{nx, ny, nz},
		Spacing:   viewer.Vec3{0.78, 0.78, 1.5},
		Origin:    viewer.Vec3{-200, -200, -450},
		Direction: viewer.Identity3,
	}
	v, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		panic(err)
	}
	s := v.Data.Raw().([]int16)
	rng := rand.New(rand.NewPCG(42, 43))
	noise := func() float64 {
		// Sum of four uniforms: near-Gaussian, σ ≈ 12 HU, cheap.
		r := rng.Uint64()
		sum := float64(r&0xffff) + float64(r>>16&0xffff) + float64(r>>32&0xffff) + float64(r>>48)
		return (sum/65535 - 2) * 20.8
	}
	in := func(x, y, cx, cy, rx, ry float64) bool {
		dx, dy := (x-cx)/rx, (y-cy)/ry
		return dx*dx+dy*dy <= 1
	}
	for k := range nz {
		z := float64(k) / nz
		bodyRX, bodyRY := 200+20*math.Sin(z*3), 150+10*math.Cos(z*2)
		lungs := z > 0.6
		for j := range ny {
			y := float64(j)
			for i := range nx {
				x := float64(i)
				hu := -1000.0
				switch {
				case y > 430 && y < 440 && x > 60 && x < 452:
					hu = 200 // table
				case in(x, y, 256, 256, bodyRX, bodyRY):
					hu = 40
					if !in(x, y, 256, 256, bodyRX-15, bodyRY-15) {
						hu = -100 // subcutaneous fat
					} else if in(x, y, 256, 340, 28, 28) {
						hu = 300 // vertebral body
						if !in(x, y, 256, 340, 22, 22) {
							hu = 1200 // cortex
						}
					} else if lungs && (in(x, y, 180, 240, 60, 90) || in(x, y, 332, 240, 60, 90)) {
						hu = -850 + 40*math.Sin(x/7)*math.Cos(y/5)
					} else if !lungs && in(x, y, 190, 230, 80, 60) {
						hu = 60 // liver
					} else if !lungs && in(x, y, 330, 260, 25, 40) {
						hu = 30 // kidney
					}
				}
				s[i+nx*(j+ny*k)] = int16(math.Round(hu + noise()))
			}
		}
	}
	return v
})

func benchRead(b *testing.B, ext string) {
	v := syntheticCT()
	p := filepath.Join(b.TempDir(), "ct"+ext)
	if err := Write(p, v, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(v.Data.Len() * 2))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w, err := Read(p)
		if err != nil {
			b.Fatal(err)
		}
		if w.Data.Len() != v.Data.Len() {
			b.Fatal("short")
		}
	}
}

func benchWrite(b *testing.B, ext string) {
	v := syntheticCT()
	dir := b.TempDir()
	b.SetBytes(int64(v.Data.Len() * 2))
	b.ReportAllocs()
	var size int64
	b.ResetTimer()
	for b.Loop() {
		p := filepath.Join(dir, "out"+ext)
		if err := Write(p, v, WriteOptions{Overwrite: true}); err != nil {
			b.Fatal(err)
		}
		if st, err := os.Stat(p); err == nil {
			size = st.Size()
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB-file")
}

// The four benchmarks measure whole-file Read and Write, fsync and
// rename included, of a 512×512×300 int16 CT (150 MiB of voxels); MB/s is
// of uncompressed voxels.
func BenchmarkReadNIfTI(b *testing.B)    { benchRead(b, ".nii") }
func BenchmarkReadNIfTIGz(b *testing.B)  { benchRead(b, ".nii.gz") }
func BenchmarkWriteNIfTI(b *testing.B)   { benchWrite(b, ".nii") }
func BenchmarkWriteNIfTIGz(b *testing.B) { benchWrite(b, ".nii.gz") }

// BenchmarkGzipLevels is the measurement behind gzipLevel: compression
// throughput and size at each level, in memory, on the synthetic CT.
func BenchmarkGzipLevels(b *testing.B) {
	data, _ := voxelBytes(syntheticCT().Data)
	for _, level := range []int{1, 2, 3, 4, 6, 9} {
		b.Run(fmt.Sprintf("level%d", level), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				w, _ := pgzip.NewWriterLevel(&out, level)
				w.Write(data)
				w.Close()
			}
			b.ReportMetric(float64(len(data))/float64(out.Len()), "ratio")
			b.ReportMetric(float64(out.Len())/(1<<20), "MiB-file")
		})
	}
}
