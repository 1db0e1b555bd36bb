"""Facebook Page sources, through facebook-sdk's ``GraphAPI``.

- ``FacebookSource``: GET /{page-id}/feed (the Page's own posts, as thread context, and visitors' posts,
  with the comments the feed embeds), then GET /{post-id}/comments?filter=stream for every post of the
  last few days, replies included.
- ``FacebookMetricsSource``: re-reads the counters of open Facebook queue items, 50 ids a call
  (GET /?ids=...); posts that are gone, and comments the Page has hidden, are marked deleted, evidence kept.

facebook-sdk 3.1.0 only accepts Graph versions up to 3.1, so the client is made with "3.1" and then pointed
at the configured version. Its session is a ``GraphSession`` that keeps the last ``requests.Response``:
each item's JSON is stored exactly as received, and rate-limit usage headers are read from it.

Cursor: ``feed_since`` (newest post time seen; it moves only when a feed walk is complete),
``feed_next``/``feed_pending`` (where an interrupted walk resumes), ``recent_posts`` (post id -> creation
time, for the comment walks) and ``comments_since`` (post id -> newest comment time; re-read with an overlap
because comments arrive late; the store drops what it already has).

Since Graph v11, comment ids and authors are omitted unless the token can moderate the Page: the id is then
derived from the permalink's ``comment_id`` in Graph's own ``{post}_{comment}`` form (so it matches the real
id if the token gains the right later), else from a hash, and the author is unknown.

The access token travels as facebook-sdk sends it (the ``access_token`` query parameter). It never appears
in a message: Graph's own error texts are scrubbed, request errors are named by type only, and urllib3's
DEBUG request lines are redacted by a logging filter.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

import facebook
import requests

from monitor.errors import AuthExpired, BadPayload, ConfigError, RateLimited, SourceError
from monitor.records import (
    UNKNOWN_AUTHOR,
    UNKNOWN_AUTHOR_NAME,
    Capture,
    Mention,
    MentionMetrics,
    MetricSnapshot,
    RawPayload,
    SkippedItem,
    SourcePage,
    mention_problems,
    skipped_item,
)
from monitor.sources.payloads import MAX_DEPTH, PayloadError, item_bytes, load_json, value_bytes
from monitor.sources.refresh import refresh_due

if TYPE_CHECKING:
    from monitor.storage import Store

log = logging.getLogger("repmon.sources.facebook")

PLATFORM = "facebook"
TOKEN_SETTING = "REPMON_FACEBOOK_PAGE_TOKEN"
PERMISSIONS = "pages_read_engagement and pages_read_user_content"
POST_PERMISSIONS = "pages_manage_engagement"  # replying as the Page
DEFAULT_VERSION = "v25.0"
COMMENT_FIELDS = "id,message,created_time,from,like_count,comment_count,parent,permalink_url"
FEED_FIELDS = (
    "id,message,created_time,from,permalink_url,shares,reactions.summary(total_count),"
    f"comments.summary(total_count){{{COMMENT_FIELDS}}}"
)
POST_COUNTER_FIELDS = "id,shares,reactions.summary(total_count),comments.summary(total_count)"
COMMENT_COUNTER_FIELDS = "id,like_count,comment_count,is_hidden"
PAGE_LIMIT = "100"
REFRESH_BATCH = 50
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
AUTH_CODES = frozenset({102, 190})
TRANSIENT_CODES = frozenset({1, 2})
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)
USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage", "x-ad-account-usage")
TOKEN_SUBCODES = {
    458: "the app was removed",
    460: "the password was changed",
    463: "the token expired",
    464: "the user is not confirmed",
    467: "the token is invalid",
}
_GRAPH_ID = re.compile(r"\d+(?:_\d+)*")
_SECRET_BYTES = re.compile(rb"((?:access_token|appsecret_proof)=)[^&\s'\"\\]+")
_SECRETS = re.compile(r"((?:access_token|appsecret_proof)=)[^&\s'\"]+|\bEAA[A-Za-z0-9]{16,}")


def _scrub(text: str, token: str | None = None) -> str:
    """Text without the token, or anything shaped like one (Graph quotes malformed tokens back)."""
    if token:
        text = text.replace(token, "[redacted]")
    return _SECRETS.sub(lambda m: f"{m.group(1)}[redacted]" if m.group(1) else "[redacted]", text)


def _scrub_item(raw: bytes) -> bytes:
    """An item's bytes as received, except a token Graph echoes into an embedded edge's ``paging.next``:
    the evidence store must never hold a credential."""
    return _SECRET_BYTES.sub(rb"\1[redacted]", raw) if b"access_token=" in raw else raw


class _RedactTokens(logging.Filter):
    """urllib3 logs each request line, query string and access token included, at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_REDACT = _RedactTokens()


