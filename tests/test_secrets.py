"""Secrets never leave the process: not in logs, messages, stdout or stderr, the database, e-mails or
evidence bundles. Every secret setting gets a distinctive value (from the environment, or from
REPMON_SECRETS_FILE), representative flows run through the ``repmon`` command, and everything they
wrote is searched for the values.

Also: evidence export stays with legal, and ``repmon verify`` checks the demo database.
"""

import io
import json
import logging
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import tweepy
import vcr
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from conftest import NOW, FakeClassifier, Inbox, add_users, free_port, open_store
from sqlalchemy import MetaData, select
from streamlit.testing.v1 import AppTest

import monitor.cli.common
from monitor.cli import main
from monitor.evidence import render_bundle
from monitor.pipeline import run_pass
from monitor.settings import SECRETS, current
from monitor.sources.facebook import FacebookMetricsSource, FacebookSource, GraphSession
from monitor.storage.models import MentionRow, RawPayloadRow

CASSETTES = Path(__file__).parent / "cassettes"
MARK = "0SECRET0"  # in every value: a leak of part of one is found too
VALUES = {
    "REPMON_X_BEARER_TOKEN": f"AAAAAAAAxbearer{MARK}Zq7Lw3",
    "REPMON_FACEBOOK_PAGE_TOKEN": f"EAAGfbpagetoken{MARK}Kd82Hx",
    "REPMON_X_API_KEY": f"xapikey{MARK}Rt5",
    "REPMON_X_API_SECRET": f"xapisecret{MARK}Pq1",
    "REPMON_X_ACCESS_TOKEN": f"1234-xaccess{MARK}Mn4",
    "REPMON_X_ACCESS_TOKEN_SECRET": f"xaccesssecret{MARK}Jb9",
    "REPMON_SMTP_PASSWORD": f"smtp-pass{MARK}Wv6",
}
PAGE = "104857600123456"
QUERY = "קפה לימון OR @CafeLimonIL"
X_CASSETTES = vcr.VCR(
    cassette_library_dir=str(CASSETTES / "test_x"),
    record_mode="none",
    match_on=["method", "scheme", "host", "path", "query"],
    filter_headers=["authorization"],
)
FB_CASSETTES = vcr.VCR(
    cassette_library_dir=str(CASSETTES / "test_facebook"),
    record_mode="none",
    match_on=["method", "scheme", "host", "path", "query"],
    filter_headers=["authorization"],
    filter_query_parameters=["access_token", "appsecret_proof"],
)


def test_every_secret_setting_is_covered():
    assert set(VALUES) == set(SECRETS)


def leaks(blob):
    """The secret values (or the marker every one of them holds) found in text or bytes."""
    data = blob if isinstance(blob, bytes) else blob.encode("utf-8", "surrogatepass")
    found = [name for name, value in VALUES.items() if value.encode() in data]
    return found + (["(part of a value)"] if MARK.encode() in data and not found else [])


def database_dump(store):
    """Every row of every table, every column (bytes as they are), as one blob."""
    meta = MetaData()
    meta.reflect(bind=store.engine)
    out = []
    with store.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    out.append(
                        value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
                    )
    return b"\n".join(out)


@pytest.fixture(params=["environment", "secrets_file"])
def secrets(request, monkeypatch, tmp_path):
    """Every secret setting set to its distinctive value, from the environment or a secrets file."""
    if request.param == "environment":
        for name, value in VALUES.items():
            monkeypatch.setenv(name, value)
    else:
        path = tmp_path / "secrets.toml"
        path.write_text("".join(f'{n.removeprefix("REPMON_").lower()} = "{v}"\n' for n, v in VALUES.items()))
        path.chmod(0o600)
        for name in VALUES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("REPMON_SECRETS_FILE", str(path))
    assert {name: current().secret(name) for name in SECRETS} == VALUES
    return request.param


@pytest.fixture
def configured(store, secrets, monkeypatch, tmp_path):
    """The CLI pointed at ``store``, with the X and Facebook sources configured, the fake classifier."""
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPMON_DATABASE_URL", store.url)
    monkeypatch.setenv("REPMON_X_QUERY", QUERY)
    monkeypatch.setenv("REPMON_FACEBOOK_PAGE_ID", PAGE)
    monkeypatch.setenv("REPMON_X_POLL_INTERVAL", "0")
    monkeypatch.setenv("REPMON_FACEBOOK_POLL_INTERVAL", "0")
    monkeypatch.setattr(monitor.cli.common, "classifier", FakeClassifier)
    return store


