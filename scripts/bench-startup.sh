#!/usr/bin/env bash
# Time from launching bin/delineate (demo phantom) to its window being
# mapped on the X server, over N runs under Xvfb (warm file cache).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10}
inner=$(mktemp)
trap 'rm -f "$inner"' EXIT
cat > "$inner" <<'INNER'
for i in $(seq "$N"); do
  t0=$(date +%s.%N)
  bin/delineate ${STUDY:+"$STUDY"} >/dev/null 2>&1 &
  pid=$!
  xdotool search --sync --onlyvisible --name Delineate >/dev/null
  t1=$(date +%s.%N)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$t0 $t1" | awk '{printf "%.3f\n", $2-$1}'
done | sort -n | awk '{a[NR]=$1} END {printf "startup to window: median %.3f s, min %.3f s, max %.3f s over %d runs\n", a[int((NR+1)/2)], a[1], a[NR], NR}'
INNER
N=$N STUDY=${STUDY:-} xvfb-run -a -s "-screen 0 1600x1000x24" bash "$inner"
