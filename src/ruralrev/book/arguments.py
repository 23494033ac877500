"""The ``ruralrev`` command line: its sub-commands and options (argparse).
"""

from __future__ import annotations

import argparse
import os

__all__ = ["parser"]


def parser() -> argparse.ArgumentParser:
    """The command-line grammar (also used to read a page's reproduce command back)."""
    top = argparse.ArgumentParser(prog="ruralrev", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    cores = os.cpu_count() or 1

    run = commands.add_parser("run", help="execute chapters through papermill")
    run.add_argument("chapters", nargs="*", help="chapter names or notebook paths (default: all)")
    run.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("-j", "--jobs", type=int, default=1, help="chapters run in parallel (default 1)")
    run.add_argument("--force", action="store_true", help="re-run chapters whose inputs have not changed")
    run.add_argument("--into", metavar="DIR", help="write the executed notebooks into DIR instead of book/executed")

    build = commands.add_parser("build", help="execute the chapters (all by default), then build the HTML book")
    build.add_argument("chapters", nargs="*", help="chapter names or notebook paths (default: all)")
    build.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE")
    build.add_argument("--no-run", action="store_true", help="render the existing executed copies")
    build.add_argument("-j", "--jobs", type=int, default=cores, help="chapters run in parallel (default: the cores)")
    build.add_argument("--force", action="store_true", help="re-run chapters whose inputs have not changed")

    verify = commands.add_parser("verify", help="re-execute every chapter from a clean state and compare it "
                                                "with the published book")
    verify.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    verify.add_argument("-j", "--jobs", type=int, default=cores, help="chapters run in parallel (default: the cores)")
    verify.add_argument("--keep", metavar="DIR", help="keep the re-executed notebooks in DIR")
    verify.add_argument("--no-html", action="store_true", help="write the report but do not re-render the book")

    student = commands.add_parser("student", help="the student edition: the book and notebooks for JupyterLab "
                                                  "without solutions (after `ruralrev build`)")
    student.add_argument("--no-html", action="store_true", help="only the notebooks for JupyterLab")

    commands.add_parser("linkcheck", help="check the book's external links (needs the network)")

    data = commands.add_parser("data", help="the official-statistics snapshot")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_build = data_commands.add_parser("build", help="rebuild data/ from the raw NBS exports")
    data_build.add_argument("--raw", required=True, help="folder holding nbs-exports/ and MANIFEST.tsv")
    data_commands.add_parser("check", help="validate the committed snapshot")
    return top
