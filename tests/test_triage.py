"""Triage as a table of cases: playbook, priority ordering and SLA."""

from datetime import UTC, datetime, timedelta

import pytest

from classifiers.virality import Virality
from monitor.triage import decide, reason_in
from playbooks.engine import load_library

LIBRARY = load_library()

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def vir(score=0.0, forecast=0.0):
    return Virality(score, 0, 0.0, 0.0, forecast, forecast, forecast, 1.0, 1)


def scores(label, p=0.9, **extra):
    out = {lab: 0.05 for lab in ("praise", "neutral", "complaint", "defamation", "boycott")}
    out[label] = p
    out.update(extra)
    return out


@pytest.mark.parametrize(
    ("label", "extra", "own_page", "virality", "playbook", "sla_hours"),
    [
        ("complaint", {}, True, 0, "reply", 1),
        ("complaint", {}, False, 0, "reply", 4),
        ("complaint", {}, False, 80, "reply", 2),
        ("defamation", {}, False, 0, "escalate_legal", 1),
        ("boycott", {}, True, 0, "escalate_legal", 1),
        ("defamation", {}, False, 90, "crisis", 0.5),
        ("praise", {}, True, 0, "thank", 24),
        ("neutral", {}, False, 0, "monitor", 48),
        ("complaint", {"defamation": 0.55}, False, 0, "escalate_legal", 1),
        ("complaint", {"boycott": 0.49}, False, 0, "reply", 4),
    ],
)
def test_playbook_and_sla(label, extra, own_page, virality, playbook, sla_hours):
    created = NOW - timedelta(minutes=20)
    d = decide(label, scores(label, **extra), vir(virality), 500, own_page, created, created, NOW, LIBRARY)
    assert d.playbook == playbook
    assert d.sla_due_at - created == timedelta(hours=sla_hours)


def test_a_confirmed_complaint_gets_an_apology():
    d = decide("complaint", scores("complaint"), vir(), 50, True, NOW, NOW, NOW, LIBRARY, confirmed=True)
    assert (d.playbook, d.sla_due_at - NOW) == ("apologize", timedelta(hours=1))
    d = decide("complaint", scores("complaint"), vir(), 50, False, NOW, NOW, NOW, LIBRARY, confirmed=True)
    assert (d.playbook, d.sla_due_at - NOW) == ("apologize", timedelta(hours=2))


def test_sla_clock_starts_when_first_seen_if_later():
    created, seen = NOW - timedelta(days=2), NOW - timedelta(minutes=5)
    d = decide("complaint", scores("complaint"), vir(), 10, False, created, seen, NOW, LIBRARY)
    assert d.sla_due_at == seen + timedelta(hours=4)


def test_priority_orders_what_matters():
    fresh = NOW - timedelta(minutes=10)

    def prio(label, virality=0.0, followers=200, own_page=False, created=fresh, p=0.9):
        return decide(
            label, scores(label, p), vir(virality), followers, own_page, created, created, NOW, LIBRARY
        ).priority

    assert prio("defamation") > prio("boycott") > prio("complaint") > prio("neutral") > prio("praise")
    assert prio("complaint", virality=80) > prio("complaint")
    assert prio("complaint", followers=200_000) > prio("complaint", followers=20)
    assert prio("complaint", own_page=True) > prio("complaint")
    assert prio("complaint", created=NOW - timedelta(days=7)) < prio("complaint")
    assert prio("defamation", p=0.99) > prio("defamation", p=0.6)
    assert 0 <= prio("praise", created=NOW - timedelta(days=400)) and prio("defamation", 100, 10**9) <= 100
    # very urgent items keep their order instead of tying at 100
    assert prio("defamation", 100, 10**6) > prio("defamation", 70, 10**6) > 75


def test_reasons_explain_the_decision():
    d = decide(
        "complaint", scores("complaint", defamation=0.7), vir(75, 3000), 50_000, False, NOW, NOW, NOW, LIBRARY
    )
    assert d.playbook == "crisis"
    assert d.reasons == (
        "label complaint (0.90)",
        "rule: accusation or boycott spreading fast",
        "defamation score 0.70",
        "spreading fast (virality 75, 24 h forecast 3000)",
        "author reach 50,000",
    )


def test_reasons_are_stored_in_english_and_shown_in_the_readers_language():
    d = decide(
        "complaint", scores("complaint", defamation=0.7), vir(75, 3000), 50_000, True, NOW, NOW, NOW, LIBRARY
    )
    shown = [reason_in(r, "he") for r in d.reasons]
    assert shown[0] == "סיווג תלונה (0.90)"
    assert shown[1].startswith("כלל: ")  # the rule's own name is the business's, as written
    assert shown[2] == "ציון לשון הרע: 0.70"
    assert shown[3] == "מתפשט מהר (ויראליות 75, תחזית ל־24 שעות 3000)"
    assert shown[4] == "תפוצת הכותב 50,000"
    # English shows the labels by their catalogue names too; the rest reads as stored.
    assert [reason_in(r, "en") for r in d.reasons] == [
        "label Complaint (0.90)",
        d.reasons[1],
        "Defamation score 0.70",
        *d.reasons[3:],
    ]
    own = decide("complaint", scores("complaint"), vir(), 10, True, NOW, NOW, NOW, LIBRARY)
    assert reason_in(own.reasons[-1], "he") == "בדף של העסק עצמו"
    # A reason of a shape this version does not write (an older one's) is shown as stored.
    assert reason_in("legacy reason", "he") == "legacy reason"
