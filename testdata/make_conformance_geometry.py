#!/usr/bin/python3
"""Fixtures for where DICOM pixels lie: gantry tilt and multi-volume series.

    /usr/bin/python3 testdata/make_conformance_geometry.py

Rewrites testdata/conformance/geometry/ only. Uses the helpers of
make_dicom_fixtures.py (same UIDs scheme, synthetic patient) and Debian's
dcm2niix as the reference for 4D conversion. Deterministic.

Cases (expected.json says what each must give):
  tilt/      15 degree gantry tilt: axial slices (IOP identity) whose
             positions step 3 mm in z and 3*tan(15 deg) mm in y. Every stored
             pixel is f(x, y, z) at the patient position IPP + i*dc*row +
             j*dr*col; f is a smooth "body" (an ellipse of soft tissue with a
             brighter inclusion, tanh edges, -1000 outside). The truth at any
             output voxel is f at that voxel's position.
  fmri/      4 volumes x 5 slices, AcquisitionTime and
             TemporalPositionIdentifier per volume, files named in a scrambled
             order; v = 1000*t + 100*k + 10*j + i. dcm2niix's 4D output is
             the reference (fmri-dcm2niix.nii.gz).
  dwi/       3 volumes x 4 slices with DiffusionBValue 0, 1000, 2000.
  magphase/  magnitude and phase images at the same 3 positions (ImageType
             M / P): two series, not one with duplicates.
  mosaic4d/  Siemens mosaics, 3 volumes of 4 tiles each (2x2 grid of 8x6
             tiles): v = 1000*t + 100*tile + 10*j + i.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_dicom_fixtures as mdf  # noqa: E402

OUT = os.path.join(HERE, "conformance", "geometry")
mdf.OUT = OUT
CASES = {}


def body(x, y, z):
    """A smooth phantom in HU (patient mm)."""
    r = math.hypot(x / 20.0, y / 14.0)
    inside = 0.5 * (1 + math.tanh((1 - r) * 8))
    inc = math.exp(-((x - 5) ** 2 + (y + 3) ** 2 + (z - 15) ** 2) / 40.0)
    return -1000 + inside * (1040 + 25 * math.sin(z / 4.0)) + 300 * inc


def case_tilt():
    name = "tilt"
    cols, rows, n = 48, 40, 10
    dc, dr = 1.0, 1.0  # column spacing (along i), row spacing (along j)
    step, tilt = 3.0, 15.0
    x0, y0, z0 = -24.0, -20.0, 0.0
    series = {"key": "tilt", "number": 2, "description": "Tilted head CT"}
    for k in range(n):
        ipp = [x0, y0 + k * step * math.tan(math.radians(tilt)), z0 + k * step]
        ds = mdf.new_dataset(name, mdf.CT_IMAGE, "CT", series, instance=k + 1)
        mdf.set_plane(ds, ipp, mdf.AXIAL, spacing=[dr, dc], thickness=step)
        ds.GantryDetectorTilt = mdf.ds_str(tilt)
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        arr = np.zeros((rows, cols), dtype=np.int64)
        for j in range(rows):
            for i in range(cols):
                arr[j, i] = int(round(body(ipp[0] + i * dc, ipp[1] + j * dr, ipp[2]))) + 1024
        mdf.set_pixels(ds, arr, 16, 12)
        mdf.save(ds, name, f"ct{k + 1:02d}.dcm")
    CASES[name] = {
        "purpose": "15 deg gantry tilt: stored pixel (i,j) of slice k is f at IPP_k + (i*dc, j*dr, 0); "
                   "resampled volume must match f at its voxel positions",
        "dims": [cols, rows, n], "spacing": [dc, dr, step], "origin": [x0, y0, z0],
        "tilt_deg": tilt, "function": "body() in make_conformance_geometry.py",
    }
    # The truth on the output grid (origin = first slice's IPP, axes = IOP
    # and the normal), for the Go test: f at every voxel.
    truth = np.zeros((n, rows, cols), dtype=np.float32)
    for k in range(n):
        for j in range(rows):
            for i in range(cols):
                truth[k, j, i] = body(x0 + i * dc, y0 + j * dr, z0 + k * step)
    truth.astype("<f4").tofile(os.path.join(OUT, "tilt-truth.f32"))


def mr_slice(ds, positions, k, arr, instance):
    mdf.set_plane(ds, positions[k], mdf.AXIAL, spacing=[0.75, 0.5], thickness=2.0)
    mdf.set_pixels(ds, arr, 16, 16)


def case_fmri():
    name = "fmri"
    cols, rows, n, T = 16, 12, 5, 4
    positions = [[-4.0, -4.5, 2.5 * k] for k in range(n)]
    series = {"key": "fmri", "number": 5, "description": "BOLD run"}
    order = [(t, k) for t in range(T) for k in range(n)]
    scramble = sorted(range(len(order)), key=lambda x: (x * 7) % len(order))
    for f, idx in enumerate(scramble):
        t, k = order[idx]
        inst = t * n + k + 1
        ds = mdf.new_dataset(name, mdf.MR_IMAGE, "MR", series, instance=inst)
        arr = np.array([[1000 * t + 100 * k + 10 * j + i for i in range(cols)] for j in range(rows)])
        mr_slice(ds, positions, k, arr, inst)
        ds.AcquisitionNumber = t + 1
        ds.TemporalPositionIdentifier = t + 1
        ds.NumberOfTemporalPositions = T
        secs = 12 * 3600 + 2.0 * t + 0.3 * k
        ds.AcquisitionTime = "%02d%02d%09.6f" % (secs // 3600, (secs % 3600) // 60, secs % 60)
        ds.RepetitionTime = "2000"
        ds.EchoTime = "30"
        mdf.save(ds, name, f"img{f:03d}.dcm")
    CASES[name] = {"dims": [cols, rows, n], "volumes": T, "formula": "1000*t + 100*k + 10*j + i",
                   "volume_varies": ["time"], "time_step_s": 2.0}


def case_dwi():
    name = "dwi"
    cols, rows, n = 10, 8, 4
    bvals = [0, 1000, 2000]
    positions = [[0.0, 0.0, 3.0 * k] for k in range(n)]
    series = {"key": "dwi", "number": 7, "description": "DWI"}
    for t, b in enumerate(bvals):
        for k in range(n):
            inst = t * n + k + 1
            ds = mdf.new_dataset(name, mdf.MR_IMAGE, "MR", series, instance=inst)
            arr = np.array([[1000 * t + 100 * k + 10 * j + i for i in range(cols)] for j in range(rows)])
            mr_slice(ds, positions, k, arr, inst)
            ds.add_new(0x00189087, "FD", float(b))  # DiffusionBValue
            ds.AcquisitionTime = "120000"
            mdf.save(ds, name, f"dwi{inst:03d}.dcm")
    CASES[name] = {"dims": [cols, rows, n], "volumes": 3, "b_values": bvals,
                   "volume_varies": ["b-value"], "formula": "1000*t + 100*k + 10*j + i"}


def case_magphase():
    name = "magphase"
    cols, rows, n = 8, 6, 3
    positions = [[0.0, 0.0, 2.0 * k] for k in range(n)]
    series = {"key": "gre", "number": 9, "description": "GRE field map"}
    for part, off in (("M", 0), ("P", 2000)):
        for k in range(n):
            inst = k + 1 + (n if part == "P" else 0)
            ds = mdf.new_dataset(name, mdf.MR_IMAGE, "MR", series, instance=inst)
            arr = np.array([[off + 100 * k + 10 * j + i for i in range(cols)] for j in range(rows)])
            mr_slice(ds, positions, k, arr, inst)
            ds.ImageType = ["ORIGINAL", "PRIMARY", part, "ND"]
            mdf.save(ds, name, f"{part}{k}.dcm")
    CASES[name] = {"num_series": 2, "dims": [cols, rows, n], "offsets": {"M": 0, "P": 2000}}


def case_mosaic4d():
    name = "mosaic4d"
    tc, tr, tiles, T = 8, 6, 4, 3
    grid = 2
    series = {"key": "mosaic", "number": 11, "description": "ep2d_bold mosaic"}
    for t in range(T):
        ds = mdf.new_dataset(name, mdf.MR_IMAGE, "MR", series, instance=t + 1)
        arr = np.zeros((tr * grid, tc * grid), dtype=np.int64)
        for tile in range(tiles):
            gy, gx = divmod(tile, grid)
            for j in range(tr):
                for i in range(tc):
                    arr[gy * tr + j, gx * tc + i] = 1000 * t + 100 * tile + 10 * j + i
        # IPP names the corner of the whole mosaic (Siemens convention).
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND", "MOSAIC"]
        mdf.set_plane(ds, [-3.0, -2.25, 0.0], mdf.AXIAL, spacing=[0.75, 0.5], thickness=2.0)
        ds.SpacingBetweenSlices = "2.0"
        mdf.set_pixels(ds, arr, 16, 16)
        ds.add_new(0x00190010, "LO", "SIEMENS MR HEADER")
        ds.add_new(0x0019100A, "US", tiles)
        ds.AcquisitionNumber = t + 1
        ds.AcquisitionTime = "1200%02d" % (2 * t)
        mdf.save(ds, name, f"mosaic{t + 1}.dcm")
    CASES[name] = {"dims": [tc, tr, tiles], "volumes": T, "formula": "1000*t + 100*k + 10*j + i",
                   "volume_varies": ["time"]}


def dcm2niix_reference(case, out_name):
    tmp = tempfile.mkdtemp()
    try:
        subprocess.run(["dcm2niix", "-z", "y", "-b", "n", "-f", "ref", "-o", tmp,
                        os.path.join(OUT, case)], check=True, capture_output=True)
        made = sorted(f for f in os.listdir(tmp) if f.endswith(".nii.gz"))
        assert made == ["ref.nii.gz"], made
        data = open(os.path.join(tmp, made[0]), "rb").read()
        # gzip's header holds a time stamp: zero it so re-runs are identical.
        data = data[:4] + b"\0\0\0\0" + data[8:]
        open(os.path.join(OUT, out_name), "wb").write(data)
    finally:
        shutil.rmtree(tmp)


def verify():
    """Re-read with pydicom: every stored pixel is what its case claims."""
    import pydicom
    for f in sorted(os.listdir(os.path.join(OUT, "tilt"))):
        ds = pydicom.dcmread(os.path.join(OUT, "tilt", f))
        ipp = [float(v) for v in ds.ImagePositionPatient]
        a = ds.pixel_array.astype(np.int64) - 1024
        for j, i in ((0, 0), (20, 24), (39, 47)):
            want = int(round(body(ipp[0] + i, ipp[1] + j, ipp[2])))
            assert a[j, i] == want, (f, i, j, a[j, i], want)
    import nibabel
    img = nibabel.load(os.path.join(OUT, "fmri-dcm2niix.nii.gz"))
    d = np.asanyarray(img.dataobj)
    assert d.shape == (16, 12, 5, 4), d.shape
    # dcm2niix stores rows bottom-up: its j is 11-j of the DICOM rows.
    for t in range(4):
        for k in range(5):
            assert d[3, 11 - 2, k, t] == 1000 * t + 100 * k + 10 * 2 + 3, (t, k)


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    case_tilt()
    case_fmri()
    case_dwi()
    case_magphase()
    case_mosaic4d()
    dcm2niix_reference("fmri", "fmri-dcm2niix.nii.gz")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(CASES, f, indent=1, sort_keys=True)
        f.write("\n")
    verify()
    total = sum(os.path.getsize(os.path.join(d, x)) for d, _, fs in os.walk(OUT) for x in fs)
    print(f"wrote {len(CASES)} cases to {OUT} ({total} bytes); pydicom and nibabel re-reads match")


if __name__ == "__main__":
    main()
