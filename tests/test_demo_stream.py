"""The built-in demo stream's data: big enough, bilingual, every label, threads, reach, viral posts."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from monitor.sources.demo import DemoSource, counters, load_stream


def test_stream_shape():
    posts, authors = load_stream()
    assert len(posts) >= 300
    langs = Counter(p.lang for p in posts)
    assert 0.4 <= langs["he"] / len(posts) <= 0.6
    intended = Counter(lab for p in posts for lab in p.intended.split("+"))
    assert all(intended[lab] >= 10 for lab in ("praise", "neutral", "complaint", "defamation", "boycott"))
    assert sum(1 for p in posts if p.reply_to) >= 50
    ids = {p.id for p in posts}
    assert all(p.reply_to in ids for p in posts if p.reply_to)
    reach = sorted(a["followers"] for a in authors.values())
    assert reach[0] < 100 and reach[-1] > 1_000_000
    assert all(p.author in authors for p in posts)
    viral = [
        p for p in posts if sum(p.growth.get(k, 0) for k in ("likes", "shares", "replies", "quotes")) > 3000
    ]
    assert len(viral) >= 5
    assert [p.minutes for p in posts] == sorted(p.minutes for p in posts)
    assert sum(1 for p in posts if p.minutes > 0) >= 20  # some arrive while the demo runs


def test_counters_grow_and_saturate():
    post = next(p for p in load_stream()[0] if p.growth.get("likes", 0) > 1000)
    early, later, final = (counters(post, h) for h in (0.5, 3, 200))
    assert early.likes < later.likes < final.likes <= post.growth["likes"]
    assert final.likes >= 0.99 * post.growth["likes"]


def test_first_poll_releases_the_past_only():
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    src = DemoSource()
    pages = list(src.fetch({}, now))
    released = [m for page in pages for m in page.mentions]
    assert len(released) == sum(1 for p in src.posts if p.minutes <= 0)
    assert all(m.created_at <= now and m.is_demo for m in released)
    assert pages[-1].cursor == {"anchor": now.isoformat(), "released": len(released)}
    later = list(src.fetch(pages[-1].cursor, now + timedelta(hours=4)))
    assert sum(len(p.mentions) for p in later) == len(src.posts) - len(released)
