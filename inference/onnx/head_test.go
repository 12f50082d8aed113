package onnx

import (
	"os"
	"testing"
)

// tiny-fcn ends in a 1×1×1 Conv from 4 channels to 5 classes: the split
// returns its weights and a model that ends at the Relu before it, with
// the head's initializers gone.
func TestSplitHead(t *testing.T) {
	data, err := os.ReadFile("../../testdata/models/tiny-fcn/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	h, cut := SplitHead(data, m, "output")
	if h == nil {
		t.Fatal("no head found")
	}
	if h.Channels != 4 || h.Classes != 5 || len(h.Weight) != 20 || len(h.Bias) != 5 {
		t.Fatalf("head %d→%d, %d weights, %d biases", h.Channels, h.Classes, len(h.Weight), len(h.Bias))
	}
	last := m.Nodes[len(m.Nodes)-1]
	if h.Hidden != last.Inputs[0] {
		t.Errorf("hidden %q, want the last Conv's input %q", h.Hidden, last.Inputs[0])
	}
	cm, err := Parse(cut)
	if err != nil {
		t.Fatalf("the split model does not parse: %v", err)
	}
	if len(cm.Nodes) != len(m.Nodes)-1 || len(cm.Outputs) != 1 || cm.Outputs[0].Name != h.Hidden {
		t.Errorf("split model: %d nodes (was %d), outputs %+v", len(cm.Nodes), len(m.Nodes), cm.Outputs)
	}
	if _, ok := cm.Initializers[last.Inputs[1]]; ok {
		t.Error("the head's weight is still an initializer")
	}
	if len(cm.Inputs) != 1 || cm.Inputs[0].Name != "input" {
		t.Errorf("inputs %+v", cm.Inputs)
	}
	// A wrong output name, or a network whose last layer is not pointwise
	// (tiny-axis ends in a 1×1×1 Conv too, but tiny-2d's only Conv is 3×3).
	if h, _ := SplitHead(data, m, "nope"); h != nil {
		t.Error("split at an output that does not exist")
	}
	d2, err := os.ReadFile("../../testdata/models/tiny-2d/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Parse(d2)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := SplitHead(d2, m2, "output"); h != nil {
		t.Error("split a 3×3 Conv")
	}
}
