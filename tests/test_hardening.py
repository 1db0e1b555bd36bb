"""Issue 13, point 8 and 9: the X read budget, the dashboard's child process, concurrent `repmon init`,
the digest's addresses, and what the dashboard serves."""

from __future__ import annotations

from pathlib import Path

import vcr
from conftest import NOW, FakeClassifier

import monitor.cli
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
    monkeypatch.setattr(monitor.cli, "_classifier", FakeClassifier)
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
