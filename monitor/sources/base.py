"""What every source shares: the ``Source`` protocol the pipeline calls, and the value checks both
platforms' parsers apply to a vendor's fields (a time in UTC, a count)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

from monitor.records import SourcePage
from monitor.sources.payloads import PayloadError

# The largest counter a snapshot stores: the metric columns are INTEGER, 32 bits on PostgreSQL (and 64 on
# SQLite); no post has two billion likes, so a larger number is a broken payload, not a count.
MAX_COUNT = 2_000_000_000


class Source(Protocol):
    """What the pipeline needs from a source."""

    name: str
    min_interval: timedelta | None  # the least time between two successful polls; None: every pass

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        """Pages of new mentions and fresh metric snapshots since ``cursor``, oldest first."""
        ...


def parse_utc(value: object, field: str) -> datetime:
    """An ISO 8601 time from a payload's ``field``, in UTC. The platforms always send an offset (X sends
    UTC); a saved file without one is read as UTC, never as local time.
    ``PayloadError`` (a ValueError) if not a time."""
    if not isinstance(value, str):
        raise PayloadError(f"{field} {value!r} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # an offset that moves the time past year 1 or 9999 (0001-01-01T00:00+01:00) overflows here
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise PayloadError(f"{field} {value!r} is not a timestamp") from None


def as_object(value: object) -> dict:
    """A payload's or a cursor's member that should be a JSON object; an empty one if it is not."""
    return value if isinstance(value, dict) else {}


def count(value: object, what: str) -> int:
    """A counter from a payload: an integer from 0 to ``MAX_COUNT`` (not a bool); ``PayloadError`` (a
    ValueError) naming ``what`` if not."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        raise PayloadError(f"{what} {value!r} is not a count")
    return value
