package nifti

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/klauspost/pgzip"
)

func BenchmarkZZRealLevels(b *testing.B) {
	for _, rel := range []string{"ct-dicom-series-reference/example_ct_dicom_dcm2niix.nii.gz", "ct-abdomen/example_ct.nii.gz", "mr-brain/t1_crop.nii.gz"} {
		v, err := Read(sharedData + "/" + rel)
		if err != nil {
			b.Skip(err)
		}
		data, _ := voxelBytes(v.Data)
		for _, level := range []int{1, 2, 3, 6} {
			b.Run(fmt.Sprintf("%s/level%d", rel[:8], level), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				var out bytes.Buffer
				for b.Loop() {
					out.Reset()
					w, _ := pgzip.NewWriterLevel(&out, level)
					w.Write(data)
					w.Close()
				}
				b.ReportMetric(float64(len(data))/float64(out.Len()), "ratio")
			})
		}
	}
}
