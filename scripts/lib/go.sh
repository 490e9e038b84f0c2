# Sourced by the scripts that build Go programs from source (build-coredns.sh,
# build-kubernetes.sh): finds a Go toolchain at least as new as a go.mod's go directive, or says
# how to get one. Sets GO; never lets the go command fetch another toolchain on its own.

# go_min_of <go.mod>: its go directive (e.g. 1.24.0).
go_min_of() { awk '$1 == "go" { print $2; exit }' "$1"; }

# version_ge A B: A >= B for dotted numeric versions (missing parts count as 0).
version_ge() {
  local -a a b
  IFS=. read -r -a a <<<"$1"
  IFS=. read -r -a b <<<"$2"
  local i x y
  for ((i = 0; i < 3; i++)); do
    x="${a[i]:-0}"
    y="${b[i]:-0}"
    ((10#$x > 10#$y)) && return 0
    ((10#$x < 10#$y)) && return 1
  done
  return 0
}

# require_go <min version> <what is being built>: sets GO or exits with how to install Go.
require_go() {
  local min="$1" what="$2"
  go_help() {
    cat >&2 <<EOF2
wirelab setup: $1
  Building ${what} needs Go >= ${min}. Install it, then re-run:
    Debian:   apt-get install -t bookworm-backports golang-go
              (if the backports version is still older than ${min}, use the tarball)
    tarball:  https://go.dev/dl/ -> rm -rf /usr/local/go && tar -C /usr/local -xzf go<version>.linux-<arch>.tar.gz
              (/usr/local/go/bin/go is found even when it is not on PATH)
EOF2
    exit 1
  }
  GO=""
  if command -v go >/dev/null 2>&1; then
    GO="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  fi
  [[ -n "$GO" ]] || go_help "Go not found (neither \`go\` on PATH nor /usr/local/go/bin/go)"
  # Never let the go command download another toolchain (GOTOOLCHAIN=auto): we ask for one.
  export GOTOOLCHAIN=local
  local have num
  have="$("$GO" env GOVERSION 2>/dev/null || true)" # e.g. go1.26.8, go1.26rc1
  num="${have#go}"
  num="${num%%[!0-9.]*}"
  if [[ -z "$num" ]] || ! version_ge "$num" "$min"; then
    go_help "$GO is ${have:-of unknown version}, older than the required go ${min}"
  fi
}
