#!/usr/bin/env bash
# Runs every fuzz target in the repository for the given time each
# (default 10m) and prints a summary line per target.
set -uo pipefail
cd "$(dirname "$0")/.."
T=${1:-10m}
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
    echo "== $pkg $f ($T)"
    if ! go test -run='^$' -fuzz="^$f\$" -fuzztime="$T" -fuzzminimizetime=5s "$pkg" 2>&1 | tail -4; then status=1; fi
  done
done
exit $status
