"""Warm kernels: the scientific stack imported once per run, each chapter's kernel a fork of it.

A chapter's kernel spends 2–3.5 s of CPU importing the same libraries (scipy.stats, scikit-learn,
geopandas, PySAL, statsmodels, IPython) before its first cell does any work. When the runner has
more than one chapter to execute, it starts one **server** (``python -m ruralrev.book.warm_kernels
serve ADDRESS PARENT``) that imports :data:`WARM_IMPORTS` once and then forks a kernel for each chapter.

How a kernel is started:

1. the worker's kernel manager (:func:`kernel_manager_class`) runs ``python -m
   ruralrev.book.warm_kernels kernel -f CONNECTION`` instead of ``python -m ipykernel_launcher -f
   CONNECTION``; this **stub** is the process jupyter_client manages;
2. the stub checks that the server is the process it was told of (``SO_PEERCRED``: its pid and
   user), sends it its arguments, environment, working folder and standard streams (file
   descriptors over a Unix socket) and gets back the pid of a forked child;
3. the child takes the stub's streams, folder and environment and runs ipykernel as
   ``ipykernel_launcher`` would; the stub forwards every signal it gets to the child's process
   group (interrupt, terminate) and ends as the child ended, which the server reports when it
   reaps the child.

Nothing is lost if anything fails: a stub that cannot reach its server, a request the server does
not serve warm, and any platform but Linux start the ordinary kernel (``os.execv`` of
ipykernel_launcher). The server serves cold a request whose environment differs from its own in
any variable but the per-kernel ones (:data:`PER_KERNEL`), or when its imports printed a warning
(which a cold kernel would have shown on the page) or started a thread. An error while serving one
request is logged and ends only that request. Lifetimes: the server dies with the runner and each
child with the server (``PR_SET_PDEATHSIG``, checked against the parent's pid); a stub that dies
(killed with its worker) makes the server kill its child; the runner kills the server, and
whatever it still runs, at the end. The server accepts connections only from its own user.

Why a fork gives the same pages: the server imports libraries, not the inline backend (it hooks
itself into the shell that imports it); the child drops every ``ruralrev`` module (each chapter
imports the package afresh) and gets a cold kernel's environment (the request's, plus what the
imports set), a fresh numpy seed and ``sys.path``. Shared: the imported modules' own state, such
as the warning filters a library installs. ``tests/test_warm_kernels.py`` compares a forked kernel
with a cold one and two chapters output by output; all ten pages were identical (2026-12).

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
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

from ruralrev.book.startup import (
    die_with,
    exit_code,
    exit_without_teardown,
    keep_docstrings,
    skip_unused_import,
)

__all__ = ["ENV", "INLINE_BACKEND", "OFF", "PER_KERNEL", "WARM_IMPORTS", "address", "available", "kernel",
           "kernel_manager_class", "preimport", "serve", "start_server"]

#: The environment variable that gives workers and stubs the server (``NAME@PID``: its abstract Unix
#: socket and its pid); ``off`` starts every kernel cold (for comparisons) and the runner starts no server.
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
    "matplotlib.pyplot", "seaborn", "geopandas", "pyogrio", "pyproj",
    "statsmodels.regression.linear_model", "statsmodels.stats.multitest", "linearmodels",
    "libpysal.weights", "libpysal.graph", "esda", "spreg", "spopt.region", "pointpats",
    "myst_nb.ext.glue",
)
#: The matplotlib backend every kernel ends up with (ipykernel sets it unless one is given); set in the
#: server before matplotlib is imported, since matplotlib reads it then.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: The only environment variables in which a kernel may differ from the server and still be forked:
#: set per kernel or per run and read after the fork (names, and prefixes ending in ``_``).
#: ``MPLBACKEND`` may also be unset in a request (ipykernel then sets the inline backend the server set).
#: ``PYTEST_CURRENT_TEST``: pytest names the running test there, so the test suite's runs can fork.
PER_KERNEL = ("JPY_", "TMPDIR", "PWD", "OLDPWD", "_", ENV, "PYTEST_CURRENT_TEST")
_COLD = ("-m", "ipykernel_launcher")
_FORWARDED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
                   if hasattr(signal, name))


def _set_name(name: bytes) -> None:
    """The process name ``ps`` and ``top`` show (Linux ``PR_SET_NAME``; the command line stays the server's)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(name[:15]), 0, 0, 0)  # 15 = PR_SET_NAME


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def preimport() -> tuple[list[str], list[str]]:
    """Import :data:`WARM_IMPORTS` (those installed) the way a runner's kernel would. Returns the
    ones that could not be imported and the warnings the imports would have shown. The inline
    backend stays unimported (it hooks itself into the shell that imports it: the kernel's)."""
    import importlib

    from ruralrev.stats.spatial.neighbours import (
        TQDM_WARNING,  # the package imports PySAL without it
    )

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    skip_unused_import(kernel=True)
    keep_docstrings()
    missing, shown = [], []
    show = warnings.showwarning
    warnings.showwarning = lambda message, category, *rest, **kw: shown.append(f"{category.__name__}: {message}")
    warnings.filterwarnings("ignore", message=TQDM_WARNING)
    quiet = warnings.filters[0]       # removed afterwards; the filters the libraries add stay, as in a kernel
    try:
        for name in WARM_IMPORTS:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - an optional library: its kernels import it themselves (or fail there)
                missing.append(name)
    finally:
        warnings.showwarning = show
        warnings.filters.remove(quiet)
        warnings._filters_mutated()
    return missing, shown


def _differences(request: dict, start: dict, set_by_imports: dict | None = None) -> list[str]:
    """The reasons a request cannot be forked from a server started with environment ``start``
    whose imports then set ``set_by_imports`` (a request may carry those too, with the same values:
    its process imported the same libraries)."""
    if request.get("executable") != sys.executable:
        return ["another interpreter"]
    env, imported = request.get("env", {}), set_by_imports or {}
    names = sorted(set(env) | set(start))
    return [name for name in names if env.get(name) != start.get(name)
            and not any(name == k or (k.endswith("_") and name.startswith(k)) for k in PER_KERNEL)
            and not (name == "MPLBACKEND" and name not in env)
            and not (name in imported and name not in start and env.get(name) == imported[name])]


def _read_request(conn: socket.socket) -> tuple[dict, list[int]]:
    conn.settimeout(10)                # a stub sends at once; a stalled client must not block the others
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    try:
        while data and not data.endswith(b"\n"):
            more = conn.recv(1 << 16)
            if not more:
                break
            data += more
        return json.loads(data), fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def _become_kernel(request: dict, fds: list[int], close: list, server: dict) -> int:
    """In the forked child: take the stub's streams, folder and environment, run ipykernel."""
    die_with(server["pid"])
    os.setsid()                       # as jupyter_client starts a kernel: a session of its own
    _set_name(b"ipykernel-warm")
    for thing in close:
        thing.close()
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update({**server["set_by_imports"], **request["env"]})
    tempfile.tempdir = None           # read TMPDIR again: the runner gives each run its scratch folder
    if sys.path and sys.path[0] in ("", server["cwd"]):
        del sys.path[0]               # the server's folder; the shell puts '' first, as in a cold kernel
    sys.argv = [sys.argv[0], *request["argv"]]
    for name in [name for name in sys.modules if name == "ruralrev" or name.startswith("ruralrev.")]:
        del sys.modules[name]         # the chapter imports the package afresh, as in a new process
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()   # fresh entropy, as a new process draws (the book seeds its own)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORWARDED)
    from ipykernel import kernelapp

    code = 0
    try:
        kernelapp.launch_new_instance()
    except SystemExit as exc:
        code = exit_code(exc)
    atexit._run_exitfuncs()           # what the interpreter would run at exit (a kernel's own hooks)
    return code


def serve(address: str, parent: int) -> int:
    """Listen on the abstract Unix socket ``address``, import the stack, fork kernels until killed.

    Prints one line, ``listening``, once connections are queued (the imports follow; a stub that
    connects meanwhile waits for them)."""
    die_with(parent)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)
    listener.listen(64)
    print("listening", flush=True)
    os.dup2(2, 1)                     # nobody reads the pipe after that line
    start = dict(os.environ)
    missing, shown = preimport()
    server = {"pid": os.getpid(), "cwd": os.getcwd(), "start": start,
              "set_by_imports": {k: v for k, v in os.environ.items() if k not in start and k != "MPLBACKEND"},
              "refuse": [f"an import printed {w}" for w in shown] + ([f"{_threads()} threads"] if _threads() != 1 else [])}
    gc.freeze()    # the imported objects never move between collector generations: a fork shares their pages
    for line in ([f"not imported: {', '.join(missing)}"] if missing else []) + server["refuse"]:
        print(line, file=sys.stderr, flush=True)
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
            try:
                if key.fileobj is listener:
                    _accept(listener, selector, children, server, [listener, wake_read, wake_write, selector])
                elif key.fileobj is wake_read:
                    wake_read.recv(4096)
                else:                          # a stub's connection: it never writes, so this is its end
                    _stub_ended(key.fileobj, key.data, selector)
            except Exception:  # noqa: BLE001 - one request's failure ends that request, never the server
                traceback.print_exc()
        _reap(children, selector)
    for pid in list(children):
        _kill_group(pid)
    return 0


