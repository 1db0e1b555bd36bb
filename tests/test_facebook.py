"""The Facebook Page pollers against cassettes built from the Graph API reference
(tests/cassettes/build_facebook.py)."""

import hashlib
import io
import json
import logging
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import vcr
import yaml

from monitor.errors import AuthExpired, BadPayload, ConfigError, RateLimited, SourceError
from monitor.evidence import render_bundle
from monitor.pipeline import run_pass
from monitor.records import Gone, Mention, MentionMetrics, MetricSnapshot, RawPayload
from monitor.sources.facebook import (
    FacebookMetricsSource,
    FacebookSource,
    GraphSession,
    parse_response,
)

CASSETTES = Path(__file__).parent / "cassettes" / "test_facebook"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PAGE = "104857600123456"
TOKEN = "EAAGm0PX4ZCpsBAtestPageTokenDoNotLogZDZD"
P1, P2, P3, P4 = (f"{PAGE}_90000000000000{n}" for n in (3, 2, 1, 4))
replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_query_parameters=["access_token", "appsecret_proof"],
    filter_headers=["authorization"],
    match_on=["method", "scheme", "host", "path", "query"],
)


class RecordingSession(GraphSession):
    """Keeps every URL requested, to check where the poller goes."""

    def __init__(self):
        super().__init__(timeout=20.0)
        self.urls = []

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        self.urls.append(response.request.url)
        return response


def source(**kw):
    """The cassettes were recorded when comments were walked for 3 days after a post: keep that window
    (the 30-day default and its schedule have tests of their own, on a routed transport)."""
    kw.setdefault("comment_window", timedelta(days=3))
    kw.setdefault("backoff", 0)
    return FacebookSource("facebook", PAGE, TOKEN, **kw)


def cassette_body(name, index=0):
    doc = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    return doc["interactions"][index]["response"]["body"]["string"].encode("utf-8")


def exact(body, obj, ascii_only=False):
    """An item's bytes as they stand in the body (checked to be a verbatim slice of it)."""
    item = json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":")).encode("utf-8")
    assert item in body
    return item


def first_run():
    src = source()
    with replay.use_cassette("feed_comments_since.yaml") as cas:
        pages = list(src.fetch({}, NOW))
        played = [cas.play_counts[i] for i in range(len(cas))]
    return pages, played


def by_id(pages):
    return {m.external_id: m for p in pages for m in p.mentions}


