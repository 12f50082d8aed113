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

  tiny-sam/encoder.onnx     SAM's encoder contract: image float32 [1,3,1024,1024] -> image_embeddings
      [1,256,64,64], every channel the 16x16 average of the channel mean.
  tiny-sam/decoder.onnx     SAM's decoder contract (image_embeddings, point_coords [1,N,2], point_labels [1,N],
      mask_input [1,1,256,256], has_mask_input [1], orig_im_size [2]) -> masks [1,1,H,W] (H, W = orig_im_size),
      iou_predictions [1,1] = 0.9: the mask logit is +1 where the pixel centre (x+0.5, y+0.5) lies in the box
      given by the points labelled 2 (top left) and 3 (bottom right), inclusive, and -1 elsewhere.
  tiny-sam2/encoder.onnx    SAM2's encoder contract: image [1,3,1024,1024] -> image_embed [1,256,64,64],
      high_res_feats_0 [1,32,256,256], high_res_feats_1 [1,64,128,128] (pooled channel means, as above).
  tiny-sam2/decoder.onnx    SAM2's decoder contract (image_embed, high_res_feats_0, high_res_feats_1,
      point_coords, point_labels, mask_input, has_mask_input; no orig_im_size) -> masks [1,1,256,256]
      over the 1024 frame (cell u's centre at frame x = 4(u+0.5)), +1 inside the box as above.
  tiny-litemedsam/encoder.onnx  LiteMedSAM's: image [1,3,256,256] -> image_embeddings [1,256,64,64].
  tiny-litemedsam/decoder.onnx  image_embeddings, boxes [1,1,4] (x0,y0,x1,y1 in the 256 frame) ->
      low_res_masks [1,1,256,256] (+1 where the cell centre u+0.5 lies in the box), iou_predictions.

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


def build_encoder(size, outputs, graph_name):
    """image [1,3,size,size] -> each output (name, channels, side): the channel mean of the
    image average-pooled to side x side, expanded to the channels."""
    inits, nodes, outs = [], [], []
    for name, ch, side in outputs:
        k = size // side
        inits.append(numpy_helper.from_array(np.array([1, ch, side, side], np.int64), name + "_shape"))
        nodes += [helper.make_node("AveragePool", ["image"], [name + "_pooled"], kernel_shape=[k, k], strides=[k, k]),
                  helper.make_node("ReduceMean", [name + "_pooled"], [name + "_m"], axes=[1], keepdims=1),
                  helper.make_node("Expand", [name + "_m", name + "_shape"], [name])]
        outs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, ch, side, side]))
    g = helper.make_graph(nodes, graph_name,
                          [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, size, size])],
                          outs, initializer=inits)
    return finish(g, graph_name)


def build_sam_encoder():
    return build_encoder(1024, [("image_embeddings", 256, 64)], "tiny_sam_encoder")


def build_sam2_encoder():
    return build_encoder(1024, [("image_embed", 256, 64), ("high_res_feats_0", 32, 256), ("high_res_feats_1", 64, 128)],
                         "tiny_sam2_encoder")


def build_litemedsam_encoder():
    return build_encoder(256, [("image_embeddings", 256, 64)], "tiny_litemedsam_encoder")


