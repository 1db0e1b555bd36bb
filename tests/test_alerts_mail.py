"""E-mail out with a real SMTP server in-process (aiosmtpd): sending, exactly-once delivery, retries
while the server is down, item alerts and volume spikes."""

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from conftest import NOW, Inbox, free_port, start_smtp

from classifiers import Prediction
from classifiers.virality import Virality
from monitor.email.alerts import (
    AlertRule,
    Spike,
    items_to_alert,
    render_item_alert,
    render_spike_alert,
    volume_spikes,
)
from monitor.email.mailer import Recipient, SmtpConfig, backoff, deliver, parse_recipients, send
from monitor.errors import ConfigError, MailError
from monitor.records import TriageDecision
from monitor.storage.reports import hourly_volume


def _item(
    store, make_mention, ext="d1", label="defamation", virality=75.0, text='הם גנבו לי 300 ש"ח, נוכלים'
):
    store.save_page("test", [make_mention(external_id=ext, text=text, language="he")], [], {}, NOW)
    mid = store.unclassified("m1", 10)[-1][0]
    store.save_classifications([(mid, Prediction(label, {label: 0.9}, "he", "m1"))], NOW)
    vir = Virality(virality, 500, 50.0, 0.0, 2000.0, 1500.0, 2500.0, 3.0, 4)
    store.save_triage(
        [
            (
                mid,
                TriageDecision("crisis", 90.0, NOW + timedelta(hours=1), (), label=label, language="he"),
                vir,
            )
        ],
        NOW,
    )
    return store.queue_item(next(q.id for q in store.queue(limit=100) if q.external_id == ext))


def test_a_hebrew_alert_arrives_whole_with_both_parts(smtp, store, make_mention):
    item = _item(store, make_mention, text='הם גנבו לי 300 ש"ח <script>alert(1)</script> \u202egnp.exe')
    msg = render_item_alert(item, "he", smtp.config.sender, "owner@example.co.il", "http://dash.test", NOW)
    send(msg, smtp.config)
    [got] = smtp.messages
    assert smtp.recipients == [["owner@example.co.il"]]
    # the label's one Hebrew name from the catalogue (i18n.label_name), was "האשמה (לשון הרע)" here
    assert got["Subject"] == f"התראת repmon: לשון הרע מתפשט/ת (ויראליות 75) · פריט #{item.id}"
    assert got["From"] == "repmon <r@repmon.test>" and got["Content-Language"] == "he"
    assert got["Message-ID"].startswith(f"<repmon-alert-item-{item.id}-")
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]
    text, html = got.get_body(("plain",)).get_content(), got.get_body(("html",)).get_content()
    assert 'הם גנבו לי 300 ש"ח' in text and "אין למחוק את הפוסט" in text
    assert 'dir="rtl"' in html and "&lt;script&gt;" in html and "<script" not in html
    assert "\u202e" not in html and "\u202e" not in text  # bidi overrides are stripped from excerpts
    assert f"http://dash.test/item?id={item.id}" in html


def test_english_spike_alert():
    hour = NOW.replace(minute=0)
    spike = Spike(hour, hour + timedelta(hours=1), 24, 1.5, "negative")
    msg = render_spike_alert(spike, "en", "a@b.test", "c@d.test", "http://dash.test/", NOW)
    assert msg["Subject"] == "repmon alert: spike in negative mentions: 24 in an hour (2026-11-20 12:00 UTC)"
    assert "against a mean of 1.5 last week" in msg.get_body(("plain",)).get_content()
    assert msg["Message-ID"].startswith("<repmon-alert-spike-2026-11-20T12-negative-")


def test_deliver_sends_once_per_recipient(smtp, store, make_mention):
    item = _item(store, make_mention)
    r = Recipient("owner@example.co.il", "en")
    build = lambda: render_item_alert(item, "en", smtp.config.sender, r.address, "http://d", NOW)  # noqa: E731
    transport = lambda m: send(m, smtp.config)  # noqa: E731
    assert deliver(store, "alert", "item:1", r, build, transport, NOW) == "sent"
    assert deliver(store, "alert", "item:1", r, build, transport, NOW + timedelta(hours=1)) == "already"
    assert len(smtp.messages) == 1
    [row] = store.deliveries()
    assert (row.status, row.attempts, row.message_id) == (
        "sent",
        1,
        smtp.messages[0]["Message-ID"],
    )


