#!/usr/bin/python3
"""PyTorch CPU reference for Delineate's segmentation runs: speed and label agreement.

Rebuilds the network of an ONNX file as a torch module (weights from the file's initializers, read
with onnx.numpy_helper; convolution attributes - kernel, dilations, pads, strides, groups - from the
nodes), reads a NIfTI volume with nibabel, preprocesses it as documented below, runs one whole-volume
pass or nnU-Net's sliding window, writes the argmax label map as NIfTI and prints ONE JSON line on
stdout:
  {"seconds_total": ..., "seconds_network": ..., "voxels": ..., "threads": ..., "mode": ..., ...}
Everything else (a summary of the network, progress) goes to stderr.

Usage (Debian packages only: python3-torch, python3-onnx, python3-numpy, python3-nibabel):
  /usr/bin/python3 scripts/bench_torch_reference.py MODEL.onnx --input IN.nii.gz --out LABELS.nii.gz \\
      --axes ijk|kji --norm minmax|none|quantile:2:98 --mode whole|sliding \\
      [--patch D H W] [--step 0.5] [--mirror | --mirror-axes 0,1,2] [--no-gaussian] [--threads 2]
Examples:
  # the grey/white MeshNet on the conformed brain T1 (WM ~ 521 mL, GM ~ 737 mL)
  /usr/bin/python3 scripts/bench_torch_reference.py ../shared/models/meshnet-gwm/model.onnx \\
      --input ../shared/data/mr-brain/t1_crop.nii.gz --out /tmp/gwm.nii.gz --axes ijk --norm minmax --mode whole
  # the tiny nnU-Net-shaped test network (fixed patch 16x32x32) with a sliding window
  /usr/bin/python3 scripts/bench_torch_reference.py testdata/models/tiny-nnunet/model.onnx \\
      --input /tmp/synth.nii.gz --out /tmp/synth_labels.nii.gz --axes kji --norm none --mode sliding --mirror

Networks: the MeshNet family (Conv3d chains with per-layer dilations, ReLU or ELU between; MindGrab's
GroupNorm-as-InstanceNormalization and erf-GELU graph too), the tiny test networks in
testdata/models/, and any graph made of the operators in OPS below (Conv, ConvTranspose, activations,
elementwise arithmetic, InstanceNormalization, BatchNormalization, Reshape/Shape/Concat/... ).
The graph is executed node by node with torch.nn.functional, each intermediate freed after its last
use.

Preprocessing, exactly:
  * arr = nibabel.load(IN).get_fdata()  (float64, scaling applied; array axes i, j, k; a 4D image
    with one volume is squeezed to 3D).
  * --axes ijk: tensor [1, 1, D, H, W] = arr as is (D, H, W = i, j, k; k varies fastest in memory:
    numpy C order). --axes kji: tensor = arr.transpose(2, 1, 0) (D, H, W = k, j, i; i fastest, the
    NIfTI on-disk order: nnU-Net/MONAI exports). The labels go back through the same transpose, so
    the output NIfTI has the input's array axes, shape and affine.
  * --norm none: as is. minmax: (v - min) / (max - min) over the whole volume (all zeros if
    max == min). quantile:LO:HI (percent): lo, hi = numpy.percentile(v, [LO, HI]) (linear
    interpolation, over every voxel), then clip((v - lo) / (hi - lo), 0, 1). Computed in float64,
    then rounded to float32 for the network.
  * --mode whole: one pass over the whole volume (a network with fixed spatial input dims must
    match them).
  * --mode sliding (nnU-Net v2's predict_sliding_window_return_logits, in float32 throughout):
    pad to at least one patch with constant 0, split like acvl_utils.pad_nd_image (below = diff // 2,
    above = the rest); per axis n = ceil((size - patch) / (patch * step)) + 1 tiles at
    round(i * (size - patch) / (n - 1)), i = 0..n-1 (one tile at 0 when n == 1); tiles visited with D
    slowest, W fastest. Importance map: scipy.ndimage.gaussian_filter of a unit impulse at patch // 2
    with sigma = patch / 8 per axis (truncate 4: each axis a 1D Gaussian of radius int(4 sigma + 0.5)
    normalised to sum 1, outer product; computed here without scipy), scaled so its max is 10, zeros
    replaced by the smallest non-zero value (--no-gaussian: all ones). Every tile's logits times the
    map are summed into a [K, D, H, W] accumulator and the map into a weight sum; with --mirror
    (or --mirror-axes) each tile's logits are the mean over the unflipped tile and every non-empty
    combination of flipped axes (nnU-Net's test-time mirroring). Logits / weight sum, crop the padding
    back off, argmax.
  * Labels: argmax over the class axis (first maximum wins a tie); uint8 when K <= 256, else uint16.

Timing: seconds_load = reading the NIfTI and the ONNX file (not counted in the total);
seconds_total = preprocessing + all network passes + accumulation + argmax (not writing);
seconds_network = the network forward passes alone; seconds_write is reported separately.
torch.set_num_threads(--threads), torch.inference_mode().
"""