def test_feed_then_comments_pages_on_the_configured_graph_version():
    session = RecordingSession()
    src = source(session=session)
    with replay.use_cassette("feed_comments_since.yaml") as cas:
        pages = list(src.fetch({}, NOW))
        assert [cas.play_counts[i] for i in range(len(cas))] == [1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert [(u.scheme, u.netloc, u.path) for u in map(urlparse, session.urls)] == [
        ("https", "graph.facebook.com", f"/v25.0/{PAGE}/feed"),
        ("https", "graph.facebook.com", f"/v25.0/{PAGE}/feed"),
        ("https", "graph.facebook.com", f"/v25.0/{P2}/comments"),
        ("https", "graph.facebook.com", f"/v25.0/{P2}/comments"),
        ("https", "graph.facebook.com", f"/v25.0/{P1}/comments"),
    ]
    # paging.next was followed with its cursor, and the token Graph echoed into it sent only once
    second = parse_qs(urlparse(session.urls[1]).query)
    assert (second["after"], second["access_token"]) == (["QVFIUmFmdGVyRmVlZFBhZ2Ux"], [TOKEN])
    assert [[m.external_id for m in p.mentions] for p in pages] == [
        [P1, "900000000000003_700000000000001", P2],
        [P3],
        ["900000000000002_700000000000010", "900000000000002_700000000000011"],
        ["900000000000002_700000000000012"],
        [
            "900000000000003_700000000000001",
            "900000000000003_700000000000020",
            f"{P1}_h1ebf60a1def236eefcab",
        ],
    ]
    # mid-walk the feed cursor keeps where to resume; since moves only when the walk is complete
    assert pages[0].cursor["feed_since"] is None
    assert pages[0].cursor["feed_pending"] == "2026-11-20T09:00:00+00:00"
    assert pages[0].cursor["feed_next"]["after"] == "QVFIUmFmdGVyRmVlZFBhZ2Ux"
    assert "access_token" not in pages[0].cursor["feed_next"]
    assert pages[-1].cursor == {
        "comments_since": {P2: "2026-11-19T21:15:00+00:00", P1: "2026-11-20T10:40:00+00:00"},
        "feed_since": "2026-11-20T09:00:00+00:00",
        "feed_pending": None,
        "feed_next": None,
        "recent_posts": {P1: "2026-11-20T09:00:00+00:00", P2: "2026-11-19T18:30:00+00:00"},
        "comments_walked": {P2: NOW.isoformat(), P1: NOW.isoformat()},  # both walks complete
    }


def test_the_page_own_posts_are_context_and_visitor_posts_are_mentions():
    pages, _ = first_run()
    feed = cassette_body("feed_comments_since")
    data = json.loads(feed)["data"]
    mentions = by_id(pages)
    assert mentions[P1] == Mention(
        platform="facebook",
        external_id=P1,
        url=f"https://www.facebook.com/{PAGE}/posts/900000000000003",
        author_id=PAGE,
        author_handle="קפה לימון",
        author_name="קפה לימון",
        author_followers=None,
        text="מבצע חדש! ☕ קפה שני בחצי מחיר 🎉",
        language=None,
        created_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        # the token Graph echoed into the embedded comments' paging.next is not kept as evidence
        raw=RawPayload(exact(feed, data[0]).replace(TOKEN.encode(), b"[redacted]"), NOW),
        source="facebook",
        thread_id=P1,
        parent_id=None,
        own_page=True,
        is_demo=False,
        from_business=True,
    )
    assert mentions[P2] == Mention(
        platform="facebook",
        external_id=P2,
        url=f"https://www.facebook.com/{PAGE}/posts/900000000000002",
        author_id="5550002",
        author_handle="Dana Levi",
        author_name="Dana Levi",
        author_followers=None,
        text="They charged my card twice, is this a scam?",
        language=None,
        created_at=datetime(2026, 11, 19, 18, 30, tzinfo=UTC),
        raw=RawPayload(exact(feed, data[1]), NOW),
        source="facebook",
        thread_id=P2,
        parent_id=None,
        own_page=True,
        is_demo=False,
        from_business=False,
    )
    own_without_from = mentions[P3]
    assert (own_without_from.author_id, own_without_from.author_name, own_without_from.from_business) == (
        PAGE,
        "(this Page)",
        True,
    )
    assert [m for p in pages[:2] for m in p.metrics] == [
        MentionMetrics("facebook", P1, MetricSnapshot(at=NOW, likes=120, shares=8, replies=3)),
        MentionMetrics(
            "facebook", "900000000000003_700000000000001", MetricSnapshot(at=NOW, likes=2, replies=1)
        ),
        MentionMetrics("facebook", P2, MetricSnapshot(at=NOW, likes=40, shares=12, replies=3)),
        MentionMetrics("facebook", P3, MetricSnapshot(at=NOW, likes=15, shares=0, replies=0)),
    ]


def test_embedded_comments_and_replies_are_threaded_under_their_post():
    pages, _ = first_run()
    mentions = by_id(pages)
    embedded = pages[0].mentions[1]
    assert (embedded.external_id, embedded.thread_id, embedded.parent_id, embedded.author_name) == (
        "900000000000003_700000000000001",
        P1,
        P1,
        "נועה כהן",
    )
    reply = mentions["900000000000002_700000000000011"]
    assert (reply.thread_id, reply.parent_id, reply.from_business, reply.author_id) == (
        P2,
        "900000000000002_700000000000010",
        True,  # the Page answering on its own post
        PAGE,
    )
    assert pages[2].metrics == (
        MentionMetrics(
            "facebook", "900000000000002_700000000000010", MetricSnapshot(at=NOW, likes=4, replies=1)
        ),
        MentionMetrics(
            "facebook", "900000000000002_700000000000011", MetricSnapshot(at=NOW, likes=1, replies=0)
        ),
    )


def test_comments_without_id_and_author_get_a_stable_id_and_an_unknown_author():
    pages, _ = first_run()
    mentions = by_id(pages)
    body = cassette_body("feed_comments_since", 3)
    no_id = mentions["900000000000002_700000000000012"]
    assert no_id == Mention(
        platform="facebook",
        external_id="900000000000002_700000000000012",
        url=f"https://www.facebook.com/{PAGE}/posts/900000000000002/?comment_id=700000000000012",
        author_id="unknown",
        author_handle="unknown",
        author_name="(unknown author)",
        author_followers=None,
        text="גם אצלי חייבו פעמיים 😡",
        language=None,
        created_at=datetime(2026, 11, 19, 21, 15, tzinfo=UTC),
        raw=RawPayload(exact(body, json.loads(body)["data"][0], ascii_only=True), NOW),
        source="facebook",
        thread_id=P2,
        parent_id=P2,
        own_page=True,
        is_demo=False,
        from_business=False,
    )
    reply = mentions["900000000000003_700000000000020"]
    assert (reply.parent_id, reply.thread_id, reply.author_id) == (
        "900000000000003_700000000000001",
        P1,
        "unknown",
    )
    hashed = mentions[f"{P1}_h1ebf60a1def236eefcab"]
    assert (hashed.url, hashed.text, hashed.parent_id, hashed.author_name) == (
        f"https://www.facebook.com/{P1}_h1ebf60a1def236eefcab",
        "🔥🔥🔥",
        P1,
        "(unknown author)",
    )


def test_hebrew_and_emoji_are_kept_byte_exact():
    pages, _ = first_run()
    mentions = by_id(pages)
    feed = cassette_body("feed_comments_since")
    item = exact(feed, json.loads(feed)["data"][0]["comments"]["data"][0])
    comment = mentions["900000000000003_700000000000001"]
    assert comment.text == "הקפה הגיע קר שוב 😡☕ ממש לא בסדר"
    assert comment.raw == RawPayload(item, NOW)
    assert comment.raw.sha256 == hashlib.sha256(item).hexdigest()
    # Graph may also escape non-ASCII (\uXXXX): the escaped bytes are kept as sent
    escaped = mentions["900000000000002_700000000000012"].raw.body
    assert b"\\u05d2\\u05dd" in escaped and b"\\ud83d\\ude21" in escaped
    assert json.loads(escaped)["message"] == "גם אצלי חייבו פעמיים 😡"


def test_since_and_overlap_through_the_pipeline_store_nothing_twice(store, fake_classifier):
    src = source()
    with replay.use_cassette("feed_comments_since.yaml", allow_playback_repeats=False) as cas:
        first = run_pass(store, [src], fake_classifier, NOW)
        second = run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=5))
        assert cas.all_played
        queries = [parse_qs(urlparse(r.uri).query).get("since") for r in cas.requests]
    assert (first.new_mentions, second.new_mentions, first.errors, second.errors) == (9, 3, [], [])
    assert store.counts().mentions == 12  # the re-read comments, the hashed one too, were not new
    assert queries == [
        None,
        None,
        None,
        None,
        None,
        ["1795165200"],  # the feed since the newest post seen (09:00)
        ["1795121100"],  # the comments since the newest seen (21:15) minus 30 minutes: 20:45
        ["1795169400"],  # 10:40 minus 30 minutes
        None,  # a post first seen in this run: all its comments
    ]
    assert [datetime.fromtimestamp(int(q[0]), UTC) for q in queries if q] == [
        datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 19, 20, 45, tzinfo=UTC),
        datetime(2026, 11, 20, 10, 10, tzinfo=UTC),
    ]
    # the late comment (posted 20:50, after 21:15 was already seen) was caught by the overlap
    assert store.raw_payload("facebook", "900000000000002_700000000000013") is not None
    cursor = store.source_state("facebook").cursor
    assert (cursor["feed_since"], cursor["comments_since"]) == (
        "2026-11-20T11:30:00+00:00",
        {
            P2: "2026-11-19T21:15:00+00:00",
            P1: "2026-11-20T10:40:00+00:00",
            P4: "2026-11-20T11:45:00+00:00",
        },
    )