@pytest.fixture
def all_logs(caplog):
    """Every log record at DEBUG, from every logger, the HTTP libraries' included; set before the
    clients are made, as a logging configuration would be."""
    caplog.set_level(logging.DEBUG)
    for name in ("tweepy", "tweepy.client", "urllib3", "urllib3.connectionpool", "requests", "facebook",
                 "repmon", "sqlalchemy", "alembic"):  # fmt: skip
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def logged(caplog):
    # The test harness is not repmon: vcrpy logs each live request before it filters it, and the test
    # SMTP server (aiosmtpd, "mail.log") logs what it answers. Leave them out.
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith(("vcr", "mail.log"))
    )


def poll(capsys, monkeypatch, sources, x=None, facebook=None):
    """`repmon poll --once` on ``sources``, replaying the named cassette; returns (exit code, out, err)."""
    monkeypatch.setenv("REPMON_SOURCES", sources)
    with X_CASSETTES.use_cassette(f"{x}.yaml") if x else FB_CASSETTES.use_cassette(f"{facebook}.yaml"):
        code = main(["poll", "--once"])
    out, err = capsys.readouterr()
    return code, out, err


def test_failing_polls_status_settings_and_evidence_never_show_a_secret(
    configured, all_logs, capsys, monkeypatch, tmp_path
):
    store = configured
    outputs = []
    # X: the token rejected (401), then rate limited (429); Facebook: the token expired, then rate limited
    for sources, cassettes in (
        ("x-search", {"x": "unauthorized"}),
        ("x-search", {"x": "rate_limited"}),
        ("facebook", {"facebook": "auth_expired"}),
        ("facebook", {"facebook": "rate_limited_app"}),
    ):
        code, out, err = poll(capsys, monkeypatch, sources, **cassettes)
        assert code == 1 and err.startswith("repmon: source ")
        outputs += [out, err]
    assert {s.name: s.status for s in store.sources()} == {
        "x-search": "rate_limited",
        "facebook": "rate_limited",
    }

    # a client library whose error quotes the token: as it is, after "Bearer", and as a query parameter
    token, page_token = VALUES["REPMON_X_BEARER_TOKEN"], VALUES["REPMON_FACEBOOK_PAGE_TOKEN"]
    errors = iter([
        RuntimeError(f"client blew up holding {token}"),
        requests.exceptions.InvalidHeader(f"Invalid return character in header value: b'Bearer {token}\\n'"),
        tweepy.TweepyException(f"Authorization: Bearer {token}"),
    ])  # fmt: skip

    def failing_call(self, **params):
        raise next(errors)

    def failing_request(self, method, url, *args, **kwargs):
        raise ValueError(f"cannot fetch {url}&access_token={page_token} (token {page_token})")

    with monkeypatch.context() as patched:
        patched.setattr(tweepy.Client, "search_recent_tweets", failing_call)
        patched.setattr(GraphSession, "request", failing_request)
        for name, cassettes in (("x-search", {"x": "unauthorized"}),) * 3 + (
            ("facebook", {"facebook": "auth_expired"}),
        ):
            store.mark_source(name, NOW - timedelta(days=30), status="failing")  # past the rate limit
            code, out, err = poll(capsys, monkeypatch, name, **cassettes)
            assert code == 1
            outputs += [out, err]
    assert [s.last_error for s in store.sources()] == [
        "source 'facebook' failed: ValueError: cannot fetch "
        f"https://graph.facebook.com/v25.0/{PAGE}/feed&access_token=[redacted] (token [redacted])",
        "source 'x-search' failed: TweepyException: Authorization: Bearer [redacted]",
    ]
    assert "client blew up holding [redacted]" in outputs[-8]  # the report of `repmon poll`

    # a successful poll, an item, its evidence bundle, the status and the settings
    store.mark_source("x-search", NOW - timedelta(days=30), status="ok")
    code, out, err = poll(capsys, monkeypatch, "x-search", x="search_paginated_then_since")
    assert code == 0, err
    outputs += [out, err]
    [item, *_] = store.queue()
    add_users(store, **{"adv-miri": "legal"})
    assert main(["evidence", str(item.id), "--out", str(tmp_path / "evidence"), "--by", "adv-miri"]) == 0
    for command in (["status"], ["settings"], ["queue", "--json"], ["item", str(item.id)], ["verify"]):
        assert main(command) == 0, command
    out, err = capsys.readouterr()
    outputs += [out, err]
    assert "REPMON_X_BEARER_TOKEN=(set)" in out and "last error: source 'facebook' failed: ValueError" in out

    [bundle] = (tmp_path / "evidence").iterdir()
    zf = zipfile.ZipFile(io.BytesIO(bundle.read_bytes()))
    files = {name: zf.read(name) for name in zf.namelist()}
    assert "post/raw_payload.json" in files
    assert {name: leaks(data) for name, data in files.items() if leaks(data)} == {}
    assert leaks(database_dump(store)) == []
    assert [leaks(o) for o in outputs if leaks(o)] == []
    assert leaks(logged(all_logs)) == []
    assert "api.twitter.com" in logged(all_logs) and f"GET /v25.0/{PAGE}/feed?" in logged(all_logs)


