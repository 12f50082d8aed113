package labelstudio

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"delineate/viewer"
	"delineate/viewer/nifti"
)

// benchMasks are the three 512² masks of the RLE benchmark, from the real
// CT (axial slice 10 as exported): an organ (the liver of the reference
// segmentation), a ragged bone threshold (> 200 HU) and a noisy
// soft-tissue threshold (0..60 HU).
func benchMasks(tb testing.TB) map[string][]uint8 {
	tb.Helper()
	img, err := nifti.Read(sharedFile(tb, "example_ct_dicom_dcm2niix.nii.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	lab, err := nifti.Read(sharedFile(tb, "example_seg_dicom.nii.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	l, err := viewer.NewSliceLayout(img.Geometry, viewer.Axial)
	if err != nil {
		tb.Fatal(err)
	}
	const k = 10
	organ := make([]uint8, l.Width*l.Height)
	bone := make([]uint8, len(organ))
	soft := make([]uint8, len(organ))
	for y := 0; y < l.Height; y++ {
		for x := 0; x < l.Width; x++ {
			off := l.Offset(k) + x*l.ColStride + y*l.RowStride
			p := y*l.Width + x
			if lab.Data.At(off) == 5 {
				organ[p] = 1
			}
			hu := img.Data.At(off)
			if hu > 200 {
				bone[p] = 1
			}
			if hu >= 0 && hu <= 60 {
				soft[p] = 1
			}
		}
	}
	return map[string][]uint8{"organ": organ, "bone": bone, "soft": soft}
}

func BenchmarkEncodeMask(b *testing.B) {
	for _, name := range []string{"organ", "bone", "soft"} {
		m := benchMasks(b)[name]
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := EncodeMask(m, 512, 512); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeMask(b *testing.B) {
	for _, name := range []string{"organ", "bone", "soft"} {
		enc, _ := EncodeMask(benchMasks(b)[name], 512, 512)
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Decode(enc, 4*512*512); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBenchMasksForConverter writes the benchmark masks for
// scripts/bench_rle_converter.py (DELINEATE_RLE_DIR set by
// scripts/bench-rle.sh) and, when the script has written its RLEs, checks
// that they decode to exactly what ours decode to.
func TestBenchMasksForConverter(t *testing.T) {
	dir := os.Getenv("DELINEATE_RLE_DIR")
	if dir == "" {
		t.Skip("DELINEATE_RLE_DIR not set (scripts/bench-rle.sh sets it)")
	}
	masks := benchMasks(t)
	py := filepath.Join(dir, "converter_rle.json")
	b, err := os.ReadFile(py)
	if os.IsNotExist(err) {
		for name, m := range masks {
			if err := os.WriteFile(filepath.Join(dir, name+".u8"), m, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	var conv map[string][]int
	if err := json.Unmarshal(b, &conv); err != nil {
		t.Fatal(err)
	}
	for name, m := range masks {
		ours, _ := EncodeMask(m, 512, 512)
		want, err := Decode(ours, 4*512*512)
		if err != nil {
			t.Fatal(err)
		}
		c := make([]byte, len(conv[name]))
		for i, v := range conv[name] {
			c[i] = byte(v)
		}
		got, err := Decode(c, 4*512*512)
		if err != nil {
			t.Fatalf("%s: the converter's RLE does not decode: %v", name, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: the converter's RLE decodes differently", name)
		}
		t.Logf("%s: %d mask pixels; RLE bytes: ours %d, converter %d; decoded identically", name, countVoxels(u16(m)), len(ours), len(c))
	}
}

// BenchmarkExport512x300 exports a 512×512×300 CT with 30 labels
// (synthetic: blobs on every slice), every slice, encoded in parallel.
func BenchmarkExport512x300(b *testing.B) {
	g := viewer.Geometry{Dims: [3]int{512, 512, 300}, Spacing: viewer.Vec3{0.8, 0.8, 1}, Direction: viewer.Identity3}
	img, _ := viewer.NewVolume(g, viewer.Int16)
	lab, _ := viewer.NewVolume(g, viewer.Uint8)
	img.Modality = "CT"
	ip, lp := img.Data.Raw().([]int16), lab.Data.Raw().([]uint8)
	for k := 0; k < 300; k++ {
		for j := 0; j < 512; j++ {
			for i := 0; i < 512; i++ {
				n := g.Index(i, j, k)
				ip[n] = int16((i*7+j*13+k)%400 - 200)
				// 30 labels: a 6×5 grid of discs whose radius changes with k.
				ci, cj := i/85, j/102
				di, dj := i%85-42, j%102-51
				if r := 20 + (k+ci*7+cj*3)%20; di*di+dj*dj < r*r {
					lp[n] = uint8(1 + ci*5 + cj)
				}
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(b.TempDir(), "ls")
		sum, err := Export(context.Background(), out, []Item{{Case: "case_0001", Volume: img, Labels: lab}}, nil, ExportOptions{Plane: viewer.Axial, Slices: Slices{All: true}})
		if err != nil || sum.Tasks != 300 {
			b.Fatal(err, sum)
		}
		b.ReportMetric(float64(sum.Results), "results")
	}
}
