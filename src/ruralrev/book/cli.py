"""The ``ruralrev`` command (:func:`main`: its errors, exit status and lock).

    ruralrev run [CHAPTER ...] [-p name=value ...]   execute chapters (all by default)
    ruralrev build [CHAPTER ...] [-p name=value ...] execute chapters (all by default), then build the HTML
    ruralrev verify [CHAPTER ...]                     re-execute everything and compare with the book
    ruralrev student [--no-html]                      the student edition (HTML, and notebooks for JupyterLab)
    ruralrev data build --raw ../shared/data          rebuild the official-statistics snapshot
    ruralrev data check                               validate the committed snapshot
    ruralrev linkcheck                                check external links (internal ones are tested)
"""

from __future__ import annotations

import sys
from pathlib import Path

from ruralrev.book.arguments import parser
from ruralrev.core.errors import Interrupted, ParameterError, RunError, UsageError

__all__ = ["main"]


def _publish(chapters, stream, failed=(), started_sphinx=None, no_run=False) -> list[str]:
    """Stale banners, the generated pages, then the HTML; returns the stale chapters. Refused
    (nothing rendered) when a page was edited by hand after its execution."""
    from ruralrev.book import publish, report, verify
    from ruralrev.book.execute import environment_digest
    from ruralrev.core import paths

    environment = environment_digest()
    present = [c for c in chapters if c.output.is_file()]
    missing = [c.name for c in chapters if not c.output.is_file()]
    if missing and set(missing) <= set(failed):
        raise RunError(f"{', '.join(missing)} failed and has no earlier page to keep: the HTML was not built")
    if missing:
        raise RunError(f"no executed copy of {', '.join(missing)}: run `ruralrev build` (without --no-run) first")
    edited = publish.edited_pages(present)
    if edited:
        from ruralrev.book.execute import page_state

        shown = ", ".join(str(c.output.relative_to(paths.ROOT)) if c.output.is_relative_to(paths.ROOT) else str(c.output)
                          for c in edited)
        why = ("edited after its execution (its content no longer matches the hash recorded then)"
               if any(page_state(c.output) == "edited" for c in edited) else
               "executed by an earlier version of ruralrev, which recorded no content hash")
        raise (UsageError if no_run else RunError)(
            f"{shown}: {why}; the HTML was not built. Re-execute it with `ruralrev build "
            f"{' '.join(c.name for c in edited)}`")
    stale = publish.mark_stale(present, environment)
    report.write_reproducibility_page(present, stale=stale)
    report.write_headline_map(environment=environment)
    verify.refresh_page(verify.page_keys(chapters))
    publish.build_book(stream=stream, started_sphinx=started_sphinx)
    if stale:
        print(f"book: {len(stale)} stale page(s), marked with a banner: {', '.join(stale)}", file=stream, flush=True)
    for line in publish.guard_lines(publish.failed_guards(present)):
        print(f"book: {line}", file=stream, flush=True)
    return stale


def _build(args, stream) -> int:
    from ruralrev.book import publish
    from ruralrev.book.lock import checkout_lock
    from ruralrev.book.params import load_plan
    from ruralrev.book.runner import kill_tree, run_chapters

    sphinx, imports = [], []  # Sphinx starts loading while the first chapter runs (a spare core waits on the kernel)

    def prepare() -> None:
        import importlib
        import threading

        sphinx.append(publish.start_sphinx())
        # the pages written after the run need pandas (a third of a second): import it meanwhile
        imports.append(threading.Thread(target=importlib.import_module, args=("ruralrev.book.report",), daemon=True))
        imports[0].start()

    with checkout_lock():
        try:
            failed = []
            if not args.no_run:
                results = run_chapters(args.chapters, args.parameter, jobs=args.jobs, force=args.force,
                                       stream=stream, before_execute=prepare)
                failed = [r.name for r in results if r.state == "failed"]
            for thread in imports:
                thread.join()   # an import error then surfaces once, from _publish
            _publish(load_plan(), stream, failed, sphinx[0] if sphinx else None, no_run=args.no_run)
        finally:
            for thread in imports:   # also after Ctrl-C: never leave an import running at exit
                thread.join()
            for process in sphinx:
                if process.poll() is None:
                    kill_tree(process)
    if failed:
        print(f"ruralrev: {len(failed)} chapter(s) failed ({', '.join(failed)}); their pages keep the last good "
              "run and are marked stale", file=stream)
        return 1
    return 0


