package dicom

import (
	"context"
	"testing"
)

// benchLoad measures scan + decode of a whole series, the wait a user has
// when opening a study.
func benchLoad(b *testing.B, dir string) {
	var bytes int64
	for i := 0; i < b.N; i++ {
		res, err := Scan(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		v, err := res.Series[0].Load(context.Background(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		bytes = int64(v.Data.Len() * v.Data.Type().Size())
	}
	b.SetBytes(bytes)
}

func BenchmarkLoadSeriesJ2K20(b *testing.B) { benchLoad(b, sharedData(b, "ct-dicom-series-j2k")) }
func BenchmarkLoadSeriesRaw20(b *testing.B) { benchLoad(b, sharedData(b, "ct-dicom-series-raw")) }

func BenchmarkScanHeadersRaw20(b *testing.B) {
	dir := sharedData(b, "ct-dicom-series-raw")
	for i := 0; i < b.N; i++ {
		if _, err := Scan(context.Background(), dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
