#!/usr/bin/python3
"""Generate DICOM conformance fixtures for pixel encodings (issue 12).

    /usr/bin/python3 testdata/make_conformance_pixels.py

Rewrites testdata/conformance/pixels/ only: one sub-folder per case and
expected.json. Each case is a small synthetic file (patient
"Fixture^Synthetic") that pydicom 2.3 reads; the expected voxel values are
pydicom's own answer — pixel_array, with apply_modality_lut /
apply_color_lut / Y of YBR as the issue asks — computed here and committed,
so the Go tests need no Python. Luma is Rec. 601 (0.299 R + 0.587 G +
0.114 B) in float64, as the viewer reduces colour to one channel.

Deterministic: fixed UIDs, dates, seeds.
"""

import io
import json
import os
import shutil
import struct
import zlib

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.pixel_data_handlers.util import apply_color_lut, apply_modality_lut
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "conformance", "pixels")
ROOT = "1.2.826.0.1.3680043.10.1234.12."  # fixed synthetic UID root
COLS, ROWS = 8, 6
CASES = []


def uid(name, n=0):
    h = sum(ord(c) * (i + 1) for i, c in enumerate(name))
    return f"{ROOT}{h}.{n}"


def base(name, sop="1.2.840.10008.5.1.4.1.1.7", modality="OT", n=0):
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = uid(name, 100 + n)
    ds.StudyDate = ds.SeriesDate = "20000101"
    ds.StudyTime = "120000"
    ds.Modality = modality
    ds.PatientName = "Fixture^Synthetic"
    ds.PatientID = "FIXTURE-001"
    ds.StudyInstanceUID = uid(name, 1)
    ds.SeriesInstanceUID = uid(name, 2)
    ds.FrameOfReferenceUID = uid(name, 3)
    ds.SeriesNumber = 1
    ds.SeriesDescription = name
    ds.InstanceNumber = n + 1
    ds.ImagePositionPatient = [-10.0, -20.0, 30.0 + 2.0 * n]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing = [0.75, 0.5]
    ds.Rows, ds.Columns = ROWS, COLS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    return ds


def meta(ds, ts):
    fm = FileMetaDataset()
    fm.MediaStorageSOPClassUID = ds.SOPClassUID
    fm.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    fm.TransferSyntaxUID = ts
    fm.ImplementationClassUID = ROOT + "1"
    return fm


def encode(ds, ts, body_ts=None):
    """The file's bytes: preamble, meta (saying ts), and the data set
    encoded as body_ts (default ts; deflated is raw deflate of explicit LE)."""
    body_ts = body_ts or ts
    buf = io.BytesIO()
    buf.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(buf, meta(ds, ts), enforce_standard=True)
    body = pydicom.filebase.DicomBytesIO()
    body.is_little_endian = True
    body.is_implicit_VR = body_ts == ImplicitVRLittleEndian
    write_dataset(body, ds)
    raw = body.getvalue()
    if body_ts == DeflatedExplicitVRLittleEndian:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw = c.compress(raw) + c.flush()
    buf.write(raw)
    return buf.getvalue()


def save(case, fname, data):
    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, fname)
    with open(p, "wb") as f:
        f.write(data)
    return p


