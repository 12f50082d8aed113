#!/usr/bin/env bash
# CI smoke test: the real window, under Xvfb, on a real study, must show an
# image (not a blank screen) in every layout.
set -euo pipefail
cd "$(dirname "$0")/.."
STUDY=../shared/data/ct-dicom-series-j2k
if [ ! -d "$STUDY" ]; then
  echo "smoke-gui: $STUDY not present; using the demo phantom" >&2
  STUDY=""
fi
OUT=$(mktemp -d)
timeout 300 scripts/gui-shots.sh "$OUT" "$STUDY" >/dev/null
fail=0
for f in "$OUT"/layout-*.png; do
  # Standard deviation of the grey levels: a blank or single-colour screen
  # is ~0; a CT in a window is well above 0.05.
  sd=$(convert "$f" -colorspace Gray -format '%[fx:standard_deviation]' info:)
  echo "smoke-gui: $(basename "$f") grey std dev $sd"
  if awk "BEGIN{exit !($sd < 0.05)}"; then echo "smoke-gui: $f looks blank" >&2; fail=1; fi
done
[ $fail = 0 ] || exit 1
echo "smoke-gui: ok"