def test_a_paging_cursor_sent_again_ends_the_walk_with_a_message(store, fake_classifier):
    # the feed's third page pointed back to the second: the walk went round for ever (a comments page
    # pointing to itself ended its walk, but without a word)
    with replay.use_cassette("paging_loop.yaml", allow_playback_repeats=False) as cas:
        pages = list(source().fetch({}, NOW))
        assert cas.all_played and cas.play_count == 6
    assert [[m.external_id for m in p.mentions] for p in pages] == [
        [P2],
        [P3],
        [P4],
        ["900000000000002_700000000000010", "900000000000002_700000000000011"],
        ["900000000000002_700000000000012"],
        ["900000000000004_700000000000030"],
    ]
    loop = "a second time in one walk (a paging loop): the walk ended there; the next run goes on from"
    loop += " what it read"
    assert [[str(s) for s in p.skipped] for p in pages] == [
        [],
        [],
        [f"skipped the rest of the feed: Facebook sent the paging cursor 'QVFIUmFmdGVyRmVlZFBhZ2Ux' {loop}"],
        [],
        [
            f"skipped the rest of the comments of post {P2}: Facebook sent the paging cursor "
            f"'QVFIUmFmdGVyQ29tbWVudHM' {loop}"
        ],
        [],
    ]
    assert (pages[2].cursor["feed_since"], pages[2].cursor["feed_next"]) == (
        "2026-11-20T11:30:00+00:00",
        None,
    )
    assert pages[-1].cursor["comments_since"] == {
        P2: "2026-11-19T21:15:00+00:00",
        P4: "2026-11-20T11:45:00+00:00",
    }
    with replay.use_cassette("paging_loop.yaml", allow_playback_repeats=False):
        report = run_pass(store, [source()], fake_classifier, NOW)
    assert report.new_mentions == 7 and report.skipped == 2
    assert report.errors == [f"source 'facebook': {s}" for p in pages for s in map(str, p.skipped)]
    assert TOKEN not in "\n".join(report.errors)


def test_posts_past_the_comment_window_get_no_more_comment_walks():
    cursor = {
        "feed_since": "2026-11-20T09:00:00+00:00",
        "recent_posts": {P2: "2026-11-19T18:30:00+00:00", f"{PAGE}_1": "2026-11-01T00:00:00+00:00"},
        "comments_since": {P2: "2026-11-19T21:15:00+00:00", f"{PAGE}_1": "2026-11-02T00:00:00+00:00"},
    }
    src = source(comment_window=timedelta(days=3))
    with replay.use_cassette("feed_comments_since.yaml") as cas:
        pages = list(src.fetch(cursor, NOW))[:2]
        assert [cas.play_counts[i] for i in (5, 6)] == [1, 1]
    assert pages[0].cursor["recent_posts"] == {
        P2: "2026-11-19T18:30:00+00:00",
        P4: "2026-11-20T11:30:00+00:00",
    }
    assert pages[0].cursor["comments_since"] == {P2: "2026-11-19T21:15:00+00:00"}


