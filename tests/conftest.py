"""Shared fixtures. Tests that need the raw material in ../shared skip with a reason without it."""

from __future__ import annotations

import atexit
import os

import pytest
from threadpoolctl import threadpool_limits

from ruralrev.book import runner, startup, warm_kernels
from ruralrev.book.execute import KERNEL_ENV
from ruralrev.core import paths

# Single-threaded BLAS/OpenMP, as in the book's kernels: the suite's fits are small matrices, where
# two BLAS threads on a two-core machine shared with a second test worker double the CPU time
# (test_inference_variants + test_convergence: 9.3 → 4.8 s of CPU) and make floating-point sums
# depend on the thread count. numpy is already loaded here (pytest resolves the pandas warning
# class of the filterwarnings setting first), so the limit is set at run time with threadpoolctl;
# the variables are for the processes the tests start.
for _name, _value in KERNEL_ENV.items():
    if _name.endswith("_THREADS"):
        os.environ.setdefault(_name, _value)
_SINGLE_THREADED = threadpool_limits(limits=1)


@pytest.fixture(scope="session")
def seeds_dir():
    if not paths.SEEDS.is_dir():
        pytest.skip(f"source papers not available at {paths.SEEDS} (a reader's clone has no ../shared)")
    return paths.SEEDS


@pytest.fixture(scope="session")
def raw_data_dir():
    if not (paths.RAW_DATA / "MANIFEST.tsv").is_file():
        pytest.skip(f"raw NBS exports not available at {paths.RAW_DATA} (a reader's clone has no ../shared)")
    return paths.RAW_DATA


@pytest.fixture(scope="session")
def panel():
    """The committed province-year panel (read once per test session)."""
    from ruralrev.data import official

    return official.load_panel()


@pytest.fixture(scope="session")
def w():
    """Queen contiguity weights of the 31 provinces, row-standardised (the spatial tests' default).
    Session-wide: tests must not change its transform."""
    from ruralrev.stats.spatial import neighbours

    return neighbours.province_weights()


def pytest_collection_finish(session):
    """Whether this session runs slow tests (those that execute chapters; under xdist, whether the
    selection does, whichever worker gets them): see :func:`warm_kernel_server`."""
    session.config.ruralrev_runs_slow_tests = any(item.get_closest_marker("slow") for item in session.items)


@pytest.fixture(scope="session", autouse=True)
def warm_kernel_server(request, tmp_path_factory):
    """One warm server per test process (:mod:`ruralrev.book.warm_kernels`): every chapter a test runs,
    by the command or in the runner, forks its kernel from it instead of importing the stack again.
    Started only in a session that runs slow tests (the ones that execute chapters; importing the
    stack costs a few seconds of CPU). Tests that watch a run's own kernels run without it
    (``process_helpers.own_env``)."""
    if (not warm_kernels.available() or warm_kernels.ENV in os.environ
            or not getattr(request.config, "ruralrev_runs_slow_tests", True)):
        yield None
        return
    scratch = tmp_path_factory.mktemp("warm-kernels")
    started = warm_kernels.start_server(scratch, runner.kernel_environment(scratch))
    if started is None:
        yield None
        return
    process, address = started
    os.environ[warm_kernels.ENV] = address
    try:
        yield address
    finally:
        os.environ.pop(warm_kernels.ENV, None)
        runner.kill_tree(process)


#: The longest test files, longest first. Under ``pytest-xdist`` (``tasks.py test`` runs ``--dist
#: loadfile --no-loadscope-reorder``) each file goes whole to one worker and files are handed out
#: in collection order (a worker gets its next file while its current one still runs its last
#: tests), so the two longest start at once on the two workers instead of one of them starting last
#: and running alone at the end.
LONGEST_FIRST = ("test_verify.py", "test_exercises.py", "test_browser.py", "test_student.py", "test_pipeline.py",
                 "test_runner_cache.py", "test_spatial_chapter.py", "test_site.py", "test_gap.py",
                 "test_runner.py", "test_digital_chapter.py", "test_spatial.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: file order kept otherwise


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """A test worker (``pytest-xdist``) ends without Python's teardown, as the book's processes do
    (:func:`ruralrev.book.startup.exit_without_teardown`): by then it has sent every report and
    its session has finished, and freeing its heap (the scientific stack, Sphinx, the figures)
    object by object kept the whole run waiting about 3 s at the end. Registered last, so it runs
    first at exit; the run's own process (the controller) ends as usual."""
    if hasattr(config, "workerinput"):
        atexit.register(startup.exit_without_teardown, 0)
