#!/usr/bin/env bash
# Fetches the ONNX Runtime CPU library that onnxruntime_go v1.27.0 expects
# (from the npm package onnxruntime-node@1.24.1) into lib/, next to where the
# binary looks for it. Idempotent: does nothing once lib/ has it.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.24.1
DEST=lib/libonnxruntime.so.1
[ -f "$DEST" ] && exit 0
command -v npm >/dev/null || { echo "setup-ort: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "onnxruntime-node@$VERSION" >/dev/null)
tar -xzf "$tmp/onnxruntime-node-$VERSION.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
mkdir -p lib
mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$DEST.tmp"
mv "$DEST.tmp" "$DEST"
echo "setup-ort: installed $DEST (onnxruntime-node@$VERSION)" >&2