def test_a_token_graph_echoes_into_a_payload_never_reaches_the_database_or_evidence(store, secrets, all_logs):
    """Graph puts the caller's token into ``paging.next`` links, embedded in the items themselves too."""
    token = current().facebook_page_token.get_secret_value()
    session = GraphSession()

    def reply(request: requests.PreparedRequest, payload: dict) -> requests.Response:
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers["content-type"] = "application/json"
        response._content, response._content_consumed = json.dumps(payload).encode(), True
        return response

    class Echo(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            nxt = f"https://graph.facebook.com/v25.0/{PAGE}_1/comments?access_token={token}&after=QVFI"
            if "after=QVFI" in request.url:  # the pages the links lead to are the last ones (no paging loop)
                return reply(request, {"data": []})
            comment = {"id": "1_2", "message": "true", "created_time": "2026-11-20T10:05:00+0000"}
            if "ids=" in request.url:  # the refresh of open items: the post embeds its first comments
                edge = {"data": [comment], "paging": {"next": nxt}, "summary": {"total_count": 1}}
                refreshed = {
                    f"{PAGE}_1": {"id": f"{PAGE}_1", "message": "they are thieves!", "comments": edge},
                    "1_2": {"id": "1_2", "message": "true", "like_count": 1, "comment_count": 0},
                }
                return reply(request, {k: v for k, v in refreshed.items() if k in request.url})
            post = {
                "id": f"{PAGE}_1",
                "message": "they are thieves",
                "created_time": "2026-11-20T10:00:00+0000",
                "from": {"id": "555", "name": "Dana"},
                "comments": {"data": [comment], "paging": {"next": nxt}},
            }
            return reply(request, {"data": [post], "paging": {"next": f"{nxt}&x=1"}})

        def close(self):
            pass

    session.mount("https://", Echo())
    src = FacebookSource("facebook", PAGE, token, session=session, backoff=0)
    report = run_pass(store, [src], FakeClassifier(), NOW)
    assert (report.errors, report.new_mentions) == ([], 2)
    # the post's bytes as received, but for the token: the evidence store never holds a credential
    assert b'comments?access_token=[redacted]&after=QVFI"' in store.raw_payload("facebook", f"{PAGE}_1")[0]
    # the refresh of the open items re-reads them, and keeps each object read as a later capture
    report = run_pass(store, [FacebookMetricsSource(src, store)], FakeClassifier(), NOW + timedelta(hours=1))
    assert report.errors == []
    [later] = store.captures("facebook", f"{PAGE}_1")
    assert b'comments?access_token=[redacted]&after=QVFI"' in later.body
    for item in store.queue():
        files = zipfile.ZipFile(io.BytesIO(render_bundle(store.evidence(item.id), NOW)))
        assert [n for n in files.namelist() if leaks(files.read(n))] == []
    assert leaks(database_dump(store)) == []
    assert leaks(logged(all_logs)) == []


def test_an_smtp_login_refusal_and_the_digest_never_show_the_password(
    configured, all_logs, capsys, monkeypatch, smtp, tmp_path
):
    store = configured
    password = VALUES["REPMON_SMTP_PASSWORD"]
    seen = []

    def refuse(server, session, envelope, mechanism, auth_data):
        seen.append(auth_data.password.decode())
        # a server that quotes what it was given back in its refusal
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 {auth_data.password.decode()} no")

    controller = Controller(Inbox(), hostname="127.0.0.1", port=free_port(), authenticator=refuse,
                            auth_require_tls=False)  # fmt: skip
    controller.start()
    monkeypatch.setenv("REPMON_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REPMON_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("REPMON_SMTP_TLS", "none")
    monkeypatch.setenv("REPMON_SMTP_USER", "repmon")
    monkeypatch.setenv("REPMON_DIGEST_FROM", "repmon <alerts@example.co.il>")
    monkeypatch.setenv("REPMON_DIGEST_RECIPIENTS", "owner@example.co.il:he, cfo@example.com:en")
    store.save_page("test", [], [], None, NOW)
    try:
        code = main(["digest", "--send"])
    finally:
        controller.stop()
    out, err = capsys.readouterr()
    assert seen and set(seen) == {password}  # the server did get the password...
    assert (code, out) == (2, "") and err.endswith(": 2 of 2 failed; retried with backoff\n")
    assert main(["status"]) == 0  # the failed deliveries, with their last error
    status, _ = capsys.readouterr()
    assert (
        status.count("refused the login of 'repmon' (535): check REPMON_SMTP_USER and REPMON_SMTP_PASSWORD")
        == 2
    )

    # the digest itself, sent to a server without a login, and written as files
    monkeypatch.setenv("REPMON_SMTP_PORT", str(smtp.config.port))
    monkeypatch.setenv("REPMON_SMTP_USER", "")
    # other recipients: the first ones' retries are not due yet
    monkeypatch.setenv("REPMON_DIGEST_RECIPIENTS", "legal@example.co.il:he, ceo@example.com:en")
    assert main(["digest", "--send"]) == 0
    assert main(["digest", "--dry-run", "--out", str(tmp_path / "digest")]) == 0
    sent_out, sent_err = capsys.readouterr()
    assert len(smtp.raw) == 2
    written = [p.read_bytes() for p in (tmp_path / "digest").iterdir()]
    assert [leaks(x) for x in [out, err, status, sent_out, sent_err, *smtp.raw, *written] if leaks(x)] == []
    assert leaks(database_dump(store)) == []
    assert leaks(logged(all_logs)) == []


def test_settings_show_the_database_url_without_its_password(monkeypatch, capsys):
    monkeypatch.setenv(
        "REPMON_DATABASE_URL", f"postgresql+psycopg://repmon:db-pass{MARK}@127.0.0.1:5432/repmon"
    )
    assert main(["settings"]) == 0
    out, _ = capsys.readouterr()
    assert "REPMON_DATABASE_URL=postgresql+psycopg://repmon:***@127.0.0.1:5432/repmon\n" in out
    assert MARK not in out


# -- evidence export is legal's alone -------------------------------------------------------------


@pytest.fixture
def dashboard_item(store, make_mention, fake_classifier, monkeypatch, tmp_path):
    """An item for legal (an accusation) on the dashboard's database; returns its id."""
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "dashboard"))
    monkeypatch.setenv("REPMON_DATABASE_URL", store.url)
    store.save_page("test", [make_mention(text="they are thieves, defamation")], [], None, NOW)
    run_pass(store, [], fake_classifier, NOW)
    [item] = store.queue()
    return item.id


