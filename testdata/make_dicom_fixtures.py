#!/usr/bin/python3
"""Generate tiny synthetic DICOM fixtures with known answers for Delineate.

Run with Debian's Python (needs python3-pydicom 2.x, python3-numpy,
python3-pil):

    /usr/bin/python3 testdata/make_dicom_fixtures.py

It deletes and rewrites testdata/dicom/ (every case is its own sub-folder)
and testdata/dicom/expected.json, then re-reads every fixture with pydicom and
an independent little reference loader (bottom of this file) and checks the
result against expected.json. Everything is deterministic: fixed UIDs
(derived from names), fixed dates, fixed random seeds, so re-running gives
byte-identical files (for the same pydicom / zlib / libjpeg versions; only
ts-jpeg-baseline depends on libjpeg and ts-deflated on zlib).

Conventions (also written into expected.json under "conventions"):
  * i = column index (0..cols-1), j = row index (0..rows-1), k = slice index
    in SORTED order: slices sorted ascending along normal = rowDir x colDir,
    where rowDir = IOP[0:3] (direction of increasing i) and colDir = IOP[3:6]
    (direction of increasing j).
  * Expected voxel values are the values AFTER rescale (slope/intercept),
    written from the formula, never read back from the files (the one
    exception is ts-jpeg-baseline, whose expected values are what PIL decodes
    from the very JPEG bytes stored in the file).
  * No real data is used; patient is "Fixture^Synthetic" / "FIXTURE-001".
"""

import hashlib
import io
import json
import math
import os
import random
import shutil
import sys
import zlib
from fractions import Fraction

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_pixel_data_frame
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    RLELossless,
)
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dicom")

# SOP classes used.
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2.1"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
PET_IMAGE = "1.2.840.10008.5.1.4.1.1.128"
SC_IMAGE = "1.2.840.10008.5.1.4.1.1.7"
MF_GRAY_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3"

AXIAL = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
SAGITTAL = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0]
CORONAL = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]

# Default in-plane size and spacing. Columns != rows and the two pixel
# spacings differ so that any row/column swap shows up.
COLS, ROWS = 8, 6
PIXEL_SPACING = [0.75, 0.5]  # DICOM order: [row spacing (along j), column spacing (along i)]

FIXED_DATE = "20000101"
FIXED_TIME = "120000"


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def uid(name):
    """A fixed, valid UID derived from a name (2.25.<128-bit integer>)."""
    h = hashlib.sha256(("delineate-fixture:" + name).encode()).hexdigest()[:32]
    return "2.25." + str(int(h, 16))


IMPLEMENTATION_UID = uid("implementation")


def ds_str(x, digits=6):
    """Format a number for a DS value: short, exact-looking, <= 16 chars."""
    s = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    assert len(s) <= 16, s
    return s


def ds_list(xs, digits=6):
    return [ds_str(x, digits) for x in xs]


def cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def clean(x, nd=9):
    """Round for JSON so 2.4000000000000004 is written as 2.4; -0 -> 0."""
    if isinstance(x, (list, tuple)):
        return [clean(v, nd) for v in x]
    if isinstance(x, float):
        r = round(x, nd)
        if r == 0:
            r = 0.0
        if r == int(r) and abs(r) < 1e15:
            return int(r) if nd >= 0 else r
        return r
    return x


def normal_of(iop):
    return cross(iop[0:3], iop[3:6])


def along(origin, direction, d):
    return [origin[t] + direction[t] * d for t in range(3)]


