#!/usr/bin/python3
# A command on a pseudo-terminal of its own, as a container runtime starts `kubectl exec -t` in a
# lab pod (the caller has entered the pod's network namespace and a UTS namespace of its own):
#   container-exec.py --tty <hostname> <argv...>
# It sets the pod's hostname and starts argv on a new terminal, directly (no shell): a command
# that cannot be started is reported as runc reports it through the kubelet ("OCI runtime exec
# failed: ... executable file not found in $PATH", exit code 126). Its stdin goes to the
# terminal, the terminal's output to its stdout; fd 3 carries window sizes, one "<cols> <rows>"
# line each (the kubelet's resize stream). The exit status is the command's (128+n for signal
# n). Without a terminal, exec.sh does the same in a shell. Standard library only.
import errno
import fcntl
import os
import pty
import select
import shutil
import socket
import struct
import sys
import termios


def start_error(cmd: str) -> str | None:
    """What runc says when it cannot start cmd, or None when it can."""
    path = cmd if '/' in cmd else shutil.which(cmd)
    if path is None or not os.path.exists(path):
        return f'exec: "{cmd}": executable file not found in $PATH'
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        return f'exec: "{cmd}": permission denied'
    return None


def execute(argv: list[str]) -> None:
    """In the child, on the terminal: argv, or runc's words and 126."""
    err = start_error(argv[0])
    try:
        if err is None:
            os.execvp(argv[0], argv)
    except OSError as e:
        err = f'exec: "{argv[0]}": {e.strerror.lower()}'
    sys.stderr.write(f'OCI runtime exec failed: exec failed: unable to start container process: {err}: unknown\r\n')
    sys.stderr.flush()
    os._exit(126)


def pump(pid: int, master: int) -> int:
    inputs = [0, master]
    try:
        os.fstat(3)
        inputs.append(3)
    except OSError:
        pass
    resize = b''
    while True:
        ready, _, _ = select.select(inputs, [], [])
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError as e:
                if e.errno != errno.EIO:
                    raise
                data = b''
            if not data:
                break
            os.write(1, data)
        if 0 in ready:
            data = os.read(0, 65536)
            if data:
                os.write(master, data)
            else:
                inputs.remove(0)
        if 3 in ready:
            data = os.read(3, 4096)
            if not data:
                inputs.remove(3)
            resize += data
            while b'\n' in resize:
                line, resize = resize.split(b'\n', 1)
                cols, rows = (int(x) for x in line.split())
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def main() -> int:
    if sys.argv[1:2] != ['--tty'] or len(sys.argv) < 4:
        sys.stderr.write('usage: container-exec.py --tty <hostname> <argv...>\n')
        return 2
    hostname, argv = sys.argv[2], sys.argv[3:]
    socket.sethostname(hostname)
    pid, master = pty.fork()
    if pid == 0:
        execute(argv)
    return pump(pid, master)


if __name__ == '__main__':
    sys.exit(main())