class Routed(requests.adapters.BaseAdapter):
    """A transport answering each GET with HTTP 200 and the body ``route(path)`` gives; keeps the paths."""

    def __init__(self, route):
        super().__init__()
        self.route, self.paths = route, []

    def send(self, request, **kwargs):
        path = urlparse(request.url).path
        self.paths.append(path)
        response = requests.Response()
        response.status_code, response.reason, response.url, response.request = (
            200,
            "OK",
            request.url,
            request,
        )
        response.headers["content-type"] = "application/json; charset=UTF-8"
        response._content, response._content_consumed = self.route(path), True
        return response

    def close(self):
        pass


def routed_source(route, **kw):
    session = GraphSession()
    adapter = Routed(route)
    session.mount("https://", adapter)
    return FacebookSource("facebook", PAGE, TOKEN, session=session, backoff=0, **kw), adapter


def comment_body(post_id, n, at):
    return json.dumps(
        {
            "data": [
                {
                    "id": f"{post_id.split('_')[1]}_70000000000{n:04d}",
                    "message": "someone wrote this on an old post",
                    "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                    "from": {"name": "Dana", "id": "5550009"},
                }
            ],
            "paging": {},
        }
    ).encode()


def test_comment_walk_interval_by_post_age():
    from monitor.sources.facebook.feed import comment_walk_interval

    assert comment_walk_interval(timedelta(days=2, hours=23)) == timedelta(0)  # every poll
    assert comment_walk_interval(timedelta(days=3, minutes=1)) == timedelta(hours=1)
    assert comment_walk_interval(timedelta(days=7)) == timedelta(hours=1)
    assert comment_walk_interval(timedelta(days=7, minutes=1)) == timedelta(hours=6)


def test_older_posts_comments_are_read_when_their_walk_is_due():
    """Comment walks stopped 3 days after a post: a comment left on last week's post was never read. Posts
    of the comment window (30 days) are walked on a schedule by age; older ones are forgotten."""
    old10, old5, young, gone = (f"{PAGE}_91000000000000{n}" for n in range(4))
    at = {old10: NOW - timedelta(days=10), old5: NOW - timedelta(days=5), young: NOW - timedelta(days=1),
          gone: NOW - timedelta(days=31)}  # fmt: skip
    cursor = {
        "feed_since": (NOW - timedelta(hours=1)).isoformat(),
        "recent_posts": {pid: t.isoformat() for pid, t in at.items()},
        "comments_walked": {
            old10: (NOW - timedelta(hours=2)).isoformat(),  # due every 6 hours: not yet
            old5: (NOW - timedelta(hours=2)).isoformat(),  # due hourly: due
            young: (NOW - timedelta(minutes=1)).isoformat(),  # every poll
            gone: (NOW - timedelta(days=2)).isoformat(),
        },
    }

    def route(path):
        if path.endswith("/feed"):
            return b'{"data": [], "paging": {}}'
        post = path.split("/")[-2]
        return comment_body(post, 1, NOW - timedelta(minutes=30)) if post == old5 else b'{"data": []}'

    src, adapter = routed_source(route)
    pages = list(src.fetch(cursor, NOW))
    walked = [p.split("/")[-2] for p in adapter.paths if p.endswith("/comments")]
    assert walked == [old5, young]  # oldest first; the 10-day-old post not yet, the 31-day-old never
    assert [m.text for p in pages for m in p.mentions] == ["someone wrote this on an old post"]
    last = pages[-1].cursor
    assert set(last["recent_posts"]) == {old10, old5, young}
    assert last["comments_walked"] == {
        old10: (NOW - timedelta(hours=2)).isoformat(),
        old5: NOW.isoformat(),
        young: NOW.isoformat(),
    }
    assert last["comments_since"] == {old5: (NOW - timedelta(minutes=30)).isoformat()}

    adapter.paths.clear()
    list(src.fetch(last, NOW + timedelta(minutes=30)))  # half an hour on: only the young post
    assert [p.split("/")[-2] for p in adapter.paths if p.endswith("/comments")] == [young]
    adapter.paths.clear()
    list(src.fetch(last, NOW + timedelta(hours=4, minutes=1)))  # 6 hours after the 10-day-old post's walk
    assert [p.split("/")[-2] for p in adapter.paths if p.endswith("/comments")] == [old10, old5, young]


