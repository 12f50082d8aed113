package onnx

import (
	"math"
	"math/big"
	"slices"
)

// globalOps mix an activation's whole spatial extent whatever their
// attributes (LayerNormalization and RMSNormalization normalise over the
// axes from axis to the last, and the last is spatial).
var globalOps = map[string]string{
	"InstanceNormalization": "normalises each channel over the whole spatial extent",
	"GroupNormalization":    "normalises over the whole spatial extent",
	"LayerNormalization":    "normalises over the last axes, spatial ones included",
	"RMSNormalization":      "normalises over the last axes, spatial ones included",
	"GlobalAveragePool":     "pools over the whole spatial extent",
	"GlobalMaxPool":         "pools over the whole spatial extent",
	"GlobalLpPool":          "pools over the whole spatial extent",
	"DynamicQuantizeLinear": "computes its scale from the whole tensor",
	"Flatten":               "flattens the spatial axes",
	"Gemm":                  "multiplies matrices formed from flattened activations",
}

// pointwiseOps compute each output element from the elements at the same
// position of their (broadcast) inputs.
var pointwiseOps = map[string]bool{}

func init() {
	for _, op := range []string{
		"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Min", "Max", "Sum", "Mean",
		"And", "Or", "Xor", "Not", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual",
		"Where", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot",
		"PRelu", "Relu", "Elu", "Selu", "Celu", "LeakyRelu", "ThresholdedRelu", "Sigmoid",
		"HardSigmoid", "HardSwish", "Tanh", "Softplus", "Softsign", "Erf", "Exp", "Log", "Abs",
		"Neg", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan",
		"Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "IsNaN", "IsInf",
		"Identity", "Cast", "Gelu", "Mish", "Shrink", "LRN",
		// with parameter inputs (paramInputs)
		"BatchNormalization", "Clip", "Dropout", "CastLike", "QuantizeLinear", "DequantizeLinear",
	} {
		pointwiseOps[op] = true
	}
}

// paramInputs are inputs of per-channel or scalar parameters: they must not
// depend on the image, and are not broadcast against the spatial axes.
var paramInputs = map[string][]int{
	"BatchNormalization": {1, 2, 3, 4},
	"Clip":               {1, 2}, // min, max: scalars
	"Dropout":            {1, 2}, // ratio, training_mode
	"CastLike":           {1},    // only its element type is used
}

// op works out the outputs of a node of the default domain whose inputs are
// static or activations (none non-local).
func (a *rfAnalysis) op(lbl string, n *Node, ins []*value) []*value {
	if n.Domain != "" {
		return a.all(n, softf("unknown op %s", lbl))
	}
	if phrase, ok := globalOps[n.Op]; ok {
		return a.all(n, hardf("%s %s", lbl, phrase))
	}
	if pointwiseOps[n.Op] {
		return a.all(n, a.pointwise(lbl, n, ins))
	}
	x := ins[0]
	if x == nil || x.kind != kSpatial {
		// The ops below take the activation first.
		return a.all(n, softf("%s: its first input is not an activation on the image grid", lbl))
	}
	var v *value
	switch n.Op {
	case "Conv", "ConvTranspose":
		v = a.conv(lbl, n, ins)
	case "MaxPool", "AveragePool", "LpPool":
		for _, in := range ins[1:] {
			if in != nil && in.kind != kStatic {
				return a.all(n, softf("%s: a parameter is computed from the image", lbl))
			}
		}
		v = a.window(lbl, n, x, n.Ints["kernel_shape"], false)
		if n.Op == "MaxPool" && len(n.Outputs) > 1 {
			return []*value{v, hardf("%s: its Indices output encodes positions", lbl)}
		}
	case "Resize", "Upsample":
		v = a.resize(lbl, n, ins)
	case "Pad":
		v = a.pad(lbl, n, ins)
	case "Concat":
		v = a.concat(lbl, n, ins)
	case "Split":
		v = a.alongAxis(lbl, n, x, n.Int, "axis", 0, "splits along a spatial axis")
	case "Gather":
		v = a.alongAxis(lbl, n, x, n.Int, "axis", 0, "gathers along a spatial axis")
		if v.kind == kSpatial {
			idx := ins[1]
			if idx == nil || idx.kind != kStatic {
				return a.all(n, softf("%s: its indices are computed from the image", lbl))
			}
			v.rank = -1
			if x.rank >= 0 && idx.dims != nil {
				v.rank = x.rank - 1 + len(idx.dims)
			}
		}
	case "Slice":
		v = a.slice(lbl, n, ins)
	case "Transpose":
		v = a.transpose(lbl, n, x)
	case "Squeeze", "Unsqueeze":
		v = a.squeeze(lbl, n, ins)
	case "Softmax", "LogSoftmax", "Hardmax":
		if a.opset < 13 {
			// Before opset 13 these flatten the axes from axis on into
			// one, and the last axis is spatial.
			return a.all(n, hardf("%s normalises over the flattened axes from axis on, spatial ones included (opset %d)", lbl, a.opset))
		}
		v = a.alongAxis(lbl, n, x, n.Int, "axis", -1, "normalises along a spatial axis")
	case "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd", "ReduceL1", "ReduceL2",
		"ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare":
		v = a.reduce(lbl, n, ins)
	case "ArgMax", "ArgMin":
		v = a.alongAxis(lbl, n, x, n.Int, "axis", 0, "takes its arg max/min along a spatial axis")
		if v.kind == kSpatial && intAttr(n, "keepdims", 1) == 0 && x.rank >= 0 {
			v.rank = x.rank - 1
		}
	case "MeanVarianceNormalization":
		axes := n.Ints["axes"]
		if axes == nil {
			axes = []int64{0, 2, 3}
		}
		v = x
		for _, ax := range axes {
			if sp, ok := a.spatialAxis(ax, x.rank); sp || !ok {
				v = hardf("%s normalises over a spatial axis", lbl)
			}
		}
	case "LpNormalization":
		v = a.alongAxis(lbl, n, x, n.Int, "axis", -1, "normalises along a spatial axis")
	case "DepthToSpace", "SpaceToDepth":
		v = a.blocks(lbl, n, x)
	case "Reshape":
		v = softf("%s reshapes an activation, which this analysis does not follow", lbl)
	case "MatMul", "MatMulInteger", "QLinearMatMul":
		v = hardf("%s contracts the last axis of an activation, a spatial one", lbl)
	default:
		v = softf("unknown op %s", lbl)
	}
	return a.all(n, v)
}

