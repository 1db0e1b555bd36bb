"""The owners' daily digest: what it collects for the last full local day, and the e-mail it renders."""

import email
import email.policy
import hashlib
import itertools
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from classifiers import Prediction
from classifiers.virality import Virality
from monitor import workflow
from monitor.email.digest import (
    DigestItem,
    DigestLegalItem,
    DigestSummary,
    HourVolume,
    LabelCount,
    SourceProblem,
    Spike,
    clean_text,
    collect_digest,
    day_bounds,
    digest_subject,
    hourly_spikes,
    message_id,
    render_digest,
)
from monitor.email.mailer import send
from monitor.errors import ConfigError, InputError
from monitor.records import TriageDecision
from monitor.storage.models import MentionRow, TriageItemRow
from monitor.storage.reports import ResponseKpi

TZ = ZoneInfo("Asia/Jerusalem")  # UTC+2 in November
RUN = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 08:00 local on 23 November: the day is 22 November
DAY_START = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # 22 November 00:00 local
URL = "https://repmon.example.co.il"
SENDER = "repmon <alerts@example.co.il>"
HEBREW_POST = "הבעלים של העסק הזה גנב לי 2,000 ש״ח. נוכלים!"
ENGLISH_POST = "Waited 45 minutes for a cold latte."
HOSTILE = (
    "<script>alert(1)</script> \u202etxet desrever\u202c <img src=x onerror=alert(2)> "
    "![pixel](https://evil.example/t.png) [click](javascript:alert(3))"
)


