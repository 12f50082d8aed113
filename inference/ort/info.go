package ort

// TensorInfo is one input or output of a network as ONNX Runtime sees it.
type TensorInfo struct {
	Name  string  `json:"name"`
	Type  string  `json:"type"`  // float32, int64, …
	Shape []int64 `json:"shape"` // -1 for a dynamic axis
}

// IOInfo is what ONNX Runtime reports of a model file.
type IOInfo struct {
	Inputs   []TensorInfo      `json:"inputs"`
	Outputs  []TensorInfo      `json:"outputs"`
	Metadata map[string]string `json:"metadata,omitempty"`
}
