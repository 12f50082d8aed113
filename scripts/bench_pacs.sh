#!/usr/bin/env bash
# PACS over DICOMweb benchmark (issue 13): retrieve a 300-slice CT series
# from a local Orthanc with `delineate pacs retrieve` and with curl
# fetching the same WADO-RS multipart response, in the same run, under
# hyperfine. Orthanc runs with auth on inside a loopback-only network
# namespace (unshare -n), as in the tests.
#
# Usage: scripts/bench_pacs.sh [N_SLICES] [WORKDIR]
#   N_SLICES  default 300 (scripts/make_bench_series.py makes them)
#   WORKDIR   default /tmp/delineate-pacs-bench (series, Orthanc's storage,
#             the retrieve targets; on the same disk as a user's cache)
# Needs: orthanc orthanc-dicomweb curl hyperfine python3-pydicom (scripts/setup-deps.sh --bench).
set -euo pipefail
N=${1:-300}
W=${2:-/tmp/delineate-pacs-bench}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${DELINEATE_BENCH_NETNS:-}" != 1 ]; then
  mkdir -p "$W"
  if [ ! -f "$W/series-$N/IM0000.dcm" ]; then
    /usr/bin/python3 "$here/scripts/make_bench_series.py" "$W/series-$N" "$N" >&2
  fi
  (cd "$here" && go build -o bin/delineate ./cmd/app)
  exec env DELINEATE_BENCH_NETNS=1 unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$N" "$W"
fi

BIN="$here/bin/delineate"
DB="$W/orthanc-db"
rm -rf "$DB" "$W/cache" "$W/curl"
mkdir -p "$DB" "$W/cache" "$W/curl"
printf 's3cret\n' > "$W/pw"; chmod 600 "$W/pw"
cat > "$W/orthanc.json" <<JSON
{ "Name": "DelineateBench", "StorageDirectory": "$DB", "IndexDirectory": "$DB", "HttpPort": 18042,
  "DicomServerEnabled": false, "RemoteAccessAllowed": false, "AuthenticationEnabled": true,
  "RegisteredUsers": { "tester": "s3cret" },
  "Plugins": [ "/usr/share/orthanc/plugins/libOrthancDicomWeb.so" ],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": true, "Ssl": false } }
JSON
/usr/sbin/Orthanc "$W/orthanc.json" 2> "$W/orthanc.log" &
OPID=$!
trap 'kill $OPID 2>/dev/null; wait $OPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf -u tester:s3cret http://127.0.0.1:18042/system >/dev/null && break
  sleep 0.1
done
URL=http://127.0.0.1:18042/dicom-web
AUTH=(--user tester --password-file "$W/pw")
echo "storing $N slices…" >&2
"$BIN" pacs store --url "$URL" "${AUTH[@]}" "$W/series-$N" 2>/dev/null
read -r ST SE < <(/usr/bin/python3 -c "import pydicom,sys; d=pydicom.dcmread(sys.argv[1],stop_before_pixels=True); print(d.StudyInstanceUID, d.SeriesInstanceUID)" "$W/series-$N/IM0000.dcm")
BYTES=$(cat "$W"/series-"$N"/*.dcm | wc -c)
ACCEPT='Accept: multipart/related; type="application/dicom"; transfer-syntax=*'
SURL="$URL/studies/$ST/series/$SE"

hyperfine --warmup 2 --runs "${RUNS:-10}" --export-json "$W/hyperfine.json" \
  --prepare "rm -rf '$W/cache' '$W/curl'; mkdir -p '$W/curl'; sync" \
  -n curl "curl -sf -u tester:s3cret -H '$ACCEPT' -o '$W/curl/series.multipart' '$SURL'" \
  -n delineate "'$BIN' pacs retrieve --url '$URL' --user tester --password-file '$W/pw' --study $ST --series $SE --out '$W/cache'" \
  -n 'delineate --no-sync' "'$BIN' pacs retrieve --url '$URL' --user tester --password-file '$W/pw' --study $ST --series $SE --out '$W/cache' --no-sync" \
  -n 'delineate (all cached)' "'$BIN' pacs retrieve --url '$URL' --user tester --password-file '$W/pw' --study $ST --series $SE --out '$W/cache-warm'" >&2

/usr/bin/python3 - "$W/hyperfine.json" "$BYTES" "$N" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
mb = int(sys.argv[2]) / 1e6
curl = next(r for r in res if r["command"] == "curl")["mean"]
print(f"{sys.argv[3]} slices, {mb:.1f} MB of DICOM")
print(f"{'command':26} {'mean s':>8} {'± s':>6} {'MB/s':>7} {'× curl':>7}")
for r in res:
    print(f"{r['command']:26} {r['mean']:8.3f} {r['stddev']:6.3f} {mb / r['mean']:7.0f} {curl / r['mean']:7.2f}")
PY