def utc(day, hour=0, minute=0, second=0):
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def local(day, hour=0, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def add(store, make_mention):
    """Store mentions created at the given times, classified as ``label`` (if given); returns their ids."""
    external_ids = itertools.count(1)

    def add(created_at, label=None, *, n=1, platform="x", version="m1", language="en", **fields):
        exts = [str(next(external_ids)) for _ in range(n)]
        mentions = [
            make_mention(external_id=e, platform=platform, created_at=created_at, language=language, **fields)
            for e in exts
        ]
        store.save_page("test", mentions, [], None, RUN)
        with store.session() as s:
            ids = list(
                s.scalars(
                    select(MentionRow.id)
                    .where(MentionRow.platform == platform, MentionRow.external_id.in_(exts))
                    .order_by(MentionRow.id)
                )
            )
        if label:
            store.save_classifications(
                [(i, Prediction(label, {label: 0.9}, language, version)) for i in ids], RUN
            )
        return ids[0] if n == 1 else ids

    return add


def queue(
    store, mention_id, created_at, *, playbook="reply", priority=50.0, virality=10.0, sla=timedelta(hours=4)
):
    """Queue a mention as the pipeline does, at ``created_at``; returns the item id."""
    decision = TriageDecision(playbook, priority, created_at + sla)
    vir = Virality(virality, 0, 0.0, 0.0, 100.0, 50.0, 200.0, 1.0, 1)
    store.save_triage([(mention_id, decision, vir)], created_at)
    with store.session() as s:
        return s.scalar(select(TriageItemRow.id).where(TriageItemRow.mention_id == mention_id))


# -- the day -----------------------------------------------------------------------------------------


def test_the_day_is_the_last_full_local_day_before_the_run():
    assert day_bounds(RUN, TZ) == (date(2026, 11, 22), utc(21, 22), utc(22, 22))
    # just after local midnight it is already the day before; just before it, the day before that
    assert day_bounds(utc(22, 22, 0, 1), TZ) == (date(2026, 11, 22), utc(21, 22), utc(22, 22))
    assert day_bounds(utc(22, 21, 59, 59), TZ) == (date(2026, 11, 21), utc(20, 22), utc(21, 22))
    # the night the clocks go back (25 October 2026, 02:00 IDT -> 01:00 IST) the day has 25 hours
    day, start, end = day_bounds(datetime(2026, 10, 26, 6, tzinfo=UTC), TZ)
    assert (day, start, end - start) == (
        date(2026, 10, 25),
        datetime(2026, 10, 24, 21, tzinfo=UTC),
        timedelta(hours=25),
    )


def test_collect_counts_new_mentions_per_label_on_the_local_day_and_the_day_before(store, add):
    add(utc(20, 21, 59, 59), "complaint")  # 23:59:59 on the 20th, local: before both days
    add(utc(20, 22), "complaint")  # 00:00 on the 21st: the day before's first instant
    add(utc(21, 21, 59), "praise")  # 23:59 on the 21st: still the day before
    add(utc(21, 22, 1), "complaint")  # 00:01 on the 22nd: the day
    add(utc(22, 10), "complaint", n=3)
    add(utc(22, 21, 59, 59), "boycott")  # 23:59:59 on the 22nd: the day's last second
    add(utc(22, 22, 1), "defamation")  # 00:01 on the 23rd: after the day, though before the run
    reclassified = add(utc(22, 9), "defamation")
    store.save_classifications([(reclassified, Prediction("neutral", {}, "en", "m2"))], RUN)  # latest wins
    corrected = add(utc(22, 11), "praise")
    workflow.correct(
        store, queue(store, corrected, utc(22, 11)), "defamation", "names the owner a thief", "dana", RUN
    )
    add(utc(22, 12))  # not classified yet
    add(utc(22, 13), "complaint", from_business=True)  # the business's own post

    summary = collect_digest(store, RUN, TZ, URL)

    assert (summary.day, summary.start, summary.end) == (date(2026, 11, 22), utc(21, 22), utc(22, 22))
    assert summary.labels == (
        LabelCount("praise", 0, 1),
        LabelCount("neutral", 1, 0),
        LabelCount("complaint", 4, 1),
        LabelCount("defamation", 1, 0),
        LabelCount("boycott", 1, 0),
        LabelCount("unclassified", 1, 0),
    )
    assert (summary.total, summary.previous_total, summary.negative, summary.previous_negative) == (
        8,
        2,
        6,
        1,
    )
    assert [(h.start, h.total, h.negative) for h in summary.hours if h.total] == [
        (local(22, 0), 1, 1),
        (local(22, 11), 1, 0),
        (local(22, 12), 3, 3),
        (local(22, 13), 1, 1),
        (local(22, 14), 1, 0),
        (local(22, 23), 1, 1),
    ]
    assert len(summary.hours) == 24 and summary.hours[0] == HourVolume(local(22, 0), 1, 1)
    assert summary.generated_at == local(23, 8) and summary.timezone == "Asia/Jerusalem"


def test_collect_on_an_empty_database(store):
    summary = collect_digest(store, RUN, TZ, URL + "/")
    assert summary == DigestSummary(
        day=date(2026, 11, 22),
        timezone="Asia/Jerusalem",
        start=utc(21, 22),
        end=utc(22, 22),
        generated_at=local(23, 8),
        dashboard_url=URL,
        labels=tuple(
            LabelCount(label, 0, 0) for label in ("praise", "neutral", "complaint", "defamation", "boycott")
        ),
        total=0,
        previous_total=0,
        negative=0,
        previous_negative=0,
        open_items=0,
        top_items=(),
        legal_count=0,
        legal=(),
        sla=(),
        hours=tuple(HourVolume(local(22, h), 0, 0) for h in range(24)),
        spikes=(),
        negative_spikes=(),
        source_problems=(),
    )
    with pytest.raises(ConfigError, match="REPMON_DASHBOARD_URL"):
        collect_digest(store, RUN, TZ, "javascript:alert(1)")
    with pytest.raises(InputError, match="naive"):
        collect_digest(store, RUN.replace(tzinfo=None), TZ, URL)


def test_collect_lists_the_riskiest_open_items_with_plain_excerpts_and_links(store, add):
    def item(priority, text="the coffee was cold again", label="complaint", language="en", **kw):
        created = utc(22, 8)
        mention = add(created, label, text=text, language=language)
        return queue(store, mention, created, priority=priority, **kw)

    low = item(10.0)
    hostile = item(95.0, HOSTILE + " " + "x" * 200, label="boycott", virality=80.0)
    hebrew = item(70.0, "הבעלים\u2067 גנב ממני\u2069 כסף!\n\nנוכלים", label="defamation", language="he")
    workflow.act(store, item(99.0), "dismiss", "dana", RUN, reason="spam")
    mid = [item(p) for p in (50.0, 40.0, 30.0)]

    summary = collect_digest(store, RUN, TZ, URL)

    cleaned = "<script>alert(1)</script> ⟨U+202E⟩txet desrever⟨U+202C⟩ <img src=x onerror=alert(2)> "
    cleaned += "![pixel](https://evil.example/t.png) [click](javascript:alert(3)) "
    cleaned = cleaned[:139].rstrip() + "…"  # the bidi override shown, not obeyed
    link = f"{URL}/item?id="
    assert summary.top_items[:2] == (
        DigestItem(hostile, "boycott", 95.0, 80.0, "x", "someone", cleaned, "en", "new", f"{link}{hostile}"),
        DigestItem(
            hebrew,
            "defamation",
            70.0,
            10.0,
            "x",
            "someone",
            "הבעלים גנב ממני כסף! נוכלים",
            "he",
            "new",
            f"{link}{hebrew}",
        ),
    )
    assert len(cleaned) == 140
    assert [i.id for i in summary.top_items] == [hostile, hebrew, *mid]
    assert summary.open_items == 6 and low not in [i.id for i in summary.top_items]


def test_collect_counts_items_with_legal_and_shows_the_first_five(store, add):
    created = utc(22, 9)
    ids = [
        queue(store, add(created, "defamation"), created, playbook="escalate_legal", priority=90.0 - n)
        for n in range(6)
    ]
    escalated = queue(store, add(created, "complaint"), created, priority=95.0)
    workflow.act(store, escalated, "escalate", "dana", RUN)
    workflow.assign(store, escalated, "adv-miri", "dana", RUN)
    queue(store, add(created, "complaint"), created, priority=99.0)  # not with legal

    summary = collect_digest(store, RUN, TZ, URL)

    age = RUN - created
    assert summary.legal_count == 7
    link = f"{URL}/item?id="
    assert summary.legal == (
        DigestLegalItem(
            escalated, "reply", "complaint", "escalated", 95.0, age, "adv-miri", f"{link}{escalated}"
        ),
        *(
            DigestLegalItem(i, "escalate_legal", "defamation", "new", 90.0 - n, age, None, f"{link}{i}")
            for n, i in enumerate(ids[:4])
        ),
    )


def test_collect_reports_response_times_for_items_queued_in_the_24_hours_before(store, add):
    def item(created, platform="x"):
        return queue(store, add(created, "complaint", platform=platform), created, sla=timedelta(hours=2))

    fast = item(utc(22, 8))
    workflow.act(store, fast, "start", "dana", utc(22, 8, 10))
    workflow.act(store, fast, "respond", "dana", utc(22, 8, 30))  # 30 minutes, in time
    item(utc(22, 9))  # never answered, late: breached
    item(utc(22, 21))  # queued late in the evening, still unanswered in the morning: breached
    item(utc(23, 5))  # not due yet: its outcome is not known
    overnight = item(utc(22, 12), platform="facebook")
    workflow.act(store, overnight, "start", "dana", utc(23, 5))
    workflow.act(store, overnight, "respond", "dana", utc(23, 5, 30))  # 17h30m, late
    item(utc(22, 5, 59))  # queued before the 24 hours

    assert collect_digest(store, RUN, TZ, URL).sla == (
        ResponseKpi("facebook", items=1, responded=1, median_first_response_s=63000.0, sla_breach_rate=1.0),
        ResponseKpi("x", items=4, responded=1, median_first_response_s=1800.0, sla_breach_rate=2 / 3),
    )


def test_collect_lists_sources_that_are_not_ok(store):
    store.mark_source("x-search", utc(22, 23), status="ok")
    store.mark_source("fb-page", utc(22, 20), status="ok")
    store.mark_source("fb-page", utc(23, 5), status="failing", error="token rejected (190)\n\u202eretry")
    store.mark_source(
        "x-mentions", utc(23, 5, 30), status="rate_limited", error="429", reset_at=utc(23, 6, 15)
    )

    assert collect_digest(store, RUN, TZ, URL).source_problems == (
        SourceProblem("fb-page", "failing", "token rejected (190) ⟨U+202E⟩retry", utc(22, 20)),
        SourceProblem("x-mentions", "rate_limited", "429", None),
    )


# -- spikes -------------------------------------------------------------------------------------------


def test_hourly_spikes_are_judged_against_the_week_of_hours_before():
    week = [0, 1, 2, 1] * 42  # 168 hours: mean 1, standard deviation 0.71
    assert hourly_spikes([*week, 1, 9, 2, 9, 30]) == [1, 3, 4]
    assert hourly_spikes([*week, 4]) == []  # far above the week, but fewer than 5
    assert hourly_spikes([*week, 6], min_count=7) == []
    assert hourly_spikes([1, 1, 1, 8, 1], baseline=3, min_count=2) == [0]
    assert hourly_spikes(week) == []


def test_collect_finds_the_runs_of_hours_that_spiked_on_the_day(store, add):
    for d in range(1, 8):  # a quiet week before: a praise at 10:00 and a complaint at 15:00 local each day
        add(DAY_START - timedelta(days=d) + timedelta(hours=10), "praise")
        add(DAY_START - timedelta(days=d) + timedelta(hours=15), "complaint")
    add(local(22, 14, 5).astimezone(UTC), "boycott", n=6)
    add(local(22, 14, 40).astimezone(UTC), "praise", n=2)
    add(local(22, 15, 10).astimezone(UTC), "praise", n=9)
    add(local(22, 20, 10).astimezone(UTC), "complaint", n=7)

    summary = collect_digest(store, RUN, TZ, URL)

    # The week before 14:00 holds 13 of the 14 quiet mentions (the first one, at 10:00 a week before,
    # is more than 168 hours earlier), 7 of them negative; the week before 20:00 holds 12 of them (6
    # negative) and the 17 of 14:00 and 15:00 (6 negative).
    assert summary.spikes == (
        Spike(local(22, 14), local(22, 16), 17, 13 / 168),
        Spike(local(22, 20), local(22, 21), 7, (12 + 17) / 168),
    )
    assert summary.negative_spikes == (
        Spike(local(22, 14), local(22, 15), 6, 7 / 168, "negative"),
        Spike(local(22, 20), local(22, 21), 7, (6 + 6) / 168, "negative"),
    )
    assert summary.spike_count == 2
    assert summary.spike_hours == {local(22, 14), local(22, 15), local(22, 20)}
    assert summary.hours[14:16] == (HourVolume(local(22, 14), 8, 6), HourVolume(local(22, 15), 9, 0))


# -- rendering ----------------------------------------------------------------------------------------


def top(id_, label, priority, virality, platform, author, excerpt, language, status="new"):
    return DigestItem(
        id_, label, priority, virality, platform, author, excerpt, language, status, f"{URL}/item?id={id_}"
    )


def legal(id_, playbook, label, status, priority, age, assignee):
    return DigestLegalItem(id_, playbook, label, status, priority, age, assignee, f"{URL}/item?id={id_}")


def sample(**overrides):
    """A realistic summary for 22 November: 37 mentions, 12 negative, 2 for legal, a spike at 14:00."""
    values = dict(
        day=date(2026, 11, 22),
        timezone="Asia/Jerusalem",
        start=utc(21, 22),
        end=utc(22, 22),
        generated_at=local(23, 8),
        dashboard_url=URL,
        labels=(
            LabelCount("praise", 9, 11),
            LabelCount("neutral", 16, 15),
            LabelCount("complaint", 8, 5),
            LabelCount("defamation", 1, 0),
            LabelCount("boycott", 3, 0),
        ),
        total=37,
        previous_total=31,
        negative=12,
        previous_negative=5,
        open_items=14,
        top_items=(
            top(41, "boycott", 96.0, 83.0, "facebook", "Boycott <b>Now</b>", HOSTILE, None),
            top(17, "defamation", 91.0, 71.0, "x", "ronit_k", HEBREW_POST, "he"),
            top(23, "complaint", 64.0, None, "x", "danny_tlv", ENGLISH_POST, "en", "in_progress"),
        ),
        legal_count=2,
        legal=(
            legal(17, "escalate_legal", "defamation", "new", 91.0, timedelta(hours=11), None),
            legal(41, "crisis", "boycott", "legal_review", 96.0, timedelta(hours=14, minutes=5), "adv-miri"),
        ),
        sla=(
            ResponseKpi("facebook", 4, 3, 2700.0, 0.25),
            ResponseKpi("x", 6, 6, 1500.0, 0.0),
        ),
        hours=tuple(
            HourVolume(local(22, h), {14: 20, 15: 11}.get(h, 1), 9 if h == 14 else 0) for h in range(24)
        ),
        spikes=(Spike(local(22, 14), local(22, 16), 31, 1.25),),
        negative_spikes=(Spike(local(22, 14), local(22, 15), 9, 0.5, "negative"),),
        source_problems=(
            SourceProblem("fb-page", "failing", "token rejected (190) <script>x</script>", utc(23, 3)),
        ),
    )
    values.update(overrides)
    return DigestSummary(**values)


def test_subject_carries_the_days_headline_numbers():
    summary = sample()
    assert digest_subject(summary, "en") == (
        "repmon daily digest 22 Nov: 37 mentions (12 negative), 2 for legal, 1 spike"
    )
    assert digest_subject(summary, "he") == (
        "סיכום יומי repmon 22.11: 37 אזכורים (12 שליליים), 2 לטיפול משפטי, זינוק אחד"
    )
    one = sample(total=1, negative=1, legal_count=0, spikes=(), negative_spikes=())
    assert (
        digest_subject(one, "en")
        == "repmon daily digest 22 Nov: 1 mention (1 negative), 0 for legal, no spikes"
    )
    assert (
        digest_subject(one, "he")
        == "סיכום יומי repmon 22.11: אזכור אחד (שלילי אחד), 0 לטיפול משפטי, ללא זינוקים"
    )
    # a spike of all mentions and one of negative ones in other hours are two
    two = sample(negative_spikes=(Spike(local(22, 17), local(22, 18), 9, 0.5, "negative"),))
    assert digest_subject(two, "en").endswith(", 2 spikes")
    assert digest_subject(two, "he").endswith(", 2 זינוקים")


@pytest.mark.parametrize("language", ["he", "en"])
def test_the_message_is_multipart_alternative_utf8_and_survives_the_wire(language):
    msg = render_digest(sample(), language, SENDER, "owner@example.co.il")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)

    assert parsed.get_content_type() == "multipart/alternative"
    assert [(p.get_content_type(), p.get_content_charset()) for p in parsed.iter_parts()] == [
        ("text/plain", "utf-8"),
        ("text/html", "utf-8"),
    ]
    # CPython folds a subject with parentheses onto a continuation line ("Subject:\r\n repmon ...") and its
    # parser keeps the folding space; unfolded as RFC 5322 says, the header is the same: hence the strip.
    assert {k: str(parsed[k]).strip() for k in ("From", "To", "Subject", "Date", "Content-Language")} == {
        "From": SENDER,
        "To": "owner@example.co.il",
        "Subject": digest_subject(sample(), language),  # see below
        "Date": "Mon, 23 Nov 2026 08:00:00 +0200",
        "Content-Language": language,
    }
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert text == msg.get_body(("plain",)).get_content() and html == msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert HEBREW_POST in part  # the Hebrew post text intact
        assert f"{URL}/item?id=17" in part and f"{URL}/account" in part


