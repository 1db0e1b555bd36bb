"""Graph API response bodies into records (pure): Page posts, comments and replies.

Since Graph v11, comment ids and authors are omitted unless the token can moderate the Page: the id is then
derived from the permalink's ``comment_id`` in Graph's own ``{post}_{comment}`` form (so it matches the real
id if the token gains the right later), else from a hash, and the author is unknown. A malformed item is
skipped and listed, never the whole page; each item's bytes are kept as received, except a token Graph
echoes into them (``monitor.redact.scrub_bytes``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlparse

from monitor.errors import BadPayload
from monitor.records import (
    UNKNOWN_AUTHOR,
    UNKNOWN_AUTHOR_NAME,
    Mention,
    MentionMetrics,
    MetricSnapshot,
    Platform,
    RawPayload,
    SkippedItem,
    SourcePage,
    mention_problems,
    skipped_item,
)
from monitor.redact import scrub_bytes
from monitor.sources.base import count, parse_utc
from monitor.sources.payloads import PayloadError, item_bytes, load_json

log = logging.getLogger("repmon.sources.facebook")

PLATFORM = Platform.FACEBOOK
# ASCII digits only: \d (and str.isdigit) also take Arabic-Indic and other digits, which no Graph id holds
GRAPH_ID = re.compile(r"[0-9]+(?:_[0-9]+)*")


def _digits(text: str) -> bool:
    """``text`` is a number in ASCII digits (a part of a Graph id)."""
    return text.isascii() and text.isdigit()


def _parse_time(value: object) -> datetime:
    return parse_utc(value, "created_time")


def count_or_zero(value: object, what: str) -> int:
    return 0 if value is None else count(value, what)


def summary_count(obj: dict, key: str) -> int:
    edge = obj.get(key)
    if edge is None:
        return 0
    if not isinstance(edge, dict) or not isinstance(edge.get("summary", {}), dict):
        raise PayloadError(f"{key} is not an edge with a summary")
    return count_or_zero(edge.get("summary", {}).get("total_count"), f"{key}.summary.total_count")


def shares_count(obj: dict) -> int:
    shares = obj.get("shares")
    if shares is None:  # Graph leaves `shares` out of a post nobody has shared
        return 0
    if not isinstance(shares, dict):
        raise PayloadError("shares is not an object")
    return count_or_zero(shares.get("count"), "shares.count")


def _text(obj: dict) -> str:
    message = obj.get("message", "")
    if not isinstance(message, str):
        raise PayloadError("message is not text")
    return message


def _author(obj: dict) -> dict | None:
    author = obj.get("from")
    if author is None:
        return None
    if not isinstance(author, dict):
        raise PayloadError("from is not an object")
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
        if _digits(story):
            return story
        parts = [p for p in urlparse(permalink).path.split("/") if p]
        if len(parts) >= 3 and parts[-2] == "posts" and _digits(parts[-1]):
            return parts[-1]
    return None


@dataclass(frozen=True)
class Context:
    source: str
    page_id: str | None
    is_demo: bool
    now: datetime


def _mention(
    item: dict,
    raw: bytes,
    ctx: Context,
    graph_id: str,
    created: datetime,
    *,
    author_id: str,
    handle: str,
    name: str,
    thread_id: str | None,
    parent_id: str | None,
    from_business: bool,
) -> Mention:
    """A post or comment of the Page as a Mention (the fields both share are filled here)."""
    return Mention(
        platform=PLATFORM,
        external_id=graph_id,
        url=_url(item, graph_id),
        author_id=author_id,
        author_handle=handle,
        author_name=name,
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
        from_business=from_business,
    )


@dataclass
class Parsed:
    """One Graph response body turned into records, and the items it could not turn (``skipped``)."""

    mentions: list[Mention] = field(default_factory=list)
    metrics: list[MentionMetrics] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    posts: list[tuple[str, datetime]] = field(default_factory=list)
    newest: datetime | None = None
    next_params: dict[str, str] | None = None

    def add(self, mention: Mention, snapshot: MetricSnapshot | None) -> None:
        """Keep a mention (the first of an id); one ``mention_problems`` refuses raises PayloadError, and
        so does a second, different object with an id already kept (the same one again is dropped)."""
        if problems := mention_problems(mention, mention.raw.captured_at):
            raise PayloadError("; ".join(problems))
        first = next((m for m in self.mentions if m.external_id == mention.external_id), None)
        if first is not None:
            if (first.text, first.created_at) == (mention.text, mention.created_at):
                return  # a comment both embedded in the feed and read from its post: keep the first
            raise PayloadError(
                f"the id {mention.external_id} is already an earlier item of this response, with a different "
                "message or time: only the first was kept; check the response"
            )
        self.mentions.append(mention)
        if snapshot is not None:
            self.metrics.append(MentionMetrics(PLATFORM, mention.external_id, snapshot))
        if self.newest is None or mention.created_at > self.newest:
            self.newest = mention.created_at

    def page(self, cursor: dict[str, object]) -> SourcePage:
        return SourcePage(tuple(self.mentions), tuple(self.metrics), cursor, skipped=tuple(self.skipped))


def _post(item: dict, raw: bytes, ctx: Context, out: Parsed) -> None:
    post_id = item.get("id")
    if not isinstance(post_id, str) or not post_id.strip():
        raise PayloadError("id is missing")
    if not GRAPH_ID.fullmatch(post_id):  # it goes into the path of the comment walk's URL
        raise PayloadError(f"id {post_id!r} is not a Graph object id")
    created = _parse_time(item.get("created_time"))
    author = _author(item)
    author_id = str(author.get("id")) if author and author.get("id") else None
    own = author is None or (ctx.page_id is not None and author_id == ctx.page_id)
    name = str(author.get("name") or "") if author else ""
    mention = _mention(
        item,
        raw,
        ctx,
        post_id,
        created,
        author_id=author_id or ctx.page_id or UNKNOWN_AUTHOR,
        handle=name or ("(this Page)" if own else UNKNOWN_AUTHOR),
        name=name or ("(this Page)" if own else UNKNOWN_AUTHOR_NAME),
        thread_id=post_id,
        parent_id=None,
        from_business=own,
    )
    snapshot = None
    if any(k in item for k in ("shares", "reactions", "comments")):
        snapshot = MetricSnapshot(
            at=ctx.now,
            likes=summary_count(item, "reactions"),
            shares=shares_count(item),
            replies=summary_count(item, "comments"),
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


def _comment_ids(item: dict, post_id: str | None, ctx: Context) -> tuple[str, str | None, str | None]:
    """(id, parent id, thread id) of a comment, derived when Graph left the id out."""
    permalink = item.get("permalink_url")
    number = _post_number(post_id, permalink)
    thread = post_id or (f"{ctx.page_id}_{number}" if ctx.page_id and number else None)
    params = _query(permalink)
    top, reply = params.get("comment_id", ""), params.get("reply_comment_id", "")
    parent = item.get("parent")
    parent_id = parent.get("id") if isinstance(parent, dict) and isinstance(parent.get("id"), str) else None
    if parent_id is None and number and _digits(top) and _digits(reply):
        parent_id = f"{number}_{top}"
    comment_id = item.get("id")
    if not isinstance(comment_id, str) or not comment_id.strip():
        if number and _digits(reply) and _digits(top):
            comment_id = f"{number}_{reply}"
        elif number and _digits(top):
            comment_id = f"{number}_{top}"
        else:
            basis = json.dumps(
                [post_id or number, item.get("created_time"), item.get("message")], ensure_ascii=False
            )
            comment_id = (
                f"{thread or number or 'facebook'}_h{hashlib.sha256(basis.encode()).hexdigest()[:20]}"
            )
    return comment_id, parent_id or thread, thread


def _comment(item: dict, raw: bytes, ctx: Context, out: Parsed, post_id: str | None) -> None:
    created = _parse_time(item.get("created_time"))
    comment_id, parent_id, thread_id = _comment_ids(item, post_id, ctx)
    author = _author(item)
    author_id = str(author["id"]) if author and author.get("id") else None
    name = str(author.get("name") or "") if author else ""
    mention = _mention(
        item,
        raw,
        ctx,
        comment_id,
        created,
        author_id=author_id or UNKNOWN_AUTHOR,
        handle=name or UNKNOWN_AUTHOR,
        name=name or UNKNOWN_AUTHOR_NAME,
        thread_id=thread_id,
        parent_id=parent_id,
        from_business=ctx.page_id is not None and author_id == ctx.page_id,
    )
    snapshot = None
    if "like_count" in item or "comment_count" in item:
        snapshot = MetricSnapshot(
            at=ctx.now,
            likes=count_or_zero(item.get("like_count"), "like_count"),
            replies=count_or_zero(item.get("comment_count"), "comment_count"),
        )
    out.add(mention, snapshot)


def _looks_like_comment(item: dict) -> bool:
    return any(k in item for k in ("like_count", "comment_count", "parent", "is_hidden"))


def _items(
    data: list, raws: Sequence[bytes], ctx: Context, out: Parsed, kind: str, post_id: str | None = None
) -> None:
    """Each item into records; a malformed item is skipped and listed in ``out.skipped``, not the page."""
    if len(raws) != len(data):  # pragma: no cover - one decoder reads both; never trust a misalignment
        raise PayloadError("the items and their bytes do not line up")
    for n, (item, raw) in enumerate(zip(data, raws), 1):
        raw = scrub_bytes(raw)
        try:
            if not isinstance(item, dict):
                raise PayloadError("not a JSON object")
            if kind == "comment" or (kind == "any" and _looks_like_comment(item)):
                _comment(item, raw, ctx, out, post_id)
            else:
                _post(item, raw, ctx, out)
        except (ValueError, TypeError, KeyError, AttributeError, PayloadError) as exc:
            what = item.get("id") if isinstance(item, dict) else None
            usable = what if isinstance(what, str) and GRAPH_ID.fullmatch(what) else None
            within = f"post {post_id}" if post_id and kind == "comment" else None
            out.skipped.append(skipped_item("item" if kind == "any" else kind, n, usable, str(exc), within))


def _next_params(paging: dict) -> dict[str, str] | None:
    """The query of ``paging.next``, without the token Graph puts in it."""
    params = _query(paging.get("next"))
    for secret in ("access_token", "appsecret_proof"):
        params.pop(secret, None)
    return params or None


def parse_body(body: bytes, ctx: Context, kind: str, post_id: str | None = None) -> Parsed:
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
    out = Parsed()
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
    parsed = parse_body(body, Context(source, page_id, False, now), "any")
    return parsed.page({})


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def from_iso(value: object) -> datetime | None:
    """A time saved in a cursor; None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return _parse_time(value)
    except ValueError:
        return None
