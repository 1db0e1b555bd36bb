"""Hostile input from end to end: posts written to break rendering or encoding, and malformed platform
payloads.

Every hostile post is stored losslessly (the raw payload's bytes and SHA-256 exact, ``verify`` clean),
classified and queued; a malformed payload is refused with a message that names the source and what is
wrong, and its page is not lost (the cursor stays, the next poll reads it again). On the dashboard, in
e-mails and in the evidence bundle the post stays inert text.

The storage rule for text: a database holds valid Unicode, so NUL (PostgreSQL refuses it) and lone
surrogates (no encoder writes them) become U+FFFD in text columns; the raw payload keeps the exact bytes.
"""

import email
import email.policy
import hashlib
import html
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import markupsafe
import pytest
import requests
from conftest import NOW, FakeClassifier
from streamlit.testing.v1 import AppTest

from classifiers import LABELS, Prediction
from classifiers.text import detect_language
from dashboard import views
from monitor.cli import main
from monitor.email.alerts import render_item_alert
from monitor.email.digest import collect_digest, render_digest
from monitor.email.mailer import send
from monitor.evidence import render_bundle
from monitor.pipeline import run_pass
from monitor.records import Mention, RawPayload, SourcePage
from monitor.sources.facebook import FacebookSource, GraphSession
from monitor.sources.x import XSource, make_client

REPLACEMENT = "\ufffd"
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
HOSTILE = {
    "html": '<b onmouseover="alert(1)">bold</b> <a href="javascript:alert(2)">click</a> '
    '<iframe src="https://evil.example/"></iframe> <img src=x onerror=alert(3)> complaint',
    "script": "<script>alert('x')</script><style>body{display:none}</style> complaint",
    "markdown": "![pixel](https://evil.example/t.png) [click](javascript:alert(4)) **bold** _it_\n"
    "# heading\n---\n| a | b |\n<!-- comment --> complaint",
    "bidi": "\u202etxet desrever\u202c \u202dforced\u202c \u2066isolated\u2069 \u2067\u2068ok\u2069\u2069 "
    "\u202bembedded\u202c complaint",
    "zero_width": "👨\u200d👩\u200d👧 fam\u200bily\u200c \u200d\ufeff\u2060\u200e\u200f complaint",
    "nul": "bad\x00byte complaint\x00",
    "lone_surrogate": "lone \ud800 and \udfff surrogates \ud83d complaint",
    "100kb": "השירות גרוע, the service is bad. " * 2_800,  # 100 KB of UTF-8
    "10k_emoji": "😡" * 10_000,
}
# What a text column holds: NUL and lone surrogates become U+FFFD, nothing else changes.
STORED = HOSTILE | {
    "nul": f"bad{REPLACEMENT}byte complaint{REPLACEMENT}",
    "lone_surrogate": f"lone {REPLACEMENT} and {REPLACEMENT} surrogates {REPLACEMENT} complaint",
}
CASES = list(HOSTILE)
TZ = ZoneInfo("Asia/Jerusalem")
URL = "https://repmon.example.co.il"
PAGE = "104857600123456"


def test_the_cases_are_as_big_as_promised():
    assert len(HOSTILE["100kb"].encode()) >= 100_000
    assert HOSTILE["10k_emoji"].count("😡") == 10_000


def payload(obj):
    """A JSON body as a platform sends it: UTF-8, and ``\\udXXX`` escapes where a text has a lone
    surrogate (which no UTF-8 encoder writes)."""
    text = json.dumps(obj, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj).encode("ascii")


def mention(ext, text, **fields):
    values = {
        "platform": "x",
        "external_id": ext,
        "url": f"https://x.com/someone/status/{ext}",
        "author_id": "42",
        "author_handle": "someone",
        "author_name": "Some One",
        "author_followers": 120,
        "text": text,
        "language": "en",
        "created_at": NOW - timedelta(hours=1),
        "raw": RawPayload(payload({"id": ext, "text": text}), NOW),
        "source": "hostile",
    }
    return Mention(**(values | fields))


@dataclass
class OnePage:
    """A source that yields the given mentions as one page, once."""

    name: str
    mentions: tuple

    def fetch(self, cursor, now):
        if not cursor.get("done"):
            yield SourcePage(self.mentions, cursor={"done": True})


def stored_item(store, fake_classifier, case, ext="1001", text=None):
    """The hostile post of ``case`` (or ``text``) through a pipeline pass; returns its queue item."""
    src = OnePage(f"hostile-{ext}", (mention(ext, HOSTILE[case] if text is None else text),))
    report = run_pass(store, [src], fake_classifier, NOW)
    assert (report.errors, report.new_mentions, report.classified) == ([], 1, 1)
    [item] = [q for q in store.queue(limit=100) if q.external_id == ext]
    return item


