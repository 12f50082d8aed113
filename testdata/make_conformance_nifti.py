#!/usr/bin/python3
"""NIfTI conformance fixtures for viewer/nifti (issue 12): CIFTI and other
non-image intents, sheared sforms, and 4D/5D files, all written by nibabel
(an independent implementation) so the Go reader is checked against it.

Run from the repository root:  /usr/bin/python3 testdata/make_conformance_nifti.py
It rewrites testdata/conformance/nifti/ only. Output is deterministic (no
dates, no random data). expected.json holds nibabel's view of every file:
shape, intent, time step, and for each volume the sum of its voxels (as
float64, after scl_slope/scl_inter) and a few voxel values, so the Go tests
need no Python.
"""
import hashlib
import json
import os
import shutil

import nibabel as nib
import numpy as np
from nibabel import cifti2 as ci

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformance", "nifti")


def grid4d(nx, ny, nz, nt, dtype):
    """v(i,j,k,t) = i + 10j + 100k + 1000t − 50, the formula the Go tests use."""
    i, j, k, t = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), np.arange(nt), indexing="ij")
    return (i + 10 * j + 100 * k + 1000 * t - 50).astype(dtype)


def volumes(img):
    """nibabel's data as a list of 3D volumes, dims 4.. folded in file order
    (dim 4 fastest), which is how the Go reader numbers them."""
    a = np.asanyarray(img.dataobj).astype(np.float64)
    sx, sy, sz = (a.shape + (1, 1, 1))[:3]
    rest = a.shape[3:]
    n = int(np.prod(rest)) if rest else 1
    return a.reshape((sx, sy, sz, n), order="F")


