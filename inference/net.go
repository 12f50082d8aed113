package inference

import (
	"context"
	"fmt"
)

// Tensor is a dense float32 tensor in C order (the last axis varies
// fastest), as ONNX Runtime holds it.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Elements is the product of the shape.
func (t Tensor) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Net is one network loaded and ready to run. It is safe for use by one
// job at a time; the backend shares it between jobs of the same model.
type Net interface {
	// Run feeds in (shape [1, C, spatial...]) and calls use with the first
	// output, of shape out, while it is valid. The network writes straight
	// into a buffer the backend reuses from tile to tile, so a K-class tile
	// is neither copied nor allocated anew (ONNX Runtime's own outputs are
	// copied into fresh Go memory, which doubles the peak and leaves the
	// heap as large as the largest tile). A cancelled ctx stops a running
	// network (ONNX Runtime's terminate flag), and Run returns ctx's error.
	Run(ctx context.Context, in Tensor, out []int, use func(out Tensor) error) error
	// Device says where the network runs and, when that is not what was
	// asked for, why.
	Device() DeviceInfo
	// Close hands the network back to the backend, which may keep it warm
	// for the next job of the same model.
	Close()
}

// NetSpec says which network to open and how.
type NetSpec struct {
	Path string // the .onnx file
	// Data, when set, is the model to run instead of Path's bytes (the
	// graph with its head split off); Variant names it for the session cache.
	Data    []byte
	Variant string
	Input   string // input tensor name
	Output  string // output tensor name
	Device  string // auto, cpu or cuda
	Threads int    // intra-op threads; 0 = the backend's default
}

// DeviceInfo says where a network runs: Requested is auto, cpu or cuda;
// Used is cpu or cuda; Why explains a fallback or a choice.
type DeviceInfo struct {
	Requested string `json:"requested"`
	Used      string `json:"used"`
	Why       string `json:"why,omitempty"`
}

func (d DeviceInfo) String() string {
	if d.Why == "" {
		return d.Used
	}
	return fmt.Sprintf("%s (%s)", d.Used, d.Why)
}

// Backend opens networks: ONNX Runtime (package inference/ort) in the app,
// pure-Go fakes in tests.
type Backend interface {
	Open(spec NetSpec) (Net, error)
	// Describe names the runtime and library, for reports and the UI.
	Describe() string
}

// Devices are the execution-provider choices.
var Devices = []string{"auto", "cpu", "cuda"}

// CheckDevice validates a --device value.
func CheckDevice(d string) error {
	for _, x := range Devices {
		if d == x {
			return nil
		}
	}
	return fmt.Errorf("unknown device %q (want auto, cpu or cuda)", d)
}
