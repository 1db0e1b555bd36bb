"""E-mails, alerts and the evidence summary in Hebrew and English from one catalogue (issue 16): a Hebrew
one says no English UI string, is right-to-left, isolates handles, links and numbers inside Hebrew
sentences, and shows times in the business's time zone; each recipient gets their own language."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW
from test_alerts_mail import _item
from test_digest import ENGLISH_POST, HEBREW_POST, SENDER, URL, sample

from monitor import i18n
from monitor.email.alerts import Spike, render_item_alert, render_spike_alert
from monitor.email.digest import render_digest
from monitor.email.mailer import Recipient, alert_recipients, digest_recipients, parse_recipients
from monitor.evidence import render_bundle
from monitor.pipeline import run_pass
from monitor.records import Capture, RawPayload

TZ = ZoneInfo("Asia/Jerusalem")  # UTC+2 in November
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*(?:[:!][^{}]*)?\}")
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'\- ]*[A-Za-z]|[A-Za-z]")


def english_ui_strings() -> set[str]:
    """The English words of every catalogue entry that Hebrew says differently: each msgid's text between
    its placeholders (plural forms too), trimmed of punctuation, where it holds a Latin word."""
    he = i18n.translations("he")
    out = set()
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        translated = he.ngettext(ids[0], ids[1], 2) if len(ids) == 2 else he.gettext(ids[0])
        if translated == ids[-1]:
            continue  # the same in both languages (a brand such as "X"): not an untranslated string
        kept = set(LATIN_RUN.findall(translated))  # words Hebrew keeps too: a file name, "repmon", "SLA"
        for msgid in ids:
            for chunk in PLACEHOLDER.split(msgid):
                for run in LATIN_RUN.findall(chunk):
                    if len(run.strip()) > 1 and run.strip() not in kept:
                        out.add(run.strip())
    return out


def _catalog():
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "repmon.po").open("rb") as handle:
        return read_po(handle, locale="en")


def untranslated(rendered: str, *data: str) -> set[str]:
    """The English UI strings found verbatim in ``rendered`` once markup and the ``data`` (posts, handles,
    links: not UI) are taken out: each Latin run of the text that is one of the catalogue's English
    strings, or holds one of its multi-word ones."""
    text = re.sub(r"<[^>]*>", " ", rendered)
    for value in data:
        text = text.replace(value, " ")
    text = re.sub(r"https?://\S+", " ", text)
    ui = english_ui_strings()
    runs = {run.strip() for run in LATIN_RUN.findall(text)}
    return {run for run in runs if run in ui} | {s for s in ui if " " in s and s in text}


def parts(msg) -> tuple[str, str]:
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def _evidence_summary(store, make_mention, fake_classifier, language: str, captures=()) -> str:
    store.save_page(
        "t",
        [make_mention(external_id="e1", text=HEBREW_POST, author_handle="ronit_k", author_followers=1200)],
        [],
        {},
        NOW,
        (),
        captures,
    )
    run_pass(store, [], fake_classifier, NOW)
    item_id = next(q.id for q in store.queue(limit=100) if q.external_id == "e1")
    data = render_bundle(store.evidence(item_id), NOW, language, TZ)
    return zipfile.ZipFile(io.BytesIO(data)).read("summary.html").decode("utf-8")


# -- no English left in Hebrew -------------------------------------------------------------------------


def test_the_check_finds_english_ui_strings_when_they_are_there():
    """The scan is not empty-handed by construction: the English digest is full of the strings it seeks."""
    text, html = parts(render_digest(sample(), "en", SENDER, "owner@example.co.il"))
    found = untranslated(text, HEBREW_POST, ENGLISH_POST)
    assert {"Daily digest", "Open the overview", "Boycott call", "Response times"} <= found
    assert untranslated(html, HEBREW_POST, ENGLISH_POST) >= {"Daily digest", "Spikes"}


def test_a_hebrew_digest_has_no_english_ui_string():
    text, html = parts(render_digest(sample(), "he", SENDER, "owner@example.co.il"))
    data = (ENGLISH_POST, "Boycott <b>Now</b>", "Boycott &lt;b&gt;Now&lt;/b&gt;", "ronit_k", "danny_tlv")
    data += ("adv-miri", "fb-page", "token rejected (190)", "Asia/Jerusalem", "txet desrever", "alert")
    data += ("script", "img src", "onerror", "pixel", "evil.example", "click", "javascrip", "lt;", "gt;")
    assert untranslated(text, *data) == set()
    assert untranslated(html, *data) == set()


@pytest.mark.parametrize("kind", ["all", "negative"])
def test_hebrew_alerts_have_no_english_ui_string(store, make_mention, kind):
    item = _item(store, make_mention)
    spike = Spike(NOW, NOW + timedelta(hours=1), 24, 1.5, kind)
    for msg in (
        render_item_alert(item, "he", SENDER, "owner@example.co.il", URL, NOW),
        render_spike_alert(spike, "he", SENDER, "o@x.co.il", URL, NOW, TZ),
    ):
        for part in (*parts(msg), str(msg["Subject"])):
            assert untranslated(part, item.author, "Asia/Jerusalem") == set()


def test_a_hebrew_evidence_summary_has_no_english_ui_string(store, make_mention, fake_classifier):
    summary = _evidence_summary(store, make_mention, fake_classifier, "he")
    # the classifier's scores and the audit detail are data (JSON), kept as they are
    data = ("ronit_k", "Asia/Jerusalem", "repmon:system")
    body = re.sub(r"\{[^{}]*\}", " ", summary.split("<body>", 1)[1])
    assert untranslated(body, *data) == set()
    assert "חבילת ראיות" in summary and "עוקבים" in summary


def test_a_hebrew_evidence_summary_of_a_post_edited_on_the_platform_has_no_english_ui_string(
    store, make_mention, fake_classifier
):
    edits = ({"id": "e1", "text": "סליחה, טעיתי", "public_metrics": {}}, {"id": "e1", "text": HEBREW_POST})
    captures = [
        Capture(
            "x", "e1", RawPayload(json.dumps(obj, ensure_ascii=False).encode(), NOW + timedelta(minutes=n))
        )
        for n, obj in enumerate(edits, 1)
    ]
    summary = _evidence_summary(store, make_mention, fake_classifier, "he", captures)
    data = ("ronit_k", "Asia/Jerusalem", "repmon:system", "post/captures/", "post/capture.json")
    body = re.sub(r"\{[^{}]*\}", " ", summary.split("<body>", 1)[1])
    assert untranslated(body, *data) == set()
    assert "<h2>נערך ברשת</h2>" in summary and "שוב הנוסח שבלכידה הראשונה" in summary


# -- right to left, isolation, time zone ---------------------------------------------------------------


def test_hebrew_e_mails_and_summary_are_right_to_left_and_english_ones_left_to_right(
    store, make_mention, fake_classifier
):
    item = _item(store, make_mention)
    he_alert = parts(render_item_alert(item, "he", SENDER, "o@x.co.il", URL, NOW))[1]
    en_alert = parts(render_item_alert(item, "en", SENDER, "o@x.co.il", URL, NOW))[1]
    assert '<html lang="he" dir="rtl">' in he_alert and '<html lang="en" dir="ltr">' in en_alert
    assert '<blockquote dir="rtl"' in en_alert  # a Hebrew post keeps its own direction in English
    he_digest = parts(render_digest(sample(), "he", SENDER, "o@x.co.il"))[1]
    assert '<html dir="rtl" lang="he">' in he_digest and '<body dir="rtl"' in he_digest
    assert '<html lang="he" dir="rtl">' in _evidence_summary(store, make_mention, fake_classifier, "he")


def test_handles_links_and_numbers_inside_hebrew_sentences_are_isolated(store, make_mention, fake_classifier):
    item = _item(store, make_mention)
    alert = parts(render_item_alert(item, "he", SENDER, "o@x.co.il", URL, NOW))[1]
    assert '@<span dir="auto">' in alert  # the author's handle
    assert 'ויראליות <span dir="ltr">75</span>/100' in alert  # the number in the Hebrew sentence
    digest = parts(render_digest(sample(), "he", SENDER, "o@x.co.il"))[1]
    assert 'לעומת <span dir="ltr">31</span> ב-<span dir="ltr">21.11</span>' in digest
    assert '<span dir="ltr">2</span> פריטים פתוחים נמצאים בטיפול משפטי.' in digest
    assert '<span dir="ltr">@ronit_k</span>' in digest  # a handle in its own direction box
    assert '<a href="https://repmon.example.co.il/account" style="color:#1d5fa8;" dir="ltr">' in digest
    summary = _evidence_summary(store, make_mention, fake_classifier, "he")
    assert "(@<bdi>ronit_k</bdi>), 1200 עוקבים" in summary
    assert "<bdi>https://x.com/" in summary  # the link


def test_times_are_in_the_business_time_zone(store, make_mention, fake_classifier):
    hour = NOW.replace(minute=0)  # 12:00 UTC is 14:00 in Jerusalem in November
    spike = Spike(hour, hour + timedelta(hours=1), 24, 1.5, "negative")
    for language, when in (
        ("he", "20.11.2026 14:00 Asia/Jerusalem"),
        ("en", "2026-11-20 14:00 Asia/Jerusalem"),
    ):
        msg = render_spike_alert(spike, language, SENDER, "o@x.co.il", URL, NOW, TZ)
        assert when in str(msg["Subject"]) and when in parts(msg)[0]
    he = render_spike_alert(spike, "he", SENDER, "o@x.co.il", URL, NOW, TZ)
    assert str(he["Subject"]).startswith("התראת repmon: זינוק באזכורים שליליים: 24 בשעה")
    # the digest: made 06:00 UTC, 08:00 in Jerusalem; the day written in Hebrew
    text = parts(render_digest(sample(), "he", SENDER, "o@x.co.il"))[0]
    assert "הופק 23.11 08:00." in text and "יום ראשון, 22 בנובמבר 2026" in text
    assert "עבד לאחרונה לפני 3 שעות" in text  # a relative time, in Hebrew
    summary = _evidence_summary(store, make_mention, fake_classifier, "en")
    assert "2:00:00\u202fPM (<bdi>2026-11-20T12:00:00+00:00</bdi>)" in summary  # local, then exact UTC


# -- one language setting ------------------------------------------------------------------------------


def test_an_address_without_a_language_gets_its_users_else_repmon_ui_language(store, monkeypatch):
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "en")
    assert parse_recipients("a@x.co.il, b@y.com:he", "REPMON_DIGEST_RECIPIENTS") == [
        Recipient("a@x.co.il", "en"),
        Recipient("b@y.com", "he"),
    ]
    store.add_user("dana", "owner", "x", NOW)
    store.set_digest_prefs("dana", "Dana@example.co.il", "he", True, "repmon:admin", NOW)
    monkeypatch.setenv("REPMON_DIGEST_RECIPIENTS", "dana@example.co.il, cfo@example.com")
    monkeypatch.setenv("REPMON_ALERT_RECIPIENTS", "dana@example.co.il, legal@example.com:he, ops@example.com")
    assert digest_recipients(store) == [
        Recipient("dana@example.co.il", "he"),  # a user's address: the user's language
        Recipient("cfo@example.com", "en"),  # anyone else: REPMON_UI_LANGUAGE
    ]
    assert alert_recipients(store) == [
        Recipient("dana@example.co.il", "he"),
        Recipient("legal@example.com", "he"),  # written after the address: wins
        Recipient("ops@example.com", "en"),
    ]
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "he")
    assert parse_recipients("a@x.co.il", "REPMON_ALERT_RECIPIENTS") == [Recipient("a@x.co.il", "he")]


def test_alerts_to_owners_come_in_their_own_language(store, monkeypatch):
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "he")
    monkeypatch.delenv("REPMON_ALERT_RECIPIENTS", raising=False)
    monkeypatch.delenv("REPMON_DIGEST_RECIPIENTS", raising=False)
    store.add_user("sam", "owner", "x", NOW)
    store.set_digest_prefs("sam", "sam@example.com", "en", True, "repmon:admin", NOW)
    assert alert_recipients(store) == [Recipient("sam@example.com", "en")]


def test_an_evidence_bundle_is_summarised_in_the_exporting_users_language(
    store, make_mention, fake_classifier, monkeypatch
):
    from monitor.actions import export_evidence

    monkeypatch.setenv("REPMON_TIMEZONE", "Asia/Jerusalem")
    store.save_page("t", [make_mention(external_id="e2", text=HEBREW_POST)], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    item_id = next(q.id for q in store.queue(limit=100) if q.external_id == "e2")
    for name, language in (("sam", "en"), ("dana", "he")):
        store.add_user(name, "legal", "x", NOW)
        store.set_digest_prefs(name, None, language, False, "repmon:admin", NOW)
        _name, data, _digest = export_evidence(store, item_id, name, NOW)
        summary = zipfile.ZipFile(io.BytesIO(data)).read("summary.html").decode("utf-8")
        assert f'<html lang="{language}" dir="{i18n.direction(language)}">' in summary
        local = "2:00:00\u202fPM" if language == "en" else "14:00:00"  # 12:00 UTC, in Jerusalem time
        assert f"{local} (<bdi>2026-11-20T12:00:00+00:00</bdi>)" in summary


def test_the_digest_the_alert_and_the_summary_give_a_label_its_one_name(store, make_mention, fake_classifier):
    item = _item(store, make_mention, label="defamation")
    for language in ("he", "en"):
        name = i18n.label_name("defamation", language)
        alert = render_item_alert(item, language, SENDER, "o@x.co.il", URL, NOW)
        assert f"{name} " in str(alert["Subject"]) and name in parts(alert)[0]
        digest = parts(render_digest(sample(), language, SENDER, "o@x.co.il"))[0]
        assert f"- {name}: 1 / 0" in digest
    assert "האשמה" not in str(render_item_alert(item, "he", SENDER, "o@x.co.il", URL, NOW)["Subject"])


def test_one_direction_rule_and_one_span_format():
    assert [i18n.text_direction(t, lang) for t, lang in [("abc", "he"), ("שלום", "en"), ("x", "mixed")]] == [
        "rtl",
        "ltr",
        "rtl",
    ]
    assert i18n.text_direction("  123 שלום") == "rtl" and i18n.text_direction("@dan שלום") == "ltr"
    assert [
        i18n.format_span(s, "en") for s in (2700, 11 * 3600, 14 * 3600 + 300, -2700, 2 * 86400 + 4 * 3600)
    ] == [
        "45m",
        "11h00m",
        "14h05m",
        "-45m",
        "2d4h",
    ]
    assert i18n.format_span(14 * 3600 + 300, "he") == "14 שע׳ 05 דק׳"
    assert i18n.status_name("legal_review", "he") == "בבדיקה משפטית"
    assert i18n.status_name("legal_review", "en") == "legal review"
    assert i18n.status_name("made_up_state", "he") == "made up state"