def test_smtp_down_then_up_sends_exactly_once_after_backoff(store, make_mention):
    item = _item(store, make_mention)
    port = free_port()
    config = SmtpConfig("127.0.0.1", port, "none", sender="a@b.test", timeout=2)
    r = Recipient("owner@example.co.il", "he")
    build = lambda: render_item_alert(item, "he", "a@b.test", r.address, "http://d", NOW)  # noqa: E731
    transport = lambda m: send(m, config)  # noqa: E731
    assert deliver(store, "alert", "item:1", r, build, transport, NOW) == "failed"
    [row] = store.deliveries()
    assert row.status == "pending" and row.next_attempt_at == NOW + timedelta(minutes=1)
    assert f"SMTP server 127.0.0.1:{port} (none)" in row.last_error and "will retry" in row.last_error
    assert deliver(store, "alert", "item:1", r, build, transport, NOW + timedelta(seconds=30)) == "waiting"
    assert deliver(store, "alert", "item:1", r, build, transport, NOW + timedelta(minutes=1)) == "failed"
    assert store.deliveries()[0].next_attempt_at == NOW + timedelta(minutes=3)  # 1, then 2 minutes
    controller, inbox = start_smtp(port)
    try:
        assert deliver(store, "alert", "item:1", r, build, transport, NOW + timedelta(minutes=3)) == "sent"
        assert deliver(store, "alert", "item:1", r, build, transport, NOW + timedelta(minutes=9)) == "already"
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and store.deliveries()[0].attempts == 3


def test_backoff_grows_to_half_an_hour():
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 5, 6, 7, 20)] == [
        1,
        2,
        4,
        8,
        16,
        30,
        30,
        30,
    ]


def test_login_refusal_never_shows_the_password(store):
    from aiosmtpd.smtp import AuthResult

    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    controller = Controller(Inbox(), hostname="127.0.0.1", port=free_port(), authenticator=refuse,
                            auth_require_tls=False)  # fmt: skip
    controller.start()
    try:
        config = SmtpConfig("127.0.0.1", controller.port, "none", "repmon", "hunter2-secret", "a@b.test", 5)
        msg = render_spike_alert(
            Spike(NOW, NOW + timedelta(hours=1), 9, 1.0), "en", "a@b.test", "c@d.test", "http://d", NOW
        )
        with pytest.raises(MailError) as err:
            send(msg, config)
    finally:
        controller.stop()
    assert "refused the login of 'repmon' (535)" in str(err.value)
    assert "hunter2-secret" not in str(err.value) and "hunter2-secret" not in repr(config)


def test_recipients_with_languages():
    assert parse_recipients("a@x.co.il:he, B@y.com:en,, c@z.org", "S") == [
        Recipient("a@x.co.il", "he"), Recipient("B@y.com", "en"), Recipient("c@z.org", "he")
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="'nobody' is not an e-mail address"):
        parse_recipients("nobody", "REPMON_DIGEST_RECIPIENTS")
    with pytest.raises(ConfigError, match="language 'fr'"):
        parse_recipients("a@x.com:fr", "REPMON_DIGEST_RECIPIENTS")


def test_alert_rule_picks_spreading_accusations_only(store, make_mention):
    hot = _item(store, make_mention, "d1", "defamation", 75.0)
    _item(store, make_mention, "d2", "defamation", 20.0)
    _item(store, make_mention, "c1", "complaint", 95.0)
    assert [q.id for q in items_to_alert(store, AlertRule(("defamation", "boycott"), 60.0))] == [hot.id]
    assert items_to_alert(store, AlertRule((), 60.0)) == []


def test_hourly_volume_and_a_spike_in_the_last_hour(store, make_mention):
    end = NOW.replace(minute=0)
    mentions = [
        make_mention(external_id=f"b{h}", created_at=end - timedelta(hours=h, minutes=-30))
        for h in range(2, 7 * 24 + 2, 3)  # one mention every third hour over the past week
    ]
    mentions += [
        make_mention(external_id=f"s{i}", created_at=end - timedelta(minutes=50 - i)) for i in range(12)
    ]
    mentions.append(make_mention(external_id="old", created_at=end - timedelta(days=8)))  # a week of history
    store.save_page("test", mentions, [], {}, NOW)
    rows = store.unclassified("m1", 1000)
    labels = {mid: ("complaint" if i % 2 else "praise") for i, (mid, _) in enumerate(rows)}
    store.save_classifications(
        [(mid, Prediction(lab, {lab: 0.9}, "en", "m1")) for mid, lab in labels.items()], NOW
    )
    vir = Virality(0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0)
    store.save_triage(
        [
            (mid, TriageDecision("reply", 10.0, NOW, (), label=lab, language="en"), vir)
            for mid, lab in labels.items()
        ],
        NOW,
    )
    hours = hourly_volume(store, end - timedelta(hours=3), end)
    assert [h.start for h in hours] == [end - timedelta(hours=n) for n in (3, 2, 1)]
    assert [h.total for h in hours] == [0, 1, 12]
    spikes = volume_spikes(store, NOW + timedelta(minutes=5), k=3.0, min_count=5)
    last = end - timedelta(hours=1)
    assert [(s.start, s.kind, s.count) for s in spikes] == [(last, "all", 12), (last, "negative", 6)]
    assert volume_spikes(store, NOW + timedelta(hours=1, minutes=5)) == []  # the next hour is quiet


def test_no_volume_spike_without_a_week_of_history(store, make_mention):
    end = NOW.replace(minute=0)
    burst = [make_mention(external_id=f"s{i}", created_at=end - timedelta(minutes=50 - i)) for i in range(30)]
    store.save_page("test", burst, [], {}, NOW)
    store.save_classifications(
        [(mid, Prediction("complaint", {}, "en", "m1")) for mid, _ in store.unclassified("m1", 99)], NOW
    )
    assert volume_spikes(store, NOW + timedelta(minutes=5)) == []