def new_dataset(case, sop_class, modality, series, ts=ExplicitVRLittleEndian,
                instance=1, sop_name=None, empty_uids=False, frame_of_ref=True):
    """A FileDataset with the patient/study/series/equipment modules filled.

    `series` is a dict with keys: key (UID seed), number, description.
    """
    sop_uid = "" if empty_uids else uid(sop_name or f"{case}/{series['key']}/{instance}")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = IMPLEMENTATION_UID
    meta.ImplementationVersionName = "DELINEATE_FIX_1"
    ds = FileDataset("", Dataset(), file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = ts != ExplicitVRBigEndian
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian

    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = FIXED_DATE
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = FIXED_TIME
    ds.AccessionNumber = ""
    ds.Modality = modality
    ds.Manufacturer = "Delineate synthetic fixture"
    ds.ReferringPhysicianName = ""
    ds.PatientName = "Fixture^Synthetic"
    ds.PatientID = "FIXTURE-001"
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyInstanceUID = "" if empty_uids else uid(f"{case}/study")
    ds.SeriesInstanceUID = "" if empty_uids else uid(f"{case}/{series['key']}/series")
    ds.StudyID = "1"
    ds.SeriesNumber = str(series["number"])
    ds.SeriesDescription = series["description"]
    ds.InstanceNumber = str(instance)
    if frame_of_ref and not empty_uids:
        ds.FrameOfReferenceUID = uid(f"{case}/frame-of-reference")
    return ds


def set_plane(ds, ipp=None, iop=None, spacing=PIXEL_SPACING, thickness=None, iop_digits=6):
    """Image Plane module (any argument None -> element left out)."""
    if ipp is not None:
        ds.ImagePositionPatient = ds_list(ipp)
    if iop is not None:
        ds.ImageOrientationPatient = ds_list(iop, iop_digits)
    if spacing is not None:
        ds.PixelSpacing = ds_list(spacing)
    if thickness is not None:
        ds.SliceThickness = ds_str(thickness)


def set_pixels(ds, arr, bits_allocated=16, bits_stored=None, signed=False,
               photometric="MONOCHROME2", frames=None):
    """Image Pixel module plus native (uncompressed) Pixel Data.

    arr is (rows, cols) or (frames, rows, cols) or (rows, cols, 3) for RGB;
    arr[..., j, i]. Bytes are written in the dataset's byte order.
    """
    bits_stored = bits_stored or bits_allocated
    rgb = photometric == "RGB"
    ds.SamplesPerPixel = 3 if rgb else 1
    ds.PhotometricInterpretation = photometric
    if rgb:
        ds.PlanarConfiguration = 0
    if frames is not None:
        ds.NumberOfFrames = str(frames)
    shape = arr.shape
    ds.Rows = shape[-3] if rgb else shape[-2]
    ds.Columns = shape[-2] if rgb else shape[-1]
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    order = "<" if ds.is_little_endian else ">"
    kind = ("i" if signed else "u") + str(bits_allocated // 8)
    a = np.asarray(arr)
    # Values must fit the declared BitsStored.
    lo, hi = (-(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1) if signed else (0, (1 << bits_stored) - 1)
    assert a.min() >= lo and a.max() <= hi, (a.min(), a.max(), lo, hi)
    data = a.astype(order + kind).tobytes()
    if len(data) % 2:
        data += b"\0"
    ds.add_new(0x7FE00010, "OW" if bits_allocated > 8 else "OB", data)


def save(ds, folder, name):
    path = os.path.join(OUT, folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds.save_as(path, write_like_original=False)
    return path


def grid(cols, rows, nslices, f):
    """Array [k, j, i] of f(i, j, k)."""
    a = np.zeros((nslices, rows, cols), dtype=np.int64)
    for k in range(nslices):
        for j in range(rows):
            for i in range(cols):
                a[k, j, i] = f(i, j, k)
    return a


# ---------------------------------------------------------------------------
# Expected-result bookkeeping
# ---------------------------------------------------------------------------

CASES = []
GEOM_WARNINGS = ["gap", "duplicate", "non-uniform"]


def expect_series(*, match, modality, sop_class, transfer_syntax, files, dims,
                  spacing, positions, iop, dtype, formula, value_fn,
                  warnings=(), windows=None, value_tolerance=0, extra=None):
    """Expected result for one series. `positions` are the LPS positions of
    the slices in sorted order; `value_fn(i, j, k)` the value after rescale."""
    rowd, cold = iop[0:3], iop[3:6]
    n = normal_of(iop)
    cols, rows, nsl = dims
    values = [value_fn(i, j, k) for k in range(nsl) for j in range(rows) for i in range(cols)]
    samples = []
    for (i, j, k) in sorted({(0, 0, 0), (cols - 1, 0, 0), (0, rows - 1, 0), (1, 2, 0),
                             (0, 0, nsl - 1), (cols - 1, rows - 1, nsl - 1),
                             (cols // 2, rows // 2, nsl // 2)}):
        samples.append([i, j, k, value_fn(i, j, k)])
    s = {
        "match": match,
        "modality": modality,
        "sop_class_uid": sop_class,
        "transfer_syntax_uid": transfer_syntax,
        "files": files,
        "dims": list(dims),
        "spacing": clean(list(spacing)),
        "origin": clean(list(positions[0])),
        "direction_columns": clean([list(rowd), list(cold), list(n)], 12),
        "slice_positions": clean([list(p) for p in positions]),
        "dtype": dtype,
        "formula": formula,
        "value_tolerance": value_tolerance,
        "samples": samples,
        "values": values,
        "warnings": list(warnings),
        "absent_warnings": [w for w in GEOM_WARNINGS if w not in warnings],
    }
    if windows is not None:
        s["windows"] = windows
    if extra:
        s.update(extra)
    return s


def add_case(name, purpose, series, warnings=(), extra=None):
    c = {"name": name, "folder": name, "purpose": purpose,
         "num_series": len(series), "warnings": list(warnings), "series": series}
    if extra:
        c.update(extra)
    CASES.append(c)


def mean_step(positions, n):
    """Slice step as the loader reports it: distance first->last along the
    normal divided by (slices-1)."""
    if len(positions) < 2:
        return None
    return (dot(positions[-1], n) - dot(positions[0], n)) / (len(positions) - 1)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

def case_shuffled():
    """Files in random order, instance numbers scrambled, SliceThickness
    deliberately wrong (5 mm, true step 2.5 mm): order and spacing must come
    from ImagePositionPatient. 12-bit unsigned CT with intercept -1024 (stays
    int16), two header window presets with explanations."""
    name = "shuffled"
    n = 5
    origin = [-3.0, -2.5, 30.0]
    positions = [[origin[0], origin[1], origin[2] + 2.5 * k] for k in range(n)]
    hu = lambda i, j, k: 300 * k + 20 * j + i - 1000
    rng = random.Random(1001)
    instances = list(range(1, n + 1))
    # Instance numbers: a derangement of 1..n (none matches its position order).
    while any(instances[k] == k + 1 for k in range(n)) or instances == sorted(instances, reverse=True):
        rng.shuffle(instances)
    write_order = list(range(n))
    while write_order == sorted(write_order) or write_order == sorted(write_order, reverse=True):
        rng.shuffle(write_order)
    # File names: a derangement (no file sits at its sorted place by name),
    # and name order != instance order.
    file_ids = list(range(n))
    while any(file_ids[k] == k for k in range(n)) or [instances[k] - 1 for k in range(n)] == file_ids:
        rng.shuffle(file_ids)
    series = {"key": "ct", "number": 3, "description": "Shuffled CT"}
    names = {}
    for k in write_order:
        ds = new_dataset(name, CT_IMAGE, "CT", series, instance=instances[k])
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        set_plane(ds, positions[k], AXIAL, thickness=5.0)
        ds.KVP = "120"
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
        ds.WindowCenter = ["40", "-600"]
        ds.WindowWidth = ["400", "1500"]
        ds.WindowCenterWidthExplanation = ["SOFT TISSUE", "LUNG"]
        stored = grid(COLS, ROWS, 1, lambda i, j, _: hu(i, j, k) + 1024)[0]
        set_pixels(ds, stored, 16, 12, signed=False)
        fname = f"IM{file_ids[k] + 1:04d}"  # no .dcm extension on purpose
        names[k] = fname
        save(ds, name, fname)
    add_case(name, case_shuffled.__doc__, [expect_series(
        match={"series_number": "3", "description": "Shuffled CT"},
        modality="CT", sop_class=CT_IMAGE, transfer_syntax=ExplicitVRLittleEndian, files=n,
        dims=[COLS, ROWS, n], spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 2.5],
        positions=positions, iop=AXIAL, dtype="int16",
        formula="HU = 300*k + 20*j + i - 1000 (stored = HU + 1024, 12-bit unsigned; SliceThickness 5 is wrong on purpose, step is 2.5)",
        value_fn=hu,
        windows=[{"name": "SOFT TISSUE", "center": 40, "width": 400},
                 {"name": "LUNG", "center": -600, "width": 1500}],
        extra={"files_in_sorted_order": [names[k] for k in range(n)],
               "instance_numbers_in_sorted_order": instances[:]})])


def case_signed():
    """Signed 16-bit MR (PixelRepresentation 1, BitsStored 16), negative
    values, no rescale; the int16 extremes -32768 and 32767 appear once each
    to catch sign-extension and overflow mistakes."""
    name = "signed"
    n = 3
    origin = [10.0, -5.0, -12.0]
    positions = [[origin[0], origin[1], origin[2] + 4.0 * k] for k in range(n)]

    def v(i, j, k):
        if (i, j, k) == (0, 0, 0):
            return -32768
        if (i, j, k) == (COLS - 1, ROWS - 1, n - 1):
            return 32767
        return 1000 * k + 100 * j + 10 * i - 2500
    series = {"key": "mr", "number": 1, "description": "Signed MR"}
    for k in range(n):
        ds = new_dataset(name, MR_IMAGE, "MR", series, instance=k + 1)
        set_plane(ds, positions[k], AXIAL, thickness=4.0)
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: v(i, j, k))[0], 16, 16, signed=True)
        save(ds, name, f"slice{k + 1}.dcm")
    add_case(name, case_signed.__doc__, [expect_series(
        match={"series_number": "1"}, modality="MR", sop_class=MR_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=n, dims=[COLS, ROWS, n],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 4.0], positions=positions, iop=AXIAL,
        dtype="int16",
        formula="v = 1000*k + 100*j + 10*i - 2500, except v(0,0,0) = -32768 and v(7,5,2) = 32767; no rescale",
        value_fn=v)])


def case_float_rescale():
    """Fractional rescale (slope 0.5, intercept 0.25) forces float32. All
    values are multiples of 0.25, exact in float32."""
    name = "float-rescale"
    n = 3
    origin = [0.0, 0.0, 0.0]
    positions = [[0.0, 0.0, 3.0 * k] for k in range(n)]
    stored = lambda i, j, k: 100 * k + 10 * j + i
    v = lambda i, j, k: 0.5 * stored(i, j, k) + 0.25
    series = {"key": "pt", "number": 7, "description": "Float rescale"}
    for k in range(n):
        ds = new_dataset(name, PET_IMAGE, "PT", series, instance=k + 1)
        set_plane(ds, positions[k], AXIAL, thickness=3.0)
        ds.RescaleSlope = "0.5"
        ds.RescaleIntercept = "0.25"
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: stored(i, j, k))[0], 16, 16)
        save(ds, name, f"pt{k + 1}.dcm")
    add_case(name, case_float_rescale.__doc__, [expect_series(
        match={"series_number": "7"}, modality="PT", sop_class=PET_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=n, dims=[COLS, ROWS, n],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 3.0], positions=positions, iop=AXIAL,
        dtype="float32", formula="v = 0.5*(100*k + 10*j + i) + 0.25 (stored = 100*k + 10*j + i, uint16)",
        value_fn=v)])