def describe(name, img, extra=None):
    p = os.path.join(OUT, name)
    img = nib.load(p)
    h = img.nifti_header if isinstance(img, ci.Cifti2Image) else img.header
    d = {
        "file": name,
        "dim": [int(x) for x in h["dim"]],
        "intent_code": int(h["intent_code"]),
        "xyzt_units": int(h["xyzt_units"]),
        "pixdim4": float(h["pixdim"][4]),
        "sha256": hashlib.sha256(open(p, "rb").read()).hexdigest(),
    }
    if not isinstance(img, ci.Cifti2Image):
        vols = volumes(img)
        d["num_volumes"] = vols.shape[3]
        d["volume_sums"] = [float(vols[..., t].sum()) for t in range(vols.shape[3])]
        # Voxels (0,0,0), (1,2,1) and the last, per volume, in float64.
        last = tuple(s - 1 for s in vols.shape[:3])
        d["samples"] = [[float(vols[(0, 0, 0, t)]), float(vols[(1, 2, 1, t)] if min(vols.shape[:3]) > 1 else 0),
                         float(vols[last + (t,)])] for t in range(vols.shape[3])]
        d["affine"] = [float(x) for x in img.affine.flatten()]
    if extra:
        d.update(extra)
    return d


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    out = []

    # CIFTI-2: a dense scalar file (2 maps over 5 left-cortex vertices) and
    # a dense time series (3 time points), as Connectome Workbench writes
    # them: NIfTI-2, dims 1–4 = 1, data in dims 5–6, CIFTI XML extension.
    bm = ci.BrainModelAxis.from_mask(np.ones(5, bool), name="CortexLeft")
    img = ci.Cifti2Image(np.arange(10, dtype=np.float32).reshape(2, 5),
                         ci.Cifti2Header.from_axes((ci.ScalarAxis(["a", "b"]), bm)))
    img.nifti_header.set_intent("ConnDenseScalar")
    nib.save(img, os.path.join(OUT, "cifti_dscalar.dscalar.nii"))
    out.append(describe("cifti_dscalar.dscalar.nii", img, {"refuse": "CIFTI file (intent 3006 CONNECTIVITY_DENSE_SCALARS, .dscalar.nii)"}))
    img = ci.Cifti2Image(np.arange(15, dtype=np.float32).reshape(3, 5),
                         ci.Cifti2Header.from_axes((ci.SeriesAxis(0, 2.0, 3), bm)))
    img.nifti_header.set_intent("ConnDenseSeries")
    nib.save(img, os.path.join(OUT, "cifti_dtseries.dtseries.nii"))
    out.append(describe("cifti_dtseries.dtseries.nii", img, {"refuse": "CIFTI file (intent 3002 CONNECTIVITY_DENSE_SERIES, .dtseries.nii)"}))

    # The CIFTI layout without the CIFTI intent (a converter that dropped
    # it): 1×1×1×1×2×5.
    img = nib.Nifti2Image(np.arange(10, dtype=np.float32).reshape(1, 1, 1, 1, 2, 5), np.eye(4))
    nib.save(img, os.path.join(OUT, "cifti_shaped_no_intent.nii"))
    out.append(describe("cifti_shaped_no_intent.nii", img, {"refuse": "data lie in dims 5–7 (1×1×1×1×2×5) over a single voxel"}))

    # A symmetric matrix per voxel (a diffusion tensor, 6 values).
    a = grid4d(3, 3, 2, 6, np.float32).reshape(3, 3, 2, 1, 6)
    img = nib.Nifti1Image(a, np.diag([2.0, 2.0, 2.0, 1]))
    img.header.set_intent("symmetric matrix", (3,))
    nib.save(img, os.path.join(OUT, "symmatrix_tensor.nii.gz"))
    out.append(describe("symmatrix_tensor.nii.gz", img, {"refuse": "matrix field (intent 1005 SYMMATRIX, 6 values per voxel"}))

    # A displacement field: 3 components per voxel in dim 5 (intent
    # DISPVECT), read one component at a time with a warning.
    a = grid4d(4, 3, 2, 3, np.float32).reshape(4, 3, 2, 1, 3) * 0.5
    img = nib.Nifti1Image(a, np.diag([1.5, 1.5, 3.0, 1]))
    img.header.set_intent(1006)
    nib.save(img, os.path.join(OUT, "dispvect_field.nii.gz"))
    out.append(describe("dispvect_field.nii.gz", img))

    # A z-score statistic map: an image, read silently.
    img = nib.Nifti1Image(grid4d(4, 3, 2, 1, np.float32)[..., 0] / 100, np.eye(4))
    img.header.set_intent("z score")
    nib.save(img, os.path.join(OUT, "zscore_map.nii"))
    out.append(describe("zscore_map.nii", img))

    # A gantry-tilted CT as a converter that keeps the tilt writes it: the
    # slice axis k leans 12° towards anterior, so j and k are 78° apart.
    tilt = np.radians(12.0)
    aff = np.array([[-0.8, 0, 0, 100.0],
                    [0, 0.8, 3.0 * np.sin(tilt), -50.0],
                    [0, 0, 3.0 * np.cos(tilt), -200.0],
                    [0, 0, 0, 1]])
    img = nib.Nifti1Image(grid4d(5, 4, 3, 1, np.int16)[..., 0], aff)
    img.header.set_sform(aff, 1)
    img.header.set_qform(aff, 1)  # nibabel stores the nearest rotation
    nib.save(img, os.path.join(OUT, "sheared_gantry_tilt.nii.gz"))
    cols = aff[:3, :3] / np.linalg.norm(aff[:3, :3], axis=0)
    shear = float(np.degrees(np.arcsin(abs(cols[:, 1] @ cols[:, 2]))))
    out.append(describe("sheared_gantry_tilt.nii.gz", img, {"shear_deg": shear, "shear_axes": "jk"}))

    # 4D time series. int16, TR 2 s (xyzt_units mm+s), gzip.
    img = nib.Nifti1Image(grid4d(5, 4, 3, 6, np.int16), np.diag([-2.0, 2.0, 2.5, 1]))
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = 2.0
    nib.save(img, os.path.join(OUT, "fmri_int16_tr2s.nii.gz"))
    out.append(describe("fmri_int16_tr2s.nii.gz", img, {"time_step_s": 2.0}))

    # Plain .nii, big-endian float32 scaled, TR in milliseconds (1500 ms),
    # NIfTI-2: the reader seeks to the volume.
    hdr = nib.Nifti2Header(endianness=">")
    a = grid4d(4, 3, 2, 5, ">f4")
    img = nib.Nifti2Image(a, np.diag([3.0, 3.0, 3.0, 1]), header=hdr)
    img.set_data_dtype(">i2")
    img.header.set_slope_inter(0.5, 10.0)
    img.header.set_xyzt_units("mm", "msec")
    img.header["pixdim"][4] = 1500.0
    nib.save(img, os.path.join(OUT, "fmri_be_scaled_tr1500ms.nii"))
    out.append(describe("fmri_be_scaled_tr1500ms.nii", img, {"time_step_s": 1.5}))

    # 5D with dim 4 = 2 and dim 5 = 3 (no intent): six volumes, dim 4
    # fastest.
    a = (grid4d(3, 3, 2, 6, np.int16) + 50).reshape((3, 3, 2, 2, 3), order="F").astype(np.uint16)
    img = nib.Nifti1Image(a, np.eye(4))
    nib.save(img, os.path.join(OUT, "fived_2x3.nii"))
    out.append(describe("fived_2x3.nii", img))

    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        f.write('{"generator": "testdata/make_conformance_nifti.py", "nibabel": "%s", "files": [\n' % nib.__version__)
        f.write(",\n".join(json.dumps(d, ensure_ascii=False) for d in out))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
