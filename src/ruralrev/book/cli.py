"""The ``ruralrev`` command.

    ruralrev run [CHAPTER ...] [-p name=value ...]   execute chapters (all by default)
    ruralrev build [CHAPTER ...] [-p name=value ...] execute chapters (all by default), then build the HTML
    ruralrev verify [CHAPTER ...]                     re-execute everything and compare with the book
    ruralrev data build --raw ../shared/data          rebuild the official-statistics snapshot
    ruralrev data check                               validate the committed snapshot
    ruralrev linkcheck                                check external links (internal ones are tested)

Every problem is printed as one line starting with ``ruralrev:``, never a traceback. Exit
status: 0 success; 1 a chapter, the HTML build or a verification failed; 2 the command was
refused before anything ran (bad parameter, unknown chapter, unwritable folder, another build
running); 130 interrupted (SIGINT or SIGTERM).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ruralrev.book.arguments import parser
from ruralrev.core.errors import Interrupted, ParameterError, RunError, UsageError

__all__ = ["main"]


def _publish(chapters, stream, failed=(), started_sphinx=None) -> list[str]:
    """Stale banners, the generated pages, then the HTML; returns the stale chapters."""
    from ruralrev.book import publish, report, verify
    from ruralrev.book.execute import environment_digest

    environment = environment_digest()
    present = [c for c in chapters if c.output.is_file()]
    missing = [c.name for c in chapters if not c.output.is_file()]
    if missing and set(missing) <= set(failed):
        raise RunError(f"{', '.join(missing)} failed and has no earlier page to keep: the HTML was not built")
    if missing:
        raise RunError(f"no executed copy of {', '.join(missing)}: run `ruralrev build` (without --no-run) first")
    stale = publish.mark_stale(present, environment)
    report.write_reproducibility_page(present, stale=stale)
    report.write_headline_map(environment=environment)
    verify.refresh_page(verify.page_keys(chapters))
    publish.build_book(stream=stream, started_sphinx=started_sphinx)
    if stale:
        print(f"book: {len(stale)} stale page(s), marked with a banner: {', '.join(stale)}", file=stream, flush=True)
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
            _publish(load_plan(), stream, failed, sphinx[0] if sphinx else None)
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


def _terminate(signum, frame):
    raise KeyboardInterrupt  # SIGTERM stops the command the way Ctrl-C does (children first)


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    args = parser().parse_args(argv)
    if threading.current_thread() is not threading.main_thread():
        return _main(args, sys.stderr)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _main(args, sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(args, stream) -> int:
    try:
        if args.command == "run":
            from ruralrev.book.runner import run_chapters

            if args.into:
                results = run_chapters(args.chapters, args.parameter, jobs=args.jobs, force=args.force,
                                       into=Path(args.into), stream=stream)
            else:
                from ruralrev.book.lock import checkout_lock

                with checkout_lock():
                    results = run_chapters(args.chapters, args.parameter, jobs=args.jobs, force=args.force,
                                           stream=stream)
            return 1 if any(r.state == "failed" for r in results) else 0
        if args.command == "build":
            return _build(args, stream)
        if args.command == "verify":
            return _verify(args, stream)
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