def simple_stack(name, doc, zs, description, warnings, dup_of=None, extra=None):
    """An axial signed-int16 MR stack with the given z positions (file
    order = list order). dup_of maps a file index to the file it duplicates
    (same position, same pixels, its own instance number/SOP UID)."""
    dup_of = dup_of or {}
    uniq = sorted(set(zs))
    v = lambda i, j, k: 100 * k + 10 * j + i - 300
    series = {"key": "mr", "number": 4, "description": description}
    for f, z in enumerate(zs):
        k = uniq.index(z)
        ds = new_dataset(name, MR_IMAGE, "MR", series, instance=f + 1)
        set_plane(ds, [-20.0, 15.0, z], AXIAL, thickness=2.0)
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: v(i, j, k))[0], 16, 16, signed=True)
        save(ds, name, f"mr{f + 1:02d}.dcm")
    positions = [[-20.0, 15.0, z] for z in uniq]
    step = mean_step(positions, [0, 0, 1])
    formula = "v = 100*k + 10*j + i - 300"
    steps = [b - a for a, b in zip(uniq, uniq[1:])]
    if max(steps) - min(steps) > max(0.01, 0.01 * step):
        # Irregular steps: the loader resamples onto the smallest step,
        # shrunk so the grid ends on the last slice, interpolating linearly
        # along z between the stored slices (values rounded half away from
        # zero, as Go's math.Round).
        span = uniq[-1] - uniq[0]
        intervals = math.ceil(span / min(steps) - 1e-3)
        step = span / intervals
        zs_out = [uniq[0] + step * m for m in range(intervals + 1)]

        def kf(m):
            z = zs_out[m]
            k = max(i for i in range(len(uniq) - 1) if uniq[i] <= z + 1e-9) if z < uniq[-1] else len(uniq) - 1
            if k == len(uniq) - 1:
                return float(k)
            return k + (z - uniq[k]) / (uniq[k + 1] - uniq[k])

        def rnd(x):
            return math.copysign(math.floor(abs(x) + 0.5), x)
        v = lambda i, j, m: rnd(100 * kf(m) + 10 * j + i - 300)
        positions = [[-20.0, 15.0, z] for z in zs_out]
        formula = ("resampled onto a regular %.4f mm grid: v = round(100*kf + 10*j + i - 300), "
                   "kf = the fractional stored-slice index of the slice's z" % step)
    add_case(name, doc, [expect_series(
        match={"series_number": "4"}, modality="MR", sop_class=MR_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=len(zs), dims=[COLS, ROWS, len(positions)],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], step], positions=positions, iop=AXIAL,
        dtype="int16", formula=formula, value_fn=v, warnings=warnings,
        extra=extra)])


def case_gap():
    """Six slices with one missing position (steps 2,2,4,2,2): the loader
    resamples onto the regular 2 mm step (7 slices, the missing one
    interpolated from its neighbours) and warns about the gap."""
    simple_stack("gap", case_gap.__doc__, [0.0, 2.0, 4.0, 8.0, 10.0, 12.0], "Gap", ["gap"],
                 extra={"slice_steps": [2, 2, 4, 2, 2]})


def case_duplicate():
    """Four files, two at the same position (a re-sent slice: identical
    pixels, different instance number and SOP UID): 3 slices kept, warning."""
    simple_stack("duplicate", case_duplicate.__doc__, [0.0, 3.0, 3.0, 6.0], "Duplicate",
                 ["duplicate"], extra={"slices_dropped": 1})


def case_nonuniform():
    """Steps 2.0, 2.3, 1.8, 2.1 (no step > 1.5x mean, so not a gap): warning
    non-uniform; resampled onto 8.2/5 = 1.64 mm (the smallest step, shrunk to
    end on the last slice), linear interpolation along z."""
    simple_stack("nonuniform", case_nonuniform.__doc__, [0.0, 2.0, 4.3, 6.1, 8.2], "Nonuniform",
                 ["non-uniform"], extra={"slice_steps": [2.0, 2.3, 1.8, 2.1]})


def case_two_series_empty_uid():
    """Two series whose Study/Series/SOP Instance UIDs are all EMPTY strings
    (an over-eager anonymiser), no FrameOfReferenceUID, overlapping instance
    numbers, interleaved file names: they differ only in SeriesNumber,
    SeriesDescription, orientation (axial vs sagittal) and size, and must
    come out as 2 series."""
    name = "two-series-empty-uid"
    n = 3
    ax = {"key": "ax", "number": 2, "description": "AX T1"}
    sag = {"key": "sag", "number": 5, "description": "SAG T2"}
    ax_pos = [[-4.0, -3.0, 20.0 + 5.0 * k] for k in range(n)]
    # Sagittal: normal = [0,1,0] x [0,0,-1] = [-1,0,0]; sorted ascending along
    # the normal means DEcreasing x.
    sag_cols, sag_rows = 6, 4
    sag_pos = [[5.0 - 2.0 * k, -10.0, 40.0] for k in range(n)]
    va = lambda i, j, k: 100 * k + 10 * j + i
    vs = lambda i, j, k: 1000 + 100 * k + 10 * j + i
    for k in range(n):
        ds = new_dataset(name, MR_IMAGE, "MR", ax, instance=k + 1, empty_uids=True)
        set_plane(ds, ax_pos[k], AXIAL, thickness=5.0)
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: va(i, j, k))[0], 16, 16, signed=True)
        save(ds, name, f"img{2 * k + 1:02d}.dcm")
        ds = new_dataset(name, MR_IMAGE, "MR", sag, instance=k + 1, empty_uids=True)
        set_plane(ds, sag_pos[k], SAGITTAL, thickness=2.0)
        set_pixels(ds, grid(sag_cols, sag_rows, 1, lambda i, j, _: vs(i, j, k))[0], 16, 16, signed=True)
        save(ds, name, f"img{2 * k + 2:02d}.dcm")
    add_case(name, case_two_series_empty_uid.__doc__, [
        expect_series(match={"series_number": "2", "description": "AX T1"}, modality="MR",
                      sop_class=MR_IMAGE, transfer_syntax=ExplicitVRLittleEndian, files=n,
                      dims=[COLS, ROWS, n], spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 5.0],
                      positions=ax_pos, iop=AXIAL, dtype="int16",
                      formula="v = 100*k + 10*j + i", value_fn=va),
        expect_series(match={"series_number": "5", "description": "SAG T2"}, modality="MR",
                      sop_class=MR_IMAGE, transfer_syntax=ExplicitVRLittleEndian, files=n,
                      dims=[sag_cols, sag_rows, n], spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 2.0],
                      positions=sag_pos, iop=SAGITTAL, dtype="int16",
                      formula="v = 1000 + 100*k + 10*j + i (k=0 is the slice at x=5, lowest along normal [-1,0,0]; x decreases as k grows)",
                      value_fn=vs),
    ], extra={"series_order": "by SeriesNumber (2 then 5)"})


