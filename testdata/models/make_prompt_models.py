#!/usr/bin/python3
"""Generator of the tiny prompt-model test networks (ONNX opset 13) and their contracts.

  tiny-yoloseg/model.onnx   an Ultralytics YOLO-seg export's exact I/O contract with constant heads:
      input  images  float32 [1,3,640,640]
      output output0 float32 [1,38,8400]  (cx, cy, w, h, 2 class scores, 32 mask coefficients)
             output1 float32 [1,32,160,160] (prototypes)
      metadata names = "{0: 'lung nodule', 1: 'liver lesion'}", task = segment, stride = 32,
               imgsz = [640, 640]  (as Ultralytics writes them)
    Both outputs are constants plus 0 * mean(images), so they depend on the input only formally.
    Anchors (all other values 0):
      a0: box cx,cy,w,h = 320,320,100,60  class 0 score 0.9  mask coefficient 0 = 1
      a1: box 324,320,100,60              class 0 score 0.6  (IoU 0.92 with a0: NMS removes it)
      a2: box 160,480,40,40               class 1 score 0.8  mask coefficient 1 = 1
      a3: box 500,100,30,30               class 0 score 0.2  (below a 0.25 threshold)
    Prototypes: 0 is +8 on cells u in [70,90), v in [75,85), -8 elsewhere; 1 is +8 on u in [35,45),
    v in [115,125), -8 elsewhere; 2..31 are 0.

  tiny-textenc/model.onnx   a CLIP-shaped text encoder: input_ids int64 [1,77] -> text_embeds float32 [1,512]:
      e0 = 1 if the ids hold 16271 ("lung</w>") else 0; e1 = 1 - e0; e2..e511 = 0.
  tiny-yoloworld/model.onnx an open-vocabulary detector: images float32 [1,3,640,640] and txt_feats
      float32 [1,N,512] -> output0 [1,4+N,8400]: anchor 0 box 320,320,100,60, anchor 1 box 160,480,40,40
      (all others 0), and the score of prompt n at anchor 0 is 0.9 * txt_feats[n,0], at anchor 1
      0.8 * txt_feats[n,1]. So "lung nodule" finds the box at anchor 0, any other phrase the other.

Deterministic (built node by node with onnx.helper, no timestamps).
  /usr/bin/python3 testdata/models/make_prompt_models.py          # write
  /usr/bin/python3 testdata/models/make_prompt_models.py --check  # compare with the committed files
"""

import argparse
import filecmp
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET, IR_VERSION = 13, 7
HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = "{0: 'lung nodule', 1: 'liver lesion'}"
ANCHORS = [  # anchor, (cx, cy, w, h), class, score, mask coefficient index (or None)
    (0, (320, 320, 100, 60), 0, 0.9, 0),
    (1, (324, 320, 100, 60), 0, 0.6, 0),
    (2, (160, 480, 40, 40), 1, 0.8, 1),
    (3, (500, 100, 30, 30), 0, 0.2, None),
]
NC, MD, A = 2, 32, 8400


