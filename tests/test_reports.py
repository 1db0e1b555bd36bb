"""The Overview's numbers: volume by day and label, negative share, spikes, response KPIs, viral and legal."""

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from conftest import NOW
from sqlalchemy import select

from classifiers import Prediction
from classifiers.virality import Virality
from monitor import workflow
from monitor.errors import InputError
from monitor.records import TriageDecision
from monitor.storage.models import MentionRow, TriageItemRow
from monitor.storage.reports import (
    DailySpikes,
    DayVolume,
    LegalItem,
    ResponseKpi,
    ViralItem,
    daily_spikes,
    detect_spikes,
    negative_share,
    open_legal,
    response_kpis,
    top_viral,
    volume_by_day,
    window_days,
)
from monitor.triage import LEGAL_PLAYBOOKS

D = {n: date(2026, 11, n) for n in range(1, 31)}  # NOW is 2026-11-20 12:00 UTC


@pytest.fixture
def add(store, make_mention):
    """Store one mention created at ``created_at``, classified as ``label`` (if given); returns its id."""
    external_ids = itertools.count(1)

    def add(created_at, label=None, *, platform="x", version="m1", **fields):
        ext = str(next(external_ids))
        m = make_mention(external_id=ext, platform=platform, created_at=created_at, **fields)
        store.save_page("test", [m], [], None, NOW)
        with store.session() as s:
            mid = s.scalar(
                select(MentionRow.id).where(MentionRow.platform == platform, MentionRow.external_id == ext)
            )
        if label:
            store.save_classifications([(mid, Prediction(label, {label: 0.9}, "en", version))], NOW)
        return mid

    return add


def queue(
    store,
    mention_id,
    created_at,
    *,
    playbook="reply",
    priority=50.0,
    sla_due_at=None,
    virality=0.0,
    forecast=0.0,
):
    """Queue a mention as the pipeline does, at ``created_at``; returns the item id."""
    decision = TriageDecision(playbook, priority, sla_due_at or created_at + timedelta(hours=4))
    vir = Virality(virality, 0, 0.0, 0.0, forecast, forecast, forecast, 1.0, 1)
    store.save_triage([(mention_id, decision, vir)], created_at)
    with store.session() as s:
        return s.scalar(select(TriageItemRow.id).where(TriageItemRow.mention_id == mention_id))


def at(day, hour=0, minute=0, second=0):
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


# -- volume and negative share -------------------------------------------------------------------------


def test_volume_by_day_counts_mentions_per_utc_day_by_their_current_label(store, add):
    add(at(16, 23, 59, 59), "complaint")  # the day before the window
    add(at(17), "complaint")  # the window's first instant
    add(at(17, 10), "praise")
    add(datetime(2026, 11, 19, 1, 30, tzinfo=timezone(timedelta(hours=2))), "complaint")  # 18th in UTC
    reclassified = add(at(18, 9), "defamation")
    store.save_classifications([(reclassified, Prediction("complaint", {}, "en", "m2"))], NOW)
    corrected = add(at(18, 10), "praise")
    item = queue(store, corrected, at(18, 10))
    workflow.correct(store, item, "boycott", "calls to stop buying", "dana", NOW)
    workflow.correct(store, item, "neutral", "sarcasm, not a call", "dana", NOW)  # the latest correction wins
    add(at(18, 11))  # not classified yet
    add(at(18, 12), "complaint", from_business=True)  # the business's own post
    # nothing on the 19th
    add(at(20, 11, 59), "praise")
    add(at(20, 12, 30), "complaint")  # after now

    volumes = volume_by_day(store, NOW, days=4)

    assert volumes == [
        DayVolume(D[17], "complaint", 1),
        DayVolume(D[17], "praise", 1),
        DayVolume(D[18], "complaint", 2),
        DayVolume(D[18], "neutral", 1),
        DayVolume(D[18], "unclassified", 1),
        DayVolume(D[20], "praise", 1),
    ]
    assert negative_share(volumes) == {D[17]: 0.5, D[18]: 2 / 3, D[20]: 0.0}
    assert window_days(NOW, 4) == [D[17], D[18], D[19], D[20]]


def test_negative_share_is_over_classified_mentions_and_skips_days_without_any():
    volumes = [
        DayVolume(D[1], "complaint", 1),
        DayVolume(D[1], "praise", 3),
        DayVolume(D[2], "boycott", 1),
        DayVolume(D[2], "defamation", 1),
        DayVolume(D[2], "neutral", 2),
        DayVolume(D[2], "unclassified", 4),
        DayVolume(D[3], "unclassified", 2),
    ]
    assert negative_share(volumes) == {D[1]: 0.25, D[2]: 0.5}
    assert negative_share([]) == {}


