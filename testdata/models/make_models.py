#!/usr/bin/python3
"""Generator of Delineate's tiny test networks (ONNX) and their expected outputs.

What it writes (all under testdata/models/, next to this file; contracts and output formulas in
EXPECTED.md, which it also writes):
  tiny-nnunet/model.onnx        nnU-Net-shaped stage, fixed patch [1,1,16,32,32] -> [1,4,16,32,32]
  tiny-axis/model.onnx          axis-order probe: a difference along the last tensor axis (W) only
  tiny-fcn/model.onnx           MeshNet-like dilated FCN with random weights (numpy seed 0)
  tiny-fcn/expected_20x24x28.u8          argmax of tiny-fcn on a fixed 20x24x28 input
  tiny-fcn/expected_logits_20x24x28.f32  its logits
  tiny-100class/model.onnx      100 classes = 30-HU bins of raw CT intensity
  tiny-2d/model.onnx            a rank-4 (2D) network, for the "wrong rank" refusal
  garbage.onnx                  4096 pseudo-random bytes, not an ONNX ModelProto
  EXPECTED.md                   every network's contract and exact output formula

How to run (from anywhere; Debian packages only: python3-torch, python3-onnx, python3-numpy):
  /usr/bin/python3 testdata/models/make_models.py          # write everything, verify, print sizes
  /usr/bin/python3 testdata/models/make_models.py --check  # regenerate in a temp dir and compare
                                                            # byte for byte with the committed files

Deterministic: the graphs are built node by node with onnx.helper (not torch.onnx.export), with no
producer version, timestamps or random names, and random weights come from numpy's legacy
RandomState(0), whose stream never changes across numpy versions. PyTorch is used to verify every
network (a torch module rebuilt from the saved file's initializers must agree with the numpy
formula) and to compute tiny-fcn's expected output (float64 on one thread, rounded to float32).
"""

import argparse
import filecmp
import hashlib
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OPSET = 13          # ONNX Runtime >= 1.8 and every later one; the brief allows <= 17
IR_VERSION = 7      # the IR version that goes with opset 13
PRODUCER = "delineate testdata/models/make_models.py"
HERE = os.path.dirname(os.path.abspath(__file__))

FCN_SHAPE = (20, 24, 28)                   # D, H, W of tiny-fcn's reference input
NNUNET_PATCH = (16, 32, 32)
LEAKY = 0.01                               # nnU-Net's LeakyReLU negative slope
HU_OFFSET = 0.25                           # tiny-100class: bin edges at -1000.25 + 30 c (see EXPECTED.md)
HU_SCALE = 3.0                             # tiny-100class: logit margin = 3 * (HU distance to edge) / 30


# ----------------------------------------------------------------------------------------------
# Building ONNX graphs
# ----------------------------------------------------------------------------------------------

def f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def conv_node(name, x, w, b, out, pads, dilations=None, kernel=None):
    """A Conv node; pads is the per-axis (symmetric) padding."""
    k = list(kernel)
    attrs = dict(kernel_shape=k, pads=list(pads) + list(pads), strides=[1] * len(k),
                 dilations=list(dilations or [1] * len(k)), group=1)
    inputs = [x, w] + ([b] if b is not None else [])
    return helper.make_node("Conv", inputs, [out], name=name, **attrs)


def value_info(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(dims))


