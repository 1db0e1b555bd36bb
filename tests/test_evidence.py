"""The evidence bundle: exact bytes, hashes in a manifest, shares and quotes, inert hostile text, RTL."""

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from conftest import NOW, ON_POSTGRESQL, add_users, open_store

from monitor import workflow
from monitor.cli import main
from monitor.pipeline import run_pass
from monitor.records import Capture, RawPayload, Share
from monitor.sources.x import parse_response, parse_retweeters

CASSETTES = Path(__file__).parent / "cassettes" / "test_x"


def body(name, index=0):
    doc = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    return doc["interactions"][index]["response"]["body"]["string"].encode("utf-8")


def test_bundle_holds_exact_bytes_shares_quotes_and_a_manifest(
    tmp_path, monkeypatch, capsys, fake_classifier
):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    page = parse_response(body("search_paginated_then_since"), NOW, "x-search")
    quotes = parse_response(body("quotes"), NOW, "x-quotes")
    shares, _ = parse_retweeters(body("quotes", 1), NOW, "1860000000000000002", "x-quotes")
    store.save_page("x-search", page.mentions, page.metrics, {}, NOW)
    store.save_page("x-quotes", quotes.mentions, quotes.metrics, {}, NOW, shares)
    run_pass(store, [], fake_classifier, NOW)
    item_id = next(q.id for q in store.queue() if q.external_id == "1860000000000000002")
    later = RawPayload(b'{"id": "1860000000000000002", "public_metrics": {"like_count": 900}}', NOW)
    store.save_page("x-metrics", [], [], None, NOW, (), [Capture("x", "1860000000000000002", later)])
    store.mark_deleted("x", ["1860000000000000002"], NOW)
    workflow.act(store, item_id, "escalate", "dana", NOW)
    add_users(store, **{"adv-miri": "legal"})

    assert main(["evidence", str(item_id), "--out", str(tmp_path / "out"), "--by", "adv-miri"]) == 0
    printed = capsys.readouterr()[0].strip()
    path = Path(printed.split(" (SHA-256 ")[0])
    data = path.read_bytes()
    assert printed.endswith(f"(SHA-256 {hashlib.sha256(data).hexdigest()})")
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    assert names == {
        "post/raw_payload.json",
        "post/capture.json",
        "metrics.csv",
        "thread.json",
        "shares.json",
        "versions.json",
        "audit.json",
        "summary.html",
        "manifest.json",
        "post/captures/001.json",
    }
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["files"] == {n: hashlib.sha256(zf.read(n)).hexdigest() for n in names - {"manifest.json"}}
    raw = zf.read("post/raw_payload.json")
    assert raw == page.mentions[1].raw.body
    capture = json.loads(zf.read("post/capture.json"))
    assert capture["sha256"] == hashlib.sha256(raw).hexdigest()
    assert capture["mention"]["deleted_at"] == NOW.isoformat()
    shared = json.loads(zf.read("shares.json"))
    assert [s["handle"] for s in shared["retweets"]] == ["noa_k", "yossi_b"]
    assert [q["external_id"] for q in shared["quotes"]] == ["1860000000000000020"]
    assert zf.read("metrics.csv").decode().splitlines()[0] == "at,likes,shares,replies,quotes,views"
    assert [a["action"] for a in json.loads(zf.read("audit.json"))] == ["escalate"]
    assert capture["later_captures"] == [
        {"file": "post/captures/001.json", "captured_at": NOW.isoformat(), "sha256": later.sha256}
    ]
    assert zf.read("post/captures/001.json") == later.body
    # the export itself is in the audit trail, with the bundle's hash
    assert store.item(item_id).audit[-1].detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert store.verify() == []


