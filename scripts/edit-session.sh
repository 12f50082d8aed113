#!/usr/bin/env bash
# A hand-correction session on a real segmentation, driven with xdotool in
# the real window under Xvfb: paint a stroke, undo/redo, erase, save with
# Ctrl+S through the native dialog, then reopen the saved labels.
#   scripts/edit-session.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: edit-session.sh OUTDIR}
mkdir -p "$OUT"
IMG=../shared/data/ct-abdomen-small/example_ct_sm.nii.gz
SEG=../shared/data/ct-abdomen-small/example_seg.nii.gz
SAVED="$OUT/corrected.nii.gz"
rm -f "$SAVED"
inner=$(mktemp)
trap 'rm -f "$inner"' EXIT
cat > "$inner" <<'INNER'
set -euo pipefail
shot() { import -window root "$OUT/$1.png"; }
bin/delineate "$IMG" --labels "$SEG" > "$OUT/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
win=$(timeout 60 xdotool search --sync --name Delineate | head -1)
sleep 3
xdotool mousemove 500 400
xdotool key alt+a; sleep 1; shot 1-loaded
xdotool key b; sleep 0.3
# A stroke of label 1 across the image, in steps as a hand would move.
xdotool mousemove 380 330 mousedown 1
for x in $(seq 390 10 640); do xdotool mousemove $x $((330 + (x-380)/5)); sleep 0.02; done
xdotool mouseup 1; sleep 1; shot 2-painted
xdotool key ctrl+z; sleep 1; shot 3-undone
xdotool key ctrl+y; sleep 1; shot 4-redone
# Erase a patch of an existing organ.
xdotool key e; sleep 0.3
xdotool key bracketright bracketright bracketright; sleep 0.3
xdotool mousemove 520 520 mousedown 1
for y in $(seq 520 8 600); do xdotool mousemove 540 $y; sleep 0.02; done
xdotool mouseup 1; sleep 1; shot 5-erased
xdotool key ctrl+s; sleep 3; shot 6-save-dialog
# No window manager: the keyboard follows the pointer, so point at (and
# click) the dialog's Name field before typing.
dlg=$(timeout 20 xdotool search --sync --name "Save File" | head -1)
xdotool windowfocus "$dlg" 2>/dev/null || true
xdotool mousemove 600 26 click 1; sleep 0.5
xdotool type --delay 20 "$SAVED"; sleep 0.5; xdotool key Return; sleep 3; shot 7-saved
kill $app; wait $app 2>/dev/null || true
test -f "$SAVED" || { echo "edit-session: $SAVED was not written"; exit 1; }
bin/delineate "$IMG" --labels "$SAVED" > "$OUT/app2.log" 2>&1 &
app=$!
timeout 60 xdotool search --sync --name Delineate >/dev/null
sleep 3; xdotool mousemove 500 400; xdotool key alt+a; sleep 1; shot 8-reloaded
INNER
OUT="$OUT" IMG="$IMG" SEG="$SEG" SAVED="$SAVED" xvfb-run -a -s "-screen 0 1600x1000x24" bash "$inner"
ls "$OUT"
