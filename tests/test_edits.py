"""Edits on the platform (monitor/edits.py): the text in a capture's bytes per platform, and which later
captures hold an edit of the text first captured."""

import csv
import io
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


# -- the monitor classifies edits, and triage follows the most serious version -----------------------

from datetime import timedelta  # noqa: E402

from conftest import NOW  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from monitor.pipeline import run_pass  # noqa: E402
from monitor.records import Capture, QueueFilter, RawPayload  # noqa: E402
from monitor.storage.models import EditClassificationRow, PostEditRow  # noqa: E402
from monitor.triage import LEGAL_SCOPE  # noqa: E402

FIRST = "The coffee was cold again, a complaint"
ACCUSATION = "They are thieves who steal from customers: defamation"


def refresh(store, *messages, platform="facebook", ext="9_1", minutes=1):
    """A refresh of open items re-reading the post once per message, a minute apart, as the refresh stores
    its captures: on Facebook the object with its ``message`` (None: a counters-only read) and counters,
    on X the post with its ``text``; bytes are stored as they are."""
    caps = []
    for n, message in enumerate(messages):
        if isinstance(message, bytes):
            body = message
        elif platform == "x":
            body = dumps({"id": ext, "text": message, "public_metrics": {"like_count": minutes + n}})
        else:
            body = dumps(
                {"id": ext, "like_count": minutes + n} | ({} if message is None else {"message": message})
            )
        caps.append(Capture(platform, ext, RawPayload(body, NOW + timedelta(minutes=minutes + n))))
    store.save_page(f"{platform}-metrics", [], [], None, NOW, (), caps)


@pytest.fixture
def post(store, make_mention, fake_classifier):
    """A Facebook comment classified as a complaint and queued with the reply playbook."""
    raw = dumps({"id": "9_1", "message": FIRST})
    store.save_page(
        "facebook", [make_mention(platform="facebook", external_id="9_1", text=FIRST, body=raw)], [], {}, NOW
    )
    report = run_pass(store, [], fake_classifier, NOW)
    assert (report.classified, report.errors) == (1, [])
    [item] = store.queue()
    assert (item.label, item.playbook, item.edit) == ("complaint", "reply", None)
    return item.id


def shown(store, item_id):
    q = store.queue_item(item_id)
    return q.label, q.playbook, q.edit.text if q.edit else None


def in_legal(store, item_id):
    return item_id in [q.id for q in store.queue(QueueFilter(legal=LEGAL_SCOPE))]


def test_an_edit_that_adds_an_accusation_is_classified_and_sends_the_item_to_legal(
    store, post, fake_classifier
):
    refresh(store, ACCUSATION)
    report = run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    assert (report.classified, report.errors) == (1, [])
    assert fake_classifier.seen == [FIRST, ACCUSATION]
    assert shown(store, post) == ("defamation", "escalate_legal", ACCUSATION)
    assert in_legal(store, post)
    q = store.queue_item(post)
    assert q.scores["defamation"] == 0.9 and q.model_version == "fake-1" and q.text == FIRST
    [edit] = store.edits("facebook", "9_1")
    assert (edit.text, edit.label, edit.captured_at) == (ACCUSATION, "defamation", NOW + timedelta(minutes=1))
    assert store.verify() == []


def test_an_edit_back_to_a_mild_text_leaves_the_item_in_legal(store, post, fake_classifier):
    refresh(store, ACCUSATION)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    refresh(store, "Sorry, only the coffee was cold, a complaint", FIRST, minutes=10)
    report = run_pass(store, [], fake_classifier, NOW + timedelta(minutes=15))
    assert report.classified == 1  # the milder edit; the first text again is no edit
    assert shown(store, post) == ("defamation", "escalate_legal", ACCUSATION)  # the published accusation
    assert in_legal(store, post)
    assert [(e.text, e.label) for e in store.edits("facebook", "9_1")] == [
        (ACCUSATION, "defamation"),
        ("Sorry, only the coffee was cold, a complaint", "complaint"),
    ]
    assert store.verify() == []


