"""A spike: consecutive hours whose mention volume (all mentions, or negative ones) rose far above the
week of hours before them. The digest reports the day's spikes; the spike alert reports the last hour's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

BASELINE_HOURS = 7 * 24  # spikes are judged against the week before each hour
SPIKE_K = 3.0
SPIKE_MIN_COUNT = 5


@dataclass(frozen=True)
class Spike:
    """The hours from ``start`` to ``end`` whose volume of ``kind`` mentions (``all`` or ``negative``)
    spiked: how many mentions they had, and the mean count per hour of the week of hours before the
    first."""

    start: datetime
    end: datetime
    count: int
    baseline_mean: float
    kind: str = "all"

    @property
    def key(self) -> str:
        """The spike's key in the delivery ledger: its first hour (as given) and its kind."""
        return f"{self.start:%Y-%m-%dT%H}:{self.kind}"