def test_a_recent_post_deleted_since_is_dropped_from_the_comment_walks(caplog):
    caplog.set_level(logging.INFO, logger="repmon.sources.facebook")
    with replay.use_cassette("post_deleted_since.yaml") as cas:
        pages = list(source().fetch({}, NOW))
        assert cas.all_played
    assert [[m.external_id for m in p.mentions] for p in pages] == [[P2], []]
    assert (pages[-1].cursor["recent_posts"], pages[-1].cursor["comments_since"]) == ({}, {})
    assert [r.getMessage() for r in caplog.records] == [
        f"source 'facebook': post {P2} is gone; its comments are no longer read"
    ]


def test_expired_token_names_the_setting_and_never_the_token(store, fake_classifier):
    with replay.use_cassette("auth_expired.yaml"), pytest.raises(AuthExpired) as err:
        list(source().fetch({}, NOW))
    assert str(err.value) == (
        "source 'facebook': Facebook Page token expired or invalidated (code 190: the token expired): "
        "renew the Page token in REPMON_FACEBOOK_PAGE_TOKEN"
    )
    with replay.use_cassette("auth_expired.yaml"):
        report = run_pass(store, [source()], fake_classifier, NOW)
    state = store.source_state("facebook")
    assert (state.status, state.last_error) == ("failing", str(err.value))
    assert TOKEN not in report.errors[0]


@pytest.mark.parametrize(
    ("cassette", "code", "wait"),
    [
        ("rate_limited_app", 4, timedelta(minutes=37)),  # X-App-Usage estimated_time_to_regain_access
        ("rate_limited_page", 32, timedelta(minutes=19)),  # X-Business-Use-Case-Usage
        ("rate_limited_no_usage", 613, timedelta(minutes=15)),  # no header says: 15 minutes
    ],
)
def test_rate_limits_record_when_access_comes_back(cassette, code, wait):
    with replay.use_cassette(f"{cassette}.yaml"), pytest.raises(RateLimited) as err:
        list(source().fetch({}, NOW))
    assert err.value.reset_at == NOW + wait
    assert str(err.value) == (
        f"source 'facebook': Facebook rate limit reached (code {code}) on GET /v25.0/{PAGE}/feed; "
        f"next request allowed at {(NOW + wait).isoformat()}"
    )


def test_a_rate_limited_source_is_skipped_until_reset(store, fake_classifier):
    with replay.use_cassette("rate_limited_app.yaml"):
        run_pass(store, [source()], fake_classifier, NOW)
    state = store.source_state("facebook")
    assert (state.status, state.reset_at) == ("rate_limited", NOW + timedelta(minutes=37))
    with replay.use_cassette("rate_limited_app.yaml") as cas:
        report = run_pass(store, [source()], fake_classifier, NOW + timedelta(minutes=10))
        assert cas.play_count == 0
    assert report.errors == ["source 'facebook': rate limited until 2026-11-20T12:37:00+00:00, skipped"]


@pytest.mark.parametrize("code", [200, 10])
def test_missing_permissions_are_named(code):
    with replay.use_cassette(f"missing_permission_{code}.yaml"), pytest.raises(SourceError) as err:
        list(source().fetch({}, NOW))
    assert type(err.value) is SourceError
    message = str(err.value)
    assert f"(code {code}, missing permission: (#{code})" in message
    assert message.endswith(
        "the Page token needs pages_read_engagement and pages_read_user_content; "
        "grant them and renew REPMON_FACEBOOK_PAGE_TOKEN"
    )


def test_server_errors_are_retried_with_doubling_backoff():
    waits = []
    src = source(backoff=0.5, sleep=waits.append)
    with replay.use_cassette("server_errors_then_ok.yaml") as cas:
        pages = list(src.fetch({}, NOW))
        assert cas.play_count == 3
    assert waits == [0.5, 1.0]
    assert [[m.external_id for m in p.mentions] for p in pages] == [[P3]]


def test_server_down_gives_up_after_three_tries():
    with replay.use_cassette("server_down.yaml") as cas, pytest.raises(SourceError) as err:
        list(source().fetch({}, NOW))
    assert cas.play_count == 3
    assert str(err.value) == (
        f"source 'facebook': Facebook Graph API unavailable (server error 500) after 3 tries for "
        f"GET /v25.0/{PAGE}/feed; will retry next run"
    )


@pytest.mark.parametrize(
    ("cassette", "message"),
    [
        (
            "missing_data",
            "Facebook response: no 'data' list and no single object with 'id' and 'created_time'",
        ),
        ("wrong_types", "Facebook response: 'data' is not a list (it is dict)"),
        ("paging_not_object", "Facebook response: 'paging' is not an object"),
        ("truncated", f"Facebook sent a body that is not JSON for GET /v25.0/{PAGE}/feed"),
        (
            "html_not_json",
            f"Facebook sent text/html; charset=utf-8 instead of JSON for GET /v25.0/{PAGE}/feed",
        ),
    ],
)
def test_malformed_bodies_are_bad_payloads(cassette, message):
    with replay.use_cassette(f"{cassette}.yaml"), pytest.raises(BadPayload) as err:
        list(source().fetch({}, NOW))
    assert str(err.value) == f"source 'facebook': {message}"


