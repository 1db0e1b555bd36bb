"""The running monitor posts the replies people queued (the outbox, ``monitor/storage/outbox.py``).

The dashboard and `repmon respond --post` only queue a reply (``actions.queue_reply``); this step of
`repmon run` (and of `repmon run --once`) is the only place that reads the platforms' write tokens and
posts. For each queued row that is due:

1. claim it (``posting``, committed before anything is sent: a second claimant gets nothing);
2. check again what queuing checked (the item can still be responded to, the reply is still approved,
   the person who queued it may still respond); if not, the row fails and nothing is posted;
3. post through ``monitor/sources/replies.py``; record the platform's id; mark the item responded
   through the same workflow action as a person would (``actions.perform(..., "respond")``), as the
   person who queued it, audited.

A failed attempt keeps the row and its error and is retried at a later pass, with a growing delay (or at
the platform's rate-limit reset), until ``REPMON_OUTBOX_MAX_ATTEMPTS`` attempts have failed: then the row
is ``failed``, shown on the item page and by `repmon status`. An answer that leaves it unknown whether
the reply went out (the platform accepted it but sent no id, an unexpected error, a monitor stopped
mid-post) fails the row at once with "check the platform before retrying": it is never re-sent by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.errors import BadPayload, ConfigError, MonitorError, RateLimited
from monitor.i18n import N_
from monitor.records import Platform
from monitor.settings import current
from monitor.storage import Store
from monitor.storage.outbox import STUCK_ADVICE, OutboxEntry

log = logging.getLogger("repmon.outbox")

# A row still ``posting`` this long after its claim was left by a monitor that stopped mid-post (a post
# takes seconds: the platforms' HTTP calls time out well within this).
POSTING_LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)

# (platform, the id of the post it answers, the reply's text, now) -> the platform's id of the reply
Poster = Callable[[str, str, str, datetime], str]


@dataclass
class OutboxReport:
    """What one outbox pass did; ``errors`` holds one line per failed attempt."""

    posted: list[tuple[int, str]] = field(default_factory=list)  # (item id, the platform's reply id)
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    off: bool = False

    def __str__(self) -> str:
        if self.off:
            return "posting replies is off (REPMON_POST_REPLIES): queued replies wait"
        return f"{len(self.posted)} posted, {self.retrying} to retry, {self.failed} failed"


def post_to_platform(platform: str, in_reply_to: str, text: str, now: datetime) -> str:
    """Post ``text`` as a reply to ``in_reply_to`` as the business's own account; the reply's id. The
    write tokens are read here, in the monitor's process, and nowhere else."""
    if platform == Platform.X:
        from monitor.sources.replies import post_x_reply, x_user_client

        names = (
            "REPMON_X_API_KEY",
            "REPMON_X_API_SECRET",
            "REPMON_X_ACCESS_TOKEN",
            "REPMON_X_ACCESS_TOKEN_SECRET",
        )
        settings = current()
        keys = [
            settings.x_api_key.get_secret_value(),
            settings.x_api_secret.get_secret_value(),
            settings.x_access_token.get_secret_value(),
            settings.x_access_token_secret.get_secret_value(),
        ]
        if not all(keys):
            raise ConfigError(
                N_("posting to X needs {settings} (the business's own account)"), settings=list(names)
            )
        return post_x_reply(x_user_client(*keys), in_reply_to, text)
    if platform == Platform.FACEBOOK:
        from monitor.sources.facebook import FacebookSource
        from monitor.sources.replies import post_facebook_reply

        settings = current()
        token, page = settings.facebook_page_token.get_secret_value(), settings.facebook_page_id
        if not token or not page:
            raise ConfigError(
                N_("posting to Facebook needs REPMON_FACEBOOK_PAGE_ID and REPMON_FACEBOOK_PAGE_TOKEN")
            )
        source = FacebookSource("facebook-replies", page, token, version=settings.facebook_graph_version)
        return post_facebook_reply(source, in_reply_to, text, now)
    raise ConfigError(
        N_("repmon cannot post replies on {value!r}: post it by hand and mark it responded"), value=platform
    )


