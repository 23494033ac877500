"""Warm kernels: the scientific stack imported once per run, each chapter's kernel a fork of it.

A chapter's kernel spends 2–3.5 s of CPU importing the same libraries (scipy.stats, scikit-learn,
geopandas, PySAL, statsmodels, IPython) before its first cell does any work. When the runner has
more than one chapter to execute, it starts one **server** (``python -m ruralrev.book.warm_kernels
serve ADDRESS``) that imports :data:`WARM_IMPORTS` once and then forks a kernel for each chapter.

How a kernel is started:

1. the worker's kernel manager (:func:`kernel_manager_class`) runs ``python -m
   ruralrev.book.warm_kernels kernel -f CONNECTION`` instead of ``python -m ipykernel_launcher -f
   CONNECTION``; this **stub** is the process jupyter_client manages;
2. the stub sends the server its arguments, environment, working folder and standard streams
   (file descriptors over a Unix socket) and gets back the pid of a forked child;
3. the child takes the stub's streams, folder and environment and runs ipykernel as
   ``ipykernel_launcher`` would; the stub forwards every signal it gets to it (interrupt, terminate)
   and ends with the child's exit code, which the server reports when it reaps the child.

Nothing is lost if anything fails: a stub that cannot reach a server, a request the server cannot
serve warm (another interpreter or an environment its imports read differently,
:data:`SAME_ENVIRONMENT`; threads already running) and any platform but Linux start the ordinary
kernel (``os.execv`` of ipykernel_launcher). Lifetimes: the server dies with the runner
(``PR_SET_PDEATHSIG``), each child with the server; a stub that dies (killed with its worker) makes
the server kill its child; the runner kills the server, and whatever it still runs, at the end.
The server only accepts connections from processes of its own user (``SO_PEERCRED``).

Why a fork gives the same pages: the server imports libraries only, never ``ruralrev`` (the
chapter's own code is imported fresh in each kernel) nor the inline backend (which hooks itself
into the shell that imports it); the environment variables those imports read are the kernels'
own (:data:`~ruralrev.book.execute.KERNEL_ENV`). ``tests/test_warm_kernels.py`` executes chapters
both ways and compares every output.

References
----------
The same design as Python's ``multiprocessing`` "forkserver" start method and Android's zygote:
a process with expensive state loaded forks workers on request.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import secrets
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from ruralrev.book.startup import exit_without_teardown, keep_docstrings, skip_unused_import

__all__ = ["ENV", "INLINE_BACKEND", "OFF", "SAME_ENVIRONMENT", "WARM_IMPORTS", "address", "available", "kernel",
           "kernel_manager_class", "preimport", "serve", "start_server"]

#: The environment variable that gives workers and stubs the server's address (an abstract Unix socket);
#: ``off`` starts every kernel cold (for comparisons), and the runner then starts no server.
ENV = "RURALREV_WARM_KERNELS"
OFF = "off"
#: What the server imports before it forks: the libraries the chapters' kernels import (recorded from
#: ``sys.modules`` at the end of each chapter, 2026-12), as the packages and submodules that pull them in.
WARM_IMPORTS = (
    "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "numpy", "pandas",
    "scipy.stats", "scipy.optimize", "scipy.sparse.linalg", "scipy.spatial", "scipy.cluster.hierarchy",
    "scipy.ndimage", "scipy.integrate", "scipy.interpolate",
    "sklearn.cluster", "sklearn.decomposition", "sklearn.metrics", "sklearn.mixture", "sklearn.preprocessing",
    "sklearn.linear_model", "sklearn.manifold", "sklearn.neighbors", "sklearn.model_selection",
    "matplotlib.pyplot", "seaborn", "geopandas",
    "statsmodels.regression.linear_model", "statsmodels.stats.multitest", "linearmodels",
    "libpysal.weights", "libpysal.graph", "esda", "spreg", "spopt.region", "pointpats",
    "myst_nb.ext.glue",
)
#: The matplotlib backend every kernel ends up with (ipykernel sets it unless one is given); set in the
#: server before matplotlib is imported, since matplotlib reads it then.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Environment variables the server's imports read: a kernel is forked only when its own values are
#: the server's (else it starts cold). ``MPLBACKEND`` may also be unset in the request.
SAME_ENVIRONMENT = ("PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "MPLBACKEND", "MPLCONFIGDIR",
                    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS", "RURALREV_FIGURE_DATA")
_COLD = ("-m", "ipykernel_launcher")
_FORWARDED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
                   if hasattr(signal, name))


def _die_with_parent() -> None:
    """End this process (SIGKILL) when its parent ends, even by SIGKILL (Linux ``PR_SET_PDEATHSIG``)."""
    import ctypes

    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:   # the parent ended before the request took effect
        os._exit(1)


def _set_name(name: bytes) -> None:
    """The process name ``ps`` and ``top`` show (Linux ``PR_SET_NAME``; the command line stays the server's)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(name[:15]), 0, 0, 0)  # 15 = PR_SET_NAME


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def preimport() -> list[str]:
    """Import :data:`WARM_IMPORTS` (those installed) the way a runner's kernel would; returns the
    ones that could not be imported. The inline backend stays unimported (it hooks itself into the
    shell that imports it, which is the kernel's, after the fork)."""
    import importlib

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    skip_unused_import(kernel=True)
    keep_docstrings()
    missing = []
    for name in WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optional library: its kernels import it themselves (or fail there)
            missing.append(name)
    return missing


def _compatible(request: dict, start_environment: dict) -> bool:
    if request.get("executable") != sys.executable:
        return False
    env = request.get("env", {})
    for name in SAME_ENVIRONMENT:
        wanted = env.get(name)
        if name == "MPLBACKEND" and wanted is None:
            continue
        if wanted != start_environment.get(name):
            return False
    return True


def _read_request(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while data and not data.endswith(b"\n"):
        more = conn.recv(1 << 16)
        if not more:
            break
        data += more
    return json.loads(data), fds


def _become_kernel(request: dict, fds: list[int], keep_closed: list[socket.socket]) -> int:
    """In the forked child: take the stub's streams, folder and environment, run ipykernel."""
    _die_with_parent()
    os.setsid()                       # as jupyter_client starts a kernel: a session of its own
    _set_name(b"ipykernel-warm")
    for sock in keep_closed:
        sock.close()
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None           # read TMPDIR again: the runner gives each run its scratch folder
    del sys.path[0]                   # the server's folder; ipykernel_launcher removes its own, and the
                                      # shell puts '' (the working folder) first, as in a cold kernel
    sys.argv = [sys.argv[0], *request["argv"]]
    for name in [name for name in sys.modules if name == "ruralrev" or name.startswith("ruralrev.")]:
        del sys.modules[name]         # the chapter imports the package afresh, as in a new process
    code = 0
    try:
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - as an uncaught error in a kernel: traceback, exit code 1
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()           # what the interpreter would run at exit (a kernel's own hooks)
    return code


def serve(address: str) -> int:
    """Listen on the abstract Unix socket ``address``, import the stack, fork kernels until killed.

    Prints one line, ``listening``, once connections are queued (the imports follow; a stub that
    connects meanwhile waits for them)."""
    _die_with_parent()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)
    listener.listen(64)
    print("listening", flush=True)
    os.dup2(2, 1)                     # nobody reads the pipe after that line
    start_environment = dict(os.environ, MPLBACKEND=os.environ.get("MPLBACKEND", INLINE_BACKEND))
    missing = preimport()
    gc.freeze()    # the imported objects never move between collector generations: a fork shares their pages
    if missing:
        print(f"not imported: {', '.join(missing)}", file=sys.stderr, flush=True)
    wake_read, wake_write = socket.socketpair()
    wake_write.setblocking(False)
    signal.set_wakeup_fd(wake_write.fileno())
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    stop = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}
    while not stop:
        for key, _ in selector.select(timeout=1.0):
            if key.fileobj is listener:
                _accept(listener, selector, children, start_environment, [listener, wake_read, wake_write])
            elif key.fileobj is wake_read:
                wake_read.recv(4096)
            else:                              # a stub's connection: it never writes, so this is its end
                conn, pid = key.fileobj, key.data
                if not conn.recv(4096):
                    selector.unregister(conn)
                    _kill_group(pid)
        _reap(children, selector)
    for pid in list(children):
        _kill_group(pid)
    exit_without_teardown(0)
    return 0