def test_an_empty_feed_is_one_empty_page_and_the_cursor_stays():
    with replay.use_cassette("empty_data.yaml"):
        pages = list(source().fetch({}, NOW))
    assert [(p.mentions, p.metrics) for p in pages] == [((), ())]
    assert pages[0].cursor == {
        "comments_since": {},
        "feed_since": None,
        "feed_pending": None,
        "feed_next": None,
        "recent_posts": {},
        "comments_walked": {},
    }


def test_malformed_items_are_skipped_not_the_page(caplog):
    caplog.set_level(logging.WARNING, logger="repmon.sources.facebook")
    with replay.use_cassette("malformed_items.yaml"):
        [page] = list(source(comment_window=timedelta(0)).fetch({}, NOW))
    assert [m.external_id for m in page.mentions] == [P3, P1, "900000000000003_700000000000001"]
    # each skipped item is on the page (the pass reports it) and in the log: kind, position, id, reason
    expected = [
        f"skipped post #2 (id {P2}): created_time None is not a timestamp",
        "skipped post #3: id is missing",
        "skipped post #4: not a JSON object",
        f"skipped post #5 (id {P2}): message is not text",
        f"skipped post #6 (id {P2}): reactions.summary.total_count 'many' is not a count",
        "skipped comment #1 of post 104857600123456_900000000000003: created_time None is not a timestamp",
    ]
    assert [str(s) for s in page.skipped] == expected
    assert [r.getMessage() for r in caplog.records] == [f"source 'facebook': {e}" for e in expected]


def test_two_different_objects_with_one_id_are_named_and_the_same_one_twice_is_kept_once(caplog):
    # the second of two different posts with one id vanished without a word (the first was kept)
    caplog.set_level(logging.WARNING, logger="repmon.sources.facebook")
    post = {"id": "1_2", "message": "the coffee was cold", "created_time": "2026-11-20T10:00:00+0000"}
    again = dict(post)
    other_text = post | {"message": "the coffee was great"}
    other_time = post | {"created_time": "2026-11-20T10:05:00+0000"}
    body = json.dumps({"data": [post, again, other_text, other_time]}).encode()
    page = parse_response(body, NOW)
    assert [(m.external_id, m.text) for m in page.mentions] == [("1_2", "the coffee was cold")]
    reason = (
        "the id 1_2 is already an earlier item of this response, with a different message or time: only the "
        "first was kept; check the response"
    )
    assert [str(s) for s in page.skipped] == [
        f"skipped item #3 (id 1_2): {reason}",
        f"skipped item #4 (id 1_2): {reason}",
    ]
    assert len(caplog.records) == 2  # the identical second copy (item #2) stays quiet


def test_parse_response_reads_saved_bodies_with_the_poller_code():
    feed = parse_response(cassette_body("feed_comments_since"), NOW, page_id=PAGE)
    assert [(m.external_id, m.source, m.from_business) for m in feed.mentions] == [
        (P1, "import", True),
        ("900000000000003_700000000000001", "import", False),
        (P2, "import", False),
    ]
    assert feed.cursor == {}
    comments = parse_response(cassette_body("feed_comments_since", 2), NOW, "import-facebook", PAGE)
    assert [(m.external_id, m.parent_id, m.thread_id) for m in comments.mentions] == [
        ("900000000000002_700000000000010", P2, P2),
        ("900000000000002_700000000000011", "900000000000002_700000000000010", P2),
    ]
    single = parse_response(
        b'{"id":"1_2","message":"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d","created_time":"2026-11-20T10:00:00+0000"}',
        NOW,
    )
    assert [(m.external_id, m.text, m.raw.body[:9]) for m in single.mentions] == [
        ("1_2", "שלום", b'{"id":"1_')
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error": {"message": "Invalid OAuth access token.", "code": 190}}', "a Graph API error response"),
        (b'{"data": [{"id": "1_2", "message": "cut', "not JSON"),
        (b'{"data": [{"id": "18", "text": "hi"}], "meta": {"result_count": 1}}', "an X API body"),
        (b'{"data": [], "includes": {"users": []}}', "an X API body"),
        (b"[1, 2]", "not a JSON object"),
    ],
)
def test_parse_response_rejects_what_is_not_a_facebook_response(body, message):
    with pytest.raises(BadPayload, match=message):
        parse_response(body, NOW)


def seed_refresh(store, fake_classifier):
    """Store the Page's visitor posts and comments, classified and queued, two hours ago."""
    earlier = NOW - timedelta(hours=2)
    report = run_pass(store, [source(comment_window=timedelta(0))], fake_classifier, earlier)
    assert (report.new_mentions, report.errors) == (5, [])


