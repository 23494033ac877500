"""One build at a time in a checkout: an advisory lock on ``.ruralrev.lock`` at the project root.

The lock is an ``flock`` held for the life of the command, so it disappears with the process
however that ends (a killed build leaves no stale lock). A second ``ruralrev run``, ``build``
or ``verify`` in the same checkout is refused with :class:`BuildLocked`, whose message names
the process holding the lock, its command and when it started.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from ruralrev.core import paths
from ruralrev.core.errors import BuildLocked

__all__ = ["checkout_lock", "LOCK_NAME"]

LOCK_NAME = ".ruralrev.lock"


@contextlib.contextmanager
def checkout_lock(root: Path | None = None, command: str = ""):
    """Hold the checkout's build lock for the ``with`` block; :class:`BuildLocked` if another holds it."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): run without the lock
        yield
        return
    path = Path(root or paths.ROOT) / LOCK_NAME
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BuildLocked(f"another build is running in this checkout ({holder}); wait for it to finish "
                              f"or stop it, then run the command again") from None
        handle.seek(0)
        handle.truncate()
        shown = command or " ".join(["ruralrev", *sys.argv[1:]])
        handle.write(f"pid {os.getpid()}: {shown}, since {time.strftime('%H:%M:%S')}")
        handle.flush()
        yield
    finally:
        handle.close()
