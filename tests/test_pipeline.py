"""One pass end to end with small streams: resumable, idempotent, and robust to bad sources."""

from datetime import timedelta

from conftest import NOW

from monitor.errors import RateLimited
from monitor.pipeline import run_pass
from monitor.records import MentionMetrics, MetricSnapshot, RawPayload, Share, SourcePage
from monitor.sources.demo import DemoPost, DemoSource


class ListSource:
    def __init__(self, name, pages, fail_after=None, exc=None):
        self.name = name
        self.pages = pages
        self.fail_after = fail_after
        self.exc = exc or RuntimeError("connection reset")
        self.cursors = []

    def fetch(self, cursor, now):
        self.cursors.append(dict(cursor))
        start = int(cursor.get("page", 0))
        for i, page in enumerate(self.pages[start:], start):
            if self.fail_after is not None and i >= self.fail_after:
                raise self.exc
            yield SourcePage(mentions=tuple(page), cursor={"page": i + 1})


def test_pass_stores_classifies_and_queues(store, make_mention, fake_classifier):
    src = ListSource(
        "t",
        [
            [make_mention(external_id="1", text="they scam people defamation")],
            [make_mention(external_id="2", text="lovely praise")],
        ],
    )
    report = run_pass(store, [src], fake_classifier, NOW)
    assert (report.new_mentions, report.classified, report.triaged, report.errors) == (2, 2, 2, [])
    queue = store.queue()
    assert [(q.external_id, q.label, q.playbook) for q in queue] == [
        ("1", "defamation", "escalate_legal"),
        ("2", "praise", "thank"),
    ]
    # a second pass: nothing new, nothing classified twice, cursor resumes after the last page
    again = run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=5))
    assert (again.new_mentions, again.classified) == (0, 0)
    assert src.cursors[-1] == {"page": 2}
    assert len(fake_classifier.seen) == 2
    assert store.counts().triage_items == 2


def test_a_source_failing_mid_stream_keeps_earlier_pages_and_other_sources(
    store, make_mention, fake_classifier
):
    bad = ListSource("bad", [[make_mention(external_id="1")], [make_mention(external_id="2")]], fail_after=1)
    good = ListSource("good", [[make_mention(platform="facebook", external_id="f1")]])
    report = run_pass(store, [bad, good], fake_classifier, NOW)
    assert report.new_mentions == 2
    assert report.errors == ["source 'bad' failed: RuntimeError: connection reset"]
    state = store.source_state("bad")
    assert (state.status, state.cursor) == ("failing", {"page": 1})
    assert store.source_state("good").status == "ok"
    # the next pass resumes the failed source from its saved cursor
    bad.fail_after = None
    report = run_pass(store, [bad], fake_classifier, NOW + timedelta(minutes=1))
    assert report.new_mentions == 1 and bad.cursors[-1] == {"page": 1}
    assert store.source_state("bad").status == "ok"


def test_rate_limited_source_is_skipped_until_reset(store, make_mention, fake_classifier):
    reset = NOW + timedelta(minutes=15)
    src = ListSource(
        "x", [[make_mention()]], fail_after=0, exc=RateLimited("x", "429 Too Many Requests", reset)
    )
    report = run_pass(store, [src], fake_classifier, NOW)
    assert report.errors == ["source 'x': 429 Too Many Requests"]
    assert store.source_state("x").reset_at == reset
    report = run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=5))
    assert len(src.cursors) == 1  # not called before the reset time
    assert "rate limited until" in report.errors[0]


def test_mentions_with_absurd_fields_are_rejected_not_stored(store, make_mention, fake_classifier):
    page = [
        make_mention(external_id="ok"),
        make_mention(external_id="", text="no id"),
        make_mention(external_id="future", created_at=NOW + timedelta(days=30)),
        make_mention(external_id="neg", author_followers=-5),
        make_mention(external_id="nan", text=None),
    ]
    report = run_pass(store, [ListSource("t", [page])], fake_classifier, NOW)
    assert report.new_mentions == 1
    assert report.rejected == 4
    assert any("is in the future" in e for e in report.errors)
    assert any("author_followers -5" in e for e in report.errors)
    assert [q.external_id for q in store.queue()] == ["ok"]


def post(i, minutes, **kw):
    values = dict(
        id=f"d{i:04d}",
        platform="x",
        author="a",
        text=f"post {i} complaint",
        lang="en",
        intended="complaint",
        minutes=minutes,
        reply_to=None,
        own_page=False,
        growth={"likes": 1000, "shares": 300, "replies": 50, "quotes": 20, "tau_hours": 2.0},
    )
    values.update(kw)
    return DemoPost(**values)


