"""`repmon run`'s loop: scheduled jobs on a frozen clock, failures that never stop it, a clean stop on
SIGTERM, alerts once per item across restarts, and the digest once per recipient per day."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, FakeClassifier, free_port, open_store, start_smtp
from freezegun import freeze_time

from monitor.email.alerts import AlertRule
from monitor.email.mailer import SmtpConfig, send
from monitor.pipeline import classify_new, triage_open
from monitor.records import SourcePage
from monitor.runner import RunConfig, Runner

JERUSALEM = ZoneInfo("Asia/Jerusalem")


class ListSource:
    """A source that yields its posts once, then nothing new."""

    def __init__(self, name, mentions, min_interval=None):
        self.name, self.mentions, self.min_interval = name, mentions, min_interval
        self.fetches = 0

    def fetch(self, cursor, now):
        self.fetches += 1
        done = int(cursor.get("done", 0))
        yield SourcePage(mentions=tuple(self.mentions[done:]), cursor={"done": len(self.mentions)})


class Broken:
    name = "broken"
    min_interval = None

    def fetch(self, cursor, now):
        raise RuntimeError("the platform sent garbage")
        yield


def config(**kw):
    return RunConfig(tz=JERUSALEM, sender="repmon <r@repmon.test>", dashboard_url="http://dash.test", **kw)


def test_jobs_run_on_schedule_and_a_failing_job_never_stops_the_loop(store, make_mention):
    src = ListSource("x-search", [make_mention(external_id="a", text="defamation: they are thieves")])
    with freeze_time(NOW) as clock:
        runner = Runner(store, [src, Broken()], FakeClassifier(), config())
        runner.scheduler.run_all()
        assert src.fetches == 1 and [q.external_id for q in store.queue()] == ["a"]
        clock.tick(timedelta(seconds=10))
        runner.scheduler.run_pending()
        assert src.fetches == 1  # the poll jobs tick every 15 s
        clock.tick(timedelta(seconds=6))
        runner.scheduler.run_pending()
        assert src.fetches == 2
    jobs = {j.name: j for j in store.job_states()}
    assert set(jobs) == {"poll x-search", "poll broken", "process", "alerts", "spikes", "digest", "replies"}
    assert jobs["poll broken"].last_status == "error" and jobs["poll broken"].errors == 2
    assert "the platform sent garbage" in jobs["poll broken"].last_error
    assert jobs["poll x-search"].last_status == "ok" and jobs["poll x-search"].runs == 2
    assert jobs["poll x-search"].next_run_at == NOW + timedelta(seconds=31)
    assert jobs["alerts"].last_detail == "e-mail is off (REPMON_SMTP_HOST is empty)"
    assert jobs["digest"].last_detail == "e-mail is off (REPMON_SMTP_HOST is empty)"
    off = "posting replies is off (REPMON_POST_REPLIES): queued replies wait"
    assert jobs["replies"].last_detail == off


def test_a_job_that_raises_is_recorded_and_the_next_one_runs(store):
    runner = Runner(store, [], FakeClassifier(), config())
    calls = []

    def boom():
        raise ValueError("Bearer abc.def secret in a message")

    runner.run_job("boom", boom)
    runner.run_job("fine", lambda: calls.append(1) or "did it")
    states = {j.name: j for j in store.job_states()}
    assert states["boom"].last_status == "error"
    assert states["boom"].last_error == "ValueError: Bearer [redacted] secret in a message"
    assert states["fine"].last_detail == "did it" and calls == [1]


def test_stop_ends_the_loop_after_the_current_job(store):
    runner = Runner(store, [], FakeClassifier(), config())
    thread = threading.Thread(target=runner.run_forever)
    thread.start()
    time.sleep(0.5)
    runner.stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    runner.run_job("after-stop", lambda: "should not run")
    assert "after-stop" not in {j.name for j in store.job_states()}


def test_alerts_go_once_per_item_even_after_a_restart(smtp, store, make_mention):
    from classifiers.virality import Virality
    from monitor.records import TriageDecision

    store.save_page("t", [make_mention(external_id="d1", text="they steal from customers")], [], {}, NOW)
    from classifiers import Prediction

    store.save_classifications([(1, Prediction("defamation", {"defamation": 0.9}, "en", "m"))], NOW)
    vir = Virality(80.0, 900, 90.0, 0.0, 3000.0, 2000.0, 4000.0, 2.0, 5)
    store.save_triage(
        [(1, TriageDecision("crisis", 95.0, NOW, (), label="defamation", language="en"), vir)], NOW
    )
    os.environ["REPMON_DIGEST_RECIPIENTS"] = "owner@example.co.il:he, cfo@example.com:en"
    try:
        transport = lambda m: send(m, smtp.config)  # noqa: E731
        first = Runner(store, [], FakeClassifier(), config(rule=AlertRule(("defamation",), 60.0)),
                       transport=transport, clock=lambda: NOW)  # fmt: skip
        assert first.alerts() == "sent 2"
        assert first.alerts() == "already 2"
        restarted = Runner(store, [], FakeClassifier(), config(), transport=transport, clock=lambda: NOW)
        assert restarted.alerts() == "already 2"
    finally:
        del os.environ["REPMON_DIGEST_RECIPIENTS"]
    assert sorted(m["To"] for m in smtp.messages) == ["cfo@example.com", "owner@example.co.il"]
    assert {m["Content-Language"] for m in smtp.messages} == {"he", "en"}


def test_an_edit_triage_follows_alerts_again_quoting_it_and_a_softened_edit_does_not(
    smtp, store, make_mention, fake_classifier
):
    """An accusation alerted on its first text, then edited on the platform into another accusation (a tie:
    triage follows the newest): legal gets a second alert quoting the edit, once. An edit that takes the
    accusation out leaves triage on the accusation, so nothing new is sent."""
    import json

    from monitor.pipeline import run_pass
    from monitor.records import Capture, RawPayload

    first, edit = "they steal from customers, defamation", "they steal and they lie, defamation"
    body = json.dumps({"id": "9_1", "message": first}).encode()
    store.save_page(
        "facebook", [make_mention(platform="facebook", external_id="9_1", text=first, body=body)], [], {}, NOW
    )
    run_pass(store, [], fake_classifier, NOW)

    def refresh(message, minutes):
        read = json.dumps({"id": "9_1", "message": message, "like_count": minutes}).encode()
        at = NOW + timedelta(minutes=minutes)
        store.save_page(
            "facebook-metrics", [], [], None, at, (), [Capture("facebook", "9_1", RawPayload(read, at))]
        )
        run_pass(store, [], fake_classifier, at)

    os.environ["REPMON_DIGEST_RECIPIENTS"] = "legal@example.co.il:en"
    try:
        transport = lambda m: send(m, smtp.config)  # noqa: E731
        runner = Runner(store, [], fake_classifier, config(rule=AlertRule(("defamation",), 0.0)),
                        transport=transport, clock=lambda: NOW)  # fmt: skip
        assert runner.alerts() == "sent 1"
        refresh(edit, 5)
        assert store.queue_item(1).edit.text == edit
        assert runner.alerts() == "sent 1"
        assert runner.alerts() == "already 1"
        refresh("the coffee was cold, a complaint", 10)
        assert store.queue_item(1).edit.text == edit  # the accusation stays the version followed
        assert runner.alerts() == "already 1"
    finally:
        del os.environ["REPMON_DIGEST_RECIPIENTS"]
    bodies = [m.get_body(("plain",)).get_content() for m in smtp.messages]
    assert len(bodies) == 2 and first in bodies[0] and edit in bodies[1] and first not in bodies[1]
    assert "Edited on the platform" in bodies[1]
    assert len({m["Message-ID"] for m in smtp.messages}) == 2


@pytest.mark.slow
def test_sigterm_stops_repmon_run_cleanly(tmp_path):
    env = {**os.environ, "REPMON_DATA_DIR": str(tmp_path / "data"), "REPMON_SOURCES": "demo"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "run", "--no-dashboard"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        time.sleep(1)
        try:
            if {"poll demo", "process"} <= {j.name for j in open_store(tmp_path / "data").job_states()}:
                break
        except Exception:
            continue
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "SIGTERM: stopping after the current job" in err
    store = open_store(tmp_path / "data")
    assert store.counts().triage_items > 100
    assert datetime.now(UTC) - store.job_states()[0].last_run_at < timedelta(minutes=5)


# -- the daily digest --------------------------------------------------------------------------------


def _local(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=JERUSALEM).astimezone(UTC)


@pytest.fixture
def recipients(monkeypatch):
    monkeypatch.setenv("REPMON_DIGEST_RECIPIENTS", "owner@example.co.il:he, cfo@example.com:en")


def test_digest_at_the_local_time_once_per_recipient_and_day_even_after_a_restart(
    smtp, store, make_mention, recipients
):
    post = make_mention(external_id="a", text="חרם על קפה לימון", created_at=_local(19, 12))
    store.save_page("t", [post], [], {}, _local(19, 12))
    clf = FakeClassifier()
    classify_new(store, clf.predict, clf.model_version, _local(19, 12))
    triage_open(store, clf.model_version, _local(19, 12))
    clock = {"now": _local(20, 7, 59)}
    transport = lambda m: send(m, smtp.config)  # noqa: E731
    runner = Runner(store, [], FakeClassifier(), config(), transport=transport, clock=lambda: clock["now"])
    assert runner.digest() == "not yet (due 08:00 Asia/Jerusalem)"
    clock["now"] = _local(20, 8, 0)
    assert runner.digest() == "digest 2026-11-20: sent 2"
    clock["now"] = _local(20, 8, 1)
    assert runner.digest() == "digest 2026-11-20: already 2"
    restarted = Runner(
        store, [], FakeClassifier(), config(), transport=transport, clock=lambda: _local(20, 15)
    )
    assert restarted.digest() == "digest 2026-11-20: already 2"
    assert len(smtp.messages) == 2
    he = next(m for m in smtp.messages if m["To"] == "owner@example.co.il")
    assert he["Subject"].startswith("סיכום יומי repmon") and he["Content-Language"] == "he"
    assert "חרם על קפה לימון" in he.get_body(("html",)).get_content()
    clock["now"] = _local(21, 8, 0)
    assert runner.digest() == "digest 2026-11-21: sent 2"  # the next day's digest
    assert len(smtp.messages) == 4


def test_a_digest_missed_while_the_monitor_was_down_goes_out_when_it_is_back(smtp, store, recipients):
    runner = Runner(store, [], FakeClassifier(), config(), transport=lambda m: send(m, smtp.config),
                    clock=lambda: _local(20, 11, 30))  # fmt: skip
    assert runner.digest() == "digest 2026-11-20: sent 2"


def test_smtp_down_then_up_the_digest_goes_out_once_later(store, recipients):

    port = free_port()
    dead = SmtpConfig("127.0.0.1", port, "none", sender="r@repmon.test", timeout=2)
    clock = {"now": _local(20, 8, 0)}
    runner = Runner(store, [], FakeClassifier(), config(), transport=lambda m: send(m, dead),
                    clock=lambda: clock["now"])  # fmt: skip
    runner.run_job("digest", runner.digest)
    state = {j.name: j for j in store.job_states()}["digest"]
    assert state.last_status == "error" and "2 of 2 failed; retried with backoff" in state.last_error
    assert [d.status for d in store.deliveries(kind="digest")] == ["pending", "pending"]
    clock["now"] = _local(20, 8, 0) + timedelta(seconds=30)
    assert runner.digest() == "digest 2026-11-20: waiting 2"  # the retry is not due yet
    controller, inbox = start_smtp(port)
    try:
        clock["now"] = _local(20, 8, 2)
        assert runner.digest() == "digest 2026-11-20: sent 2"
        clock["now"] = _local(20, 9, 0)
        assert runner.digest() == "digest 2026-11-20: already 2"
    finally:
        controller.stop()
    assert sorted(m["To"] for m in inbox.messages) == ["cfo@example.com", "owner@example.co.il"]


def test_the_scheduler_sends_the_digest_when_the_frozen_clock_reaches_eight(smtp, store, recipients):
    with freeze_time(_local(20, 7, 59)) as clock:
        runner = Runner(store, [], FakeClassifier(), config(), transport=lambda m: send(m, smtp.config))
        runner.scheduler.run_all()
        assert smtp.messages == []
        clock.tick(timedelta(seconds=61))
        runner.scheduler.run_pending()
        assert len(smtp.messages) == 2
        clock.tick(timedelta(minutes=10))
        runner.scheduler.run_pending()
        assert len(smtp.messages) == 2
    digest = {j.name: j for j in store.job_states()}["digest"]
    assert digest.last_detail == "digest 2026-11-20: already 2"


def test_digest_command_dry_run_and_send(smtp, store, tmp_path, monkeypatch, capsys, recipients):
    from monitor.cli import main

    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    assert main(["digest", "--dry-run", "--out", str(tmp_path / "out")]) == 0
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(files) == 4 and {f.rsplit(".", 1)[1] for f in files} == {"eml", "html"}
    he = next(p for p in (tmp_path / "out").iterdir() if p.name.endswith("-he.html")).read_text(
        encoding="utf-8"
    )
    assert 'dir="rtl"' in he
    assert main(["digest", "--send"]) == 2
    assert "e-mail is off" in capsys.readouterr().err
    monkeypatch.setenv("REPMON_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REPMON_SMTP_PORT", str(smtp.config.port))
    monkeypatch.setenv("REPMON_SMTP_TLS", "none")
    monkeypatch.setenv("REPMON_DIGEST_FROM", "repmon <r@repmon.test>")
    assert main(["digest", "--send"]) == 0
    assert main(["digest", "--send"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("sent 2") and out[1].endswith("already 2")
    assert len(smtp.messages) == 2


def test_status_shows_each_job_and_the_e_mails_waiting(tmp_path, monkeypatch, capsys, recipients):
    from monitor.cli import main

    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    dead = SmtpConfig("127.0.0.1", free_port(), "none", sender="r@repmon.test", timeout=2)
    runner = Runner(store, [Broken()], FakeClassifier(), config(), transport=lambda m: send(m, dead),
                    clock=lambda: _local(20, 8, 0))  # fmt: skip
    runner.run_job("poll broken", lambda: runner.poll(Broken()), timedelta(seconds=15))
    runner.run_job("digest", runner.digest, timedelta(minutes=1))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "scheduled jobs (repmon run):" in out
    assert (
        "poll broken            last 2026-11-20T06:00:00+00:00 error, next 2026-11-20T06:00:15+00:00" in out
    )
    assert "the platform sent garbage" in out
    assert "digest 2026-11-20 to owner@example.co.il: 1 attempt(s), next 2026-11-20T06:01:00+00:00" in out
    assert "e-mails waiting to be sent:" in out and "will retry" in out


def test_job_failures_are_errors_of_the_tree_that_say_which_kind(store, make_mention, monkeypatch):
    """A poll with a failing source is a JobError, a digest with only unusable addresses a ConfigError:
    not RuntimeErrors that the CLI then called mail errors."""
    from monitor.errors import ConfigError, JobError, MailError
    from monitor.storage.models import UserRow

    runner = Runner(store, [Broken()], FakeClassifier(), config(), transport=lambda msg: None)
    with pytest.raises(JobError, match="the platform sent garbage"):
        runner.poll(Broken())
    store.add_user("oren", "owner", "x", NOW)
    store.set_digest_prefs("oren", "oren@example.co.il", "he", True, "repmon:admin", NOW)
    with store.session() as s:  # stored before addresses were checked
        s.query(UserRow).filter_by(name="oren").update({"email": "../../tmp/oren@example.co.il"})
    monkeypatch.delenv("REPMON_DIGEST_RECIPIENTS", raising=False)
    with pytest.raises(ConfigError, match="oren's digest address") as err:
        runner.digest(force=True)
    assert not isinstance(err.value, MailError)
