#!/usr/bin/python3
"""Writes a 512×512×N uncompressed CT series for the convert benchmark.

The pixels are real: the 20 slices of ../shared/data/ct-dicom-series-raw,
cycled (slice k takes the pixels of raw slice k mod 20), restacked at 1 mm
steps with fresh UIDs, so the series is as large as a routine CT while every
byte of pixel data is scanner data. Usage: make_bench_series.py OUTDIR [N]
"""
import copy
import glob
import os
import sys

import pydicom
from pydicom.uid import generate_uid

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
here = os.path.dirname(os.path.abspath(__file__))
src = sorted(glob.glob(os.path.join(here, "..", "..", "shared", "data", "ct-dicom-series-raw", "*.dcm")))
if not src:
    sys.exit("make_bench_series: ../shared/data/ct-dicom-series-raw not found")
slices = [pydicom.dcmread(p) for p in src]
os.makedirs(out, exist_ok=True)
series_uid = generate_uid(entropy_srcs=["delineate-bench", str(n)])
for k in range(n):
    ds = copy.deepcopy(slices[k % len(slices)])
    ds.SeriesInstanceUID = series_uid
    uid = generate_uid(entropy_srcs=["delineate-bench", str(n), str(k)])
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    x, y, _ = [float(v) for v in ds.ImagePositionPatient]
    ds.ImagePositionPatient = [x, y, -400.0 + k]
    ds.InstanceNumber = k + 1
    ds.save_as(os.path.join(out, "IM%04d.dcm" % k), write_like_original=False)
print("wrote %d slices to %s" % (n, out))
