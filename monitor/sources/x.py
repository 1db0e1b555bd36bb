"""X (Twitter) API v2 sources, through tweepy's ``Client``.

- ``XSource(kind="mentions")``: GET /2/users/:id/mentions for the business's account.
- ``XSource(kind="search")``: GET /2/tweets/search/recent for a brand query.
- ``XSource(kind="quotes")``: GET /2/tweets/:id/quote_tweets for watched posts (the business's own posts
  and posts sent to legal: who quoted an accusation matters, since sharing it is publication too).
- ``XMetricsSource``: GET /2/tweets?ids= (up to 100 ids a call) to refresh the counters of open queue
  items on a decaying schedule; posts that come back "not found" are marked deleted, evidence kept.

Every response is read raw (``return_type=requests.Response``), so each tweet's JSON is stored exactly as
received. Pagination follows ``next_token``; ``since_id`` advances only after the last page, and a
pagination token in the cursor resumes an interrupted walk, so nothing is lost or repeated.
Rate limits: tweepy never sleeps here (``wait_on_rate_limit=False``); a 429 records the endpoint's
``x-rate-limit-reset`` and the pipeline skips that source until then. Reads are counted per UTC day
against a budget. tweepy logs request headers, bearer token included, at DEBUG: its logger is kept at
INFO or above.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
import tweepy

from monitor.errors import AuthExpired, BadPayload, RateLimited, SourceError
from monitor.records import (
    UNKNOWN_AUTHOR,
    UNKNOWN_AUTHOR_NAME,
    Capture,
    Mention,
    MentionMetrics,
    MetricSnapshot,
    RawPayload,
    Share,
    SkippedItem,
    SourcePage,
    mention_problems,
    skipped_item,
)
from monitor.sources.payloads import PayloadError, item_bytes, load_json, value_bytes
from monitor.sources.refresh import refresh_due

log = logging.getLogger("repmon.sources.x")

TWEET_FIELDS = [
    "created_at",
    "lang",
    "public_metrics",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "entities",
    "author_id",
]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
EXPANSIONS = ["author_id"]
TOKEN_SETTING = "REPMON_X_BEARER_TOKEN"
RETWEET_PAGES = 5
SNOWFLAKE_EPOCH_MS = 1288834974657
# The lowest Snowflake id a day after X's epoch; ids from before Snowflakes were far smaller (< 3e10).
SNOWFLAKE_MIN = (24 * 3600 * 1000) << 22


def quiet_tweepy() -> None:
    """tweepy logs the Authorization header at DEBUG: never let that level through."""
    for name in ("tweepy", "tweepy.client"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


class _TimeoutSession(requests.Session):
    """A session whose requests time out (tweepy sets none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def make_client(token: str, timeout: float = 20.0) -> tweepy.Client:
    quiet_tweepy()
    client = tweepy.Client(bearer_token=token, wait_on_rate_limit=False, return_type=requests.Response)
    client.session = _TimeoutSession(timeout)
    return client


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
                platform="x",
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
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return shares, meta.get("next_token")


@dataclass(frozen=True)
class ParsedResponse:
    """One X API v2 response body turned into records, and the tweets it could not turn (``skipped``)."""

    mentions: tuple[Mention, ...]
    metrics: tuple[MentionMetrics, ...]
    skipped: tuple[SkippedItem, ...] = ()
    not_found: tuple[str, ...] = ()
    next_token: str | None = None
    newest_id: str | None = None
    result_count: int = 0


def snowflake_time(tweet_id: str) -> datetime:
    """When a tweet was created, read from its id: X ids since November 2010 are Snowflakes, whose top
    bits count milliseconds since X's epoch (2010-11-04 01:42:54.657 UTC). Older ids carry no time."""
    number = int(tweet_id)
    if number < SNOWFLAKE_MIN:
        raise ValueError(f"created_at is missing and id {tweet_id} is older than X's time-stamped ids")
    return datetime.fromtimestamp(((number >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, UTC)


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"created_at {value!r} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"created_at {value!r} is not a timestamp") from None
    # X always sends UTC; an exported file without a zone is read as UTC, never as local time.
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _count(metrics: dict, key: str) -> int:
    value = metrics.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"public_metrics.{key} {value!r} is not a count")
    return value


def parse_response(
    body: bytes,
    now: datetime,
    source: str = "import",
    own_account_id: str | None = None,
    is_demo: bool = False,
) -> ParsedResponse:
    """Turn one X API v2 tweets response body (search, mentions, lookup, quotes) into records.

    A tweet without ``created_at`` (X's default fields) gets the time in its id, one without an author the
    unknown author; a tweet with a bad id, time, counter or text, or that ``mention_problems`` refuses, is
    skipped and listed in ``skipped``. A body that is an API error, not JSON, holds a key twice, or is not
    an X response raises ``BadPayload``.
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
    for n, (tweet, raw) in enumerate(zip(data, raws), 1):
        try:
            mention, snap = _tweet(tweet, raw, users, now, source, own_account_id, is_demo)
            if problems := mention_problems(mention, now):
                raise ValueError("; ".join(problems))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            tid = tweet.get("id") if isinstance(tweet, dict) else None
            skipped.append(skipped_item("tweet", n, tid if _is_tweet_id(tid) else None, str(exc)))
            continue
        mentions.append(mention)
        metrics.append(snap)
    not_found = tuple(
        str(e.get("resource_id") or e.get("value"))
        for e in errors
        if "not-found" in str(e.get("type", "")) + str(e.get("title", "")).lower()
    )
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return ParsedResponse(
        mentions=tuple(mentions),
        metrics=tuple(metrics),
        skipped=tuple(skipped),
        not_found=not_found,
        next_token=meta.get("next_token"),
        newest_id=meta.get("newest_id"),
        result_count=len(data),
    )


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
        raise TypeError("a tweet is not a JSON object")
    tid, text = tweet.get("id"), tweet.get("text")
    if not _is_tweet_id(tid):
        raise ValueError(f"id {tid!r} is not a tweet id")
    if not isinstance(text, str):
        raise ValueError("text is missing")
    # X's default fields are id and text: the time is then read from the id, the author is unknown.
    created = snowflake_time(tid) if tweet.get("created_at") is None else _parse_time(tweet["created_at"])
    author_id = tweet.get("author_id")
    if author_id is not None and not (isinstance(author_id, str) and author_id.isdigit()):
        raise ValueError(f"author_id {author_id!r} is not a user id")
    author_id = author_id or UNKNOWN_AUTHOR
    user = users.get(author_id, {})
    handle = user.get("username") or UNKNOWN_AUTHOR
    followers = (user.get("public_metrics") or {}).get("followers_count")
    if not isinstance(followers, int) or isinstance(followers, bool):
        followers = None
    refs = tweet.get("referenced_tweets") or []
    if not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs):
        raise ValueError("referenced_tweets is not a list of objects")
    parent = next((r.get("id") for r in refs if r.get("type") == "replied_to"), None)
    quoted = next((r.get("id") for r in refs if r.get("type") == "quoted"), None)
    if quoted is not None and not _is_tweet_id(quoted):
        raise ValueError(f"the quoted post's id {quoted!r} is not a post id")
    pm = tweet.get("public_metrics") or {}
    if not isinstance(pm, dict):
        raise ValueError("public_metrics is not an object")
    views = pm.get("impression_count")
    mention = Mention(
        platform="x",
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
    )
    snap = MetricSnapshot(
        at=now,
        likes=_count(pm, "like_count"),
        shares=_count(pm, "retweet_count"),
        replies=_count(pm, "reply_count"),
        quotes=_count(pm, "quote_count"),
        views=views if isinstance(views, int) and not isinstance(views, bool) else None,
    )
    return mention, MentionMetrics("x", tid, snap)


def _is_tweet_id(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 30


def reads_today(cursor: dict, now: datetime) -> int:
    """Posts a source has read today, from its cursor."""
    reads = cursor.get("reads") if isinstance(cursor.get("reads"), dict) else {}
    return int(reads.get("count", 0)) if reads.get("day") == now.date().isoformat() else 0


@dataclass
class ReadBudget:
    """Posts read per UTC day, against a daily budget (X bills reads per post)."""

    limit: int
    day: str = ""
    count: int = 0
    elsewhere: int = 0  # read today by the other X sources: the budget is shared

    @classmethod
    def from_cursor(cls, cursor: dict, limit: int, now: datetime, elsewhere: int = 0) -> ReadBudget:
        today = now.date().isoformat()
        return cls(limit, today, reads_today(cursor, now), elsewhere)

    def as_cursor(self) -> dict[str, object]:
        return {"day": self.day, "count": self.count}

    def check(self, source: str, now: datetime) -> None:
        """``RateLimited`` once today's reads reach the budget. It carries no reset time: the source is
        not set aside until midnight, so each pass checks the budget again (before any read, so at no
        cost) and a budget raised in the meantime takes effect at once."""
        if self.limit and self.count + self.elsewhere >= self.limit:
            raise RateLimited(
                source,
                f"daily read budget of {self.limit:,} posts reached "
                f"({self.count + self.elsewhere:,} read today by the X sources); "
                "reads resume after midnight UTC (raise REPMON_X_DAILY_READ_BUDGET to read more)",
                None,
            )


class StaleCursor(SourceError):
    """X refused a saved since_id or pagination token (too old): the walk restarts without it."""


@dataclass
class _Caller:
    """Calls a tweepy method, translating its errors; 5xx and timeouts get bounded retries."""

    source: str
    retries: int = 3
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    calls: list[str] = field(default_factory=list)

    def __call__(self, fn: Callable[..., requests.Response], **params: object) -> requests.Response:
        for attempt in range(self.retries):
            try:
                return fn(**params)
            except tweepy.TooManyRequests as exc:
                reset = exc.response.headers.get("x-rate-limit-reset")
                reset_at = datetime.fromtimestamp(int(reset), UTC) if reset and reset.isdigit() else None
                raise RateLimited(
                    self.source, f"X rate limit reached (429); next request allowed at {reset_at}", reset_at
                ) from None
            except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
                status = exc.response.status_code
                detail = "; ".join(exc.api_messages) if exc.api_messages else exc.response.reason
                raise AuthExpired(
                    self.source, f"X token rejected ({status}: {detail}): check {TOKEN_SETTING}"
                ) from None
            except tweepy.BadRequest as exc:
                detail = "; ".join(exc.api_messages) or exc.response.reason
                if any(k in detail for k in ("since_id", "next_token", "pagination_token")):
                    raise StaleCursor(self.source, f"X rejected the saved cursor (400): {detail}") from None
                raise SourceError(self.source, f"X rejected the request (400): {detail}") from None
            except (tweepy.TwitterServerError, requests.Timeout, requests.ConnectionError) as exc:
                what = (
                    f"server error {exc.response.status_code}"
                    if isinstance(exc, tweepy.TwitterServerError)
                    else type(exc).__name__
                )
                if attempt + 1 >= self.retries:
                    raise SourceError(
                        self.source,
                        f"X API unavailable ({what}) after {self.retries} tries; will retry next run",
                    ) from None
                self.sleep(self.backoff * 2**attempt)
            except tweepy.HTTPException as exc:
                raise SourceError(self.source, f"X API error {exc.response.status_code}") from None
            except requests.RequestException as exc:
                # The message of some request errors quotes the headers, token included: name the type only.
                raise SourceError(
                    self.source,
                    f"X request failed ({type(exc).__name__}): check {TOKEN_SETTING} and the network",
                ) from None
        raise SourceError(self.source, "X API call did not complete")  # pragma: no cover


class XSource:
    """Mentions of the business's account, a brand search, or quotes of watched posts."""

    def __init__(
        self,
        name: str,
        kind: str,
        client: tweepy.Client,
        *,
        account_id: str | None = None,
        query: str | None = None,
        watched: Callable[[], list[str]] | None = None,
        daily_budget: int = 10_000,
        reads_elsewhere: Callable[[datetime], int] | None = None,
        max_results: int = 100,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        if kind not in ("mentions", "search", "quotes"):
            raise ValueError(f"unknown X source kind {kind!r}")
        if kind == "mentions" and not account_id:
            raise ValueError("the mentions source needs the business's account id (REPMON_X_ACCOUNT_ID)")
        if kind == "search" and not query:
            raise ValueError("the search source needs a query (REPMON_X_QUERY)")
        self.name, self.kind, self.client = name, kind, client
        self.account_id, self.query, self.watched = account_id, query, watched
        self.daily_budget, self.max_results = daily_budget, max_results
        self.reads_elsewhere = reads_elsewhere or (lambda _now: 0)
        self.call = _Caller(name, retries, backoff)

    def _request(
        self, since_id: str | None, token: str | None, tweet_id: str | None = None
    ) -> requests.Response:
        common = {
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "expansions": EXPANSIONS,
            "max_results": self.max_results,
            "user_auth": False,
        }
        if self.kind == "search":
            return self.call(
                self.client.search_recent_tweets,
                query=self.query,
                since_id=since_id,
                next_token=token,
                **common,
            )
        if self.kind == "mentions":
            return self.call(
                self.client.get_users_mentions,
                id=self.account_id,
                since_id=since_id,
                pagination_token=token,
                **common,
            )
        return self.call(self.client.get_quote_tweets, id=tweet_id, pagination_token=token, **common)

    def _pages(
        self, cursor: dict, now: datetime, budget: ReadBudget, key: str | None, tweet_id: str | None = None
    ) -> Iterator[SourcePage]:
        """Walk one timeline; ``key`` names where its since_id lives in the cursor."""
        state = dict(cursor.get(key, {})) if key else dict(cursor)
        since, token, pending = state.get("since_id"), state.get("next_token"), state.get("pending_newest")
        restarted = False
        while True:
            budget.check(self.name, now)
            try:
                response = self._request(since if self.kind != "quotes" else None, token, tweet_id)
            except StaleCursor as exc:
                if restarted or (since is None and token is None):
                    raise
                # A cursor older than the endpoint's window (7 days for recent search): start afresh;
                # the store drops anything already seen.
                log.warning("%s; restarting without it", exc)
                since = token = pending = None
                restarted = True
                continue
            parsed = parse_response(response.content, now, self.name, self.account_id)
            for item in parsed.skipped:
                log.warning("source %r: %s", self.name, item)
            budget.count += parsed.result_count
            newest = parsed.newest_id or max((m.external_id for m in parsed.mentions), key=int, default=None)
            if token is None and newest:
                pending = newest
            token = parsed.next_token
            if (
                self.kind == "quotes"
                and since
                and any(int(m.external_id) <= int(since) for m in parsed.mentions)
            ):
                token = None  # quotes come newest first and take no since_id: stop at the last one seen
            if token is None:  # the walk is complete: only now does since_id move on
                since, pending = pending or since, None
            state = {"since_id": since, "next_token": token, "pending_newest": pending}
            new_cursor = dict(cursor)
            if key:
                new_cursor[key] = state
            else:
                new_cursor.update(state)
            new_cursor["reads"] = budget.as_cursor()
            cursor = new_cursor
            yield SourcePage(parsed.mentions, parsed.metrics, new_cursor, skipped=parsed.skipped)
            if token is None:
                return

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        budget = ReadBudget.from_cursor(cursor, self.daily_budget, now, self.reads_elsewhere(now))
        if self.kind != "quotes":
            yield from self._pages(cursor, now, budget, None)
            return
        for tweet_id in self.watched() if self.watched else []:
            pages = self._pages(cursor, now, budget, f"quotes:{tweet_id}", tweet_id)
            for page in pages:
                cursor = page.cursor
                yield page
            for page in self._retweeters(cursor, now, budget, tweet_id):
                cursor = page.cursor
                yield page

    def _retweeters(
        self, cursor: dict, now: datetime, budget: ReadBudget, tweet_id: str
    ) -> Iterator[SourcePage]:
        """Who retweeted a watched post, up to ``RETWEET_PAGES`` pages a run, resuming where it stopped."""
        key = f"retweets:{tweet_id}"
        token = (cursor.get(key) or {}).get("next_token")
        for _ in range(RETWEET_PAGES):
            budget.check(self.name, now)
            response = self.call(
                self.client.get_retweeters,
                id=tweet_id,
                pagination_token=token,
                max_results=self.max_results,
                user_fields=USER_FIELDS,
                user_auth=False,
            )
            shares, token = parse_retweeters(response.content, now, tweet_id, self.name)
            budget.count += len(shares)
            cursor = {**cursor, key: {"next_token": token}, "reads": budget.as_cursor()}
            yield SourcePage(mentions=(), cursor=cursor, shares=tuple(shares))
            if token is None:
                return


class XMetricsSource:
    """Refreshes counters of open X queue items, 100 ids a call, young and fast-growing posts first."""

    def __init__(
        self,
        name: str,
        client: tweepy.Client,
        open_mentions: Callable[[], list[dict]],
        mark_deleted: Callable[[list[str], datetime], object],
        *,
        daily_budget: int = 10_000,
        reads_elsewhere: Callable[[datetime], int] | None = None,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.name, self.client = name, client
        self.open_mentions, self.mark_deleted = open_mentions, mark_deleted
        self.daily_budget = daily_budget
        self.reads_elsewhere = reads_elsewhere or (lambda _now: 0)
        self.call = _Caller(name, retries, backoff)

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        budget = ReadBudget.from_cursor(cursor, self.daily_budget, now, self.reads_elsewhere(now))
        due = [r["external_id"] for r in self.open_mentions() if refresh_due(r, now)]
        for start in range(0, len(due), 100):
            budget.check(self.name, now)
            ids = due[start : start + 100]
            response = self.call(
                self.client.get_tweets,
                ids=ids,
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                expansions=EXPANSIONS,
                user_auth=False,
            )
            parsed = parse_response(response.content, now, self.name)
            budget.count += parsed.result_count
            if parsed.not_found:
                self.mark_deleted(list(parsed.not_found), now)
            cursor = {**cursor, "reads": budget.as_cursor(), "last_refresh": now.isoformat()}
            captures = tuple(Capture("x", m.external_id, m.raw) for m in parsed.mentions)
            yield SourcePage(
                mentions=(), metrics=parsed.metrics, cursor=cursor, captures=captures, skipped=parsed.skipped
            )
        if not due:
            yield SourcePage(mentions=(), cursor={**cursor, "reads": budget.as_cursor()})