import argparse
import itertools
import json
import math
import os
import sys
import time

import nibabel as nib
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# ONNX graph -> torch module
# ----------------------------------------------------------------------------------------------

def _pads(attrs, nd):
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto not in ("NOTSET", "VALID"):
        raise NotImplementedError(f"auto_pad={auto}")
    p = list(attrs.get("pads", [0] * (2 * nd))) if auto == "NOTSET" else [0] * (2 * nd)
    return p[:nd], p[nd:]


def op_conv(env, ins, a):
    x, w = env[ins[0]], env[ins[1]]
    b = env[ins[2]] if len(ins) > 2 and ins[2] else None
    nd = w.dim() - 2
    begin, end = _pads(a, nd)
    if begin != end:            # asymmetric: pad explicitly (F.pad wants the last axis first)
        x = F.pad(x, [v for i in reversed(range(nd)) for v in (begin[i], end[i])])
        begin = [0] * nd
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    return conv(x, w, b, stride=a.get("strides", [1] * nd), padding=begin,
                dilation=a.get("dilations", [1] * nd), groups=a.get("group", 1))


def op_conv_transpose(env, ins, a):
    x, w = env[ins[0]], env[ins[1]]
    b = env[ins[2]] if len(ins) > 2 and ins[2] else None
    nd = w.dim() - 2
    begin, end = _pads(a, nd)
    if begin != end or "output_shape" in a:
        raise NotImplementedError("ConvTranspose with asymmetric pads or output_shape")
    conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    return conv(x, w, b, stride=a.get("strides", [1] * nd), padding=begin,
                output_padding=a.get("output_padding", [0] * nd), groups=a.get("group", 1),
                dilation=a.get("dilations", [1] * nd))


def op_reshape(env, ins, a):
    x, shape = env[ins[0]], [int(v) for v in env[ins[1]].tolist()]
    if not a.get("allowzero", 0):
        shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return x.reshape(shape)


def op_softmax(env, ins, a):
    return torch.softmax(env[ins[0]], dim=a.get("axis", -1))


def op_concat(env, ins, a):
    return torch.cat([env[i] for i in ins], dim=a["axis"])


def op_unsqueeze(env, ins, a):
    x = env[ins[0]]
    axes = a["axes"] if "axes" in a else env[ins[1]].tolist()
    rank = x.dim() + len(axes)
    for ax in sorted(v % rank for v in axes):
        x = x.unsqueeze(ax)
    return x


def op_gather(env, ins, a):
    x, idx = env[ins[0]], env[ins[1]]
    ax = a.get("axis", 0)
    if idx.dim() == 0:
        return x.select(ax, int(idx) % x.shape[ax])
    return torch.index_select(x, ax, idx.reshape(-1) % x.shape[ax]).reshape(
        x.shape[:ax] + idx.shape + x.shape[ax + 1:])


def op_batchnorm(env, ins, a):
    x, s, b, m, v = (env[i] for i in ins[:5])
    return F.batch_norm(x, m, v, s, b, training=False, eps=a.get("epsilon", 1e-5))


