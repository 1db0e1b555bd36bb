"""Sources from settings, tokens from the environment or a secrets file only, and the refresh schedule."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import open_store

from monitor.cli import main
from monitor.errors import ConfigError
from monitor.settings import SETTINGS, current
from monitor.sources.refresh import refresh_due, refresh_interval
from monitor.stored import OpenMention
from monitor.wiring import build_sources, wanted_sources

TOKEN = "sekret-token-value"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for s in SETTINGS:
        monkeypatch.delenv(s.name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_auto_is_the_demo_without_credentials():
    assert wanted_sources() == ["demo"]


def test_auto_picks_every_complete_platform(monkeypatch, store):
    monkeypatch.setenv("REPMON_X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("REPMON_X_QUERY", "cafe")
    assert wanted_sources() == ["x-search", "x-metrics"]
    monkeypatch.setenv("REPMON_X_ACCOUNT_ID", "42")
    monkeypatch.setenv("REPMON_X_WATCH_QUOTES", "true")
    assert wanted_sources() == ["x-mentions", "x-search", "x-quotes", "x-metrics"]
    assert [s.name for s in build_sources(store)] == ["x-mentions", "x-search", "x-quotes", "x-metrics"]


def test_explicit_sources_and_missing_settings_are_clear(monkeypatch, store):
    monkeypatch.setenv("REPMON_SOURCES", "x-search,nope")
    with pytest.raises(ConfigError, match="unknown source"):
        wanted_sources()
    monkeypatch.setenv("REPMON_SOURCES", "x-search")
    with pytest.raises(ConfigError, match="need REPMON_X_BEARER_TOKEN"):
        build_sources(store)
    monkeypatch.setenv("REPMON_X_BEARER_TOKEN", TOKEN)
    with pytest.raises(ConfigError, match="needs REPMON_X_QUERY"):
        build_sources(store)


def test_tokens_come_from_env_or_secrets_file_never_the_config_file(monkeypatch, tmp_path, capsys):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'x_bearer_token = "{TOKEN}"\n')
    secrets.chmod(0o600)  # a secrets file others may read is refused (tests/test_settings.py)
    monkeypatch.setenv("REPMON_SECRETS_FILE", str(secrets))
    assert current().x_bearer_token.get_secret_value() == TOKEN
    monkeypatch.setenv("REPMON_X_BEARER_TOKEN", "from-env")
    assert current().x_bearer_token.get_secret_value() == "from-env"
    assert main(["settings"]) == 0
    out = capsys.readouterr()[0]
    assert "REPMON_X_BEARER_TOKEN=(set)" in out and "from-env" not in out and TOKEN not in out
    (tmp_path / "repmon.toml").write_text(f'x_bearer_token = "{TOKEN}"\n')
    assert main(["settings"]) == 2
    assert "is a token: put it in the environment or in REPMON_SECRETS_FILE" in capsys.readouterr()[1]


def test_refresh_schedule_decays_and_speeds_up_for_fast_growth():
    assert refresh_interval(timedelta(minutes=20)) == timedelta(minutes=5)
    assert refresh_interval(timedelta(hours=3)) == timedelta(minutes=15)
    assert refresh_interval(timedelta(hours=3), growth_per_hour=80) == timedelta(minutes=7, seconds=30)
    assert refresh_interval(timedelta(hours=12)) == timedelta(hours=1)
    assert refresh_interval(timedelta(days=2)) == timedelta(hours=6)
    assert refresh_interval(timedelta(days=10)) == timedelta(days=1)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    row = OpenMention(
        external_id="1",
        created_at=now - timedelta(hours=3),
        parent_id=None,
        playbook="monitor",
        last_at=now - timedelta(minutes=10),
        engagement=10,
        previous=9,
    )
    assert not refresh_due(row, now)
    assert refresh_due(replace(row, engagement=200), now)  # growing fast: due sooner
    assert refresh_due(replace(row, last_at=None), now)


def test_platform_intervals_are_set_on_the_sources(monkeypatch, store):
    monkeypatch.setenv("REPMON_X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("REPMON_X_QUERY", "cafe")
    monkeypatch.setenv("REPMON_X_POLL_INTERVAL", "90")
    assert {s.name: s.min_interval for s in build_sources(store)} == {
        "x-search": timedelta(seconds=90),
        "x-metrics": timedelta(seconds=90),
    }


def test_facebook_sources_from_settings(monkeypatch, store):
    monkeypatch.setenv("REPMON_FACEBOOK_PAGE_TOKEN", TOKEN)
    monkeypatch.setenv("REPMON_FACEBOOK_PAGE_ID", "900000000000001")
    sources = build_sources(store)
    assert [(s.name, s.min_interval) for s in sources] == [
        ("facebook", timedelta(seconds=300)),
        ("facebook-metrics", timedelta(seconds=300)),
    ]
    assert sources[0].graph.version == "v25.0"
    assert TOKEN not in repr(sources[0])
    assert sources[0].comment_window == timedelta(days=30)
    monkeypatch.setenv("REPMON_FACEBOOK_COMMENT_DAYS", "7")
    assert build_sources(store)[0].comment_window == timedelta(days=7)


def test_crisis_items_are_watched_for_quotes_as_well_as_escalated_ones(tmp_path, make_mention):
    """Who quotes a post sent to legal is evidence: the crisis playbook (the most viral legal items) was
    left out when only `escalate_legal` was spelled out here."""
    from sqlalchemy import select

    from classifiers.virality import Virality
    from monitor.records import TriageDecision
    from monitor.storage.models import MentionRow
    from monitor.wiring import watched_posts

    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    store = open_store(tmp_path / "data")
    playbooks = {"1": "crisis", "2": "escalate_legal", "3": "reply"}
    store.save_page("t", [make_mention(external_id=ext, platform="x") for ext in playbooks], [], None, now)
    with store.session() as s:
        ids = dict(s.execute(select(MentionRow.external_id, MentionRow.id)).all())
    quiet = Virality(0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1)
    store.save_triage(
        [
            (ids[ext], TriageDecision(pb, 50.0, now + timedelta(hours=1)), quiet)
            for ext, pb in playbooks.items()
        ],
        now,
    )
    assert sorted(watched_posts(store, now)) == ["1", "2"]


def test_a_playbook_whose_yaml_says_legal_is_legal_without_touching_code(tmp_path, make_mention):
    """`legal: true` in a new playbook's YAML sends its items to legal: in the legal queue filter and in
    the X posts whose quotes are watched; the shipped library stays as it was."""
    import shutil

    from sqlalchemy import select

    from classifiers.virality import Virality
    from monitor.records import QueueFilter
    from monitor.storage.models import MentionRow
    from monitor.triage import LEGAL_PLAYBOOKS, LEGAL_SCOPE, decide, legal_scope
    from monitor.wiring import watched_posts
    from playbooks.engine import DEFAULT_DIR, load_library

    folder = tmp_path / "playbooks"
    shutil.copytree(DEFAULT_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    takedown = (folder / "escalate_legal.yaml").read_text(encoding="utf-8")
    takedown = takedown.replace("name: escalate_legal", "name: takedown").replace(
        "owner: legal", "owner: manager"
    )
    (folder / "takedown.yaml").write_text(takedown, encoding="utf-8")
    rules = (folder / "rules.yaml").read_text(encoding="utf-8")
    rules = rules.replace(
        "rules:\n",
        "rules:\n  - name: copied photos\n    when: {label: [neutral]}\n    playbook: takedown\n",
        1,
    )
    (folder / "rules.yaml").write_text(rules, encoding="utf-8")
    library = load_library(folder)
    assert library.legal_playbooks == ("escalate_legal", "crisis", "takedown")
    assert LEGAL_PLAYBOOKS == ("escalate_legal", "crisis")

    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    store = open_store(tmp_path / "data")
    store.save_page("t", [make_mention(external_id="9", platform="x")], [], None, now)
    with store.session() as s:
        mention_id = s.scalar(select(MentionRow.id).where(MentionRow.external_id == "9"))
    quiet = Virality(0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1)
    scores = {"praise": 0.05, "neutral": 0.9, "complaint": 0.02, "defamation": 0.01, "boycott": 0.01}
    decision = decide("neutral", scores, quiet, 10, False, now, now, now, library)
    assert decision.playbook == "takedown"
    assert decide("neutral", scores, quiet, 10, False, now, now, now, load_library()).playbook != "takedown"
    store.save_triage([(mention_id, decision, quiet)], now)

    assert [q.playbook for q in store.queue(QueueFilter(legal=legal_scope(library)))] == ["takedown"]
    assert store.queue(QueueFilter(legal=LEGAL_SCOPE)) == []
    assert watched_posts(store, now, library) == ["9"]
    assert watched_posts(store, now) == []
