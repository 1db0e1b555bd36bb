"""The X pollers against cassettes built from the X API v2 reference (tests/cassettes/build_x.py)."""

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import vcr
import yaml
from sqlalchemy.exc import StatementError

from monitor.errors import AuthExpired, BadPayload, RateLimited, SourceError, StorageError
from monitor.pipeline import run_pass
from monitor.records import Gone
from monitor.sources.x import XMetricsSource, XSource, make_client, parse_response

CASSETTES = Path(__file__).parent / "cassettes" / "test_x"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecret-bearer-token-do-not-log"
QUERY = "קפה לימון OR @CafeLimonIL"
replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "path", "query"],
    filter_headers=["authorization"],
)


def search(**kw):
    return XSource("x-search", "search", make_client(TOKEN), query=QUERY, backoff=0, **kw)


def cassette_items(name, index=0):
    doc = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    return doc["interactions"][index]["response"]["body"]["string"]


def test_pagination_then_since_id(store, fake_classifier):
    src = search()
    with replay.use_cassette("search_paginated_then_since.yaml") as cas:
        pages = list(src.fetch({}, NOW))
        assert [[m.external_id for m in p.mentions] for p in pages] == [
            ["1860000000000000003", "1860000000000000002"],
            ["1860000000000000001"],
        ]
        # mid-walk the cursor keeps the old since_id and the pagination token; at the end since_id moves
        assert pages[0].cursor["since_id"] is None and pages[0].cursor["next_token"] == "b26v89c19zqg8o3fpdg"
        assert pages[1].cursor["since_id"] == "1860000000000000003"
        assert pages[1].cursor["reads"] == {"day": "2026-11-20", "count": 3}
        later = list(src.fetch(pages[1].cursor, NOW))
        assert [m.external_id for m in later[0].mentions] == ["1860000000000000009"]
        assert later[0].cursor["since_id"] == "1860000000000000009"
        assert cas.play_count == 3


def test_through_the_pipeline_nothing_lost_or_repeated(store, fake_classifier):
    src = search()
    with replay.use_cassette("search_paginated_then_since.yaml", allow_playback_repeats=False):
        first = run_pass(store, [src], fake_classifier, NOW)
        second = run_pass(store, [src], fake_classifier, NOW)
        third = run_pass(store, [src], fake_classifier, NOW)
    assert (first.new_mentions, second.new_mentions, third.new_mentions) == (3, 1, 0)
    assert first.errors == second.errors == third.errors == []
    assert store.counts().mentions == 4


def test_a_pagination_token_sent_again_ends_the_walk_with_a_message(store, fake_classifier):
    # the walk went round for ever: a page (here an empty one, which counts no read against the daily
    # budget) whose next_token is one the walk already followed was requested again and again
    token = "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"
    with replay.use_cassette("search_token_loop.yaml", allow_playback_repeats=False) as cas:
        pages = list(search().fetch({}, NOW))
        assert cas.play_count == 3
    assert [[m.external_id for m in p.mentions] for p in pages] == [
        ["1860000000000000003"],
        ["1860000000000000002"],
        [],
    ]
    reason = (
        f"skipped the rest of the search: X sent the pagination token {token!r} a second time in one walk "
        "(a pagination loop): the walk ended there; the next run reads the posts newer than it read"
    )
    assert [str(s) for s in pages[-1].skipped] == [reason]
    last = pages[-1].cursor
    assert (last["since_id"], last["next_token"]) == ("1860000000000000003", None)
    assert last["pending_newest"] is None
    with replay.use_cassette("search_token_loop.yaml", allow_playback_repeats=False):
        first = run_pass(store, [search()], fake_classifier, NOW)
        second = run_pass(store, [search()], fake_classifier, NOW)
    assert (first.new_mentions, first.errors) == (2, [f"source 'x-search': {reason}"])
    assert (second.new_mentions, second.errors) == (1, [])