class Tags(HTMLParser):
    """The start tags (with attribute names), the links and the text of an HTML document."""

    def __init__(self, doc):
        super().__init__(convert_charrefs=True)
        self.tags, self.hrefs, self.text = [], [], []
        self.feed(doc)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))
        self.hrefs += [value for name, value in attrs if name == "href"]

    def handle_data(self, data):
        self.text.append(data)


# -- stored, classified, queued ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_post_is_stored_exactly_classified_and_queued(store, fake_classifier, case):
    hostile = mention("1001", HOSTILE[case], author_name=HOSTILE[case][:300])
    plain = mention("1002", "the coffee was cold again")
    report = run_pass(store, [OnePage("hostile", (hostile, plain))], fake_classifier, NOW)
    assert (report.errors, report.new_mentions, report.classified, report.triaged) == ([], 2, 2, 2)
    assert store.raw_payload("x", "1001") == (
        hostile.raw.body,
        hashlib.sha256(hostile.raw.body).hexdigest(),
        NOW,
    )
    assert store.verify() == []
    item = {q.external_id: q for q in store.queue(limit=10)}["1001"]
    assert item.text == STORED[case]
    assert fake_classifier.seen[0] == STORED[case]  # the classifier read the whole stored text
    assert item.label == "complaint" and item.playbook == "reply"
    assert store.evidence(item.id)["mention"]["author_name"] == STORED[case][:300]


def test_a_post_over_the_length_limit_is_refused_by_name_and_the_rest_of_its_page_kept(
    store, fake_classifier
):
    page = (mention("1001", "x" * 100_001), mention("1002", "the coffee was cold again"))
    report = run_pass(store, [OnePage("hostile", page)], fake_classifier, NOW)
    assert report.errors == ["source 'hostile': skipped x/1001: text is longer than 100,000 characters"]
    assert (report.new_mentions, report.rejected) == (1, 1)
    assert [q.external_id for q in store.queue()] == ["1002"]


def test_an_id_that_is_not_valid_text_is_refused_not_changed(store, fake_classifier):
    page = (
        mention("a\ud800", "complaint", platform="facebook"),
        mention("b\x00", "complaint", platform="facebook"),
        mention("ok", "complaint", platform="facebook"),
    )
    report = run_pass(store, [OnePage("hostile", page)], fake_classifier, NOW)
    assert report.errors == [  # the message itself is valid text: U+FFFD stands for what was refused
        f"source 'hostile': skipped facebook/a{REPLACEMENT}: external_id holds a NUL or a lone surrogate",
        f"source 'hostile': skipped facebook/b{REPLACEMENT}: external_id holds a NUL or a lone surrogate",
    ]
    assert [q.external_id for q in store.queue()] == ["ok"]


# -- through the pollers, from the bytes on the wire ----------------------------------------------------


class Canned(requests.adapters.BaseAdapter):
    """A transport that answers each request with HTTP 200 and the body ``route(url)`` gives."""

    def __init__(self, route):
        super().__init__()
        self.route, self.urls = route, []

    def send(self, request, **kwargs):
        self.urls.append(request.url)
        response = requests.Response()
        response.status_code, response.reason = 200, "OK"
        response.url, response.request = request.url, request
        response.headers["content-type"] = "application/json; charset=UTF-8"
        response._content, response._content_consumed = self.route(request.url), True
        return response

    def close(self):
        pass


def x_source(route):
    client = make_client("test-token")
    adapter = Canned(route)
    client.session.mount("https://", adapter)
    return XSource("x-search", "search", client, query="cafe", backoff=0), adapter


def facebook_source(route):
    session = GraphSession()
    adapter = Canned(route)
    session.mount("https://", adapter)
    return FacebookSource("facebook", PAGE, "test-token", session=session, backoff=0), adapter


def tweet(n, text, **fields):
    return {
        "id": f"186000000000000{n:04d}",
        "text": text,
        "created_at": "2026-11-20T10:00:00.000Z",
        "author_id": "7",
        "lang": "en",
        "public_metrics": {"like_count": 1, "retweet_count": 0, "reply_count": 0, "quote_count": 0},
        **fields,
    }


X_USERS = {"users": [{"id": "7", "username": "noa\ud800", "name": "<b>נועה</b>\u202e\x00",
                      "public_metrics": {"followers_count": 10}}]}  # fmt: skip


