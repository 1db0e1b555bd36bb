"""The HTTP policy both platforms share: a session that times out, one retry/backoff loop, and the
rate-limit headers read into a reset time.

- ``TimeoutSession``: tweepy sets no timeout and facebook-sdk may pass ``None``; every request gets the
  session's own. It keeps the last ``requests.Response`` (its raw bytes are evidence, its headers carry
  the rate-limit usage).
- ``RetryPolicy.call``: a transient failure (a 5xx or a timeout: the caller raises ``Transient``) is
  tried again after ``backoff * 2**attempt`` seconds, at most ``retries`` tries in all; then the caller's
  ``give_up`` error is raised. Anything else passes through at once. A scheduled job never sleeps on a
  rate limit: a 429 is translated by the caller into ``RateLimited`` with its reset time, not retried.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests

from monitor.errors import MonitorError, SourceError

T = TypeVar("T")
DEFAULT_TIMEOUT = 20.0


class TimeoutSession(requests.Session):
    """A session whose requests time out, and that keeps the last response."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.timeout = timeout
        self.last_response: requests.Response | None = None

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        self.last_response = None
        response = super().request(method, url, *args, **kwargs)
        self.last_response = response
        return response


class Transient(MonitorError):
    """A failure worth another try (a server error, a timeout); ``what`` names it for the last message.
    ``RetryPolicy.call`` catches it: it never reaches the user (the last try raises ``give_up``'s error)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass
class RetryPolicy:
    """Bounded retries with exponential backoff: ``retries`` tries, ``backoff * 2**attempt`` s between."""

    retries: int = 3
    backoff: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def call(
        self,
        attempt: Callable[[], T],
        give_up: Callable[[str], SourceError],
        *,
        source: str,
        what: str,
        on_retry: Callable[[str], None] | None = None,
    ) -> T:
        """``attempt()``'s result; a ``Transient`` it raises is retried, and after the last try
        ``give_up(transient.what)`` is raised. ``source`` and ``what`` name the call if no try ran."""
        for n in range(self.retries):
            try:
                return attempt()
            except Transient as exc:
                if n + 1 >= self.retries:
                    raise give_up(exc.what) from None
                if on_retry is not None:
                    on_retry(exc.what)
                self.sleep(self.backoff * 2**n)
        raise SourceError(source, f"{what} did not complete")


# -- rate-limit headers ---------------------------------------------------------------------------------

DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)
USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage", "x-ad-account-usage")


def reset_from_epoch(value: str | None) -> datetime | None:
    """A reset header in seconds since the epoch (X's ``x-rate-limit-reset``) as a time; None if absent."""
    return datetime.fromtimestamp(int(value), UTC) if value and value.isdigit() else None


def _usage_minutes(value: object) -> Iterator[float]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "estimated_time_to_regain_access":
                if isinstance(inner, int | float) and not isinstance(inner, bool):
                    yield float(inner)
            else:
                yield from _usage_minutes(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _usage_minutes(inner)


def regain_access_at(headers: Mapping[str, str], now: datetime) -> datetime:
    """When calls are allowed again, from the Graph usage headers (minutes); 15 minutes if none says."""
    lower = {k.lower(): v for k, v in headers.items()}
    minutes: list[float] = []
    for name in USAGE_HEADERS:
        try:
            minutes += list(_usage_minutes(json.loads(lower.get(name) or "null")))
        except ValueError:
            continue
    wait = max((m for m in minutes if m > 0), default=None)
    return now + (timedelta(minutes=wait) if wait else DEFAULT_RATE_LIMIT_WAIT)
