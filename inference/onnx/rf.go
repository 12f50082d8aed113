package onnx

import (
	"fmt"
	"math"
	"math/big"
)

// RF is the result of the receptive-field analysis of a graph, for tiling.
//
// Local reports whether every output voxel depends only on input voxels
// within a bounded distance, so that a volume can be cut into overlapping
// tiles, run tile by tile and stitched back to exactly what one whole pass
// would give. When it is false, Reason names the first op and node that
// mixes information across the whole spatial extent (InstanceNormalization,
// a global pool, a reduction over a spatial axis, a MatMul or Flatten after
// the spatial axes, a Resize to a fixed size, ...) or that the analysis
// cannot follow (an unknown op, a Reshape of an activation, a sub-graph);
// the analysis is conservative, so a false Local can be a network that
// would in fact tile, never the other way round. Radius and Stride are then
// nil.
//
// Radius and Stride have one entry per spatial axis of the first input, in
// tensor order (D, H, W for an [N, C, D, H, W] input). Radius is the number
// of input voxels on each side of an output voxel that can influence it: a
// tile margin of at least Radius makes tiling exact. Stride is the total
// downsampling factor along the axis: the least common multiple of the
// strides at which any activation is computed, so a tile size must be a
// multiple of it for every layer to see whole voxels.
type RF struct {
	Local  bool
	Reason string
	Radius []int
	Stride []int
}

// ReceptiveField analyses the graph for tiling; see RF.
//
// Every value in the graph is classified as static (independent of the
// input's voxel values: weights, constants, shapes), as an activation on
// the input's grid, or as non-local with a reason. An activation's
// geometry along each spatial axis is three exact rationals, in input
// voxels: its scale (input voxels per voxel), the input position of its
// voxel 0, and its radius. A Conv with kernel k, dilation d, stride s and
// begin padding p on an activation of scale S moves the position by
// S·(d(k-1)/2 − p), adds S·d(k-1)/2 to the radius and multiplies the scale
// by s; pooling is the same; ConvTranspose, Resize, Upsample and
// DepthToSpace divide the scale and add their interpolation footprint; Pad
// shifts the position; elementwise ops add nothing, and where two
// activations meet (Add, Concat over channels) the radius is the larger,
// widened by any difference in position. Asymmetric padding thus shows up
// as a shifted position, which the final radius includes: the radius
// reported is the radius plus the distance between where an output voxel
// is computed and where it sits (voxel j at input position j·scale),
// rounded up.
func (m *Model) ReceptiveField() RF {
	if len(m.Inputs) == 0 {
		return RF{Reason: "the model has no inputs"}
	}
	in := m.Inputs[0]
	if !in.HasShape {
		return RF{Reason: fmt.Sprintf("input %q has no shape, so its spatial axes are unknown", in.Name)}
	}
	rank := len(in.Shape)
	if rank < 3 {
		return RF{Reason: fmt.Sprintf("input %q has rank %d: no spatial axes after batch and channels", in.Name, rank)}
	}
	a := &rfAnalysis{m: m, nsp: rank - 2, opset: m.Opsets[""], vals: map[string]*value{}}
	a.stride = make([]*big.Int, a.nsp)
	for i := range a.stride {
		a.stride[i] = big.NewInt(1)
	}
	for name, dims := range m.Initializers {
		a.vals[name] = &value{kind: kStatic, dims: dims, vals: m.smallInits[name]}
	}
	// Later inputs of the same rank are taken to be on the same grid (an
	// image and a prior mask, say): the tiler would cut them alike. Any
	// other input is something tiling cannot cut.
	for i, v := range m.Inputs {
		switch {
		case i == 0 || v.HasShape && len(v.Shape) == rank:
			a.vals[v.Name] = a.identity(rank)
		default:
			a.vals[v.Name] = softf("input %q is not on the first input's grid", v.Name)
		}
	}
	order, reason := a.topoOrder()
	if reason != "" {
		return RF{Reason: reason}
	}
	for _, i := range order {
		n := &m.Nodes[i]
		outs := a.eval(i, n)
		for k, o := range n.Outputs {
			if o != "" {
				a.vals[o] = outs[k]
			}
		}
	}
	return a.result(in.Name)
}

type valueKind uint8

const (
	kStatic  valueKind = iota // does not depend on the input's voxel values
	kSpatial                  // an activation laid out on the input's grid
	kBad                      // depends on the input, but not locally or not in a way followed here
)

