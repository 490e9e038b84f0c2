# A command started in a lab pod as a container runtime starts `kubectl exec`'s, without a
# terminal of its own (sh exec.sh <hostname> <argv...>; the caller has entered the pod's network
# namespace and a UTS namespace of its own): the pod's hostname, then the command itself, or
# runc's error and exit code 126 when it cannot be found. A shell, not Python: `lab exec` and
# every kubectl exec start it, and dash starts in a millisecond.
hostname "$1" || exit 1
shift
err=
path=$1
case "$1" in
*/*)
  if [ ! -e "$1" ]; then
    err="stat $1: no such file or directory"
  elif [ -d "$1" ] || [ ! -x "$1" ]; then
    err="permission denied"
  fi
  ;;
*) path=$(command -v "$1") || err='executable file not found in $PATH' ;;
esac
# A file that is neither a program nor a script: runc's execve fails where sh would run it.
if [ -z "$err" ] && [ -f "$path" ]; then
  case "$(head -c 4 "$path")" in
  "#!"* | "$(printf '\177ELF')") ;;
  *) err="exec format error" ;;
  esac
fi
if [ -n "$err" ]; then
  echo "OCI runtime exec failed: exec failed: unable to start container process: exec: \"$1\": $err: unknown" >&2
  exit 126
fi
exec "$@"
