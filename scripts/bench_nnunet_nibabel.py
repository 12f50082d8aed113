#!/usr/bin/python3
"""Reference for `delineate export nnunet`: the same dataset written with nibabel, as a typical
conversion script does (one case after another). Reads a Delineate project.json, exports the cases
with the given status that have labels: image -> imagesTr/<case>_0000.nii.gz, labels remapped to
consecutive ids in the project table's order -> labelsTr/<case>.nii.gz, and dataset.json.

Usage: /usr/bin/python3 scripts/bench_nnunet_nibabel.py PROJECT OUTDIR [--status done] [--channel CT]
(Debian python3-nibabel, python3-numpy; NIfTI images only.)
"""
import argparse, json, os, sys
import nibabel as nib
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("project")
ap.add_argument("out")
ap.add_argument("--status", default="done")
ap.add_argument("--channel", default="CT")
a = ap.parse_args()
pj = json.load(open(os.path.join(a.project, "project.json")))
res = lambda p: p if os.path.isabs(p) else os.path.join(a.project, p)
lut = np.zeros(65536, dtype=np.uint8)
labels = {"background": 0}
for i, l in enumerate(pj["labels"]):
    lut[l["id"]] = i + 1
    labels[l["name"]] = i + 1
os.makedirs(os.path.join(a.out, "imagesTr"))
os.makedirs(os.path.join(a.out, "labelsTr"))
n = 0
for c in pj["cases"]:
    if c["status"] != a.status or not c.get("labels"):
        continue
    img = nib.load(res(c["image"]))
    lab = nib.load(res(c["labels"]))
    data = np.asanyarray(img.dataobj)
    seg = lut[np.asanyarray(lab.dataobj).astype(np.int64)]
    nib.save(nib.Nifti1Image(data, img.affine, img.header), os.path.join(a.out, "imagesTr", c["id"] + "_0000.nii.gz"))
    nib.save(nib.Nifti1Image(seg, lab.affine), os.path.join(a.out, "labelsTr", c["id"] + ".nii.gz"))
    n += 1
json.dump({"channel_names": {"0": a.channel}, "labels": labels, "numTraining": n, "file_ending": ".nii.gz"},
          open(os.path.join(a.out, "dataset.json"), "w"), indent=2)
print(n, "cases", file=sys.stderr)