def case_shared_uid():
    """One SeriesInstanceUID (and SeriesNumber, description, frame of
    reference, size) shared by a 3-slice axial stack and a 2-slice coronal
    stack (a localiser): only the orientation tells them apart -> 2 series."""
    name = "shared-uid"
    series = {"key": "loc", "number": 1, "description": "Localizer"}
    ax_pos = [[-3.0, -2.0, -10.0 + 6.0 * k] for k in range(3)]
    # Coronal: normal = [1,0,0] x [0,0,-1] = [0,1,0]: sorted by increasing y.
    cor_pos = [[-3.0, 10.0 + 8.0 * k, 25.0] for k in range(2)]
    va = lambda i, j, k: 100 * k + 10 * j + i
    vc = lambda i, j, k: 2000 + 100 * k + 10 * j + i
    files = []
    for k in range(3):
        ds = new_dataset(name, CT_IMAGE, "CT", series, instance=k + 1, sop_name=f"{name}/ax/{k}")
        set_plane(ds, ax_pos[k], AXIAL, thickness=6.0)
        ds.RescaleIntercept, ds.RescaleSlope = "0", "1"
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: va(i, j, k))[0], 16, 16, signed=True)
        files.append(ds)
    for k in range(2):
        ds = new_dataset(name, CT_IMAGE, "CT", series, instance=4 + k, sop_name=f"{name}/cor/{k}")
        set_plane(ds, cor_pos[k], CORONAL, thickness=8.0)
        ds.RescaleIntercept, ds.RescaleSlope = "0", "1"
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: vc(i, j, k))[0], 16, 16, signed=True)
        files.append(ds)
    for f, ds in enumerate(files):
        save(ds, name, f"loc{f + 1}.dcm")
    add_case(name, case_shared_uid.__doc__, [
        expect_series(match={"series_number": "1", "slices": 3, "orientation": "axial"},
                      modality="CT", sop_class=CT_IMAGE, transfer_syntax=ExplicitVRLittleEndian,
                      files=3, dims=[COLS, ROWS, 3], spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 6.0],
                      positions=ax_pos, iop=AXIAL, dtype="int16",
                      formula="v = 100*k + 10*j + i", value_fn=va),
        expect_series(match={"series_number": "1", "slices": 2, "orientation": "coronal"},
                      modality="CT", sop_class=CT_IMAGE, transfer_syntax=ExplicitVRLittleEndian,
                      files=2, dims=[COLS, ROWS, 2], spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 8.0],
                      positions=cor_pos, iop=CORONAL, dtype="int16",
                      formula="v = 2000 + 100*k + 10*j + i", value_fn=vc),
    ], extra={"series_order": "unspecified (same SeriesNumber and description): match by slice count / direction"})


def case_oblique():
    """In-plane rotation of 20 degrees about z: row = [cos20, sin20, 0],
    col = [-sin20, cos20, 0], normal [0,0,1]; positions step 3 mm along the
    normal. IOP is written with 10 decimals."""
    name = "oblique"
    n = 4
    c, s = math.cos(math.radians(20)), math.sin(math.radians(20))
    iop_exact = [c, s, 0.0, -s, c, 0.0]
    iop = [float(ds_str(x, 10)) for x in iop_exact]  # what the file says
    nrm = normal_of(iop)
    origin = [-40.0, 25.0, 10.0]
    positions = [along(origin, nrm, 3.0 * k) for k in range(n)]
    positions = [[float(ds_str(x)) for x in p] for p in positions]
    v = lambda i, j, k: 100 * k + 10 * j + i
    series = {"key": "obl", "number": 9, "description": "Oblique 20deg"}
    for k in range(n):
        ds = new_dataset(name, MR_IMAGE, "MR", series, instance=k + 1)
        set_plane(ds, positions[k], iop, thickness=3.0, iop_digits=10)
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: v(i, j, k))[0], 16, 16, signed=True)
        save(ds, name, f"obl{k + 1}.dcm")
    add_case(name, case_oblique.__doc__, [expect_series(
        match={"series_number": "9"}, modality="MR", sop_class=MR_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=n, dims=[COLS, ROWS, n],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 3.0], positions=positions, iop=iop,
        dtype="int16", formula="v = 100*k + 10*j + i", value_fn=v)])


def case_enhanced():
    """ONE Enhanced CT file, 4 frames stored in DEscending z. Geometry only
    in the functional groups: Shared (PixelMeasures: PixelSpacing,
    SliceThickness 2 (step is 3); PlaneOrientation), PerFrame (PlanePosition;
    PixelValueTransformation slope 1 intercept -1024 -- present ONLY there,
    not at the top level; FrameContent)."""
    name = "enhanced"
    nf = 4
    z_top = 9.0
    frame_z = [z_top - 3.0 * f for f in range(nf)]           # 9, 6, 3, 0 in the file
    xy = [-6.0, -4.5]
    positions = [[xy[0], xy[1], z] for z in sorted(frame_z)]  # sorted order
    hu = lambda i, j, k: 100 * k + 10 * j + i - 1000
    series = {"key": "ect", "number": 11, "description": "Enhanced CT"}
    ds = new_dataset(name, ENHANCED_CT_IMAGE, "CT", series, instance=1)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.ContentQualification = "RESEARCH"
    ds.AcquisitionDateTime = FIXED_DATE + FIXED_TIME
    ds.BurnedInAnnotation = "NO"
    ds.PresentationLUTShape = "IDENTITY"
    ds.DimensionOrganizationType = "3D"
    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = ds_list(PIXEL_SPACING)
    pm.SliceThickness = "2"
    shared.PixelMeasuresSequence = Sequence([pm])
    po = Dataset()
    po.ImageOrientationPatient = ds_list(AXIAL)
    shared.PlaneOrientationSequence = Sequence([po])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per = []
    frames = []
    for f in range(nf):
        k = sorted(frame_z).index(frame_z[f])
        item = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = ds_list([xy[0], xy[1], frame_z[f]])
        item.PlanePositionSequence = Sequence([pp])
        pv = Dataset()
        pv.RescaleSlope = "1"
        pv.RescaleIntercept = "-1024"
        pv.RescaleType = "HU"
        item.PixelValueTransformationSequence = Sequence([pv])
        fc = Dataset()
        fc.StackID = "1"
        fc.InStackPositionNumber = f + 1
        fc.DimensionIndexValues = [1, f + 1]
        item.FrameContentSequence = Sequence([fc])
        per.append(item)
        frames.append(grid(COLS, ROWS, 1, lambda i, j, _: hu(i, j, k) + 1024)[0])
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    set_pixels(ds, np.stack(frames), 16, 12, signed=False, frames=nf)
    save(ds, name, "enhanced-ct.dcm")
    add_case(name, case_enhanced.__doc__, [expect_series(
        match={"series_number": "11"}, modality="CT", sop_class=ENHANCED_CT_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=1, dims=[COLS, ROWS, nf],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 3.0], positions=positions, iop=AXIAL,
        dtype="int16",
        formula="HU = 100*k + 10*j + i - 1000 (stored = HU + 1024; file frame f holds sorted slice k = 3 - f)",
        value_fn=hu, extra={"frame_z_in_file_order": frame_z})])


