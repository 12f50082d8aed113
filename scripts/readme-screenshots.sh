#!/usr/bin/env bash
# Regenerates the README screenshots in docs/ from the real window under
# Xvfb (make screenshots). Needs ../shared/data for the CT and MR studies.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p docs
scripts/gui-shots.sh "$tmp/demo" >/dev/null
cp "$tmp/demo/layout-2x2.png" docs/demo-2x2.png
scripts/gui-shots.sh "$tmp/ct" ../shared/data/ct-dicom-series-j2k >/dev/null
cp "$tmp/ct/layout-axial.png" docs/ct-dicom-axial.png
scripts/gui-shots.sh "$tmp/mr" ../shared/data/mr-brain/t1_crop.nii.gz >/dev/null
cp "$tmp/mr/layout-1x3.png" docs/mr-brain-1x3.png
scripts/edit-session.sh "$tmp/edit" >/dev/null
cp "$tmp/edit/2-painted.png" docs/edit-session.png
# Crop the unused Xvfb border (the window is 1400×860 at the top left).
for f in docs/demo-2x2.png docs/ct-dicom-axial.png docs/mr-brain-1x3.png docs/edit-session.png; do
  convert "$f" -crop 1400x860+0+0 +repage -resize 1120x688 "$f"
done
ls -la docs/*.png
