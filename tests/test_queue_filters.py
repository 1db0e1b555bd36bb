"""The queue's filters, search and paging run in SQL and return exactly the matching items."""

from datetime import timedelta

from conftest import NOW
from sqlalchemy import select

from classifiers import Prediction
from classifiers.virality import Virality
from monitor import workflow
from monitor.records import UNASSIGNED, QueueFilter, TriageDecision
from monitor.storage.models import MentionRow


def _fill(store, make_mention):
    rows = [
        # external id, platform, label, language, own page, text, hours ago, handle
        ("a", "x", "complaint", "en", False, "Cold coffee again", 1, "dan"),
        ("b", "x", "defamation", "he", False, "הם גונבים מהלקוחות", 2, "noa"),
        ("c", "facebook", "boycott", "he", True, "חרם על המקום", 30, "rina"),
        ("d", "facebook", "praise", "en", True, "Lovely staff 100% recommend", 50, "tom"),
        ("e", "x", "complaint", "mixed", False, "the קפה was cold-ish", 3, "Eli_K"),
    ]
    mentions = [
        make_mention(
            external_id=ext,
            platform=platform,
            language=lang,
            own_page=own,
            text=text,
            created_at=NOW - timedelta(hours=hours),
            author_handle=handle,
            source="test",
        )
        for ext, platform, _, lang, own, text, hours, handle in rows
    ]
    store.save_page("test", mentions, [], {}, NOW)
    with store.session() as s:
        mid = dict(s.execute(select(MentionRow.external_id, MentionRow.id)).all())
    labels = {ext: (label, lang) for ext, _, label, lang, *_ in rows}
    store.save_classifications(
        [(mid[e], Prediction(lab, {lab: 0.9}, lang, "m1")) for e, (lab, lang) in labels.items()], NOW
    )
    vir = Virality(10.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0)
    prio = {"a": 40, "b": 90, "c": 80, "d": 5, "e": 39}
    store.save_triage(
        [
            (
                mid[e],
                TriageDecision("reply", prio[e], NOW + timedelta(hours=1), (), label=lab, language=lang),
                vir,
            )
            for e, (lab, lang) in labels.items()
        ],
        NOW,
    )
    return {q.external_id: q.id for q in store.queue(limit=100)}


def ext(store, **kw):
    f = QueueFilter(**kw)
    return [q.external_id for q in store.queue(f, limit=100)], store.queue_count(f)


def test_filters_each_narrow_the_queue_in_sql(store, make_mention):
    ids = _fill(store, make_mention)
    assert ext(store) == (["b", "c", "a", "e", "d"], 5)
    assert ext(store, platforms=("facebook",)) == (["c", "d"], 2)
    assert ext(store, labels=("complaint", "boycott")) == (["c", "a", "e"], 3)
    assert ext(store, languages=("he",)) == (["b", "c"], 2)
    assert ext(store, own_page=True) == (["c", "d"], 2)
    assert ext(store, own_page=False) == (["b", "a", "e"], 3)
    assert ext(store, since=NOW - timedelta(hours=24)) == (["b", "a", "e"], 3)
    assert ext(store, until=NOW - timedelta(hours=24)) == (["c", "d"], 2)
    workflow.assign(store, ids["a"], "maya", "lead", NOW)
    assert ext(store, assignee="maya") == (["a"], 1)
    assert ext(store, assignee=UNASSIGNED) == (["b", "c", "e", "d"], 4)
    assert store.assignees() == ["maya"]


def test_search_matches_text_and_author_ignoring_case_and_wildcards(store, make_mention):
    _fill(store, make_mention)
    assert ext(store, search="COLD") == (["a", "e"], 2)
    assert ext(store, search="גונבים") == (["b"], 1)
    assert ext(store, search="@eli_k") == (["e"], 1)
    assert ext(store, search="100%") == (["d"], 1)  # % is a character here, not a wildcard
    assert ext(store, search="d_ish") == ([], 0)  # and so is _


def test_closed_items_only_on_request_and_paging_is_stable(store, make_mention):
    ids = _fill(store, make_mention)
    workflow.act(store, ids["b"], "dismiss", "lead", NOW, reason="spam")
    assert ext(store) == (["c", "a", "e", "d"], 4)
    assert ext(store, include_closed=True)[1] == 5
    assert ext(store, statuses=("dismissed",)) == (["b"], 1)
    pages = [[q.external_id for q in store.queue(QueueFilter(), limit=2, offset=o)] for o in (0, 2, 4)]
    assert pages == [["c", "a"], ["e", "d"], []]


def test_a_correction_moves_the_item_between_label_filters(store, make_mention):
    ids = _fill(store, make_mention)
    workflow.correct(store, ids["a"], "praise", "sarcasm misread", "lead", NOW)
    assert ext(store, labels=("praise",)) == (["a", "d"], 2)
    assert store.queue_item(ids["a"]).label == "praise"