OPS = {
    "Conv": op_conv,
    "ConvTranspose": op_conv_transpose,
    "Relu": lambda e, i, a: F.relu(e[i[0]]),
    "LeakyRelu": lambda e, i, a: F.leaky_relu(e[i[0]], a.get("alpha", 0.01)),
    "Elu": lambda e, i, a: F.elu(e[i[0]], a.get("alpha", 1.0)),
    "Sigmoid": lambda e, i, a: torch.sigmoid(e[i[0]]),
    "Tanh": lambda e, i, a: torch.tanh(e[i[0]]),
    "Erf": lambda e, i, a: torch.erf(e[i[0]]),
    "Sqrt": lambda e, i, a: torch.sqrt(e[i[0]]),
    "Softmax": op_softmax,
    "Identity": lambda e, i, a: e[i[0]],
    "Add": lambda e, i, a: e[i[0]] + e[i[1]],
    "Sub": lambda e, i, a: e[i[0]] - e[i[1]],
    "Mul": lambda e, i, a: e[i[0]] * e[i[1]],
    "Div": lambda e, i, a: e[i[0]] / e[i[1]],
    "Pow": lambda e, i, a: torch.pow(e[i[0]], e[i[1]]),
    "Shape": lambda e, i, a: torch.tensor(list(e[i[0]].shape), dtype=torch.int64),
    "Reshape": op_reshape,
    "Concat": op_concat,
    "Unsqueeze": op_unsqueeze,
    "Gather": op_gather,
    "InstanceNormalization": lambda e, i, a: F.instance_norm(e[i[0]], weight=e[i[1]], bias=e[i[2]],
                                                            eps=a.get("epsilon", 1e-5)),
    "BatchNormalization": op_batchnorm,
}


def _tensor(arr):
    return torch.from_numpy(np.array(arr, copy=True))