def _stub_ended(conn: socket.socket, pid: int, selector) -> None:
    try:
        ended = not conn.recv(4096)
    except OSError:                   # reset: the stub died with data unread
        ended = True
    if ended:
        selector.unregister(conn)
        _kill_group(pid)


def _accept(listener, selector, children, server, own) -> None:
    conn, _ = listener.accept()
    try:
        uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]
        if uid != os.getuid():
            raise PermissionError(f"a connection from user {uid}")
        request, fds = _read_request(conn)
    except (OSError, ValueError):
        conn.close()
        raise
    reasons = (server["refuse"] or _differences(request, server["start"], server["set_by_imports"])
               or (["threads"] if _threads() != 1 else []))
    if len(fds) != 3 or reasons:
        if reasons:
            print(f"cold: {', '.join(reasons)}", file=sys.stderr, flush=True)
        _cold(conn, fds)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _FORWARDED)   # until the child has its own handlers
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        _cold(conn, fds)
        raise
    if pid == 0:                      # the child never returns to the server's loop, whatever happens
        code = 1
        try:
            try:
                code = _become_kernel(request, fds, [*own, *children.values(), conn], server)
            except BaseException:  # noqa: BLE001 - reported on the kernel's standard error
                traceback.print_exc()
        finally:
            exit_without_teardown(code)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    for fd in fds:
        os.close(fd)
    children[pid] = conn
    selector.register(conn, selectors.EVENT_READ, pid)
    try:
        conn.sendall(f"{pid}\n".encode())
    except OSError:
        _kill_group(pid)


