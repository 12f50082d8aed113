#!/usr/bin/python3
"""Generate synthetic DICOM Segmentation (SEG) fixtures with known answers.

Run with Debian's Python (python3-pydicom 2.x, python3-numpy):

    /usr/bin/python3 testdata/make_conformance_seg.py

It deletes and rewrites testdata/conformance/seg/ only:

  series/ct-*.dcm        a 3-slice CT series, 15 columns x 13 rows, so that
                         rows*cols = 195 is not a multiple of 8 and 1-bit
                         SEG frames start in the middle of a byte
  seg-binary.dcm         BINARY, 2 segments, 5 frames written out of slice
                         order; segment 2 is absent on slice 0, segment 1's
                         frame on slice 2 is present but empty, and the two
                         segments overlap on slice 1
  seg-binary-implicit.dcm, seg-binary-deflated.dcm
                         the same in Implicit VR LE and Deflated Explicit VR LE
  seg-fractional.dcm     FRACTIONAL (PROBABILITY, MaximumFractionalValue 200,
                         8-bit), one segment on slices 1 and 2 only: its own
                         geometry is 2 slices, over the series 3
  seg-offslice.dcm       BINARY, one frame on slice 0 and one half-way between
                         slices 0 and 1 (placed on no slice of the series)
  seg-size-mismatch.dcm  BINARY, frames 13 x 15 (rows and columns swapped)
  seg-tilted.dcm         BINARY, orientation turned 10 degrees in-plane
  seg-labelmap.dcm       SegmentationType LABELMAP (not supported here)
  seg-truncated.dcm      seg-binary.dcm cut 40 bytes into its pixel data
  seg-short-pixels.dcm   a well-formed file whose PixelData holds fewer
                         bytes than its frames need
  expected.json          segments, colours, geometry and label maps

Expected label maps are computed here from the arrays that were packed, not
read back from the files: voxel (i, j, k) is at index i + 15*(j + 13*k),
i = column, j = row, k = slice sorted along the normal (rowDir x colDir),
and a voxel claimed by several segments holds the highest segment number.
Then every SEG is read back with pydicom (pixel_array) and checked against
those arrays, and the 1-bit packing is checked against an independent
LSB-first unpacking of the raw PixelData bytes.

Everything is deterministic (UIDs derived from names, fixed dates). The
patient is synthetic ("Fixture^Synthetic"); no real data is used.
"""

import hashlib
import json
import math
import os
import shutil
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "conformance", "seg")

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
SEGMENTATION = "1.2.840.10008.5.1.4.1.1.66.4"

COLS, ROWS = 15, 13  # 195 pixels a frame: frames are not byte aligned
PIXEL_SPACING = [0.8, 0.6]  # DICOM order: row spacing (along j), column spacing (along i)
IOP = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
ORIGIN_XY = [-6.0, -4.5]
ZS = [10.0, 12.5, 15.0]  # slice positions along the normal (sorted)
THICKNESS = 2.5
FIXED_DATE, FIXED_TIME = "20000101", "120000"


def uid(name):
    """A fixed, valid UID derived from a name (2.25.<128-bit integer>)."""
    h = hashlib.sha256(("delineate-seg-fixture:" + name).encode()).hexdigest()[:32]
    return "2.25." + str(int(h, 16))


def ds_str(x):
    s = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


# ---------------------------------------------------------------------------
# Colour: sRGB -> DICOM CIELab (PS3.3 C.10.7.1.1: L* 0..100 and a*, b*
# -128..127 scaled to 0..65535), with the D65 white point DCMTK, dcmqi and
# Slicer use. The Go reader converts back; it must give these sRGB values.
# ---------------------------------------------------------------------------

WHITE = (0.950456, 1.0, 1.088754)


def srgb_to_dicom_lab(rgb):
    def lin(c):
        c /= 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(float(c)) for c in rgb)
    x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b

    def f(t):
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29
    fx, fy, fz = f(x / WHITE[0]), f(y / WHITE[1]), f(z / WHITE[2])
    L, a, bb = 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)
    return [int(round(L * 65535 / 100)), int(round((a + 128) * 65535 / 255)), int(round((bb + 128) * 65535 / 255))]


# ---------------------------------------------------------------------------
# The image series
# ---------------------------------------------------------------------------

