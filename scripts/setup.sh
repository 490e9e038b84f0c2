#!/usr/bin/env bash
# wirelab host setup: idempotent and fast (< 100 ms) once everything is present.
# Run by npm as "pretest" / "prelab" / "prebench", or directly as root on a fresh
# Debian/Ubuntu VM (Vagrant provisioning). Set WIRELAB_SETUP_SKIP=1 to skip it.
# It never changes sysctls or network settings of the host's own network namespace.
set -euo pipefail

if [[ "${WIRELAB_SETUP_SKIP:-}" == 1 ]]; then
  exit 0
fi

if [[ "${EUID}" -ne 0 ]]; then
  echo "wirelab needs root: run with sudo" >&2
  exit 1
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# npm / non-login shells may lack the sbin directories (ip, iptables, modprobe...).
export PATH="${PATH}:/usr/local/sbin:/usr/sbin:/sbin"

log() { echo "wirelab setup: $*"; }

MIN_NODE_MAJOR=20
MIN_NODE_MINOR=19

# What the labs need, one line per command (or file) and its Debian package: scripts/tools.txt,
# the table `lab doctor` checks too.
declare -A NEED=()
while read -r what pkg _version _rest; do
  [[ -z "$what" || "$what" == \#* ]] && continue
  NEED[$what]=$pkg
done <"$ROOT/scripts/tools.txt"

APT_UPDATED=0
apt_update_once() {
  if [[ "$APT_UPDATED" == 0 ]]; then
    if ! command -v apt-get >/dev/null 2>&1; then
      echo "wirelab setup: apt-get not found; install the packages by hand:" \
        "$(printf '%s\n' "${NEED[@]}" | sort -u | tr '\n' ' ')" >&2
      exit 1
    fi
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
}

apt_install() {
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -qq "$@"
}

# 1. System packages -------------------------------------------------------------
declare -A MISSING=()
for what in "${!NEED[@]}"; do
  if [[ "$what" == /* ]]; then
    [[ -e "$what" ]] || MISSING[${NEED[$what]}]=1
  else
    command -v "$what" >/dev/null 2>&1 || MISSING[${NEED[$what]}]=1
  fi
done
if (( ${#MISSING[@]} > 0 )); then
  mapfile -t pkgs < <(printf '%s\n' "${!MISSING[@]}" | sort)
  apt_update_once
  log "installing ${pkgs[*]}"
  apt_install "${pkgs[@]}"
  # The labs start nginx, BIRD and etcd inside their own namespaces; the packages' own services
  # would listen on the host (port 80, BGP, 2379): keep them off.
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now nginx bird etcd 2>/dev/null || true
  fi
fi

# 2. Node.js >= 20.19 -------------------------------------------------------------
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  local v major minor
  v="$(node --version 2>/dev/null)" || return 1 # e.g. v20.19.2
  v="${v#v}"
  IFS=. read -r major minor _ <<<"$v"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  (( major > MIN_NODE_MAJOR || (major == MIN_NODE_MAJOR && minor >= MIN_NODE_MINOR) ))
}

if ! node_ok; then
  candidate=""
  if command -v apt-cache >/dev/null 2>&1; then
    apt_update_once
    candidate="$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}')"
  fi
  if [[ -n "$candidate" && "$candidate" != "(none)" ]] &&
    dpkg --compare-versions "$candidate" ge "${MIN_NODE_MAJOR}.${MIN_NODE_MINOR}"; then
    log "installing nodejs npm (apt candidate nodejs ${candidate})"
    apt_install nodejs npm
  fi
  if ! node_ok; then
    echo "wirelab setup: Node.js >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} is required" \
      "(found: $(node --version 2>/dev/null || echo none); apt candidate: ${candidate:-none})." \
      "Install Node >= ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} (e.g. from nodejs.org or NodeSource) and re-run." >&2
    exit 1
  fi
fi

# 3. Kernel modules (best effort; skipped when already loaded or built in) --------
while read -r mod _what; do
  [[ -z "$mod" || "$mod" == \#* ]] && continue
  [[ -d "/sys/module/$mod" ]] || modprobe -q "$mod" 2>/dev/null || true
done <"$ROOT/scripts/modules.txt"

# 4. npm dependencies ---------------------------------------------------------------
# The stamp holds the lock file's hash, not its time: a checkout (git clone, worktree, pull)
# touches package-lock.json without changing it, and a needless `npm ci` costs a minute.
STAMP="node_modules/.wirelab-setup-stamp"
LOCK_HASH=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || "$(cat "$STAMP" 2>/dev/null)" != "$LOCK_HASH" ]]; then
  log "npm ci"
  # Some registry mirrors serve only this platform's optional packages (rollup, esbuild), so
  # the lock file cannot list the others and `npm ci` refuses it as "out of sync". `npm install
  # --no-save` then installs the same locked versions without rewriting the lock file.
  if ! npm ci --no-audit --no-fund >/tmp/wirelab-npm-ci.log 2>&1; then
    log "npm ci refused the lock file; installing the locked versions with npm install --no-save"
    npm install --no-save --no-audit --no-fund
  fi
  echo "$LOCK_HASH" >"$STAMP"
fi

# 5. CoreDNS, built from source with Go (scripts/build-coredns.sh; a no-op once built) -----
if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
  # Debian 13 ships Go 1.24, enough for the CoreDNS release in tools/coredns/go.mod.
  log "installing golang-go (to build CoreDNS)"
  apt_install golang-go || true
fi
PATH="$PATH:/usr/local/go/bin" bash "$ROOT/scripts/build-coredns.sh"

# 5b. The Kubernetes control plane, kube-proxy, agnhost and kubectl, built from source
# (scripts/build-kubernetes.sh; a no-op once built; the first time about ten minutes) -------
PATH="$PATH:/usr/local/go/bin" bash "$ROOT/scripts/build-kubernetes.sh"

# 6. The harness itself, built to dist/ (scripts/build.mjs; a no-op while no source changed) ----
if [[ ! -e dist/build-meta.json ]] || [[ -n "$(find src images scripts/build.mjs package.json package-lock.json -newer dist/build-meta.json -print -quit 2>/dev/null)" ]]; then
  node scripts/build.mjs --force
fi