def test_hostile_posts_from_the_x_poller_are_stored_byte_exact(store, fake_classifier, monkeypatch):
    tweets = [tweet(n, HOSTILE[case]) for n, case in enumerate(CASES)]
    tweets.append(tweet(99, "valid pair \ud83d\ude21 escaped"))
    body = payload({"data": tweets, "includes": X_USERS, "meta": {"result_count": len(tweets)}})
    assert b"\\ud800" in body and b"\\u0000" in body  # the escapes travel as sent
    src, _ = x_source(lambda url: body)
    report = run_pass(store, [src], fake_classifier, NOW)
    assert (report.errors, report.new_mentions, report.triaged) == ([], len(tweets), len(tweets))
    queued = {q.external_id: q for q in store.queue(limit=100)}
    for n, case in enumerate(CASES):
        ext = f"186000000000000{n:04d}"
        raw, sha, _ = store.raw_payload("x", ext)
        assert raw in body and json.loads(raw)["id"] == ext  # a verbatim slice of the response
        assert sha == hashlib.sha256(raw).hexdigest()
        assert queued[ext].text == STORED[case]
        assert queued[ext].author == f"noa{REPLACEMENT}"
    assert queued["1860000000000000099"].text == "valid pair 😡 escaped"
    assert store.evidence(queued["1860000000000000000"].id)["mention"]["author_name"] == (
        f"<b>נועה</b>\u202e{REPLACEMENT}"
    )
    assert store.verify() == []
    monkeypatch.setenv("REPMON_DATABASE_URL", store.url)
    monkeypatch.setenv("REPMON_DATA_DIR", str(store.checkpoint_file.parent))  # the audit key's folder
    assert main(["verify"]) == 0


def test_hostile_posts_from_the_facebook_poller_are_stored_byte_exact(store, fake_classifier):
    posts = [
        {
            "id": f"{PAGE}_9{n:014d}",
            "message": HOSTILE[case],
            "created_time": "2026-11-20T10:00:00+0000",
            "from": {"id": "555", "name": "\u202eevil\x00 <script>"},
        }
        for n, case in enumerate(CASES)
    ]
    body = payload({"data": posts, "paging": {}})
    src, _ = facebook_source(lambda url: body if "/feed" in url else b'{"data": []}')
    report = run_pass(store, [src], fake_classifier, NOW)
    assert (report.errors, report.new_mentions) == ([], len(CASES))
    queued = {q.external_id: q for q in store.queue(limit=100)}
    for n, case in enumerate(CASES):
        ext = f"{PAGE}_9{n:014d}"
        raw, sha, _ = store.raw_payload("facebook", ext)
        assert raw in body and sha == hashlib.sha256(raw).hexdigest()
        assert queued[ext].text == STORED[case]
        assert queued[ext].author == f"\u202eevil{REPLACEMENT} <script>"
    assert store.verify() == []


GOOD_TWEET = tweet(1, "the coffee was cold again")
GOOD_X = payload({"data": [GOOD_TWEET], "meta": {"result_count": 1}})
X_REFUSED = {
    "truncated": (
        GOOD_X[: len(GOOD_X) // 2],
        "not JSON (JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 138 "
        "(char 137))",
    ),
    "non_utf8": (
        GOOD_X.replace(b"cold", b"c\xffld"),
        "not JSON (UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 65: "
        "invalid start byte)",
    ),
    "utf16": (GOOD_X.decode().encode("utf-16"), "truncated or malformed JSON"),
    "empty": (b"", "not JSON (JSONDecodeError: Expecting value: line 1 column 1 (char 0))"),
    "array": (b"[1, 2]", "the body is not a JSON object"),
    "data_is_text": (b'{"data": "tweets"}', "'data' is not a list of tweets"),
    "users_not_a_list": (b'{"data": [], "includes": {"users": {}}}', "'includes.users' is not a list"),
    "errors_not_a_list": (b'{"errors": "boom"}', "'errors' is not a list of error objects"),
    # one truth per post: with a key twice a parser and the stored bytes could name different posts
    "two_data_keys": (
        GOOD_X[:-1] + b', "data": [' + payload(tweet(2, "they are thieves")) + b"]}",
        "the key 'data' appears twice in one JSON object: a parser and the stored bytes could disagree",
    ),
    "two_texts_in_a_tweet": (
        GOOD_X.replace(b'"text": ', b'"text": "they are thieves", "text": ', 1),
        "the key 'text' appears twice in one JSON object of the object with id '1860000000000000001'",
    ),
    "two_metas": (GOOD_X[:-1] + b', "meta": {}}', "the key 'meta' appears twice"),
    "nested_100000_deep": (
        b'{"data": [], "meta": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "nested more than 100 levels deep: not a platform response",
    ),
    "nested_101_deep": (
        b'{"data": [], "meta": ' + b"[" * 100 + b"]" * 100 + b"}",
        "nested more than 100 levels deep: not a platform response",
    ),
    "error_with_nul_and_surrogate": (
        b'{"title": "Bad \\ud800 request\\u0000", "detail": "<script>"}',
        f"an X API error response: Bad {REPLACEMENT} request{REPLACEMENT}: <script>",
    ),
}


@pytest.mark.parametrize("case", list(X_REFUSED))
def test_a_malformed_x_response_is_refused_by_name_and_its_page_read_again(store, fake_classifier, case):
    body, message = X_REFUSED[case]
    bodies = [body, GOOD_X]
    src, adapter = x_source(lambda url: bodies.pop(0))
    first = run_pass(store, [src], fake_classifier, NOW)
    [error] = first.errors
    assert error.startswith(f"source 'x-search': {message}")
    state = store.source_state("x-search")
    assert (state.status, state.last_error, state.cursor) == ("failing", error, {})
    assert store.counts().mentions == 0
    second = run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=5))  # the page is not lost
    assert (second.errors, second.new_mentions) == ([], 1)
    assert len(adapter.urls) == 2 and adapter.urls[0] == adapter.urls[1]


