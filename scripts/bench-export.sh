#!/usr/bin/env bash
# nnU-Net export benchmark (issue 8): a 20-case project built from the CT
# volumes in ../shared/data, exported by `delineate export nnunet` and by
# a nibabel script writing the same files (scripts/bench_nnunet_nibabel.py),
# side by side with hyperfine; peak RSS from /usr/bin/time.
# Results: bench-results/export-nnunet.md.
set -euo pipefail
cd "$(dirname "$0")/.."
S=../shared/data
[ -d "$S" ] || { echo "bench-export: $S not found" >&2; exit 1; }
export LANG=C.UTF-8
scripts/setup-deps.sh --bench
W=${BENCH_WORK:-/tmp/delineate-bench}/export
rm -rf "$W"; mkdir -p "$W/studies" bench-results
BIN=$PWD/bin/delineate
$BIN project new "$W/proj" --labels $S/ct-abdomen/labels_total_v2.json >/dev/null
pairs=("$S/ct-abdomen/example_ct.nii.gz $S/ct-abdomen/example_seg_fast_force_split.nii.gz"
       "$S/ct-abdomen-small/example_ct_sm.nii.gz $S/ct-abdomen-small/example_seg.nii.gz"
       "$S/ct-dicom-series-reference/example_ct_dicom_dcm2niix.nii.gz $S/ct-dicom-series-reference/example_seg_dicom.nii.gz")
for i in $(seq 1 20); do
  read -r img seg <<<"${pairs[$(( (i - 1) % 3 ))]}"
  cp "$img" "$W/studies/study$i.nii.gz"
  $BIN project add "$W/proj" "$W/studies/study$i.nii.gz" --labels "$seg" --status done >/dev/null 2>&1
done
hyperfine --warmup 1 --runs "${RUNS:-5}" --prepare "rm -rf $W/out-d $W/out-n" \
  --export-markdown bench-results/export-nnunet.md \
  --command-name "delineate export nnunet (20 cases)" "$BIN export nnunet $W/proj --out $W/out-d --id 1 --name Bench --channel CT" \
  --command-name "nibabel script (20 cases)" "/usr/bin/python3 scripts/bench_nnunet_nibabel.py $W/proj $W/out-n/Dataset001_Bench"
rm -rf "$W/out-d" "$W/out-n"
/usr/bin/time -f "delineate: %e s, %M KB" $BIN export nnunet "$W/proj" --out "$W/out-d" --id 1 --name Bench --channel CT 2>&1 >/dev/null | tail -1
/usr/bin/time -f "nibabel: %e s, %M KB" /usr/bin/python3 scripts/bench_nnunet_nibabel.py "$W/proj" "$W/out-n/Dataset001_Bench" 2>&1 | tail -1
du -sb "$W/out-d/Dataset001_Bench" "$W/out-n/Dataset001_Bench"
cat bench-results/export-nnunet.md
