"""Temporary files and scratch folders: only the book's own, and only when their process has ended."""

import fcntl
import os
import subprocess
import sys

import pytest

from ruralrev.core import files


def _leftover_of_a_dead_process(folder, name):
    """A file made the way atomic_path makes its temporary, by a process that has since ended."""
    code = ("import os, sys\nfrom ruralrev.core import files\n"
            "with files.atomic_path(sys.argv[1]) as tmp:\n    tmp.write_text('half')\n    os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(folder / name)], check=False)
    return [p for p in folder.iterdir() if p.name.startswith(f".{name}.ruralrev-")]


def test_only_abandoned_temporaries_of_the_named_outputs_are_removed(tmp_path):
    [abandoned] = _leftover_of_a_dead_process(tmp_path, "a.ipynb")
    [other] = _leftover_of_a_dead_process(tmp_path, "b.ipynb")          # not an output of this run
    users = [tmp_path / ".thesis.tmp", tmp_path / ".a.ipynb.tmp", tmp_path / "a.ipynb"]
    for path in users:
        path.write_text("mine")
    with files.atomic_path(tmp_path / "a.ipynb") as live:               # another run, still writing
        live.write_text("being written")
        assert files.remove_abandoned_temporaries(tmp_path, ["a.ipynb"]) == [abandoned]
        assert live.exists()
    assert not abandoned.exists() and other.exists()
    assert all(path.read_text() == "mine" for path in users[:2])
    assert (tmp_path / "a.ipynb").read_text() == "being written"         # the live writer finished


def test_an_interrupted_atomic_write_leaves_the_target_and_no_temporary(tmp_path):
    target = tmp_path / "page.ipynb"
    target.write_text("good")
    with pytest.raises(KeyboardInterrupt):
        with files.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "good" and [p.name for p in tmp_path.iterdir()] == ["page.ipynb"]


def test_abandoned_scratch_folders_are_removed_and_no_other(tmp_path):
    code = ("import os, sys\nfrom ruralrev.core import files\n"
            "with files.scratch_folder('ruralrev-run-', sys.argv[1]) as f:\n"
            "    (f / 'job.json').write_text('{}')\n    os._exit(0)\n")   # killed: no clean-up
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    [abandoned] = list(tmp_path.glob("ruralrev-run-*"))
    foreign = tmp_path / "ruralrev-run-made-by-something-else"
    foreign.mkdir()
    (foreign / "x").write_text("x")
    other_prefix = tmp_path / "ruralrev-verify-abc"
    other_prefix.mkdir()
    (other_prefix / files.OWNER_FILE).write_text("")
    with files.scratch_folder("ruralrev-run-", tmp_path) as live:
        assert files.remove_abandoned_folders("ruralrev-run-", tmp_path) == [abandoned]
        assert live.is_dir()
    assert not live.exists() and foreign.is_dir() and other_prefix.is_dir()


def test_a_folder_is_replaced_as_a_whole(tmp_path):
    old, new = tmp_path / "official", tmp_path / ".staging" / "official"
    old.mkdir()
    (old / "a.csv").write_text("old a")
    (old / "b.csv").write_text("old b")
    new.mkdir(parents=True)
    (new / "a.csv").write_text("new a")
    (new / "b.csv").write_text("new b")
    files.replace_folder(new, old)
    assert {p.name: p.read_text() for p in old.iterdir()} == {"a.csv": "new a", "b.csv": "new b"}
    assert {p.name: p.read_text() for p in new.iterdir()} == {"a.csv": "old a", "b.csv": "old b"}


def test_a_locked_temporary_is_not_abandoned(tmp_path):
    path = tmp_path / ".x.ruralrev-abcdefgh.tmp"
    path.write_text("")
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert files.remove_abandoned_temporaries(tmp_path, ["x"]) == []
    finally:
        os.close(fd)
    assert files.remove_abandoned_temporaries(tmp_path, ["x"]) == [path]