def _accept(listener, selector, children, start_environment, own_sockets) -> None:
    conn, _ = listener.accept()
    try:
        uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]
        if uid != os.getuid():
            conn.close()
            return
        request, fds = _read_request(conn)
    except (OSError, ValueError):
        conn.close()
        return
    # a fork copies only the thread that forks: with another thread running, start cold
    if len(fds) != 3 or not _compatible(request, start_environment) or _threads() != 1:
        for fd in fds:
            os.close(fd)
        conn.sendall(b"cold\n")
        conn.close()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:                      # the child never returns to the server's loop, whatever happens
        code = 1
        try:
            code = _become_kernel(request, fds, [*own_sockets, *children.values(), conn])
        except BaseException:  # noqa: BLE001 - reported on the kernel's standard error
            traceback.print_exc()
        finally:
            exit_without_teardown(code)
    for fd in fds:
        os.close(fd)
    children[pid] = conn
    selector.register(conn, selectors.EVENT_READ, pid)
    try:
        conn.sendall(f"{pid}\n".encode())
    except OSError:
        _kill_group(pid)


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
            return
        except OSError:
            continue


def _reap(children: dict[int, socket.socket], selector) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        try:
            selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        try:
            conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
        except OSError:
            pass
        conn.close()


def kernel(arguments: list[str]) -> int:
    """The stub: have the server fork this kernel, or start an ordinary one; return its exit code."""
    cold = [sys.executable, *_COLD, *arguments]
    server = address()
    if not server or not available():
        os.execv(sys.executable, cold)
    _die_with_parent()
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect("\0" + server)
        request = {"argv": arguments, "env": dict(os.environ), "cwd": os.getcwd(), "executable": sys.executable}
        socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reader = conn.makefile("rb")
        pid = int(reader.readline())
    except (OSError, ValueError):       # no server, or "cold": the ordinary kernel
        os.execv(sys.executable, cold)

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except OSError:
            pass

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    line = reader.readline().decode().split()
    return int(line[1]) if len(line) == 2 and line[0] == "exit" else 1