def test_a_second_pass_classifies_nothing_again_and_a_new_model_classifies_every_version(
    store, post, fake_classifier
):
    refresh(store, ACCUSATION, ACCUSATION + " ", None, b"not json")
    assert run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5)).classified == 1
    again = run_pass(store, [], fake_classifier, NOW + timedelta(minutes=6))
    assert (again.classified, again.errors) == (0, [])
    assert fake_classifier.seen == [FIRST, ACCUSATION]

    class NextModel(type(fake_classifier)):
        model_version = "fake-2"

    newer = NextModel()
    assert run_pass(store, [], newer, NOW + timedelta(minutes=7)).classified == 2
    assert newer.seen == [FIRST, ACCUSATION]
    assert shown(store, post) == ("defamation", "escalate_legal", ACCUSATION)
    with store.session() as s:
        rows = s.execute(select(EditClassificationRow.model_version, EditClassificationRow.label)).all()
    assert sorted(rows) == [("fake-1", "defamation"), ("fake-2", "defamation")]
    assert store.verify() == []


def test_white_space_alone_bad_bytes_and_counters_only_reads_classify_nothing(store, post, fake_classifier):
    refresh(store, "  The coffee was cold\nagain,  a complaint ", None)
    store.save_page(
        "facebook-metrics", [], [], None, NOW, (),
        [Capture("facebook", "9_1", RawPayload(bad, NOW + timedelta(minutes=n))) for n, bad in
         enumerate((b"\xff\xfe{", b"[1, 2]", b'{"message": 42}', b"", b"[" * 500), 10)],
    )  # fmt: skip
    report = run_pass(store, [], fake_classifier, NOW + timedelta(minutes=20))
    assert (report.classified, report.errors) == (0, [])
    assert fake_classifier.seen == [FIRST]
    assert store.edits("facebook", "9_1") == []
    assert shown(store, post) == ("complaint", "reply", None)
    assert len(store.captures("facebook", "9_1")) == 7  # every capture is kept as evidence
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(PostEditRow)) == 0


def test_a_persons_correction_still_wins_over_the_model_on_every_version(store, post, fake_classifier):
    store.correct(post, "neutral", "a question, not a complaint", "dana", NOW + timedelta(minutes=2))
    refresh(store, "Is the branch open on Friday? praise", minutes=3)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    assert store.queue_item(post).label == "neutral"
    # An accusation added later: the person's label stays, and the accusation's score, as for any post a
    # person relabelled, still sends the item to legal (the rules read the scores).
    refresh(store, ACCUSATION, minutes=10)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=15))
    assert shown(store, post) == ("neutral", "escalate_legal", ACCUSATION)
    assert store.verify() == []


def test_a_closed_item_is_not_reopened_by_an_edit(store, post, fake_classifier):
    from monitor import workflow

    workflow.act(store, post, "dismiss", "dana", NOW, reason="not about us")
    refresh(store, ACCUSATION)
    assert run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5)).classified == 1
    q = store.queue_item(post)
    assert (q.status, q.label, q.playbook, q.edit) == ("dismissed", "complaint", "reply", None)
    assert not in_legal(store, post)


def test_an_x_post_re_read_with_another_text_is_classified_too(store, make_mention, fake_classifier):
    store.save_page(
        "x",
        [make_mention(external_id="18", text=FIRST, body=dumps({"id": "18", "text": FIRST}))],
        [],
        {},
        NOW,
    )
    run_pass(store, [], fake_classifier, NOW)
    refresh(store, "Do not buy there ever again, boycott", platform="x", ext="18")
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    [q] = store.queue()
    assert (q.label, q.playbook, q.edit.text) == (
        "boycott",
        "escalate_legal",
        "Do not buy there ever again, boycott",
    )


def test_the_worker_classifies_edits_and_re_triages_their_posts(store, post, fake_classifier):
    from monitor.worker import Worker

    refresh(store, ACCUSATION)
    worker = Worker(store, fake_classifier, clock=lambda: NOW + timedelta(minutes=5))
    assert worker.run(exit_when_idle=True) == 1
    assert shown(store, post) == ("defamation", "escalate_legal", ACCUSATION)
    assert Worker(store, fake_classifier, clock=lambda: NOW).run(exit_when_idle=True) == 0
    assert store.verify() == []


def test_a_label_changed_behind_repmons_back_fails_verification(store, post, fake_classifier):
    refresh(store, ACCUSATION)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    with store.session() as s:
        s.execute(update(EditClassificationRow).values(label="praise"))
        s.execute(update(PostEditRow).values(text="nothing to see here"))
    [edit] = store.edits("facebook", "9_1")
    assert store.verify() == [
        f"edited version {edit.id} of mention 1: its text, capture or post changed after it was read from "
        "the capture",
        f"classification of edited version {edit.id} (1): its label or scores changed after the classifier "
        "stored them",
    ]