def test_what_x_would_not_send_in_a_timeline_page_is_reported_once_and_the_page_kept(
    store, fake_classifier, caplog
):
    # a 200 with errors (a suspended author, a post of a protected author, a post gone): the good posts
    # were stored, the errors reported nowhere
    reasons = [
        "skipped user (id 1005): X sent an error instead (Forbidden, resource-not-found): User has been "
        "suspended: [1005]. (their post(s) 1860000000000000011 kept, with an unknown author)",
        "skipped tweet (id 1860000000000000012): X sent an error instead (Authorization Error, "
        "not-authorized-for-resource): Sorry, you are not authorized to see the Tweet with ids: "
        "[1860000000000000012].",
        "skipped tweet (id 1860000000000000013): X sent an error instead (Not Found Error, "
        "resource-not-found): Could not find tweet with ids: [1860000000000000013].",
    ]
    mentions = XSource("x-mentions", "mentions", make_client(TOKEN), account_id="42", backoff=0)
    with replay.use_cassette("timeline_item_errors.yaml"):
        [page] = list(search().fetch({}, NOW))
    assert [m.external_id for m in page.mentions] == ["1860000000000000011", "1860000000000000003"]
    assert page.mentions[0].author_handle == "unknown"
    assert [str(s) for s in page.skipped] == reasons
    caplog.clear()
    caplog.set_level(logging.WARNING)
    with replay.use_cassette("timeline_item_errors.yaml", allow_playback_repeats=False):
        report = run_pass(store, [search(), mentions], fake_classifier, NOW)
    assert report.new_mentions == 2 and report.skipped == 6
    assert report.errors == [f"source {name!r}: {r}" for name in ("x-search", "x-mentions") for r in reasons]
    logged = [r.getMessage() for r in caplog.records if r.name == "repmon.sources.x"]
    assert logged == report.errors  # one line each, logged once
    assert store.source_state("x-mentions").last_error == (
        f"the last poll skipped 3 item(s) it could not read: source 'x-mentions': {reasons[0]} "
        "(and 2 more: see the pass report)"
    )


def test_records_and_byte_exact_hebrew_payload():
    raw = cassette_items("search_paginated_then_since").encode("utf-8")
    parsed = parse_response(raw, NOW, "x-search")
    he, en = parsed.mentions
    assert he.text == "@CafeLimonIL הקפה הגיע קר שוב 😡☕ ממש לא בסדר"
    assert (he.author_handle, he.author_name, he.author_followers, he.language) == (
        "noa_k",
        "נועה כ.",
        340,
        "he",
    )
    assert he.created_at == datetime(2026, 11, 20, 10, 15, 30, tzinfo=UTC)
    assert he.url == "https://x.com/noa_k/status/1860000000000000003"
    item = json.dumps(json.loads(raw)["data"][0], ensure_ascii=False, separators=(", ", ": ")).encode()
    assert he.raw.body == item and he.raw.sha256 == hashlib.sha256(item).hexdigest()
    assert he.raw.captured_at == NOW
    assert (en.parent_id, en.thread_id, en.author_followers) == (
        "1859999999999999000",
        "1859999999999999000",
        12500,
    )
    snap = parsed.metrics[1].snapshot
    assert (snap.likes, snap.shares, snap.replies, snap.quotes, snap.views) == (40, 12, 5, 2, 9000)
    assert parsed.next_token == "b26v89c19zqg8o3fpdg" and parsed.newest_id == "1860000000000000003"


def test_mentions_timeline_marks_the_business_own_replies():
    src = XSource("x-mentions", "mentions", make_client(TOKEN), account_id="42", backoff=0)
    with replay.use_cassette("mentions_with_own_reply.yaml"):
        [page] = list(src.fetch({}, NOW))
    assert [(m.external_id, m.from_business) for m in page.mentions] == [
        ("1860000000000000010", True),
        ("1860000000000000003", False),
    ]