def test_refresh_metrics_marks_gone_and_hidden_items_deleted_and_keeps_evidence(store, fake_classifier):
    r1, r2, r3 = (
        "900000000000002_700000000000040",
        "900000000000002_700000000000041",
        ("900000000000005_700000000000042"),
    )
    p5 = f"{PAGE}_900000000000005"
    src = source()
    with replay.use_cassette("refresh.yaml", allow_playback_repeats=False) as cas:
        seed_refresh(store, fake_classifier)
        pages, missing = src.refresh_metrics(store, NOW)
        assert cas.all_played
    assert [p.metrics for p in pages] == [
        (MentionMetrics("facebook", P2, MetricSnapshot(at=NOW, likes=210, shares=31, replies=57)),),
        (MentionMetrics("facebook", r1, MetricSnapshot(at=NOW, likes=12, replies=3)),),
    ]
    assert missing == [p5, r2, r3]
    assert [store.deleted_at("facebook", i) for i in (P2, p5, r1, r2, r3)] == [None, NOW, None, NOW, NOW]
    seed = cassette_body("refresh")
    body, sha, captured = store.raw_payload("facebook", p5)
    assert (body, sha, captured) == (
        exact(seed, json.loads(seed)["data"][1]),
        hashlib.sha256(exact(seed, json.loads(seed)["data"][1])).hexdigest(),
        NOW - timedelta(hours=2),
    )
    assert sorted(r.external_id for r in store.open_mentions("facebook")) == [P2, r1]


def test_the_metrics_source_runs_the_refresh_in_the_pipeline(store, fake_classifier):
    metrics = FacebookMetricsSource(source(), store)
    with replay.use_cassette("refresh.yaml", allow_playback_repeats=False):
        seed_refresh(store, fake_classifier)
        report = run_pass(store, [metrics], fake_classifier, NOW)
    assert (report.new_snapshots, report.errors) == (2, [])
    assert store.source_state("facebook-metrics").cursor == {"last_refresh": NOW.isoformat()}
    assert store.deleted_at("facebook", f"{PAGE}_900000000000005") == NOW
    # every re-read is kept as a capture, byte for byte, beside the first payload
    captured = store.captures("facebook", P2)
    assert len(captured) == 1 and captured[0].captured_at == NOW
    assert json.loads(captured[0].body)["reactions"]["summary"]["total_count"] == 210
    assert captured[0].sha256 == hashlib.sha256(captured[0].body).hexdigest()
    with replay.use_cassette("refresh.yaml") as cas:  # nothing due a minute later: no request
        assert [p.metrics for p in metrics.fetch({}, NOW + timedelta(minutes=1))] == [()]
        assert cas.play_count == 0


def test_a_refresh_captures_the_text_as_edited_on_the_platform_and_the_evidence_carries_it(
    store, fake_classifier
):
    """The refresh asks Graph for ``message`` too: a comment edited since its first read (made harsher)
    and a post edited (made milder) are kept, as they now stand, in later captures beside the first
    payload, and both versions are in the item's evidence and its ZIP."""
    r1 = "900000000000002_700000000000040"
    metrics = FacebookMetricsSource(source(), store)
    with replay.use_cassette("refresh.yaml", allow_playback_repeats=False):
        seed_refresh(store, fake_classifier)
        run_pass(store, [metrics], fake_classifier, NOW)
    first, _, _ = store.raw_payload("facebook", r1)
    assert json.loads(first)["message"] == "Still waiting for my refund"
    [later] = store.captures("facebook", r1)
    assert (later.captured_at, json.loads(later.body)) == (
        NOW,
        {
            "id": r1,
            "message": "Still waiting for my refund. You are crooks and liars",
            "like_count": 12,
            "comment_count": 3,
            "is_hidden": False,
        },
    )
    [post] = store.captures("facebook", P2)
    assert json.loads(post.body)["message"] == "My refund came in the end, thank you"
    item_id = next(q.id for q in store.queue() if q.external_id == r1)
    ev = store.evidence(item_id)
    assert (ev["raw"]["body"], [c["body"] for c in ev["captures"]]) == (first, [later.body])
    zf = zipfile.ZipFile(io.BytesIO(render_bundle(ev, NOW)))
    assert (zf.read("post/raw_payload.json"), zf.read("post/captures/001.json")) == (first, later.body)
    summary = zf.read("summary.html").decode()
    assert "<h2>Edited on the platform</h2>" in summary
    edited = "Still waiting for my refund. You are crooks and liars"
    assert f'<div class="post" dir="ltr">{edited}</div>' in summary