def test_hebrew_digest_is_right_to_left_and_each_post_has_its_own_direction():
    he = render_digest(sample(), "he", SENDER, "owner@example.co.il").get_body(("html",)).get_content()
    en = render_digest(sample(), "en", SENDER, "owner@example.co.il").get_body(("html",)).get_content()

    assert '<html dir="rtl" lang="he">' in he and "סיכום יומי" in he and "אזכורים חדשים לפי סיווג" in he
    assert '<html dir="ltr" lang="en">' in en and "Daily digest" in en and "New mentions by label" in en
    for page in (he, en):
        posts = Posts()
        posts.feed(page)
        assert posts.directions == {
            HEBREW_POST: ("rtl", "he"),
            ENGLISH_POST: ("ltr", "en"),
            clean_text(HOSTILE, 140): ("ltr", None),  # no language: the first letter decides
        }


def test_hostile_post_and_error_text_come_out_inert():
    msg = render_digest(sample(), "en", SENDER, "owner@example.co.il")
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()

    tags = Tags()
    tags.feed(html)
    assert tags.names <= set("html head meta title body table tr td th div span a b br".split())
    assert not [a for a in tags.attributes if a.startswith("on") or a in ("src", "srcset", "background")]
    assert {h for h in tags.hrefs if not h.startswith(URL + "/")} == set()
    assert "<script" not in html and "<img" not in html and "<b>Now" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "Boycott &lt;b&gt;Now&lt;/b&gt;" in html
    for part in (html, text):
        assert not set(part) & {
            "\u202a",
            "\u202b",
            "\u202c",
            "\u202d",
            "\u202e",
            "\u2066",
            "\u2067",
            "\u2069",
        }
        assert "txet desrever" in part