// pointwise combines inputs broadcast against each other. A static operand
// must be constant along every spatial axis (a per-channel scale, a
// scalar): one that varies there would make the result depend on
// position. Where two activations meet, the radius is the larger, widened
// by any difference in where their voxels sit.
func (a *rfAnalysis) pointwise(lbl string, n *Node, ins []*value) *value {
	params := paramInputs[n.Op]
	if n.Op == "QuantizeLinear" || n.Op == "DequantizeLinear" {
		if bad := a.quantParams(lbl, n, ins); bad != nil {
			return bad
		}
		params = []int{1, 2}
	}
	if n.Op == "BatchNormalization" && intAttr(n, "training_mode", 0) != 0 {
		return hardf("%s uses batch statistics (training mode)", lbl)
	}
	var out *value
	rank, rankKnown := 0, true
	for k, v := range ins {
		if v == nil {
			continue
		}
		if slices.Contains(params, k) {
			if v.kind != kStatic && n.Op != "CastLike" {
				return softf("%s: parameter %q is computed from the image", lbl, n.Inputs[k])
			}
			continue
		}
		switch v.kind {
		case kSpatial:
			if v.rank < 0 {
				rankKnown = false
			}
			rank = max(rank, v.rank)
			if out == nil {
				out = &value{kind: kSpatial, geo: v.geo}
				continue
			}
			geo, ok := mergeGeo(out.geo, v.geo)
			if !ok {
				return softf("%s combines activations at different resolutions", lbl)
			}
			out.geo = geo
		case kStatic:
			if v.dims == nil {
				return softf("%s: cannot tell whether %q varies along the spatial axes", lbl, n.Inputs[k])
			}
			if !a.perChannel(v.dims) {
				return hardf("%s: %q (dims %v) varies along the spatial axes, so the result depends on position", lbl, n.Inputs[k], v.dims)
			}
			rank = max(rank, len(v.dims))
		}
	}
	if out == nil {
		return softf("%s: no input is an activation", lbl)
	}
	out.rank = rank
	if !rankKnown {
		out.rank = -1
	}
	return out
}

// quantParams checks the scale and zero point of (De)QuantizeLinear: a
// scalar, or one value per element of a non-spatial axis, or (blocked
// quantization) a tensor constant along the spatial axes.
func (a *rfAnalysis) quantParams(lbl string, n *Node, ins []*value) *value {
	for k := 1; k < len(ins) && k <= 2; k++ {
		p := ins[k]
		if p == nil {
			continue
		}
		if p.kind != kStatic || p.dims == nil {
			return softf("%s: cannot tell the layout of its scale", lbl)
		}
		switch {
		case len(p.dims) == 0 || len(p.dims) == 1 && p.dims[0] == 1:
		case len(p.dims) == 1:
			if sp, ok := a.spatialAxis(intAttr(n, "axis", 1), ins[0].rank); sp || !ok {
				return softf("%s quantizes along a spatial axis", lbl)
			}
		case !a.perChannel(p.dims):
			return hardf("%s: its scale varies along the spatial axes", lbl)
		}
	}
	return nil
}

