#!/usr/bin/env bash
# Segmentation benchmarks (issue 7): Delineate against the PyTorch CPU
# reference (scripts/bench_torch_reference.py: same network, same
# preprocessing, same tiling algorithm, same volume), and each real
# network of ../shared/models on the T1, the parcellation pipeline, the
# built-in CT segmenter and the bounded-memory runs. Wall time and peak
# RSS from /usr/bin/time -v; voxel agreement from the label maps.
# Results: bench-results/inference.md. TORCH_SLOW=1 adds MindGrab's
# PyTorch run (about 200 s on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared
[ -d "$SHARED/models" ] || { echo "bench-inference: $SHARED/models not found" >&2; exit 1; }
export LANG=C.UTF-8
WORK=${BENCH_WORK:-/tmp/delineate-bench}
mkdir -p "$WORK/inference" bench-results
W=$WORK/inference
OUT=bench-results/inference.md
T1=$SHARED/data/mr-brain/t1_crop.nii.gz
MODELS=testdata/models/shared
BIN=bin/delineate
PY=/usr/bin/python3
THREADS=${THREADS:-$(nproc)}

# measure NAME CMD...: runs CMD under /usr/bin/time, records "seconds MiB".
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$W/$name.time" "$@" >"$W/$name.stdout" 2>"$W/$name.stderr" || {
    echo "bench-inference: $name failed:" >&2; tail -5 "$W/$name.stderr" >&2; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$W/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$W/$name.time")
  echo "$wall $rss" >"$W/$name.res"
  echo "  $name: ${wall} s, ${rss} MiB" >&2
}
res() { cat "$W/$1.res"; }

# agree A.nii.gz B.nii.gz: percentage of voxels with the same label.
agree() {
  $PY - "$1" "$2" <<'PY'
import sys, nibabel as nib, numpy as np
a = np.asarray(nib.load(sys.argv[1]).dataobj).astype(np.int32)
b = np.asarray(nib.load(sys.argv[2]).dataobj).astype(np.int32)
print("%.4f" % (100.0 * np.mean(a == b)) if a.shape == b.shape else "shape %s vs %s" % (a.shape, b.shape))
PY
}

# hubins LABELS: percentage of voxels equal to tiny-100class's formula on
# the 300-slice series (converted once to NIfTI on the same grid).
hubins() {
  [ -f "$W/series300.nii" ] || $BIN convert "$BIG" "$W/series300.nii" >/dev/null 2>&1
  $PY - "$W/series300.nii" "$1" <<'PY'
import sys, nibabel as nib, numpy as np
hu = np.asarray(nib.load(sys.argv[1]).dataobj).astype(np.float64)
lab = np.asarray(nib.load(sys.argv[2]).dataobj).astype(np.int32)
want = np.clip(np.floor((hu + 1000) / 30), 0, 99).astype(np.int32)
print("%.4f" % (100.0 * np.mean(lab == want)) if lab.shape == want.shape else "shape %s vs %s" % (lab.shape, want.shape))
PY
}

seg() { # NAME MODEL INPUT [flags...]
  local name=$1 model=$2 in=$3; shift 3
  measure "$name" $BIN segment --model "$model" --models $MODELS --threads "$THREADS" "$in" "$W/$name.nii.gz" \
    --report "$W/$name.json" --force "$@"
}
torch() { # NAME ONNX INPUT flags...
  local name=$1 onnx=$2 in=$3; shift 3
  measure "$name" $PY scripts/bench_torch_reference.py "$onnx" --input "$in" --out "$W/$name.nii.gz" --threads "$THREADS" "$@"
}

[ -x $BIN ] || { echo "bench-inference: build first (make build)" >&2; exit 1; }
scripts/setup-deps.sh --bench
echo "bench-inference: $(nproc) cores, $THREADS threads; work in $W" >&2

# 1. Same network, same algorithm: Delineate vs PyTorch.
echo "== Delineate vs PyTorch" >&2
seg gwm meshnet-gwm "$T1"
torch gwm-torch $SHARED/models/meshnet-gwm/model.onnx "$T1" --axes ijk --norm minmax --mode whole
seg sub18 meshnet-subcortical18 "$T1" --no-first-stage
seg sub18-pipeline meshnet-subcortical18 "$T1"
torch sub18-torch $SHARED/models/meshnet-subcortical18/model.onnx "$T1" --axes ijk --norm minmax --mode whole
# The nnU-Net sliding window (Gaussian weights, mirroring) on a synthetic volume larger than the patch.
SYN=$W/synthetic.nii.gz
[ -f "$SYN" ] || $PY - "$SYN" <<'PY'
import sys, numpy as np, nibabel as nib
i, j, k = np.meshgrid(np.arange(160), np.arange(144), np.arange(96), indexing="ij")
x = 1.5 + 1.4 * np.sin(0.11 * i) * np.cos(0.07 * j) + 0.3 * np.sin(0.2 * k)
nib.save(nib.Nifti1Image(x.astype(np.float32), np.eye(4)), sys.argv[1])
PY
seg nnunet testdata/models/tiny-nnunet "$SYN"
torch nnunet-torch testdata/models/tiny-nnunet/model.onnx "$SYN" --axes kji --norm none --mode sliding --patch 16 32 32 --step 0.5
if [ "${TORCH_SLOW:-0}" = 1 ]; then
  seg mindgrab mindgrab "$T1"
  torch mindgrab-torch $SHARED/models/mindgrab/model.onnx "$T1" --axes ijk --norm minmax --mode whole