def test_message_id_is_the_same_for_a_repeated_send_and_differs_per_recipient_and_day():
    def mid(summary, recipient):
        return render_digest(summary, "he", SENDER, recipient)["Message-ID"]

    digest = hashlib.sha256(b"owner@example.co.il").hexdigest()[:16]
    assert mid(sample(), "owner@example.co.il") == f"<repmon-digest-2026-11-22-{digest}@repmon.local>"
    assert mid(sample(), "Owner <OWNER@example.co.il>") == mid(sample(), "owner@example.co.il")
    assert render_digest(sample(), "en", SENDER, "owner@example.co.il")["Message-ID"] == mid(
        sample(), "owner@example.co.il"
    )
    assert mid(sample(), "cfo@example.com") != mid(sample(), "owner@example.co.il")
    assert mid(sample(day=date(2026, 11, 23)), "owner@example.co.il") != mid(sample(), "owner@example.co.il")
    assert message_id(date(2026, 11, 22), "owner@example.co.il") == mid(sample(), "owner@example.co.il")


def test_the_plain_text_part_in_english():
    text = render_digest(sample(), "en", SENDER, "owner@example.co.il").get_body(("plain",)).get_content()
    assert text == EXPECTED_TEXT


# Label names come from the one catalogue (i18n.label_name: "Boycott call", not the key "boycott"), and
# when a source last worked is a relative time (i18n.format_relative: "3 hours ago", was "3h00m ago").
EXPECTED_TEXT = f"""\
repmon · Daily digest
Sunday 22 November 2026

37 mentions (12 negative), 2 for legal, 1 spike
21 Nov: 31 mentions (5 negative)
Open the overview: {URL}/overview

== New mentions by label ==
Label: 22 Nov / 21 Nov (Change)
- Praise: 9 / 11 (▼ 2)
- Neutral: 16 / 15 (▲ 1)
- Complaint: 8 / 5 (▲ 3)
- Defamation: 1 / 0 (▲ 1)
- Boycott call: 3 / 0 (▲ 3)
- Total: 37 / 31 (▲ 6)
- of them negative: 12 / 5 (▲ 7)

== Spikes ==
All mentions:
- 14:00–16:00: 31 mentions (usually 1.2 an hour)
Negative mentions:
- 14:00–15:00: 9 mentions (usually 0.5 an hour)

== Open items with the highest risk ==
3 of 14 open items in the queue, highest priority first.

#41 · Boycott call · Facebook · Boycott <b>Now</b>
priority 96 · virality 83 · new
"{clean_text(HOSTILE, 140)}"
Open in dashboard: {URL}/item?id=41

#17 · Defamation · X · @ronit_k
priority 91 · virality 71 · new
"{HEBREW_POST}"
Open in dashboard: {URL}/item?id=17

#23 · Complaint · X · @danny_tlv
priority 64 · virality — · in progress
"Waited 45 minutes for a cold latte."
Open in dashboard: {URL}/item?id=23

== With legal ==
2 open items are with legal.
- #17 · Defamation · new · In queue 11h00m · unassigned: {URL}/item?id=17
- #41 · Boycott call · legal review · In queue 14h05m · adv-miri: {URL}/item?id=41

== Response times ==
Items queued in the 24 hours before this digest, as they stand now.
- Facebook: Items 4 · Responded 3 · Median first response 45m · SLA missed 25%
- X: Items 6 · Responded 6 · Median first response 25m · SLA missed 0%

== Sources ==
- fb-page: failing, last worked 3 hours ago: token rejected (190) <script>x</script>

--
You receive this e-mail because your address is on the repmon daily digest list.
To stop it or to change its language or address, open the Account page of the dashboard: {URL}/account
Day covered: Sunday 22 November 2026, Asia/Jerusalem. Made 23 Nov 08:00.
"""