def test_summary_is_rtl_for_hebrew_and_hostile_text_is_inert(store, make_mention, fake_classifier):
    from monitor.evidence import render_bundle

    hostile = "אל תקנו שם, הם גונבים מהלקוחות ומשקרים לכולם <script>alert(1)</script><img src=x> complaint"
    store.save_page(
        "t", [make_mention(external_id="h1", text=hostile, author_name="<b>evil</b>")], [], {}, NOW
    )
    store.save_page("t", [], [], {}, NOW, [Share("x", "h1", "9", "<i>x</i>", "n", 1, "retweet", page_raw())])
    run_pass(store, [], fake_classifier, NOW)
    workflow.act(
        store, 1, "escalate", "<b>mallory</b>", NOW, note="<script>steal()</script> [x](javascript:y)"
    )
    zf = zipfile.ZipFile(io.BytesIO(render_bundle(store.evidence(1), NOW)))
    summary = zf.read("summary.html").decode()
    assert '<div class="post" dir="rtl">' in summary
    assert "<script>" not in summary and "<img" not in summary and "<b>evil" not in summary
    assert "&lt;script&gt;" in summary and "&lt;i&gt;x&lt;/i&gt;" in summary
    assert "<b>mallory" not in summary and "&lt;b&gt;mallory&lt;/b&gt;" in summary  # hostile notes stay inert
    assert "steal()</script>" not in summary


def page_raw():
    from monitor.records import RawPayload

    return RawPayload(body=b'{"id": "9"}', captured_at=NOW)


# -- the export is audited only once the file is safely written (issue 13 point 6) ----------------------


@pytest.fixture
def exportable(tmp_path, monkeypatch, make_mention, fake_classifier):
    """An item ready to export, the CLI pointed at its database; returns (store, item id)."""
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    store.save_page("t", [make_mention(external_id="1", text="they scam people defamation")], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, **{"adv-miri": "legal"})
    return store, store.queue()[0].id


def exports(store, item_id):
    return [e.detail for e in store.item(item_id).audit if e.action == "export_evidence"]


def test_two_exports_in_the_same_second_write_two_files_each_with_its_own_audit_row(
    exportable, tmp_path, capsys, monkeypatch
):
    import monitor.cli.common

    store, item_id = exportable
    monkeypatch.setattr(monitor.cli.common, "now", lambda: NOW)  # the same second, the same bytes
    out = tmp_path / "out"
    for _ in range(2):
        assert main(["evidence", str(item_id), "--out", str(out), "--by", "adv-miri"]) == 0
    files = sorted(out.iterdir(), key=lambda p: p.stat().st_ino)
    assert len(files) == 2 and files[0].name != files[1].name
    assert all(p.name.startswith(f"repmon-evidence-item-{item_id}-20261120T120000Z-") for p in files)
    rows = exports(store, item_id)
    assert sorted((r["file"], r["sha256"], r["to"]) for r in rows) == sorted(
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest(), str(p.resolve())) for p in files
    )
    assert store.verify() == []


