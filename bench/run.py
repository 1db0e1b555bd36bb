"""Every repmon benchmark in one run: ``monitor.bench.run`` (also `repmon bench all`).

    .venv/bin/python bench/run.py [--quick] [--no-readme] [--workers-backlog N]

Writes bench/results.json, bench/RESULTS.md and the table between the bench markers in README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, installed or not

from monitor.bench.run import main

if __name__ == "__main__":
    sys.exit(main())
