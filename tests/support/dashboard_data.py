"""A small, fixed dashboard database for the dashboard tests: users of each role and known items."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import NOW, FakeClassifier, open_store

from monitor.pipeline import classify_new, triage_open
from monitor.records import Capture, Mention, RawPayload
from monitor.users import hash_password

PASSWORD = "correct-horse-1"
USERS = (("maya", "manager"), ("dana", "manager"), ("lea", "legal"), ("oren", "owner"))
HOSTILE = (
    "<script>alert('x')</script> **bold** ![img](https://evil.example/x.png) "
    "<img src=x onerror=alert(1)> \u202egnp.exe complaint"
)
POSTS = (
    # external id, platform, language, own page, hours ago, followers, text (FakeClassifier: keyword = label)
    ("p1", "x", "en", False, 1, 50_000, "They are thieves, this is defamation material: they stole my card"),
    ("p2", "facebook", "he", True, 2, 300, "חרם על המקום! boycott"),
    ("p3", "x", "en", False, 3, 120, "Cold coffee again, a complaint about the branch"),
    ("p4", "x", "he", False, 30, 80, "שירות מעולה praise"),
    ("p5", "facebook", "en", True, 5, 10, HOSTILE),
)


def build(data_dir, language: str = "en") -> dict[str, int]:
    """Fill a store in ``data_dir`` (its users' interface language: ``language``); returns each post's
    queue item id by external id."""
    store = open_store(data_dir)
    mentions = [
        Mention(
            platform=platform,
            external_id=ext,
            url=f"https://x.com/u/status/{ext}" if platform == "x" else f"https://www.facebook.com/{ext}",
            author_id=f"a-{ext}",
            author_handle=f"user_{ext}",
            author_name=f"User {ext}",
            author_followers=followers,
            text=text,
            language=lang,
            created_at=NOW - timedelta(hours=hours),
            raw=RawPayload(body=f'{{"id": "{ext}", "text": "..."}}'.encode(), captured_at=NOW),
            source="test",
            own_page=own,
        )
        for ext, platform, lang, own, hours, followers, text in POSTS
    ]
    store.save_page("test", mentions, [], {"since_id": "p5"}, NOW)
    clf = FakeClassifier()
    classify_new(store, clf.predict, clf.model_version, NOW)
    triage_open(store, clf.model_version, NOW)
    for name, role in USERS:
        store.add_user(name, role, hash_password(PASSWORD), NOW, language=language)
    store.mark_source("test", NOW - timedelta(minutes=5), status="ok")
    return {q.external_id: q.id for q in store.queue(limit=100)}


def recapture(store, platform: str, external_id: str, *objects: dict) -> None:
    """Store later captures of a post (as a metric refresh does), one a minute after ``NOW``, each the
    JSON of one of ``objects``: a post edited on the platform, re-read."""
    store.save_page(
        "test-refresh",
        [],
        [],
        None,
        NOW,
        (),
        [
            Capture(platform, external_id, RawPayload(json.dumps(obj, ensure_ascii=False).encode(), at))
            for at, obj in ((NOW + timedelta(minutes=n), obj) for n, obj in enumerate(objects, 1))
        ],
    )


def process(store, minutes: int = 10) -> None:
    """What the monitor's next pass does to the stored posts, ``minutes`` after ``NOW``: read the new
    captures for edits, classify the edited versions, and triage the open items on their most serious
    version."""
    clf = FakeClassifier()
    at = NOW + timedelta(minutes=minutes)
    classify_new(store, clf.predict, clf.model_version, at)
    triage_open(store, clf.model_version, at)


def edit_on_x(store, text: str) -> None:
    """p1 (an X post) edited on X: the edit is a post of its own, ``p1e``, whose edit history names p1 as
    its first version; the next pass classifies and queues it."""
    body = json.dumps({"id": "p1e", "text": text, "edit_history_tweet_ids": ["p1", "p1e"]}).encode()
    edit = Mention(
        platform="x",
        external_id="p1e",
        url="https://x.com/u/status/p1e",
        author_id="a-p1",
        author_handle="user_p1",
        author_name="User p1",
        author_followers=50_000,
        text=text,
        language="en",
        created_at=NOW - timedelta(minutes=30),
        raw=RawPayload(body=body, captured_at=NOW),
        source="test",
        edit_of="p1",
    )
    store.save_page("test", [edit], [], None, NOW)
    process(store)