def address() -> str | None:
    """The address of the warm server this process's kernels use, or None."""
    value = os.environ.get(ENV)
    return None if not value or value == OFF else value


def available() -> bool:
    """Warm kernels need ``fork``, abstract Unix sockets and ``prctl``: Linux."""
    return sys.platform.startswith("linux")


def start_server(scratch: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str] | None:
    """Start a server for one run, with the kernels' environment ``env``; its log goes to
    ``scratch``. Returns the process and its address once it listens, or None (then every kernel
    starts cold). The caller kills it (and the kernels it still runs) when the run ends."""
    address = f"ruralrev-warm-{os.getpid()}-{secrets.token_hex(8)}"
    with open(Path(scratch) / "warm-kernels.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", __name__, "serve", address], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=log, start_new_session=True, env=env, cwd=scratch)
    ready = process.stdout.readline()
    process.stdout.close()
    if ready.strip() != b"listening":
        process.kill()
        process.wait()
        return None
    return process, address


def kernel_manager_class():
    """jupyter_client's asynchronous kernel manager, starting the stub instead of
    ``ipykernel_launcher`` (the page's recorded kernel is still ``python3``)."""
    from jupyter_client.manager import AsyncKernelManager

    class WarmKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self):
            spec = super().kernel_spec
            if spec is not None and tuple(spec.argv[1:3]) == _COLD:
                spec.argv = [spec.argv[0], "-m", __name__, "kernel", *spec.argv[3:]]
            return spec

    return WarmKernelManager


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    exit_without_teardown(serve(rest[0]) if command == "serve" else kernel(rest))
