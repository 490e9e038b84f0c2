#!/usr/bin/env bash
# Build wirelab's CoreDNS (tools/coredns: stock CoreDNS with the plugins the labs use)
# into .wirelab/bin/coredns. Idempotent and fast (no `go` call) when the binary is
# newer than tools/coredns/{go.mod,go.sum,main.go}. Needs Go >= the go.mod's go
# directive; modules come from GOPROXY (default proxy.golang.org) on the first build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/tools/coredns"
BIN_DIR="$ROOT/.wirelab/bin"
BIN="$BIN_DIR/coredns"

log() { echo "wirelab setup: $*"; }

# 1. Up to date? (pure bash: this is the path taken on every `npm test`)
up_to_date() {
  [[ -x "$BIN" ]] || return 1
  local f
  for f in go.mod go.sum main.go; do
    [[ "$SRC/$f" -nt "$BIN" ]] && return 1
  done
  return 0
}
if up_to_date; then
  exit 0
fi

# 2. Versions from go.mod ------------------------------------------------------------
GO_MIN="$(awk '$1 == "go" { print $2; exit }' "$SRC/go.mod")"
COREDNS_VERSION="$(awk '$1 == "github.com/coredns/coredns" { print $2; exit }
  $1 == "require" && $2 == "github.com/coredns/coredns" { print $3; exit }' "$SRC/go.mod")"
if [[ -z "$GO_MIN" || -z "$COREDNS_VERSION" ]]; then
  echo "wirelab setup: cannot read the go directive or the CoreDNS version from $SRC/go.mod" >&2
  exit 1
fi

# 3. Go toolchain ----------------------------------------------------------------------
# shellcheck source=lib/go.sh
source "$ROOT/scripts/lib/go.sh"
require_go "$GO_MIN" "CoreDNS ${COREDNS_VERSION}"

# 4. Build (into a temporary file, so an interrupted build never looks up to date) ----
log "building CoreDNS ${COREDNS_VERSION} (first time: a few minutes)"
mkdir -p "$BIN_DIR"
TMP="$(mktemp "$BIN_DIR/.coredns.XXXXXX")"
trap 'rm -f "$TMP"' EXIT
(
  cd "$SRC"
  CGO_ENABLED=0 "$GO" build -trimpath -buildvcs=false -ldflags "-s -w" -o "$TMP" .
)
chmod 0755 "$TMP"

# 5. Verify before installing -----------------------------------------------------------
want="CoreDNS-${COREDNS_VERSION#v}"
if ! out="$("$TMP" -version 2>&1)" || [[ "$out" != *"$want"* ]]; then
  echo "wirelab setup: the freshly built CoreDNS does not report $want:" >&2
  echo "$out" >&2
  exit 1
fi
mv -f "$TMP" "$BIN"
trap - EXIT
