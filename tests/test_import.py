"""`repmon import`: saved API responses through the same parsers, idempotent, bad files named."""

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from monitor.cli import main

CASSETTES = Path(__file__).parent / "cassettes" / "test_x"


def body(name, index=0):
    doc = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    return doc["interactions"][index]["response"]["body"]["string"].encode("utf-8")


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    out = {}
    for name, content in {
        "page1.json": body("search_paginated_then_since"),
        "page2.json": body("search_paginated_then_since", 1),
        "error.json": body("unauthorized"),
        "truncated.json": body("truncated"),
        "facebook.json": b'{"data": [{"id": "1_2", "message": "hi", '
        b'"created_time": "2026-11-20T10:00:00+0000"}]}',
    }.items():
        (tmp_path / name).write_bytes(content)
        out[name] = str(tmp_path / name)
    return out


def test_import_is_idempotent_and_reports_bad_files_by_name(files, capsys):
    code = main(
        [
            "import",
            "--platform",
            "x",
            "--defer",
            files["page1.json"],
            files["error.json"],
            files["truncated.json"],
            files["facebook.json"],
            files["page2.json"],
        ]
    )
    out, _ = capsys.readouterr()
    summary = json.loads(out)
    assert code == 1
    assert (summary["new_mentions"], summary["files"]) == (3, 5)
    assert [f.split(": ")[0] for f in summary["failed"]] == [
        files["error.json"],
        files["truncated.json"],
        files["facebook.json"],
    ]
    assert "an X API error response: Unauthorized" in summary["failed"][0]
    assert "not JSON" in summary["failed"][1]
    assert summary["failed"][2].startswith(f"{files['facebook.json']}: not an X API response: ")
    assert "classified" not in summary  # --defer leaves classification to workers
    code = main(["import", "--platform", "x", "--defer", files["page1.json"], files["page2.json"]])
    again = json.loads(capsys.readouterr()[0])
    assert (code, again["new_mentions"], again["failed"]) == (0, 0, [])


@pytest.mark.slow
def test_import_classifies_and_queues_without_defer(files, capsys):
    code = main(["import", "--platform", "x", files["page1.json"]])
    summary = json.loads(capsys.readouterr()[0])
    assert (code, summary["new_mentions"], summary["classified"], summary["triaged"]) == (0, 2, 2, 2)
    main(["queue", "--json"])
    items = [json.loads(line) for line in capsys.readouterr()[0].splitlines()]
    assert {i["external_id"] for i in items} == {"1860000000000000003", "1860000000000000002"}
    assert all(i["platform"] == "x" and not i["demo"] for i in items)