def build_yoloseg():
    idx, upd = [], []
    for a, box, cls, score, coeff in ANCHORS:
        for c, v in enumerate(box):
            idx.append([0, c, a]); upd.append(v)
        idx.append([0, 4 + cls, a]); upd.append(score)
        if coeff is not None:
            idx.append([0, 4 + NC + coeff, a]); upd.append(1.0)
    protos = np.full((1, 2, 160, 160), -8.0, np.float32)
    protos[0, 0, 75:85, 70:90] = 8
    protos[0, 1, 115:125, 35:45] = 8
    inits = [
        numpy_helper.from_array(np.array([1, 4 + NC + MD, A], np.int64), "shape0"),
        numpy_helper.from_array(np.array(idx, np.int64), "idx"),
        numpy_helper.from_array(np.array(upd, np.float32), "upd"),
        numpy_helper.from_array(protos, "protos2"),
        numpy_helper.from_array(np.array([0, 0, 0, 0, 0, MD - 2, 0, 0], np.int64), "pads"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
        numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape3"),
    ]
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=1),
        helper.make_node("Mul", ["mean", "zero"], ["z4"]),
        helper.make_node("Reshape", ["z4", "shape3"], ["z3"]),
        helper.make_node("ConstantOfShape", ["shape0"], ["zeros0"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("ScatterND", ["zeros0", "idx", "upd"], ["head"]),
        helper.make_node("Add", ["head", "z3"], ["output0"]),
        helper.make_node("Pad", ["protos2", "pads"], ["protos"], mode="constant"),
        helper.make_node("Add", ["protos", "z4"], ["output1"]),
    ]
    graph = helper.make_graph(nodes, "tiny_yoloseg",
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
                              [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + NC + MD, A]),
                               helper.make_tensor_value_info("output1", TensorProto.FLOAT, [1, MD, 160, 160])],
                              initializer=inits)
    m = helper.make_model(graph, producer_name="delineate make_prompt_models.py",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    for k, v in [("names", NAMES), ("task", "segment"), ("stride", "32"), ("imgsz", "[640, 640]")]:
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(m, full_check=True)
    return m


def finish(graph, name):
    m = helper.make_model(graph, producer_name="delineate make_prompt_models.py",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m, full_check=True)
    return m


def build_textenc():
    inits = [numpy_helper.from_array(np.array(16271, np.int64), "lung"),
             numpy_helper.from_array(np.array([1.0], np.float32), "one"),
             numpy_helper.from_array(np.zeros((1, 510), np.float32), "rest"),
             numpy_helper.from_array(np.array([1, 1], np.int64), "shape11")]
    nodes = [
        helper.make_node("Equal", ["input_ids", "lung"], ["eq"]),
        helper.make_node("Cast", ["eq"], ["eqf"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMax", ["eqf"], ["e0r"], keepdims=0),
        helper.make_node("Reshape", ["e0r", "shape11"], ["e0"]),
        helper.make_node("Sub", ["one", "e0"], ["e1"]),
        helper.make_node("Concat", ["e0", "e1", "rest"], ["text_embeds"], axis=1),
    ]
    g = helper.make_graph(nodes, "tiny_textenc",
                          [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, 77])],
                          [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, [1, 512])],
                          initializer=inits)
    return finish(g, "tiny-textenc")


def build_yoloworld():
    boxes = np.zeros((1, 4, A), np.float32)
    boxes[0, :, 0] = [320, 320, 100, 60]
    boxes[0, :, 1] = [160, 480, 40, 40]
    w = np.zeros((2, A), np.float32)
    w[0, 0], w[1, 1] = 0.9, 0.8
    inits = [numpy_helper.from_array(boxes, "boxes"), numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.array([0], np.int64), "s0"),
             numpy_helper.from_array(np.array([2], np.int64), "s2"),
             numpy_helper.from_array(np.array([2], np.int64), "axis2"),
             numpy_helper.from_array(np.array(0.0, np.float32), "zero")]
    nodes = [
        helper.make_node("Slice", ["txt_feats", "s0", "s2", "axis2"], ["t2"]),      # [1,N,2]
        helper.make_node("MatMul", ["t2", "w"], ["scores"]),                          # [1,N,8400]
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["z"]),
        helper.make_node("Add", ["scores", "z"], ["scores_z"]),
        helper.make_node("Concat", ["boxes", "scores_z"], ["output0"], axis=1),
    ]
    g = helper.make_graph(nodes, "tiny_yoloworld",
                          [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640]),
                           helper.make_tensor_value_info("txt_feats", TensorProto.FLOAT, [1, "n", 512])],
                          [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, "c", A])],
                          initializer=inits)
    return finish(g, "tiny-yoloworld")


OUTPUTS = ["tiny-yoloseg/model.onnx", "tiny-textenc/model.onnx", "tiny-yoloworld/model.onnx"]


def generate(out):
    for name, build in [("tiny-yoloseg", build_yoloseg), ("tiny-textenc", build_textenc), ("tiny-yoloworld", build_yoloworld)]:
        os.makedirs(os.path.join(out, name), exist_ok=True)
        with open(os.path.join(out, name, "model.onnx"), "wb") as fh:
            fh.write(build().SerializeToString())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    if args.check:
        tmp = tempfile.mkdtemp()
        try:
            generate(tmp)
            bad = [p for p in OUTPUTS if not filecmp.cmp(os.path.join(tmp, p), os.path.join(HERE, p), shallow=False)]
        finally:
            shutil.rmtree(tmp)
        if bad:
            print("differ:", bad)
            sys.exit(1)
        print("identical")
        return
    generate(HERE)
    for p in OUTPUTS:
        print(os.path.getsize(os.path.join(HERE, p)), p)


main()
