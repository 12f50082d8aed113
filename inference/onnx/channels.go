package onnx

import "math"

// MaxChannels is the largest channel count of an intermediate activation
// computed by a Conv or ConvTranspose, read from its weight's dimensions
// (dims[0] of a Conv weight [M, C/group, k...]; dims[1]·group of a
// ConvTranspose weight [C, M/group, k...]), or 0 if there is no
// convolution whose weight is an initializer or a Constant. The tiler
// multiplies it by a tile's voxel count to estimate activation memory.
//
// Convolutions that compute a graph output (directly, or through
// channel-wise ops such as Softmax) are left out unless there are no
// others: the tiler counts the output tensor separately, by its class
// count, so the 104-class MeshNet's widest layer is its 21 hidden
// channels, not its 104 logits. Channel counts that grow without a
// convolution (a Concat of skip connections) are not seen.
func (m *Model) MaxChannels() int {
	constDims := map[string][]int64{}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if n.Domain == "" && n.Op == "Constant" && len(n.Outputs) == 1 {
			if v := constantValue(n); v.dims != nil {
				constDims[n.Outputs[0]] = v.dims
			}
		}
	}
	final := m.finalValues()
	hidden, outer := int64(0), int64(0)
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if n.Domain != "" || (n.Op != "Conv" && n.Op != "ConvTranspose") || len(n.Inputs) < 2 || len(n.Outputs) < 1 {
			continue
		}
		dims, ok := m.Initializers[n.Inputs[1]]
		if !ok {
			dims = constDims[n.Inputs[1]]
		}
		var c int64
		switch {
		case n.Op == "Conv" && len(dims) >= 1:
			c = dims[0]
		case n.Op == "ConvTranspose" && len(dims) >= 2:
			g := intAttr(n, "group", 1)
			if g < 1 || dims[1] > 0 && g > math.MaxInt32/dims[1] {
				continue
			}
			c = dims[1] * g
		}
		if final[n.Outputs[0]] {
			outer = max(outer, c)
		} else {
			hidden = max(hidden, c)
		}
	}
	if hidden == 0 {
		hidden = outer
	}
	return int(min(hidden, math.MaxInt32))
}

// finalOps keep the channels of their one input: a value they turn into a
// graph output is as much the output as their result.
var finalOps = map[string]bool{
	"Identity": true, "Softmax": true, "LogSoftmax": true, "Sigmoid": true, "Cast": true, "Relu": true,
}

// finalValues are the graph outputs and the values that become one
// through finalOps alone.
func (m *Model) finalValues() map[string]bool {
	producer := map[string]*Node{}
	for i := range m.Nodes {
		for _, o := range m.Nodes[i].Outputs {
			producer[o] = &m.Nodes[i]
		}
	}
	final := map[string]bool{}
	var todo []string
	for _, o := range m.Outputs {
		final[o.Name] = true
		todo = append(todo, o.Name)
	}
	for len(todo) > 0 {
		v := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		n := producer[v]
		if n == nil || n.Domain != "" || !finalOps[n.Op] || len(n.Inputs) < 1 || len(n.Outputs) != 1 || final[n.Inputs[0]] {
			continue
		}
		final[n.Inputs[0]] = true
		todo = append(todo, n.Inputs[0])
	}
	return final
}