// value is what the analysis knows of one tensor of the graph.
type value struct {
	kind valueKind

	// kStatic: dimensions and values when known (nil when not).
	dims []int64
	vals []float64

	// kSpatial: the rank (-1 when unknown; the spatial axes are always
	// the last nsp, whatever comes before them) and the geometry of each
	// spatial axis.
	rank int
	geo  []axisGeo

	// kBad: why, and whether it is certain (hard: the op mixes the whole
	// extent or depends on position) or only that the analysis could not
	// follow it. The reason reported prefers a certain one.
	reason string
	hard   bool
}

// axisGeo is an activation's geometry along one spatial axis, in input
// voxels: scale (input voxels per voxel), the input position of voxel 0's
// centre, and the radius around it that can influence a voxel.
type axisGeo struct {
	scale, pos, radius *big.Rat
}

func softf(format string, args ...any) *value {
	return &value{kind: kBad, reason: fmt.Sprintf(format, args...)}
}

func hardf(format string, args ...any) *value {
	return &value{kind: kBad, reason: fmt.Sprintf(format, args...), hard: true}
}

type rfAnalysis struct {
	m      *Model
	nsp    int   // spatial axes of the first input
	opset  int64 // of the default domain
	vals   map[string]*value
	stride []*big.Int // lcm of the scale numerators seen, per axis
}

func (a *rfAnalysis) identity(rank int) *value {
	v := &value{kind: kSpatial, rank: rank, geo: make([]axisGeo, a.nsp)}
	for i := range v.geo {
		v.geo[i] = axisGeo{big.NewRat(1, 1), new(big.Rat), new(big.Rat)}
	}
	return v
}

// topoOrder orders the nodes so that each comes after the producers of
// its inputs. ONNX requires the file's order to be one already, but
// nothing enforces it; a cycle or a value produced twice makes the graph
// unanalysable.
func (a *rfAnalysis) topoOrder() ([]int, string) {
	nodes := a.m.Nodes
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, fmt.Sprintf("value %q is produced by two nodes", o)
			}
			if _, pre := a.vals[o]; pre {
				return nil, fmt.Sprintf("value %q is both a graph input or initializer and a node output", o)
			}
			producer[o] = i
		}
	}
	pending := make([]int, len(nodes))
	consumers := map[string][]int{}
	for i, n := range nodes {
		for _, in := range n.Inputs {
			if _, ok := producer[in]; ok && in != "" {
				pending[i]++
				consumers[in] = append(consumers[in], i)
			}
		}
	}
	order := make([]int, 0, len(nodes))
	for i := range nodes {
		if pending[i] == 0 {
			order = append(order, i)
		}
	}
	for k := 0; k < len(order); k++ {
		for _, o := range nodes[order[k]].Outputs {
			if o == "" {
				continue
			}
			for _, c := range consumers[o] {
				if pending[c]--; pending[c] == 0 {
					order = append(order, c)
				}
			}
			delete(consumers, o) // an output listed twice by one node counts once
		}
	}
	if len(order) < len(nodes) {
		for i := range nodes {
			if pending[i] > 0 {
				return nil, fmt.Sprintf("the graph has a cycle through %s", label(i, &nodes[i]))
			}
		}
	}
	return order, ""
}

// label names a node in a reason: its op and its name (or index).
func label(i int, n *Node) string {
	op := n.Op
	if n.Domain != "" {
		op = n.Domain + "." + n.Op
	}
	if n.Name != "" {
		return fmt.Sprintf("%s (node %q)", op, n.Name)
	}
	return fmt.Sprintf("%s (node #%d)", op, i)
}