def redact_http_logs() -> None:
    """Make sure request lines logged by urllib3 and requests never carry a token (idempotent)."""
    for name in ("urllib3.connectionpool", "urllib3.connection", "requests"):
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


class GraphSession(requests.Session):
    """A session that times out and keeps the last response, for its raw bytes and usage headers."""

    def __init__(self, timeout: float = 20.0) -> None:
        super().__init__()
        self.timeout = timeout
        self.last_response: requests.Response | None = None

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        self.last_response = None
        response = super().request(method, url, *args, **kwargs)
        self.last_response = response
        return response


# -- parsing (pure) ---------------------------------------------------------------------------------


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"created_time {value!r} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"created_time {value!r} is not a timestamp") from None
    # Graph always sends an offset; a saved file without one is read as UTC, never as local time.
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _count(value: object, what: str) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} {value!r} is not a count")
    return value


def _summary_count(obj: dict, key: str) -> int:
    edge = obj.get(key)
    if edge is None:
        return 0
    if not isinstance(edge, dict) or not isinstance(edge.get("summary", {}), dict):
        raise ValueError(f"{key} is not an edge with a summary")
    return _count(edge.get("summary", {}).get("total_count"), f"{key}.summary.total_count")


def _shares(obj: dict) -> int:
    shares = obj.get("shares")
    if shares is None:  # Graph leaves `shares` out of a post nobody has shared
        return 0
    if not isinstance(shares, dict):
        raise ValueError("shares is not an object")
    return _count(shares.get("count"), "shares.count")


def _text(obj: dict) -> str:
    message = obj.get("message", "")
    if not isinstance(message, str):
        raise ValueError("message is not text")
    return message


def _author(obj: dict) -> dict | None:
    author = obj.get("from")
    if author is None:
        return None
    if not isinstance(author, dict):
        raise ValueError("from is not an object")
    return author


def _url(obj: dict, graph_id: str) -> str:
    url = obj.get("permalink_url")
    if isinstance(url, str) and url.startswith("https://"):
        return url
    return f"https://www.facebook.com/{graph_id}"


def _query(url: object) -> dict[str, str]:
    if not isinstance(url, str):
        return {}
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items() if v}


def _post_number(post_id: str | None, permalink: object) -> str | None:
    """The post object's own number: the part after the Page id, or read from a comment's permalink."""
    if post_id:
        return post_id.rsplit("_", 1)[-1]
    if isinstance(permalink, str):
        story = _query(permalink).get("story_fbid", "")
        if story.isdigit():
            return story
        parts = [p for p in urlparse(permalink).path.split("/") if p]
        if len(parts) >= 3 and parts[-2] == "posts" and parts[-1].isdigit():
            return parts[-1]
    return None


@dataclass(frozen=True)
class _Context:
    source: str
    page_id: str | None
    is_demo: bool
    now: datetime


@dataclass
class _Parsed:
    """One Graph response body turned into records, and the items it could not turn (``skipped``)."""

    mentions: list[Mention] = field(default_factory=list)
    metrics: list[MentionMetrics] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    posts: list[tuple[str, datetime]] = field(default_factory=list)
    newest: datetime | None = None
    next_params: dict[str, str] | None = None

    def add(self, mention: Mention, snapshot: MetricSnapshot | None) -> None:
        """Keep a mention (the first of an id); one ``mention_problems`` refuses raises ValueError."""
        if problems := mention_problems(mention, mention.raw.captured_at):
            raise ValueError("; ".join(problems))
        if any(m.external_id == mention.external_id for m in self.mentions):
            return  # a comment both embedded in the feed and read from its post: keep the first
        self.mentions.append(mention)
        if snapshot is not None:
            self.metrics.append(MentionMetrics(PLATFORM, mention.external_id, snapshot))
        if self.newest is None or mention.created_at > self.newest:
            self.newest = mention.created_at

    def page(self, cursor: dict[str, object]) -> SourcePage:
        return SourcePage(tuple(self.mentions), tuple(self.metrics), cursor, skipped=tuple(self.skipped))