def base_dataset(sop_class, sop_uid, modality, series_key, series_number, description, ts=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = uid("implementation")
    meta.ImplementationVersionName = "DELINEATE_SEG_1"
    ds = FileDataset("", Dataset(), file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, ts == ImplicitVRLittleEndian
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = FIXED_DATE
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = FIXED_TIME
    ds.AccessionNumber = ""
    ds.Modality = modality
    ds.Manufacturer = "Delineate synthetic fixture"
    ds.ReferringPhysicianName = ""
    ds.PatientName = "Fixture^Synthetic"
    ds.PatientID = "FIXTURE-SEG"
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyInstanceUID = uid("study")
    ds.SeriesInstanceUID = uid(series_key)
    ds.StudyID = "1"
    ds.SeriesNumber = str(series_number)
    ds.SeriesDescription = description
    ds.FrameOfReferenceUID = uid("frame-of-reference")
    ds.PositionReferenceIndicator = ""
    return ds


def ct_value(i, j, k):
    return 100 * k + 7 * j + i - 50


def ct_uid(k):
    return uid(f"ct/{k}")


def write_series():
    os.makedirs(os.path.join(OUT, "series"))
    for k, z in enumerate(ZS):
        ds = base_dataset(CT_IMAGE, ct_uid(k), "CT", "ct-series", 1, "Synthetic CT")
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.InstanceNumber = str(len(ZS) - k)  # reverse of the position order
        ds.ImagePositionPatient = [ds_str(ORIGIN_XY[0]), ds_str(ORIGIN_XY[1]), ds_str(z)]
        ds.ImageOrientationPatient = [ds_str(v) for v in IOP]
        ds.PixelSpacing = [ds_str(v) for v in PIXEL_SPACING]
        ds.SliceThickness = ds_str(THICKNESS)
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = ROWS, COLS
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = "0", "1"
        a = np.array([[ct_value(i, j, k) for i in range(COLS)] for j in range(ROWS)], dtype="<i2")
        ds.add_new(0x7FE00010, "OW", a.tobytes())
        ds.save_as(os.path.join(OUT, "series", f"ct-{k + 1}.dcm"), write_like_original=False)


# ---------------------------------------------------------------------------
# Segment masks, [k][j][i]
# ---------------------------------------------------------------------------

def mask(f):
    return np.array([[[1 if f(i, j, k) else 0 for i in range(COLS)] for j in range(ROWS)] for k in range(len(ZS))], dtype=np.uint8)


# Segment 1: an ellipse on slices 0 and 1, nothing on slice 2.
SEG1 = mask(lambda i, j, k: k < 2 and (i - 7) ** 2 / 36 + (j - 6) ** 2 / 16 <= 1)
# Segment 2: a box on slice 1 (inside the ellipse: overlap) and one on slice 2.
SEG2 = mask(lambda i, j, k: (k == 1 and 5 <= i <= 9 and 4 <= j <= 7) or (k == 2 and 10 <= i <= 13 and 1 <= j <= 3))

# Fractional segment on slices 1 and 2: values 0..200 with 99, 100 and 101
# (just under, at and over the threshold of half MaximumFractionalValue).
MAX_FRACTIONAL = 200


def frac_value(i, j, k):
    if k == 0:
        return 0
    v = (i * 13 + j * 7 + k * 31) % 201
    return {(3, 3): 99, (4, 3): 100, (5, 3): 101}.get((i, j), v)


FRAC = np.array([[[frac_value(i, j, k) for i in range(COLS)] for j in range(ROWS)] for k in range(len(ZS))], dtype=np.uint8)


SEGMENTS = [
    dict(number=1, label="Liver", rgb=[221, 130, 101], algorithm="MANUAL",
         category=code("123037004", "SCT", "Anatomical Structure"), type=code("10200004", "SCT", "Liver")),
    dict(number=2, label="Lesion", rgb=[144, 238, 144], algorithm="AUTOMATIC", algorithm_name="Synthetic",
         category=code("49755003", "SCT", "Morphologically Altered Structure"), type=code("52988006", "SCT", "Lesion")),
]


def segment_item(s):
    it = Dataset()
    it.SegmentNumber = s["number"]
    it.SegmentLabel = s["label"]
    it.SegmentAlgorithmType = s["algorithm"]
    if "algorithm_name" in s:
        it.SegmentAlgorithmName = s["algorithm_name"]
    it.SegmentedPropertyCategoryCodeSequence = Sequence([s["category"]])
    it.SegmentedPropertyTypeCodeSequence = Sequence([s["type"]])
    it.RecommendedDisplayCIELabValue = srgb_to_dicom_lab(s["rgb"])
    return it


def pack_bits(frames):
    """1-bit frames -> one continuous LSB-first bitstream, padded to even."""
    flat = np.concatenate([f.reshape(-1) for f in frames]).astype(np.uint8)
    data = np.packbits(flat, bitorder="little").tobytes()
    return data + b"\0" * (len(data) % 2)


def unpack_bits(data, n):
    """Independent reference: pixel p is bit p%8 of byte p//8."""
    return np.array([(data[p // 8] >> (p % 8)) & 1 for p in range(n)], dtype=np.uint8)


def write_seg(name, segments, frames, *, seg_type="BINARY", rows=ROWS, cols=COLS, iop=IOP, key=None,
              pixel_bytes=None, ts=ExplicitVRLittleEndian):
    """frames: list of (segment number, slice index or z, 2-D array [rows][cols])."""
    key = key or name
    ds = base_dataset(SEGMENTATION, uid(key + "/instance"), "SEG", key + "/series", 100, "Synthetic SEG " + name, ts)
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.InstanceNumber = "1"
    ds.ContentLabel = "SEGMENTATION"
    ds.ContentDescription = ""
    ds.ContentCreatorName = ""
    ds.ManufacturerModelName = "make_conformance_seg.py"
    ds.DeviceSerialNumber = "1"
    ds.SoftwareVersions = "1"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, cols
    if seg_type == "BINARY":
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 1, 0
    else:
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelRepresentation = 0
    ds.LossyImageCompression = "00"
    ds.SegmentationType = seg_type
    if seg_type == "FRACTIONAL":
        ds.SegmentationFractionalType = "PROBABILITY"
        ds.MaximumFractionalValue = MAX_FRACTIONAL
    ds.SegmentSequence = Sequence([segment_item(s) for s in segments])

    dim_uid = uid(key + "/dimensions")
    org = Dataset()
    org.DimensionOrganizationUID = dim_uid
    ds.DimensionOrganizationSequence = Sequence([org])
    d1, d2 = Dataset(), Dataset()
    d1.DimensionOrganizationUID = d2.DimensionOrganizationUID = dim_uid
    d1.DimensionIndexPointer, d1.FunctionalGroupPointer = Tag(0x0062000B), Tag(0x0062000A)
    d2.DimensionIndexPointer, d2.FunctionalGroupPointer = Tag(0x00200032), Tag(0x00209113)
    ds.DimensionIndexSequence = Sequence([d1, d2])

    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = [ds_str(v) for v in PIXEL_SPACING]
    pm.SliceThickness = ds_str(THICKNESS)
    pm.SpacingBetweenSlices = ds_str(ZS[1] - ZS[0])
    po = Dataset()
    po.ImageOrientationPatient = [ds_str(v) for v in iop]
    shared.PixelMeasuresSequence = Sequence([pm])
    shared.PlaneOrientationSequence = Sequence([po])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    zs = sorted({z if isinstance(z, float) else ZS[z] for _, z, _ in frames})
    per = []
    for segno, where, _ in frames:
        z = where if isinstance(where, float) else ZS[where]
        fg = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = [ds_str(ORIGIN_XY[0]), ds_str(ORIGIN_XY[1]), ds_str(z)]
        fg.PlanePositionSequence = Sequence([pp])
        si = Dataset()
        si.ReferencedSegmentNumber = segno
        fg.SegmentIdentificationSequence = Sequence([si])
        fc = Dataset()
        fc.DimensionIndexValues = [segno, zs.index(z) + 1]
        fg.FrameContentSequence = Sequence([fc])
        if not isinstance(where, float):
            src = Dataset()
            src.ReferencedSOPClassUID, src.ReferencedSOPInstanceUID = CT_IMAGE, ct_uid(where)
            src.PurposeOfReferenceCodeSequence = Sequence([code("121322", "DCM", "Source image for image processing operation")])
            der = Dataset()
            der.SourceImageSequence = Sequence([src])
            der.DerivationCodeSequence = Sequence([code("113076", "DCM", "Segmentation")])
            fg.DerivationImageSequence = Sequence([der])
        else:
            fg.DerivationImageSequence = Sequence([])  # Type 2: no source image there
        per.append(fg)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    ds.NumberOfFrames = str(len(frames))

    ref = Dataset()
    ref.SeriesInstanceUID = uid("ct-series")
    insts = []
    for k in range(len(ZS)):
        r = Dataset()
        r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID = CT_IMAGE, ct_uid(k)
        insts.append(r)
    ref.ReferencedInstanceSequence = Sequence(insts)
    ds.ReferencedSeriesSequence = Sequence([ref])

    arrays = [a for _, _, a in frames]
    if pixel_bytes is None:
        if seg_type == "BINARY":
            pixel_bytes = pack_bits(arrays)
        else:
            pixel_bytes = np.concatenate([a.reshape(-1) for a in arrays]).astype(np.uint8).tobytes()
            pixel_bytes += b"\0" * (len(pixel_bytes) % 2)
    ds.add_new(0x7FE00010, "OB", pixel_bytes)
    path = os.path.join(OUT, name)
    ds.save_as(path, write_like_original=False)
    return path


def label_map(masks_by_segment):
    """Highest segment number wins; returns (labels [k][j][i], overlap voxel count)."""
    lab = np.zeros((len(ZS), ROWS, COLS), dtype=np.uint8)
    count = np.zeros_like(lab, dtype=np.int32)
    for segno in sorted(masks_by_segment):
        m = masks_by_segment[segno] != 0
        lab[m] = segno
        count += m
    return lab, int((count > 1).sum())


def flat(a):
    return [int(v) for v in np.asarray(a).reshape(-1)]


def check_readback(path, frames, seg_type):
    """pydicom must see the very bits we packed (and LSB-first unpacking of
    the raw bytes must agree)."""
    ds = pydicom.dcmread(path)
    px = ds.pixel_array
    if px.ndim == 2:
        px = px[None]
    want = np.array([a for _, _, a in frames])
    if not np.array_equal(px.astype(np.int64), want.astype(np.int64)):
        sys.exit(f"{path}: pydicom reads different pixels than were packed")
    if seg_type == "BINARY":
        n = len(frames) * ROWS * COLS
        ref = unpack_bits(ds.PixelData, n).reshape(want.shape)
        if not np.array_equal(ref, want):
            sys.exit(f"{path}: LSB-first unpacking disagrees")
    # Make sure the frames really straddle byte boundaries.
    assert (ROWS * COLS) % 8 != 0


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    write_series()
    expected = {
        "conventions": "voxel (i,j,k) at index i + cols*(j + rows*k); i column, j row, k slice sorted along "
                       "rowDir x colDir; LPS millimetres; overlapping segments: the highest number wins",
        "series": {"dims": [COLS, ROWS, len(ZS)], "spacing": [PIXEL_SPACING[1], PIXEL_SPACING[0], ZS[1] - ZS[0]],
                   "origin": [ORIGIN_XY[0], ORIGIN_XY[1], ZS[0]]},
        "segments": [{"number": s["number"], "label": s["label"], "rgb": s["rgb"], "algorithm_type": s["algorithm"],
                      "cielab": srgb_to_dicom_lab(s["rgb"])} for s in SEGMENTS],
        "cases": {},
    }

    # Binary, frames out of slice order; (2, slice 0) absent, (1, slice 2) empty.
    binary_frames = [(2, 2, SEG2[2]), (1, 1, SEG1[1]), (1, 0, SEG1[0]), (2, 1, SEG2[1]), (1, 2, SEG1[2])]
    p = write_seg("seg-binary.dcm", SEGMENTS, binary_frames)
    check_readback(p, binary_frames, "BINARY")
    lab, overlaps = label_map({1: SEG1, 2: SEG2})
    expected["cases"]["seg-binary.dcm"] = {
        "type": "BINARY", "frames": len(binary_frames),
        "frame_segments": [f[0] for f in binary_frames],
        "frame_slices": [f[1] for f in binary_frames],
        "frame_pixels": [int(f[2].sum()) for f in binary_frames],
        "own": {"dims": [COLS, ROWS, 3], "origin": [ORIGIN_XY[0], ORIGIN_XY[1], ZS[0]], "labels": flat(lab)},
        "series": {"labels": flat(lab), "overlaps": overlaps, "off_slice": 0},
    }
    # The same SEG in the other two uncompressed transfer syntaxes.
    for name, ts in (("seg-binary-implicit.dcm", ImplicitVRLittleEndian),
                     ("seg-binary-deflated.dcm", DeflatedExplicitVRLittleEndian)):
        p = write_seg(name, SEGMENTS, binary_frames, key="seg-binary", ts=ts)
        check_readback(p, binary_frames, "BINARY")
        expected["cases"][name] = dict(expected["cases"]["seg-binary.dcm"], transfer_syntax=ts)

    # Fractional, slices 1 and 2 only.
    frac_seg = [dict(SEGMENTS[0], number=1, label="Probability", algorithm="AUTOMATIC", algorithm_name="Synthetic")]
    frac_frames = [(1, 1, FRAC[1]), (1, 2, FRAC[2])]
    p = write_seg("seg-fractional.dcm", frac_seg, frac_frames, seg_type="FRACTIONAL")
    check_readback(p, frac_frames, "FRACTIONAL")
    on = (FRAC.astype(np.int32) * 2 >= MAX_FRACTIONAL).astype(np.uint8)  # fraction >= 1/2
    assert on[1, 3, 3] == 0 and on[1, 3, 4] == 1 and on[1, 3, 5] == 1
    lab, _ = label_map({1: on})
    expected["cases"]["seg-fractional.dcm"] = {
        "type": "FRACTIONAL", "frames": 2, "max_fractional": MAX_FRACTIONAL,
        "own": {"dims": [COLS, ROWS, 2], "origin": [ORIGIN_XY[0], ORIGIN_XY[1], ZS[1]], "labels": flat(lab[1:])},
        "series": {"labels": flat(lab), "overlaps": 0, "off_slice": 0},
    }

    # One frame on slice 0, one half-way to slice 1.
    off_frames = [(1, 0, SEG1[0]), (1, (ZS[0] + ZS[1]) / 2, SEG1[1])]
    p = write_seg("seg-offslice.dcm", SEGMENTS[:1], off_frames)
    check_readback(p, off_frames, "BINARY")
    only0 = SEG1.copy()
    only0[1:] = 0
    lab, _ = label_map({1: only0})
    expected["cases"]["seg-offslice.dcm"] = {
        "type": "BINARY", "frames": 2, "series": {"labels": flat(lab), "overlaps": 0, "off_slice": 1},
    }

    # Rows and columns swapped: 13 x 15 frames over a 15 x 13 series.
    swapped = [(1, 0, np.ones((COLS, ROWS), dtype=np.uint8))]
    write_seg("seg-size-mismatch.dcm", SEGMENTS[:1], swapped, rows=COLS, cols=ROWS)
    # Turned 10 degrees in-plane: same normal, the pixels fall between voxels.
    c, s = math.cos(math.radians(10)), math.sin(math.radians(10))
    write_seg("seg-tilted.dcm", SEGMENTS[:1], [(1, 0, SEG1[0])], iop=[c, s, 0.0, -s, c, 0.0])
    # LABELMAP (the 2024 Label Map Segmentation type) is not read here.
    write_seg("seg-labelmap.dcm", SEGMENTS[:1], [(1, 0, SEG1[0])], seg_type="LABELMAP")
    # Cut 40 bytes into the pixel data.
    with open(os.path.join(OUT, "seg-binary.dcm"), "rb") as f:
        whole = f.read()
    with open(os.path.join(OUT, "seg-truncated.dcm"), "wb") as f:
        f.write(whole[:-40])
    # Well-formed, but PixelData is 10 bytes short of the 5 frames.
    need = (len(binary_frames) * ROWS * COLS + 7) // 8
    write_seg("seg-short-pixels.dcm", SEGMENTS, binary_frames, key="seg-binary",
              pixel_bytes=pack_bits([f[2] for f in binary_frames])[:need - 10 + (need - 10) % 2])
    expected["errors"] = {
        "series/ct-1.dcm": "not-seg", "seg-labelmap.dcm": "unsupported", "seg-truncated.dcm": "truncated",
        "seg-short-pixels.dcm": "truncated", "seg-size-mismatch.dcm": "geometry-over-series",
        "seg-tilted.dcm": "geometry-over-series",
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