def luma(rgb):
    rgb = rgb.astype(np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def add(name, doc, values, dtype, tol=0.0, dims=None, spacing=None, origin=None,
        warnings=(), error=None, stream=False):
    c = {"name": name, "doc": " ".join(doc.split()), "folder": name}
    if error:
        c["error"] = error
    else:
        v = np.asarray(values, dtype=np.float64)
        c.update(dims=dims or [COLS, ROWS, int(v.size // (COLS * ROWS))],
                 dtype=dtype, values=[float(x) for x in v.ravel()], tolerance=tol)
        if spacing:
            c["spacing"] = spacing
        if origin:
            c["origin"] = origin
        c["stream"] = stream
    c["warnings"] = list(warnings)
    CASES.append(c)


def readback(p):
    return pydicom.dcmread(p)


rng = np.random.RandomState(12)


# --- 1. colour -------------------------------------------------------------

def case_rgb(bits):
    """RGB with 32 (or 16) bits per sample, white included: luma in float
    over the full range (white is 2^bits-1, not 0)."""
    name = f"rgb{bits}"
    ds = base(name)
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    top = 2 ** bits - 1
    dt = np.uint32 if bits == 32 else np.uint16
    a = rng.randint(0, 2 ** 16, size=(ROWS, COLS, 3)).astype(np.uint64) * (top // 65535)
    a = a.astype(dt)
    a[0, 0] = top  # white
    a[0, 1] = 0  # black
    a[0, 2] = [top, 0, 0]
    ds.PixelData = a.tobytes()
    p = save(name, "rgb.dcm", encode(ds, ExplicitVRLittleEndian))
    y = luma(readback(p).pixel_array)
    add(name, case_rgb.__doc__, y, "uint32" if bits == 32 else "uint16", tol=0.5,
        warnings=["luma"])


def palette(name, seg=False, index_bits=8, entry_bits=16, first=10, count=200):
    ds = base(name)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.BitsAllocated = ds.BitsStored = index_bits
    ds.HighBit = index_bits - 1
    idx = rng.randint(0, 2 ** index_bits if index_bits == 8 else 400, size=(ROWS, COLS))
    idx[0, 0], idx[0, 1] = 0, (first + count + 5)  # below and above the table
    dt = np.uint8 if index_bits == 8 else np.uint16
    ds.PixelData = idx.astype(dt).tobytes()
    top = 2 ** entry_bits - 1
    n = np.arange(count, dtype=np.float64)
    chans = [np.round(top * n / (count - 1)), np.round(top * (1 - n / (count - 1))),
             np.round(top * np.abs(np.sin(n / 17.0)))]
    edt = "<u1" if entry_bits == 8 else "<u2"
    for tagname, ch in zip(["Red", "Green", "Blue"], chans):
        setattr(ds, f"{tagname}PaletteColorLookupTableDescriptor", [count, first, entry_bits])
        if seg:
            # Segmented: a discrete segment of one value, then linear ramps.
            vals = ch.astype(int)
            words = [0, 1, int(vals[0]), 1, count - 1, int(vals[-1])]
            setattr(ds, f"Segmented{tagname}PaletteColorLookupTableData",
                    struct.pack(f"<{len(words)}H", *words))
        else:
            setattr(ds, f"{tagname}PaletteColorLookupTableData", ch.astype(edt).tobytes())
    if not seg:
        for t in ["Red", "Green", "Blue"]:
            ds[f"{t}PaletteColorLookupTableData"].VR = "OW"
    return ds


def color_lut(r, first, count):
    """pydicom's apply_color_lut, on indices clipped to the table first:
    the same by the standard (below: first entry, beyond: last), and it
    sidesteps pydicom 2.3 holding the offset indices in the LUT entries'
    dtype (with 8-bit entries, index 261 wraps to 5)."""
    arr = np.clip(r.pixel_array.astype(np.int64), first, first + count - 1).astype(r.pixel_array.dtype)
    return apply_color_lut(arr, r)


def case_palette():
    """PALETTE COLOR, 8-bit indices, 16-bit LUT entries, first mapped value 10,
    200 entries: indices below 10 take the first entry, above 209 the last;
    the voxel is the luma of the palette colour (pydicom apply_color_lut)."""
    name = "palette8"
    ds = palette(name)
    p = save(name, "palette.dcm", encode(ds, ExplicitVRLittleEndian))
    r = readback(p)
    y = luma(color_lut(r, 10, 200))
    add(name, case_palette.__doc__, np.round(y), "uint16", tol=0.5, warnings=["palette"])


def case_palette_8bit_entries():
    """PALETTE COLOR, 16-bit indices, 8-bit LUT entries (one byte each, as
    pydicom reads them), first mapped value 0, 256 entries."""
    name = "palette16-8"
    ds = palette(name, index_bits=16, entry_bits=8, first=0, count=256)
    p = save(name, "palette.dcm", encode(ds, ExplicitVRLittleEndian))
    r = readback(p)
    y = luma(color_lut(r, 0, 256))
    # int16: the viewer keeps a 16-bit container when the values fit it.
    add(name, case_palette_8bit_entries.__doc__, np.round(y), "int16", tol=0.5, warnings=["palette"])


def case_palette_segmented():
    """Segmented PALETTE COLOR (discrete then linear segments), expanded as
    pydicom's _expand_segmented_lut does."""
    name = "palette-segmented"
    ds = palette(name, seg=True)
    p = save(name, "palette.dcm", encode(ds, ExplicitVRLittleEndian))
    r = readback(p)
    y = luma(color_lut(r, 10, 200))
    add(name, case_palette_segmented.__doc__, np.round(y), "uint16", tol=0.5, warnings=["segmented"])


# --- 2. modality LUT -------------------------------------------------------

def case_modality_lut(signed):
    """Modality LUT Sequence (three files, so Stream applies too): stored
    values map through the LUT (below the first mapped value: first entry,
    beyond the table: last), and it replaces RescaleSlope/Intercept, which are
    present but must be ignored (pydicom apply_modality_lut)."""
    name = "modality-lut-signed" if signed else "modality-lut"
    first = -50 if signed else 100
    count = 300
    vols = []
    for n in range(3):
        ds = base(name, sop="1.2.840.10008.5.1.4.1.1.2", modality="CT", n=n)
        ds.BitsStored, ds.HighBit = 12, 11
        ds.PixelRepresentation = 1 if signed else 0
        ds.RescaleSlope, ds.RescaleIntercept = 7, -3  # superseded by the LUT
        lo, hi = (first - 20, first + count + 20)
        a = rng.randint(lo, hi, size=(ROWS, COLS)).astype(np.int16 if signed else np.uint16)
        ds.PixelData = a.tobytes()
        item = Dataset()
        item.LUTDescriptor = [count, first & 0xFFFF if signed else first, 16]
        item.LUTExplanation = "synthetic"
        item.ModalityLUTType = "HU"
        lut = (np.round(4000 * (np.arange(count) / count) ** 2)).astype(np.uint16)
        item.LUTData = lut.tobytes()
        item["LUTData"].VR = "OW"
        ds.ModalityLUTSequence = Sequence([item])
        if signed:
            item["LUTDescriptor"].VR = "SS"
            item.LUTDescriptor = [count, first, 16]
        p = save(name, f"ct{n}.dcm", encode(ds, ExplicitVRLittleEndian))
        r = readback(p)
        vols.append(apply_modality_lut(r.pixel_array, r))
    add(name, case_modality_lut.__doc__, np.stack(vols), "int16", warnings=["modality lut"],
        spacing=[0.5, 0.75, 2.0], origin=[-10, -20, 30], stream=True)


def case_lut_65536():
    """Tables of 65536 entries, declared as count 0 (PS3.3 C.11.1.1.1), in
    deflated files so that they stay small: a Modality LUT on 16-bit
    unsigned samples, and a 16-bit palette on 16-bit indices."""
    name = "modality-lut-65536"
    ds = base(name, sop="1.2.840.10008.5.1.4.1.1.2", modality="CT")
    a = rng.randint(0, 65536, size=(ROWS, COLS)).astype(np.uint16)
    a[0, 0], a[0, 1] = 0, 65535
    ds.PixelData = a.tobytes()
    item = Dataset()
    item.LUTDescriptor = [0, 0, 16]
    item.ModalityLUTType = "HU"
    item.LUTData = (np.arange(65536) // 20).astype(np.uint16).tobytes()
    item["LUTData"].VR = "OW"
    ds.ModalityLUTSequence = Sequence([item])
    p = save(name, "ct.dcm", encode(ds, DeflatedExplicitVRLittleEndian))
    r = readback(p)
    assert r.ModalityLUTSequence[0].LUTDescriptor[0] == 0
    add(name, case_lut_65536.__doc__, apply_modality_lut(r.pixel_array, r), "int16",
        warnings=["65536 entries"])

    name = "palette-65536"
    ds = base(name)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.PixelData = a.tobytes()
    n = np.arange(65536) // 64 * 64  # runs of one value: the file stays small
    for t, ch in zip(["Red", "Green", "Blue"], [n, 65535 - n, (n * 3) % 65536]):
        setattr(ds, f"{t}PaletteColorLookupTableDescriptor", [0, 0, 16])
        setattr(ds, f"{t}PaletteColorLookupTableData", ch.astype("<u2").tobytes())
        ds[f"{t}PaletteColorLookupTableData"].VR = "OW"
    p = save(name, "palette.dcm", encode(ds, DeflatedExplicitVRLittleEndian))
    r = readback(p)
    y = luma(color_lut(r, 0, 65536))
    add(name, case_lut_65536.__doc__, np.round(y), "uint16", tol=0.5, warnings=["65536-entry palette"])


# --- 3. RT Dose ------------------------------------------------------------

def case_rtdose(absolute):
    """RT Dose: one multi-frame file, frames placed by GridFrameOffsetVector
    (relative offsets from IPP when the first is 0, absolute z otherwise:
    PS3.3 C.8.8.3.2), 5 mm apart; stored values × DoseGridScaling in Gy."""
    name = "rtdose-absolute" if absolute else "rtdose"
    ds = base(name, sop="1.2.840.10008.5.1.4.1.1.481.2", modality="RTDOSE")
    ds.NumberOfFrames = 4
    ds.FrameIncrementPointer = (0x3004, 0x000C)
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    ds.ImagePositionPatient = [-10.0, -20.0, 30.0]
    ds.GridFrameOffsetVector = [30.0, 35.0, 40.0, 45.0] if absolute else [0.0, 5.0, 10.0, 15.0]
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN"
    ds.DoseGridScaling = 2.5e-5
    a = rng.randint(0, 3_000_000, size=(4, ROWS, COLS)).astype(np.uint32)
    ds.PixelData = a.tobytes()
    p = save(name, "dose.dcm", encode(ds, ExplicitVRLittleEndian))
    r = readback(p)
    dose = r.pixel_array.astype(np.float64) * float(r.DoseGridScaling)
    add(name, case_rtdose.__doc__, dose.astype(np.float32), "float32", tol=1e-6,
        spacing=[0.5, 0.75, 5.0], origin=[-10, -20, 30], warnings=["DoseGridScaling", "GY"])


# --- 4. files pydicom reads ------------------------------------------------

def case_deflated_compressible():
    """Deflated Explicit VR Little Endian whose pixels compress well: the
    file is smaller than its inflated pixel data (a 64×64×16-bit frame of
    a smooth ramp), which the size pre-check must measure inflated."""
    name = "deflated-small"
    ds = base(name)
    ds.Rows, ds.Columns = 64, 64
    a = (np.arange(64 * 64).reshape(64, 64) // 64).astype(np.uint16)
    ds.PixelData = a.tobytes()
    p = save(name, "deflated.dcm", encode(ds, DeflatedExplicitVRLittleEndian))
    assert os.path.getsize(p) < a.nbytes, "fixture does not compress below its pixel size"
    add(name, case_deflated_compressible.__doc__, readback(p).pixel_array, "int16",
        dims=[64, 64, 1])


def case_deflated_corrupt():
    """Deflated data set whose stream is damaged a few hundred bytes in: a
    clear refusal naming the file and the transfer syntax, never a recovered
    nil-pointer panic."""
    name = "deflated-corrupt"
    ds = base(name)
    ds.PixelData = rng.randint(0, 4096, size=(ROWS, COLS)).astype(np.uint16).tobytes()
    b = bytearray(encode(ds, DeflatedExplicitVRLittleEndian))
    m = b.index(b"1.2.840.10008.1.2.1.99") + 40
    for i in range(m + 60, len(b)):
        b[i] = 0xFF
    save(name, "deflated.dcm", bytes(b))
    add(name, case_deflated_corrupt.__doc__, None, None,
        error=["deflated.dcm", "Deflated Explicit VR Little Endian"])


def case_htj2k():
    """High-Throughput JPEG 2000 (1.2.840.10008.1.2.4.201), a transfer syntax
    the DICOM library does not know: the header still parses, and what
    happens to the pixels is the codec's answer, never a recovered nil-pointer
    panic from the parser."""
    name = "htj2k"
    ds = base(name)
    from pydicom.encaps import encapsulate
    ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + b"\0" * 60])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    data = encode(ds, "1.2.840.10008.1.2.4.201", body_ts=ExplicitVRLittleEndian)
    save(name, "htj2k.dcm", data)
    add(name, case_htj2k.__doc__, None, None, error=["htj2k.dcm", "High-Throughput JPEG 2000"])


def case_un():
    """Explicit VR file whose elements are written with VR UN although the
    dictionary knows them (SpecificCharacterSet, Rows, Columns, PixelSpacing,
    WindowCenter, RescaleIntercept...), and a private sequence as UN of
    undefined length: pydicom reads them by the dictionary."""
    name = "un-vr"
    ds = base(name, sop="1.2.840.10008.5.1.4.1.1.2", modality="CT")
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    ds.WindowCenter, ds.WindowWidth = 40, 400
    a = rng.randint(0, 4096, size=(ROWS, COLS)).astype(np.uint16)
    ds.PixelData = a.tobytes()
    # Encode explicitly, then relabel the chosen top-level elements UN
    # (12-byte header, same value bytes).
    tags = {int(ds[kw].tag) for kw in ["SpecificCharacterSet", "Rows", "Columns", "PixelSpacing",
                                        "WindowCenter", "WindowWidth", "RescaleIntercept",
                                        "ImagePositionPatient"]}
    data = encode(ds, ExplicitVRLittleEndian)
    pos = 132 + 12 + struct.unpack("<I", data[140:144])[0]
    out = bytearray(data[:pos])
    # A private sequence as UN of undefined length (its items implicit VR,
    # PS3.5 6.2.2), before group 0010.
    private = (struct.pack("<HH2sH", 0x0009, 0x0010, b"LO", 8) + b"FIXTURE "
               + struct.pack("<HH2sHI", 0x0009, 0x1010, b"UN", 0, 0xFFFFFFFF)
               + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
               + struct.pack("<HHI", 0x0009, 0x1011, 4) + b"ABCD"
               + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
               + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
    while pos < len(data):
        g, e = struct.unpack("<HH", data[pos:pos + 4])
        if private and g >= 0x0010:
            out += private
            private = b""
        vr = data[pos + 4:pos + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"OD", b"OL", b"UC", b"UR"):
            n, hdr = struct.unpack("<I", data[pos + 8:pos + 12])[0], 12
        else:
            n, hdr = struct.unpack("<H", data[pos + 6:pos + 8])[0], 8
        val = data[pos + hdr:pos + hdr + n]
        if (g << 16 | e) in tags:
            out += struct.pack("<HH2sHI", g, e, b"UN", 0, n) + val
        else:
            out += data[pos:pos + hdr + n]
        pos += hdr + n
    p = save(name, "un.dcm", bytes(out))
    r = readback(p)
    assert r.Rows == ROWS and r["Rows"].VR == "US", "pydicom did not resolve UN"
    add(name, case_un.__doc__, apply_modality_lut(r.pixel_array, r), "int16",
        spacing=[0.5, 0.75, 1.0], origin=[-10, -20, 30])


def case_implicit_mislabelled():
    """The meta says Explicit VR Little Endian, the data set is implicit VR:
    detected by peeking at the first element, read as implicit, warned."""
    name = "implicit-as-explicit"
    ds = base(name, sop="1.2.840.10008.5.1.4.1.1.2", modality="CT")
    ds.BitsStored, ds.HighBit = 12, 11
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    a = rng.randint(0, 4096, size=(ROWS, COLS)).astype(np.uint16)
    ds.PixelData = a.tobytes()
    p = save(name, "ct.dcm", encode(ds, ExplicitVRLittleEndian, body_ts=ImplicitVRLittleEndian))
    r = readback(p)
    add(name, case_implicit_mislabelled.__doc__, apply_modality_lut(r.pixel_array, r), "int16",
        warnings=["implicit VR"])


def case_ybr(kind):
    """Native YBR_FULL_422 (8-bit: Y0 Y1 Cb Cr per pixel pair, PS3.3
    C.7.6.3.1.2) and YBR_FULL: the voxel is Y, the luma pydicom's
    pixel_array gives in channel 0."""
    name = "ybr-full-422" if kind == "422" else "ybr-full"
    ds = base(name)
    ds.SamplesPerPixel = 3
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    y = rng.randint(16, 236, size=(ROWS, COLS)).astype(np.uint8)
    cb = rng.randint(16, 240, size=(ROWS, COLS // 2)).astype(np.uint8)
    cr = rng.randint(16, 240, size=(ROWS, COLS // 2)).astype(np.uint8)
    if kind == "422":
        ds.PhotometricInterpretation = "YBR_FULL_422"
        out = np.empty((ROWS, COLS // 2, 4), np.uint8)
        out[..., 0], out[..., 1], out[..., 2], out[..., 3] = y[:, 0::2], y[:, 1::2], cb, cr
    else:
        ds.PhotometricInterpretation = "YBR_FULL"
        out = np.stack([y, np.repeat(cb, 2, axis=1), np.repeat(cr, 2, axis=1)], axis=-1)
    ds.PixelData = out.tobytes()
    p = save(name, "ybr.dcm", encode(ds, ExplicitVRLittleEndian))
    r = readback(p)
    arr = r.pixel_array
    assert (arr[..., 0] == y).all()
    add(name, case_ybr.__doc__, arr[..., 0], "uint8", warnings=["luma"])


def case_float(double):
    """Float Pixel Data (7FE0,0008) / Double Float Pixel Data (7FE0,0009), as
    parametric maps store them: float32 voxels, no rescale."""
    name = "double-pixels" if double else "float-pixels"
    ds = base(name, sop="1.2.840.10008.5.1.4.1.1.30", modality="MR")
    for kw in ["BitsStored", "HighBit", "PixelRepresentation"]:
        delattr(ds, kw)
    ds.BitsAllocated = 64 if double else 32
    a = (rng.standard_normal((ROWS, COLS)) * 1000).astype(np.float64 if double else np.float32)
    a[0, 0] = -0.125
    if double:
        ds.DoubleFloatPixelData = a.tobytes()
    else:
        ds.FloatPixelData = a.tobytes()
    p = save(name, "map.dcm", encode(ds, ExplicitVRLittleEndian))
    r = readback(p)
    add(name, case_float.__doc__, r.pixel_array.astype(np.float32), "float32", tol=0.0,
        stream=True)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    case_rgb(32)
    case_rgb(16)
    case_palette()
    case_palette_8bit_entries()
    case_palette_segmented()
    case_modality_lut(False)
    case_modality_lut(True)
    case_lut_65536()
    case_rtdose(False)
    case_rtdose(True)
    case_deflated_compressible()
    case_deflated_corrupt()
    case_htj2k()
    case_un()
    case_implicit_mislabelled()
    case_ybr("422")
    case_ybr("full")
    case_float(False)
    case_float(True)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        # One case a line: small, and diffs stay readable.
        head = {"generator": "testdata/make_conformance_pixels.py",
                "pydicom": pydicom.__version__,
                "luma": "0.299 R + 0.587 G + 0.114 B (float64)"}
        f.write(json.dumps(head)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(c) for c in CASES))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
