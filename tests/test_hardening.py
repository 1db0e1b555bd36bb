"""Issue 13, point 8 and 9: the X read budget, the dashboard's child process, concurrent `repmon init`,
the digest's addresses, and what the dashboard serves."""

from __future__ import annotations

from pathlib import Path

import pytest
import vcr
from conftest import NOW, FakeClassifier

import monitor.cli.common
from monitor.cli import main
from monitor.pipeline import run_pass
from monitor.sources.x import XSource, make_client

CASSETTES = Path(__file__).parent / "cassettes" / "test_x"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAhardening-bearer-token"
QUERY = "קפה לימון OR @CafeLimonIL"
replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "path", "query"],
    filter_headers=["authorization"],
)


# -- the X read budget ----------------------------------------------------------------------------


def search(budget, elsewhere=0):
    return XSource(
        "x-search", "search", make_client(TOKEN), query=QUERY, backoff=0, daily_budget=budget,
        reads_elsewhere=lambda now: elsewhere,
    )  # fmt: skip


def test_a_spent_read_budget_stops_blocking_x_once_the_budget_is_raised(store):
    with replay.use_cassette("search_paginated_then_since.yaml") as cas:
        report = run_pass(store, [search(5, elsewhere=5)], FakeClassifier(), NOW)
        assert cas.play_count == 0  # the budget is checked before any read
    assert "daily read budget of 5 posts reached" in report.errors[0]
    state = store.source_state("x-search")
    assert (state.status, state.reset_at) == ("rate_limited", None)  # not "until midnight"
    # the owner raises the budget: the next pass polls X at once
    with replay.use_cassette("search_paginated_then_since.yaml"):
        report = run_pass(store, [search(10_000)], FakeClassifier(), NOW)
    assert (report.errors, report.new_mentions) == ([], 3)
    assert store.source_state("x-search").status == "ok"