def test_empty_sections_say_so():
    quiet = sample(
        top_items=(),
        open_items=0,
        legal_count=0,
        legal=(),
        sla=(),
        spikes=(),
        negative_spikes=(),
        source_problems=(),
    )
    for language, phrases in {
        "en": (
            "The queue is empty",
            "Nothing is waiting for legal",
            "No items were queued in the 24 hours",
            "No unusual hours",
            "All sources are polling normally",
        ),
        "he": (
            "התור ריק",
            "אין פריטים הממתינים לטיפול משפטי",
            "לא נכנסו פריטים לתור ב-24 השעות",
            "לא היו שעות חריגות",
            "כל המקורות נאספים כרגיל",
        ),
    }.items():
        msg = render_digest(quiet, language, SENDER, "owner@example.co.il")
        for part in (msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()):
            assert [p for p in phrases if p not in part] == []


def test_the_hebrew_digest_arrives_intact_through_a_real_smtp_server(smtp):
    msg = render_digest(sample(), "he", SENDER, "owner@example.co.il")
    send(msg, smtp.config)
    [raw] = smtp.raw
    assert smtp.recipients == [["owner@example.co.il"]] and max(raw) < 128  # 7-bit clean on the wire
    got = email.message_from_bytes(raw, policy=email.policy.default)
    assert (got["Subject"].strip(), got["Message-ID"]) == (digest_subject(sample(), "he"), msg["Message-ID"])
    for kind in ("plain", "html"):
        assert got.get_body((kind,)).get_content() == msg.get_body((kind,)).get_content()


