"""Waiting for processes a test started to end: a poll with a generous deadline that only guards
against a hang. The tests assert what happened (exit codes, processes gone, files untouched),
never how fast."""

import os
import time

import psutil

#: Long enough for a loaded machine (two cores shared by several test runs); reached only by a hang.
HANG_GUARD_SECONDS = 120


def still_running(processes) -> list:
    """The processes that are still running (a zombie has ended: only its parent has not reaped it)."""
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def wait_until_gone(processes, timeout: float = HANG_GUARD_SECONDS) -> list:
    """Poll until none of ``processes`` runs, or ``timeout`` seconds pass; the ones still running."""
    deadline = time.monotonic() + timeout
    alive = still_running(processes)
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = still_running(alive)
    return alive


def own_env(**settings: str) -> dict[str, str]:
    """This process's environment without the test session's warm kernel server
    (:mod:`ruralrev.book.warm_kernels`), plus ``settings``: the run a test starts and then watches or
    kills owns its kernels (a cold one for a single chapter, forked from its own server for more)."""
    from ruralrev.book.warm_kernels import ENV

    return {**{k: v for k, v in os.environ.items() if k != ENV}, **settings}