@pytest.fixture(scope="module")
def tls_ca(tmp_path_factory):
    """A private CA and a certificate for 127.0.0.1 signed by it (trustme)."""
    import trustme

    ca = trustme.CA()
    folder = tmp_path_factory.mktemp("tls")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    return ca, ca.issue_cert("127.0.0.1"), str(folder / "ca.pem")


def _server_context(cert):
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_tls_modes_send_with_a_verified_certificate_and_a_login(tls_ca, mode, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    _ca, cert, ca_file = tls_ca
    logins = []

    def check(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"right-password")

    inbox = Inbox()
    if mode == "ssl":  # implicit TLS: aiosmtpd cannot tell the socket is encrypted, so it may not demand it
        tls = {"ssl_context": _server_context(cert), "auth_require_tls": False}
    else:
        tls = {"tls_context": _server_context(cert), "require_starttls": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=check, **tls)
    controller.start()
    try:
        monkeypatch.setenv("REPMON_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("REPMON_SMTP_PORT", str(controller.port))
        monkeypatch.setenv("REPMON_SMTP_TLS", mode)
        monkeypatch.setenv("REPMON_SMTP_USER", "alerts@example.co.il")
        monkeypatch.setenv("REPMON_SMTP_PASSWORD", "right-password")
        monkeypatch.setenv("REPMON_SMTP_CA_FILE", ca_file)
        monkeypatch.setenv("REPMON_DIGEST_FROM", "repmon <alerts@example.co.il>")
        from monitor.email.mailer import smtp_config

        config = smtp_config()
        msg = render_spike_alert(
            Spike(NOW, NOW + timedelta(hours=1), 9, 1.0),
            "he",
            config.sender,
            "owner@example.co.il",
            "http://d",
            NOW,
        )
        send(msg, config)
        assert [m["To"] for m in inbox.messages] == ["owner@example.co.il"]
        assert logins and logins[-1][1:] == ("alerts@example.co.il", "right-password")
        # without the private CA the server's certificate is not trusted: refused, never sent in clear
        monkeypatch.setenv("REPMON_SMTP_CA_FILE", "")
        with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED"):
            send(msg, smtp_config())
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


@pytest.mark.parametrize("language", ["he", "en"])
def test_an_alert_shows_a_hostile_handle_as_markers_in_the_subject_and_both_parts(
    store, make_mention, language
):
    handle = "evil\u202e\r\nBcc: x@evil.test\x1b[2J"
    store.save_page(
        "test", [make_mention(external_id="d9", author_handle=handle, language="he")], [], {}, NOW
    )
    item = _item(store, make_mention, ext="d9")
    assert item.author == handle
    msg = render_item_alert(item, language, "a@b.test", "c@d.test", "http://dash.test", NOW)
    text, body = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    shown = "@evil⟨U+202E⟩⟨U+000D⟩⟨U+000A⟩Bcc: x@evil.test⟨U+001B⟩[2J"
    for part in (text, str(msg["Subject"])):
        assert not set(part) & {"\u202e", "\x1b", "\r"}
    assert not set(body) & {"\u202e", "\x1b", "\r"}
    assert shown in text
    assert f'@<span dir="auto">{shown[1:]}</span>' in body
    assert "Bcc" not in msg  # no header was forged


def test_an_alert_for_an_item_triaged_on_an_edit_quotes_the_edited_text(store, make_mention, fake_classifier):
    """A complaint edited on Facebook into an accusation: the alert quotes the edit its label is of, and
    says so."""
    import json

    from monitor.pipeline import run_pass
    from monitor.records import Capture, RawPayload

    raw = json.dumps({"id": "9_1", "message": "cold coffee, complaint"}).encode()
    store.save_page(
        "t",
        [make_mention(platform="facebook", external_id="9_1", text="cold coffee, complaint", body=raw)],
        [],
        {},
        NOW,
    )
    edit = {"id": "9_1", "message": "they are thieves, defamation", "like_count": 3}
    store.save_page(
        "fb", [], [], None, NOW, (), [Capture("facebook", "9_1", RawPayload(json.dumps(edit).encode(), NOW))]
    )
    run_pass(store, [], fake_classifier, NOW)
    [item] = store.queue()
    assert (item.label, item.edit.text) == ("defamation", "they are thieves, defamation")
    msg = render_item_alert(item, "en", "a@b.test", "c@d.test", "http://dash.test", NOW)
    text = msg.get_body(("plain",)).get_content()
    note = "Edited on the platform: the label is of the edited text quoted below."
    assert f"{note}\n\nthey are thieves, defamation" in text
    assert "cold coffee" not in text
    hebrew = render_item_alert(item, "he", "a@b.test", "c@d.test", "http://dash.test", NOW)
    assert "נערך ברשת: הסיווג הוא של הנוסח הערוך המצוטט למטה." in hebrew.get_body(("html",)).get_content()