def test_import_facebook_responses_and_refuse_them_as_x(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    doc = yaml.safe_load(
        (Path(__file__).parent / "cassettes" / "test_facebook" / "feed_comments_since.yaml").read_text(
            "utf-8"
        )
    )
    feed = tmp_path / "feed.json"
    feed.write_text(doc["interactions"][0]["response"]["body"]["string"], encoding="utf-8")
    assert main(["import", "--platform", "facebook", "--defer", str(feed)]) == 0
    first = json.loads(capsys.readouterr()[0])
    assert first["new_mentions"] > 0 and first["failed"] == []
    assert main(["import", "--platform", "facebook", "--defer", str(feed)]) == 0
    assert json.loads(capsys.readouterr()[0])["new_mentions"] == 0
    assert main(["import", "--platform", "x", "--defer", str(feed)]) == 1
    assert "use --platform facebook" in json.loads(capsys.readouterr()[0])["failed"][0]


# -- issue 13: one truth per post, nothing skipped silently, bounded input -------------------------------

SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake_time(tweet_id):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(((int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, UTC)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def run_import(capsys, *argv):
    code = main(["import", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def open_store(tmp_path):
    from conftest import open_store as open_test_store

    return open_test_store(tmp_path / "data")


# Two "data" keys: a JSON parser keeps the last, a raw-bytes scan finds the first.
TWO_DATA = (
    '{"data": [{"id": "1860000000000000001", "text": "post A: the coffee was cold", '
    '"created_at": "2026-11-20T10:00:00.000Z", "author_id": "7"}], '
    '"data": [{"id": "1860000000000000002", "text": "post B: they are thieves", '
    '"created_at": "2026-11-20T10:00:00.000Z", "author_id": "7"}], "meta": {"result_count": 1}}'
)
TWO_TEXTS = (
    '{"data": [{"id": "1860000000000000001", "text": "post A: the coffee was cold", '
    '"text": "post B: they are thieves", "created_at": "2026-11-20T10:00:00.000Z"}], '
    '"meta": {"result_count": 1}}'
)
TWO_FB_DATA = (
    '{"data": [{"id": "1_2", "message": "post A", "created_time": "2026-11-20T10:00:00+0000"}], '
    '"data": [{"id": "1_3", "message": "post B", "created_time": "2026-11-20T10:00:00+0000"}]}'
)


@pytest.mark.parametrize(
    ("platform", "content", "key"),
    [("x", TWO_DATA, "data"), ("x", TWO_TEXTS, "text"), ("facebook", TWO_FB_DATA, "data")],
)
def test_a_response_with_a_duplicated_key_is_refused_by_file_and_key(
    tmp_path, monkeypatch, capsys, platform, content, key
):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    path = write(tmp_path, "dup.json", content)
    code, summary, err = run_import(capsys, "--platform", platform, "--defer", path)
    assert (code, summary["new_mentions"]) == (1, 0)
    [reason] = summary["failed"]
    assert reason.startswith(f"{path}: ") and f"the key {key!r} appears twice" in reason
    api = {"x": "an X", "facebook": "a Facebook"}[platform]  # not "a x", not "a facebook"
    assert reason.startswith(f"{path}: not {api} API response: ")
    assert reason in err
    assert open_store(tmp_path).counts().mentions == 0


DEFAULT_FIELDS = {  # X API v2 search with no tweet.fields and no expansions: id, text, edit history
    "data": [
        {"id": "1860000000000000003", "text": "@CafeLimonIL the coffee was cold again",
         "edit_history_tweet_ids": ["1860000000000000003"]},
        {"id": "1850000000000000000", "text": "@CafeLimonIL קר ומר",
         "edit_history_tweet_ids": ["1850000000000000000"]},
    ],
    "meta": {"newest_id": "1860000000000000003", "oldest_id": "1850000000000000000", "result_count": 2},
}  # fmt: skip


def test_default_field_x_posts_are_stored_with_their_id_time_and_an_unknown_author(
    tmp_path, monkeypatch, capsys, fake_classifier
):
    from conftest import NOW

    from monitor.cli import render_queue
    from monitor.email.digest import collect_digest, render_digest
    from monitor.evidence import render_bundle
    from monitor.pipeline import classify_new, triage_open

    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    path = write(tmp_path, "default.json", json.dumps(DEFAULT_FIELDS, ensure_ascii=False))
    code, summary, err = run_import(capsys, "--platform", "x", "--defer", path)
    assert (code, summary["new_mentions"], summary["skipped"], summary["failed"], err) == (0, 2, 0, [], "")
    store = open_store(tmp_path)
    classify_new(store, fake_classifier.predict, fake_classifier.model_version, NOW)
    triage_open(store, fake_classifier.model_version, NOW)
    items = {q.external_id: q for q in store.queue(limit=10)}
    assert {k: (q.created_at, q.author, q.url) for k, q in items.items()} == {
        tid: (snowflake_time(tid), "unknown", f"https://x.com/i/status/{tid}")
        for tid in ("1860000000000000003", "1850000000000000000")
    }
    assert items["1860000000000000003"].created_at.isoformat() == "2024-11-22T16:38:51.785000+00:00"
    # the queue, the evidence bundle and the digest all show a post whose author is unknown
    assert "@unknown" in render_queue(list(items.values()), NOW)
    bundle = zipfile.ZipFile(io.BytesIO(render_bundle(store.evidence(items["1860000000000000003"].id), NOW)))
    assert "<bdi>(unknown author)</bdi> (@<bdi>unknown</bdi>)" in bundle.read("summary.html").decode("utf-8")
    digest = collect_digest(store, NOW + timedelta(hours=1), ZoneInfo("Asia/Jerusalem"), "https://r.example")
    render_digest(digest, "he", "repmon <a@repmon.test>", "owner@example.co.il")
    evidence = store.evidence(items["1860000000000000003"].id)["mention"]
    assert (evidence["author"], evidence["author_name"]) == ("unknown", "(unknown author)")


BAD_X_PAGE = {
    "data": [
        {"id": "18600000000000000x1", "text": "bad id", "created_at": "2026-11-20T10:00:00.000Z"},
        {"id": "1860000000000000002", "text": "bad date", "created_at": "yesterday"},
        {"id": "1860000000000000003", "text": "bad metrics", "created_at": "2026-11-20T10:00:00.000Z",
         "public_metrics": {"like_count": -1}},
        "not an object",
        {"id": "1860000000000000005", "text": "a good one", "created_at": "2026-11-20T10:00:00.000Z"},
    ],
    "meta": {"result_count": 5},
}  # fmt: skip


def test_every_skipped_post_is_reported_by_file_item_id_and_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    path = write(tmp_path, "bad.json", json.dumps(BAD_X_PAGE))
    fb = write(
        tmp_path,
        "fb.json",
        json.dumps({"data": [{"id": "1_2", "message": "no time"},
                             {"id": "1_3", "message": "ok", "created_time": "2026-11-20T10:00:00+0000"}]}),
    )  # fmt: skip
    code, summary, err = run_import(capsys, "--platform", "x", "--defer", path)
    assert (code, summary["new_mentions"], summary["skipped"], summary["failed"]) == (1, 1, 4, [])
    assert summary["skipped_items"] == [
        {"file": path, "item": 1, "id": None, "reason": "id '18600000000000000x1' is not a tweet id"},
        {"file": path, "item": 2, "id": "1860000000000000002",
         "reason": "created_at 'yesterday' is not a timestamp"},
        {"file": path, "item": 3, "id": "1860000000000000003",
         "reason": "public_metrics.like_count -1 is not a count"},
        {"file": path, "item": 4, "id": None, "reason": "a tweet is not a JSON object"},
    ]  # fmt: skip
    assert err.splitlines() == [
        f"repmon: {path}: skipped tweet #1: id '18600000000000000x1' is not a tweet id",
        f"repmon: {path}: skipped tweet #2 (id 1860000000000000002): "
        "created_at 'yesterday' is not a timestamp",
        f"repmon: {path}: skipped tweet #3 (id 1860000000000000003): "
        "public_metrics.like_count -1 is not a count",
        f"repmon: {path}: skipped tweet #4: a tweet is not a JSON object",
        "repmon: 4 items skipped in 1 file; the rest were imported",
    ]
    code, summary, _ = run_import(capsys, "--platform", "facebook", "--defer", fb)
    assert (code, summary["new_mentions"], summary["skipped"]) == (1, 1, 1)
    assert summary["skipped_items"] == [
        {"file": fb, "item": 1, "id": "1_2", "reason": "created_time None is not a timestamp"}
    ]
    # `repmon status` shows what the last import skipped
    assert main(["status"]) == 0
    out = capsys.readouterr()[0]
    assert "import-facebook partial: 1 new, 0 classified, 0 triaged, 1 skipped" in out
    assert f"skipped: {fb}: item #1 (id 1_2): created_time None is not a timestamp" in out


def test_a_mention_the_store_refuses_is_counted_as_skipped(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    page = {"data": [{"id": "1860000000000000001", "text": "x" * 100_001,
                      "created_at": "2026-11-20T10:00:00.000Z"}]}  # fmt: skip
    path = write(tmp_path, "long.json", json.dumps(page))
    code, summary, _ = run_import(capsys, "--platform", "x", "--defer", path)
    assert (code, summary["new_mentions"], summary["skipped"]) == (1, 0, 1)
    assert summary["skipped_items"] == [
        {"file": path, "item": 1, "id": "1860000000000000001",
         "reason": "text is longer than 100,000 characters"}
    ]  # fmt: skip


def test_absurd_times_ids_and_counters_are_skipped_by_name_not_a_traceback(tmp_path, monkeypatch, capsys):
    # each once overflowed (a time past year 1 or 9999, a Snowflake from after 9999, a counter no
    # INTEGER column holds) and ended the import with a traceback, losing the good post beside them
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    huge = 10**23
    page = {"data": [
        {"id": "1860000000000000001", "text": "a", "created_at": "0001-01-01T00:00:00+01:00"},
        {"id": "9" * 30, "text": "b"},
        {"id": "1860000000000000003", "text": "c", "public_metrics": {"like_count": huge}},
        {"id": "1860000000000000004", "text": "d", "public_metrics": {"impression_count": huge}},
        {"id": "1860000000000000005", "text": "good", "created_at": "2026-11-20T10:00:00.000Z"},
    ]}  # fmt: skip
    fb_page = {"data": [
        {"id": "1_2", "message": "e", "created_time": "9999-12-31T23:00:00-0500"},
        {"id": "1_3", "message": "f", "created_time": "2026-11-20T10:00:00+0000",
         "reactions": {"summary": {"total_count": huge}}},
        {"id": "1_4", "message": "good", "created_time": "2026-11-20T10:00:00+0000"},
    ]}  # fmt: skip
    path = write(tmp_path, "absurd.json", json.dumps(page))
    fb = write(tmp_path, "fb.json", json.dumps(fb_page))
    code, summary, err = run_import(capsys, "--platform", "x", "--defer", path)
    assert (code, summary["new_mentions"], summary["skipped"]) == (1, 1, 4)
    assert [(s["item"], s["reason"]) for s in summary["skipped_items"]] == [
        (1, "created_at '0001-01-01T00:00:00+01:00' is not a timestamp"),
        (2, f"created_at is missing and id {'9' * 30} is too large to be an X id with a time in it"),
        (3, f"public_metrics.like_count {huge} is not a count"),
        (4, f"public_metrics.impression_count {huge} is not a count"),
    ]
    code, summary, err2 = run_import(capsys, "--platform", "facebook", "--defer", fb)
    assert (code, summary["new_mentions"], summary["skipped"]) == (1, 1, 2)
    assert [(s["item"], s["reason"]) for s in summary["skipped_items"]] == [
        (1, "created_time '9999-12-31T23:00:00-0500' is not a timestamp"),
        (2, f"reactions.summary.total_count {huge} is not a count"),
    ]
    assert "Traceback" not in err + err2


def test_a_response_saved_with_a_bom_or_in_utf16_is_refused_with_what_to_do(tmp_path, monkeypatch, capsys):
    # they were refused as "expected a JSON object" and "truncated or malformed JSON (... byte 0xff ...)"
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    page = json.dumps({"data": [{"id": "1860000000000000001", "text": "hi"}]})
    bom = write(tmp_path, "bom.json", b"\xef\xbb\xbf" + page.encode("utf-8"))
    utf16 = write(tmp_path, "utf16.json", page.encode("utf-16"))
    code, summary, _ = run_import(capsys, "--platform", "x", "--defer", bom, utf16)
    fix = "the platforms send UTF-8 without a byte-order mark: save the response as UTF-8 without a BOM"
    assert (code, summary["failed"]) == (1, [
        f"{bom}: not an X API response: source 'import-x': starts with a UTF-8 byte-order mark; {fix}",
        f"{utf16}: not an X API response: source 'import-x': truncated or malformed JSON (it is utf-16 "
        f"text; {fix})",
    ])  # fmt: skip


def test_bounded_input_one_bad_file_never_stops_the_next(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPMON_MAX_INPUT_BYTES", "300000")
    deep = write(tmp_path, "deep.json", '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}")
    nested = write(tmp_path, "nested.json", '{"data": [], "meta": ' + '{"a": ' * 200 + "1" + "}" * 201)
    big = write(tmp_path, "big.json", b" " * 300_001)
    good = write(tmp_path, "good.json", json.dumps({"data": BAD_X_PAGE["data"][4:]}))
    code, summary, err = run_import(
        capsys, "--platform", "x", "--defer", deep, "/dev/zero", nested, big, good
    )
    assert (code, summary["files"], summary["new_mentions"]) == (1, 5, 1)
    assert summary["failed"] == [
        f"{deep}: not an X API response: source 'import-x': nested more than 100 levels deep: "
        "not a platform response",
        "/dev/zero: larger than 300,000 bytes (REPMON_MAX_INPUT_BYTES): split it or raise the limit",
        f"{nested}: not an X API response: source 'import-x': nested more than 100 levels deep: "
        "not a platform response",
        f"{big}: larger than 300,000 bytes (REPMON_MAX_INPUT_BYTES): split it or raise the limit",
    ]
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_a_bad_input_size_limit_is_named(tmp_path, monkeypatch, capsys, value):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPMON_MAX_INPUT_BYTES", value)
    path = write(tmp_path, "default.json", json.dumps(DEFAULT_FIELDS))
    assert main(["import", "--platform", "x", "--defer", path]) == 2
    err = capsys.readouterr()[1]
    # The start-up settings check names the setting, its value, where it came from and what is allowed.
    assert f"REPMON_MAX_INPUT_BYTES={value!r} (environment)" in err
    assert "allowed: a whole number from 1 to" in err
    assert "Traceback" not in err