def case_multiframe_classic():
    """Classic multi-frame (Multi-frame Grayscale Word SC), 3 frames, no
    functional groups: one top-level ImagePositionPatient (frame 0) and
    ImageOrientationPatient, SpacingBetweenSlices 3 (SliceThickness 2 is not
    the step). Frame f lies at IPP + 3*f*normal (the usual convention)."""
    name = "multiframe-classic"
    nf = 3
    origin = [1.0, 2.0, -7.5]
    positions = [[origin[0], origin[1], origin[2] + 3.0 * f] for f in range(nf)]
    v = lambda i, j, k: 100 * k + 10 * j + i
    series = {"key": "mf", "number": 12, "description": "Classic multiframe"}
    ds = new_dataset(name, MF_GRAY_WORD_SC, "OT", series, instance=1)
    ds.ConversionType = "WSD"
    set_plane(ds, origin, AXIAL, thickness=2.0)
    ds.SpacingBetweenSlices = "3"
    set_pixels(ds, grid(COLS, ROWS, nf, v), 16, 12, signed=False, frames=nf)
    save(ds, name, "multiframe.dcm")
    add_case(name, case_multiframe_classic.__doc__, [expect_series(
        match={"series_number": "12"}, modality="OT", sop_class=MF_GRAY_WORD_SC,
        transfer_syntax=ExplicitVRLittleEndian, files=1, dims=[COLS, ROWS, nf],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 3.0], positions=positions, iop=AXIAL,
        dtype="int16", formula="v = 100*k + 10*j + i (frame f = slice k)", value_fn=v)])


# --- Transfer syntaxes -----------------------------------------------------

TS_COLS, TS_ROWS = 16, 12
ts_value = lambda i, j, k=0: (4000 * (16 * j + i)) // 191  # 0..4000, integer floor
TS_FORMULA = "v = floor(4000*(16*j + i)/191), 0..4000 (uint16, BitsStored 12)"
TS_POS = [[-4.0, -3.0, 12.5]]


def ts_dataset(name, ts):
    series = {"key": "ts", "number": 20, "description": f"TS {name}"}
    ds = new_dataset(name, MR_IMAGE, "MR", series, ts=ts)
    set_plane(ds, TS_POS[0], AXIAL, thickness=1.5)
    return ds


def ts_expect(name, ts, files=1, dims=(TS_COLS, TS_ROWS, 1), dtype="int16", formula=TS_FORMULA,
              value_fn=ts_value, extra=None):
    return expect_series(
        match={"series_number": "20"}, modality="MR", sop_class=MR_IMAGE, transfer_syntax=ts,
        files=files, dims=list(dims), spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 1.5],
        positions=TS_POS, iop=AXIAL, dtype=dtype, formula=formula, value_fn=value_fn, extra=extra)


def case_ts_explicit_be():
    """Explicit VR Big Endian (retired but still met): header numbers AND
    pixel bytes are big-endian (checked byte-wise below)."""
    name = "ts-explicit-be"
    ds = ts_dataset(name, ExplicitVRBigEndian)
    set_pixels(ds, grid(TS_COLS, TS_ROWS, 1, ts_value)[0], 16, 12)
    path = save(ds, name, "be.dcm")
    with open(path, "rb") as fh:
        raw = fh.read()
    want = grid(TS_COLS, TS_ROWS, 1, ts_value)[0].astype(">u2").tobytes()
    assert raw.endswith(want), "big-endian pixel bytes not found at end of file"
    assert want != grid(TS_COLS, TS_ROWS, 1, ts_value)[0].astype("<u2").tobytes()
    add_case(name, case_ts_explicit_be.__doc__, [ts_expect(name, ExplicitVRBigEndian)])


def case_ts_implicit():
    """Implicit VR Little Endian: no VRs in the data set; the reader needs a
    dictionary."""
    name = "ts-implicit"
    ds = ts_dataset(name, ImplicitVRLittleEndian)
    set_pixels(ds, grid(TS_COLS, TS_ROWS, 1, ts_value)[0], 16, 12)
    save(ds, name, "implicit.dcm")
    add_case(name, case_ts_implicit.__doc__, [ts_expect(name, ImplicitVRLittleEndian)])


def meta_end(raw):
    """Offset of the first byte after the file meta group (explicit VR LE)."""
    assert raw[128:132] == b"DICM"
    assert raw[132:136] == b"\x02\x00\x00\x00" and raw[136:138] == b"UL"
    group_len = int.from_bytes(raw[140:144], "little")
    return 144 + group_len


def case_ts_deflated():
    """Deflated Explicit VR Little Endian: everything after the file meta
    is one raw deflate stream (zlib wbits=-15), verified below."""
    name = "ts-deflated"
    ds = ts_dataset(name, DeflatedExplicitVRLittleEndian)
    set_pixels(ds, grid(TS_COLS, TS_ROWS, 1, ts_value)[0], 16, 12)
    path = save(ds, name, "deflated.dcm")
    with open(path, "rb") as fh:
        raw = fh.read()
    body = raw[meta_end(raw):]
    assert body[:2] != b"\x08\x00", "data set after the meta is not deflated"
    inflated = zlib.decompressobj(-15).decompress(body)
    assert inflated[:2] == b"\x08\x00", "inflated data set does not start with group 0008"
    assert inflated.endswith(grid(TS_COLS, TS_ROWS, 1, ts_value)[0].astype("<u2").tobytes())
    add_case(name, case_ts_deflated.__doc__, [ts_expect(name, DeflatedExplicitVRLittleEndian)])


def case_ts_jpeg_baseline():
    """JPEG Baseline (process 1), 8-bit 16x16 MONOCHROME2 encoded by PIL at
    quality 95, one fragment. Expected values are what PIL (libjpeg) decodes
    from those same bytes; the source ramp is v = 16*j + i."""
    name = "ts-jpeg-baseline"
    src = grid(16, 16, 1, lambda i, j, k: 16 * j + i)[0].astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(src, mode="L").save(buf, format="JPEG", quality=95, optimize=False,
                                        progressive=False)
    jpeg = buf.getvalue()
    assert jpeg[:2] == b"\xff\xd8" and b"\xff\xc0" in jpeg and b"\xff\xc2" not in jpeg
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)).convert("L")).astype(np.int64)
    ds = ts_dataset(name, JPEGBaseline8Bit)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = 16, 16
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.add_new(0x7FE00010, "OB", encapsulate([jpeg]))
    ds["PixelData"].is_undefined_length = True
    save(ds, name, "jpeg-baseline.dcm")
    diff = int(np.abs(decoded - src).max())
    add_case(name, case_ts_jpeg_baseline.__doc__, [ts_expect(
        name, JPEGBaseline8Bit, dims=(16, 16, 1), dtype="uint8",
        formula="values = PIL/libjpeg decode of the stored JPEG (source before compression: 16*j + i)",
        value_fn=lambda i, j, k: int(decoded[j, i]),
        extra={"source_formula": "16*j + i", "max_abs_diff_from_source": diff,
               "jpeg_bytes": len(jpeg)})])


