package nnunet

import (
	"encoding/json"
	"testing"
)

// FuzzDatasetJSON: any dataset.json is parsed or refused with an error,
// and the label rules never panic on what parses.
func FuzzDatasetJSON(f *testing.F) {
	f.Add([]byte(`{"channel_names":{"0":"CT"},"labels":{"background":0,"liver":1},"numTraining":2,"file_ending":".nii.gz"}`))
	f.Add([]byte(`{"channel_names":{"0":"CT"},"labels":{"0":"background","1":"liver"},"numTraining":2,"file_ending":".nii.gz"}`))
	f.Add([]byte(`{"channel_names":{"0":"CT"},"labels":{"background":0,"r":[1,2],"ignore":3},"numTraining":1,"file_ending":".nii"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var raw map[string]json.RawMessage
		if json.Unmarshal(b, &raw) != nil {
			return
		}
		for _, k := range requiredKeys {
			if _, ok := raw[k]; !ok {
				return
			}
		}
		ds, err := parseDataset(raw)
		if err != nil {
			return
		}
		_, _ = expectedLabels(ds.Labels)
	})
}