def _post(item: dict, raw: bytes, ctx: _Context, out: _Parsed) -> None:
    post_id = item.get("id")
    if not isinstance(post_id, str) or not post_id.strip():
        raise ValueError("id is missing")
    if not _GRAPH_ID.fullmatch(post_id):  # it goes into the path of the comment walk's URL
        raise ValueError(f"id {post_id!r} is not a Graph object id")
    created = _parse_time(item.get("created_time"))
    author = _author(item)
    author_id = str(author.get("id")) if author and author.get("id") else None
    own = author is None or (ctx.page_id is not None and author_id == ctx.page_id)
    name = str(author.get("name") or "") if author else ""
    mention = Mention(
        platform=PLATFORM,
        external_id=post_id,
        url=_url(item, post_id),
        author_id=author_id or ctx.page_id or UNKNOWN_AUTHOR,
        author_handle=name or ("(this Page)" if own else UNKNOWN_AUTHOR),
        author_name=name or ("(this Page)" if own else UNKNOWN_AUTHOR_NAME),
        author_followers=None,
        text=_text(item),
        language=None,
        created_at=created,
        raw=RawPayload(body=raw, captured_at=ctx.now),
        source=ctx.source,
        thread_id=post_id,
        parent_id=None,
        own_page=True,
        is_demo=ctx.is_demo,
        from_business=own,
    )
    snapshot = None
    if any(k in item for k in ("shares", "reactions", "comments")):
        snapshot = MetricSnapshot(
            at=ctx.now,
            likes=_summary_count(item, "reactions"),
            shares=_shares(item),
            replies=_summary_count(item, "comments"),
        )
    out.add(mention, snapshot)
    out.posts.append((post_id, created))
    embedded = item.get("comments")
    if isinstance(embedded, dict) and "data" in embedded:
        if not isinstance(embedded["data"], list):
            out.skipped.append(
                skipped_item("comments", None, None, "'comments.data' is not a list", f"post {post_id}")
            )
            return
        _items(embedded["data"], item_bytes(raw, "comments", "data"), ctx, out, "comment", post_id)


def _comment_ids(item: dict, post_id: str | None, ctx: _Context) -> tuple[str, str | None, str | None]:
    """(id, parent id, thread id) of a comment, derived when Graph left the id out."""
    permalink = item.get("permalink_url")
    number = _post_number(post_id, permalink)
    thread = post_id or (f"{ctx.page_id}_{number}" if ctx.page_id and number else None)
    params = _query(permalink)
    top, reply = params.get("comment_id", ""), params.get("reply_comment_id", "")
    parent = item.get("parent")
    parent_id = parent.get("id") if isinstance(parent, dict) and isinstance(parent.get("id"), str) else None
    if parent_id is None and number and top.isdigit() and reply.isdigit():
        parent_id = f"{number}_{top}"
    comment_id = item.get("id")
    if not isinstance(comment_id, str) or not comment_id.strip():
        if number and reply.isdigit() and top.isdigit():
            comment_id = f"{number}_{reply}"
        elif number and top.isdigit():
            comment_id = f"{number}_{top}"
        else:
            basis = json.dumps(
                [post_id or number, item.get("created_time"), item.get("message")], ensure_ascii=False
            )
            comment_id = (
                f"{thread or number or 'facebook'}_h{hashlib.sha256(basis.encode()).hexdigest()[:20]}"
            )
    return comment_id, parent_id or thread, thread