// perChannel reports whether a static operand of these dims, broadcast
// against an activation (right-aligned), is constant along every spatial
// axis.
func (a *rfAnalysis) perChannel(dims []int64) bool {
	for i := 0; i < a.nsp; i++ {
		if k := len(dims) - 1 - i; k >= 0 && dims[k] != 1 {
			return false
		}
	}
	return true
}

// mergeGeo combines two activations that meet in one op: same scale, the
// first one's position, and a radius covering both.
func mergeGeo(x, y []axisGeo) ([]axisGeo, bool) {
	out := make([]axisGeo, len(x))
	for i := range x {
		if x[i].scale.Cmp(y[i].scale) != 0 {
			return nil, false
		}
		d := new(big.Rat).Sub(y[i].pos, x[i].pos)
		r := d.Abs(d).Add(d, y[i].radius)
		if r.Cmp(x[i].radius) < 0 {
			r = x[i].radius
		}
		out[i] = axisGeo{x[i].scale, x[i].pos, r}
	}
	return out, true
}

// spatialAxis reports whether axis (possibly negative) of a tensor of the
// given rank is spatial; ok is false when that cannot be told (a positive
// axis of unknown rank, an axis out of range). The spatial axes are the
// last nsp whatever the rank, so a negative axis never needs the rank.
func (a *rfAnalysis) spatialAxis(axis int64, rank int) (spatial, ok bool) {
	if axis < 0 {
		if rank >= 0 && -axis > int64(rank) {
			return false, false
		}
		return -axis <= int64(a.nsp), true
	}
	if rank < 0 || axis >= int64(rank) {
		return false, false
	}
	return axis >= int64(rank-a.nsp), true
}

// spatialIndex is the index among the spatial axes of a spatial axis.
func (a *rfAnalysis) spatialIndex(axis int64, rank int) int {
	if axis < 0 {
		return a.nsp + int(axis)
	}
	return int(axis) - (rank - a.nsp)
}

// alongAxis passes x through an op that works along one axis (attribute
// name, default def), which must not be spatial.
func (a *rfAnalysis) alongAxis(lbl string, n *Node, x *value, attrs map[string]int64, name string, def int64, what string) *value {
	axis, ok := attrs[name]
	if !ok {
		axis = def
	}
	sp, ok := a.spatialAxis(axis, x.rank)
	switch {
	case !ok:
		return softf("%s: cannot tell whether axis %d is spatial", lbl, axis)
	case sp:
		return hardf("%s %s", lbl, what)
	}
	return &value{kind: kSpatial, rank: x.rank, geo: x.geo}
}

func intAttr(n *Node, name string, def int64) int64 {
	if v, ok := n.Int[name]; ok {
		return v
	}
	return def
}

func strAttr(n *Node, name, def string) string {
	if v, ok := n.Strings[name]; ok {
		return v
	}
	return def
}

func intsAttr(n *Node, name string, length int, def int64) []int64 {
	if v, ok := n.Ints[name]; ok {
		return v
	}
	v := make([]int64, length)
	for i := range v {
		v[i] = def
	}
	return v
}

// staticInts reads a static input's values as integers; ok is false when
// they are not known (or not integers).
func staticInts(v *value) ([]int64, bool) {
	if v == nil || v.kind != kStatic {
		return nil, false
	}
	if v.vals == nil {
		if len(v.dims) == 1 && v.dims[0] == 0 {
			return []int64{}, true // an empty tensor, known without values
		}
		return nil, false
	}
	out := make([]int64, len(v.vals))
	for i, f := range v.vals {
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, false
		}
		out[i] = int64(f)
	}
	return out, true
}

// isEmpty reports whether an input is absent or a tensor known to be
// empty, which is how exporters fill an unused positional input.
func isEmpty(v *value) bool {
	if v == nil {
		return true
	}
	if v.kind != kStatic || v.dims == nil {
		return false
	}
	n, ok := elementCount(v.dims)
	return ok && n == 0
}

func rat(n int64) *big.Rat { return new(big.Rat).SetInt64(n) }

func half(r *big.Rat) *big.Rat { return new(big.Rat).Quo(r, big.NewRat(2, 1)) }

// step returns g moved by S·dpos, widened by S·drad, with its scale
// multiplied by mul: the effect of one layer whose own offsets are dpos and
// drad in voxels of its input.
func step(g axisGeo, dpos, drad, mul *big.Rat) axisGeo {
	p := new(big.Rat).Mul(g.scale, dpos)
	r := new(big.Rat).Mul(g.scale, drad)
	return axisGeo{
		scale:  new(big.Rat).Mul(g.scale, mul),
		pos:    p.Add(p, g.pos),
		radius: r.Add(r, g.radius),
	}
}

// attribute values larger than this are rejected before any arithmetic.
const maxAttr = 1 << 31

