module delineate

go 1.26.8

require (
	github.com/klauspost/compress v1.20.3
	github.com/klauspost/pgzip v1.3.0
	github.com/suyashkumar/dicom v1.1.0
)

require (
	golang.org/x/exp v0.0.0-20240525044651-4c93da0ed11d // indirect
	golang.org/x/text v0.3.8 // indirect
)