def test_malformed_tweets_are_skipped_with_their_reason_and_the_rest_stored(store, fake_classifier, caplog):
    caplog.set_level(logging.WARNING, logger="repmon")
    bad = [
        {"text": "no id"},
        tweet(2, 42),
        tweet(3, "no time", created_at=None),
        tweet(4, "bad time", created_at="yesterday"),
        tweet(5, "bad counts", public_metrics="many"),
        tweet(6, "negative", public_metrics={"like_count": -1}),
        "a string",
        tweet(7, "bad id", id="\ud800"),
        tweet(8, "not a dict ref", referenced_tweets=["x"]),
    ]
    body = payload({"data": [*bad, GOOD_TWEET], "meta": {"result_count": 10}})
    src, _ = x_source(lambda url: body)
    report = run_pass(store, [src], fake_classifier, NOW)
    # the tweet with no time is stored with the time in its id; every skipped one is in the pass report
    x = "source 'x-search': skipped tweet"
    expected = [
        f"{x} #1: id None is not a tweet id",
        f"{x} #2 (id 1860000000000000002): text is missing",
        f"{x} #4 (id 1860000000000000004): created_at 'yesterday' is not a timestamp",
        f"{x} #5 (id 1860000000000000005): public_metrics is not an object",
        f"{x} #6 (id 1860000000000000006): public_metrics.like_count -1 is not a count",
        f"{x} #7: a tweet is not a JSON object",
        f"{x} #8: id '\\ud800' is not a tweet id",
        f"{x} #9 (id 1860000000000000008): referenced_tweets is not a list of objects",
    ]
    assert (report.errors, report.skipped, report.new_mentions) == (expected, 8, 2)
    assert [r.getMessage() for r in caplog.records if r.name == "repmon.sources.x"] == expected
    state = store.source_state("x-search")
    assert (state.status, state.last_error) == (
        "ok",
        f"the last poll skipped 8 item(s) it could not read: {expected[0]} (and 7 more: see the pass report)",
    )
    assert store.raw_payload("x", GOOD_TWEET["id"])[0] in body
    assert store.raw_payload("x", "1860000000000000003")[0] in body


GOOD_POST = {
    "id": f"{PAGE}_1",
    "message": "the coffee was cold again",
    "created_time": "2026-11-20T10:00:00+0000",
    "from": {"id": "555", "name": "Dana"},
}
GOOD_FB = payload({"data": [GOOD_POST]})
FEED = f"GET /v25.0/{PAGE}/feed"
FB_REFUSED = {
    "truncated": (GOOD_FB[:-20], f"Facebook sent a body that is not JSON for {FEED}"),
    "non_utf8": (GOOD_FB.replace(b"cold", b"c\xffld"), "Facebook response: not JSON (UnicodeDecodeError"),
    "data_is_an_object": (b'{"data": {"id": "1"}}', "Facebook response: 'data' is not a list (it is dict)"),
    "paging_is_text": (b'{"data": [], "paging": "next"}', "Facebook response: 'paging' is not an object"),
    "neither_list_nor_object": (b'{"id": 5}', "Facebook response: no 'data' list and no single object"),
    "an_x_body": (b'{"data": [], "meta": {}}', "Facebook response: this is an X API body"),
    "two_data_keys": (
        GOOD_FB[:-1] + b', "data": []}',
        "Facebook response: the key 'data' appears twice in one JSON object",
    ),
    "two_messages_in_a_post": (
        GOOD_FB.replace(b'"message": ', b'"message": "they are thieves", "message": ', 1),
        f"Facebook response: the key 'message' appears twice in one JSON object of the object with id "
        f"'{PAGE}_1'",
    ),
    "nested_too_deep": (
        b'{"data": [], "paging": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
        f"Facebook response to {FEED}: nested more than 100 levels deep",
    ),
}


@pytest.mark.parametrize("case", list(FB_REFUSED))
def test_a_malformed_facebook_response_is_refused_by_name_and_its_page_read_again(
    store, fake_classifier, case
):
    body, message = FB_REFUSED[case]
    feeds = [body, GOOD_FB]
    src, _ = facebook_source(lambda url: feeds.pop(0) if "/feed" in url else b'{"data": []}')
    first = run_pass(store, [src], fake_classifier, NOW)
    [error] = first.errors
    assert error.startswith(f"source 'facebook': {message}")
    state = store.source_state("facebook")
    assert (state.status, state.last_error, state.cursor) == ("failing", error, {})
    second = run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=5))
    assert (second.errors, second.new_mentions) == ([], 1)