def _comment(item: dict, raw: bytes, ctx: _Context, out: _Parsed, post_id: str | None) -> None:
    created = _parse_time(item.get("created_time"))
    comment_id, parent_id, thread_id = _comment_ids(item, post_id, ctx)
    author = _author(item)
    author_id = str(author["id"]) if author and author.get("id") else None
    name = str(author.get("name") or "") if author else ""
    mention = Mention(
        platform=PLATFORM,
        external_id=comment_id,
        url=_url(item, comment_id),
        author_id=author_id or UNKNOWN_AUTHOR,
        author_handle=name or UNKNOWN_AUTHOR,
        author_name=name or UNKNOWN_AUTHOR_NAME,
        author_followers=None,
        text=_text(item),
        language=None,
        created_at=created,
        raw=RawPayload(body=raw, captured_at=ctx.now),
        source=ctx.source,
        thread_id=thread_id,
        parent_id=parent_id,
        own_page=True,
        is_demo=ctx.is_demo,
        from_business=ctx.page_id is not None and author_id == ctx.page_id,
    )
    snapshot = None
    if "like_count" in item or "comment_count" in item:
        snapshot = MetricSnapshot(
            at=ctx.now,
            likes=_count(item.get("like_count"), "like_count"),
            replies=_count(item.get("comment_count"), "comment_count"),
        )
    out.add(mention, snapshot)


def _looks_like_comment(item: dict) -> bool:
    return any(k in item for k in ("like_count", "comment_count", "parent", "is_hidden"))


def _items(
    data: list, raws: Sequence[bytes], ctx: _Context, out: _Parsed, kind: str, post_id: str | None = None
) -> None:
    """Each item into records; a malformed item is skipped and listed in ``out.skipped``, not the page."""
    if len(raws) != len(data):  # pragma: no cover - one decoder reads both; never trust a misalignment
        raise PayloadError("the items and their bytes do not line up")
    for n, (item, raw) in enumerate(zip(data, raws), 1):
        raw = _scrub_item(raw)
        try:
            if not isinstance(item, dict):
                raise TypeError("not a JSON object")
            if kind == "comment" or (kind == "any" and _looks_like_comment(item)):
                _comment(item, raw, ctx, out, post_id)
            else:
                _post(item, raw, ctx, out)
        except (ValueError, TypeError, KeyError, AttributeError, PayloadError) as exc:
            what = item.get("id") if isinstance(item, dict) else None
            usable = what if isinstance(what, str) and _GRAPH_ID.fullmatch(what) else None
            within = f"post {post_id}" if post_id and kind == "comment" else None
            out.skipped.append(skipped_item("item" if kind == "any" else kind, n, usable, str(exc), within))


def _next_params(paging: dict) -> dict[str, str] | None:
    """The query of ``paging.next``, without the token Graph puts in it."""
    params = _query(paging.get("next"))
    for secret in ("access_token", "appsecret_proof"):
        params.pop(secret, None)
    return params or None


def _parse(body: bytes, ctx: _Context, kind: str, post_id: str | None = None) -> _Parsed:
    """A Graph response body (``kind``: "post" for the feed, "comment", or "any") into records.

    Raises ``BadPayload`` for a body that is not JSON, an API error, not a Graph response, or whose
    ``data``/``paging`` have the wrong type.
    """
    try:
        obj = load_json(body)
        if not isinstance(obj, dict):
            raise PayloadError("the body is not a JSON object")
        error = obj.get("error")
        if isinstance(error, dict):
            raise PayloadError(
                f"a Graph API error response: {error.get('message', 'error')} (code {error.get('code')})"
            )
        data = obj.get("data")
        if any(k in obj for k in ("includes", "meta", "result_count", "errors")) or (
            isinstance(data, list)
            and any(isinstance(t, dict) and "text" in t and "created_time" not in t for t in data)
        ):
            raise PayloadError("this is an X API body, not a Facebook Graph API response (use --platform x)")
        paging = obj.get("paging", {})
        if not isinstance(paging, dict):
            raise PayloadError("'paging' is not an object")
        if "data" in obj:
            if not isinstance(data, list):
                raise PayloadError(f"'data' is not a list (it is {type(data).__name__})")
            raws = item_bytes(body, "data")
        elif isinstance(obj.get("id"), str) and "created_time" in obj:
            data, raws = [obj], [body]  # a single post or comment object: the whole body is the item
        else:
            raise PayloadError("no 'data' list and no single object with 'id' and 'created_time'")
    except PayloadError as exc:
        raise BadPayload(ctx.source, f"Facebook response: {exc}") from exc
    out = _Parsed()
    try:
        _items(data, raws, ctx, out, kind, post_id)
    except PayloadError as exc:  # pragma: no cover - see _items
        raise BadPayload(ctx.source, f"Facebook response: {exc}") from exc
    if data:
        out.next_params = _next_params(paging)
    for item in out.skipped:
        log.warning("source %r: %s", ctx.source, item)
    return out


