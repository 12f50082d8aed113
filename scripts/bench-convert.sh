#!/usr/bin/env bash
# Whole-command comparison of `delineate convert` with dcm2niix (hyperfine),
# uncompressed (`.nii`, dcm2niix -z n: the DICOM read itself) and compressed
# (`.nii.gz`, -z y), on (a) the 20-slice JPEG 2000 series from ../shared and
# (b) a generated 512×512×300 uncompressed series; then peak RSS of each
# (/usr/bin/time -v, median of 5). Results: bench-results/convert-*.md and
# bench-results/convert-rss.md. BIN=… compares another build.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared/data
[ -d "$SHARED" ] || { echo "bench-convert: $SHARED not found" >&2; exit 1; }
BIN=${BIN:-bin/delineate}
WORK=${BENCH_WORK:-/tmp/delineate-bench}
mkdir -p "$WORK" bench-results
BIG="$WORK/series300"
[ -f "$BIG/IM0299.dcm" ] || /usr/bin/python3 scripts/make_bench_series.py "$BIG" 300
SERIES="j2k-20=$SHARED/ct-dicom-series-j2k raw-300=$BIG ${EXTRA_SERIES:-}"

run() { # name, series folder
  local name=$1 dir=$2 out="$WORK/out-$1"
  mkdir -p "$out"
  hyperfine --warmup 1 --runs "${RUNS:-5}" \
    --prepare "rm -f $out/*; sync" \
    --export-markdown "bench-results/convert-$name.md" \
    --command-name "dcm2niix -z n ($name)" "dcm2niix -z n -f dcm -o $out $dir" \
    --command-name "delineate convert .nii ($name)" "$BIN convert $dir $out/delineate.nii" \
    --command-name "dcm2niix -z y ($name)" "dcm2niix -z y -f dcm -o $out $dir" \
    --command-name "delineate convert .nii.gz ($name)" "$BIN convert $dir $out/delineate.nii.gz"
}

rss() { # label, command...: median peak RSS of 5 runs, MiB
  local label=$1; shift
  local v=()
  for _ in 1 2 3 4 5; do
    rm -f "$WORK"/rss/*
    /usr/bin/time -f '%M' -o "$WORK/rss.txt" "$@" >/dev/null 2>&1
    v+=("$(tail -1 "$WORK/rss.txt")")
  done
  printf '| %s | %s |\n' "$label" "$(printf '%s\n' "${v[@]}" | sort -n | sed -n 3p | awk '{printf "%.0f MiB", $1/1024}')"
}

mkdir -p "$WORK/rss"
{
  echo "| command | peak RSS (median of 5) |"
  echo "|---|---|"
  for s in $SERIES; do
    name=${s%%=*} dir=${s#*=}
    run "$name" "$dir" >&2
    rss "dcm2niix -z n ($name)" dcm2niix -z n -f dcm -o "$WORK/rss" "$dir"
    rss "delineate convert .nii ($name)" "$BIN" convert "$dir" "$WORK/rss/d.nii"
    rss "dcm2niix -z y ($name)" dcm2niix -z y -f dcm -o "$WORK/rss" "$dir"
    rss "delineate convert .nii.gz ($name)" "$BIN" convert "$dir" "$WORK/rss/d.nii.gz"
  done
} > bench-results/convert-rss.md
for s in $SERIES; do cat "bench-results/convert-${s%%=*}.md"; echo; done
cat bench-results/convert-rss.md
