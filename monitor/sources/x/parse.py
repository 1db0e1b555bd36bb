"""X API v2 response bodies into records (pure): tweets (search, mentions, lookup, quotes) and retweeters.

A tweet without ``created_at`` (X's default fields) gets the time in its Snowflake id, one without an
author the unknown author; a malformed tweet is skipped and listed, never the whole page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeGuard

from monitor.errors import BadPayload
from monitor.records import (
    UNKNOWN_AUTHOR,
    UNKNOWN_AUTHOR_NAME,
    Mention,
    MentionMetrics,
    MetricSnapshot,
    Platform,
    RawPayload,
    Share,
    SkippedItem,
    mention_problems,
    skipped_item,
)
from monitor.sources.base import as_object, count, parse_utc
from monitor.sources.payloads import PayloadError, item_bytes, load_json, value_bytes

log = logging.getLogger("repmon.sources.x")

SNOWFLAKE_EPOCH_MS = 1288834974657
# The lowest Snowflake id a day after X's epoch; ids from before Snowflakes were far smaller (< 3e10).
SNOWFLAKE_MIN = (24 * 3600 * 1000) << 22


def parse_retweeters(
    body: bytes, now: datetime, tweet_id: str, source: str = "import"
) -> tuple[list[Share], str | None]:
    """GET /2/tweets/:id/retweeted_by: the users who retweeted, as ``Share`` records, and the next token."""
    try:
        obj = load_json(body)
        if not isinstance(obj, dict) or not isinstance(obj.get("data", []), list):
            raise PayloadError("not a list of users")
        raws = item_bytes(body, "data")
    except PayloadError as exc:
        raise BadPayload(source, f"retweeters of {tweet_id}: {exc}") from exc
    shares = []
    for user, raw in zip(obj.get("data", []), raws):
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            log.warning("source %r: skipped a retweeter without an id", source)
            continue
        followers = (user.get("public_metrics") or {}).get("followers_count")
        shares.append(
            Share(
                platform=Platform.X,
                external_id=tweet_id,
                sharer_id=user["id"],
                sharer_handle=str(user.get("username") or "unknown"),
                sharer_name=str(user.get("name") or user.get("username") or "unknown"),
                sharer_followers=followers
                if isinstance(followers, int) and not isinstance(followers, bool)
                else None,
                kind="retweet",
                raw=RawPayload(body=raw, captured_at=now),
            )
        )
    meta = as_object(obj.get("meta"))
    return shares, meta.get("next_token")


@dataclass(frozen=True)
class ParsedResponse:
    """One X API v2 response body turned into records, and the tweets it could not turn (``skipped``)."""

    mentions: tuple[Mention, ...]
    metrics: tuple[MentionMetrics, ...]
    skipped: tuple[SkippedItem, ...] = ()
    not_found: tuple[str, ...] = ()
    # the per-item errors of the body (a tweet or user X would not send: not found, suspended, protected),
    # one item each naming the resource and X's reason; the posts gone are in ``not_found`` as well
    errors: tuple[SkippedItem, ...] = ()
    next_token: str | None = None
    newest_id: str | None = None
    result_count: int = 0


def snowflake_time(tweet_id: str) -> datetime:
    """When a tweet was created, read from its id: X ids since November 2010 are Snowflakes, whose top
    bits count milliseconds since X's epoch (2010-11-04 01:42:54.657 UTC). Older ids carry no time."""
    number = int(tweet_id)
    if number < SNOWFLAKE_MIN:
        raise PayloadError(f"created_at is missing and id {tweet_id} is older than X's time-stamped ids")
    try:
        return datetime.fromtimestamp(((number >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, UTC)
    except (OverflowError, OSError, ValueError):  # an id whose time would fall after the year 9999
        raise PayloadError(
            f"created_at is missing and id {tweet_id} is too large to be an X id with a time in it"
        ) from None


def _count(metrics: dict, key: str) -> int:
    return count(metrics.get(key, 0), f"public_metrics.{key}")


def parse_response(
    body: bytes,
    now: datetime,
    source: str = "import",
    own_account_id: str | None = None,
    is_demo: bool = False,
) -> ParsedResponse:
    """Turn one X API v2 tweets response body (search, mentions, lookup, quotes) into records.

    A tweet without ``created_at`` (X's default fields) gets the time in its id, one without an author the
    unknown author; a tweet with a bad id, time, counter or text, that ``mention_problems`` refuses, or with
    the id of an earlier tweet of the body but another text or time, is skipped and listed in ``skipped``
    (the same tweet twice is kept once). A body that is an API error, not JSON, holds a key twice, or is not
    an X response raises ``BadPayload``. The per-item errors of a body that has them (a 200 with ``errors``)
    are listed in ``errors``, and the ids of the posts X no longer has in ``not_found``.
    """
    try:
        obj = load_json(body)
        if not isinstance(obj, dict):
            raise PayloadError("the body is not a JSON object")
        if "error" in obj and isinstance(obj["error"], dict):
            raise PayloadError(
                "this is a Facebook Graph API body, not an X API response (use --platform facebook)"
            )
        errors = obj.get("errors", [])
        if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
            raise PayloadError("'errors' is not a list of error objects")
        per_item = errors and all("resource_id" in e or "value" in e for e in errors)
        if "data" not in obj and ("title" in obj or errors) and "meta" not in obj and not per_item:
            first = errors[0] if errors else {}
            title = obj.get("title") or first.get("title", "error")
            detail = obj.get("detail") or first.get("detail", "")
            raise PayloadError(f"an X API error response: {title}: {detail}".rstrip(": "))
        includes = obj.get("includes", {})
        if not isinstance(includes, dict) or not isinstance(includes.get("users", []), list):
            raise PayloadError("'includes.users' is not a list of users")
        data = obj.get("data", [])
        if isinstance(data, dict):  # a single-tweet lookup (GET /2/tweets/:id)
            data, raws = [data], [value_bytes(body, "data")]
        elif isinstance(data, list):
            raws = item_bytes(body, "data")
        else:
            raise PayloadError("'data' is not a list of tweets")
        if len(raws) != len(data):  # pragma: no cover - one decoder reads both; never trust a misalignment
            raise PayloadError("the tweets and their bytes do not line up")
        if any(isinstance(t, dict) and "created_time" in t and "text" not in t for t in data):
            raise PayloadError(
                "this is a Facebook Graph API body, not an X API response (use --platform facebook)"
            )
    except PayloadError as exc:
        raise BadPayload(source, str(exc)) from exc
    users = {u.get("id"): u for u in includes.get("users", []) if isinstance(u, dict)}
    mentions, metrics, skipped = [], [], []
    kept: dict[str, Mention] = {}
    for n, (tweet, raw) in enumerate(zip(data, raws), 1):
        try:
            mention, snap = _tweet(tweet, raw, users, now, source, own_account_id, is_demo)
            if problems := mention_problems(mention, now):
                raise PayloadError("; ".join(problems))
            if (first := kept.get(mention.external_id)) is not None:
                if (first.text, first.created_at) == (mention.text, mention.created_at):
                    continue  # the same post twice: keep the first
                raise PayloadError(
                    f"the id {mention.external_id} is already an earlier post of this response, with a "
                    "different text or time: only the first was kept; check the response"
                )
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            tid = tweet.get("id") if isinstance(tweet, dict) else None
            skipped.append(skipped_item("tweet", n, tid if _is_tweet_id(tid) else None, str(exc)))
            continue
        kept[mention.external_id] = mention
        mentions.append(mention)
        metrics.append(snap)
    not_found = tuple(  # the posts gone, not a user of the expansions (an author X could not find)
        str(e.get("resource_id") or e.get("value"))
        for e in errors
        if "not-found" in str(e.get("type", "")) + str(e.get("title", "")).lower()
        and e.get("resource_type", "tweet") == "tweet"
    )
    item_errors: list[SkippedItem] = []
    for error in errors:
        if (item := _item_error(error, mentions)) not in item_errors:  # the same error twice: once
            item_errors.append(item)
    meta = as_object(obj.get("meta"))
    return ParsedResponse(
        mentions=tuple(mentions),
        metrics=tuple(metrics),
        skipped=tuple(skipped),
        not_found=not_found,
        errors=tuple(item_errors),
        next_token=meta.get("next_token"),
        newest_id=meta.get("newest_id"),
        result_count=len(data),
    )


def _item_error(error: dict, mentions: list[Mention]) -> SkippedItem:
    """One per-item error of a 200 response as a skipped item: the resource (a tweet, a user) X named, and
    its reason in X's words; a user's posts kept in the response are named (kept with an unknown author)."""
    kind = {"tweet": "tweet", "user": "user"}.get(str(error.get("resource_type", "tweet")), "item")
    rid = error.get("resource_id") or error.get("value")
    rid = str(rid) if isinstance(rid, int) and not isinstance(rid, bool) else rid
    problem = str(error.get("type") or "").rsplit("/", 1)[-1]
    title, detail = (_error_text(error.get(k)) for k in ("title", "detail"))
    named = ", ".join(t for t in (title, _error_text(problem)) if t and t != "about:blank")
    reason = "X sent an error instead" + (f" ({named})" if named else "") + (f": {detail}" if detail else "")
    if kind == "user" and (theirs := [m.external_id for m in mentions if m.author_id == rid]):
        reason += f" (their post(s) {', '.join(theirs)} kept, with an unknown author)"
    return skipped_item(kind, None, rid, reason)


def _error_text(value: object, limit: int = 300) -> str:
    """A text of an X error, on one line and cut at ``limit`` characters; '' if it is not a text."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _edit_of(tid: str, history: object) -> str | None:
    """The id of the first version a post edits: the first of its ``edit_history_tweet_ids`` (oldest
    first, its own id last) when that names an earlier version. A history that is not a list of post ids
    links nothing: the post is stored all the same, as a post of its own."""
    if not isinstance(history, list) or len(history) < 2 or not all(_is_tweet_id(h) for h in history):
        return None
    return history[0] if history[0] != tid else None


def _tweet(
    tweet: object,
    raw: bytes,
    users: dict,
    now: datetime,
    source: str,
    own_account_id: str | None,
    is_demo: bool,
) -> tuple[Mention, MentionMetrics]:
    if not isinstance(tweet, dict):
        raise PayloadError("a tweet is not a JSON object")
    tid, text = tweet.get("id"), tweet.get("text")
    if not _is_tweet_id(tid):
        raise PayloadError(f"id {tid!r} is not a tweet id")
    if not isinstance(text, str):
        raise PayloadError("text is missing")
    # X's default fields are id and text: the time is then read from the id, the author is unknown.
    created = (
        snowflake_time(tid)
        if tweet.get("created_at") is None
        else parse_utc(tweet["created_at"], "created_at")
    )
    author_id = tweet.get("author_id")
    if author_id is not None and not (
        isinstance(author_id, str) and author_id.isascii() and author_id.isdigit()
    ):
        raise PayloadError(f"author_id {author_id!r} is not a user id")
    author_id = author_id or UNKNOWN_AUTHOR
    user = users.get(author_id, {})
    handle = user.get("username") or UNKNOWN_AUTHOR
    followers = (user.get("public_metrics") or {}).get("followers_count")
    if not isinstance(followers, int) or isinstance(followers, bool):
        followers = None
    refs = tweet.get("referenced_tweets") or []
    if not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs):
        raise PayloadError("referenced_tweets is not a list of objects")
    parent = next((r.get("id") for r in refs if r.get("type") == "replied_to"), None)
    quoted = next((r.get("id") for r in refs if r.get("type") == "quoted"), None)
    if quoted is not None and not _is_tweet_id(quoted):
        raise PayloadError(f"the quoted post's id {quoted!r} is not a post id")
    pm = tweet.get("public_metrics") or {}
    if not isinstance(pm, dict):
        raise PayloadError("public_metrics is not an object")
    views = pm.get("impression_count")
    mention = Mention(
        platform=Platform.X,
        external_id=tid,
        url=f"https://x.com/{handle if handle != UNKNOWN_AUTHOR else 'i'}/status/{tid}",
        author_id=author_id,
        author_handle=handle,
        author_name=str(user.get("name") or (handle if user else UNKNOWN_AUTHOR_NAME)),
        author_followers=followers,
        text=text,
        language=tweet.get("lang") if isinstance(tweet.get("lang"), str) else None,
        created_at=created,
        raw=RawPayload(body=raw, captured_at=now),
        source=source,
        thread_id=tweet.get("conversation_id"),
        parent_id=parent,
        own_page=False,
        is_demo=is_demo,
        from_business=own_account_id is not None and author_id == own_account_id,
        quoted_id=quoted,
        edit_of=_edit_of(tid, tweet.get("edit_history_tweet_ids")),
    )
    snap = MetricSnapshot(
        at=now,
        likes=_count(pm, "like_count"),
        shares=_count(pm, "retweet_count"),
        replies=_count(pm, "reply_count"),
        quotes=_count(pm, "quote_count"),
        views=count(views, "public_metrics.impression_count")
        if isinstance(views, int) and not isinstance(views, bool)
        else None,
    )
    return mention, MentionMetrics("x", tid, snap)


def _is_tweet_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 30