def test_every_report_on_an_empty_database(store):
    assert volume_by_day(store, NOW) == []
    assert negative_share([]) == {}
    assert daily_spikes([], window_days(NOW, 14)) == DailySpikes((), ())
    assert response_kpis(store, NOW) == []
    assert top_viral(store, NOW) == []
    assert open_legal(store, NOW, LEGAL_PLAYBOOKS) == []


def test_now_must_be_timezone_aware_and_a_window_at_least_a_day(store):
    with pytest.raises(InputError, match="timezone-aware UTC"):
        volume_by_day(store, NOW.replace(tzinfo=None))
    with pytest.raises(InputError, match="at least one day"):
        window_days(NOW, 0)


# -- spikes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "kwargs", "spikes"),
    [
        ([1, 1, 1, 1, 1, 1, 1, 9], {}, [7]),
        ([1, 1, 1, 1, 1, 1, 1, 4], {}, []),  # above the baseline but under min_count
        ([0, 0, 0, 0, 0, 0, 0, 5], {}, [7]),
        ([5, 5, 5, 5, 5, 5, 5, 5], {}, []),  # equal to mean + k·σ is not above it
        ([2, 4, 2, 4, 2, 4, 2, 6], {}, [7]),  # threshold 2.857 + 3 × 0.990 = 5.83
        ([2, 4, 2, 4, 2, 4, 2, 5], {}, []),
        ([1, 1, 1, 1, 1, 1, 1, 20, 20], {}, [7]),  # a level that holds is reported once
        ([1, 1, 1, 1, 1, 1, 50], {}, []),  # no full baseline before it
        ([1, 1, 1, 9, 1, 1, 1, 9], {"baseline": 3}, [3, 7]),
        ([1, 1, 1, 1, 1, 1, 1, 3], {"k": 1.0, "min_count": 2}, [7]),
        ([], {}, []),
    ],
)
def test_detect_spikes(counts, kwargs, spikes):
    assert detect_spikes(counts, **kwargs) == spikes


def test_detect_spikes_needs_a_baseline():
    with pytest.raises(InputError, match="at least one bucket"):
        detect_spikes([1, 2, 3], baseline=0)


def test_daily_spikes_zero_fill_quiet_days_and_judge_negative_volume_on_its_own():
    days = [D[n] for n in range(1, 11)]
    volumes = [DayVolume(D[n], "praise", 2) for n in (1, 2, 3, 5, 6, 7)]  # the 4th is quiet
    volumes += [
        DayVolume(D[8], "praise", 2),
        DayVolume(D[8], "complaint", 6),  # total 8 over a baseline of 2s and a 0; negative 6 over 0s
        DayVolume(D[9], "praise", 3),
        DayVolume(D[9], "unclassified", 3),
        DayVolume(D[12], "complaint", 50),  # outside the days asked about
    ]
    assert daily_spikes(volumes, days) == DailySpikes(mentions=(D[8],), negative=(D[8],))
    # the 9th's 6 mentions are no spike once the 8th is in its baseline
    assert daily_spikes(volumes, days, min_count=7) == DailySpikes(mentions=(D[8],), negative=())


# -- response KPIs -----------------------------------------------------------------------------------


def test_response_kpis_per_platform(store, add):
    posted = NOW - timedelta(hours=3)
    due_passed, due_ahead = NOW - timedelta(hours=2), NOW + timedelta(hours=1)

    def item(platform="x", due=due_passed, created=posted):
        return queue(store, add(created, "complaint", platform=platform), created, sla_due_at=due)

    fast = item()
    workflow.act(store, fast, "start", "dana", posted + timedelta(minutes=10))
    workflow.act(store, fast, "respond", "dana", posted + timedelta(minutes=30))  # 1800 s, in time
    late = item()
    workflow.act(store, late, "start", "dana", posted + timedelta(minutes=10))
    workflow.act(store, late, "respond", "dana", posted + timedelta(hours=2))  # 7200 s, after the due time
    item()  # never answered, due time passed: breached
    pending = item(due=due_ahead)
    workflow.act(store, pending, "start", "dana", NOW - timedelta(minutes=5))  # not answered yet, not due yet
    dismissed = item()
    workflow.act(store, dismissed, "dismiss", "dana", NOW - timedelta(hours=1), reason="spam")
    answered_then_escalated = item()
    workflow.act(store, answered_then_escalated, "start", "dana", posted)
    workflow.act(store, answered_then_escalated, "respond", "dana", posted + timedelta(minutes=10))  # 600 s
    workflow.act(store, answered_then_escalated, "escalate", "dana", posted + timedelta(minutes=20))
    old = item(created=NOW - timedelta(days=31), due=NOW - timedelta(days=30))  # queued before the window
    workflow.act(store, old, "start", "dana", NOW - timedelta(days=31))
    workflow.act(store, old, "respond", "dana", NOW - timedelta(days=30, hours=23))
    item("facebook", due=due_ahead)
    fb_dismissed = item("facebook")
    workflow.act(store, fb_dismissed, "dismiss", "dana", NOW, reason="not about us")

    assert response_kpis(store, NOW) == [
        ResponseKpi("facebook", items=2, responded=0, median_first_response_s=None, sla_breach_rate=None),
        # 6 items; the dismissed and the pending one leave 4 whose outcome is known, 2 of them breached
        ResponseKpi("x", items=6, responded=3, median_first_response_s=1800.0, sla_breach_rate=0.5),
    ]


