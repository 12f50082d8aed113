#!/usr/bin/python3
"""Measure gantry-tilt handling on a real CT series (not part of the tests).

    scripts/tilt_check.py make  SRC_SERIES OUT_DIR [DEG]   # write a tilted copy
    scripts/tilt_check.py score SRC_SERIES VOLUME.nii.gz   # compare a conversion

`make` resamples the real series onto slices stacked DEG degrees off their
normal (each slice shifted along y by k*dz*tan(DEG), linear interpolation of
the stored rows, -1024 outside) and writes them with their true positions.
`score` compares a NIfTI made from the tilted copy (by Delineate or dcm2niix)
with the original series at the same voxel positions: the median and 95th
percentile of |error| in HU at body voxels (original > -500 HU), ignoring
voxels whose position falls outside the tilted slices. Needs pydicom, numpy,
nibabel (Debian python3-pydicom, python3-numpy, python3-nibabel).
"""
import math
import os
import sys

import numpy as np
import pydicom
from pydicom.uid import generate_uid


def read_series(src):
    dss = [pydicom.dcmread(os.path.join(src, f)) for f in sorted(os.listdir(src))]
    dss.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    vol = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in dss])
    return dss, vol.astype(np.float64)


def make(src, out, deg):
    dss, vol = read_series(src)
    os.makedirs(out, exist_ok=True)
    dy = float(dss[0].PixelSpacing[0])
    z0 = float(dss[0].ImagePositionPatient[2])
    series = generate_uid()
    rows = vol.shape[1]
    for k, d in enumerate(dss):
        dz = float(d.ImagePositionPatient[2]) - z0
        shift = dz * math.tan(math.radians(deg))  # mm along y
        jj = np.arange(rows) + shift / dy          # original row of each tilted row
        j0 = np.floor(jj).astype(int)
        f = jj - j0
        ok = (j0 >= 0) & (j0 + 1 < rows)
        j0c, j1c = np.clip(j0, 0, rows - 1), np.clip(j0 + 1, 0, rows - 1)
        sl = vol[k][j0c] * (1 - f)[:, None] + vol[k][j1c] * f[:, None]
        sl[~ok] = -1024
        stored = np.round((sl - float(d.RescaleIntercept)) / float(d.RescaleSlope))
        d.PixelData = stored.astype(d.pixel_array.dtype).tobytes()
        ipp = [float(v) for v in d.ImagePositionPatient]
        ipp[1] += shift
        d.ImagePositionPatient = [f"{v:.4f}" for v in ipp]
        d.GantryDetectorTilt = f"{deg:g}"
        d.SeriesInstanceUID = series
        d.SOPInstanceUID = generate_uid()
        d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
        d.save_as(os.path.join(out, f"tilt{k:03d}.dcm"))
    print(f"wrote {len(dss)} slices tilted {deg}° to {out}")


def score(src, nii):
    import nibabel
    dss, vol = read_series(src)
    img = nibabel.load(nii)
    data = np.asanyarray(img.dataobj).astype(np.float64)
    # NIfTI (RAS, dcm2niix row order) -> DICOM [k, j, i]
    a = img.affine
    n = vol.shape
    ii, jj = np.meshgrid(np.arange(n[2]), np.arange(n[1]))
    errs = []
    for k, d in enumerate(dss):
        ipp = [float(v) for v in d.ImagePositionPatient]
        dx, dy = float(d.PixelSpacing[1]), float(d.PixelSpacing[0])
        # LPS position of the original pixel -> RAS -> NIfTI voxel
        x, y, z = ipp[0] + ii * dx, ipp[1] + jj * dy, np.full(ii.shape, ipp[2])
        ras = np.stack([-x, -y, z, np.ones_like(x)], axis=-1) @ np.linalg.inv(a).T
        vi, vj, vk = [np.rint(ras[..., t]).astype(int) for t in range(3)]
        inside = (vi >= 0) & (vi < data.shape[0]) & (vj >= 0) & (vj < data.shape[1]) & (vk >= 0) & (vk < data.shape[2])
        got = np.full(ii.shape, np.nan)
        got[inside] = data[vi[inside], vj[inside], vk[inside]]
        body = (vol[k] > -500) & inside & (got > -1023.5)
        errs.append(np.abs(got[body] - vol[k][body]))
    e = np.concatenate(errs)
    print(f"{nii}: {e.size} body voxels, median |error| {np.median(e):.1f} HU, p95 {np.percentile(e, 95):.1f} HU")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 15.0)
    else:
        score(sys.argv[2], sys.argv[3])