func (a *rfAnalysis) conv(lbl string, n *Node, ins []*value) *value {
	for _, in := range ins[1:] {
		if in != nil && in.kind != kStatic {
			return softf("%s: its weights are computed from the image", lbl)
		}
	}
	kernel := n.Ints["kernel_shape"]
	if kernel == nil && len(ins) > 1 && ins[1] != nil && len(ins[1].dims) >= 2 {
		kernel = ins[1].dims[2:]
	}
	if kernel == nil {
		return softf("%s: its kernel shape is unknown", lbl)
	}
	return a.window(lbl, n, ins[0], kernel, n.Op == "ConvTranspose")
}

// window applies a Conv, pool or ConvTranspose of the given kernel.
//
// A Conv's output voxel j reads input voxels j·s − p + t·d for t in
// [0, k): the centre moves by d(k−1)/2 − p and the radius grows by
// d(k−1)/2. A ConvTranspose's output voxel j reads input voxels i with
// i·s − p + t·d = j, which lie within d(k−1)/(2s) of (j + p − d(k−1)/2)/s.
// auto_pad SAME with a stride pads by an amount that depends on the input
// size; the centre is then taken midway and the radius widened by half the
// range.
func (a *rfAnalysis) window(lbl string, n *Node, x *value, kernel []int64, transpose bool) *value {
	nsp := a.nsp
	if len(kernel) != nsp {
		return softf("%s has a %d-D kernel for %d spatial axes", lbl, len(kernel), nsp)
	}
	strides := intsAttr(n, "strides", nsp, 1)
	dilations := intsAttr(n, "dilations", nsp, 1)
	pads := intsAttr(n, "pads", 2*nsp, 0)
	outPad := intsAttr(n, "output_padding", nsp, 0)
	autoPad := strAttr(n, "auto_pad", "NOTSET")
	if len(strides) != nsp || len(dilations) != nsp || len(pads) != 2*nsp || len(outPad) != nsp {
		return softf("%s: its strides, dilations or pads do not match its kernel", lbl)
	}
	if transpose && n.Ints["output_shape"] != nil {
		return softf("%s: its output_shape makes its padding depend on the input size", lbl)
	}
	for i := 0; i < nsp; i++ {
		if kernel[i] < 1 || kernel[i] > maxAttr || strides[i] < 1 || strides[i] > maxAttr ||
			dilations[i] < 1 || dilations[i] > maxAttr || abs(pads[i]) > maxAttr || abs(outPad[i]) > maxAttr {
			return softf("%s: a kernel, stride, dilation or pad out of range", lbl)
		}
	}
	out := &value{kind: kSpatial, rank: x.rank, geo: make([]axisGeo, nsp)}
	for i := 0; i < nsp; i++ {
		e := dilations[i] * (kernel[i] - 1) // the kernel's extent
		s := strides[i]
		pb, spread := rat(pads[i]), new(big.Rat)
		switch autoPad {
		case "NOTSET", "":
		case "VALID":
			pb = new(big.Rat)
		case "SAME_UPPER", "SAME_LOWER":
			if transpose {
				// Total padding e+1−s+output_padding, split either way.
				t := e + 1 - s + outPad[i]
				pb = big.NewRat(t, 2)
				if t%2 != 0 {
					spread = big.NewRat(1, 2)
				}
				break
			}
			tmin, tmax := max(0, e+1-s), e
			lo, hi := tmin/2, tmax/2
			if autoPad == "SAME_LOWER" {
				lo, hi = (tmin+1)/2, (tmax+1)/2
			}
			pb = big.NewRat(lo+hi, 2)
			spread = big.NewRat(hi-lo, 2)
		default:
			return softf("%s: unknown auto_pad %q", lbl, autoPad)
		}
		eh := big.NewRat(e, 2)
		if transpose {
			sr := rat(s)
			dpos := new(big.Rat).Sub(pb, eh)
			drad := new(big.Rat).Add(eh, spread)
			out.geo[i] = step(x.geo[i], dpos.Quo(dpos, sr), drad.Quo(drad, sr), big.NewRat(1, s))
		} else {
			dpos := new(big.Rat).Sub(eh, pb)
			out.geo[i] = step(x.geo[i], dpos, new(big.Rat).Add(eh, spread), rat(s))
		}
	}
	return out
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// resize applies Resize or Upsample by constant scale factors. Output voxel
// j of a resize by f sits at input position x0 + j/f, where x0 depends on
// the coordinate transformation (1/(2f) − 1/2 for half_pixel, 0 for
// asymmetric), and reads the input voxels within the interpolation's
// footprint of it: half a voxel for rounding nearest, one for floor or ceil
// and for linear, two for cubic, widened by 1/f by antialiasing when
// downsampling.
func (a *rfAnalysis) resize(lbl string, n *Node, ins []*value) *value {
	x := ins[0]
	for _, in := range ins[1:] {
		if in != nil && in.kind != kStatic {
			return softf("%s: its scales or sizes are computed from the image", lbl)
		}
	}
	var scales []float64
	mode := strAttr(n, "mode", "nearest")
	coord := strAttr(n, "coordinate_transformation_mode", "half_pixel")
	nearest := strAttr(n, "nearest_mode", "round_prefer_floor")
	switch {
	case n.Op == "Upsample":
		coord, nearest = "asymmetric", "floor"
		if f, ok := n.Floats["scales"]; ok {
			for _, v := range f {
				scales = append(scales, float64(v))
			}
		} else if len(ins) > 1 && ins[1] != nil && ins[1].vals != nil {
			scales = ins[1].vals
		} else {
			return softf("%s: its scales are not constants", lbl)
		}
	default:
		scalesAt, sizesAt := 2, 3
		if a.opset < 11 {
			scalesAt, sizesAt = 1, -1
			coord, nearest = "asymmetric", "floor"
		}
		at := func(k int) *value {
			if k < 0 || k >= len(ins) || isEmpty(ins[k]) {
				return nil
			}
			return ins[k]
		}
		if s := at(scalesAt); s != nil {
			if s.vals == nil {
				return softf("%s: its scales are not constants", lbl)
			}
			scales = s.vals
		} else if z := at(sizesAt); z != nil {
			if z.vals != nil {
				return hardf("%s resizes to a fixed size %v", lbl, z.vals)
			}
			return softf("%s resizes to sizes computed in the graph rather than by a scale factor", lbl)
		} else {
			return softf("%s has neither scales nor sizes", lbl)
		}
	}
	// Which scale applies to which spatial axis.
	perAxis := make([]float64, a.nsp)
	for i := range perAxis {
		perAxis[i] = 1
	}
	axes := n.Ints["axes"]
	if axes == nil {
		if x.rank >= 0 && len(scales) != x.rank || len(scales) < a.nsp {
			return softf("%s has %d scales for a rank-%d tensor", lbl, len(scales), x.rank)
		}
		for k := range scales {
			axes = append(axes, int64(k-len(scales))) // right-aligned: negative axes
		}
	} else if len(axes) != len(scales) {
		return softf("%s has %d scales for %d axes", lbl, len(scales), len(axes))
	}
	for k, ax := range axes {
		sp, ok := a.spatialAxis(ax, x.rank)
		switch {
		case !ok:
			return softf("%s: cannot tell whether axis %d is spatial", lbl, ax)
		case sp:
			perAxis[a.spatialIndex(ax, x.rank)] = scales[k]
		case scales[k] != 1:
			return softf("%s scales the batch or channel axis", lbl)
		}
	}
	var foot *big.Rat
	switch mode {
	case "nearest":
		foot = big.NewRat(1, 2)
		if nearest == "floor" || nearest == "ceil" {
			foot = big.NewRat(1, 1)
		}
	case "linear", "bilinear", "trilinear":
		foot = big.NewRat(1, 1)
	case "cubic":
		foot = big.NewRat(2, 1)
	default:
		return softf("%s: unknown mode %q", lbl, mode)
	}
	out := &value{kind: kSpatial, rank: x.rank, geo: make([]axisGeo, a.nsp)}
	for i, fs := range perAxis {
		if !(fs > 0) || math.IsInf(fs, 0) {
			return softf("%s: scale %v", lbl, fs)
		}
		f := scaleRat(fs)
		if f.Cmp(big.NewRat(1, 1)) == 0 {
			out.geo[i] = x.geo[i] // every mode is the identity at scale 1
			continue
		}
		inv := new(big.Rat).Inv(f)
		var x0 *big.Rat
		switch coord {
		case "half_pixel", "pytorch_half_pixel", "half_pixel_symmetric":
			x0 = new(big.Rat).Sub(half(inv), big.NewRat(1, 2))
		case "asymmetric":
			x0 = new(big.Rat)
		case "tf_half_pixel_for_nn":
			x0 = half(inv)
		default:
			return softf("%s: coordinate_transformation_mode %q depends on the size of the tile", lbl, coord)
		}
		fp := foot
		if intAttr(n, "antialias", 0) != 0 && mode != "nearest" && f.Cmp(big.NewRat(1, 1)) < 0 {
			fp = new(big.Rat).Mul(foot, inv)
		}
		out.geo[i] = step(x.geo[i], x0, fp, inv)
	}
	return out
}

// scaleRat turns a float32 scale factor into the small fraction it stands
// for (2, 0.5, 1.5, 1/3), or into its exact binary value when it is none.
func scaleRat(f float64) *big.Rat {
	for q := int64(1); q <= 64; q++ {
		p := math.Round(f * float64(q))
		if p >= 1 && p < 1<<31 && float32(p/float64(q)) == float32(f) {
			return big.NewRat(int64(p), q)
		}
	}
	r := new(big.Rat)
	if r.SetFloat64(f) == nil {
		return big.NewRat(1, 1) // not reached: f is finite
	}
	return r
}

// pad shifts the grid: output voxel j is input voxel j − p_begin. What the
// padding holds (a constant, a reflection, the edge) only reaches the
// voxels within the radius of the tile's border, which tiling discards.
func (a *rfAnalysis) pad(lbl string, n *Node, ins []*value) *value {
	x := ins[0]
	switch m := strAttr(n, "mode", "constant"); m {
	case "constant", "reflect", "edge", "wrap":
	default:
		return softf("%s: unknown mode %q", lbl, m)
	}
	for _, in := range ins[1:] {
		if in != nil && in.kind != kStatic {
			return softf("%s: its pads are computed from the image", lbl)
		}
	}
	var pads []int64
	if a.opset < 11 {
		pads = n.Ints["pads"]
	} else if len(ins) > 1 {
		pads, _ = staticInts(ins[1])
	}
	if pads == nil {
		return softf("%s: its pads are not constants", lbl)
	}
	var axes []int64
	rank := x.rank
	if len(ins) > 3 && !isEmpty(ins[3]) {
		var ok bool
		if axes, ok = staticInts(ins[3]); !ok {
			return softf("%s: its axes are not constants", lbl)
		}
	} else {
		if len(pads)%2 != 0 || rank >= 0 && len(pads) != 2*rank {
			return softf("%s has %d pads for a rank-%d tensor", lbl, len(pads), rank)
		}
		rank = len(pads) / 2
		for k := 0; k < rank; k++ {
			axes = append(axes, int64(k))
		}
	}
	if len(pads) != 2*len(axes) {
		return softf("%s has %d pads for %d axes", lbl, len(pads), len(axes))
	}
	out := &value{kind: kSpatial, rank: rank, geo: slices.Clone(x.geo)}
	for k, ax := range axes {
		sp, ok := a.spatialAxis(ax, rank)
		if !ok {
			return softf("%s: cannot tell whether axis %d is spatial", lbl, ax)
		}
		if !sp {
			continue
		}
		if abs(pads[k]) > maxAttr {
			return softf("%s: a pad out of range", lbl)
		}
		i := a.spatialIndex(ax, rank)
		out.geo[i] = step(out.geo[i], rat(-pads[k]), new(big.Rat), big.NewRat(1, 1))
	}
	return out
}

func (a *rfAnalysis) concat(lbl string, n *Node, ins []*value) *value {
	axis, ok := n.Int["axis"]
	if !ok {
		return softf("%s has no axis", lbl)
	}
	var out *value
	for k, v := range ins {
		if v == nil {
			continue
		}
		if v.kind == kStatic {
			// It must match the activations' spatial size, so it is a
			// constant image (a coordinate grid, say): position-dependent.
			return softf("%s concatenates a constant %q to an activation", lbl, n.Inputs[k])
		}
		if out == nil {
			out = &value{kind: kSpatial, rank: v.rank, geo: v.geo}
			continue
		}
		geo, ok := mergeGeo(out.geo, v.geo)
		if !ok {
			return softf("%s combines activations at different resolutions", lbl)
		}
		out.geo = geo
		if out.rank != v.rank {
			out.rank = -1
		}
	}
	sp, ok := a.spatialAxis(axis, out.rank)
	if !ok || sp {
		return softf("%s concatenates along a spatial axis", lbl)
	}
	return out
}

func (a *rfAnalysis) slice(lbl string, n *Node, ins []*value) *value {
	x := ins[0]
	var axes []int64
	if a.opset < 10 {
		axes = n.Ints["axes"]
		if axes == nil {
			for k := range n.Ints["starts"] {
				axes = append(axes, int64(k))
			}
		}
	} else {
		for _, in := range ins[1:] {
			if in != nil && in.kind != kStatic {
				return softf("%s: its bounds are computed from the image", lbl)
			}
		}
		var ok bool
		if len(ins) > 3 && !isEmpty(ins[3]) {
			if axes, ok = staticInts(ins[3]); !ok {
				return softf("%s: its axes are not constants", lbl)
			}
		} else {
			if len(ins) < 2 || ins[1] == nil || len(ins[1].dims) != 1 {
				return softf("%s: cannot tell which axes it slices", lbl)
			}
			for k := int64(0); k < ins[1].dims[0] && k < maxValues; k++ {
				axes = append(axes, k)
			}
		}
	}
	for _, ax := range axes {
		if sp, ok := a.spatialAxis(ax, x.rank); sp || !ok {
			return softf("%s crops a spatial axis", lbl)
		}
	}
	return &value{kind: kSpatial, rank: x.rank, geo: x.geo}
}

func (a *rfAnalysis) transpose(lbl string, n *Node, x *value) *value {
	perm, ok := n.Ints["perm"]
	r := len(perm)
	if !ok || r < a.nsp || x.rank >= 0 && r != x.rank {
		return softf("%s moves a spatial axis", lbl)
	}
	for i := r - a.nsp; i < r; i++ {
		if perm[i] != int64(i) {
			return softf("%s moves a spatial axis", lbl)
		}
	}
	return &value{kind: kSpatial, rank: r, geo: x.geo}
}

// squeeze handles Squeeze and Unsqueeze of axes before the spatial ones.
func (a *rfAnalysis) squeeze(lbl string, n *Node, ins []*value) *value {
	x := ins[0]
	axes, ok := n.Ints["axes"]
	if !ok && len(ins) > 1 {
		axes, ok = staticInts(ins[1])
	}
	if !ok {
		return softf("%s: cannot tell which axes it changes", lbl)
	}
	out := &value{kind: kSpatial, rank: -1, geo: x.geo}
	if n.Op == "Squeeze" {
		for _, ax := range axes {
			if sp, ok := a.spatialAxis(ax, x.rank); sp || !ok {
				return softf("%s removes a spatial axis", lbl)
			}
		}
		if x.rank >= 0 {
			out.rank = x.rank - len(axes)
		}
		return out
	}
	if x.rank >= 0 {
		out.rank = x.rank + len(axes)
	}
	for _, ax := range axes {
		// Every inserted axis must come before the spatial block of the
		// output, so that the spatial axes stay the last ones.
		if ax < 0 && -ax <= int64(a.nsp) || ax >= 0 && (out.rank < 0 || ax >= int64(out.rank-a.nsp)) {
			return softf("%s inserts an axis among the spatial ones", lbl)
		}
	}
	return out
}

func (a *rfAnalysis) reduce(lbl string, n *Node, ins []*value) *value {
	x := ins[0]
	axes, ok := n.Ints["axes"]
	if !ok && len(ins) > 1 && ins[1] != nil {
		if axes, ok = staticInts(ins[1]); !ok {
			return softf("%s: its axes are not constants", lbl)
		}
	}
	if len(axes) == 0 {
		if intAttr(n, "noop_with_empty_axes", 0) != 0 {
			return &value{kind: kSpatial, rank: x.rank, geo: x.geo}
		}
		return hardf("%s reduces over all axes", lbl)
	}
	for _, ax := range axes {
		sp, ok := a.spatialAxis(ax, x.rank)
		switch {
		case !ok:
			return softf("%s: cannot tell whether axis %d is spatial", lbl, ax)
		case sp:
			return hardf("%s reduces over a spatial axis", lbl)
		}
	}
	out := &value{kind: kSpatial, rank: x.rank, geo: x.geo}
	if intAttr(n, "keepdims", 1) == 0 && x.rank >= 0 {
		out.rank = x.rank - len(axes)
	}
	return out
}

// blocks handles SpaceToDepth (like a b×b convolution of stride b) and
// DepthToSpace (like a b×b transposed convolution of stride b) on the last
// two axes.
func (a *rfAnalysis) blocks(lbl string, n *Node, x *value) *value {
	b := intAttr(n, "blocksize", 0)
	if a.nsp != 2 || b < 1 || b > maxAttr {
		return softf("%s: blocksize %d on %d spatial axes", lbl, b, a.nsp)
	}
	out := &value{kind: kSpatial, rank: x.rank, geo: make([]axisGeo, a.nsp)}
	for i := range out.geo {
		if n.Op == "SpaceToDepth" {
			d := big.NewRat(b-1, 2)
			out.geo[i] = step(x.geo[i], d, d, rat(b))
		} else {
			d := big.NewRat(b-1, 2*b)
			out.geo[i] = step(x.geo[i], new(big.Rat).Neg(d), d, big.NewRat(1, b))
		}
	}
	return out
}

// static works out what is known of a node's outputs when none of its
// inputs depends on the image: dimensions (and small values) where cheap,
// which is what a per-channel parameter reshaped for broadcasting needs.
func (a *rfAnalysis) static(n *Node, ins []*value) []*value {
	v := &value{kind: kStatic}
	in0 := func() *value {
		if len(ins) > 0 && ins[0] != nil {
			return ins[0]
		}
		return &value{kind: kStatic}
	}
	if n.Domain == "" {
		switch n.Op {
		case "Constant":
			v = constantValue(n)
		case "Identity", "Dropout":
			v = in0()
		case "Cast", "CastLike":
			v = &value{kind: kStatic, dims: in0().dims}
		case "Reshape":
			x := in0()
			shape, ok := []int64(nil), false
			if len(ins) > 1 {
				shape, ok = staticInts(ins[1])
			}
			if ok {
				v = &value{kind: kStatic, dims: reshapeDims(x.dims, shape, intAttr(n, "allowzero", 0) != 0), vals: x.vals}
			}
		case "Unsqueeze", "Squeeze":
			x := in0()
			axes, ok := n.Ints["axes"]
			if !ok && len(ins) > 1 {
				axes, ok = staticInts(ins[1])
			}
			if ok && x.dims != nil {
				v = &value{kind: kStatic, dims: squeezeDims(x.dims, axes, n.Op == "Unsqueeze"), vals: x.vals}
			}
		case "ConstantOfShape":
			if dims, ok := staticInts(in0()); ok {
				v.dims = dims
				for _, d := range dims {
					if d < 0 {
						v.dims = nil
					}
				}
			}
		default:
			if pointwiseOps[n.Op] {
				v.dims = broadcastDims(ins, paramInputs[n.Op])
			}
		}
	}
	return a.all(n, v)
}

func constantValue(n *Node) *value {
	v := &value{kind: kStatic}
	if t, ok := n.tensors["value"]; ok {
		v.dims, v.vals = t.dims, t.vals
		if v.dims == nil {
			v.dims = []int64{}
		}
	} else if f, ok := n.Float["value_float"]; ok {
		v.dims, v.vals = []int64{}, []float64{float64(f)}
	} else if i, ok := n.Int["value_int"]; ok {
		v.dims, v.vals = []int64{}, []float64{float64(i)}
	} else if fs, ok := n.Floats["value_floats"]; ok {
		v.dims = []int64{int64(len(fs))}
		if len(fs) <= maxValues {
			for _, f := range fs {
				v.vals = append(v.vals, float64(f))
			}
		}
	} else if is, ok := n.Ints["value_ints"]; ok {
		v.dims = []int64{int64(len(is))}
		if len(is) <= maxValues {
			for _, i := range is {
				v.vals = append(v.vals, float64(i))
			}
		}
	} else if _, ok := n.Strings["value_string"]; ok {
		v.dims = []int64{}
	}
	return v
}

// reshapeDims is Reshape's output shape: 0 copies the input's dimension
// (unless allowzero), −1 is inferred. nil when it cannot be told.
func reshapeDims(in, shape []int64, allowZero bool) []int64 {
	out := make([]int64, len(shape))
	infer := -1
	known := int64(1)
	for i, s := range shape {
		switch {
		case s == 0 && !allowZero:
			if in == nil || i >= len(in) {
				return nil
			}
			out[i] = in[i]
		case s == -1 && infer < 0:
			infer = i
			continue
		case s < 0:
			return nil
		default:
			out[i] = s
		}
		if out[i] > 0 && known > math.MaxInt32/out[i] {
			return nil
		}
		known *= out[i]
	}
	if infer >= 0 {
		total, ok := elementCount(in)
		if in == nil || !ok || known == 0 || int64(total)%known != 0 {
			return nil
		}
		out[infer] = int64(total) / known
	}
	return out
}

// squeezeDims applies Squeeze or Unsqueeze axes to known dims.
func squeezeDims(in, axes []int64, unsqueeze bool) []int64 {
	if !unsqueeze {
		if len(axes) == 0 {
			var out []int64
			for _, d := range in {
				if d != 1 {
					out = append(out, d)
				}
			}
			return append([]int64{}, out...)
		}
		drop := map[int64]bool{}
		for _, ax := range axes {
			if ax < 0 {
				ax += int64(len(in))
			}
			if ax < 0 || ax >= int64(len(in)) {
				return nil
			}
			drop[ax] = true
		}
		out := []int64{}
		for i, d := range in {
			if !drop[int64(i)] {
				out = append(out, d)
			}
		}
		return out
	}
	r := int64(len(in) + len(axes))
	ins := map[int64]bool{}
	for _, ax := range axes {
		if ax < 0 {
			ax += r
		}
		if ax < 0 || ax >= r || ins[ax] {
			return nil
		}
		ins[ax] = true
	}
	out := make([]int64, 0, r)
	k := 0
	for i := int64(0); i < r; i++ {
		if ins[i] {
			out = append(out, 1)
		} else {
			out = append(out, in[k])
			k++
		}
	}
	return out
}

// broadcastDims is the broadcast shape of the inputs (parameters aside),
// nil unless all are known. Missing leading dimensions count as 1.
func broadcastDims(ins []*value, params []int) []int64 {
	out := []int64{}
	for k, v := range ins {
		if v == nil || slices.Contains(params, k) {
			continue
		}
		if v.dims == nil {
			return nil
		}
		if len(v.dims) > len(out) {
			lead := make([]int64, len(v.dims)-len(out))
			for i := range lead {
				lead[i] = 1
			}
			out = append(lead, out...)
		}
		off := len(out) - len(v.dims)
		for i, d := range v.dims {
			switch o := out[off+i]; {
			case d == o, d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil
			}
		}
	}
	return out
}
