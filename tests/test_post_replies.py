"""Posting approved replies through the platforms: off by default; queued by the dashboard or
`repmon respond --post` (the reply outbox), posted by the running monitor through X and Facebook
(cassettes), retried, failed, never posted twice."""

import json
import threading
from datetime import timedelta

import pytest
import vcr
import yaml
from conftest import NOW, add_users, open_store

from monitor.cli import main
from monitor.errors import BadPayload, SourceError
from monitor.outbox import post_queued
from monitor.pipeline import run_pass
from monitor.workflow import WorkflowError

SECRETS = {
    "REPMON_X_API_KEY": "key-123",
    "REPMON_X_API_SECRET": "secret-456",
    "REPMON_X_ACCESS_TOKEN": "42-token-789",
    "REPMON_X_ACCESS_TOKEN_SECRET": "token-secret-000",
    "REPMON_FACEBOOK_PAGE_TOKEN": "EAAB-page-token",
    "REPMON_FACEBOOK_PAGE_ID": "900000000000001",
}


def cassette(path, method, uri, status, payload):
    doc = {
        "version": 1,
        "interactions": [
            {
                "request": {"method": method, "uri": uri, "body": None, "headers": {}},
                "response": {
                    "status": {"code": status, "message": "OK" if status < 300 else "Error"},
                    "headers": {"content-type": ["application/json; charset=utf-8"]},
                    "body": {"string": json.dumps(payload)},
                },
            }
        ],
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


@pytest.fixture
def item(tmp_path, monkeypatch, make_mention, fake_classifier, request):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    platform, ext = request.param
    store = open_store(tmp_path / "data")
    store.save_page(
        "t", [make_mention(platform=platform, external_id=ext, text="cold coffee complaint")], [], {}, NOW
    )
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, dana="manager")
    assert main(["draft", "1", "--text", "Sorry! We sent you a direct message.", "--by", "dana"]) == 0
    return store


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_posting_is_off_by_default(item, capsys):
    capsys.readouterr()
    assert main(["respond", "1", "--post", "--by", "dana"]) == 2
    assert "posting replies is off: set REPMON_POST_REPLIES=true" in capsys.readouterr()[1]
    assert item.item(1).item.status == "in_progress"


