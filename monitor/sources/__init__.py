"""Sources: where mentions come from. Each turns vendor payloads into records at the edge.

A source yields one ``SourcePage`` at a time (a generator of pages); the pipeline stores each page with
its cursor in one transaction before asking for the next, so a crash never loses or repeats work.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from monitor.records import SourcePage


class Source(Protocol):
    """What the pipeline needs from a source."""

    name: str
    # Optional: ``min_interval`` (a timedelta), the least time between two successful polls.

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        """Pages of new mentions and fresh metric snapshots since ``cursor``, oldest first."""
        ...