# -- viral and legal ---------------------------------------------------------------------------------


def test_top_viral_lists_open_recent_items_most_viral_first(store, add):
    recent = NOW - timedelta(hours=1)
    long_text = "first line\n\n   second   line " + "x" * 200
    v1 = queue(store, add(recent, "complaint", text=long_text), recent, virality=80.0, forecast=500.0)
    v2 = queue(
        store,
        add(recent, "boycott", platform="facebook", author_handle="angry"),
        recent,
        virality=80.0,
        forecast=900.0,
    )
    dismissed = queue(store, add(recent, "complaint"), recent, virality=95.0)
    workflow.act(store, dismissed, "dismiss", "dana", NOW, reason="spam")
    old = NOW - timedelta(days=8)
    week_old = queue(store, add(old, "complaint"), old, virality=99.0)
    v5 = queue(store, add(recent, "neutral", text="ok"), recent, virality=10.0, forecast=12.0)
    v6 = queue(store, add(recent, "praise", text="love it"), recent, virality=50.0, forecast=60.0)
    workflow.act(store, v6, "start", "dana", NOW)
    workflow.act(store, v6, "respond", "dana", NOW)
    workflow.correct(store, v6, "complaint", "sarcastic", "dana", NOW)

    excerpt = "first line second line " + "x" * 116 + "…"
    assert top_viral(store, NOW, limit=3) == [
        ViralItem(v2, "facebook", "boycott", 80.0, 900.0, "angry", "the coffee was cold again"),
        ViralItem(v1, "x", "complaint", 80.0, 500.0, "someone", excerpt),
        ViralItem(v6, "x", "complaint", 50.0, 60.0, "someone", "love it"),
    ]
    assert len(excerpt) == 140
    assert [v.id for v in top_viral(store, NOW)] == [v2, v1, v6, v5]
    assert [v.id for v in top_viral(store, NOW, days=9)] == [week_old, v2, v1, v6, v5]


def test_open_legal_lists_items_with_legal_highest_priority_then_oldest(store, add):
    def item(label, playbook, priority, hours_ago):
        created = NOW - timedelta(hours=hours_ago)
        return queue(store, add(created, label), created, playbook=playbook, priority=priority)

    accusation = item("defamation", "escalate_legal", 90.0, 2)
    crisis = item("boycott", "crisis", 99.0, 0.5)
    workflow.act(store, crisis, "start", "owner", NOW)
    workflow.act(store, crisis, "respond", "owner", NOW)  # the holding statement: still open, still legal's
    escalated = item("complaint", "reply", 40.0, 5)
    workflow.act(store, escalated, "escalate", "dana", NOW)
    workflow.assign(store, escalated, "adv-miri", "dana", NOW)
    in_review = item("complaint", "reply", 40.0, 6)
    workflow.act(store, in_review, "escalate", "dana", NOW)
    workflow.act(store, in_review, "review", "adv-miri", NOW)
    decided = item("defamation", "escalate_legal", 10.0, 1)
    for action in ("escalate", "review"):
        workflow.act(store, decided, action, "adv-miri", NOW)
    workflow.act(store, decided, "decide", "adv-miri", NOW, decision="notice_sent")  # open until closed
    closed = item("defamation", "escalate_legal", 95.0, 1)
    for action in ("escalate", "review"):
        workflow.act(store, closed, action, "adv-miri", NOW)
    workflow.act(store, closed, "decide", "adv-miri", NOW, decision="no_action")
    workflow.act(store, closed, "close", "adv-miri", NOW)
    dismissed = item("boycott", "escalate_legal", 95.0, 1)
    workflow.act(store, dismissed, "dismiss", "dana", NOW, reason="duplicate")
    item("complaint", "reply", 95.0, 1)  # an ordinary complaint

    h = lambda hours: timedelta(hours=hours)  # noqa: E731
    assert open_legal(store, NOW, LEGAL_PLAYBOOKS) == [
        LegalItem(crisis, "crisis", "boycott", "responded", 99.0, h(0.5), None),
        LegalItem(accusation, "escalate_legal", "defamation", "new", 90.0, h(2), None),
        LegalItem(in_review, "reply", "complaint", "legal_review", 40.0, h(6), None),
        LegalItem(escalated, "reply", "complaint", "escalated", 40.0, h(5), "adv-miri"),
        LegalItem(decided, "escalate_legal", "defamation", "decided", 10.0, h(1), None),
    ]