def test_malformed_facebook_items_are_skipped_with_their_reason_and_the_rest_stored(
    store, fake_classifier, caplog
):
    caplog.set_level(logging.WARNING, logger="repmon")
    bad = [
        {"message": "no id", "created_time": "2026-11-20T10:00:00+0000"},
        {"id": f"{PAGE}_2", "message": 42, "created_time": "2026-11-20T10:00:00+0000"},
        {"id": f"{PAGE}_3", "message": "no time"},
        {"id": f"{PAGE}_4", "message": "bad from", "created_time": "2026-11-20T10:00:00+0000", "from": "me"},
        {"id": f"{PAGE}_5", "message": "bad shares", "created_time": "2026-11-20T10:00:00+0000",
         "shares": {"count": "lots"}},
        ["not", "an", "object"],
        {"id": "\ud800", "message": "id is not text", "created_time": "2026-11-20T10:00:00+0000"},
        {"id": "1/../../me?fields=", "message": "a path", "created_time": "2026-11-20T10:00:00+0000"},
    ]  # fmt: skip
    body = payload({"data": [*bad, GOOD_POST]})
    src, adapter = facebook_source(lambda url: body if "/feed" in url else b'{"data": []}')
    report = run_pass(store, [src], fake_classifier, NOW)
    assert (report.skipped, report.new_mentions) == (8, 1)
    # the only comment walk is the good post's: an id never becomes part of a URL's path unchecked
    assert [url.split("?")[0] for url in adapter.urls] == [
        f"https://graph.facebook.com/v25.0/{PAGE}/feed",
        f"https://graph.facebook.com/v25.0/{GOOD_POST['id']}/comments",
    ]
    expected = [
        "source 'facebook': skipped post #1: id is missing",
        f"source 'facebook': skipped post #2 (id {PAGE}_2): message is not text",
        f"source 'facebook': skipped post #3 (id {PAGE}_3): created_time None is not a timestamp",
        f"source 'facebook': skipped post #4 (id {PAGE}_4): from is not an object",
        f"source 'facebook': skipped post #5 (id {PAGE}_5): shares.count 'lots' is not a count",
        "source 'facebook': skipped post #6: not a JSON object",
        "source 'facebook': skipped post #7: id '\\ud800' is not a Graph object id",
        "source 'facebook': skipped post #8: id '1/../../me?fields=' is not a Graph object id",
    ]
    assert report.errors == expected
    assert [r.getMessage() for r in caplog.records if r.name == "repmon.sources.facebook"] == expected
    assert store.raw_payload("facebook", GOOD_POST["id"])[0] in body
    assert store.verify() == []


# -- inert on the dashboard, in e-mails and in the evidence bundle -------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_post_html_is_one_inert_box_of_the_text(case):
    for language, direction in (("en", "ltr"), ("he", "rtl"), (None, "auto")):
        doc = views.post_html(STORED[case], language)
        tags = Tags(doc)
        assert tags.tags == [("div", ("class", "dir", "style"))]
        assert "".join(tags.text) == STORED[case]
        assert f'dir="{direction}"' in doc


@pytest.mark.parametrize("case", CASES)
def test_the_item_page_shows_a_hostile_post_as_inert_text(
    store, fake_classifier, monkeypatch, tmp_path, case
):
    item = stored_item(store, fake_classifier, case)
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "dashboard"))
    monkeypatch.setenv("REPMON_DATABASE_URL", store.url)
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "en")  # maya is no user here: the default language is hers
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    at.session_state["clock"] = NOW
    at.session_state["user"] = {"name": "maya", "role": "manager"}
    at.session_state["item_id"] = item.id
    at.run()
    at = at.switch_page("screens/item.py").run()
    assert [e.value for e in at.exception] == []
    assert at.title[0].value == f"#{item.id} · 💬 Complaint"
    [post] = [h.proto.body for h in at.get("html") if "repmon-post" in h.proto.body]
    assert post == views.post_html(STORED[case], item.language)
    hidden = views.invisible_characters(STORED[case])
    warnings = [w.value for w in at.warning if "invisible characters" in w.value]
    assert warnings == ([f"This post contains invisible characters that change how it displays: "
                         f"{', '.join(hidden)}"] if hidden else [])  # fmt: skip
    if case in ("bidi", "zero_width"):
        assert hidden
    assert all(STORED[case][:50] not in m.value for m in at.markdown)  # never rendered as markdown