def case_ts_rle():
    """RLE Lossless, encoded by pydicom's own RLE encoder (Dataset.compress),
    16-bit -> two byte segments (high byte first) per frame."""
    name = "ts-rle"
    arr = grid(TS_COLS, TS_ROWS, 1, ts_value)[0].astype(np.uint16)
    ds = ts_dataset(name, ExplicitVRLittleEndian)
    set_pixels(ds, arr, 16, 12)
    ds.compress(RLELossless, arr, encoding_plugin="pydicom")
    assert ds.file_meta.TransferSyntaxUID == RLELossless
    frame = next(generate_pixel_data_frame(ds.PixelData, 1))
    assert int.from_bytes(frame[:4], "little") == 2, "expected 2 RLE segments"
    save(ds, name, "rle.dcm")
    add_case(name, case_ts_rle.__doc__, [ts_expect(name, RLELossless)])


def case_uint16_full():
    """Unsigned 16-bit values above 32767 (up to 65535), no rescale: the
    only case whose expected type is uint16 (does not fit int16)."""
    name = "uint16-full"
    v = lambda i, j, k: (65535 * (COLS * j + i)) // (COLS * ROWS - 1)
    series = {"key": "u16", "number": 21, "description": "uint16 full range"}
    ds = new_dataset(name, MR_IMAGE, "MR", series)
    set_plane(ds, [0.0, 0.0, 0.0], AXIAL, thickness=1.0)
    set_pixels(ds, grid(COLS, ROWS, 1, v)[0], 16, 16)
    save(ds, name, "u16.dcm")
    add_case(name, case_uint16_full.__doc__, [expect_series(
        match={"series_number": "21"}, modality="MR", sop_class=MR_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=1, dims=[COLS, ROWS, 1],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 1.0], positions=[[0.0, 0.0, 0.0]],
        iop=AXIAL, dtype="uint16", formula="v = floor(65535*(8*j + i)/47)", value_fn=v)])


def case_rgb():
    """8x6 RGB, SamplesPerPixel 3, PlanarConfiguration 0 (R,G,B interleaved
    per pixel). Expected grey = round(0.299R + 0.587G + 0.114B); values are
    chosen so that no pixel sits within 0.001 of a .5 tie."""
    name = "rgb"
    R = lambda i, j: 30 * i + 10
    G = lambda i, j: 40 * j + 5
    B = lambda i, j: (37 * i + 53 * j) % 256

    def grey(i, j, k=0):
        y = Fraction(299, 1000) * R(i, j) + Fraction(587, 1000) * G(i, j) + Fraction(114, 1000) * B(i, j)
        frac = y - math.floor(y)
        assert abs(frac - Fraction(1, 2)) > Fraction(1, 1000), (i, j, float(y))
        return int(math.floor(y + Fraction(1, 2)))
    rgb = np.zeros((ROWS, COLS, 3), dtype=np.int64)
    for j in range(ROWS):
        for i in range(COLS):
            rgb[j, i] = [R(i, j), G(i, j), B(i, j)]
    series = {"key": "rgb", "number": 30, "description": "RGB"}
    ds = new_dataset(name, SC_IMAGE, "OT", series)
    ds.ConversionType = "WSD"
    set_plane(ds, [0.0, 0.0, 0.0], AXIAL, thickness=1.0)
    set_pixels(ds, rgb, 8, 8, photometric="RGB")
    save(ds, name, "rgb.dcm")
    add_case(name, case_rgb.__doc__, [expect_series(
        match={"series_number": "30"}, modality="OT", sop_class=SC_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=1, dims=[COLS, ROWS, 1],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 1.0], positions=[[0.0, 0.0, 0.0]],
        iop=AXIAL, dtype="uint8",
        formula="grey = round(0.299*R + 0.587*G + 0.114*B), R = 30*i + 10, G = 40*j + 5, B = (37*i + 53*j) mod 256",
        value_fn=grey,
        extra={"rgb": [[R(i, j), G(i, j), B(i, j)] for j in range(ROWS) for i in range(COLS)]})])