fi

# 2. Each real network on the T1, the pipeline, bounded memory.
echo "== real networks" >&2
[ -f "$W/mindgrab.res" ] || seg mindgrab mindgrab "$T1"
seg dk-pipeline meshnet-dkatlas104 "$T1"
seg aparc-pipeline meshnet-aparc50 "$T1"
seg dk256-2g meshnet-dkatlas104 "$T1" --no-first-stage --max-memory 2G
seg dk256 meshnet-dkatlas104 "$T1" --no-first-stage --max-memory 40G
# ORT's own last layer needs ~8 GiB here: FULL_HEAD=1 to include it.
[ "${FULL_HEAD:-0}" = 1 ] && seg dk256-fullhead meshnet-dkatlas104 "$T1" --no-first-stage --max-memory 40G --full-head

# 3. CT: the built-in segmenter and a 100-class network on 512×512×300.
echo "== CT 512×512×300" >&2
BIG=$WORK/series300
[ -f "$BIG/IM0299.dcm" ] || $PY scripts/make_bench_series.py "$BIG" 300
seg builtin300 builtin:ct-tissue "$BIG"
# Unbounded, its 100-class accumulator alone would be 31 GB: the labels are
# checked against the network's exact formula instead (EXPECTED.md).
seg hu100-2g testdata/models/tiny-100class "$BIG" --max-memory 2G

plan() { $PY -c "import json,sys; p=json.load(open(sys.argv[1])).get('plan') or {}; print('%s tiles, %s passes%s' % (p.get('tiles','-'), p.get('runs','-'), ', %d blocks' % p['blocks'] if p.get('blocks',0)>1 else ''))" "$W/$1.json"; }
torchnet() { $PY -c "import json,sys; print('%.1f' % json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])['seconds_network'])" "$W/$1.stdout"; }
row() { read -r s m < <(res "$1"); echo "| $2 | $s | $m | $3 |"; }

{
  echo "# Segmentation benchmarks ($(date -u +%Y-%m-%d), $(nproc) cores, $THREADS threads)"
  echo
  echo "## Delineate vs PyTorch (same network, preprocessing, tiling; whole command, one run)"
  echo
  echo "| Case | Delineate s | MiB | PyTorch s (network s) | MiB | ratio | voxels agreeing |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for c in gwm:"MeshNet grey/white, T1 256³" sub18:"MeshNet subcortical 18, T1 256³ (no first stage)" nnunet:"tiny nnU-Net sliding window, 160×144×96" mindgrab:"MindGrab brain mask, T1 256³"; do
    n=${c%%:*}; d=${c#*:}
    [ -f "$W/$n-torch.res" ] || continue
    read -r s m < <(res "$n"); read -r ts tm < <(res "$n-torch")
    echo "| $d | $s | $m | $ts ($(torchnet "$n-torch")) | $tm | $(awk -v a="$s" -v b="$ts" 'BEGIN{printf "%.2f", a/b}') | $(agree "$W/$n.nii.gz" "$W/$n-torch.nii.gz") % |"
  done
  echo
  echo "## Real networks and pipelines on the T1, CT on 512×512×300"
  echo
  echo "| Run | wall s | peak MiB | plan |"
  echo "|---|---:|---:|---|"
  row mindgrab "MindGrab brain mask (whole 256³)" "$(plan mindgrab)"
  row gwm "MeshNet grey/white (whole 256³)" "$(plan gwm)"
  row sub18 "MeshNet subcortical 18 (whole 256³, no first stage)" "$(plan sub18)"
  row sub18-pipeline "subcortical 18: MindGrab → crop → MeshNet" "$(plan sub18-pipeline)"
  row dk-pipeline "DK atlas 104: MindGrab → crop → MeshNet" "$(plan dk-pipeline)"
  row aparc-pipeline "aparc 50: MindGrab → crop → MeshNet" "$(plan aparc-pipeline)"
  row dk256-2g "DK atlas 104 on all of 256³, --max-memory 2G" "$(plan dk256-2g)"
  row dk256 "DK atlas 104 on all of 256³, unbounded" "$(plan dk256)"
  [ -f "$W/dk256-fullhead.res" ] && row dk256-fullhead "DK atlas 104 on 256³, last layer in ORT, unbounded" "$(plan dk256-fullhead)"
  row builtin300 "builtin:ct-tissue, 512×512×300 DICOM" "-"
  row hu100-2g "100-class network, 512×512×300 DICOM, --max-memory 2G" "$(plan hu100-2g)"
  echo
  echo "Bounded = unbounded: DK 256³ $(agree "$W/dk256-2g.nii.gz" "$W/dk256.nii.gz") % of voxels equal." \
       "100-class CT under 2G: $(hubins "$W/hu100-2g.nii.gz") % of voxels equal floor((HU+1000)/30)."
  [ -f "$W/dk256-fullhead.res" ] && echo "Runner's head vs ORT's last layer (DK 256³): $(agree "$W/dk256.nii.gz" "$W/dk256-fullhead.nii.gz") %."
  true
} >"$OUT"
cat "$OUT"
