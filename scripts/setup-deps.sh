#!/usr/bin/env bash
# Installs the Debian packages that building and testing Delineate need,
# skipping any that are already there. Run as root (CI and the dev machines
# are root); elsewhere it uses sudo.
set -euo pipefail

# cgo codecs: OpenJPEG (JPEG 2000, HTJ2K), CharLS (JPEG-LS) and GDCM's
# 12-bit IJG libjpeg (JPEG Extended 12-bit; libgdcm-dev brings its headers).
BUILD_PKGS="gcc libc6-dev pkg-config libopenjp2-7-dev libcharls-dev libgdcm-dev"
# Fyne (GLFW/OpenGL) and the native file dialogs (GTK).
BUILD_PKGS="$BUILD_PKGS libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libgtk-3-dev"
# The GUI smoke test runs the real window under Xvfb and captures it.
BUILD_PKGS="$BUILD_PKGS xvfb xauth imagemagick xdotool"
# The Label Studio frontend check (../shared/tools/ls-frontend-check) draws
# exported predictions in the real frontend in headless Chromium.
BUILD_PKGS="$BUILD_PKGS chromium-headless-shell"
# DICOM SEG export tests check the written files with dciodvfy/dcentvfy
# (dicom3tools) and DCMTK's dcmdump/dcm2pnm (skipped with a message where
# absent).
BUILD_PKGS="$BUILD_PKGS dicom3tools dcmtk"
# The DICOMweb client's tests (project/pacs) run a real Orthanc with its
# DICOMweb plugin inside a loopback-only network namespace (unshare from
# util-linux, ip from iproute2); the PACS benchmark compares with curl.
# (The orthanc package's postinst may start the system service; the tests
# never use it: they run their own instance with its own config.)
BUILD_PKGS="$BUILD_PKGS orthanc orthanc-dicomweb util-linux iproute2 curl"
# Benchmarks compare with dcm2niix and generate a large series with pydicom.
BENCH_PKGS="dcm2niix python3-pydicom python3-numpy hyperfine pigz python3-torch python3-onnx python3-nibabel"

want="$BUILD_PKGS"
if [ "${1:-}" = "--bench" ]; then want="$want $BENCH_PKGS"; fi

missing=""
for p in $want; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then exit 0; fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive

# Another install (unattended-upgrades, a second terminal) may hold the
# package locks: wait for it rather than fail. apt waits on the dpkg lock
# itself with DPkg::Lock::Timeout; the package lists' lock is retried here.
WAIT_S=${APT_LOCK_WAIT:-900}
apt_get() {
  local start=$SECONDS out
  while :; do
    if out=$($SUDO apt-get -o DPkg::Lock::Timeout="$WAIT_S" "$@" 2>&1); then
      return 0
    fi
    if ! grep -qi 'could not get lock\|unable to lock\|is another process using it' <<<"$out" ||
       [ $((SECONDS - start)) -ge "$WAIT_S" ]; then
      printf '%s\n' "$out" >&2
      return 1
    fi
    echo "setup-deps: another package manager holds the lock; waiting…" >&2
    sleep 5
  done
}
apt_get update -qq
# shellcheck disable=SC2086
apt_get install -y -qq --no-install-recommends $missing