def test_a_correction_of_an_item_triaged_on_an_edit_records_the_label_it_showed(store, post, fake_classifier):
    refresh(store, ACCUSATION)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    store.correct(post, "complaint", "sarcasm, not an accusation", "dana", NOW + timedelta(minutes=6))
    [event] = [e for e in store.item(post).audit if e.action == "correct"]
    assert event.detail == {"from": "defamation", "to": "complaint", "reason": "sarcasm, not an accusation"}


def test_a_correction_is_paired_for_training_with_the_version_the_item_showed(store, post, fake_classifier):
    """``repmon train --with-corrections`` learns the label a person gave with the text they read: the edit
    the item followed when corrected, not the first text; a later correction of the first text wins."""
    refresh(store, ACCUSATION)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    store.correct(post, "complaint", "sarcasm, not an accusation", "dana", NOW + timedelta(minutes=6))
    assert store.corrections() == [(ACCUSATION, "complaint")]
    assert store.verify() == []


def test_a_correction_of_the_first_text_is_paired_with_it(store, post, fake_classifier):
    store.correct(post, "neutral", "a question", "dana", NOW + timedelta(minutes=2))
    refresh(store, ACCUSATION, minutes=3)  # an edit after the correction, which was of the first text
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    assert store.corrections() == [(FIRST, "neutral")]


def test_the_version_a_correction_names_is_sealed(store, post, fake_classifier):
    from monitor.storage.models import CorrectionRow

    refresh(store, ACCUSATION)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    store.correct(post, "complaint", "sarcasm, not an accusation", "dana", NOW + timedelta(minutes=6))
    with store.session() as s:
        s.execute(update(CorrectionRow).values(edit_id=None))  # would pair the label with the first text
    assert store.verify() == [
        "correction 1 of mention 1: its label, reason, actor, time or version changed after it was recorded"
    ]


def test_every_list_shows_the_version_triage_follows_marked_as_edited(store, post, fake_classifier):
    """The label beside a post in the queue, the CLI, the CSV and the digest came from the edit while the
    excerpt quoted the first text: a harmless sentence labelled as an accusation."""
    from zoneinfo import ZoneInfo

    from dashboard.views import queue_csv, queue_rows
    from monitor.cli.queue import queue_json, render_queue
    from monitor.email.digest import collect_digest
    from monitor.email.digest.render import render_digest

    refresh(store, ACCUSATION)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    [item] = store.queue()
    assert (item.label, item.text, item.followed_text) == ("defamation", FIRST, ACCUSATION)
    assert queue_rows([item], NOW)[0]["post"] == f"(edited) {ACCUSATION}"
    assert queue_rows([item], NOW, "he")[0]["post"] == f"(נערך) {ACCUSATION}"
    line = render_queue([item], NOW, "en").splitlines()[1]
    assert f"(edited) {ACCUSATION[:30]}" in line and FIRST[:20] not in line
    assert (queue_json(item)["text"], queue_json(item)["edited_text"]) == (FIRST, ACCUSATION)
    head, row = csv.reader(io.StringIO(queue_csv([item]).decode("utf-8-sig")))
    assert (head[-2:], row[-2:]) == (
        ["post", "post as edited (label and triage follow it)"],
        [FIRST, ACCUSATION],
    )
    summary = collect_digest(
        store, NOW + timedelta(hours=1), ZoneInfo("Asia/Jerusalem"), "https://dash.example"
    )
    [top] = summary.top_items
    assert (top.excerpt, top.edited) == (ACCUSATION, True)
    mail = render_digest(summary, "en", "repmon@dash.example", "owner@dash.example")
    plain = mail.get_body(("plain",)).get_content()
    assert f"#{item.id} · Defamation · Facebook · someone · edited on the platform\n" in plain


def test_an_item_on_its_first_text_is_listed_as_before(store, post):
    from dashboard.views import queue_csv, queue_rows
    from monitor.cli.queue import queue_json

    [item] = store.queue()
    assert (item.followed_text, queue_rows([item], NOW)[0]["post"]) == (FIRST, FIRST)
    assert queue_json(item)["edited_text"] is None
    assert list(csv.reader(io.StringIO(queue_csv([item]).decode("utf-8-sig"))))[1][-2:] == [FIRST, ""]
