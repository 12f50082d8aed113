#!/usr/bin/env bash
# Replays a model-review session in the real window under Xvfb: open a
# study, run a model from the AI tab (Ctrl+R), capture the prediction
# layer while the job runs and when it lands, accept it (Enter), undo
# (Ctrl+Z), and capture each step.
#   scripts/ai-session.sh OUTDIR [STUDY] [--model NAME] [--models DIR]
# WAIT_JOB is how long to wait for the run (seconds, default 20); AI_TAB
# is where the AI tab is ("X Y", default "1056 485": with a label map open).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: ai-session.sh OUTDIR [STUDY] [--model NAME] [--models DIR]}
shift
mkdir -p "$OUT"
BIN=${BIN:-bin/delineate}
export WAIT_JOB=${WAIT_JOB:-20} AI_TAB=${AI_TAB:-1056 485} BIN OUT
inner=$(mktemp)
trap 'rm -f "$inner"' EXIT
cat > "$inner" <<'INNER'
set -euo pipefail
"$BIN" "$@" > "$OUT/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
win=$(timeout 60 xdotool search --sync --name Delineate | head -1)
sleep 6
xdotool windowmove "$win" 0 0
shot() { import -window root "$OUT/$1.png"; }
# The AI tab, in the right-hand column's tab row.
xdotool mousemove ${AI_TAB:-1056 485} click 1
sleep 1
xdotool mousemove 600 400
shot ai-tab
xdotool key ctrl+r
sleep 2
shot job-running
sleep "$WAIT_JOB"
shot prediction
xdotool key Return
sleep 2
shot accepted
xdotool mousemove 600 650 click 1; sleep 0.5; xdotool key ctrl+z
sleep 2
shot undone
INNER
xvfb-run -a -s "-screen 0 1600x1000x24" bash "$inner" "$@"
ls "$OUT"/*.png
