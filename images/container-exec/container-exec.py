#!/usr/bin/python3
# A command run the way a container runtime runs `kubectl exec` in a lab pod (the caller has put
# it in the pod's network namespace and a UTS namespace of its own):
#   container-exec.py [--tty] <hostname> <argv...>
# It sets the pod's hostname and executes argv directly (no shell: a file that is not a program
# is an error, as for runc). A command that cannot be started is reported as runc reports it
# through the kubelet: "OCI runtime exec failed: ... executable file not found in $PATH" and exit
# code 126. With --tty the command gets a pseudo-terminal: stdin goes to it, its output to
# stdout, and fd 3 carries window sizes, one "<cols> <rows>" line each (the resize stream). The
# exit status is the command's (128+n for signal n). Run from a terminal (`lab exec` into a pod),
# it puts that terminal in raw mode and follows its size instead. Standard library only.
import errno
import fcntl
import os
import pty
import select
import shutil
import signal
import socket
import struct
import sys
import termios
import tty


def start_error(cmd: str) -> str | None:
    """What runc says when it cannot start cmd, or None when it can."""
    path = cmd if '/' in cmd else shutil.which(cmd)
    if path is None:
        return f'exec: "{cmd}": executable file not found in $PATH'
    if not os.path.exists(path):
        return f'exec: "{cmd}": stat {cmd}: no such file or directory'
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        return f'exec: "{cmd}": permission denied'
    return None


def fail(msg: str, newline: str) -> None:
    sys.stderr.write(f'OCI runtime exec failed: exec failed: unable to start container process: {msg}: unknown{newline}')
    sys.stderr.flush()
    os._exit(126)


def relay(argv: list[str]) -> int:
    pid, master = pty.fork()
    if pid == 0:
        execute(argv, '\r\n')
    inputs = [0, master]
    try:
        os.fstat(3)
        inputs.append(3)
    except OSError:
        pass
    saved = None
    if 3 not in inputs and os.isatty(0):
        # The user's own terminal: its size now and whenever it changes, its keys unprocessed.
        def follow(*_: object) -> None:
            fcntl.ioctl(master, termios.TIOCSWINSZ, fcntl.ioctl(0, termios.TIOCGWINSZ, b'\0' * 8))

        follow()
        signal.signal(signal.SIGWINCH, follow)
        saved = termios.tcgetattr(0)
        tty.setraw(0)
    try:
        return pump(pid, master, inputs)
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)


def pump(pid: int, master: int, inputs: list[int]) -> int:
    resize = b''
    while True:
        try:
            ready, _, _ = select.select(inputs, [], [])
        except InterruptedError:
            continue
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


def execute(argv: list[str], newline: str) -> None:
    err = start_error(argv[0])
    if err:
        fail(err, newline)
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        fail(f'exec: "{argv[0]}": {e.strerror.lower()}', newline)


def main() -> int:
    args = sys.argv[1:]
    tty = args[:1] == ['--tty']
    if tty:
        args = args[1:]
    hostname, argv = args[0], args[1:]
    socket.sethostname(hostname)
    if tty:
        return relay(argv)
    execute(argv, '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
