"""Writing files so that a reader never sees half of one, and cleaning up only what is ours.

Files are written atomically (:func:`atomic_path`, :func:`write_text`, :func:`write_if_changed`:
a temporary beside the target, renamed over it); scratch folders are locked while in use
(:func:`scratch_folder`); whole folders are exchanged in one step (:func:`replace_folder`). What a
killed process leaves carries a lock that died with it, so the next run removes exactly that and
nothing else (:func:`remove_abandoned_temporaries`, :func:`remove_abandoned_folders`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = ["atomic_path", "write_text", "write_if_changed", "remove_abandoned_temporaries", "scratch_folder",
           "remove_abandoned_folders", "replace_folder", "OWNER_FILE"]

#: The lock file inside every scratch folder (:func:`scratch_folder`).
OWNER_FILE = ".ruralrev-owner"
_MARK = ".ruralrev-"
_RANDOM = r"[a-z0-9_]{8}"


def _lock(fd: int) -> bool:
    """Take an exclusive advisory lock on ``fd`` without waiting; False if another holds it.
    True where the platform has no ``flock`` (nothing is then ever judged abandoned)."""
    try:
        import fcntl
    except ImportError:   # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _abandoned(path: Path) -> bool:
    """True when ``path`` (a file) can be locked: the process that held its lock has ended."""
    try:
        import fcntl  # noqa: F401
    except ImportError:   # pragma: no cover - without flock nothing is known to be abandoned
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return _lock(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str = ".tmp"):
    """Yield a temporary path beside ``target``; rename it over ``target`` if the block succeeds.

    The temporary is named ``.<target name>.ruralrev-XXXXXXXX<suffix>`` and locked while it exists
    (see the Notes); on any error, or an interrupt, it is removed and ``target`` is unchanged.

    Notes
    -----
    It writes a temporary file beside the target (same file system, so the rename is atomic), then
    renames it over the target. The temporary has a name no one else uses,
    ``.<target>.ruralrev-XXXXXXXX.tmp`` (``XXXXXXXX`` random), and is held under an advisory lock
    (``flock``) while it exists; it is removed if the writing fails. A process killed mid-write
    leaves the previous file untouched and at most that temporary, whose lock died with the process:
    :func:`remove_abandoned_temporaries` removes such files — and nothing else (never a user's own
    ``.notes.tmp``, never a temporary whose writer is still running). The file gets the permissions
    of an ordinary new file (``0666`` less the umask), not the owner-only mode of a temporary file,
    so a published page is readable by everyone.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}{_MARK}", suffix=suffix, dir=target.parent)
    try:
        _lock(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        os.close(handle)


def write_text(target: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically and return the target."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_if_changed(target: Path, text: str) -> Path:
    """:func:`write_text` unless ``target`` already holds ``text``: an unchanged file keeps its
    modification time, so Sphinx does not re-read the page or file that depends on it."""
    target = Path(target)
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return target
    return write_text(target, text)


def remove_abandoned_temporaries(folder: Path, targets) -> list[Path]:
    """Remove the temporaries :func:`atomic_path` left beside ``targets`` (file names in ``folder``)
    when the process that wrote them is gone; return what was removed.

    Only files named ``.<target>.ruralrev-XXXXXXXX…`` for one of ``targets`` and no longer locked are
    removed: any other file, and a temporary another run is still writing, stay."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    names = "|".join(re.escape(str(name)) for name in targets)
    if not names:
        return []
    pattern = re.compile(rf"^\.(?:{names}){re.escape(_MARK)}{_RANDOM}(?:\.\w+)?$")
    removed = []
    for path in folder.iterdir():
        if pattern.match(path.name) and path.is_file() and _abandoned(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def scratch_folder(prefix: str, parent: Path | None = None):
    """A new folder ``<parent>/<prefix>XXXXXXXX`` (default parent: the temporary directory), locked
    by this process while the block runs and removed when it ends.

    It makes a uniquely named folder (``<prefix>XXXXXXXX``) holding a lock file,
    ``.ruralrev-owner``, locked for as long as the folder is in use; it is removed when the block
    ends. A process killed by SIGKILL (or anything else it cannot catch) cannot remove it, but its
    lock is released by the kernel: :func:`remove_abandoned_folders`, called by the next run,
    removes exactly the folders of that prefix whose lock is free. A folder without the lock file
    (made by something else) is never touched.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    fd = os.open(folder / OWNER_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        _lock(fd)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def remove_abandoned_folders(prefix: str, parent: Path | None = None) -> list[Path]:
    """Remove the folders :func:`scratch_folder` made with ``prefix`` in ``parent`` whose process
    has ended (their lock is free); return them. Folders without the lock file are left alone."""
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []
    for folder in candidates:
        owner = folder / OWNER_FILE
        if folder.is_dir() and not folder.is_symlink() and owner.is_file() and _abandoned(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one system call (Linux ``renameat2``); False where that is unavailable."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):   # a file system or kernel without it
        return False
    raise OSError(code, os.strerror(code), str(second))


def replace_folder(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target`` in one step; the previous ``target`` ends up at ``new``
    (for the caller to remove). Both must be on the same file system.

    One system call (Linux ``renameat2(RENAME_EXCHANGE)``) puts the complete new folder in place of
    the old one, so a reader, or an interrupt, sees the old folder or the new one, never a mix.

    Where the exchange is not available (not Linux), the old folder is moved aside and the new one
    moved in: two renames, with a moment between them in which ``target`` does not exist (never a mix).
    """
    new, target = Path(new), Path(target)
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        return
    aside = new.with_name(new.name + ".old")
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    os.rename(aside, new)