def item_page(role, item_id, name):
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    at.session_state["clock"] = NOW
    at.session_state["user"] = {"name": name, "role": role}
    at.session_state["item_id"] = item_id
    at.run()
    return at.switch_page("screens/item.py").run()


@pytest.mark.parametrize(("role", "name"), [("manager", "maya"), ("owner", "oren")])
def test_a_manager_or_owner_session_cannot_export_evidence(store, dashboard_item, role, name):
    at = item_page(role, dashboard_item, name)
    assert [e.value for e in at.exception] == []
    assert not {"i_evidence", "l_evidence"} & {b.key for b in at.button}
    # a session that held legal's button and then signed in as another role: the click does nothing
    at = item_page("legal", dashboard_item, "lea")
    at.session_state["user"] = {"name": name, "role": role}
    next(b for b in at.button if b.key == "i_evidence").click().run()
    assert [e.value for e in at.exception] == []
    assert at.get("download_button") == []
    assert [e.action for e in store.item(dashboard_item).audit] == []


# -- integrity: `repmon verify` on the demo database ---------------------------------------------------


@pytest.mark.slow
def test_verify_passes_on_the_demo_database_and_finds_one_changed_byte(tmp_path, monkeypatch, capsys):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("REPMON_DATA_DIR", str(data_dir))
    assert main(["demo", "--once", "--no-dashboard"]) == 0
    capsys.readouterr()
    assert main(["verify"]) == 0
    assert capsys.readouterr().out == "audit chain and all stored payload hashes verified\n"

    store = open_store(data_dir)
    with store.session() as s:
        raw, platform, ext = s.execute(
            select(RawPayloadRow, MentionRow.platform, MentionRow.external_id)
            .join(MentionRow, MentionRow.id == RawPayloadRow.mention_id)
            .order_by(RawPayloadRow.id.desc())
            .limit(1)
        ).one()
        body = bytearray(raw.body)
        body[len(body) // 2] ^= 0x01  # one bit of one byte
        raw.body = bytes(body)
        mention_id = raw.mention_id
    assert main(["verify"]) == 1
    out, err = capsys.readouterr()
    assert out == f"raw payload of {platform}/{ext} (mention {mention_id}): SHA-256 mismatch\n"
    assert err == "repmon: 1 integrity problem; the first broken link is listed first\n"