def parse_response(
    body: bytes, now: datetime, source: str = "import", page_id: str | None = None
) -> SourcePage:
    """Turn one saved Graph API response body into records, with the poller's own code.

    The body may be a feed page, a comments page, or a single post or comment object. Items that are
    malformed are skipped, logged and listed in the page's ``skipped``; a body that is an API error,
    truncated or not JSON, holds a key twice, or is not a Facebook response (an X API body) raises
    ``BadPayload``. Without ``page_id``, posts with no ``from`` count as the Page's own.
    """
    parsed = _parse(body, _Context(source, page_id, False, now), "any")
    return parsed.page({})


# -- the poller ---------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _from_iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _parse_time(value)
    except ValueError:
        return None


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
    minutes = []
    for name in USAGE_HEADERS:
        try:
            minutes += list(_usage_minutes(json.loads(lower.get(name) or "null")))
        except ValueError:
            continue
    wait = max((m for m in minutes if m > 0), default=None)
    return now + (timedelta(minutes=wait) if wait else DEFAULT_RATE_LIMIT_WAIT)


class _NotFound(SourceError):
    """Graph says the object does not exist or cannot be read (code 100, "Unsupported get request")."""


class FacebookSource:
    """The Page feed (own posts as context, visitors' posts) and the comments of its recent posts."""

    def __init__(
        self,
        name: str,
        page_id: str,
        token: str,
        *,
        version: str = DEFAULT_VERSION,
        session: GraphSession | None = None,
        comment_overlap: timedelta = timedelta(minutes=30),
        recent_posts: timedelta = timedelta(days=3),
        is_demo: bool = False,
        timeout: float = 20.0,
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        version = (version or DEFAULT_VERSION).strip()
        if not version.startswith("v"):
            version = f"v{version}"
        if not re.fullmatch(r"v\d+\.\d+", version):
            raise ConfigError(
                f"Graph API version {version!r} is not like v25.0: check REPMON_FACEBOOK_GRAPH_VERSION"
            )
        if not page_id or not _GRAPH_ID.fullmatch(page_id):
            raise ConfigError(
                f"Facebook Page id {page_id!r} is not a numeric id: check REPMON_FACEBOOK_PAGE_ID"
            )
        if not token:
            raise ConfigError(f"the Facebook source needs a Page access token: set {TOKEN_SETTING}")
        redact_http_logs()
        self.name, self.page_id, self.version, self.is_demo = name, page_id, version, is_demo
        self.comment_overlap, self.recent_posts = comment_overlap, recent_posts
        self.retries, self.backoff, self.sleep = retries, backoff, sleep
        self._token = token
        self.session = session or GraphSession(timeout)
        self.graph = facebook.GraphAPI(
            access_token=token, timeout=timeout, version="3.1", session=self.session
        )
        self.graph.version = version

    def __repr__(self) -> str:
        return f"FacebookSource(name={self.name!r}, page_id={self.page_id!r}, version={self.version!r})"

    # -- calls ------------------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str], now: datetime) -> requests.Response:
        """GET ``{version}/{path}``; Graph and HTTP errors become repmon errors, 5xx and timeouts retried."""
        what = f"GET /{self.version}/{path}"
        for attempt in range(self.retries):
            transient = None
            try:
                self.graph.request(f"{self.version}/{path}", dict(params))
            except facebook.GraphAPIError as exc:
                response = self.session.last_response
                status = response.status_code if response is not None else None
                if (status is not None and status >= 500) or exc.code in TRANSIENT_CODES:
                    transient = f"server error {status}"
                else:
                    raise self._translate(exc, response, what, now) from None
            except RecursionError:  # facebook-sdk parses the body first: Python's parser gives up
                raise BadPayload(
                    self.name, f"Facebook response to {what}: nested more than {MAX_DEPTH} levels deep"
                ) from None
            except requests.exceptions.JSONDecodeError:
                response = self.session.last_response
                if response is not None and response.status_code >= 500:
                    transient = f"server error {response.status_code}"
                else:
                    raise BadPayload(self.name, f"Facebook sent a body that is not JSON for {what}") from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                transient = type(exc).__name__
            except requests.RequestException as exc:
                # Some request errors quote the URL, token included: name the type only.
                raise SourceError(
                    self.name, f"Facebook request {what} failed ({type(exc).__name__}): check the network"
                ) from None
            except KeyError:
                raise BadPayload(
                    self.name, f"Facebook sent a response with no content type for {what}"
                ) from None
            else:
                response = self.session.last_response
                if response is None:  # pragma: no cover - the session always records one
                    raise SourceError(self.name, f"no response recorded for {what}")
                if response.status_code < 500:
                    return response
                transient = f"server error {response.status_code}"
            if attempt + 1 >= self.retries:
                raise SourceError(
                    self.name,
                    f"Facebook Graph API unavailable ({transient}) after {self.retries} tries for {what}; "
                    "will retry next run",
                )
            log.info("source %r: %s for %s, retrying", self.name, transient, what)
            self.sleep(self.backoff * 2**attempt)
        raise SourceError(self.name, f"{what} did not complete")  # pragma: no cover

    def _translate(
        self,
        exc: facebook.GraphAPIError,
        response: requests.Response | None,
        what: str,
        now: datetime,
        *,
        permissions: str = PERMISSIONS,
    ) -> SourceError:
        """The Graph API error as a SourceError that says what to do; ``permissions`` are the ones the
        call needs (reading by default; posting a reply needs POST_PERMISSIONS)."""
        code = exc.code if isinstance(exc.code, int) else None
        detail = _scrub(str(exc.message), self._token)
        error = exc.result.get("error", {}) if isinstance(exc.result, dict) else {}
        subcode = error.get("error_subcode") if isinstance(error, dict) else None
        if code in AUTH_CODES:
            why = TOKEN_SUBCODES.get(subcode, "Graph rejected it")
            return AuthExpired(
                self.name,
                f"Facebook Page token expired or invalidated (code {code}: {why}): "
                f"renew the Page token in {TOKEN_SETTING}",
            )
        if code in RATE_LIMIT_CODES:
            reset_at = regain_access_at(response.headers if response is not None else {}, now)
            return RateLimited(
                self.name,
                f"Facebook rate limit reached (code {code}) on {what}; "
                f"next request allowed at {reset_at.isoformat()}",
                reset_at,
            )
        if code == 100 and ("unsupported get request" in detail.lower() or subcode == 33):
            return _NotFound(
                self.name,
                f"Facebook object not found, or not readable with this token, for {what} (code 100): "
                f"check REPMON_FACEBOOK_PAGE_ID and that the token has {PERMISSIONS}",
            )
        if (
            code == 10
            or (code is not None and 200 <= code <= 299)
            or (code == 100 and "permission" in detail.lower())
        ):
            return SourceError(
                self.name,
                f"Facebook refused {what} (code {code}, missing permission: {detail}): the Page token needs "
                f"{permissions}; grant them and renew {TOKEN_SETTING}",
            )
        content_type = response.headers.get("content-type", "") if response is not None else ""
        if code is None and response is not None and "json" not in content_type:
            return BadPayload(
                self.name, f"Facebook sent {content_type or 'no content type'} instead of JSON for {what}"
            )
        status = response.status_code if response is not None else "no response"
        return SourceError(
            self.name, f"Facebook Graph API error on {what} (HTTP {status}, code {code}): {detail}"
        )

    # -- the feed and comment walks ---------------------------------------------------------------

    def _context(self, now: datetime) -> _Context:
        return _Context(self.name, self.page_id, self.is_demo, now)

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        """Pages of new posts (with embedded comments), then of comments on recent posts, oldest walk first.

        Each page carries the cursor to store with it; ``feed_since`` moves only when the feed walk is
        complete, and a comment walk's since-time only when that post's walk is complete.
        """
        cursor = dict(cursor)
        ctx = self._context(now)
        since = _from_iso(cursor.get("feed_since"))
        pending = _from_iso(cursor.get("feed_pending"))
        resume = cursor.get("feed_next")
        params = dict(resume) if isinstance(resume, dict) else self._feed_params(since)
        recent = {
            pid: t
            for pid, t in (cursor.get("recent_posts") or {}).items()
            if (ts := _from_iso(t)) and now - ts <= self.recent_posts
        }
        # Posts past the recent window get no more comment walks: forget their since-times.
        cursor["comments_since"] = {
            pid: t for pid, t in (cursor.get("comments_since") or {}).items() if pid in recent
        }
        while True:
            parsed = _parse(self._get(f"{self.page_id}/feed", params, now).content, ctx, "post")
            for post_id, created in parsed.posts:
                if now - created <= self.recent_posts:
                    recent[post_id] = created.isoformat()
                if pending is None or created > pending:
                    pending = created
            next_params = parsed.next_params if parsed.next_params != params else None
            if next_params is None:  # the walk is complete: only now does the since-time move on
                since, pending = max(filter(None, (since, pending)), default=None), None
            cursor = {
                **cursor,
                "feed_since": _iso(since),
                "feed_pending": _iso(pending),
                "feed_next": next_params,
                "recent_posts": dict(recent),
            }
            yield parsed.page(cursor)
            if next_params is None:
                break
            params = next_params
        yield from self._comment_walks(cursor, recent, ctx)

    def _feed_params(self, since: datetime | None) -> dict[str, str]:
        params = {"fields": FEED_FIELDS, "limit": PAGE_LIMIT}
        if since is not None:
            params["since"] = str(int(since.timestamp()))
        return params

    def _comment_walks(
        self, cursor: dict[str, object], recent: dict[str, str], ctx: _Context
    ) -> Iterator[SourcePage]:
        recent = dict(recent)
        comments_since = dict(cursor.get("comments_since") or {})
        for post_id in sorted(recent, key=lambda pid: (recent[pid], pid)):
            last = _from_iso(comments_since.get(post_id))
            params = {"filter": "stream", "fields": COMMENT_FIELDS, "limit": PAGE_LIMIT}
            if last is not None:
                # Comments can show up late (moderation, slow replication): re-read an overlap.
                params["since"] = str(int((last - self.comment_overlap).timestamp()))
            newest = last
            while True:
                try:
                    response = self._get(f"{post_id}/comments", params, ctx.now)
                except _NotFound:
                    # The post was deleted since it was seen: stop walking it rather than fail every run.
                    log.info(
                        "source %r: post %s is gone; its comments are no longer read", self.name, post_id
                    )
                    recent.pop(post_id)
                    comments_since.pop(post_id, None)
                    cursor = {**cursor, "recent_posts": dict(recent), "comments_since": dict(comments_since)}
                    yield SourcePage(mentions=(), cursor=cursor)
                    break
                parsed = _parse(response.content, ctx, "comment", post_id)
                if parsed.newest is not None and (newest is None or parsed.newest > newest):
                    newest = parsed.newest
                next_params = parsed.next_params if parsed.next_params != params else None
                if next_params is None and newest is not None:
                    comments_since[post_id] = newest.isoformat()
                cursor = {**cursor, "comments_since": dict(comments_since)}
                yield parsed.page(cursor)
                if next_params is None:
                    break
                params = next_params

    # -- counters of open items -------------------------------------------------------------------

    def refresh_pages(self, store: Store, now: datetime) -> Iterator[tuple[SourcePage, list[str]]]:
        """For open Facebook items of this source that are due, a page of fresh counters per batch of 50
        ids, with the ids that are gone (or hidden); those are marked deleted in ``store`` as they come."""
        rows = [r for r in store.open_mentions(PLATFORM, source=self.name) if refresh_due(r, now)]
        readable = [r for r in rows if _GRAPH_ID.fullmatch(r["external_id"])]
        posts = [r["external_id"] for r in readable if r["parent_id"] is None]
        comments = [r["external_id"] for r in readable if r["parent_id"] is not None]
        for ids, fields in ((posts, POST_COUNTER_FIELDS), (comments, COMMENT_COUNTER_FIELDS)):
            for start in range(0, len(ids), REFRESH_BATCH):
                batch = ids[start : start + REFRESH_BATCH]
                metrics, gone, captures = self._read_counters(batch, fields, now)
                if gone:
                    store.mark_deleted(PLATFORM, gone, now)
                yield (
                    SourcePage(
                        mentions=(),
                        metrics=tuple(metrics),
                        cursor={"last_refresh": now.isoformat()},
                        captures=tuple(captures),
                    ),
                    gone,
                )

    def refresh_metrics(self, store: Store, now: datetime) -> tuple[list[SourcePage], list[str]]:
        """Fresh counters of the open Facebook items that are due; returns the pages and the ids found gone
        or hidden, which are already marked deleted in ``store`` (their evidence stays)."""
        pages, missing = [], []
        for page, gone in self.refresh_pages(store, now):
            pages.append(page)
            missing += gone
        return pages, missing

    @staticmethod
    def _graph_id(external_id: str) -> str:
        """The id Graph reads: an older derived id "{page}_{post}_{comment}" is read as "{post}_{comment}"."""
        parts = external_id.split("_")
        return "_".join(parts[-2:]) if len(parts) > 2 else external_id

    def _read_counters(
        self, ids: list[str], fields: str, now: datetime
    ) -> tuple[list[MentionMetrics], list[str], list[Capture]]:
        by_graph = {self._graph_id(i): i for i in ids}
        raws: dict[str, bytes] = {}
        try:
            response = self._get("", {"ids": ",".join(by_graph), "fields": fields}, now)
            objects = self._objects(response.content, "a multi-id read")
            for graph_id in objects:
                try:
                    raws[graph_id] = value_bytes(response.content, graph_id)
                except PayloadError:
                    continue
        except _NotFound:
            # One missing id fails the whole multi-id read: read them one by one to learn which.
            objects = {}
            for graph_id in by_graph:
                try:
                    response = self._get(graph_id, {"fields": fields}, now)
                except _NotFound:
                    continue
                objects[graph_id] = self._objects(response.content, f"object {graph_id}")
                raws[graph_id] = response.content
        captures = [
            Capture(PLATFORM, by_graph[g], RawPayload(body=b, captured_at=now))
            for g, b in raws.items()
            if g in by_graph
        ]
        metrics, gone = [], []
        for graph_id, external_id in by_graph.items():
            obj = objects.get(graph_id)
            if not isinstance(obj, dict) or "error" in obj or obj.get("is_hidden") is True:
                gone.append(external_id)
                continue
            try:
                if "like_count" in obj or "comment_count" in obj or "is_hidden" in obj:
                    snap = MetricSnapshot(
                        at=now,
                        likes=_count(obj.get("like_count"), "like_count"),
                        replies=_count(obj.get("comment_count"), "comment_count"),
                    )
                else:
                    snap = MetricSnapshot(
                        at=now,
                        likes=_summary_count(obj, "reactions"),
                        shares=_shares(obj),
                        replies=_summary_count(obj, "comments"),
                    )
            except ValueError as exc:
                log.warning("source %r: skipped the counters of %s: %s", self.name, external_id, exc)
                continue
            metrics.append(MentionMetrics(PLATFORM, external_id, snap))
        return metrics, gone, captures

    def _objects(self, body: bytes, what: str) -> dict:
        try:
            obj = load_json(body)
        except PayloadError as exc:
            raise BadPayload(self.name, f"Facebook response to {what}: {exc}") from exc
        if not isinstance(obj, dict):
            raise BadPayload(self.name, f"Facebook response to {what} is not a JSON object")
        return obj


class FacebookMetricsSource:
    """The counters of open Facebook queue items, as a source of its own (``facebook-metrics``)."""

    def __init__(self, source: FacebookSource, store: Store, name: str = "facebook-metrics") -> None:
        self.source, self.store, self.name = source, store, name

    def fetch(self, cursor: dict[str, object], now: datetime) -> Iterator[SourcePage]:
        """A page of fresh counters per batch of due items; gone or hidden items are marked deleted."""
        cursor = {**cursor, "last_refresh": now.isoformat()}
        done = 0
        for page, _gone in self.source.refresh_pages(self.store, now):
            done += 1
            yield SourcePage(mentions=(), metrics=page.metrics, cursor=cursor, captures=page.captures)
        if not done:
            yield SourcePage(mentions=(), cursor=cursor)
