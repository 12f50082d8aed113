#!/usr/bin/env bash
# Whole-command comparison of `delineate convert` with dcm2niix (hyperfine),
# on (a) the 20-slice JPEG 2000 series from ../shared and (b) a generated
# 512×512×300 uncompressed series. Results: bench-results/convert-*.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared/data
[ -d "$SHARED" ] || { echo "bench-convert: $SHARED not found" >&2; exit 1; }
WORK=${BENCH_WORK:-/tmp/delineate-bench}
mkdir -p "$WORK" bench-results
BIG="$WORK/series300"
[ -f "$BIG/IM0299.dcm" ] || /usr/bin/python3 scripts/make_bench_series.py "$BIG" 300

run() { # name, series folder
  local name=$1 dir=$2 out="$WORK/out-$1"
  mkdir -p "$out"
  hyperfine --warmup 1 --runs "${RUNS:-10}" \
    --prepare "rm -f $out/*" \
    --export-markdown "bench-results/convert-$name.md" \
    --command-name "dcm2niix -z y ($name)" "dcm2niix -z y -f dcm -o $out $dir" \
    --command-name "delineate convert ($name)" "bin/delineate convert $dir $out/delineate.nii.gz"
}
run j2k-20 "$SHARED/ct-dicom-series-j2k"
run raw-300 "$BIG"
cat bench-results/convert-*.md
