"""`repmon import`: saved API responses through the same parsers, idempotent, bad files named."""

import json
from pathlib import Path

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
    assert "not a x API response" in summary["failed"][2]
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