// eval works out a node's outputs from its inputs.
func (a *rfAnalysis) eval(i int, n *Node) []*value {
	lbl := label(i, n)
	ins := make([]*value, len(n.Inputs))
	for k, name := range n.Inputs {
		if name == "" {
			continue // an omitted optional input
		}
		if ins[k] = a.vals[name]; ins[k] == nil {
			ins[k] = softf("%s reads %q, which nothing produces", lbl, name)
		}
	}
	if n.Domain == "" {
		// Shape and Size depend on the input's extent, never its values.
		switch n.Op {
		case "Shape":
			v := &value{kind: kStatic}
			if len(ins) > 0 && ins[0] != nil {
				_, start := n.Int["start"]
				_, end := n.Int["end"]
				if r := rankOf(ins[0]); r >= 0 && !start && !end {
					v.dims = []int64{int64(r)}
				}
			}
			return a.all(n, v)
		case "Size":
			return a.all(n, &value{kind: kStatic, dims: []int64{}})
		}
	}
	var worst *value
	data := false
	for _, v := range ins {
		if v == nil {
			continue
		}
		if v.kind != kStatic {
			data = true
		}
		if v.kind == kBad && (worst == nil || v.hard && !worst.hard) {
			worst = v
		}
	}
	if n.subgraph {
		// A sub-graph may read any outer value by name, so even a node
		// with only static inputs depends on whatever its body does.
		return a.all(n, softf("%s has a sub-graph, which this analysis does not follow", lbl))
	}
	if !data {
		return a.static(n, ins)
	}
	if worst != nil {
		if phrase, ok := globalOps[n.Op]; ok && n.Domain == "" && !worst.hard {
			return a.all(n, hardf("%s %s", lbl, phrase))
		}
		return a.all(n, worst)
	}
	outs := a.op(lbl, n, ins)
	for _, v := range outs {
		if v.kind == kSpatial {
			if bad := a.note(lbl, v); bad != nil {
				return a.all(n, bad)
			}
		}
	}
	return outs
}

// all gives every output of n the same value.
func (a *rfAnalysis) all(n *Node, v *value) []*value {
	outs := make([]*value, len(n.Outputs))
	for i := range outs {
		outs[i] = v
	}
	return outs
}

func rankOf(v *value) int {
	switch v.kind {
	case kSpatial:
		return v.rank
	case kStatic:
		if v.dims != nil {
			return len(v.dims)
		}
	}
	return -1
}

// maxBits bounds the size of the rationals: no real network comes near,
// and it keeps a hostile graph (a thousand convs of stride 2^30) cheap.
const maxBits = 256

// note checks an activation's geometry for overflow and records its scale
// in the stride.
func (a *rfAnalysis) note(lbl string, v *value) *value {
	for i, g := range v.geo {
		for _, r := range []*big.Rat{g.scale, g.pos, g.radius} {
			if r.Num().BitLen() > maxBits || r.Denom().BitLen() > maxBits {
				return softf("%s: the receptive field grows beyond any tile", lbl)
			}
		}
		if g.scale.Sign() <= 0 {
			return softf("%s: a non-positive scale", lbl)
		}
		num := g.scale.Num()
		lcm := new(big.Int).Mul(a.stride[i], num)
		lcm.Quo(lcm, new(big.Int).GCD(nil, nil, a.stride[i], num))
		a.stride[i] = lcm
	}
	return nil
}

// result reads the graph outputs.
func (a *rfAnalysis) result(input string) RF {
	var bad *value
	var radius []*big.Rat
	for _, o := range a.m.Outputs {
		v := a.vals[o.Name]
		switch {
		case v == nil:
			if bad == nil {
				bad = softf("output %q is produced by no node", o.Name)
			}
		case v.kind == kBad:
			if bad == nil || v.hard && !bad.hard {
				bad = v
			}
		case v.kind == kSpatial:
			if radius == nil {
				radius = make([]*big.Rat, a.nsp)
				for i := range radius {
					radius[i] = new(big.Rat)
				}
			}
			for i, g := range v.geo {
				r := new(big.Rat).Abs(g.pos)
				r.Add(r, g.radius)
				if r.Cmp(radius[i]) > 0 {
					radius[i] = r
				}
			}
		}
	}
	if bad != nil {
		return RF{Reason: bad.reason}
	}
	if radius == nil {
		return RF{Reason: fmt.Sprintf("no output depends on input %q", input)}
	}
	rf := RF{Local: true, Radius: make([]int, a.nsp), Stride: make([]int, a.nsp)}
	for i := range radius {
		c, ok := ceilInt(radius[i])
		s := a.stride[i]
		if !ok || !s.IsInt64() || s.Int64() > math.MaxInt32 {
			return RF{Reason: "the receptive field is larger than any volume"}
		}
		rf.Radius[i], rf.Stride[i] = c, int(s.Int64())
	}
	return rf
}

func ceilInt(r *big.Rat) (int, bool) {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() || q.Int64() > math.MaxInt32 || q.Sign() < 0 {
		return 0, false
	}
	return int(q.Int64()), true
}
