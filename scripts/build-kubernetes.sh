#!/usr/bin/env bash
# Build the Kubernetes components wirelab runs for real, from k8s.io/kubernetes at the version
# pinned in tools/kubernetes/go.mod, into .wirelab/bin: kube-apiserver, kube-controller-manager,
# kube-scheduler, kube-proxy, agnhost (the e2e test image's program) and kubectl (unless the
# system's kubectl is within one minor version of the API server, kubectl's supported skew).
# Idempotent and fast (no `go` call) once every binary is newer than tools/kubernetes/go.{mod,sum}.
# The first build takes about ten minutes (module downloads included).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/tools/kubernetes"
BIN_DIR="$ROOT/.wirelab/bin"
log() { echo "wirelab setup: $*"; }

# `require k8s.io/kubernetes vX` on one line, or inside a require ( ... ) block.
K8S_VERSION="$(awk '($1 == "require" && $2 == "k8s.io/kubernetes") { print $3; exit } ($1 == "k8s.io/kubernetes" && $2 ~ /^v/) { print $2; exit }' "$SRC/go.mod")"
[[ -n "$K8S_VERSION" ]] || { echo "wirelab setup: no 'require k8s.io/kubernetes' in $SRC/go.mod" >&2; exit 1; }
MINOR="$(echo "$K8S_VERSION" | cut -d. -f2)"

# name -> package in k8s.io/kubernetes
declare -A PKG=(
  [kube-apiserver]=cmd/kube-apiserver
  [kube-controller-manager]=cmd/kube-controller-manager
  [kube-scheduler]=cmd/kube-scheduler
  [kube-proxy]=cmd/kube-proxy
  [agnhost]=test/images/agnhost
  [kubectl]=cmd/kubectl
)

# The system's kubectl will do when it is within one minor version (kubectl's skew policy).
system_kubectl_ok() {
  local v
  v="$(kubectl version --client -o json 2>/dev/null | awk -F'"' '$2 == "minor" { print $4; exit }')" || return 1
  v="${v%%[!0-9]*}"
  [[ -n "$v" ]] && (( v >= MINOR - 1 && v <= MINOR + 1 ))
}
if system_kubectl_ok; then unset 'PKG[kubectl]'; fi

stale=()
for name in "${!PKG[@]}"; do
  bin="$BIN_DIR/$name"
  if [[ ! -x "$bin" || "$SRC/go.mod" -nt "$bin" || "$SRC/go.sum" -nt "$bin" ]]; then stale+=("$name"); fi
done
(( ${#stale[@]} == 0 )) && exit 0

# shellcheck source=lib/go.sh
source "$ROOT/scripts/lib/go.sh"
require_go "$(go_min_of "$SRC/go.mod")" "Kubernetes ${K8S_VERSION}"

log "building Kubernetes ${K8S_VERSION}: ${stale[*]} (first time: about ten minutes)"
mkdir -p "$BIN_DIR"
TMP="$(mktemp -d "$BIN_DIR/.k8s.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# What `kubectl version` and /version report (hack/lib/version.sh sets the same variables).
V=k8s.io/component-base/version
CV=k8s.io/client-go/pkg/version
LDFLAGS="-s -w"
for p in "$V" "$CV"; do
  LDFLAGS+=" -X $p.gitVersion=${K8S_VERSION} -X $p.gitMajor=1 -X $p.gitMinor=${MINOR} -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
pkgs=()
for name in "${stale[@]}"; do pkgs+=("k8s.io/kubernetes/${PKG[$name]}"); done
(
  cd "$SRC"
  CGO_ENABLED=0 "$GO" build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$TMP/" "${pkgs[@]}"
)
for name in "${stale[@]}"; do
  built="$TMP/$(basename "${PKG[$name]}")"
  [[ -x "$built" ]] || { echo "wirelab setup: the build made no $built" >&2; exit 1; }
  mv -f "$built" "$BIN_DIR/$name"
done
"$BIN_DIR/kube-apiserver" --version