def test_a_bundle_never_replaces_a_file_of_the_same_name(tmp_path):
    from monitor.actions import _write_new_file

    first = _write_new_file(tmp_path, "bundle.zip", b"one")
    second = _write_new_file(tmp_path, "bundle.zip", b"two")
    assert (first.name, first.read_bytes(), second.name, second.read_bytes()) == (
        "bundle.zip",
        b"one",
        "bundle-2.zip",
        b"two",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle-2.zip", "bundle.zip"]  # no temporary left


def test_an_out_that_is_a_file_is_a_clear_error_and_nothing_is_recorded(exportable, tmp_path, capsys):
    store, item_id = exportable
    target = tmp_path / "a-file.zip"
    target.write_bytes(b"keep me")
    assert main(["evidence", str(item_id), "--out", str(target), "--by", "adv-miri"]) == 2
    assert capsys.readouterr().err == (
        f"repmon: --out {target} is a file, not a folder: give --out a folder for the evidence ZIP; "
        "nothing was exported or recorded\n"
    )
    assert target.read_bytes() == b"keep me"
    assert exports(store, item_id) == []


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nothing can be written to: a read-only tmpfs as root, else a folder without write bits."""
    import os
    import shutil
    import subprocess

    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        if not shutil.which("mount"):
            pytest.skip("root ignores permissions and there is no mount to make a read-only disk")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "repmon-ro", str(folder)],
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode:
            pytest.skip(f"cannot mount a read-only tmpfs here: {done.stderr.strip()}")
        yield folder
        subprocess.run(["umount", "-l", str(folder)], check=False)
        return
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_a_read_only_out_is_a_clear_error_and_nothing_is_recorded(exportable, read_only_dir, capsys):
    store, item_id = exportable
    assert main(["evidence", str(item_id), "--out", str(read_only_dir), "--by", "adv-miri"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"repmon: cannot write the evidence bundle to {read_only_dir} (")
    assert err.endswith("): give --out a writable folder; nothing was exported or recorded\n")
    assert list(read_only_dir.iterdir()) == []
    assert exports(store, item_id) == []


def test_a_failed_audit_removes_the_written_file(exportable, tmp_path, monkeypatch):
    from monitor.actions import write_evidence
    from monitor.errors import StorageError

    store, item_id = exportable

    def refuse(*args, **kwargs):
        raise StorageError("database is locked")

    monkeypatch.setattr(store, "record_event", refuse)
    with pytest.raises(StorageError):
        write_evidence(store, item_id, "adv-miri", NOW, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_summary_isolates_and_flags_hostile_handles_names_and_links(store, make_mention, fake_classifier):
    from monitor.evidence import render_bundle

    rlo, esc = "\u202e", "\x1b"
    store.save_page(
        "t",
        [
            make_mention(
                external_id="h2",
                author_handle=f"evil{rlo}",
                author_name=f"Mallory\r\n{esc}[2J",
                author_followers=500000,
                url=f"https://x.com/{rlo}moc.live/status/h2",
                text="they lie defamation",
            )
        ],
        [],
        {},
        NOW,
    )
    store.save_page(
        "t", [], [], {}, NOW, [Share("x", "h2", "9", f"shar{rlo}er", "n", 1, "retweet", page_raw())]
    )
    run_pass(store, [], fake_classifier, NOW)
    files = {}
    zf = zipfile.ZipFile(io.BytesIO(render_bundle(store.evidence(1), NOW)))
    files = {name: zf.read(name) for name in zf.namelist()}
    summary = files["summary.html"].decode()
    assert not set(summary) & {rlo, esc, "\r"}
    # each name sits in its own isolate, so the follower count after it keeps its order
    assert (
        "<bdi>Mallory⟨U+000D⟩⟨U+000A⟩⟨U+001B⟩[2J</bdi> (@<bdi>evil⟨U+202E⟩</bdi>), 500000 followers"
        in summary
    )
    assert "<bdi>https://x.com/⟨U+202E⟩moc.live/status/h2</bdi>" in summary
    assert "<li>@<bdi>shar⟨U+202E⟩er</bdi> (1 follower)" in summary  # plural forms from the catalogue
    assert "&lt;li&gt;" not in summary  # each one is an item of the list, not text showing its tag
    assert "hidden direction or control characters: RLO (handle), CR, LF, ESC (name), RLO (link)" in summary
    # the raw payload and the capture record keep the exact bytes and text
    assert json.loads(files["post/capture.json"])["mention"]["author"] == f"evil{rlo}"


def test_summary_keeps_the_posts_hidden_characters_and_says_so(store, make_mention, fake_classifier):
    """The post is shown as captured, so an override reverses it on the lawyer's screen and a zero-width
    space splits a word unseen: the summary's table says so, in the exporter's language, as the item page
    does; the capture keeps the text exactly."""
    from monitor.evidence import render_bundle

    text = "they lie defamation \u202etxet desrever\u202c fam\u200bily"
    plain = "they lie defamation"
    store.save_page(
        "t",
        [make_mention(external_id="h3", text=text), make_mention(external_id="h4", text=plain)],
        [],
        {},
        NOW,
    )
    run_pass(store, [], fake_classifier, NOW)
    ids = {q.external_id: q.id for q in store.queue(limit=10)}

    def files(item_id, language="en"):
        zf = zipfile.ZipFile(io.BytesIO(render_bundle(store.evidence(item_id), NOW, language)))
        return {name: zf.read(name) for name in zf.namelist()}

    hostile = files(ids["h3"])
    summary = hostile["summary.html"].decode()
    assert f'<div class="post" dir="ltr">{text}</div>' in summary  # as captured
    assert (
        "<tr><th>Invisible characters in the post</th><td>This post contains invisible characters that "
        "change how it displays: RLO, PDF, ZWSP</td></tr>" in summary
    )
    assert json.loads(hostile["post/capture.json"])["mention"]["text"] == text
    hebrew = files(ids["h3"], "he")["summary.html"].decode()
    assert "בפוסט יש תווים נסתרים שמשנים את אופן התצוגה שלו: RLO, PDF, ZWSP" in hebrew
    assert "<tr><th>Invisible characters in the post</th><td>none</td></tr>" in (
        files(ids["h4"])["summary.html"].decode()
    )


def test_the_summary_lists_each_version_edited_on_the_platform_with_its_capture_time(
    store, make_mention, fake_classifier
):
    """A Facebook comment re-read six times: white space only, an edit (hostile, in Hebrew), the same edit
    with new counters, a counters-only read, the first text again, another edit. The summary lists the
    three changes, each with its capture time and SHA-256, the texts inert; an unedited post has no such
    section."""
    from monitor.evidence import render_bundle

    first = "You are thieves and liars, defamation"
    edit = "סתם טעות שלי, סליחה <script>alert(1)</script> \u202eevil"
    later = [
        {"id": "9_1", "message": "You are thieves and liars,\ndefamation ", "like_count": 1},
        {"id": "9_1", "message": edit, "like_count": 2},
        {"id": "9_1", "message": edit, "like_count": 3},
        {"id": "9_1", "like_count": 4},
        {"id": "9_1", "message": first, "like_count": 5},
        {"id": "9_1", "message": "You were slow to answer", "like_count": 6},
    ]
    raw = json.dumps({"id": "9_1", "message": first}).encode()
    mentions = [
        make_mention(platform="facebook", external_id="9_1", text=first, body=raw),
        make_mention(platform="facebook", external_id="9_2", text="they lie, defamation"),
    ]
    store.save_page("t", mentions, [], {}, NOW)
    captures = [
        Capture("facebook", "9_1", RawPayload(json.dumps(obj, ensure_ascii=False).encode(), at))
        for at, obj in ((NOW + timedelta(minutes=n), obj) for n, obj in enumerate(later, 1))
    ]
    captures.append(
        Capture("facebook", "9_2", RawPayload(b'{"id": "9_2", "message": "they lie, defamation"}', NOW))
    )
    store.save_page("facebook-metrics", [], [], None, NOW, (), captures)
    run_pass(store, [], fake_classifier, NOW)
    ids = {q.external_id: q.id for q in store.queue(limit=10)}

    def section(item_id, language="en"):
        zf = zipfile.ZipFile(io.BytesIO(render_bundle(store.evidence(item_id), NOW, language)))
        summary = zf.read("summary.html").decode()
        found = re.findall(r"<h2>([^<]*)</h2><p>[^<]*</p><ul>(.*?)</ul>", summary, re.DOTALL)
        return summary, found

    summary, [(heading, versions)] = section(ids["9_1"])
    assert heading == "Edited on the platform"
    items = re.findall(r"<li>(.*?)</li>", versions, re.DOTALL)
    times = [(NOW + timedelta(minutes=n)).isoformat() for n in (2, 5, 6)]
    hashes = [captures[n].raw.sha256 for n in (1, 4, 5)]
    assert [re.findall(r"<bdi>([^<]*)</bdi>", li)[:2] for li in items] == [
        list(p) for p in zip(times, hashes)
    ]
    scores = "(Complaint 90%, Praise 5%, Neutral 5%, Defamation 5%, Boycott call 5%)"
    assert items[0].endswith(
        '<div class="post" dir="rtl">סתם טעות שלי, סליחה &lt;script&gt;alert(1)&lt;/script&gt; \u202eevil'
        "</div>"
        "<p><strong>This post contains invisible characters that change how it displays: RLO</strong></p>"
        f"<p>Classification of this version: Complaint {scores}</p>"
    )
    assert items[1].endswith(": the first capture&#39;s text again.")
    assert items[2].endswith(
        '<div class="post" dir="ltr">You were slow to answer</div>'
        f"<p>Classification of this version: Complaint {scores}</p>"
    )
    # the first text (an accusation) stays the version the item follows: the edits are milder
    assert "<tr><th>Label and triage follow</th><td>the text as first captured</td></tr>" in summary
    assert "<script>" not in summary
    hebrew, [(heading, _)] = section(ids["9_1"], "he")
    assert heading == "נערך ברשת" and '<html lang="he" dir="rtl">' in hebrew
    assert section(ids["9_2"])[1] == []  # re-read, its text unchanged


def quote_body(ext: str, quoted: str) -> bytes:
    return json.dumps(
        {"id": ext, "text": "look at this", "referenced_tweets": [{"type": "quoted", "id": quoted}]}
    ).encode()


def test_every_quote_is_in_the_evidence_however_many_posts_came_between(store, make_mention, fake_classifier):
    """Quotes are found by an index on the quoted post's id. The old lookup scanned the first 20,000
    later payloads and stopped there without a word: a quote stored after them was left out."""
    later = NOW - timedelta(minutes=30)
    store.save_page("t", [make_mention(external_id="1", text="they scam people defamation")], [], {}, NOW)
    filler = [make_mention(external_id=str(10_000 + i), created_at=later) for i in range(20_050)]
    store.save_page("t", filler, [], {}, NOW)
    quote = make_mention(
        external_id="99999",
        created_at=later,
        text="look at this",
        quoted_id="1",
        body=quote_body("99999", "1"),
    )
    store.save_page("t", [quote], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    item_id = next(i.id for i in store.queue(limit=100_000) if i.external_id == "1")
    assert [q["external_id"] for q in store.evidence(item_id)["quotes"]] == ["99999"]


@pytest.mark.skipif(ON_POSTGRESQL, reason="downgrades a SQLite file in place")
def test_the_upgrade_finds_the_quotes_already_stored(tmp_path, make_mention, fake_classifier):
    from alembic import command
    from alembic.config import Config

    from monitor.storage.store import MIGRATIONS

    data = tmp_path / "data"
    store = open_store(data)
    store.save_page("t", [make_mention(external_id="1", text="they scam people defamation")], [], {}, NOW)
    store.save_page(
        "t",
        [make_mention(external_id="7", text="look at this", quoted_id="1", body=quote_body("7", "1"))],
        [],
        {},
        NOW,
    )
    run_pass(store, [], fake_classifier, NOW)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")  # the column is gone: stored as the code before it wrote it
    store.engine.dispose()
    upgraded = open_store(data)
    item_id = next(i.id for i in upgraded.queue() if i.external_id == "1")
    assert [q["external_id"] for q in upgraded.evidence(item_id)["quotes"]] == ["7"]
    assert upgraded.verify() == []


def test_an_item_triaged_on_an_edit_says_so_in_its_bundle_and_lists_each_versions_label(
    store, make_mention, fake_classifier
):
    """A complaint edited into an accusation, then edited again (not yet classified at export): the
    summary says the label and triage follow the accusation and lists each edit's classification, and
    capture.json holds every edit with its classification."""
    from monitor.evidence import render_bundle

    first, accusation, later = "cold coffee, complaint", "they are thieves, defamation", "they lie, boycott"
    raw = json.dumps({"id": "9_1", "message": first}).encode()
    store.save_page(
        "t", [make_mention(platform="facebook", external_id="9_1", text=first, body=raw)], [], {}, NOW
    )
    run_pass(store, [], fake_classifier, NOW)

    def recapture(message, minutes):
        obj = {"id": "9_1", "message": message, "like_count": minutes}
        at = NOW + timedelta(minutes=minutes)
        store.save_page(
            "fb",
            [],
            [],
            None,
            NOW,
            (),
            [Capture("facebook", "9_1", RawPayload(json.dumps(obj).encode(), at))],
        )

    recapture(accusation, 1)
    run_pass(store, [], fake_classifier, NOW + timedelta(minutes=5))
    recapture(later, 10)
    [item] = store.queue()
    zf = zipfile.ZipFile(io.BytesIO(render_bundle(store.evidence(item.id), NOW + timedelta(minutes=11))))
    summary = zf.read("summary.html").decode()
    follows = re.search(r"<tr><th>Label and triage follow</th><td>(.*?)</td></tr>", summary).group(1)
    assert follows == (
        "the version edited on the platform, captured Nov 20, 2026, 12:01:00\u202fPM "
        "(<bdi>2026-11-20T12:01:00+00:00</bdi>)"
    )
    labels = re.findall(r"<p>Classification of this version: ([^<]*)</p>", summary)
    assert labels == [
        "Defamation (Defamation 90%, Praise 5%, Neutral 5%, Complaint 5%, Boycott call 5%)",
        "not classified yet",
    ]
    capture = json.loads(zf.read("post/capture.json"))
    [edit] = capture["edits"]  # the later edit is listed once a pass has read it
    assert (edit["text"], edit["classification"]["label"], edit["classification"]["model_version"]) == (
        accusation,
        "defamation",
        "fake-1",
    )
    assert edit["classification"]["scores"]["defamation"] == 0.9


def test_the_bundle_of_a_post_edited_on_x_names_its_other_versions_and_their_items(store, fake_classifier):
    """An edit on X is a post with its own id and item: each bundle lists the other version (in
    versions.json and in the summary, its text inert, with its item number), and both stay queued."""
    from monitor.evidence import render_bundle

    first, edit = "1860000000000000100", "1860000000000000200"
    posts = [
        {"id": first, "text": "the coffee was cold", "edit_history_tweet_ids": [first]},
        {
            "id": edit,
            "text": "they steal <b>defamation</b> \u202eevil",
            "edit_history_tweet_ids": [first, edit],
        },
    ]
    parsed = parse_response(json.dumps({"data": posts}).encode(), NOW, "x-search")
    store.save_page("x-search", parsed.mentions, parsed.metrics, {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    items = {q.external_id: q.id for q in store.queue()}
    assert set(items) == {first, edit}

    ev = store.evidence(items[first])
    assert [(v["external_id"], v["text"], v["item_id"]) for v in ev["versions"]] == [
        (edit, posts[1]["text"], items[edit])
    ]
    zf = zipfile.ZipFile(io.BytesIO(render_bundle(ev, NOW)))
    assert [v["external_id"] for v in json.loads(zf.read("versions.json"))] == [edit]
    summary = zf.read("summary.html").decode()
    assert "Edited on X: other versions of this post" in summary
    assert "<li>Posted " in summary and f"item <bdi>{items[edit]}</bdi>" in summary
    assert "<b>defamation" not in summary and "&lt;b&gt;defamation&lt;/b&gt;" in summary
    assert "\u202e" not in summary

    back = store.evidence(items[edit])
    assert [(v["external_id"], v["item_id"]) for v in back["versions"]] == [(first, items[first])]
    he = zipfile.ZipFile(io.BytesIO(render_bundle(back, NOW, "he"))).read("summary.html").decode()
    assert "נערך ב-X: גרסאות אחרות של הפוסט הזה" in he and "Edited on X" not in he
