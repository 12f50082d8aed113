#!/usr/bin/python3
"""Fixtures for the codec conformance tests (issue 12, codec classes).

Writes testdata/conformance/codec/ (and only that folder):

  jpeg_*.dcm      colour JPEG Baseline frames with sharp colour edges, made
                  by Pillow (libjpeg-turbo) at 4:2:0, 4:2:2 and 4:4:4, as
                  YBR_FULL_422 / YBR_FULL, and RGB coded without colour
                  transform. *.rgb is the expected RGB (rows*cols*3 bytes):
                  what Pillow's libjpeg decodes; for RGB frames that is
                  pydicom's pixel_array itself. *.ycc is libjpeg's
                  up-sampled but unconverted Y, Cb, Cr (pydicom's
                  pixel_array for YBR frames, Pillow in draft YCbCr mode).
  jpeg12_*.dcm    12-bit JPEG Extended (process 4) frames made by DCMTK's
                  dcmcjpeg +ee from an uncompressed 12-bit image.
                  *.raw is the expected 16-bit little-endian samples: GDCM's
                  decode (python3-gdcm), checked equal to DCMTK's dcmdjpeg
                  (pydicom 2.3 with Pillow cannot decode 12-bit JPEG).
  j2k_delim_*     a lossless JPEG 2000 codestream (OpenJPEG opj_compress)
                  whose main header holds a comment (COM) segment with the
                  bytes of a DICOM Sequence Delimitation Item (FE FF DD E0
                  00 00 00 00) and of the tag written big-endian (FF FE E0
                  DD): .j2k the bare codestream, .dcm the same in one
                  fragment of an encapsulated DICOM file, .raw the original
                  16-bit samples. After SOD such bytes cannot occur: JPEG
                  2000's entropy coders follow every FF byte with one below
                  0x90 (bit stuffing), so a comment is where a real file
                  carries them.

manifest.json lists every case with its layout and expected file.

Needs: pydicom, numpy, Pillow, dcmtk (dcmcjpeg, dcmdjpeg), python3-gdcm,
libopenjp2-tools (opj_compress, opj_decompress). Deterministic: fixed
seeds, UIDs and dates.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
import pydicom.config
import pydicom.pixel_data_handlers.pillow_handler
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import UID
from PIL import Image

# pixel_array must come from Pillow (libjpeg-turbo), the reference here:
# with python3-gdcm installed pydicom would otherwise try GDCM first.
pydicom.config.pixel_data_handlers = [pydicom.pixel_data_handlers.pillow_handler]

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "conformance", "codec")
ROOT_UID = "1.2.826.0.1.3680043.8.498.12"  # fixed, fixture-only
SC = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
TS_EXPLICIT = "1.2.840.10008.1.2.1"
TS_BASELINE = "1.2.840.10008.1.2.4.50"
TS_EXTENDED = "1.2.840.10008.1.2.4.51"
TS_J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"

manifest = []


def dataset(n, rows, cols, spp, ba, bs, photometric, ts):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SC
    meta.MediaStorageSOPInstanceUID = f"{ROOT_UID}.{n}"
    meta.TransferSyntaxUID = UID(ts)
    meta.ImplementationClassUID = f"{ROOT_UID}.0"
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = SC
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = f"{ROOT_UID}.1000"
    ds.SeriesInstanceUID = f"{ROOT_UID}.1001"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20260101"
    ds.StudyTime = ds.ContentTime = "120000"
    ds.PatientName = "Fixture^Synthetic"
    ds.PatientID = "FIXTURE-CODEC"
    ds.Modality = "OT"
    ds.ConversionType = "SYN"
    ds.InstanceNumber = n
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = spp
    if spp == 3:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = ba, bs, bs - 1
    ds.PixelRepresentation = 0
    return ds


def save(ds, name, pixels, encapsulated):
    if encapsulated:
        ds.PixelData = encapsulate([pixels])
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    else:
        ds.PixelData = pixels
        ds["PixelData"].VR = "OW" if ds.BitsAllocated > 8 else "OB"
    path = os.path.join(OUT, name)
    ds.save_as(path, write_like_original=False)
    return path


def colour_blocks(rows, cols, seed):
    """Saturated colour blocks of 2..7 pixels with one-pixel stripes: the
    worst case for chroma up-sampling."""
    rng = np.random.RandomState(seed)
    pal = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0],
                    [255, 0, 255], [0, 255, 255], [255, 255, 255], [0, 0, 0],
                    [255, 128, 0], [128, 0, 255]], dtype=np.uint8)
    img = np.zeros((rows, cols, 3), np.uint8)
    y = 0
    while y < rows:
        bh = rng.randint(2, 8)
        x = 0
        while x < cols:
            bw = rng.randint(2, 8)
            img[y:y + bh, x:x + bw] = pal[rng.randint(len(pal))]
            x += bw
        y += bh
    for x in range(1, cols, 9):  # thin vertical stripes
        img[:, x] = pal[rng.randint(len(pal))]
    for y in range(3, rows, 11):  # and horizontal ones
        img[y, :] = pal[rng.randint(len(pal))]
    return img


def colour_stripes(rows, cols):
    """Alternating red/blue and green/magenta columns and rows."""
    img = np.zeros((rows, cols, 3), np.uint8)
    for x in range(cols):
        img[:, x] = [255, 0, 0] if (x // 1) % 2 == 0 else [0, 0, 255]
    img[rows // 2:, ::3] = [0, 255, 0]
    img[rows // 2:, 1::3] = [255, 0, 255]
    return img


def strip_jfif(jpg):
    """Remove the JFIF APP0 segment, so only the DICOM header says how the
    components were coded."""
    assert jpg[:2] == b"\xff\xd8"
    if jpg[2:4] == b"\xff\xe0" and jpg[6:11] == b"JFIF\x00":
        n = int.from_bytes(jpg[4:6], "big")
        return jpg[:2] + jpg[4 + n:]
    return jpg


def jpeg_case(n, name, img, subsampling, photometric, progressive=False):
    rows, cols = img.shape[:2]
    if photometric == "RGB":
        # Pillow codes a "YCbCr" image without colour transform: feed it
        # R, G, B as the three components.
        buf = io.BytesIO()
        Image.frombytes("YCbCr", (cols, rows), img.tobytes()).save(
            buf, "JPEG", quality=90, subsampling=subsampling)
        jpg = strip_jfif(buf.getvalue())
    else:
        buf = io.BytesIO()
        Image.fromarray(img, "RGB").save(buf, "JPEG", quality=90, subsampling=subsampling,
                                         progressive=progressive)
        jpg = buf.getvalue()
    # Progressive JPEG is a retired syntax (.55), but some archives hold it
    # under .50; the decoder reads it either way.
    ds = dataset(n, rows, cols, 3, 8, 8, photometric, TS_BASELINE)
    ds.LossyImageCompression = "01"
    path = save(ds, name + ".dcm", jpg, True)
    back = pydicom.dcmread(path)
    pa = back.pixel_array  # Pillow handler
    if photometric == "RGB":
        want = pa
        ycc = None
    else:
        # pydicom returns libjpeg's YCbCr (draft mode); libjpeg's own RGB
        # is what Pillow gives without draft.
        ycc = pa
        want = np.asarray(Image.open(io.BytesIO(jpg)).convert("RGB"))
    assert want.shape == (rows, cols, 3), want.shape
    with open(os.path.join(OUT, name + ".rgb"), "wb") as f:
        f.write(want.astype(np.uint8).tobytes())
    entry = {
        "name": name, "file": name + ".dcm", "ts": TS_BASELINE,
        "rows": rows, "cols": cols, "samples": 3, "bits_allocated": 8, "bits_stored": 8,
        "photometric": photometric, "subsampling": ["4:4:4", "4:2:2", "4:2:0"][subsampling],
        "progressive": progressive,
        "expected": name + ".rgb",
        "reference": "pydicom 2.3 pixel_array (Pillow, no colour transform)" if photometric == "RGB"
        else "Pillow %s (libjpeg-turbo) decoding the frame to RGB" % Image.__version__,
    }
    if ycc is not None:
        with open(os.path.join(OUT, name + ".ycc"), "wb") as f:
            f.write(ycc.astype(np.uint8).tobytes())
        entry["expected_ycc"] = name + ".ycc"
    # How far libjpeg's RGB is from the source colours: for scale.
    entry["max_diff_from_source"] = int(np.abs(want.astype(int) - img.astype(int)).max())
    manifest.append(entry)


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def gdcm_decode(path):
    import gdcm
    r = gdcm.ImageReader()
    r.SetFileName(path)
    if not r.Read():
        raise RuntimeError("gdcm cannot read " + path)
    return _gdcm_buffer(r.GetImage())


def _gdcm_buffer(image):
    # GetBuffer returns str in the Python bindings; its bytes are
    # latin-1 code points.
    b = image.GetBuffer()
    return b.encode("utf-8", "surrogateescape") if isinstance(b, str) else bytes(b)


def jpeg12_case(n, name, img, tmp, opts=()):
    rows, cols = img.shape[:2]
    spp = 1 if img.ndim == 2 else 3
    photometric = "MONOCHROME2" if spp == 1 else "RGB"
    src = save(dataset(n, rows, cols, spp, 16, 12, photometric, TS_EXPLICIT), "_tmp_native.dcm",
               img.astype("<u2").tobytes(), False)
    native = os.path.join(tmp, name + ".native.dcm")
    shutil.move(src, native)
    enc = os.path.join(tmp, name + ".dcm")
    run("dcmcjpeg", "+ee", "+un", *opts, native, enc)  # +un: keep the fixed UID
    dec = os.path.join(tmp, name + ".dec.dcm")
    run("dcmdjpeg", enc, dec)
    ds = pydicom.dcmread(enc)
    assert ds.file_meta.TransferSyntaxUID == TS_EXTENDED, ds.file_meta.TransferSyntaxUID
    frame = pydicom.encaps.defragment_data(ds.PixelData)
    sof = frame.find(b"\xff\xc1")
    assert sof > 0 and frame[sof + 4] == 12, "not a 12-bit SOF1 frame"
    dcmtk = pydicom.dcmread(dec).PixelData[:rows * cols * spp * 2]
    gd = gdcm_decode(enc)[:rows * cols * spp * 2]
    coded_as = pydicom.dcmread(enc).PhotometricInterpretation
    if coded_as.startswith("YBR"):
        # dcmdjpeg converts to RGB with libjpeg's 12-bit tables, as Decode
        # does; GDCM returns YCbCr. DCMTK is the reference.
        reference = "DCMTK dcmdjpeg (libjpeg's YCbCr to RGB)"
        gd = dcmtk
    elif gd != dcmtk:
        a = np.frombuffer(gd, "<u2").astype(int)
        b = np.frombuffer(dcmtk, "<u2").astype(int)
        raise SystemExit(f"{name}: GDCM and DCMTK disagree (max {np.abs(a - b).max()})")
    else:
        reference = "GDCM %s (python3-gdcm), identical to DCMTK dcmdjpeg" % _gdcm_version()
    # dcmcjpeg keeps the fixed UIDs of the native file.
    shutil.copy(enc, os.path.join(OUT, name + ".dcm"))
    with open(os.path.join(OUT, name + ".raw"), "wb") as f:
        f.write(gd)
    diff = np.abs(np.frombuffer(gd, "<u2").astype(int) - img.reshape(-1).astype(int)).max()
    manifest.append({
        "name": name, "file": name + ".dcm", "ts": TS_EXTENDED,
        "rows": rows, "cols": cols, "samples": spp, "bits_allocated": 16, "bits_stored": 12,
        "photometric": coded_as, "expected": name + ".raw", "reference": reference,
        "max_diff_from_source": int(diff),
    })


def _gdcm_version():
    import gdcm
    return gdcm.Version.GetVersion()


def image12(rows, cols, seed):
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    img = (x * 4095 // max(cols - 1, 1) + y * 13) % 4096
    img[rows // 3:rows // 3 + 7, :] = 4095  # a bright bar: sharp edges
    img[:, cols // 2:cols // 2 + 3] = 0
    img = img + rng.randint(-20, 21, size=img.shape)
    return np.clip(img, 0, 4095).astype(np.uint16)


def j2k_delim_case(n, name, tmp):
    rows, cols = 33, 47
    rng = np.random.RandomState(7)
    img = rng.randint(0, 4096, size=(rows, cols)).astype(np.uint16)
    pgm = os.path.join(tmp, name + ".pgm")
    with open(pgm, "wb") as f:
        f.write(b"P5\n%d %d\n4095\n" % (cols, rows) + img.astype(">u2").tobytes())
    j2k = os.path.join(tmp, name + ".j2k")
    run("opj_compress", "-i", pgm, "-o", j2k)
    cs = open(j2k, "rb").read()
    sod = cs.find(b"\xff\x93")
    for pat in (b"\xfe\xff\xdd\xe0", b"\xff\xfe\xe0\xdd", b"\xfe\xff\x00\xe0"):
        assert pat not in cs, "pattern already in the coded data"
    # A comment segment (COM, FF64, Rcom 0 = binary) holding the byte
    # patterns, inserted right after SIZ (COM may appear anywhere in the
    # main header).
    payload = b"\x00\x00" + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00" + b"\xff\xfe\xe0\xdd" + b"\xfe\xff\x00\xe0"
    com = b"\xff\x64" + (len(payload) + 2).to_bytes(2, "big") + payload
    assert cs[:4] == b"\xff\x4f\xff\x51"
    siz_len = int.from_bytes(cs[4:6], "big")
    at = 4 + siz_len
    cs = cs[:at] + com + cs[at:]
    assert sod > 0
    if len(cs) % 2:
        cs += b"\x00"  # DICOM fragments have even length; J2K ignores trailing bytes after EOC
    with open(os.path.join(OUT, name + ".j2k"), "wb") as f:
        f.write(cs)
    # Check with OpenJPEG's own tool that the comment changes nothing.
    j2k2 = os.path.join(tmp, name + "2.j2k")
    with open(j2k2, "wb") as f:
        f.write(cs)
    back = os.path.join(tmp, name + ".back.pgm")
    run("opj_decompress", "-i", j2k2, "-o", back)
    data = open(back, "rb").read()
    got = np.frombuffer(data[len(data) - rows * cols * 2:], ">u2").reshape(rows, cols)
    assert (got == img).all(), "opj_decompress does not round-trip the commented codestream"
    ds = dataset(n, rows, cols, 1, 16, 12, "MONOCHROME2", TS_J2K_LOSSLESS)
    path = save(ds, name + ".dcm", cs, True)
    assert (pydicom.dcmread(path).pixel_array == img).all() if _pydicom_can_j2k() else True
    with open(os.path.join(OUT, name + ".raw"), "wb") as f:
        f.write(img.astype("<u2").tobytes())
    manifest.append({
        "name": name, "file": name + ".dcm", "codestream": name + ".j2k", "ts": TS_J2K_LOSSLESS,
        "rows": rows, "cols": cols, "samples": 1, "bits_allocated": 16, "bits_stored": 12,
        "photometric": "MONOCHROME2", "expected": name + ".raw",
        "reference": "the source pixels (lossless), checked with opj_decompress",
        "pattern_offsets": [cs.find(p) for p in (b"\xfe\xff\xdd\xe0", b"\xff\xfe\xe0\xdd")],
    })


def _pydicom_can_j2k():
    try:
        import pydicom.pixel_data_handlers.pillow_handler as ph
        return ph.HAVE_JPEG2K
    except Exception:
        return False


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    n = 1
    for name, img in (("blocks_37x29", colour_blocks(29, 37, 3)),
                      ("stripes_40x24", colour_stripes(24, 40))):
        for sub, tag in ((2, "420"), (1, "422"), (0, "444")):
            pi = "YBR_FULL" if sub == 0 else "YBR_FULL_422"
            jpeg_case(n, f"jpeg_{tag}_{name}", img, sub, pi)
            n += 1
        for sub, tag in ((0, "444"), (2, "420")):
            jpeg_case(n, f"jpeg_rgb_{tag}_{name}", img, sub, "RGB")
            n += 1
    jpeg_case(n, "jpeg_420_progressive_blocks_37x29", colour_blocks(29, 37, 3), 2, "YBR_FULL_422", True)
    n += 1
    with tempfile.TemporaryDirectory() as tmp:
        jpeg12_case(n, "jpeg12_grey_53x41", image12(41, 53, 5), tmp)
        n += 1
        rgb12 = np.stack([image12(20, 30, 1), image12(20, 30, 2)[::-1], 4095 - image12(20, 30, 3)], -1)
        # No YBR 12-bit case: dcmcjpeg +ee warns that its YCbCr conversion
        # will not work with BitsStored < BitsAllocated, and its output
        # decodes (by DCMTK and here alike) thousands of levels from the
        # source, so it would pin nothing down.
        jpeg12_case(n, "jpeg12_rgb_30x20", rgb12, tmp, ("+cr",))
        n += 1
        j2k_delim_case(n, "j2k_delim_47x33", tmp)
        n += 1
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, x)) for x in os.listdir(OUT))
    print(f"wrote {len(manifest)} cases, {total} bytes, to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