def _cold(conn: socket.socket, fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
    try:
        conn.sendall(b"cold\n")
    except OSError:
        pass
    conn.close()


def _signal_group(pid: int, signum: int) -> None:
    """Send ``signum`` to a kernel's process group (the kernel leads its own), else to the kernel."""
    for send in (os.killpg, os.kill):
        try:
            send(pid, signum)
            return
        except OSError:
            continue


def _kill_group(pid: int) -> None:
    _signal_group(pid, signal.SIGKILL)


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
    """The stub: have the server fork this kernel, or start an ordinary one; return its exit code
    (a negative one: the kernel was ended by that signal, and so is the stub)."""
    cold = [sys.executable, *_COLD, *arguments]
    server = address()
    if not server or not available():
        os.execv(sys.executable, cold)
    name, _, server_pid = server.rpartition("@")
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect("\0" + name)
        peer_pid, peer_uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                   struct.calcsize("3i")))
        if (str(peer_pid), peer_uid) != (server_pid, os.getuid()):
            raise ConnectionRefusedError("not the run's server")
        die_with(int(os.environ.get("JPY_PARENT_PID", os.getppid())))   # the worker, which started this stub
        request = {"argv": arguments, "env": dict(os.environ), "cwd": os.getcwd(), "executable": sys.executable}
        socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reader = conn.makefile("rb")
        pid = int(reader.readline())
    except (OSError, ValueError):       # no server, not ours, or "cold": the ordinary kernel
        os.execv(sys.executable, cold)

    def forward(signum, frame):   # to the kernel's process group, as jupyter_client signals a cold one
        _signal_group(pid, signum)

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    line = reader.readline().decode().split()
    return int(line[1]) if len(line) == 2 and line[0] == "exit" else 1


def address() -> str | None:
    """The server this process's kernels use (``NAME@PID``), or None."""
    value = os.environ.get(ENV)
    return None if not value or value == OFF else value


def available() -> bool:
    """Warm kernels need ``fork``, abstract Unix sockets and ``prctl``: Linux."""
    return sys.platform.startswith("linux")


def start_server(scratch: Path, env: dict[str, str], wait: float = 60.0) -> tuple[subprocess.Popen, str] | None:
    """Start a server for one run, with the kernels' environment ``env``; its log goes to
    ``scratch``. Returns the process and its address (:data:`ENV`'s value) once it listens, or
    None (then every kernel starts cold). The caller kills it, and the kernels it still runs."""
    name = f"ruralrev-warm-{os.getpid()}-{secrets.token_hex(8)}"
    with open(Path(scratch) / "warm-kernels.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", __name__, "serve", name, str(os.getpid())],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                   start_new_session=True, env=env, cwd=scratch)
    ready = process.stdout.readline() if select.select([process.stdout], [], [], wait)[0] else b""
    process.stdout.close()
    if ready.strip() != b"listening":
        process.kill()
        process.wait()
        return None
    return process, f"{name}@{process.pid}"


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


def _end_as(code: int) -> None:
    if code < 0:                      # ended by a signal: end the same way
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    exit_without_teardown(code)


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "serve":
        exit_without_teardown(serve(rest[0], int(rest[1])))
    _end_as(kernel(rest))
