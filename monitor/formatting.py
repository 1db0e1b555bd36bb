"""Short human forms of durations and follower counts, shared by the CLI, the dashboard and e-mails."""

from __future__ import annotations


def age(seconds: float) -> str:
    """A short duration: 45m, 3h05m, 2d4h (negative with a minus sign)."""
    sign = "-" if seconds < 0 else ""
    s = abs(int(seconds))
    if s >= 86400:
        return f"{sign}{s // 86400}d{(s % 86400) // 3600}h"
    if s >= 3600:
        return f"{sign}{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{sign}{s // 60}m"


def reach(followers: int | None) -> str:
    """Followers as 950, 12k, 1.2M; '?' when unknown."""
    if followers is None:
        return "?"
    if followers >= 1_000_000:
        return f"{followers / 1_000_000:.1f}M"
    if followers >= 1000:
        return f"{followers / 1000:.0f}k"
    return str(followers)