class OnnxNet(torch.nn.Module):
    """The network of an ONNX file as a torch module, executed node by node."""

    def __init__(self, path):
        super().__init__()
        model = onnx.load(path)
        g = model.graph
        self.consts = {t.name: _tensor(numpy_helper.to_array(t)) for t in g.initializer}
        self.nodes = []
        for n in g.node:
            attrs = {at.name: helper.get_attribute_value(at) for at in n.attribute}
            if n.op_type == "Constant":
                if "value" in attrs:
                    self.consts[n.output[0]] = _tensor(numpy_helper.to_array(attrs["value"]))
                elif "value_float" in attrs or "value_floats" in attrs:
                    self.consts[n.output[0]] = torch.tensor(attrs.get("value_float", attrs.get("value_floats")),
                                                            dtype=torch.float32)
                elif "value_int" in attrs or "value_ints" in attrs:
                    self.consts[n.output[0]] = torch.tensor(attrs.get("value_int", attrs.get("value_ints")),
                                                            dtype=torch.int64)
                else:
                    raise NotImplementedError(f"Constant with {list(attrs)}")
                continue
            if n.op_type not in OPS:
                raise NotImplementedError(f"ONNX operator {n.op_type} (node {n.name!r}) is not supported")
            self.nodes.append((n.op_type, list(n.input), list(n.output), attrs))
        inputs = [i for i in g.input if i.name not in self.consts]
        if len(inputs) != 1 or len(g.output) != 1:
            raise ValueError("need exactly one input and one output")
        self.input_name, self.output_name = inputs[0].name, g.output[0].name

        def dims(vi):
            return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                    for d in vi.type.tensor_type.shape.dim]
        self.input_dims, self.output_dims = dims(inputs[0]), dims(g.output[0])
        # free every intermediate after its last use (MindGrab at 256^3 would need ~70 GB otherwise)
        last = {}
        for k, (_, ins, _, _) in enumerate(self.nodes):
            for name in ins:
                last[name] = k
        self.free_after = [[nm for nm in ins if last.get(nm) == k and nm not in self.consts and nm != self.output_name]
                           for k, (_, ins, _, _) in enumerate(self.nodes)]

    def forward(self, x):
        env = dict(self.consts)
        env[self.input_name] = x
        for (op, ins, outs, attrs), free in zip(self.nodes, self.free_after):
            env[outs[0]] = OPS[op](env, ins, attrs)
            for nm in free:
                env.pop(nm, None)
        return env[self.output_name]

    def describe(self):
        parts, radius, local = [], [0, 0, 0], True
        for op, ins, _, a in self.nodes:
            if op == "Conv":
                w = self.consts[ins[1]]
                k, d = list(w.shape[2:]), a.get("dilations", [1] * (w.dim() - 2))
                parts.append(f"Conv{w.dim() - 2}d({w.shape[1] * a.get('group', 1)}->{w.shape[0]}, k{k[0] if len(set(k)) == 1 else k}"
                             + (f", dil{d[0] if len(set(d)) == 1 else d}" if max(d) > 1 else "") + ")")
                radius = [r + (kk // 2) * dd for r, kk, dd in zip(radius, k, d)]
            elif op in ("Relu", "Elu", "LeakyRelu", "Sigmoid", "Tanh"):
                parts.append(op)
            else:
                local = local and op not in ("InstanceNormalization",)
                if not parts or parts[-1] != "...":
                    parts.append("...")
        return (" ".join(parts) + f"  [receptive-field radius {radius}"
                + ("" if local else "; not local: InstanceNormalization") + "]")


# ----------------------------------------------------------------------------------------------
# Preprocessing and sliding window
# ----------------------------------------------------------------------------------------------

def normalise(v, how):
    if how == "none":
        return v
    if how == "minmax":
        lo, hi = float(v.min()), float(v.max())
        return (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
    if how.startswith("quantile:"):
        _, lo_p, hi_p = how.split(":")
        lo, hi = np.percentile(v, [float(lo_p), float(hi_p)])
        return np.clip((v - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(v)
    raise ValueError(f"--norm {how}")


def compute_steps(image_size, patch, step):
    """nnU-Net v2 compute_steps_for_sliding_window."""
    steps = []
    for size, p in zip(image_size, patch):
        n = int(math.ceil((size - p) / (p * step))) + 1
        if n > 1:
            actual = (size - p) / (n - 1)
            steps.append([int(np.round(actual * i)) for i in range(n)])
        else:
            steps.append([0])
    return steps


def gaussian_map(patch, sigma_scale=1.0 / 8, value_scaling_factor=10.0):
    """nnU-Net v2 compute_gaussian (scipy.ndimage.gaussian_filter of an impulse), without scipy."""
    out = np.ones((), dtype=np.float64)
    for p in patch:
        sigma = p * sigma_scale
        radius = int(4.0 * sigma + 0.5)
        t = np.arange(-radius, radius + 1, dtype=np.float64)
        k = np.exp(-0.5 / sigma ** 2 * t ** 2)
        k /= k.sum()
        line = np.zeros(p, dtype=np.float64)
        c = p // 2
        for pos in range(p):
            if abs(pos - c) <= radius:
                line[pos] = k[pos - c + radius]
        out = np.multiply.outer(out, line)
    out = out / (out.max() / value_scaling_factor)
    out = out.astype(np.float32)
    if (out == 0).any():
        out[out == 0] = out[out != 0].min()
    return out


class Timer:
    def __init__(self):
        self.seconds = 0.0
        self.calls = 0

    def run(self, net, x):
        t0 = time.perf_counter()
        y = net(x)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return y


def predict_tile(net, timer, x, mirror_axes):
    pred = timer.run(net, x)
    if mirror_axes:
        axes = [m + 2 for m in mirror_axes]
        combos = [c for i in range(len(axes)) for c in itertools.combinations(axes, i + 1)]
        for c in combos:
            pred = pred + torch.flip(timer.run(net, torch.flip(x, c)), c)
        pred = pred / (len(combos) + 1)
    return pred


def sliding_window(net, timer, vol, patch, step, use_gaussian, mirror_axes):
    shape = vol.shape
    new = [max(s, p) for s, p in zip(shape, patch)]
    below = [(n - s) // 2 for n, s in zip(new, shape)]
    padded = np.pad(vol, [(b, n - s - b) for b, n, s in zip(below, new, shape)], mode="constant", constant_values=0)
    x = torch.from_numpy(np.ascontiguousarray(padded, dtype=np.float32))[None, None]
    steps = compute_steps(padded.shape, patch, step)
    g = torch.from_numpy(gaussian_map(patch) if use_gaussian else np.ones(patch, np.float32))
    acc = None
    wsum = torch.zeros(padded.shape, dtype=torch.float32)
    n_tiles = 0
    for sd in steps[0]:
        for sh in steps[1]:
            for sw in steps[2]:
                sl = (slice(sd, sd + patch[0]), slice(sh, sh + patch[1]), slice(sw, sw + patch[2]))
                pred = predict_tile(net, timer, x[(0, 0) + sl][None, None].contiguous(), mirror_axes)[0]
                if acc is None:
                    acc = torch.zeros((pred.shape[0],) + padded.shape, dtype=torch.float32)
                acc[(slice(None),) + sl] += pred * g
                wsum[sl] += g
                n_tiles += 1
    acc /= wsum
    crop = tuple(slice(b, b + s) for b, s in zip(below, shape))
    return acc[(slice(None),) + crop], dict(tiles=n_tiles, steps=[len(s) for s in steps],
                                            padded_shape=list(padded.shape))


# ----------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="PyTorch CPU reference run of an ONNX segmentation network on a NIfTI.")
    ap.add_argument("model", help="ONNX file")
    ap.add_argument("--input", required=True, help="NIfTI volume")
    ap.add_argument("--out", required=True, help="label map to write (NIfTI)")
    ap.add_argument("--axes", choices=["ijk", "kji"], required=True)
    ap.add_argument("--norm", default="none", help="none | minmax | quantile:LO:HI (percent)")
    ap.add_argument("--mode", choices=["whole", "sliding"], default="whole")
    ap.add_argument("--patch", type=int, nargs=3, metavar=("D", "H", "W"),
                    help="sliding-window patch in tensor order (default: the network's fixed input dims)")
    ap.add_argument("--step", type=float, default=0.5)
    ap.add_argument("--mirror", action="store_true", help="test-time mirroring over all three spatial axes")
    ap.add_argument("--mirror-axes", default="", help="comma-separated tensor spatial axes (0-2) to mirror")
    ap.add_argument("--no-gaussian", action="store_true", help="uniform instead of Gaussian tile weights")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    t0 = time.perf_counter()
    img = nib.load(args.input)
    arr = np.asanyarray(img.get_fdata())
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.ndim != 3:
        sys.exit(f"need a 3D volume, got shape {arr.shape}")
    net = OnnxNet(args.model).eval()
    t_load = time.perf_counter() - t0
    log(f"{os.path.basename(args.model)}: {net.input_name} {net.input_dims} -> {net.output_name} {net.output_dims}")
    log("  " + net.describe())
    if len(net.input_dims) != 5:
        sys.exit(f"the network's input has rank {len(net.input_dims)}, not 5 ([1, C, D, H, W])")
    fixed = net.input_dims[2:]

    timer = Timer()
    with torch.inference_mode():
        t1 = time.perf_counter()
        vol = arr if args.axes == "ijk" else arr.transpose(2, 1, 0)
        vol = np.ascontiguousarray(normalise(vol, args.norm), dtype=np.float32)
        info = {}
        if args.mode == "whole":
            if all(isinstance(f, int) for f in fixed) and list(vol.shape) != fixed:
                sys.exit(f"the network wants a fixed input of {fixed}; the volume is {list(vol.shape)} "
                         f"(use --mode sliding)")
            logits = timer.run(net, torch.from_numpy(vol)[None, None])[0]
        else:
            patch = args.patch or fixed
            if not all(isinstance(p, int) for p in patch):
                sys.exit("--mode sliding needs --patch D H W for a network with dynamic spatial axes")
            mirror = [0, 1, 2] if args.mirror else [int(v) for v in args.mirror_axes.split(",") if v.strip()]
            logits, info = sliding_window(net, timer, vol, list(patch), args.step, not args.no_gaussian, mirror)
            info["patch"], info["mirror_axes"] = list(patch), mirror
        k = logits.shape[0]
        labels = torch.argmax(logits, dim=0).numpy()
        del logits
        t_total = time.perf_counter() - t1

    t2 = time.perf_counter()
    dtype = np.uint8 if k <= 256 else np.uint16
    labels = labels.astype(dtype)
    if args.axes == "kji":
        labels = labels.transpose(2, 1, 0)
    labels = np.ascontiguousarray(labels)
    hdr = img.header.copy()
    hdr.set_data_dtype(dtype)
    cls = nib.Nifti2Image if isinstance(img, nib.Nifti2Image) else nib.Nifti1Image
    out = cls(labels, img.affine, hdr)
    out.header.set_slope_inter(1.0, 0.0)
    out.header["cal_min"], out.header["cal_max"] = 0, k - 1
    nib.save(out, args.out)
    t_write = time.perf_counter() - t2

    zooms = img.header.get_zooms()[:3]
    voxel_ml = float(np.prod(zooms)) / 1000.0
    counts = np.bincount(labels.ravel(), minlength=k)
    res = {
        "seconds_total": round(t_total, 4),
        "seconds_network": round(timer.seconds, 4),
        "voxels": int(labels.size),
        "threads": args.threads,
        "mode": args.mode,
        "seconds_load": round(t_load, 4),
        "seconds_write": round(t_write, 4),
        "network_passes": timer.calls,
        "model": args.model,
        "input": args.input,
        "axes": args.axes,
        "norm": args.norm,
        "tensor_shape": list(vol.shape),
        "classes": int(k),
        "voxel_ml": voxel_ml,
        "label_voxels": {str(i): int(c) for i, c in enumerate(counts) if c},
        "label_ml": {str(i): round(float(c) * voxel_ml, 3) for i, c in enumerate(counts) if c and i},
    }
    res.update(info)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