def make_model(graph_name, nodes, inits, in_name, in_dims, out_name, out_dims, doc):
    graph = helper.make_graph(
        nodes, graph_name,
        [value_info(in_name, in_dims)], [value_info(out_name, out_dims)],
        initializer=[numpy_helper.from_array(f32(v), name=k) for k, v in inits])
    model = helper.make_model(graph, producer_name=PRODUCER, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    model.producer_version = ""
    model.doc_string = doc
    onnx.checker.check_model(model, full_check=True)
    return model


def centre_tap(w_centre, k=3, rank=3):
    """[out, in] centre-tap weights -> [out, in, k, k, k] with every other tap zero."""
    w_centre = f32(w_centre)
    w = np.zeros(w_centre.shape + (k,) * rank, dtype=np.float32)
    c = (k // 2,) * rank
    w[(Ellipsis,) + c] = w_centre
    return w


# ---- 1. tiny-nnunet ---------------------------------------------------------------------------

def build_tiny_nnunet():
    # Layer 1 (1 -> 4): a = LReLU(x), b = LReLU(-x); channels 2, 3 are dead (weight 0, bias 0).
    w1 = np.zeros((4, 1), np.float32)
    w1[0, 0], w1[1, 0] = 1.0, -1.0
    b1 = np.zeros(4, np.float32)
    # LReLU(x) - LReLU(-x) = 1.01 x for every x, so (a - b) / 1.01 = x.
    r = 1.0 / (1.0 + LEAKY)
    # Layer 2 (4 -> 4): p = LReLU((a - b) / 1.01) = LReLU(x), n = LReLU((b - a) / 1.01) = LReLU(-x).
    w2 = np.zeros((4, 4), np.float32)
    w2[0, 0], w2[0, 1] = r, -r
    w2[1, 0], w2[1, 1] = -r, r
    b2 = np.zeros(4, np.float32)
    # Layer 3 (1x1x1, 4 -> 4 classes): logit_c = c (p - n) / 1.01 - c^2 / 2 = c x - c^2 / 2.
    w3 = np.zeros((4, 4), np.float32)
    b3 = np.zeros(4, np.float32)
    for c in range(4):
        w3[c, 0], w3[c, 1] = c * r, -c * r
        b3[c] = -c * c / 2.0
    inits = [("stage.conv1.weight", centre_tap(w1)), ("stage.conv1.bias", b1),
             ("stage.conv2.weight", centre_tap(w2)), ("stage.conv2.bias", b2),
             ("seg_output.weight", w3.reshape(4, 4, 1, 1, 1)), ("seg_output.bias", b3)]
    nodes = [
        conv_node("conv1", "input", "stage.conv1.weight", "stage.conv1.bias", "h1", [1, 1, 1], kernel=[3, 3, 3]),
        helper.make_node("LeakyRelu", ["h1"], ["a1"], name="lrelu1", alpha=LEAKY),
        conv_node("conv2", "a1", "stage.conv2.weight", "stage.conv2.bias", "h2", [1, 1, 1], kernel=[3, 3, 3]),
        helper.make_node("LeakyRelu", ["h2"], ["a2"], name="lrelu2", alpha=LEAKY),
        conv_node("seg_output", "a2", "seg_output.weight", "seg_output.bias", "logits", [0, 0, 0], kernel=[1, 1, 1]),
    ]
    return make_model("tiny_nnunet", nodes, inits, "input", (1, 1) + NNUNET_PATCH, "logits", (1, 4) + NNUNET_PATCH,
                      "tiny-nnunet: logit_c = c*x - c^2/2 (pointwise), argmax = bin of x at 0.5/1.5/2.5; see EXPECTED.md")


def nnunet_formula(x):
    x = np.asarray(x, np.float64)
    return np.stack([c * x - c * c / 2.0 for c in range(4)])


def nnunet_label(x):
    x = np.asarray(x, np.float64)
    return np.select([x < 0.5, x < 1.5, x < 2.5], [0, 1, 2], 3)


# ---- 2. tiny-axis -----------------------------------------------------------------------------

def build_tiny_axis():
    wg = np.array([-1.0, 0.0, 1.0], np.float32).reshape(1, 1, 1, 1, 3)
    wc = np.array([0.0, 1.0, -1.0], np.float32).reshape(3, 1, 1, 1, 1)
    bc = np.array([0.0, -0.5, -0.5], np.float32)
    inits = [("diff_w.weight", wg), ("classes.weight", wc), ("classes.bias", bc)]
    nodes = [
        conv_node("diff_w", "input", "diff_w.weight", None, "g", [0, 0, 1], kernel=[1, 1, 3]),
        conv_node("classes", "g", "classes.weight", "classes.bias", "output", [0, 0, 0], kernel=[1, 1, 1]),
    ]
    return make_model("tiny_axis", nodes, inits, "input", (1, 1, "d", "h", "w"), "output", (1, 3, "d", "h", "w"),
                      "tiny-axis: g = x[..,w+1] - x[..,w-1] along the LAST axis; logits (0, g-0.5, -g-0.5); see EXPECTED.md")


def axis_formula(x):
    x = np.asarray(x, np.float64)
    p = np.pad(x, [(0, 0), (0, 0), (1, 1)])
    g = p[:, :, 2:] - p[:, :, :-2]
    return np.stack([np.zeros_like(g), g - 0.5, -g - 0.5])


# ---- 3. tiny-fcn ------------------------------------------------------------------------------

FCN_LAYERS = [(1, 4, 3, 1), (4, 4, 3, 2), (4, 4, 3, 4), (4, 5, 1, 1)]   # (in, out, kernel, dilation)


def fcn_weights():
    rng = np.random.RandomState(0)
    out = []
    for cin, cout, k, _ in FCN_LAYERS:
        # He-normal weights, small uniform biases (PyTorch's default init, uniform +-1/sqrt(fan_in) for
        # both, gives label 1 at every voxel of the reference input: useless for a tiling test)
        w = rng.normal(0.0, np.sqrt(2.0 / (cin * k ** 3)), size=(cout, cin, k, k, k)).astype(np.float32)
        b = rng.uniform(-0.1, 0.1, size=(cout,)).astype(np.float32)
        out.append((w, b))
    return out


def build_tiny_fcn():
    inits, nodes, x = [], [], "input"
    for i, ((cin, cout, k, dil), (w, b)) in enumerate(zip(FCN_LAYERS, fcn_weights())):
        inits += [(f"model.{2 * i}.weight", w), (f"model.{2 * i}.bias", b)]
        last = i == len(FCN_LAYERS) - 1
        out = "output" if last else f"conv{i}"
        pad = dil * (k // 2)
        nodes.append(conv_node(f"conv{i}", x, f"model.{2 * i}.weight", f"model.{2 * i}.bias", out,
                               [pad] * 3, dilations=[dil] * 3, kernel=[k] * 3))
        if not last:
            nodes.append(helper.make_node("Relu", [out], [f"relu{i}"], name=f"relu{i}"))
            x = f"relu{i}"
    return make_model("tiny_fcn", nodes, inits, "input", (1, 1, "d", "h", "w"), "output", (1, 5, "d", "h", "w"),
                      "tiny-fcn: MeshNet-like dilated FCN (dil 1,2,4; receptive-field radius 7), numpy seed 0; see EXPECTED.md")


def fcn_input(shape=FCN_SHAPE):
    d, h, w = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in shape], indexing="ij")
    return (np.sin(0.3 * d) + np.cos(0.2 * h) + 0.1 * w).astype(np.float32)


# ---- 4. tiny-100class -------------------------------------------------------------------------

def build_tiny_100class():
    # u = (x + 1000.25) / 30;  h0 = ReLU(u), h1 = ReLU(u - 100), so uc = h0 - h1 = clamp(u, 0, 100).
    w1 = np.zeros((4, 1), np.float32)
    b1 = np.zeros(4, np.float32)
    w1[0, 0], b1[0] = 1.0 / 30.0, (1000.0 + HU_OFFSET) / 30.0
    w1[1, 0], b1[1] = 1.0 / 30.0, (1000.0 + HU_OFFSET) / 30.0 - 100.0
    # logit_c = 3 (c uc - c (c + 1) / 2): neighbours cross at uc = c + 1, so argmax = floor(uc) <= 99.
    w2 = np.zeros((100, 4), np.float32)
    b2 = np.zeros(100, np.float32)
    for c in range(100):
        w2[c, 0], w2[c, 1] = HU_SCALE * c, -HU_SCALE * c
        b2[c] = -HU_SCALE * c * (c + 1) / 2.0
    inits = [("conv1.weight", centre_tap(w1)), ("conv1.bias", b1),
             ("classes.weight", w2.reshape(100, 4, 1, 1, 1)), ("classes.bias", b2)]
    nodes = [
        conv_node("conv1", "input", "conv1.weight", "conv1.bias", "h", [1, 1, 1], kernel=[3, 3, 3]),
        helper.make_node("Relu", ["h"], ["r"], name="relu1"),
        conv_node("classes", "r", "classes.weight", "classes.bias", "output", [0, 0, 0], kernel=[1, 1, 1]),
    ]
    return make_model("tiny_100class", nodes, inits, "input", (1, 1, "d", "h", "w"), "output", (1, 100, "d", "h", "w"),
                      "tiny-100class: argmax = clamp(floor((x + 1000.25)/30), 0, 99) for x in HU; see EXPECTED.md")


def hu_formula(x):
    x = np.asarray(x, np.float64)
    uc = np.clip((x + 1000.0 + HU_OFFSET) / 30.0, 0.0, 100.0)
    c = np.arange(100, dtype=np.float64).reshape((100,) + (1,) * x.ndim)
    return HU_SCALE * (c * uc - c * (c + 1) / 2.0)


def hu_label(x, offset=HU_OFFSET):
    return np.clip(np.floor((np.asarray(x, np.float64) + 1000.0 + offset) / 30.0), 0, 99).astype(np.int64)


# ---- 5. tiny-2d -------------------------------------------------------------------------------

def build_tiny_2d():
    w = centre_tap(np.array([[-1.0], [1.0]]), rank=2)          # [2, 1, 3, 3], centre taps -1 and +1
    b = np.array([0.5, -0.5], np.float32)
    inits = [("conv.weight", w), ("conv.bias", b)]
    nodes = [conv_node("conv", "input", "conv.weight", "conv.bias", "output", [1, 1], kernel=[3, 3])]
    return make_model("tiny_2d", nodes, inits, "input", (1, 1, "h", "w"), "output", (1, 2, "h", "w"),
                      "tiny-2d: rank-4 (2D) network, logits (0.5 - x, x - 0.5); see EXPECTED.md")


# ---- 6. garbage -------------------------------------------------------------------------------

def build_unknown_op():
    """A well-formed ONNX file that ONNX Runtime refuses: its one node is an
    operator no runtime implements (domain delineate.test), so the model
    parses but no session can be made from it."""
    node = helper.make_node("NoSuchOp", ["input"], ["output"], name="unknown", domain="delineate.test")
    graph = helper.make_graph([node], "unknown_op",
                              [value_info("input", [1, 1, "d", "h", "w"])],
                              [value_info("output", [1, 2, "d", "h", "w"])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("delineate.test", 1)],
                          producer_name="delineate make_models.py")
    m.ir_version = 7
    return m


def garbage_bytes(n=4096):
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(b"delineate garbage.onnx %d" % i).digest()
        i += 1
    return out[:n]


# ----------------------------------------------------------------------------------------------
# Verification in PyTorch: rebuild each network from the saved file's initializers and attributes
# ----------------------------------------------------------------------------------------------

def torch_run(model, x, dtype=torch.float32):
    """Runs a Conv/Relu/LeakyRelu chain given as an ONNX ModelProto, in PyTorch."""
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()).to(dtype) for t in model.graph.initializer}
    env = {model.graph.input[0].name: torch.from_numpy(np.ascontiguousarray(x)).to(dtype)}
    for n in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        v = env[n.input[0]]
        if n.op_type == "Conv":
            w = inits[n.input[1]]
            b = inits[n.input[2]] if len(n.input) > 2 else None
            nd = w.dim() - 2
            pads = a["pads"]
            assert list(pads[:nd]) == list(pads[nd:]), "asymmetric pads"
            conv = {2: F.conv2d, 3: F.conv3d}[nd]
            y = conv(v, w, b, stride=a["strides"], padding=list(pads[:nd]), dilation=a["dilations"], groups=a["group"])
        elif n.op_type == "Relu":
            y = F.relu(v)
        elif n.op_type == "LeakyRelu":
            y = F.leaky_relu(v, a.get("alpha", 0.01))
        else:
            raise ValueError(n.op_type)
        env[n.output[0]] = y
    return env[model.graph.output[0].name].numpy()