def assert_inert_email(msg):
    """7-bit clean, both parts decode, the HTML has only the e-mail's own kinds of tags and no event
    handler or embedded resource, and no bidi control or NUL survives; returns (plain, html)."""
    raw = msg.as_bytes()
    assert max(raw) < 128  # 7-bit clean on the wire
    back = email.message_from_bytes(raw, policy=email.policy.default)
    plain, html_part = back.get_body(("plain",)).get_content(), back.get_body(("html",)).get_content()
    for part in (plain, html_part, str(back["Subject"])):
        assert not set(part) & BIDI_CONTROLS and "\x00" not in part
    tags = Tags(html_part)
    assert {t for t, _ in tags.tags} <= {"html", "body", "p", "b", "blockquote", "a", "div", "table", "tr",
                                         "td", "th", "span", "head", "meta", "title", "br"}  # fmt: skip
    assert not [a for _, attrs in tags.tags for a in attrs if a.startswith("on") or a in ("src", "srcset")]
    return plain, html_part


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("language", ["he", "en"])
def test_an_alert_about_a_hostile_post_is_inert(store, fake_classifier, smtp, case, language):
    item = stored_item(store, fake_classifier, case)
    msg = render_item_alert(item, language, smtp.config.sender, "owner@example.co.il", URL, NOW)
    plain, html_part = assert_inert_email(msg)
    assert Tags(html_part).hrefs == [f"{URL}/item?id={item.id}"]
    send(msg, smtp.config)
    [got] = smtp.messages
    assert got.get_body(("plain",)).get_content().replace("\r\n", "\n") == plain.replace("\r\n", "\n")


@pytest.mark.parametrize("case", CASES)
def test_the_digest_shows_a_hostile_post_inert(store, fake_classifier, case):
    item = stored_item(store, fake_classifier, case)
    summary = collect_digest(store, NOW + timedelta(hours=20), TZ, URL)
    [top] = summary.top_items
    assert top.id == item.id and len(top.excerpt) <= 140
    assert not set(top.excerpt) & BIDI_CONTROLS
    for language in ("he", "en"):
        msg = render_digest(summary, language, "repmon <a@repmon.test>", "owner@example.co.il")
        _, html_part = assert_inert_email(msg)
        assert {h for h in Tags(html_part).hrefs if not h.startswith(URL + "/")} == set()
        assert str(markupsafe.escape(top.excerpt)) in html_part  # the post's words, as text


def bundle_files(store, item_id):
    zf = zipfile.ZipFile(io.BytesIO(render_bundle(store.evidence(item_id), NOW)))
    return {name: zf.read(name) for name in zf.namelist()}


@pytest.mark.parametrize("case", CASES)
def test_the_evidence_bundle_keeps_the_bytes_and_shows_the_post_inert(store, fake_classifier, case):
    item = stored_item(store, fake_classifier, case)
    plain = stored_item(store, fake_classifier, None, ext="2002", text="the coffee was cold again")
    files = bundle_files(store, item.id)
    body = mention("1001", HOSTILE[case]).raw.body
    assert files["post/raw_payload.json"] == body
    manifest = json.loads(files["manifest.json"])
    assert manifest["files"] == {
        n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != "manifest.json"
    }
    capture = json.loads(files["post/capture.json"])
    assert capture["sha256"] == hashlib.sha256(body).hexdigest()
    assert capture["mention"]["text"] == STORED[case]
    summary = files["summary.html"].decode("utf-8")
    direction = "rtl" if detect_language(STORED[case]) in ("he", "mixed") else "ltr"
    assert f'<div class="post" dir="{direction}">{html.escape(STORED[case])}</div>' in summary
    # the same tags as the summary of an ordinary post: nothing from the post became markup
    reference = bundle_files(store, plain.id)["summary.html"].decode("utf-8")
    assert [t for t, _ in Tags(summary).tags] == [t for t, _ in Tags(reference).tags]


def test_a_word_longer_than_a_line_wraps_inside_its_post_box(store, fake_classifier, smtp):
    """A post of one 140-character word (or an unbroken run of letters) made the digest's 640-pixel
    table as wide as the word in mail clients, and ran past the border of the alert's quote and of the
    evidence summary's post (cut off when printed): each post box may break a word anywhere."""
    word = "defamation" + "A" * 400
    item = stored_item(store, fake_classifier, None, text=word)

    def post_styles(doc, marker):
        styles = re.findall(r'style="([^"]*)"', doc)
        return [" ".join(st.replace(":", ": ").split()) for st in styles if marker in st]

    summary = collect_digest(store, NOW + timedelta(hours=20), TZ, URL)
    digest = render_digest(summary, "en", "repmon <a@repmon.test>", "owner@example.co.il")
    [box] = post_styles(digest.get_body(("html",)).get_content(), "font-size:15px;line-height:1.5")
    assert "overflow-wrap: anywhere" in box
    alert = render_item_alert(item, "he", smtp.config.sender, "owner@example.co.il", URL, NOW)
    [quote] = post_styles(alert.get_body(("html",)).get_content(), "pre-wrap")
    assert "overflow-wrap: anywhere" in quote
    css = bundle_files(store, item.id)["summary.html"].decode("utf-8")
    assert ".post{white-space:pre-wrap;overflow-wrap:anywhere;" in css


