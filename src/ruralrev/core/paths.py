"""Where things live. Everything is resolved from the project root, never the working directory.

The package is installed in editable mode (``pip install -e .``), so the project root is three
levels above this file. ``RURALREV_ROOT`` overrides it (e.g. for a copy of the data elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("RURALREV_ROOT", Path(__file__).resolve().parents[3]))
DATA = ROOT / "data"
PAPERS_DATA = DATA / "papers"
NOTEBOOKS = ROOT / "notebooks"
PARAMS_FILE = NOTEBOOKS / "params.yml"
#: The raw material shared beside the project; absent from a reader's clone.
SHARED = Path(os.environ.get("RURALREV_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
RAW_DATA = SHARED / "data"
