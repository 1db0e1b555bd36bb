"""When to re-read a post's counters: often while it is young or growing fast, rarely after (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.stored import OpenMention

FAST_GROWTH_PER_HOUR = 50.0


def refresh_interval(age: timedelta, growth_per_hour: float = 0.0) -> timedelta:
    """5 min in the first hour, 15 min to 6 h, hourly to a day, 6-hourly to 3 days, then daily;
    halved for a post gaining at least 50 engagements an hour."""
    hours = age.total_seconds() / 3600
    if hours < 1:
        step = timedelta(minutes=5)
    elif hours < 6:
        step = timedelta(minutes=15)
    elif hours < 24:
        step = timedelta(hours=1)
    elif hours < 72:
        step = timedelta(hours=6)
    else:
        step = timedelta(hours=24)
    return step / 2 if growth_per_hour >= FAST_GROWTH_PER_HOUR else step


def refresh_due(row: OpenMention, now: datetime) -> bool:
    """For a post of ``Store.open_mentions``: is a new metric read due now?"""
    if row.last_at is None:
        return True
    growth = 0.0
    if row.previous is not None and row.engagement is not None:
        age_of_last = max((row.last_at - row.created_at).total_seconds() / 3600, 1 / 60)
        growth = (row.engagement - row.previous) / min(age_of_last, 1.0)
    return now - row.last_at >= refresh_interval(now - row.created_at, growth)
