"""The ``ruralrev`` command.

    ruralrev run [CHAPTER ...] [-p name=value ...]   execute chapters (all by default)
    ruralrev build [-p name=value ...]               execute every chapter, then build the HTML
    ruralrev data build --raw ../shared/data          rebuild the official-statistics snapshot
    ruralrev data check                               validate the committed snapshot
    ruralrev linkcheck                                check external links (internal ones are tested)

Every failure prints one line starting with ``ruralrev:`` and exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import pipeline


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ruralrev", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute chapters through papermill")
    run.add_argument("chapters", nargs="*", help="chapter names or notebook paths (default: all)")
    run.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("-j", "--jobs", type=int, default=1, help="chapters run in parallel (default 1)")
    run.add_argument("--force", action="store_true", help="re-run chapters whose inputs have not changed")

    build = commands.add_parser("build", help="execute every chapter, then build the HTML book")
    build.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE")
    build.add_argument("--no-run", action="store_true", help="render the existing executed copies")
    build.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                       help="chapters run in parallel (default: the number of cores)")
    build.add_argument("--force", action="store_true", help="re-run chapters whose inputs have not changed")

    commands.add_parser("linkcheck", help="check the book's external links (needs the network)")

    data = commands.add_parser("data", help="the official-statistics snapshot")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_build = data_commands.add_parser("build", help="rebuild data/ from the raw NBS exports")
    data_build.add_argument("--raw", required=True, help="folder holding nbs-exports/ and MANIFEST.tsv")
    data_commands.add_parser("check", help="validate the committed snapshot")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            pipeline.run_chapters(args.chapters, args.parameter, jobs=args.jobs, force=args.force)
        elif args.command == "build":
            from . import report

            if not args.no_run:
                pipeline.run_chapters(None, args.parameter, jobs=args.jobs, force=args.force)
            report.write_reproducibility_page(pipeline.load_plan())
            report.write_headline_map()
            pipeline.build_book()
        elif args.command == "linkcheck":
            pipeline.build_book(builder="linkcheck")
        elif args.command == "data":
            from pathlib import Path

            from . import data, snapshot

            if args.data_command == "build":
                build = snapshot.build_snapshot(Path(args.raw))
                for path in build.files:
                    print(f"data: wrote {path}", file=sys.stderr)
                print(f"data: {build.n_flags} year-on-year breaks flagged in data/official/quality.csv; "
                      f"broadband urban + rural − total at most {build.broadband_identity_gap:.2f} (10,000s); "
                      f"table 2-6 against the exports at most {build.yearbook_gap:.2f} yuan", file=sys.stderr)
            else:
                panel = data.load_panel()
                print(f"data: snapshot valid ({len(panel)} province-years)", file=sys.stderr)
    except (pipeline.RunError, ValueError, FileNotFoundError) as exc:
        print(f"ruralrev: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