def build_box_decoder(variant):
    """A decoder whose mask is its box prompt. variant "sam": SAM's contract, the box as points
    labelled 2 and 3, masks at orig_im_size; "sam2": SAM2's (image_embed, high_res_feats_0/1, points,
    mask_input, has_mask_input), masks [1,1,256,256] over the 1024 frame (cell u's centre is frame
    x = 4(u+0.5)); "litemedsam": image_embeddings and boxes [1,1,4] -> low_res_masks [1,1,256,256]
    over the 256 frame (cell centre x = u+0.5). The logit is +1 where that centre lies in the box,
    inclusive, else -1; iou_predictions [[0.9]]."""
    F = TensorProto.FLOAT
    c = lambda name, v, dt=np.float32: numpy_helper.from_array(np.array(v, dt), name)
    inits = [c("two", 2.0), c("three", 3.0), c("half", 0.5), c("zero", 0.0), c("one", 1.0), c("mone", -1.0),
             c("i0", 0, np.int64), c("i1", 1, np.int64), c("i2", 2, np.int64), c("i3", 3, np.int64), c("iou", [[0.9]]),
             c("one_ax", [1], np.int64), c("zero_one_ax", [0, 1], np.int64)]
    nodes = []
    if variant == "litemedsam":
        nodes += [helper.make_node("Reshape", ["boxes", "four_shape"], ["b4"])]
        inits.append(c("four_shape", [4], np.int64))
        for i, v in enumerate(["x0", "y0", "x1", "y1"]):
            nodes.append(helper.make_node("Gather", ["b4", "i%d" % i], [v]))
    else:
        nodes += [
            # corner weights: 1 for the point labelled 2 (or 3), else 0
            helper.make_node("Equal", ["point_labels", "two"], ["is2"]),
            helper.make_node("Equal", ["point_labels", "three"], ["is3"]),
            helper.make_node("Cast", ["is2"], ["w2"], to=F),
            helper.make_node("Cast", ["is3"], ["w3"], to=F),
            helper.make_node("Gather", ["point_coords", "i0"], ["px"], axis=2),   # [1,N]
            helper.make_node("Gather", ["point_coords", "i1"], ["py"], axis=2),
            helper.make_node("Mul", ["px", "w2"], ["x0n"]), helper.make_node("ReduceSum", ["x0n"], ["x0"], keepdims=0),
            helper.make_node("Mul", ["py", "w2"], ["y0n"]), helper.make_node("ReduceSum", ["y0n"], ["y0"], keepdims=0),
            helper.make_node("Mul", ["px", "w3"], ["x1n"]), helper.make_node("ReduceSum", ["x1n"], ["x1"], keepdims=0),
            helper.make_node("Mul", ["py", "w3"], ["y1n"]), helper.make_node("ReduceSum", ["y1n"], ["y1"], keepdims=0),
        ]
    if variant == "sam":
        # pixel centres of the H x W output
        nodes += [helper.make_node("Gather", ["orig_im_size", "i0"], ["H"]),
                  helper.make_node("Gather", ["orig_im_size", "i1"], ["W"])]
        cell = 1.0
    else:
        inits += [c("H", 256.0), c("W", 256.0)]
        cell = 4.0 if variant == "sam2" else 1.0
    inits.append(c("cell", cell))
    nodes += [
        helper.make_node("Range", ["zero", "W", "one"], ["xs"]),
        helper.make_node("Range", ["zero", "H", "one"], ["ys"]),
        helper.make_node("Add", ["xs", "half"], ["xh"]), helper.make_node("Mul", ["xh", "cell"], ["xc"]),
        helper.make_node("Add", ["ys", "half"], ["yh"]), helper.make_node("Mul", ["yh", "cell"], ["yc"]),
        helper.make_node("GreaterOrEqual", ["xc", "x0"], ["gx0"]), helper.make_node("LessOrEqual", ["xc", "x1"], ["lx1"]),
        helper.make_node("GreaterOrEqual", ["yc", "y0"], ["gy0"]), helper.make_node("LessOrEqual", ["yc", "y1"], ["ly1"]),
        helper.make_node("And", ["gx0", "lx1"], ["inx"]), helper.make_node("And", ["gy0", "ly1"], ["iny"]),
        helper.make_node("Unsqueeze", ["iny", "one_ax"], ["iny2"]),                     # [H,1]
        helper.make_node("And", ["iny2", "inx"], ["inside"]),                           # [H,W]
        helper.make_node("Where", ["inside", "one", "mone"], ["logit"]),
    ]
    # formal dependence on the other inputs
    if variant == "sam":
        formal, emb, outname = ["image_embeddings", "mask_input", "has_mask_input"], "image_embeddings", "masks"
    elif variant == "sam2":
        formal, emb, outname = ["image_embed", "high_res_feats_0", "high_res_feats_1", "mask_input", "has_mask_input"], \
            "image_embed", "masks"
    else:
        formal, emb, outname = ["image_embeddings"], "image_embeddings", "low_res_masks"
    acc = None
    for i, name in enumerate(formal):
        nodes.append(helper.make_node("ReduceMean", [name], ["f%d" % i], keepdims=0))
        if acc is None:
            acc = "f0"
        else:
            nodes.append(helper.make_node("Add", [acc, "f%d" % i], ["acc%d" % i]))
            acc = "acc%d" % i
    nodes += [helper.make_node("Mul", [acc, "zero"], ["ez"]),
              helper.make_node("Add", ["logit", "ez"], ["logit2"]),
              helper.make_node("Unsqueeze", ["logit2", "zero_one_ax"], [outname]),            # [1,1,H,W]
              helper.make_node("Add", ["iou", "ez"], ["iou_predictions"])]
    emb_in = helper.make_tensor_value_info(emb, F, [1, 256, 64, 64])
    if variant == "sam":
        ins = [emb_in, helper.make_tensor_value_info("point_coords", F, [1, "n", 2]),
               helper.make_tensor_value_info("point_labels", F, [1, "n"]),
               helper.make_tensor_value_info("mask_input", F, [1, 1, 256, 256]),
               helper.make_tensor_value_info("has_mask_input", F, [1]),
               helper.make_tensor_value_info("orig_im_size", F, [2])]
        mshape = [1, 1, "h", "w"]
    elif variant == "sam2":
        ins = [emb_in, helper.make_tensor_value_info("high_res_feats_0", F, [1, 32, 256, 256]),
               helper.make_tensor_value_info("high_res_feats_1", F, [1, 64, 128, 128]),
               helper.make_tensor_value_info("point_coords", F, [1, "n", 2]),
               helper.make_tensor_value_info("point_labels", F, [1, "n"]),
               helper.make_tensor_value_info("mask_input", F, [1, 1, 256, 256]),
               helper.make_tensor_value_info("has_mask_input", F, [1])]
        mshape = [1, 1, 256, 256]
    else:
        ins = [emb_in, helper.make_tensor_value_info("boxes", F, [1, 1, 4])]
        mshape = [1, 1, 256, 256]
    g = helper.make_graph(nodes, "tiny_%s_decoder" % variant, ins,
                          [helper.make_tensor_value_info(outname, F, mshape),
                           helper.make_tensor_value_info("iou_predictions", F, [1, 1])],
                          initializer=inits)
    return finish(g, "tiny-%s decoder" % variant)


def build_sam_decoder():
    return build_box_decoder("sam")


def build_sam2_decoder():
    return build_box_decoder("sam2")


def build_litemedsam_decoder():
    return build_box_decoder("litemedsam")


BUILDERS = [("tiny-yoloseg/model.onnx", build_yoloseg), ("tiny-textenc/model.onnx", build_textenc),
            ("tiny-yoloworld/model.onnx", build_yoloworld), ("tiny-sam/encoder.onnx", build_sam_encoder),
            ("tiny-sam/decoder.onnx", build_sam_decoder), ("tiny-sam2/encoder.onnx", build_sam2_encoder),
            ("tiny-sam2/decoder.onnx", build_sam2_decoder), ("tiny-litemedsam/encoder.onnx", build_litemedsam_encoder),
            ("tiny-litemedsam/decoder.onnx", build_litemedsam_decoder)]
OUTPUTS = [name for name, _ in BUILDERS]


def generate(out):
    for name, build in BUILDERS:
        os.makedirs(os.path.dirname(os.path.join(out, name)), exist_ok=True)
        with open(os.path.join(out, name), "wb") as fh:
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