# -- the real classifier ----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_real_classifier_predicts_every_hostile_text(classifier):
    texts = [*HOSTILE.values(), *STORED.values()]
    preds = classifier.predict(texts)
    assert [type(p) for p in preds] == [Prediction] * len(texts)
    assert all(p.label in LABELS and set(p.scores) == set(LABELS) for p in preds)
    assert all(0.0 <= s <= 1.0 for p in preds for s in p.scores.values())
    notes = dict(zip(HOSTILE, (p.notes for p in preds)))
    assert notes["lone_surrogate"] == ("invalid Unicode (lone surrogates) replaced",)
    assert notes["nul"] == ("control characters removed",)
    assert notes["100kb"] == (
        "text longer than 20,000 characters: only the start was read",
        "very long post: only its first 3,056 tokens were read",
    )


# -- one truth per post in the byte walker itself ------------------------------------------------------


def test_the_byte_walker_refuses_a_key_it_would_have_to_choose_between():
    from monitor.sources.payloads import PayloadError, item_bytes, value_bytes

    with pytest.raises(PayloadError, match="the key 'data' appears twice"):
        item_bytes(b'{"data": [{"id": "1"}], "data": [{"id": "2"}]}', "data")
    with pytest.raises(PayloadError, match="the key 'comments' appears twice"):
        item_bytes(b'{"comments": {"data": []}, "comments": {"data": [1]}}', "comments", "data")
    with pytest.raises(PayloadError, match="the key '1_2' appears twice"):
        value_bytes(b'{"1_2": {"id": "1_2"}, "1_2": {"id": "1_2", "x": 1}}', "1_2")
    assert item_bytes(b'{"data": [{"id": "1", "data": 2}], "meta": {"data": 3}}', "data") == [
        b'{"id": "1", "data": 2}'
    ]


# -- classify --input and evaluate: bounded, strict input -----------------------------------------------


class ListClassifier:
    """The fake classifier behind `repmon classify`: it records each batch it is given."""

    model_version = "fake-1"

    def __init__(self):
        self.fake, self.batches = FakeClassifier(), []

    def predict(self, texts, batch_size=None):
        self.batches.append(list(texts))
        return self.fake.predict(texts)


@pytest.fixture
def classify(monkeypatch, capsys):
    clf = ListClassifier()
    monkeypatch.setattr("monitor.cli.common.classifier", lambda: clf)

    def run(*argv):
        code = main(["classify", *argv])
        out, err = capsys.readouterr()
        return code, [json.loads(line) for line in out.splitlines()], err, clf

    return run


def test_a_jsonl_line_with_a_lone_surrogate_is_named_and_the_rest_classified(tmp_path, classify):
    path = tmp_path / "posts.jsonl"
    path.write_bytes(
        b'{"text": "first"}\n{"text": "bad \\ud800 here"}\n{"text": 5}\n'
        + b'{"text": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}\n"
        + b'{"text": "a", "text": "b"}\n{"text": "valid pair \\ud83d\\ude21"}\n{"text": "last"}\n'
    )
    code, rows, err, clf = classify("--input", str(path))
    assert code == 1
    assert clf.batches == [["first", "valid pair \U0001f621", "last"]]
    assert [r.get("text") or r["error"] for r in rows] == [
        "first",
        f"{path}:2: holds a lone surrogate escape (such as \\ud800), which is not a character: "
        "fix or remove the line",
        f"{path}:3: the 'text' field is not text (it is int): fix the line",
        f"{path}:4: nested more than 100 levels deep: fix or remove the line",
        f"{path}:5: the key 'text' appears twice in one JSON object: fix or remove the line",
        "valid pair \U0001f621",
        "last",
    ]
    assert err.splitlines()[-1] == "4 of 7 lines could not be read; the others were classified"


def test_a_csv_with_an_unterminated_quote_is_refused_with_the_line_it_opened_on(tmp_path, classify):
    path = tmp_path / "posts.csv"
    path.write_text('id,text\n1,fine\n\n2,"never closed, eats\n3,the rest\n4,of the file\n', "utf-8")
    code, rows, err, clf = classify("--input", str(path))
    assert (code, rows, clf.batches) == (2, [], [])
    assert err == (
        f"repmon: {path}:4: a quoted field opened in the row on this line never closes (the file ends "
        'inside it): add the closing quote (") or remove the stray one\n'
    )
    path.write_text('id,text\n1,"fine, quoted\nover two lines"\n2,"bad"quote\n', "utf-8")
    code, rows, err, _ = classify("--input", str(path))
    assert (code, rows) == (2, [])
    assert err.startswith(f"repmon: {path}:4: malformed quoting in the row on this line (")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"\x7fELF\x02\x01\x01\x00\x00" + bytes(range(256)) * 40,
            ":1: holds a NUL byte (byte 7): it is a binary",
        ),
        ("hello\n".encode("utf-16"), ":1: holds a NUL byte (byte 3): it is a binary or UTF-16 file"),
        ("fine\nקפה\n".encode("cp1255"), ":2: not UTF-8 text (byte 0xf7 at byte 5): save the file as UTF-8"),
    ],
)
def test_a_binary_or_non_utf8_file_is_refused_not_classified(tmp_path, classify, content, message):
    path = tmp_path / "posts.txt"
    path.write_bytes(content)
    code, rows, err, clf = classify("--input", str(path))
    assert (code, rows, clf.batches) == (2, [], [])
    assert err.startswith(f"repmon: {path}{message}") and err.count("\n") == 1