def test_posting_to_x_without_the_four_write_tokens_names_them(monkeypatch):
    from monitor.errors import ConfigError
    from monitor.outbox import post_to_platform

    for name in SECRETS:
        monkeypatch.setenv(name, SECRETS[name])
    monkeypatch.delenv("REPMON_X_ACCESS_TOKEN_SECRET")
    with pytest.raises(ConfigError, match="posting to X needs REPMON_X_API_KEY, REPMON_X_API_SECRET, "
                       "REPMON_X_ACCESS_TOKEN, REPMON_X_ACCESS_TOKEN_SECRET"):  # fmt: skip
        post_to_platform("x", "1860000000000000003", "Thanks!", NOW)


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_x_reply_is_posted_and_its_id_recorded(item, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    path = cassette(
        tmp_path / "x.yaml",
        "POST",
        "https://api.twitter.com/2/tweets",
        201,
        {
            "data": {
                "id": "1860000000000000777",
                "text": "Sorry! We sent you a direct message.",
                "edit_history_tweet_ids": ["1860000000000000777"],
            }
        },
    )
    import tweepy

    sent = []
    original = tweepy.Client.create_tweet

    def spy(self, **kwargs):
        sent.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(tweepy.Client, "create_tweet", spy)
    assert main(["respond", "1", "--post", "--by", "dana"]) == 0  # queued: nothing is posted yet
    assert "item 1: reply queued (outbox #1)" in capsys.readouterr()[0]
    assert sent == [] and item.item(1).item.status == "in_progress"
    assert [(e.status, e.queued_by, e.text) for e in item.outbox.entries(1)] == [
        ("queued", "dana", "Sorry! We sent you a direct message.")
    ]
    with vcr.use_cassette(path, record_mode="none", match_on=["method", "host", "path"]) as cas:
        report = post_queued(item, NOW)  # the running monitor's step
        assert cas.play_count == 1
    assert (report.posted, report.errors) == ([(1, "1860000000000000777")], [])
    assert sent == [
        {
            "text": "Sorry! We sent you a direct message.",
            "in_reply_to_tweet_id": "1860000000000000003",
            "user_auth": True,
        }
    ]
    reply = item.reply(1)
    assert (reply.status, reply.platform_reply_id) == ("sent", "1860000000000000777")
    audit = item.item(1).audit
    assert audit[-1].detail["note"] == "posted through the platform as 1860000000000000777"
    assert [(e.action, e.actor) for e in audit[-2:]] == [("queue_reply", "dana"), ("respond", "dana")]
    assert item.item(1).item.status == "responded"
    [entry] = item.outbox.entries(1)
    assert (entry.status, entry.platform_reply_id, entry.attempts, entry.posted_at) == (
        "posted", "1860000000000000777", 1, NOW
    )  # fmt: skip
    assert "key-123" not in capsys.readouterr()[0]


@pytest.mark.parametrize("item", [("facebook", "900000000000002_700000000000012")], indirect=True)
def test_facebook_comment_reply_and_a_refused_permission(item, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    uri = "https://graph.facebook.com/v25.0/900000000000002_700000000000012/comments"
    denied = cassette(
        tmp_path / "denied.yaml",
        "POST",
        uri,
        403,
        {
            "error": {
                "message": "(#200) Requires pages_manage_engagement permission",
                "type": "OAuthException",
                "code": 200,
            }
        },
    )
    assert main(["respond", "1", "--post", "--by", "dana"]) == 0
    with vcr.use_cassette(denied, record_mode="none", match_on=["method", "host", "path"]):
        report = post_queued(item, NOW)
    assert (report.posted, report.retrying, report.failed) == ([], 1, 0)
    [entry] = item.outbox.entries(1)
    assert (entry.status, entry.attempts, entry.next_attempt_at) == ("queued", 1, NOW + timedelta(minutes=1))
    capsys.readouterr()
    assert main(["status"]) == 0
    err = capsys.readouterr()[0]
    assert "item 1 (facebook) queued, queued by dana, 1 attempt" in err
    # the advice names what posting needs, not the read permissions polling needs
    for shown in (err, entry.last_error):
        assert "the Page token needs pages_manage_engagement; grant them" in shown
        assert "pages_read_engagement" not in shown
        assert "EAAB-page-token" not in shown
    assert item.item(1).item.status == "in_progress"  # nothing recorded when posting failed
    assert post_queued(item, NOW + timedelta(seconds=59), post=not_called).posted == []  # not yet due
    ok = cassette(tmp_path / "ok.yaml", "POST", uri, 200, {"id": "900000000000002_700000000000099"})
    with vcr.use_cassette(ok, record_mode="none", match_on=["method", "host", "path"]) as cas:
        assert post_queued(item, NOW + timedelta(minutes=1)).posted == [
            (1, "900000000000002_700000000000099")
        ]
        assert cas.play_count == 1
    assert item.reply(1).platform_reply_id == "900000000000002_700000000000099"
    assert item.item(1).item.status == "responded"


def not_called(*args):
    raise AssertionError(f"posted {args}: nothing should have been posted")


class FakePlatform:
    """A poster that records each call and answers from a script (an id, or an exception to raise)."""

    def __init__(self, *answers, pause=None):
        self.answers, self.calls, self.pause = list(answers), [], pause

    def __call__(self, platform, in_reply_to, text, now):
        self.calls.append((platform, in_reply_to, text))
        if self.pause:
            self.pause()
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def queued(store):
    assert main(["respond", "1", "--post", "--by", "dana"]) == 0
    return store.outbox.latest(1)


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_a_failing_post_is_retried_then_failed_with_its_error_and_never_lost(item, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    monkeypatch.setenv("REPMON_OUTBOX_MAX_ATTEMPTS", "3")
    queued(item)
    down = SourceError("x-replies", "X is unreachable (ConnectError); try again")
    platform = FakePlatform(down, down, down)
    at = NOW
    for attempt, wait in ((1, 1), (2, 2), (3, None)):
        report = post_queued(item, at, post=platform)
        entry = item.outbox.latest(1)
        assert (entry.attempts, entry.last_error) == (attempt, str(down))
        if wait:
            assert (report.retrying, entry.status, entry.next_attempt_at) == (
                1,
                "queued",
                at + timedelta(minutes=wait),
            )
            at = entry.next_attempt_at
        else:
            assert (report.failed, entry.status) == (1, "failed")
    assert len(platform.calls) == 3
    assert post_queued(item, at + timedelta(days=1), post=not_called).posted == []  # failed: never again
    assert entry.text == "Sorry! We sent you a direct message."  # the reply is kept
    assert item.item(1).item.status == "in_progress"
    failures = [e for e in item.item(1).audit if e.action == "reply_failed"]
    assert [(e.actor, e.detail["attempts"], e.detail["status"]) for e in failures] == [
        ("repmon:monitor", 1, "queued"), ("repmon:monitor", 2, "queued"), ("repmon:monitor", 3, "failed")
    ]  # fmt: skip
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr()[0]
    assert "item 1 (x) failed, queued by dana, 3 attempts\n      last error: source 'x-replies': X is" in out
    # a person may queue it again once it failed
    assert queued(item).status == "queued" and [e.status for e in item.outbox.entries(1)] == [
        "failed",
        "queued",
    ]


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_an_answer_without_an_id_fails_at_once_and_is_not_retried(item, monkeypatch):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    queued(item)
    platform = FakePlatform(BadPayload("x-replies", "X accepted the reply but its answer has no post id"))
    assert post_queued(item, NOW, post=platform).failed == 1
    entry = item.outbox.latest(1)
    assert entry.status == "failed" and entry.attempts == 1
    assert entry.last_error.endswith("the reply may be on the platform: check the platform before retrying")


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_two_claimants_post_a_reply_once(item, monkeypatch, tmp_path):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    queued(item)
    # two monitors on the same database, claiming at the same moment
    other = open_store(tmp_path / "data")
    start = threading.Barrier(2)
    platform = FakePlatform("1860000000000000777", "1860000000000000778")
    reports = []

    def monitor(store):
        start.wait()
        reports.append(post_queued(store, NOW, post=platform))

    threads = [threading.Thread(target=monitor, args=(s,)) for s in (item, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert platform.calls == [("x", "1860000000000000003", "Sorry! We sent you a direct message.")]
    assert sorted(len(r.posted) for r in reports) == [0, 1]
    [entry] = item.outbox.entries(1)
    assert (entry.status, entry.platform_reply_id, entry.attempts) == ("posted", "1860000000000000777", 1)
    assert item.item(1).item.status == "responded"
    other.engine.dispose()


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_a_row_taken_between_another_claimants_read_and_its_update_is_not_taken_twice(
    item, monkeypatch, tmp_path
):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    queued(item)
    other = open_store(tmp_path / "data")
    seen = other.outbox.due(NOW)  # the other monitor has read the row as queued ...
    [mine] = item.outbox.claim(NOW)  # ... this one claims it first ...
    assert seen == [mine.id] and other.outbox.take(mine.id, NOW) is None  # ... so its UPDATE takes nothing
    assert (item.outbox.latest(1).status, item.outbox.latest(1).attempts) == ("posting", 1)
    other.engine.dispose()


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_a_row_stuck_in_posting_fails_and_is_not_posted_again(item, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    queued(item)
    [claimed] = item.outbox.claim(NOW)  # a monitor claimed it, then stopped before recording anything
    assert claimed.status == "posting" and item.outbox.claim(NOW) == []
    assert post_queued(item, NOW + timedelta(minutes=5), post=not_called).failed == 0  # may still be posting
    report = post_queued(item, NOW + timedelta(minutes=11), post=not_called)  # the monitor restarted
    assert report.failed == 1
    entry = item.outbox.latest(1)
    assert entry.status == "failed" and "check the platform before retrying" in entry.last_error
    assert item.item(1).audit[-1].action == "reply_failed"
    assert post_queued(item, NOW + timedelta(hours=1), post=not_called).posted == []
    capsys.readouterr()
    assert main(["status"]) == 0
    assert "item 1 (x) failed" in capsys.readouterr()[0]


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_queuing_refuses_a_second_reply_and_the_monitor_rechecks_before_posting(item, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    queued(item)
    capsys.readouterr()
    assert main(["respond", "1", "--post", "--by", "dana"]) == 2
    assert "item 1 already has a reply waiting to be posted (outbox #1)" in capsys.readouterr()[1]
    from monitor.actions import save_draft

    save_draft(item, 1, "dana", NOW, None, "Edited after it was queued")
    assert post_queued(item, NOW, post=not_called).failed == 1
    entry = item.outbox.latest(1)
    assert entry.last_error == "not posted: item 1: the reply was edited after it was queued: post it again"
    assert item.item(1).item.status == "in_progress"


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_posting_off_leaves_queued_replies_waiting(item, monkeypatch):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    queued(item)
    monkeypatch.setenv("REPMON_POST_REPLIES", "false")
    report = post_queued(item, NOW, post=not_called)
    assert (report.off, item.outbox.latest(1).status) == (True, "queued")
    with pytest.raises(WorkflowError, match="already has a reply waiting"):
        item.outbox.enqueue(1, "x", "1860000000000000003", "again", "en", "dana", NOW)


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_the_dashboard_queues_without_the_platform_secrets_and_shows_the_posted_id(item, monkeypatch):
    """The web process never needs nor reads a platform write token: with none in its environment the
    item page queues the reply, nothing is posted, and once the monitor posts it the page shows the id."""
    import facebook
    import tweepy
    from streamlit.testing.v1 import AppTest

    import monitor.outbox

    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    read = []  # the write tokens are read in post_to_platform and nowhere else (monitor/outbox.py)
    monkeypatch.setattr(monitor.outbox, "post_to_platform", lambda *args: read.append(args) or not_called())
    monkeypatch.setattr(tweepy.Client, "create_tweet", not_called)
    monkeypatch.setattr(facebook.GraphAPI, "put_object", not_called)
    add_users(item, maya="manager")
    item.set_user_language("maya", "en", "admin", NOW)  # maya reads the dashboard in English

    def item_page():
        at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
        at.session_state["clock"] = NOW
        at.session_state["user"] = {"name": "maya", "role": "manager"}
        at.session_state["item_id"] = 1
        return at.run().switch_page("screens/item.py").run()

    at = item_page()
    post = next(b for b in at.button if b.key == "i_post")
    at = post.click().run()
    assert [e.value for e in at.exception] == [] and [e.value for e in at.error] == []
    [entry] = item.outbox.entries(1)
    assert (entry.status, entry.queued_by, entry.attempts, entry.platform_reply_id) == (
        "queued",
        "maya",
        0,
        None,
    )
    assert item.item(1).item.status == "in_progress"
    assert read == []
    assert any(i.value.startswith("Reply queued: the monitor posts it (queued by maya") for i in at.info), [
        i.value for i in at.info
    ]
    assert next(b for b in at.button if b.key == "i_post").disabled  # one queued reply at a time

    post_queued(item, NOW, post=FakePlatform("1860000000000000777"))  # the monitor, elsewhere
    at = item_page()
    assert any("Reply posted on the platform as 1860000000000000777" in s.value for s in at.success)


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_the_running_monitor_posts_in_its_replies_job(item, monkeypatch, capsys):
    import monitor.outbox
    from monitor.runner import RunConfig, Runner

    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    queued(item)
    platform = FakePlatform(
        SourceError("x-replies", "X is unreachable (ConnectError); try again"), "186000000000000077"
    )
    monkeypatch.setattr(monitor.outbox, "post_to_platform", platform)
    clock = [NOW]
    runner = Runner(item, [], None, RunConfig(), clock=lambda: clock[0])
    assert "replies" in [job.job_func.args[0] for job in runner.scheduler.jobs]
    runner.run_job("replies", runner.replies)
    state = {j.name: j for j in item.job_states()}["replies"]
    assert state.last_status == "error"
    assert "item 1 (attempt 1): source 'x-replies': X is unreachable" in state.last_error
    clock[0] = NOW + timedelta(minutes=1)
    runner.run_job("replies", runner.replies)
    state = {j.name: j for j in item.job_states()}["replies"]
    assert (state.last_status, state.last_detail) == ("ok", "1 posted, 0 to retry, 0 failed")
    assert item.outbox.latest(1).platform_reply_id == "186000000000000077"
    assert item.item(1).item.status == "responded"
