"""Short human forms of durations and follower counts, shared by the CLI, the dashboard and e-mails."""

from __future__ import annotations

from monitor.i18n import format_span


def age(seconds: float) -> str:
    """A short duration: 45m, 3h05m, 2d4h (negative with a minus sign); ``i18n.format_span`` in English."""
    return format_span(seconds, "en")


def reach(followers: int | None) -> str:
    """Followers as 950, 12k, 1.2M; '?' when unknown."""
    if followers is None:
        return "?"
    if followers >= 1_000_000:
        return f"{followers / 1_000_000:.1f}M"
    if followers >= 1000:
        return f"{followers / 1000:.0f}k"
    return str(followers)
