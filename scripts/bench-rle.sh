#!/usr/bin/env bash
# Brush RLE benchmark (issue 9): Delineate's encoder against the published
# Label Studio converter's algorithm (scripts/bench_rle_converter.py) on
# three 512x512 masks from the real CT in ../shared — an organ, a ragged
# bone threshold, a noisy soft-tissue threshold — and a check that the
# converter's streams decode exactly as Delineate's. Needs python3-numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export DELINEATE_RLE_DIR=$dir
go test ./project/labelstudio -run TestBenchMasksForConverter -count 1 >/dev/null
/usr/bin/python3 scripts/bench_rle_converter.py "$dir"
go test ./project/labelstudio -run TestBenchMasksForConverter -count 1 -v | grep -E "decoded|FAIL|ok"
go test ./project/labelstudio -run XXX -bench 'EncodeMask|DecodeMask' -benchtime 2000x -count 5 | grep Benchmark