def test_a_negative_budget_is_refused_at_start_and_x_polls_once_it_is_fixed(
    store, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPMON_X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("REPMON_X_QUERY", QUERY)
    monkeypatch.setenv("REPMON_SOURCES", "x-search")
    monkeypatch.setattr(monitor.cli.common, "classifier", FakeClassifier)
    monkeypatch.setenv("REPMON_X_DAILY_READ_BUDGET", "-5")
    with replay.use_cassette("search_paginated_then_since.yaml") as cas:
        assert main(["poll", "--once"]) == 2
        assert cas.play_count == 0
    err = capsys.readouterr().err
    assert "REPMON_X_DAILY_READ_BUDGET='-5' (environment): out of range" in err
    assert store.source_state("x-search") is None  # nothing recorded that could block X later
    monkeypatch.setenv("REPMON_X_DAILY_READ_BUDGET", "100")
    with replay.use_cassette("search_paginated_then_since.yaml"):
        assert main(["poll", "--once"]) == 0
    assert '"new_mentions": 3' in capsys.readouterr().out
    assert store.source_state("x-search").status == "ok"


# -- `repmon dashboard`: SIGTERM stops Streamlit too; /_stcore/metrics is refused --------------------


def _get(url):
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return None, b""


def test_sigterm_to_repmon_dashboard_stops_streamlit_and_metrics_are_refused(tmp_path):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import psutil
    from conftest import free_port

    root = Path(__file__).resolve().parents[1]
    port = free_port()
    (tmp_path / "repmon.toml").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPMON_") or k == "REPMON_DATABASE_URL"}
    env.update(
        PYTHONPATH=str(root), REPMON_CONFIG=str(tmp_path / "repmon.toml"), REPMON_DATA_DIR=str(tmp_path / "d")
    )
    repmon = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "dashboard", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    children = []
    try:
        deadline = time.monotonic() + 90
        while _get(f"http://127.0.0.1:{port}/_stcore/health") != (200, b"ok"):
            assert repmon.poll() is None, repmon.stderr.read().decode()
            assert time.monotonic() < deadline, "the dashboard did not start"
            time.sleep(0.3)
        status, body = _get(f"http://127.0.0.1:{port}/_stcore/metrics")
        assert status == 404 and b"session" not in body
        status, _ = _get(f"http://127.0.0.1:{port}/_stcore/metrics?families=session_events_total")
        assert status == 404
        children = psutil.Process(repmon.pid).children(recursive=True)
        assert children  # Streamlit runs as repmon's child
        repmon.send_signal(signal.SIGTERM)
        assert repmon.wait(timeout=30) == 0
        _gone, alive = psutil.wait_procs(children, timeout=5)
        assert alive == []
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0  # nothing serves the port any more
    finally:
        for proc in [repmon, *children]:
            try:
                proc.kill()
            except (ProcessLookupError, psutil.NoSuchProcess):
                pass


# -- the dashboard fetches nothing from the internet ----------------------------------------------------


def test_what_repmon_adds_to_the_dashboard_names_no_external_address():
    """Streamlit bundles its fonts and icons; what it fetches is a Material icon used as a favicon (a
    page's icon becomes the tab's favicon, from fonts.gstatic.com) and, unless turned off, usage
    statistics. So: no Material icon and no external URL in what repmon adds, and the statistics off."""
    import re
    import sys

    from monitor.cli.run import dashboard_command as _dashboard_command

    root = Path(__file__).resolve().parents[1]
    files = [
        p for p in (root / "dashboard").rglob("*") if p.suffix in (".py", ".css", ".js", ".html", ".toml")
    ]
    files += list((root / ".streamlit").glob("*")) if (root / ".streamlit").is_dir() else []
    found = []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            urls = [u for u in re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", line)]
            if urls or ":material/" in line or "@import" in line:
                found.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert found == []
    cmd = _dashboard_command(8501)
    assert cmd[:3] == [sys.executable, "-m", "dashboard.serve"]
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"


# -- three `repmon init` at once on an empty database ----------------------------------------------------


def test_three_inits_at_once_on_an_empty_database_all_succeed(tmp_path):
    import os
    import threading

    from monitor.storage import Store
    from monitor.storage.store import database_url

    url = os.environ.get("REPMON_DATABASE_URL") or database_url(tmp_path / "data", None)
    start, results = threading.Barrier(3), []

    def init():
        start.wait()
        try:
            results.append(Store(url).migrate())
        except Exception as exc:
            results.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=init) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    head = Store(url).schema_revision()
    assert head != "none" and results == [head] * 3


# -- the owner's digest address ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["../../etc/owner@example.co.il", "owner@example", "a b@x.com", "owner"])
def test_a_digest_address_is_checked_where_it_is_set(bad):
    from monitor.email.addresses import email_problem
    from monitor.email.mailer import parse_recipients
    from monitor.errors import ConfigError

    assert email_problem(bad) is not None and email_problem("oren.k+digest@cafe-limon.co.il") is None
    with pytest.raises(ConfigError, match="is not an e-mail address"):
        parse_recipients(bad, "REPMON_DIGEST_RECIPIENTS")


def test_a_bad_stored_address_is_named_in_the_dry_run_and_never_recorded_as_sent(
    store, smtp, monkeypatch, capsys, tmp_path
):
    from monitor.storage.models import UserRow

    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    for name, email in (("oren", "oren@example.co.il"), ("dana", "dana@example.co.il")):
        store.add_user(name, "owner", "x", NOW)
        store.set_digest_prefs(name, email, "he", True, name, NOW)
    with store.session() as s:  # stored before addresses were checked
        s.query(UserRow).filter_by(name="dana").update({"email": "../../tmp/dana@example.co.il"})
    out_dir = tmp_path / "digest"
    assert main(["digest", "--dry-run", "--out", str(out_dir)]) == 1
    _out, err = capsys.readouterr()
    assert [p.name.split("-", 4)[-1] for p in sorted(out_dir.glob("*.eml"))] == ["oren@example.co.il-he.eml"]
    assert err == (
        "repmon: user dana's digest address '../../tmp/dana@example.co.il' is not an e-mail address "
        "(the part before @ ('../../tmp/dana') is not a mailbox name (letters, digits, . _ + -)): "
        "no digest goes to it; fix it on the dashboard's Account page\n"
    )
    monkeypatch.setenv("REPMON_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REPMON_SMTP_PORT", str(smtp.config.port))
    monkeypatch.setenv("REPMON_SMTP_TLS", "none")
    monkeypatch.setenv("REPMON_DIGEST_FROM", "repmon <r@repmon.test>")
    assert main(["digest", "--send"]) == 2
    err = capsys.readouterr().err
    assert "sent 1" in err and "user dana's digest address" in err
    assert [m["To"] for m in smtp.messages] == ["oren@example.co.il"]
    assert [(d.recipient, d.status) for d in store.deliveries(kind="digest")] == [
        ("oren@example.co.il", "sent")
    ]