def max_attempts() -> int:
    """REPMON_OUTBOX_MAX_ATTEMPTS: how many failed attempts make a queued reply ``failed``."""
    return current().outbox_max_attempts


def retry_at(entry: OutboxEntry, exc: Exception, now: datetime, attempts_allowed: int) -> datetime | None:
    """When a failed attempt is tried again: after 1, 2, 4 ... minutes (at most an hour), or at the
    platform's rate-limit reset if later; None when no attempt is left or a retry could post it twice."""
    if entry.attempts >= attempts_allowed or not isinstance(exc, MonitorError) or isinstance(exc, BadPayload):
        return None
    at = now + min(LAST_RETRY, FIRST_RETRY * 2 ** max(0, entry.attempts - 1))
    if isinstance(exc, RateLimited) and exc.reset_at and exc.reset_at > at:
        at = exc.reset_at
    return at


def post_queued(
    store: Store,
    now: datetime,
    *,
    post: Poster | None = None,
    attempts_allowed: int | None = None,
    limit: int = 20,
) -> OutboxReport:
    """One outbox pass: fail the rows a stopped monitor left ``posting``, then claim and post the queued
    rows that are due (see the module's docstring) through ``post`` (default ``post_to_platform``).
    Posting off (REPMON_POST_REPLIES): rows wait."""
    from monitor.actions import check_postable, perform
    from monitor.pipeline import redact

    report = OutboxReport()
    for stuck in store.outbox.fail_stuck(now - POSTING_LEASE, now):
        report.failed += 1
        report.errors.append(f"item {stuck.item_id}: {stuck.last_error}")
    if not current().post_replies:
        report.off = True
        return report
    allowed = attempts_allowed or max_attempts()
    post = post or post_to_platform
    for entry in store.outbox.claim(now, limit):
        try:
            check_postable(store, entry.item_id, entry.queued_by, entry.text)
        except MonitorError as exc:  # nothing was posted, and a retry would not change that
            _failed(store, report, entry, f"not posted: {redact(str(exc))}", now, None)
            continue
        try:
            reply_id = post(entry.platform, entry.in_reply_to, entry.text, now)
        except Exception as exc:  # any failure keeps the row; none may stop the monitor
            message = redact(str(exc) if isinstance(exc, MonitorError) else f"{type(exc).__name__}: {exc}")
            again = retry_at(entry, exc, now, allowed)
            if again is None and (isinstance(exc, BadPayload) or not isinstance(exc, MonitorError)):
                message += f"; the reply may be on the platform: {STUCK_ADVICE}"
            _failed(store, report, entry, message, now, again)
            continue
        store.outbox.mark_posted(entry.id, reply_id, now)
        report.posted.append((entry.item_id, reply_id))
        try:
            perform(store, entry.item_id, "respond", entry.queued_by, now,
                    note=f"posted through the platform as {reply_id}", reply_id=reply_id)  # fmt: skip
        except MonitorError as exc:  # posted: say so on the row, never post it again
            store.outbox.note(
                entry.id,
                f"posted as {reply_id}, but the item could not be marked responded ({redact(str(exc))}): "
                f"mark it responded by hand (`repmon respond {entry.item_id} --reply-id {reply_id}`)",
            )
            report.errors.append(f"item {entry.item_id}: posted as {reply_id}; not marked responded: {exc}")
    return report


def _failed(
    store: Store,
    report: OutboxReport,
    entry: OutboxEntry,
    message: str,
    now: datetime,
    again: datetime | None,
) -> None:
    store.outbox.mark_attempt_failed(entry.id, message, now, again)
    if again is None:
        report.failed += 1
    else:
        report.retrying += 1
    log.warning("reply for item %s, attempt %s: %s", entry.item_id, entry.attempts, message)
    report.errors.append(f"item {entry.item_id} (attempt {entry.attempts}): {message}")