def _verify(args, stream) -> int:
    from ruralrev.book import verify
    from ruralrev.book.lock import checkout_lock
    from ruralrev.book.params import load_plan

    with checkout_lock():
        rows, elapsed = verify.timed_verify(jobs=args.jobs, scratch=Path(args.keep) if args.keep else None,
                                            stream=stream, names=args.chapters)
        verify.print_report(rows, stream)
        book = verify.page_keys(load_plan())
        verified = {name: book[name] for name in dict.fromkeys(r.chapter for r in rows)}
        page, csv_path = verify.write_report(rows, verified, book, elapsed=elapsed)
        if not args.no_html and not args.chapters:
            from ruralrev.book import publish

            publish.build_book(stream=stream)
    different = sum(not r.equal for r in rows)
    print(f"verify: {len(rows)} items compared in {elapsed:.0f} s, "
          + ("all equal" if not different else f"{different} differ") + f"; report {page}, CSV {csv_path}",
          file=stream, flush=True)
    return 1 if different else 0


def _student(args, stream) -> int:
    from ruralrev.book import student
    from ruralrev.book.lock import checkout_lock

    with checkout_lock():   # reads the published pages: not while a build rewrites them
        made = student.build_student(html=not args.no_html, stream=stream)
    for line in made:
        print(f"student: {line}", file=stream, flush=True)
    return 0


def _publishes_into(folder: Path) -> bool:
    """True when ``folder`` is where the book's executed pages are published (``book/executed``)."""
    from ruralrev.book.params import load_plan

    try:
        target = folder.resolve()
        return any(c.output.parent.resolve() == target for c in load_plan())
    except OSError:
        return False


def _terminate(signum, frame):
    raise KeyboardInterrupt  # SIGTERM or SIGHUP stops the command the way Ctrl-C does (children first)


def main(argv: list[str] | None = None) -> int:
    """Run the ``ruralrev`` command line ``argv`` and return its exit status.

    Every problem is printed as one line starting with ``ruralrev:``, never a traceback. Exit
    status: 0 success; 1 a chapter, the HTML build or a verification failed; 2 the command was
    refused before anything ran (bad parameter, unknown chapter, unwritable folder, another build
    running, a page edited by hand after its execution for ``build --no-run``); 130 interrupted
    (SIGINT, SIGTERM or SIGHUP). Every command that writes into the published folder
    (``book/executed``) holds the checkout's lock (:mod:`ruralrev.book.lock`), ``run --into`` that
    folder included.
    """
    import signal
    import threading

    args = parser().parse_args(argv)
    if threading.current_thread() is not threading.main_thread():
        return _main(args, sys.stderr)
    stops = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, _terminate) for signum in stops}
    try:
        return _main(args, sys.stderr)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main(args, stream) -> int:
    try:
        if args.command == "run":
            from ruralrev.book.runner import run_chapters

            if args.into and not _publishes_into(Path(args.into)):
                results = run_chapters(args.chapters, args.parameter, jobs=args.jobs, force=args.force,
                                       into=Path(args.into), stream=stream)
            else:   # the published folder, by default or named with --into: one writer at a time
                from ruralrev.book.lock import checkout_lock

                with checkout_lock():
                    results = run_chapters(args.chapters, args.parameter, jobs=args.jobs, force=args.force,
                                           into=Path(args.into) if args.into else None, stream=stream)
            return 1 if any(r.state == "failed" for r in results) else 0
        if args.command == "build":
            return _build(args, stream)
        if args.command == "verify":
            return _verify(args, stream)
        if args.command == "student":
            return _student(args, stream)
        if args.command == "linkcheck":
            from ruralrev.book.publish import build_book

            build_book(builder="linkcheck")
        elif args.command == "data":
            from ruralrev.data import official
            from ruralrev.data.build import snapshot

            if args.data_command == "build":
                build = snapshot.build_snapshot(Path(args.raw))
                for path in build.files:
                    print(f"data: wrote {path}", file=stream)
                print(f"data: {build.n_flags} year-on-year breaks flagged in data/official/quality.csv; "
                      f"broadband urban + rural − total at most {build.broadband_identity_gap:.2f} (10,000s); "
                      f"table 2-6 against the exports at most {build.yearbook_gap:.2f} yuan", file=stream)
                for series, year, following, provinces in build.swapped:
                    print(f"data: {series} {year} and {following} look exchanged in {provinces} provinces (rule "
                          "swapped-years, flagged in quality.csv): check the export's year columns", file=stream)
            else:
                panel = official.load_panel()
                print(f"data: snapshot valid ({len(panel)} province-years)", file=stream)
    except Interrupted as exc:
        print(str(exc), file=stream, flush=True)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=stream, flush=True)
        return 130
    except ParameterError as exc:
        for problem in exc.problems:
            print(f"ruralrev: {problem}", file=stream)
        print("ruralrev: nothing was run", file=stream)
        return 2
    except UsageError as exc:
        print(f"ruralrev: {exc}", file=stream)
        return 2
    except (RunError, ValueError, FileNotFoundError) as exc:
        print(f"ruralrev: {exc}", file=stream)
        return 1
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"ruralrev: {exc.strerror or exc}{where}", file=stream)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