def test_demo_replay_is_relative_to_now_and_metrics_grow(store, fake_classifier):
    posts = (post(1, -600), post(2, -30), post(3, 10, reply_to="d0002"), post(4, 120))
    src = DemoSource(posts, {"a": {"name": "A", "followers": 500}})
    r1 = run_pass(store, [src], fake_classifier, NOW)
    assert r1.new_mentions == 2
    items = {q.external_id: q for q in store.queue()}
    assert items["demo-d0001"].created_at == NOW - timedelta(minutes=600)
    assert all(q.is_demo and q.url.startswith("https://demo.repmon.invalid/") for q in items.values())
    r2 = run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=20))
    assert r2.new_mentions == 1  # d0003 was due at +10 min
    assert r2.new_snapshots >= 2  # the young posts' counters moved
    snaps = store.snapshots([2])[2]
    assert snaps[-1].likes > snaps[0].likes
    third = next(q for q in store.queue() if q.external_id == "demo-d0003")
    assert third.created_at == NOW + timedelta(minutes=10)
    # a third pass at the same time adds nothing at all
    r3 = run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=20))
    assert (r3.new_mentions, r3.new_snapshots) == (0, 0)


def test_virality_raises_priority_of_a_spreading_post(store, make_mention, fake_classifier):
    quiet, loud = make_mention(external_id="q"), make_mention(external_id="l")
    snaps = [
        MentionMetrics("x", "l", MetricSnapshot(at=NOW - timedelta(minutes=m), likes=n, shares=n // 3))
        for m, n in [(50, 200), (30, 900), (0, 2500)]
    ]
    src = ListSource("t", [[quiet, loud]])
    store.save_page("t2", [], [], {}, NOW)
    run_pass(store, [src], fake_classifier, NOW)
    store.save_page("t2", [], snaps, {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    q = {i.external_id: i for i in store.queue()}
    assert q["l"].virality > 60 > q["q"].virality
    assert q["l"].priority > q["q"].priority
    assert next(i.external_id for i in store.queue()) == "l"


def test_who_shared_a_post_moves_its_virality(store, make_mention, fake_classifier):
    """Two posts with the same counters an hour after they went up: the one retweeted by accounts that
    reach thousands is forecast further, and scores higher, than the one retweeted by accounts with a
    dozen followers (the triage passes the stored retweeters' follower counts to the forecast)."""
    wide, narrow = make_mention(external_id="w"), make_mention(external_id="n")
    history = [(50, 40), (40, 70), (30, 90), (20, 105), (10, 118), (0, 128)]
    snaps = [
        MentionMetrics("x", ext, MetricSnapshot(at=NOW - timedelta(minutes=m), shares=n))
        for ext in ("w", "n")
        for m, n in history
    ]
    raw = RawPayload(body=b"{}", captured_at=NOW)
    shares = [Share("x", "w", f"u{i}", f"u{i}", "U", 4000, "retweet", raw) for i in range(60)] + [
        Share("x", "n", f"u{i}", f"u{i}", "U", 12, "retweet", raw) for i in range(60)
    ]
    run_pass(store, [ListSource("t", [[wide, narrow]])], fake_classifier, NOW)
    store.save_page("t2", [], snaps, {}, NOW, shares)
    assert store.sharer_followers([1, 2]) == {1: [4000] * 60, 2: [12] * 60}
    # a stored post that quotes one of them counts its author among those who spread it
    quote = make_mention(external_id="qq", quoted_id="n", author_followers=None, text="look")
    run_pass(store, [ListSource("t3", [[quote]])], fake_classifier, NOW)
    assert store.sharer_followers([2, 3]) == {2: [12] * 60 + [None], 3: []}
    run_pass(store, [], fake_classifier, NOW)
    q = {i.external_id: i for i in store.queue()}
    assert q["w"].virality > q["n"].virality


def test_the_business_own_posts_are_stored_but_never_queued(store, make_mention, fake_classifier):
    page = [make_mention(external_id="c1"), make_mention(external_id="b1", from_business=True)]
    report = run_pass(store, [ListSource("t", [page])], fake_classifier, NOW)
    assert (report.new_mentions, report.classified) == (2, 2)
    assert [q.external_id for q in store.queue(include_closed=True)] == ["c1"]


def test_a_source_is_not_polled_again_before_its_interval(store, make_mention, fake_classifier):
    src = ListSource("t", [[make_mention(external_id="1")]])
    src.min_interval = timedelta(minutes=2)
    run_pass(store, [src], fake_classifier, NOW)
    run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=1))
    assert len(src.cursors) == 1
    run_pass(store, [src], fake_classifier, NOW + timedelta(minutes=3))
    assert len(src.cursors) == 2