def test_429_records_the_reset_time_and_the_pipeline_skips_until_then(store, fake_classifier):
    src = search()
    with replay.use_cassette("rate_limited.yaml"), pytest.raises(RateLimited) as err:
        list(src.fetch({}, NOW))
    assert err.value.reset_at == datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    with replay.use_cassette("rate_limited.yaml"):
        report = run_pass(store, [src], fake_classifier, NOW)
    state = store.source_state("x-search")
    assert (state.status, state.reset_at) == ("rate_limited", datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    with replay.use_cassette("rate_limited.yaml") as cas:  # before the reset: no request at all
        report = run_pass(store, [src], fake_classifier, NOW)
        assert cas.play_count == 0
    assert "rate limited until 2026-11-28T12:00:00+00:00" in report.errors[0]


def test_the_429_message_writes_its_time_in_iso_format_as_facebook_does():
    # it read "next request allowed at 2026-11-28 12:00:00+00:00" (str of the datetime)
    with replay.use_cassette("rate_limited.yaml"), pytest.raises(RateLimited) as err:
        list(search().fetch({}, NOW))
    assert str(err.value) == (
        "source 'x-search': X rate limit reached (429); next request allowed at 2026-11-28T12:00:00+00:00"
    )


def test_a_429_without_a_reset_time_says_so_and_the_next_pass_tries_again(store, fake_classifier):
    # the message read "next request allowed at None"
    with replay.use_cassette("rate_limited_no_reset.yaml"):
        report = run_pass(store, [search()], fake_classifier, NOW)
    assert report.errors == [
        "source 'x-search': X rate limit reached (429); X did not say until when (no x-rate-limit-reset); "
        "the next run tries again"
    ]
    assert store.source_state("x-search").reset_at is None
    with replay.use_cassette("rate_limited_no_reset.yaml") as cas:
        run_pass(store, [search()], fake_classifier, NOW)
        assert cas.play_count == 1


def test_5xx_is_retried_a_bounded_number_of_times():
    with replay.use_cassette("server_errors_then_ok.yaml") as cas:
        [page] = list(search().fetch({}, NOW))
        assert cas.play_count == 3
    assert len(page.mentions) == 1
    with (
        replay.use_cassette("server_down.yaml"),
        pytest.raises(SourceError, match=r"server error 503\) after 3 tries"),
    ):
        list(search().fetch({}, NOW))


def test_401_names_the_setting_and_never_the_token(store, fake_classifier, caplog):
    caplog.set_level(logging.DEBUG)
    with replay.use_cassette("unauthorized.yaml"), pytest.raises(AuthExpired) as err:
        list(search().fetch({}, NOW))
    assert (
        str(err.value)
        == "source 'x-search': X token rejected (401: Unauthorized): check REPMON_X_BEARER_TOKEN"
    )
    with replay.use_cassette("unauthorized.yaml"):
        run_pass(store, [search()], fake_classifier, NOW)
    assert store.source_state("x-search").status == "failing"
    with replay.use_cassette("search_paginated_then_since.yaml"):
        list(search().fetch({}, NOW))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "api.twitter.com" in logged  # urllib3 did log the requests...
    assert TOKEN not in logged and "Bearer" not in logged  # ...but never the token


def _stored_search_and_refresh(store, fake_classifier) -> tuple[XMetricsSource, datetime]:
    """The search cassette's two pages stored and classified, and a metrics refresh of its posts but the
    third, an hour later: the source and that time."""
    for index in (0, 1):
        parsed = parse_response(
            cassette_items("search_paginated_then_since", index).encode(), NOW, "x-search"
        )
        store.save_page("x-search", parsed.mentions, parsed.metrics, {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    src = XMetricsSource(
        "x-metrics",
        make_client(TOKEN),
        lambda: [r for r in store.open_mentions("x") if r.external_id != "1860000000000000003"],
        backoff=0,
    )
    return src, datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def test_metric_refresh_marks_missing_posts_deleted_and_keeps_evidence(store, fake_classifier):
    src, later = _stored_search_and_refresh(store, fake_classifier)
    with replay.use_cassette("lookup_deleted.yaml"):
        report = run_pass(store, [src], fake_classifier, later)
    assert report.new_snapshots == 1
    assert store.deleted_at("x", "1860000000000000001") == later
    assert store.deleted_at("x", "1860000000000000002") is None
    assert store.raw_payload("x", "1860000000000000001") is not None
    snaps = store.snapshots([2])[2]
    assert [(s.likes, s.shares) for s in snaps] == [(40, 12), (900, 300)]
    [capture] = store.captures("x", "1860000000000000002")  # the re-read, kept byte for byte
    assert capture.captured_at == later and json.loads(capture.body)["public_metrics"]["like_count"] == 900
    assert capture.sha256 == hashlib.sha256(capture.body).hexdigest()


def test_a_post_x_refuses_to_show_in_a_refresh_is_reported_and_not_marked_deleted(store, fake_classifier):
    # a post whose author went protected ("not-authorized-for-resource") was neither refreshed nor marked,
    # without a word; a post X could not find is still marked deleted, without a message
    src, later = _stored_search_and_refresh(store, fake_classifier)
    reason = (
        "skipped tweet (id 1860000000000000002): X sent an error instead (Authorization Error, "
        "not-authorized-for-resource): Sorry, you are not authorized to see the Tweet with ids: "
        "[1860000000000000002]."
    )
    with replay.use_cassette("lookup_not_authorized.yaml"):
        [page] = list(src.fetch({}, later))
    assert [str(s) for s in page.skipped] == [reason]
    assert page.deleted == (Gone("x", "1860000000000000001"),)
    with replay.use_cassette("lookup_not_authorized.yaml"):
        report = run_pass(store, [src], fake_classifier, later)
    assert report.errors == [f"source 'x-metrics': {reason}"]
    assert store.deleted_at("x", "1860000000000000002") is None  # it still exists
    assert store.deleted_at("x", "1860000000000000001") == later
    assert report.new_snapshots == 0


def test_malformed_tweets_are_skipped_and_bad_bodies_rejected():
    parsed = parse_response(cassette_items("malformed").encode(), NOW, "x-search")
    # a tweet without created_at is no longer dropped: its id holds its time (a Snowflake)
    assert [(m.external_id, m.created_at) for m in parsed.mentions] == [
        ("1860000000000000003", datetime(2024, 11, 22, 16, 38, 51, 785000, tzinfo=UTC)),
        ("1860000000000000009", datetime(2026, 11, 20, 11, 30, tzinfo=UTC)),
    ]
    assert [str(s) for s in parsed.skipped] == [
        "skipped tweet #2 (id 1860000000000000002): public_metrics.like_count 'many' is not a count",
        "skipped tweet #3: id 12345 is not a tweet id",
    ]
    with pytest.raises(BadPayload, match="not JSON"):
        parse_response(cassette_items("truncated").encode(), NOW, "x-search")
    with pytest.raises(BadPayload, match="an X API error response: Unauthorized"):
        parse_response(cassette_items("unauthorized").encode(), NOW)
    with pytest.raises(BadPayload, match="Facebook Graph API body"):
        parse_response(b'{"error": {"message": "x", "code": 190}}', NOW)
    assert parse_response(b'{"meta": {"result_count": 0}}', NOW).mentions == ()


def test_two_different_tweets_with_one_id_are_named_and_the_same_one_twice_is_kept_once():
    # storage kept the last of two different tweets with one id, without a word
    tweet = {"id": "1860000000000000002", "text": "the coffee was cold", "created_at": "2026-11-20T10:00:00Z"}
    other_text = tweet | {"text": "the coffee was great"}
    other_time = tweet | {"created_at": "2026-11-20T10:05:00Z"}
    body = json.dumps({"data": [tweet, dict(tweet), other_text, other_time]}).encode()
    parsed = parse_response(body, NOW)
    assert [(m.external_id, m.text) for m in parsed.mentions] == [
        ("1860000000000000002", "the coffee was cold")
    ]
    assert len(parsed.metrics) == 1
    reason = (
        "the id 1860000000000000002 is already an earlier post of this response, with a different text or "
        "time: only the first was kept; check the response"
    )
    assert [str(s) for s in parsed.skipped] == [
        f"skipped tweet #3 (id 1860000000000000002): {reason}",
        f"skipped tweet #4 (id 1860000000000000002): {reason}",
    ]


def test_daily_read_budget_stops_reads(store, fake_classifier):
    src = search(daily_budget=3)
    with replay.use_cassette("search_paginated_then_since.yaml") as cas:
        report = run_pass(store, [src], fake_classifier, NOW)
        assert report.new_mentions == 3
        report = run_pass(store, [src], fake_classifier, NOW)
        assert cas.play_count == 2
    assert report.errors == [
        "source 'x-search': daily read budget of 3 posts reached (3 read today by the X sources); reads "
        "resume after midnight UTC (raise REPMON_X_DAILY_READ_BUDGET to read more)"
    ]
    # no "until midnight": each pass checks the budget again before any read, so a raised budget
    # takes effect at once (tests/test_hardening.py)
    assert store.source_state("x-search").reset_at is None
    with replay.use_cassette("search_paginated_then_since.yaml") as cas:
        assert run_pass(store, [src], fake_classifier, NOW).errors == report.errors
        assert cas.play_count == 0


def test_quotes_and_retweets_of_watched_posts_show_who_shared_them(store, fake_classifier):
    parsed = parse_response(cassette_items("search_paginated_then_since").encode(), NOW, "x-search")
    store.save_page("x-search", parsed.mentions, parsed.metrics, {}, NOW)
    src = XSource(
        "x-quotes", "quotes", make_client(TOKEN), watched=lambda: ["1860000000000000002"], backoff=0
    )
    with replay.use_cassette("quotes.yaml"):
        page, retweets = list(src.fetch({}, NOW))
    with replay.use_cassette("quotes.yaml"):
        report = run_pass(store, [src], fake_classifier, NOW)
    assert report.errors == [] and report.new_mentions == 1
    assert [(s.handle, s.followers, s.kind) for s in store.shares("x", "1860000000000000002")] == [
        ("noa_k", 340, "retweet"),
        ("yossi_b", 88, "retweet"),
    ]
    assert [s.sharer_handle for s in retweets.shares] == ["noa_k", "yossi_b"]
    assert json.loads(retweets.shares[1].raw.body)["name"] == "יוסי ב."
    [quote] = page.mentions
    assert (quote.external_id, quote.author_handle, quote.author_followers) == (
        "1860000000000000020",
        "noa_k",
        340,
    )
    assert json.loads(quote.raw.body)["referenced_tweets"] == [
        {"type": "quoted", "id": "1860000000000000002"}
    ]
    assert page.cursor["quotes:1860000000000000002"]["next_token"] is None


def test_a_retweeters_token_sent_again_ends_the_walk_with_a_message(store, fake_classifier):
    # the retweeters walk (5 pages a run) followed the loop round and saved a token of it: every run
    # read the same pages again and never reached the end
    token = "7140dibdnow9c7btw3w2btq4o8mxl6v3y4k2dzsqj0cbb"
    src = XSource(
        "x-quotes", "quotes", make_client(TOKEN), watched=lambda: ["1860000000000000002"], backoff=0
    )
    with replay.use_cassette("retweeters_token_loop.yaml", allow_playback_repeats=False) as cas:
        _quotes, *pages = list(src.fetch({}, NOW))
        assert cas.play_count == 4
    assert [[s.sharer_handle for s in p.shares] for p in pages] == [["noa_k"], ["yossi_b"], ["shira_m"]]
    reason = (
        "skipped the rest of the retweeters of 1860000000000000002: X sent the pagination token "
        f"{token!r} a second time in one walk (a pagination loop): the walk ended there; the next run "
        "reads the retweeters again from the newest"
    )
    assert [[str(s) for s in p.skipped] for p in pages] == [[], [], [reason]]
    assert pages[-1].cursor["retweets:1860000000000000002"] == {"next_token": None}
    assert pages[-1].cursor["reads"] == {"day": "2026-11-20", "count": 3}
    parsed = parse_response(cassette_items("search_paginated_then_since").encode(), NOW, "x-search")
    store.save_page("x-search", parsed.mentions, parsed.metrics, {}, NOW)
    with replay.use_cassette("retweeters_token_loop.yaml", allow_playback_repeats=False):
        report = run_pass(store, [src], fake_classifier, NOW)
    assert report.errors == [f"source 'x-quotes': {reason}"]
    assert [s.handle for s in store.shares("x", "1860000000000000002")] == ["noa_k", "yossi_b", "shira_m"]


def test_a_stale_since_id_restarts_the_walk_instead_of_failing_forever():
    cursor = {"since_id": "1700000000000000000", "next_token": None, "pending_newest": None}
    with replay.use_cassette("stale_since_id.yaml") as cas:
        [page] = list(search().fetch(cursor, NOW))
        assert cas.play_count == 2
    assert [m.external_id for m in page.mentions] == ["1860000000000000009"]
    assert page.cursor["since_id"] == "1860000000000000009"


def test_lookup_where_every_post_is_gone_marks_them_deleted(store, fake_classifier):
    parsed = parse_response(cassette_items("search_paginated_then_since", 1).encode(), NOW, "x-search")
    store.save_page("x-search", parsed.mentions, parsed.metrics, {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    later = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    src = XMetricsSource(
        "x-metrics",
        make_client(TOKEN),
        lambda: store.open_mentions("x"),
        backoff=0,
    )
    with replay.use_cassette("lookup_all_gone.yaml"):
        report = run_pass(store, [src], fake_classifier, later)
    assert report.errors == []
    assert store.deleted_at("x", "1860000000000000001") == later


def test_an_author_x_could_not_find_is_not_a_post_gone():
    # a 200 with data and errors: the user of the author_id expansion that X could not find was listed
    # among the posts gone, and the metrics refresh marked the mention with that id deleted
    author = "1860000000000000777"
    body = {
        "data": [{"id": "1860000000000000002", "text": "hi", "author_id": author}],
        "errors": [
            {
                "value": author,
                "detail": f"Could not find user with author_id: [{author}].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "author_id",
                "resource_id": author,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            },
            {
                "value": "1860000000000000001",
                "detail": "Could not find tweet with ids: [1860000000000000001].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "ids",
                "resource_id": "1860000000000000001",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            },
        ],
    }
    parsed = parse_response(json.dumps(body).encode(), NOW, "x-metrics")
    assert [m.external_id for m in parsed.mentions] == ["1860000000000000002"]
    assert parsed.not_found == ("1860000000000000001",)


def test_the_lookup_walker_lists_gone_posts_and_writes_nothing(store, fake_classifier):
    """The refresh walker only reads: the posts X no longer has travel in the page's ``deleted``, and the
    pipeline marks them with the page, in one transaction (a failed page marks nothing)."""
    parsed = parse_response(cassette_items("search_paginated_then_since", 1).encode(), NOW, "x-search")
    store.save_page("x-search", parsed.mentions, parsed.metrics, {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    later = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    src = XMetricsSource("x-metrics", make_client(TOKEN), lambda: store.open_mentions("x"), backoff=0)
    with replay.use_cassette("lookup_all_gone.yaml"):
        pages = list(src.fetch({}, later))
    gone = [g for page in pages for g in page.deleted]
    assert Gone("x", "1860000000000000001") in gone
    assert store.deleted_at("x", "1860000000000000001") is None
    with pytest.raises((StorageError, StatementError, TypeError)):  # no cursor stored: the page rolls back
        store.save_page("x-metrics", [], [], {"bad": object()}, later, deleted=gone)
    assert store.deleted_at("x", "1860000000000000001") is None
    store.save_page("x-metrics", [], [], pages[-1].cursor, later, deleted=gone)
    assert store.deleted_at("x", "1860000000000000001") == later


def test_a_token_with_a_stray_newline_never_reaches_logs_or_storage(
    store, fake_classifier, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    src = XSource("x-search", "search", make_client(TOKEN + "\n"), query=QUERY, backoff=0)
    with replay.use_cassette("rate_limited.yaml"):
        report = run_pass(store, [src], fake_classifier, NOW)
    stored = store.source_state("x-search").last_error
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert report.errors and TOKEN not in report.errors[0] and TOKEN not in stored and TOKEN not in logged
    from monitor.settings import current

    monkeypatch.setenv("REPMON_X_BEARER_TOKEN", TOKEN + "\n")
    assert current().x_bearer_token.get_secret_value() == TOKEN


def test_the_read_budget_is_shared_by_the_x_sources(store, fake_classifier):
    src = search(daily_budget=5, reads_elsewhere=lambda now: 5)
    with replay.use_cassette("search_paginated_then_since.yaml") as cas:
        report = run_pass(store, [src], fake_classifier, NOW)
        assert cas.play_count == 0
    assert "daily read budget of 5 posts reached (5 read today by the X sources)" in report.errors[0]


def test_quotes_stop_at_the_last_quote_already_seen():
    src = XSource(
        "x-quotes", "quotes", make_client(TOKEN), watched=lambda: ["1860000000000000002"], backoff=0
    )
    cursor = {"quotes:1860000000000000002": {"since_id": "1860000000000000020", "next_token": None}}
    with replay.use_cassette("quotes.yaml"):
        page, _ = list(src.fetch(cursor, NOW))
    assert page.cursor["quotes:1860000000000000002"]["since_id"] == "1860000000000000020"


def test_default_fields_tweets_take_their_id_time_and_an_unknown_author():
    body = json.dumps(
        {
            "data": [
                {"id": "1860000000000000003", "text": "no fields", "edit_history_tweet_ids": ["1"]},
                {"id": "1860000000000000004", "text": "author not included", "author_id": "999"},
                {"id": "20", "text": "a 2006 id without a time"},
                {"id": "1860000000000000005", "text": "bad author", "author_id": 7},
                {"id": "1860000000000000006", "text": "not ASCII digits", "author_id": "\u0661\u0662"},
            ],
            "includes": {"users": [{"id": "1001", "username": "noa_k", "name": "Noa"}]},
            "meta": {"result_count": 4},
        }
    ).encode()
    parsed = parse_response(body, NOW, "x-search")
    assert [
        (m.external_id, m.created_at, m.author_id, m.author_handle, m.author_name, m.url)
        for m in parsed.mentions
    ] == [
        ("1860000000000000003", datetime(2024, 11, 22, 16, 38, 51, 785000, tzinfo=UTC), "unknown",
         "unknown", "(unknown author)", "https://x.com/i/status/1860000000000000003"),
        ("1860000000000000004", datetime(2024, 11, 22, 16, 38, 51, 785000, tzinfo=UTC), "999",
         "unknown", "(unknown author)", "https://x.com/i/status/1860000000000000004"),
    ]  # fmt: skip
    assert [str(s) for s in parsed.skipped] == [
        "skipped tweet #3 (id 20): created_at is missing and id 20 is older than X's time-stamped ids",
        "skipped tweet #4 (id 1860000000000000005): author_id 7 is not a user id",
        "skipped tweet #5 (id 1860000000000000006): author_id '\u0661\u0662' is not a user id",
    ]


def test_a_response_with_a_key_twice_is_refused():
    with pytest.raises(BadPayload, match="the key 'data' appears twice in one JSON object"):
        parse_response(b'{"data": [], "data": []}', NOW, "x-search")
    with pytest.raises(BadPayload, match="the key 'users' appears twice"):
        parse_response(b'{"data": [], "includes": {"users": [], "users": []}}', NOW, "x-search")


def test_an_edit_on_x_names_the_first_version_it_edits():
    """X gives an edit a new id; its ``edit_history_tweet_ids`` (oldest first, its own id last) names the
    first version. A post never edited, or the first version itself, edits nothing; a malformed history
    links nothing and the post is still read."""
    first, second, third = "1860000000000000100", "1860000000000000200", "1860000000000000300"
    posts = [
        {"id": first, "text": "the coffee was cold", "edit_history_tweet_ids": [first, second, third]},
        {"id": second, "text": "the coffee was cold!", "edit_history_tweet_ids": [first, second]},
        {"id": third, "text": "they steal", "edit_history_tweet_ids": [first, second, third]},
        {
            "id": "1860000000000000400",
            "text": "never edited",
            "edit_history_tweet_ids": ["1860000000000000400"],
        },
        {"id": "1860000000000000500", "text": "no history"},
        {
            "id": "1860000000000000600",
            "text": "a number",
            "edit_history_tweet_ids": [1, "1860000000000000600"],
        },
        {"id": "1860000000000000700", "text": "not a list", "edit_history_tweet_ids": "1860000000000000100"},
        {
            "id": "1860000000000000800",
            "text": "not an id",
            "edit_history_tweet_ids": ["abc", "1860000000000000800"],
        },
    ]
    parsed = parse_response(json.dumps({"data": posts}).encode(), NOW)
    assert [(m.external_id[-3:], m.edit_of) for m in parsed.mentions] == [
        ("100", None),
        ("200", first),
        ("300", first),
        ("400", None),
        ("500", None),
        ("600", None),
        ("700", None),
        ("800", None),
    ]
    assert parsed.skipped == ()


def test_the_versions_of_a_post_edited_on_x_are_stored_linked_and_both_queued(store, fake_classifier):
    """Each version is stored and queued as a post of its own (nothing is hidden), and each finds the
    others, oldest first, with its item."""
    first, edit = "1860000000000000100", "1860000000000000200"
    posts = [
        {"id": first, "text": "the coffee was cold", "edit_history_tweet_ids": [first]},
        {"id": edit, "text": "they steal from customers", "edit_history_tweet_ids": [first, edit]},
        {"id": "1860000000000000300", "text": "unrelated, cold coffee"},
    ]
    parsed = parse_response(json.dumps({"data": posts}).encode(), NOW, "x-search")
    store.save_page("x-search", parsed.mentions, parsed.metrics, {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    items = {q.external_id: q.id for q in store.queue()}
    assert set(items) == {first, edit, "1860000000000000300"}
    for asked in (first, edit):
        got = [(v.external_id, v.text, v.item_id, v.this) for v in store.versions("x", asked)]
        assert got == [
            (first, "the coffee was cold", items[first], asked == first),
            (edit, "they steal from customers", items[edit], asked == edit),
        ]
    assert [v.external_id for v in store.versions("x", "1860000000000000300")] == ["1860000000000000300"]
    assert store.versions("x", "1") == []
    assert store.verify() == []
