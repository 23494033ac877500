"""One chapter executed in its own process: ``python -m ruralrev.book.worker JOB.json``.

The runner (:mod:`ruralrev.book.runner`) writes the job (chapter, parameters, cache key, where to
write) as JSON, starts this module in a new session with its output sent to a log file, and
reads ``result.json`` back. The worker writes only inside the runner's scratch folder: the
runner alone moves a finished notebook into place, so a killed worker can never leave half a
page, and nothing is written once the runner has exited.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

__all__ = ["main"]


def main(job_file: str) -> int:
    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    from ruralrev.book.startup import die_with, skip_unused_import

    die_with(job["parent"])   # the kernel then follows: ipykernel exits when its parent process is gone
    skip_unused_import()   # before papermill imports nbformat (about 1 s less per chapter)
    result = Path(job["result"])
    started = time.perf_counter()
    try:
        from ruralrev.book.execute import execute
        from ruralrev.book.params import Chapter
        from ruralrev.core.errors import RunError

        # with its schema: the page's parameters box writes each value as its type reads back
        chapter = Chapter(job["name"], Path(job["source"]), Path(job["output"]), job["defaults"], job["schema"],
                          tuple(job["rules"]))
        seconds = execute(chapter, job["parameters"], job["key"], Path(job["target"]), Path(job["failed_copy"]))
        outcome = {"ok": True, "seconds": seconds}
    except RunError as exc:
        outcome = {"ok": False, "error": str(exc), "seconds": time.perf_counter() - started}
    except Exception as exc:  # noqa: BLE001 - reported as one line by the runner; the log has the traceback
        import traceback

        traceback.print_exc()
        outcome = {"ok": False, "error": f"{job['name']}: {type(exc).__name__}: {exc}",
                   "seconds": time.perf_counter() - started}
    result.write_text(json.dumps(outcome), encoding="utf-8")
    return 0 if outcome["ok"] else 1


if __name__ == "__main__":
    from ruralrev.book.startup import exit_without_teardown

    exit_without_teardown(main(sys.argv[1]))   # result.json is written and closed by now