def test_render_refuses_an_unknown_language():
    with pytest.raises(ConfigError, match="digest language 'fr'"):
        render_digest(sample(), "fr", SENDER, "owner@example.co.il")


def test_clean_text_keeps_one_line_of_visible_text():
    assert (
        clean_text("a\u202eb\u2066c\u2069\u200bd\n\n\te\x00f\x1b[2J") == "a⟨U+202E⟩bcd e⟨U+0000⟩f⟨U+001B⟩[2J"
    )
    assert clean_text("x" * 200, 10) == "x" * 9 + "…"
    assert clean_text("שלום   עולם", 140) == "שלום עולם"
    assert clean_text(None) == ""


class Posts(HTMLParser):
    """Each post excerpt's text in an HTML page (the div with a dir right after the meta line), with
    its dir and lang."""

    def __init__(self):
        super().__init__()
        self.directions, self._open = {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and "dir" in a and "font-size:15px" in a.get("style", ""):
            self._open = (a["dir"], a.get("lang"))

    def handle_data(self, data):
        if self._open:
            self.directions[data] = self._open
            self._open = None


class Tags(HTMLParser):
    """The tags, attribute names and links of an HTML page."""

    def __init__(self):
        super().__init__()
        self.names, self.attributes, self.hrefs = set(), set(), []

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.hrefs.extend(value for name, value in attrs if name == "href")


def test_the_night_the_clocks_go_back_the_day_has_25_hours(store):
    summary = collect_digest(store, datetime(2026, 10, 26, 6, tzinfo=UTC), TZ, URL)
    assert [f"{h.start:%H%z}" for h in summary.hours[:4]] == ["00+0300", "01+0300", "01+0200", "02+0200"]
    assert len(summary.hours) == 25 and summary.hours[-1].start == datetime(2026, 10, 25, 23, tzinfo=TZ)


def test_the_footer_carries_the_audit_chain_head(store, add):
    """A copy of the chain's head outside the database, in every mailbox (issue 13 point 3)."""
    add(utc(22, 9), "complaint")
    events, head = store.audit_head()
    summary = collect_digest(store, RUN, TZ, URL)
    assert (summary.audit_events, summary.audit_head) == (events, head) and events > 0
    message = render_digest(summary, "en", SENDER, "owner@example.co.il")
    line = f"Audit chain head: {head[:16]}, {events} events."
    assert message.get_body(("plain",)).get_content().rstrip().endswith(line)
    assert line in message.get_body(("html",)).get_content()
    hebrew = render_digest(summary, "he", SENDER, "owner@example.co.il").get_body(("plain",)).get_content()
    assert f"ראש שרשרת הביקורת: {head[:16]}, {events} אירועים." in hebrew


def test_hostile_handles_assignees_and_source_names_show_markers_in_both_parts():
    handle = "evil\u202e\r\nBcc: x@evil.test\x1b[2J"
    summary = sample(
        top_items=(top(41, "boycott", 96.0, 83.0, "x", handle, ENGLISH_POST, "en"),),
        legal=(legal(41, "crisis", "boycott", "legal_review", 96.0, timedelta(hours=1), f"miri{RLO_}"),),
        source_problems=(SourceProblem(f"fb{RLO_}page", "failing", "token rejected\r\n(190)", utc(23, 3)),),
    )
    shown = "evil⟨U+202E⟩⟨U+000D⟩⟨U+000A⟩Bcc: x@evil.test⟨U+001B⟩[2J"
    for language in ("he", "en"):
        msg = render_digest(summary, language, SENDER, "owner@example.co.il")
        html, text = msg.get_body(("html",)).get_content(), msg.get_body(("plain",)).get_content()
        for part in (html, text):
            assert not set(part) & {"\u202e", "\x1b", "\r"}
            assert "miri⟨U+202E⟩" in part and "fb⟨U+202E⟩page" in part
        assert f"@{shown}" in text
        assert f'<span dir="ltr">@{shown}</span>' in html  # its own direction box: an isolate


def test_collect_shows_a_hostile_authors_hidden_characters_as_markers(store, add):
    created = utc(22, 8)
    mention = add(created, "complaint", author_handle=f"evil{RLO_}\x1b[2J")
    queue(store, mention, created, priority=50.0)
    [item] = collect_digest(store, RUN, TZ, URL).top_items
    assert item.author == "evil⟨U+202E⟩⟨U+001B⟩[2J"


RLO_ = "\u202e"
