#!/usr/bin/env bash
# What running a lab under another kernel needs (scripts/tools-vm.txt): qemu and a static busybox
# from Debian's packages. Run by `lab run <lab> --kernel ...` the first time (idempotent; does
# nothing once everything is there), or by hand as root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="${PATH}:/usr/local/sbin:/usr/sbin:/sbin"
if [[ "${EUID}" -ne 0 ]]; then
  echo "wirelab setup-vm: needs root: run with sudo" >&2
  exit 1
fi
declare -A MISSING=()
while read -r what pkg _version _rest; do
  [[ -z "$what" || "$what" == \#* ]] && continue
  if [[ "$what" == /* ]]; then
    [[ -e "$what" ]] || MISSING[$pkg]=1
  else
    command -v "$what" >/dev/null 2>&1 || MISSING[$pkg]=1
  fi
done <"$ROOT/scripts/tools-vm.txt"
if (( ${#MISSING[@]} > 0 )); then
  mapfile -t pkgs < <(printf '%s\n' "${!MISSING[@]}" | sort)
  echo "wirelab setup-vm: installing ${pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -qq "${pkgs[@]}"
fi