def test_a_comment_edited_into_an_accusation_is_classified_at_the_refresh_and_goes_to_legal(
    store, fake_classifier
):
    """The refresh finds the comment "Still waiting for my refund" edited into "... You are crooks and
    liars": the pass classifies the edit (a stand-in that reads "crooks" as defamation), and the item,
    a complaint until then, goes to legal. The post edited into another complaint keeps its label and
    playbook (a tie between versions goes to the newer)."""
    from dataclasses import replace

    from conftest import FakeClassifier

    from monitor.records import QueueFilter
    from monitor.triage import LEGAL_SCOPE

    class StandIn(FakeClassifier):
        def predict(self, texts):
            out = super().predict(texts)
            return [
                replace(p, label="defamation", scores=p.scores | {"defamation": 0.92, "complaint": 0.05})
                if "crooks" in t
                else p
                for t, p in zip(texts, out, strict=True)
            ]

    r1 = "900000000000002_700000000000040"
    clf = StandIn()
    metrics = FacebookMetricsSource(source(), store)
    with replay.use_cassette("refresh.yaml", allow_playback_repeats=False):
        seed_refresh(store, clf)
        before = {q.external_id: (q.label, q.playbook) for q in store.queue()}
        report = run_pass(store, [metrics], clf, NOW)
    assert report.errors == []
    assert before[r1] == ("complaint", "reply")
    items = {q.external_id: q for q in store.queue()}
    q = items[r1]
    assert (q.label, q.playbook, q.edit.text) == (
        "defamation",
        "escalate_legal",
        "Still waiting for my refund. You are crooks and liars",
    )
    assert r1 in [x.external_id for x in store.queue(QueueFilter(legal=LEGAL_SCOPE))]
    assert (items[P2].label, items[P2].playbook) == before[P2] == ("complaint", "reply")
    assert (items[P2].edit.text, items[P2].edit.label) == (
        "My refund came in the end, thank you",
        "complaint",
    )
    assert store.verify() == []


def test_the_refresh_walker_reads_only_and_the_pipeline_marks_gone_items_with_the_page(
    store, fake_classifier
):
    """The metrics walker yields the gone or hidden ids in each page's ``deleted``; nothing is written
    until the page is stored, and then in the page's own transaction."""
    p5 = f"{PAGE}_900000000000005"
    metrics = FacebookMetricsSource(source(), store)
    with replay.use_cassette("refresh.yaml", allow_playback_repeats=False):
        seed_refresh(store, fake_classifier)
        pages = list(metrics.fetch({}, NOW))
    assert Gone("facebook", p5) in [g for page in pages for g in page.deleted]
    assert store.deleted_at("facebook", p5) is None
    for page in pages:
        store.save_page(
            metrics.name, [], page.metrics, page.cursor, NOW, captures=page.captures, deleted=page.deleted
        )
    assert store.deleted_at("facebook", p5) == NOW


def test_no_log_record_holds_the_token(caplog, store, fake_classifier):
    caplog.set_level(logging.DEBUG)
    for name in ("facebook", "requests", "urllib3", "repmon"):
        caplog.set_level(logging.DEBUG, logger=name)
    for cassette in ("feed_comments_since", "auth_expired", "server_down", "malformed_items", "refresh"):
        with replay.use_cassette(f"{cassette}.yaml", allow_playback_repeats=True):
            run_pass(store, [source()], fake_classifier, NOW)
    # vcrpy (the test harness, not repmon) logs the live request before filtering it: leave it out
    records = [r for r in caplog.records if not r.name.startswith("vcr")]
    logged = "\n".join(r.getMessage() for r in records)
    assert "GET /v25.0/104857600123456/feed?" in logged  # urllib3 did log the request lines...
    assert "access_token=[redacted]" in logged
    assert TOKEN not in logged  # ...but never the token
    assert TOKEN not in "\n".join(s.last_error or "" for s in store.sources())


def test_graph_version_is_configurable_past_what_facebook_sdk_accepts():
    assert source().graph.version == "v25.0"
    assert source(version="v26.0").graph.version == "v26.0"
    assert source(version="24.0").graph.version == "v24.0"
    with pytest.raises(ConfigError, match="REPMON_FACEBOOK_GRAPH_VERSION"):
        source(version="latest")
    with pytest.raises(ConfigError, match="REPMON_FACEBOOK_PAGE_ID"):
        FacebookSource("facebook", "my-page", TOKEN)
    assert TOKEN not in repr(source())


ARABIC_INDIC = "\u0661\u0662\u0663"  # 123 in Arabic-Indic digits: \d and str.isdigit took them as digits


def test_ids_and_the_graph_version_are_ascii_digits_only():
    post = {"id": f"{ARABIC_INDIC}_4", "message": "hi", "created_time": "2026-11-20T10:00:00+0000"}
    comment = {
        "message": "a reply",
        "created_time": "2026-11-20T10:00:00+0000",
        "like_count": 0,
        "permalink_url": f"https://www.facebook.com/{PAGE}/posts/9/?comment_id={ARABIC_INDIC}",
    }
    page = parse_response(json.dumps({"data": [post, comment]}).encode(), NOW, page_id=PAGE)
    assert [str(s) for s in page.skipped] == [f"skipped item #1: id '{post['id']}' is not a Graph object id"]
    [derived] = page.mentions  # not "9_١٢٣": a Graph id of digits Graph never sends
    assert derived.external_id.isascii() and derived.external_id.startswith(f"{PAGE}_9_h")
    with pytest.raises(ConfigError, match="REPMON_FACEBOOK_PAGE_ID"):
        FacebookSource("facebook", ARABIC_INDIC, TOKEN)
    with pytest.raises(ConfigError, match="REPMON_FACEBOOK_GRAPH_VERSION"):
        source(version="v\u0662\u0665.0")
