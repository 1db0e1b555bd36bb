"""Edits on the platform (monitor/edits.py): the text in a capture's bytes per platform, and which later
captures hold an edit of the text first captured."""

import json

import pytest

from monitor.edits import CaptureText, capture_text, capture_texts, first_text, latest_edit, same_text


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def test_a_facebook_capture_holds_its_message():
    body = dumps({"id": "9_1", "message": "הקפה הגיע קר", "like_count": 3, "is_hidden": False})
    assert capture_text("facebook", body) == "הקפה הגיע קר"
    assert capture_text("facebook", b'{"id": "9_1", "like_count": 3}') is None  # a counters-only read
    assert capture_text("facebook", dumps({"id": "9_1", "text": "an X field"})) is None


def test_an_x_capture_holds_its_long_text_if_it_has_one_else_its_text():
    short = {"id": "18", "text": "They stole my card", "public_metrics": {"like_count": 4}}
    assert capture_text("x", dumps(short)) == "They stole my card"
    long = {**short, "text": "They stole my card and…", "note_tweet": {"text": "They stole my card and lied"}}
    assert capture_text("x", dumps(long)) == "They stole my card and lied"
    assert capture_text("x", dumps({**short, "note_tweet": {"entities": {}}})) == "They stole my card"
    assert capture_text("x", dumps({**short, "note_tweet": "long"})) == "They stole my card"
    assert capture_text("x", dumps({"id": "18", "public_metrics": {"like_count": 900}})) is None
    assert capture_text("x", dumps({"id": "9_1", "message": "a Facebook field"})) is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"id": "9_1", "message": "cut',
        b"\xff\xfe\x00{",
        b'\xef\xbb\xbf{"message": "after a byte-order mark"}',
        b'{"message": "one", "message": "two"}',  # a key twice: no one text
        b"[1, 2]",
        b'["message"]',
        b'"message"',
        b"42",
        b"null",
        b'{"message": 42}',
        b'{"message": null}',
        b'{"message": ["a"]}',
        b"[" * 200 + b"]" * 200,
    ],
)
def test_bad_or_foreign_bytes_hold_no_text(body):
    assert capture_text("facebook", body) is None
    assert capture_text("x", body.replace(b"message", b"text")) is None


def test_an_unknown_platform_holds_no_text_and_broken_characters_are_replaced():
    assert capture_text("demo", b'{"text": "hi", "message": "hi"}') is None
    assert capture_text("facebook", b'{"message": "a\\u0000b\\ud800c"}') == "a\ufffdb\ufffdc"


def test_white_space_alone_is_not_an_edit():
    assert same_text("Cold coffee  again\n", " Cold coffee\tagain")
    assert not same_text("Cold coffee again", "Cold coffee, again")
    assert not same_text("no thing", "nothing")


def test_the_first_text_is_the_raw_payloads_else_the_stored_one():
    assert first_text("facebook", b'{"id": "1", "message": "as sent"}', "stored") == "as sent"
    assert first_text("facebook", b'{"id": "1"}', "stored") == "stored"
    assert first_text("x", None, "stored") == "stored"


def test_each_capture_is_compared_with_the_first_text_and_the_one_before_it():
    bodies = [
        b'{"id": "1", "like_count": 2}',  # counters only: says nothing
        b'{"id": "1", "message": "You are thieves  "}',  # white space only
        b'{"id": "1", "message": "You were slow"}',  # edited, milder
        b'{"id": "1", "message": "You were slow", "like_count": 9}',  # the same edit, new counters
        b"not json",
        b'{"id": "1", "message": "You are thieves"}',  # edited back
    ]
    texts = capture_texts("facebook", "You are thieves", bodies)
    assert texts == [
        CaptureText(None, edited=False, changed=False),
        CaptureText("You are thieves  ", edited=False, changed=False),
        CaptureText("You were slow", edited=True, changed=True),
        CaptureText("You were slow", edited=True, changed=False),
        CaptureText(None, edited=False, changed=False),
        CaptureText("You are thieves", edited=False, changed=True),
    ]
    assert latest_edit(texts) is None  # it reads as first captured again
    assert latest_edit(texts[:5]) == (3, "You were slow")  # the newest capture holding a text
    assert latest_edit(texts[:2]) is None
    assert latest_edit([]) is None