def test_an_endless_or_oversized_input_is_refused_by_the_size_limit(tmp_path, classify, monkeypatch):
    monkeypatch.setenv("REPMON_MAX_INPUT_BYTES", "1000")
    code, rows, err, clf = classify("--input", "/dev/zero")
    assert (code, rows, clf.batches) == (2, [], [])
    assert err == (
        "repmon: /dev/zero: larger than 1,000 bytes (REPMON_MAX_INPUT_BYTES): split it or raise the limit\n"
    )
    path = tmp_path / "posts.txt"
    path.write_text("a post\n" * 200, "utf-8")
    assert classify("--input", str(path))[0] == 2
    path.write_text("a post\n" * 100, "utf-8")
    code, rows, _, _ = classify("--input", str(path))
    assert (code, len(rows)) == (0, 100)


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column(tmp_path, classify):
    path = tmp_path / "posts.csv"
    path.write_bytes("text,id\nשלום,1\n".encode("utf-8-sig"))
    code, rows, _, _ = classify("--input", str(path))
    assert (code, [r["text"] for r in rows]) == (0, ["שלום"])


@pytest.mark.parametrize(
    ("name", "content", "why", "need"),
    [
        ("posts.txt", "", "it is empty", "one post a line"),
        ("posts.jsonl", "", "only blank lines", "one JSON object a line"),
        ("posts.jsonl", "\n  \n", "only blank lines", "one JSON object a line"),
        ("posts.csv", "", "it is empty", "a header line, then one post a row"),
        ("posts.csv", "id,text\n", "only a header line", "a header line, then one post a row"),
        ("posts.tsv", "id\ttext\n", "only a header line", "a header line, then one post a row"),
    ],
)
def test_a_file_with_no_posts_is_named_not_an_empty_success(
    tmp_path, classify, capsys, name, content, why, need
):
    # classify --input on an empty file or a header-only CSV printed nothing and exited 0
    path = tmp_path / name
    path.write_text(content, "utf-8")
    message = f"repmon: {path}: holds no posts ({why}): check that it is the right file; it needs {need}\n"
    code, rows, err, clf = classify("--input", str(path))
    assert (code, rows, clf.batches, err) == (2, [], [], message)
    # evaluate says the same, not "no row has a gold label ... check --label-column and --map"
    assert main(["evaluate", "--input", str(path), "--label-column", "label"]) == 2
    assert capsys.readouterr() == ("", message)
    assert clf.batches == []


def test_evaluate_names_the_lines_it_cannot_read(tmp_path, monkeypatch, capsys):
    clf = ListClassifier()
    monkeypatch.setattr("monitor.cli.common.classifier", lambda: clf)
    path = tmp_path / "gold.jsonl"
    path.write_text(
        '{"text": "a scam", "label": "defamation"}\n{"text": "bad \\udc00", "label": "defamation"}\n'
        '{"text": "cold coffee", "label": "complaint"}\n',
        "utf-8",
    )
    assert main(["evaluate", "--input", str(path), "--label-column", "label", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["n"] == 2 and clf.batches == [["a scam", "cold coffee"]]
    assert err == (
        f"repmon: {path}:2: holds a lone surrogate escape (such as \\ud800), which is not a character: "
        "fix or remove the line\n"
    )


def test_a_csv_row_too_short_to_reach_the_text_column_is_named_not_classified_as_none(tmp_path, classify):
    # the missing field was None, and the classifier was handed None: the row came out as a post "None"
    path = tmp_path / "posts.csv"
    path.write_text("id,text\n1\n2,fine\n", "utf-8")
    code, rows, err, clf = classify("--input", str(path))
    assert (code, clf.batches) == (1, [["fine"]])
    message = (
        f"{path}:2: fewer fields than the header has, none for the 'text' column: "
        "check the delimiter and the quoting"
    )
    assert rows[0] == {"line": 2, "error": message}
    assert rows[1]["text"] == "fine"
    assert err.splitlines()[0] == message


def test_a_csv_header_naming_a_column_twice_is_refused_not_read_as_its_last_column(tmp_path, classify):
    # DictReader keeps the last of two columns of one name: the first column's texts were never classified
    path = tmp_path / "posts.csv"
    path.write_text("text,text\nthe first column's post,the second's\n", "utf-8")
    code, rows, err, clf = classify("--input", str(path))
    assert (code, rows, clf.batches) == (2, [], [])
    assert err == (
        f"repmon: {path}:1: the header names the column 'text' more than once: rename one, so no column "
        "is read in place of another\n"
    )
