#!/usr/bin/python3
"""The published Label Studio converter's brush RLE encoder, for the
benchmark in scripts/bench-rle.sh: the algorithm of
label_studio_converter.brush (numpy run detection, the bit stream built as
a string of '0'/'1' characters, then cut into bytes), with every
single-word run written as its own literal chunk, as the converter does
(its output for the spec's test vector is the "singleton-literal encoder"
row). It reads the 512x512 masks that the Go test wrote, times the
encoding of each (median of several runs, mask -> RGBA -> RLE as
mask2rle does) and writes the RLEs so that the Go test can check they
decode to exactly what Delineate's do.

usage: bench_rle_converter.py DIR   (DIR holds organ.u8, bone.u8, soft.u8)
"""
import json, os, statistics, sys, time
import numpy as np

def bits2byte(arr_str, n=8):
    return [int(arr_str[i:i + n], 2) for i in range(0, len(arr_str), n)]

def base_rle_encode(inarray):
    ia = np.asarray(inarray)
    n = len(ia)
    y = ia[1:] != ia[:-1]
    i = np.append(np.where(y), n - 1)
    z = np.diff(np.append(-1, i))
    p = np.cumsum(np.append(0, z))[:-1]
    return z, p, ia[i]

def encode_rle(arr, wordsize=8, rle_sizes=(3, 4, 8, 16)):
    num = len(arr)
    numbits = f'{num:032b}'
    numbits += f'{wordsize - 1:05b}'
    numbits += ''.join(f'{x - 1:04b}' for x in rle_sizes)
    out_str = ''
    rle_lens, _, rle_values = base_rle_encode(arr)
    for length, value in zip(rle_lens, rle_values):
        length = int(length)
        value = int(value)
        if length == 1:
            # a literal chunk of one word
            out_str += '0' + '00' + f'{0:03b}' + f'{value:0{wordsize}b}'
            continue
        while length > 0:
            c = min(length, 2 ** rle_sizes[-1])
            for t, size in enumerate(rle_sizes):
                if c <= 2 ** size:
                    break
            out_str += '1' + f'{t:02b}' + f'{c - 1:0{size}b}' + f'{value:0{wordsize}b}'
            length -= c
    bits = numbits + out_str
    bits += '0' * (-len(bits) % 8)
    return bits2byte(bits)

def mask2rle(mask):
    rgba = np.repeat((mask.astype(np.uint8) * 255)[..., None], 4, axis=-1)
    return encode_rle(rgba.ravel())

def check_vector():
    words = [1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 4, 4, 4, 4, 4, 4, 4, 4]
    want = [0, 0, 0, 18, 57, 27, 252, 96, 32, 1, 0, 6, 0, 40, 0, 192, 3, 128, 17, 56, 32]
    got = encode_rle(np.array(words, dtype=np.uint8))
    assert got == want, (got, want)

def main():
    d = sys.argv[1]
    check_vector()
    out, times = {}, {}
    for name in ("organ", "bone", "soft"):
        mask = np.fromfile(os.path.join(d, name + ".u8"), dtype=np.uint8).reshape(512, 512) != 0
        runs = []
        for _ in range(7):
            t0 = time.perf_counter()
            rle = mask2rle(mask)
            runs.append(time.perf_counter() - t0)
        out[name] = rle
        times[name] = statistics.median(runs) * 1000
        print(f"{name}: {int(mask.sum())} pixels, converter RLE {len(rle)} bytes, {times[name]:.2f} ms per mask (median of 7)")
    json.dump(out, open(os.path.join(d, "converter_rle.json"), "w"))
    json.dump(times, open(os.path.join(d, "converter_ms.json"), "w"))

main()