def receptive_radius(model):
    r = 0
    for n in model.graph.node:
        if n.op_type == "Conv":
            a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
            r += (a["kernel_shape"][0] // 2) * a["dilations"][0]
    return r


def verify(models, out_dir, log):
    # 1. tiny-nnunet: formula on a volume whose values sweep -1..4 (and some far-out values).
    m = models["tiny-nnunet"]
    rng = np.random.RandomState(1)
    x = rng.uniform(-1.0, 4.0, size=(1, 1) + NNUNET_PATCH).astype(np.float32)
    x.flat[:6] = [-1e4, -3.0, 0.5, 1.5, 2.5, 1e4]
    y = torch_run(m, x)[0]
    ref = nnunet_formula(x[0, 0])
    err = np.abs(y - ref).max() / max(1.0, np.abs(ref).max())
    assert err < 1e-6, err
    far = np.min(np.abs(x[0, 0][..., None] - np.array([0.5, 1.5, 2.5])), axis=-1) >= 1e-3
    assert (y.argmax(0) == nnunet_label(x[0, 0]))[far].all()
    xs = np.arange(-2000, 4001, dtype=np.float64) / 200.0   # -10..20 in steps of 0.005
    lg = nnunet_formula(xs)
    top = np.sort(lg, axis=0)
    away = np.min(np.abs(xs[:, None] - np.array([0.5, 1.5, 2.5])), axis=1) >= 0.25
    assert (top[-1] - top[-2])[away].min() >= 0.25 - 1e-12
    off = np.min(np.abs(xs[:, None] - np.array([0.5, 1.5, 2.5])), axis=1) > 1e-9   # ties at the thresholds
    assert (lg.argmax(0) == nnunet_label(xs))[off].all()
    log.append(f"tiny-nnunet: torch vs formula max rel err {err:.2e}; margin >= 0.25 at >= 0.25 from a threshold")

    # 2. tiny-axis: integer inputs, exact; the transposed layout must give a different answer.
    m = models["tiny-axis"]
    x = rng.randint(-3, 4, size=(1, 1, 5, 6, 7)).astype(np.float32)
    y = torch_run(m, x)[0]
    ref = axis_formula(x[0, 0])
    assert np.array_equal(y, ref.astype(np.float32))
    top = np.sort(ref, axis=0)
    assert (top[-1] - top[-2]).min() >= 0.5
    ramp = np.broadcast_to(np.arange(7, dtype=np.float32), (5, 6, 7)).copy()
    lab = torch_run(m, ramp[None, None])[0].argmax(0)
    assert (lab[:, :, 1:-1] == 1).all() and (lab[:, :, 0] == 1).all() and (lab[:, :, -1] == 2).all()
    rampd = np.broadcast_to(np.arange(5, dtype=np.float32)[:, None, None], (5, 6, 7)).copy()
    labd = torch_run(m, rampd[None, None])[0].argmax(0)
    assert (labd[:, :, 1:-1] == 0).all()
    log.append("tiny-axis: exact on integer inputs; margin >= 0.5")

    # 3. tiny-fcn: whole-volume reference (float64 in torch, rounded to float32), tiling check.
    m = models["tiny-fcn"]
    assert receptive_radius(m) == 7
    x = fcn_input()
    logits64 = torch_run(m, x[None, None], dtype=torch.float64)[0]
    logits = logits64.astype(np.float32)
    labels = logits64.argmax(0).astype(np.uint8)
    l32 = torch_run(m, x[None, None])[0]
    top = np.sort(logits64, axis=0)
    gap = top[-1] - top[-2]
    assert np.array_equal(l32.argmax(0), labels), "float32 argmax differs from float64"
    # tiles of 8 voxels per axis with a margin of 7, keeping centres, must equal the whole pass
    D, H, W = FCN_SHAPE
    tiled = np.zeros_like(logits64)
    t, mg = 8, 7
    for d0 in range(0, D, t):
        for h0 in range(0, H, t):
            for w0 in range(0, W, t):
                lo = [max(0, s - mg) for s in (d0, h0, w0)]
                hi = [min(n, s + t + mg) for s, n in zip((d0, h0, w0), FCN_SHAPE)]
                sub = x[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
                o = torch_run(m, sub[None, None], dtype=torch.float64)[0]
                e = [min(n, s + t) for s, n in zip((d0, h0, w0), FCN_SHAPE)]
                tiled[:, d0:e[0], h0:e[1], w0:e[2]] = o[:, d0 - lo[0]:e[0] - lo[0], h0 - lo[1]:e[1] - lo[1],
                                                       w0 - lo[2]:e[2] - lo[2]]
    assert np.abs(tiled - logits64).max() < 1e-12
    # and a margin of 6 must NOT (the receptive-field radius really is 7)
    sub = x[:, :, :8 + 6]
    o = torch_run(m, sub[None, None], dtype=torch.float64)[0]
    assert np.abs(o[:, :, :, :8] - logits64[:, :, :, :8]).max() > 1e-9
    labels.tofile(os.path.join(out_dir, "tiny-fcn", "expected_20x24x28.u8"))
    logits.astype("<f4").tofile(os.path.join(out_dir, "tiny-fcn", "expected_logits_20x24x28.f32"))
    counts = np.bincount(labels.ravel(), minlength=5)
    fcn_stats = dict(counts=counts.tolist(), min_gap=float(gap.min()),
                     n_gap_lt_1e4=int((gap < 1e-4).sum()), n_gap_lt_1e3=int((gap < 1e-3).sum()),
                     f32_err=float(np.abs(l32 - logits64).max()),
                     lmin=float(logits.min()), lmax=float(logits.max()),
                     xmin=float(x.min()), xmax=float(x.max()))
    log.append(f"tiny-fcn: label counts {counts.tolist()}, min top-2 gap {gap.min():.3g}, "
               f"torch f32 vs f64 max err {fcn_stats['f32_err']:.2g}; tiling margin 7 == whole, margin 6 differs")

    # 4. tiny-100class: sweep -2000..4000 HU in steps of 0.5 through the torch network.
    m = models["tiny-100class"]
    xs = (np.arange(-4000, 8001, dtype=np.float64) / 2.0).astype(np.float32)    # exact in float32
    y = torch_run(m, xs.reshape(1, 1, 1, 1, -1))[0, :, 0, 0, :]
    ref = hu_formula(xs)
    want = hu_label(xs, 0.0)          # the nominal formula clamp(floor((x + 1000) / 30), 0, 99)
    got = y.argmax(0)
    assert np.array_equal(got, want), np.nonzero(got != want)
    assert np.array_equal(got, hu_label(xs))
    err = np.abs(y - ref).max()
    top = np.sort(y.astype(np.float64), axis=0)
    dist = np.abs((xs.astype(np.float64) + 1000.25) / 30.0 - np.round((xs.astype(np.float64) + 1000.25) / 30.0)) * 30
    inside = (xs > -1000.25 + 1e-3) & (xs < -1000.25 + 3000 - 1e-3)
    ratio = ((top[-1] - top[-2]) / dist)[inside].min()
    # finer sweep with arbitrary values: only within 0.02 HU of a network edge may it differ (float32
    # logits reach ~15,000, ulp ~0.001, and the margin is 0.1 per HU)
    xf = np.linspace(-2000, 4000, 600001).astype(np.float32)
    yf = torch_run(m, xf.reshape(1, 1, 1, 1, -1))[0, :, 0, 0, :].argmax(0)
    wrong = yf != hu_label(xf)
    e = (xf[wrong].astype(np.float64) + 1000.25) / 30.0
    assert (np.abs(e - np.round(e)) * 30 < 2e-2).all()
    maxd = float((np.abs(e - np.round(e)) * 30).max()) if wrong.any() else 0.0
    log.append(f"tiny-100class: -2000..4000 step 0.5 all equal to floor((x+1000)/30) clamped; "
               f"torch vs formula max abs err {err:.2g}; margin/distance >= {ratio:.4f}; "
               f"{int(wrong.sum())} of {xf.size} values on a 0.01-HU grid differ from the exact-edge formula, "
               f"all within {maxd:.4f} HU of an edge")

    # 5. tiny-2d
    m = models["tiny-2d"]
    x = np.array([[0.0, 1.0, 0.4], [0.6, -2.0, 3.0]], np.float32)
    y = torch_run(m, x[None, None])[0]
    assert np.allclose(y, np.stack([0.5 - x, x - 0.5]))
    log.append("tiny-2d: logits (0.5 - x, x - 0.5)")

    # 6. garbage
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # protobuf's "Unexpected end-group tag" warning
            onnx.load(os.path.join(out_dir, "garbage.onnx"))
    except Exception as exc:  # protobuf DecodeError
        log.append(f"garbage.onnx: onnx.load refuses it ({type(exc).__name__}: {exc})")
    else:
        raise AssertionError("garbage.onnx parses as a ModelProto")
    return fcn_stats


# ----------------------------------------------------------------------------------------------
# EXPECTED.md
# ----------------------------------------------------------------------------------------------

def expected_md(fcn):
    return f"""# Tiny test networks: contracts and exact outputs

Written by `make_models.py` (run `/usr/bin/python3 testdata/models/make_models.py`; `--check`
regenerates in a temporary folder and compares byte for byte). All networks are ONNX opset {OPSET},
IR version {IR_VERSION}, float32, built node by node with `onnx.helper`; batch is fixed at 1. Shapes are
written [N, C, D, H, W]; a quoted name (`'d'`) is a dynamic axis. "x" is the input tensor's value at a
voxel. Formulas are exact in real arithmetic; float32 evaluation differs by rounding only
(relative ~1e-7). Verified in PyTorch 1.13 (a module rebuilt from each saved file's initializers and
node attributes) against numpy implementations of the formulas below, and once by hand with ONNX
Runtime 1.24.1 (the project's `lib/libonnxruntime.so.1`, through onnxruntime_go): every formula and
expected file below held there too (tiny-fcn logits within 3.4e-6, same argmax), `garbage.onnx` was
refused ("Protobuf parsing failed") and tiny-nnunet refused an input of depth 8 ("Got: 8 Expected: 16").

## tiny-nnunet/model.onnx — nnU-Net-shaped stage, fixed patch

- input `input` float32 [1, 1, 16, 32, 32] → output `logits` float32 [1, 4, 16, 32, 32] (all fixed).
- Graph: Conv3d(1→4, 3×3×3, pad 1) → LeakyRelu(α = 0.01) → Conv3d(4→4, 3×3×3, pad 1) →
  LeakyRelu(0.01) → Conv3d(4→4, 1×1×1). Only the centre tap of each 3×3×3 kernel is non-zero, so
  the output at a voxel depends on that voxel's x only (zero padding and patch position never matter;
  a sliding window with any overlap, Gaussian weighting and mirroring gives the same logits).
- Weights: layer 1 a = LReLU(x), b = LReLU(−x) (channels 2, 3 dead); since LReLU(t) − LReLU(−t) = 1.01 t,
  layer 2 p = LReLU((a − b)/1.01) = LReLU(x), n = LReLU((b − a)/1.01) = LReLU(−x); layer 3
  logit_c = c·(p − n)/1.01 − c²/2.
- **logits: logit_c = c·x − c²/2, i.e. (0, x − 0.5, 2x − 2, 3x − 4.5).**
- **argmax: 0 for x < 0.5, 1 for 0.5 ≤ x < 1.5, 2 for 1.5 ≤ x < 2.5, 3 for x ≥ 2.5** (ties at the
  thresholds themselves are not defined).
- Margin: logit_k − logit_j = (k − j)(x − (k + j)/2), so the winner beats the runner-up by exactly the
  distance from x to the nearest threshold (≥ 0.25 when x is ≥ 0.25 from 0.5, 1.5, 2.5).

## tiny-axis/model.onnx — axis-order probe

- input `input` float32 [1, 1, 'd', 'h', 'w'] → output `output` float32 [1, 3, 'd', 'h', 'w'].
- Graph: Conv3d(1→1, kernel (1, 1, 3), pads (0, 0, 1), weights [−1, 0, +1] along the LAST tensor axis
  W, no bias) → g; Conv3d(1→3, 1×1×1, weights (0, 1, −1), bias (0, −0.5, −0.5)). No activations.
- **g[d, h, w] = x[d, h, w+1] − x[d, h, w−1]**, with x = 0 outside the volume (so at w = 0,
  g = x[d, h, 1]; at w = W−1, g = −x[d, h, W−2]).
- **logits: (0, g − 0.5, −g − 0.5). argmax: 1 where g > 0.5, 2 where g < −0.5, else 0.**
  For integer-valued inputs g is an integer and every margin is ≥ 0.5; the float32 output is exact.
- Example: a ramp along W, x[d, h, w] = w, gives g = 2 inside and label 1 everywhere except label 2
  at w = W−1 (g = −(W−2)); the same ramp along D, x = d, gives g = 0 and label 0 for 0 < w < W−1,
  label 1 at w = 0 and label 2 at w = W−1 (where d > 0).
  A transposed layout therefore shows up at once.

## tiny-fcn/model.onnx — MeshNet-like dilated FCN, random weights

- input `input` float32 [1, 1, 'd', 'h', 'w'] → output `output` float32 [1, 5, 'd', 'h', 'w'].
- Graph: Conv3d(1→4, k 3, dilation 1, pad 1) → Relu → Conv3d(4→4, k 3, dil 2, pad 2) → Relu →
  Conv3d(4→4, k 3, dil 4, pad 4) → Relu → Conv3d(4→5, k 1). Zero padding. Receptive-field radius
  1 + 2 + 4 = **7** voxels on every axis: overlap tiling with margin ≥ 7 equals one whole-volume pass
  (verified in float64 with 8³ tiles; margin 6 does not).
- Weights: `numpy.random.RandomState(0)`, drawn in layer order, for each layer first the weight
  [out, in, k, k, k] = `normal(0, √(2/(in·k³)))` (He) then the bias [out] = `uniform(−0.1, 0.1)`,
  cast to float32.
- Reference input, shape [20, 24, 28] = (D, H, W): **x[d, h, w] = sin(0.3·d) + cos(0.2·h) + 0.1·w**,
  evaluated in float64 and rounded to float32 (range {fcn['xmin']:.4f}..{fcn['xmax']:.4f}).
- `tiny-fcn/expected_20x24x28.u8`: 13,440 bytes, the argmax label (uint8, values 0..4) in C order
  [d, h, w] — w fastest, then h, then d; byte offset = (d·24 + h)·28 + w.
- `tiny-fcn/expected_logits_20x24x28.f32`: 268,800 bytes, the logits as float32 little-endian in C order
  [c, d, h, w] (class slowest, w fastest; offset in floats = ((c·20 + d)·24 + h)·28 + w), i.e. the
  output tensor [1, 5, 20, 24, 28] without the batch axis. Range {fcn['lmin']:.4f}..{fcn['lmax']:.4f}.
- Both were computed by PyTorch on the whole volume at once in float64 (weights and input are the
  float32 values above, widened) and rounded to float32; PyTorch float32 differs by at most
  {fcn['f32_err']:.1e} and gives the same argmax everywhere.
- Label counts (0..4): {fcn['counts']}. Smallest top-1 − top-2 logit gap: {fcn['min_gap']:.3g}
  ({fcn['n_gap_lt_1e4']} voxels below 1e-4, {fcn['n_gap_lt_1e3']} below 1e-3): compare logits with a
  tolerance of ~1e-5 and labels exactly (or skip voxels whose gap is below 1e-4).

## tiny-100class/model.onnx — 100 HU bins, for memory benchmarks on CT

- input `input` float32 [1, 1, 'd', 'h', 'w'] (raw HU, intensity method `none`) → output `output`
  float32 [1, 100, 'd', 'h', 'w'].
- Graph: Conv3d(1→4, 3×3×3, pad 1, centre tap only) → Relu → Conv3d(4→100, 1×1×1). Pointwise.
- Layer 1: u = (x + 1000.25)/30; h0 = ReLU(u), h1 = ReLU(u − 100) (h2, h3 dead), so
  uc = h0 − h1 = clamp(u, 0, 100).
- **logits: logit_c = 3·(c·uc − c(c+1)/2), c = 0..99.** Neighbours c − 1 and c cross at uc = c, so
  the upper envelope gives **argmax = clamp(floor((x + 1000.25)/30), 0, 99)**.
- This equals the nominal **clamp(floor((x + 1000)/30), 0, 99) for every x that is a multiple of
  0.5 HU** (in particular every integer HU value): the network's bin edges sit 0.25 HU below the
  nominal ones, at −1000.25 + 30c for c = 1..99 (−970.25 … 1969.75 HU), so that no integer or
  half-integer input lies on an edge. (On the shared example CT, `ct-abdomen/example_ct.nii.gz`,
  integer HU, 53,211 of its 1,380,064 voxels lie exactly on a nominal edge; the network's labels
  equal the nominal formula at every voxel.) Verified over −2000..4000 HU in steps of 0.5 (all
  12,001 values equal the nominal formula). For arbitrary real x the two formulas differ only for x
  in [−1000.25 + 30c, −1000 + 30c), c = 1..99: a 0.25-HU sliver below each nominal edge.
- Margin: winner − runner-up = 3·(HU distance to the nearest network edge)/30 = 0.1 × distance
  (at least 0.025 for inputs on the 0.5-HU grid), and exactly 3 below −1000.25 HU (class 0) and
  above 1999.75 HU (class 99).
- Logit magnitude up to ~15,000 (float32 ulp there ~0.001–0.002), so compare labels, not logits: in
  float32 the argmax can differ from the formula within ~0.01 HU of a network edge (seen in PyTorch:
  111 of 600,001 values on a 0.01-HU grid, all within about 0.01 HU of an edge); never for inputs on the
  0.5-HU grid, whose margin (≥ 0.025) is ~10× the rounding error.

## tiny-2d/model.onnx — a 2D network (rank 4)

- input `input` float32 [1, 1, 'h', 'w'] → output `output` float32 [1, 2, 'h', 'w'].
- Graph: one Conv2d(1→2, 3×3, pad 1), centre taps (−1, +1), bias (0.5, −0.5).
- logits: (0.5 − x, x − 0.5); argmax 1 where x > 0.5. Exists so that a 3D model description of it
  is refused for the wrong rank.

## garbage.onnx

- 4,096 bytes: SHA-256(b"delineate garbage.onnx %d" % i) for i = 0, 1, 2, … concatenated and cut to
  4096. Not a valid protobuf ModelProto: `onnx.load` raises `DecodeError`; ONNX Runtime must refuse it.
"""


# ----------------------------------------------------------------------------------------------

def generate(out_dir):
    log = []
    builders = {"tiny-nnunet": build_tiny_nnunet, "tiny-axis": build_tiny_axis, "tiny-fcn": build_tiny_fcn,
                "tiny-100class": build_tiny_100class, "tiny-2d": build_tiny_2d}
    models = {}
    for name, build in builders.items():
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        path = os.path.join(out_dir, name, "model.onnx")
        with open(path, "wb") as fh:
            fh.write(build().SerializeToString())
        models[name] = onnx.load(path)          # verify what was written, not what was built
        onnx.checker.check_model(path, full_check=True)
    with open(os.path.join(out_dir, "garbage.onnx"), "wb") as fh:
        fh.write(garbage_bytes())
    with open(os.path.join(out_dir, "unknown-op.onnx"), "wb") as fh:
        fh.write(build_unknown_op().SerializeToString())
    fcn = verify(models, out_dir, log)
    with open(os.path.join(out_dir, "EXPECTED.md"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(expected_md(fcn))
    return log


OUTPUTS = ["tiny-nnunet/model.onnx", "tiny-axis/model.onnx", "tiny-fcn/model.onnx",
           "tiny-fcn/expected_20x24x28.u8", "tiny-fcn/expected_logits_20x24x28.f32",
           "tiny-100class/model.onnx", "tiny-2d/model.onnx", "garbage.onnx", "unknown-op.onnx", "EXPECTED.md"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare with the committed files")
    ap.add_argument("--out", default=HERE, help="output folder (default: this script's folder)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if args.check:
        tmp = tempfile.mkdtemp(prefix="make_models_")
        try:
            generate(tmp)
            bad = [p for p in OUTPUTS if not os.path.exists(os.path.join(args.out, p))
                   or not filecmp.cmp(os.path.join(tmp, p), os.path.join(args.out, p), shallow=False)]
        finally:
            shutil.rmtree(tmp)
        if bad:
            print("differ from a fresh generation:", ", ".join(bad))
            sys.exit(1)
        print("all %d files identical to a fresh generation" % len(OUTPUTS))
        return
    for line in generate(args.out):
        print(line)
    for p in OUTPUTS:
        full = os.path.join(args.out, p)
        print("%8d  %s  %s" % (os.path.getsize(full), hashlib.sha256(open(full, "rb").read()).hexdigest()[:16], p))


if __name__ == "__main__":
    main()
