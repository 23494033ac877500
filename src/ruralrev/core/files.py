"""Writing files so that a reader never sees half of one: write a temporary file, then rename.

The temporary file sits beside the target (same file system, so the rename is atomic) with a
hidden ``.<name>.*.tmp`` name; it is removed if the writing fails. A process killed mid-write
leaves the previous file untouched and at most a stale temporary, which the runner cleans up.
The file gets the permissions of an ordinary new file (``0666`` less the umask), not the
owner-only mode of a temporary file, so a published page is readable by everyone.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_path", "write_text", "write_if_changed"]


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str = ".tmp"):
    """Yield a temporary path beside ``target``; rename it over ``target`` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
