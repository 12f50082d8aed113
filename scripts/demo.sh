#!/usr/bin/env bash
# The demo until the workstation window lands (issue 3): list a study's
# series and render the three planes of it to PNG with a CT window.
set -euo pipefail
cd "$(dirname "$0")/.."
STUDY=${1:-../shared/data/ct-dicom-series-j2k}
[ -e "$STUDY" ] || STUDY=testdata/dicom/shuffled
OUT=${DEMO_OUT:-/tmp/delineate-demo}
mkdir -p "$OUT"
bin/delineate info "$STUDY"
for p in axial coronal sagittal; do
  bin/delineate render "$STUDY" --plane "$p" --window soft --out "$OUT/$p.png" --force
done
echo "rendered $OUT/{axial,coronal,sagittal}.png"