def case_bad():
    """A valid 3-slice series among junk: notes.txt (text), truncated.dcm (a
    valid slice of the same series, at the would-be 4th position z=7.5, cut
    in the middle of its pixel data), garbage.dcm (preamble + DICM + 200
    random bytes), huge-dims.dcm (valid header claiming 65535x65535 x 100000
    frames, 8 bytes of pixels) and .hidden (a VALID slice of the same series
    at z=-2.5: hidden files must be ignored, so it must NOT appear). Expect 1
    series, the 3 valid slices, warnings naming the bad files, no crash."""
    name = "bad"
    series = {"key": "ct", "number": 2, "description": "Valid among junk"}
    hu = lambda i, j, k: 100 * k + 10 * j + i - 500
    positions = [[0.0, 0.0, 2.5 * k] for k in range(3)]

    def slice_ds(k, z, inst):
        ds = new_dataset(name, CT_IMAGE, "CT", series, instance=inst)
        set_plane(ds, [0.0, 0.0, z], AXIAL, thickness=2.5)
        ds.RescaleIntercept, ds.RescaleSlope = "-1024", "1"
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: hu(i, j, k) + 1024)[0], 16, 12)
        return ds
    for k in range(3):
        save(slice_ds(k, 2.5 * k, k + 1), name, f"slice{k + 1}.dcm")
    # truncated.dcm: would be slice k=3; cut halfway into its pixel data.
    full = save(slice_ds(3, 7.5, 4), name, "truncated.dcm")
    with open(full, "rb") as fh:
        raw = fh.read()
    npix = COLS * ROWS * 2
    with open(full, "wb") as f:
        f.write(raw[: len(raw) - npix // 2])
    # .hidden: perfectly valid slice at z=-2.5 (k would be -1).
    save(slice_ds(0, -2.5, 99), name, ".hidden")
    # garbage.dcm
    rng = random.Random(1313)
    with open(os.path.join(OUT, name, "garbage.dcm"), "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + bytes(rng.randrange(256) for _ in range(200)))
    # huge-dims.dcm: absurd claimed size, same series UID.
    ds = new_dataset(name, CT_IMAGE, "CT", series, instance=5)
    set_plane(ds, [0.0, 0.0, 100.0], AXIAL, thickness=2.5)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 65535
    ds.NumberOfFrames = "100000"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.add_new(0x7FE00010, "OW", b"\x01\x02\x03\x04\x05\x06\x07\x08")
    save(ds, name, "huge-dims.dcm")
    with open(os.path.join(OUT, name, "notes.txt"), "w") as f:
        f.write("These are not DICOM files. Synthetic fixture notes for the bad/ case.\n")
    add_case(name, case_bad.__doc__, [expect_series(
        match={"series_number": "2"}, modality="CT", sop_class=CT_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=3, dims=[COLS, ROWS, 3],
        spacing=[PIXEL_SPACING[1], PIXEL_SPACING[0], 2.5], positions=positions, iop=AXIAL,
        dtype="int16", formula="HU = 100*k + 10*j + i - 500 (stored = HU + 1024)", value_fn=hu,
        extra={"optional_trailing_slices": 1,
               "optional_trailing_slices_note": "a loader may keep truncated.dcm as a 4th slice at z=7.5 "
               "(filled, not decoded); then dims[2] = 4, files = 4 and k=0..2 are unchanged"})],
        warnings=["truncated.dcm", "garbage.dcm", "huge-dims.dcm"],
        extra={"bad_files": {
            "truncated.dcm": "valid header, pixel data cut after 48 of 96 bytes; position z=7.5",
            "garbage.dcm": "128 zero bytes + DICM + 200 random bytes",
            "huge-dims.dcm": "Rows=Columns=65535, NumberOfFrames=100000, 8 bytes of pixel data",
            "notes.txt": "plain text, not DICOM (need not be named in warnings)",
            ".hidden": "VALID slice at z=-2.5 of the same series: hidden files must be ignored"},
            "must_not_crash": True})


def case_no_geometry():
    """Secondary capture without ImagePositionPatient, ImageOrientationPatient
    or PixelSpacing (and no SliceThickness): 1 series, identity direction,
    origin 0, spacing 1, order by InstanceNumber (file a.dcm is instance 2,
    b.dcm instance 1), with warnings."""
    name = "no-geometry"
    v = lambda i, j, k: 100 * k + 10 * j + i
    series = {"key": "sc", "number": 40, "description": "Screenshot"}
    for fname, inst in (("a.dcm", 2), ("b.dcm", 1)):
        k = inst - 1
        ds = new_dataset(name, SC_IMAGE, "OT", series, instance=inst, frame_of_ref=False)
        ds.ConversionType = "WSD"
        set_pixels(ds, grid(COLS, ROWS, 1, lambda i, j, _: v(i, j, k))[0], 8, 8)
        save(ds, name, fname)
    add_case(name, case_no_geometry.__doc__, [expect_series(
        match={"series_number": "40"}, modality="OT", sop_class=SC_IMAGE,
        transfer_syntax=ExplicitVRLittleEndian, files=2, dims=[COLS, ROWS, 2],
        spacing=[1.0, 1.0, 1.0], positions=[[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]], iop=AXIAL,
        dtype="uint8", formula="v = 100*k + 10*j + i, k = InstanceNumber - 1", value_fn=v,
        warnings=["orientation", "position", "spacing"],
        extra={"files_in_sorted_order": ["b.dcm", "a.dcm"]})])


CONVENTIONS = {
    "indices": "i = column (0..dims[0]-1), j = row (0..dims[1]-1), k = slice in sorted order (0..dims[2]-1)",
    "sorting": "slices sorted ascending along normal = rowDir x colDir (rowDir = IOP[0:3], the direction of "
               "increasing i; colDir = IOP[3:6], direction of increasing j); without positions, by InstanceNumber",
    "dims": "[cols, rows, slices]",
    "spacing": "mm, [along i (= PixelSpacing[1], column spacing), along j (= PixelSpacing[0], row spacing), "
               "slice step]; slice step = (last - first position along the normal)/(slices - 1); for one slice "
               "SpacingBetweenSlices, else SliceThickness, else 1",
    "origin": "LPS mm of voxel (0,0,0) = ImagePositionPatient of the first slice in sorted order",
    "direction_columns": "[rowDir, colDir, normal] -- three unit column vectors of the 3x3 direction matrix, LPS; "
                         "p = origin + D*diag(spacing)*(i,j,k)",
    "slice_positions": "LPS mm of every slice in sorted order (the truth; for gap/non-uniform cases differs from "
                       "origin + k*step)",
    "values": "all voxel values AFTER rescale, flattened with i fastest, then j, then k (length "
              "dims[0]*dims[1]*dims[2]); samples = [i, j, k, value] subset; compare with |diff| <= value_tolerance",
    "dtype": "expected voxel type: float32 when slope/intercept are not integers; else 8-bit -> uint8/int8; "
             "16-bit (or less) -> int16 when the rescaled range fits int16, else uint16",
    "warnings": "keywords; each must occur (case-insensitive substring) in some warning produced for the folder "
                "(scan, series or load); case-level 'warnings' apply to the whole folder",
    "absent_warnings": "keywords that must NOT occur in the series' warnings",
    "match": "fields identifying the series among several (series_number / description as strings from the "
             "header, slices, orientation name)",
    "files": "number of DICOM files that belong to the series",
    "tolerances": {"geometry_mm": 1e-4, "direction": 1e-6},
}


def write_expected():
    doc = {
        "schema_version": 1,
        "generator": "testdata/make_dicom_fixtures.py",
        "patient": {"name": "Fixture^Synthetic", "id": "FIXTURE-001"},
        "conventions": CONVENTIONS,
        "cases": CASES,
    }
    text = dump_json(doc) + "\n"
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        f.write(text)


def dump_json(x, indent=0):
    """JSON with 2-space indents, but lists of scalars (and lists of lists of
    scalars, such as positions) on one line to keep the file compact."""
    pad = "  " * indent
    if isinstance(x, dict):
        if not x:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {dump_json(v, indent + 1)}' for k, v in x.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(x, list):
        flat = all(not isinstance(v, (dict, list)) for v in x)
        nested_flat = all(isinstance(v, list) and all(not isinstance(w, (dict, list)) for w in v) for v in x)
        if flat or (nested_flat and len(x) <= 8):
            return json.dumps(x, separators=(", ", ": "))
        items = [f"{pad}  {dump_json(v, indent + 1)}" for v in x]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(x)


# ---------------------------------------------------------------------------
# Independent check: a small reference loader built on pydicom
# ---------------------------------------------------------------------------

def ref_load(folder):
    """Load every series in folder the way expected.json describes, using
    pydicom for parsing/decoding. Returns (series list, skipped file names)."""
    items, skipped = [], []
    for fname in sorted(os.listdir(folder)):
        if fname.startswith(".") or fname == "expected.json":
            continue
        path = os.path.join(folder, fname)
        try:
            ds = pydicom.dcmread(path)
            rows, cols = int(ds.Rows), int(ds.Columns)
            nf = int(ds.get("NumberOfFrames", 1) or 1)
            if rows * cols * nf > 1 << 32:
                raise ValueError("implausible size")
            arr = ds.pixel_array
        except Exception as e:  # noqa: BLE001 - any failure means "skip"
            skipped.append(fname)
            continue
        arr = arr.astype(np.float64)
        if int(ds.SamplesPerPixel) == 3:
            arr = np.floor(arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114 + 0.5)
        if nf == 1:
            arr = arr[None]
        top_slope = float(ds.get("RescaleSlope", 1) or 1)
        top_inter = float(ds.get("RescaleIntercept", 0) or 0)
        iop = [float(v) for v in ds.ImageOrientationPatient] if "ImageOrientationPatient" in ds else None
        ipp = [float(v) for v in ds.ImagePositionPatient] if "ImagePositionPatient" in ds else None
        ps = [float(v) for v in ds.PixelSpacing] if "PixelSpacing" in ds else None
        sfg = ds.get("SharedFunctionalGroupsSequence")
        pfg = ds.get("PerFrameFunctionalGroupsSequence")
        if sfg:
            g = sfg[0]
            if "PlaneOrientationSequence" in g:
                iop = [float(v) for v in g.PlaneOrientationSequence[0].ImageOrientationPatient]
            if "PixelMeasuresSequence" in g:
                ps = [float(v) for v in g.PixelMeasuresSequence[0].PixelSpacing]
        n = normal_of(iop) if iop else [0.0, 0.0, 1.0]
        for f in range(nf):
            slope, inter, pos = top_slope, top_inter, ipp
            if pfg:
                g = pfg[f]
                if "PlanePositionSequence" in g:
                    pos = [float(v) for v in g.PlanePositionSequence[0].ImagePositionPatient]
                if "PixelValueTransformationSequence" in g:
                    t = g.PixelValueTransformationSequence[0]
                    slope, inter = float(t.RescaleSlope), float(t.RescaleIntercept)
            elif nf > 1 and pos is not None:
                pos = along(pos, n, f * float(ds.SpacingBetweenSlices))
            key = (ds.get("SeriesInstanceUID", ""), tuple(round(v, 3) for v in (iop or [])),
                   rows, cols, str(ds.get("SeriesNumber", "")), ds.get("SeriesDescription", ""))
            items.append(dict(key=key, file=fname, frame=f, inst=int(ds.get("InstanceNumber", 0) or 0),
                              pos=pos, iop=iop, ps=ps, normal=n, pix=arr[f] * slope + inter,
                              integral=slope == int(slope) and inter == int(inter),
                              bits=int(ds.BitsAllocated), modality=ds.Modality,
                              ts=str(ds.file_meta.TransferSyntaxUID), sop=str(ds.SOPClassUID),
                              series_number=str(ds.get("SeriesNumber", "")),
                              description=ds.get("SeriesDescription", ""),
                              thick=float(ds.get("SliceThickness", 0) or 0)))
    groups = {}
    for it in items:
        groups.setdefault(it["key"], []).append(it)
    out = []
    for its in groups.values():
        n = its[0]["normal"]
        if any(it["pos"] is None for it in its):
            its.sort(key=lambda it: (it["inst"], it["frame"]))
            step0 = its[0]["thick"] or 1.0
            for idx, it in enumerate(its):
                it["pos"] = [n[t] * step0 * idx for t in range(3)]
        its.sort(key=lambda it: (dot(it["pos"], n), it["inst"], it["frame"]))
        kept, warnings = [its[0]], []
        for it in its[1:]:
            if abs(dot(it["pos"], n) - dot(kept[-1]["pos"], n)) < 1e-3:
                warnings.append("duplicate")
                continue
            kept.append(it)
        pos = [it["pos"] for it in kept]
        step = mean_step(pos, n) if len(pos) > 1 else (its[0]["thick"] or 1.0)
        if len(pos) > 1:
            steps = [dot(pos[a + 1], n) - dot(pos[a], n) for a in range(len(pos) - 1)]
            if max(steps) - min(steps) > max(0.01, 0.01 * step):
                warnings.append("gap" if any(s > 1.5 * step for s in steps) else "non-uniform")
        vol = np.stack([it["pix"] for it in kept])
        if len(pos) > 1 and max(steps) - min(steps) > max(0.01, 0.01 * step):
            # Resampled onto the smallest step (ending on the last slice):
            # np.interp along z for every pixel, rounded half away from zero.
            zs = np.array([dot(p, n) for p in pos])
            intervals = math.ceil((zs[-1] - zs[0]) / min(steps) - 1e-3)
            zo = zs[0] + (zs[-1] - zs[0]) / intervals * np.arange(intervals + 1)
            flat = vol.reshape(len(zs), -1)
            res = np.stack([np.interp(zo, zs, flat[:, p]) for p in range(flat.shape[1])], axis=1)
            res = np.sign(res) * np.floor(np.abs(res) + 0.5)
            vol = res.reshape((len(zo),) + vol.shape[1:])
            step = (zs[-1] - zs[0]) / intervals
            pos = [[pos[0][t] + n[t] * (z - zs[0]) for t in range(3)] for z in zo]
        lo, hi = vol.min(), vol.max()
        if not all(it["integral"] for it in kept):
            dtype = "float32"
        elif its[0]["bits"] == 8 and lo >= 0 and hi <= 255:
            dtype = "uint8"
        elif its[0]["bits"] <= 16 and lo >= -32768 and hi <= 32767:
            dtype = "int16"
        elif its[0]["bits"] <= 16 and lo >= 0 and hi <= 65535:
            dtype = "uint16"
        else:
            dtype = "other"
        iop = its[0]["iop"] or AXIAL
        ps = its[0]["ps"] or [1.0, 1.0]
        out.append(dict(
            series_number=its[0]["series_number"], description=its[0]["description"],
            modality=its[0]["modality"], ts=its[0]["ts"], sop=its[0]["sop"],
            files=len({it["file"] for it in its}),
            dims=[vol.shape[2], vol.shape[1], vol.shape[0]], spacing=[ps[1], ps[0], step],
            origin=pos[0], positions=pos, direction=[iop[0:3], iop[3:6], n],
            values=vol.reshape(-1).tolist(), dtype=dtype, warnings=warnings))
    return out, skipped


def close(a, b, tol):
    return all(abs(x - y) <= tol for x, y in zip(np.ravel(a), np.ravel(b))) and np.size(a) == np.size(b)


def verify():
    problems = []
    for case in CASES:
        got, skipped = ref_load(os.path.join(OUT, case["folder"]))
        if len(got) != case["num_series"]:
            problems.append(f"{case['name']}: {len(got)} series, want {case['num_series']}")
            continue
        for exp in case["series"]:
            m = exp["match"]
            cands = [g for g in got if g["series_number"] == m.get("series_number", g["series_number"])
                     and g["description"] == m.get("description", g["description"])
                     and g["dims"][2] == m.get("slices", g["dims"][2])]
            if len(cands) != 1:
                problems.append(f"{case['name']}: {len(cands)} series match {m}")
                continue
            g = cands[0]
            tol_mm = CONVENTIONS["tolerances"]["geometry_mm"]
            checks = [
                ("dims", g["dims"] == exp["dims"]),
                ("files", g["files"] == exp["files"]),
                ("modality", g["modality"] == exp["modality"]),
                ("ts", g["ts"] == exp["transfer_syntax_uid"]),
                ("sop", g["sop"] == exp["sop_class_uid"]),
                ("spacing", close(g["spacing"], exp["spacing"], tol_mm)),
                ("origin", close(g["origin"], exp["origin"], tol_mm)),
                ("positions", close(g["positions"], exp["slice_positions"], tol_mm)),
                ("direction", close(g["direction"], exp["direction_columns"], 1e-6)),
                ("values", close(g["values"], exp["values"], exp["value_tolerance"])),
                ("dtype", g["dtype"] == exp["dtype"]),
                ("warnings", sorted(set(g["warnings"])) == sorted(w for w in exp["warnings"] if w in GEOM_WARNINGS)),
            ]
            for s in exp["samples"]:
                i, j, k, v = s
                d = exp["dims"]
                checks.append((f"sample {s}", abs(g["values"][i + d[0] * (j + d[1] * k)] - v) <= exp["value_tolerance"]))
            for what, ok in checks:
                if not ok:
                    problems.append(f"{case['name']} series {m}: {what} differs")
        if case["name"] == "bad":
            want = {"truncated.dcm", "garbage.dcm", "huge-dims.dcm", "notes.txt"}
            if set(skipped) != want:
                problems.append(f"bad: skipped {sorted(skipped)}, want {sorted(want)}")
    return problems


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for fn in (case_shuffled, case_signed, case_float_rescale, case_gap, case_duplicate,
               case_nonuniform, case_two_series_empty_uid, case_shared_uid, case_oblique,
               case_enhanced, case_multiframe_classic, case_ts_explicit_be, case_ts_implicit,
               case_ts_deflated, case_ts_jpeg_baseline, case_ts_rle, case_uint16_full,
               case_rgb, case_bad, case_no_geometry):
        fn()
    for c in CASES:
        c["purpose"] = " ".join(c["purpose"].split())
    write_expected()
    problems = verify()
    if problems:
        print("VERIFY FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {len(CASES)} cases to {OUT} ({total} bytes); pydicom re-read matches expected.json")


if __name__ == "__main__":
    main()
