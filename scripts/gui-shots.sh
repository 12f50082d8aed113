#!/usr/bin/env bash
# Starts the real binary under Xvfb, waits for the study to show, and
# captures the screen in each layout (xdotool presses the layout keys).
#   scripts/gui-shots.sh OUTDIR [STUDY]     (no STUDY: the demo phantom)
# Used by the CI smoke test (scripts/smoke-gui.sh) and to regenerate the
# README screenshots (docs/).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: gui-shots.sh OUTDIR [STUDY]}
STUDY=${2:-}
mkdir -p "$OUT"
BIN=${BIN:-bin/delineate}
WAIT=${WAIT:-6}

inner=$(mktemp)
trap 'rm -f "$inner"' EXIT
cat > "$inner" <<'INNER'
set -euo pipefail
"$BIN" ${STUDY:+"$STUDY"} > "$OUT/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
sleep "$WAIT"
kill -0 $app || { echo "gui-shots: the app exited early:"; cat "$OUT/app.log"; exit 1; }
win=$(timeout 60 xdotool search --sync --name Delineate | head -1)
[ -n "$win" ] || { echo "gui-shots: no window appeared"; cat "$OUT/app.log"; exit 1; }
# No window manager under Xvfb: the keyboard follows the pointer, so park
# the pointer over the window instead of asking for focus.
xdotool windowmove "$win" 0 0 windowsize "$win" 1600 1000 2>/dev/null || true
sleep 1
xdotool mousemove 700 500
shot() { import -window "$win" "$OUT/$1.png" 2>/dev/null || import -window root "$OUT/$1.png"; }
shot layout-1x3
xdotool key alt+4; sleep 1; shot layout-2x2
xdotool key alt+a; sleep 1; shot layout-axial
xdotool key alt+c; sleep 1; shot layout-coronal
xdotool key alt+s; sleep 1; shot layout-sagittal
xdotool key alt+3; sleep 1
INNER
BIN="$BIN" STUDY="$STUDY" OUT="$OUT" WAIT="$WAIT" \
  xvfb-run -a -s "-screen 0 1600x1000x24" bash "$inner"
ls "$OUT"/*.png
