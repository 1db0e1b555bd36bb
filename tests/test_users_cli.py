"""`repmon user add/list`, the stored hash, and the dashboard command line."""

import io
import sys

import pytest
from conftest import open_store

from monitor.cli import _dashboard_command, main
from monitor.users import hash_password, password_matches


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def add(monkeypatch, *argv, password="s3cret-pass"):
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["user", "add", *argv])


def test_user_add_stores_only_an_argon2_hash(capsys, data_dir, monkeypatch):
    assert add(monkeypatch, "maya", "--role", "manager") == 0
    assert capsys.readouterr().out == "user maya (manager) added\n"
    row = open_store(data_dir).user("maya")
    assert row["role"] == "manager" and row["password_hash"].startswith("$argon2id$")
    assert "s3cret-pass" not in row["password_hash"]
    assert password_matches(row["password_hash"], "s3cret-pass")
    assert not password_matches(row["password_hash"], "s3cret-pasS")
    assert main(["user", "list"]) == 0
    assert capsys.readouterr().out.split() == ["maya", "manager", "active"]


def test_user_add_refuses_bad_input_clearly(capsys, data_dir, monkeypatch):
    assert add(monkeypatch, "maya", "--role", "manager", password="short") == 2
    assert "the password is too short: use at least 8 characters" in capsys.readouterr().err
    assert add(monkeypatch, "two words", "--role", "manager") == 2
    assert "user name 'two words'" in capsys.readouterr().err
    assert add(monkeypatch, "maya", "--role", "legal") == 0
    assert add(monkeypatch, "maya", "--role", "owner") == 2
    assert "user 'maya' exists: add --replace" in capsys.readouterr().err
    assert add(monkeypatch, "maya", "--role", "owner", "--replace", password="another-pass") == 0
    row = open_store(data_dir).user("maya")
    assert row["role"] == "owner" and password_matches(row["password_hash"], "another-pass")
    with pytest.raises(SystemExit):
        add(monkeypatch, "x1", "--role", "admin")


def test_user_changes_are_audited(data_dir, monkeypatch):
    add(monkeypatch, "lea", "--role", "legal")
    store = open_store(data_dir)
    assert store.verify() == []
    from sqlalchemy import select

    from monitor.storage.models import AuditEventRow

    with store.session() as s:
        events = [(e.action, e.detail) for e in s.scalars(select(AuditEventRow))]
    assert events == [("user_add", {"user": "lea", "role": "legal"})]


def test_dashboard_command_line(monkeypatch):
    monkeypatch.setenv("REPMON_DASHBOARD_ADDRESS", "0.0.0.0")
    cmd = _dashboard_command(8765)
    assert cmd[:3] == [sys.executable, "-m", "dashboard.serve"]  # streamlit run, /_stcore/metrics refused
    assert cmd[3].endswith("dashboard/app.py")
    assert cmd[cmd.index("--server.port") + 1] == "8765"
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    monkeypatch.setenv("REPMON_DASHBOARD_PORT", "eighty")
    from monitor.errors import ConfigError

    with pytest.raises(ConfigError, match="not a port number"):
        _dashboard_command(None)


def test_hash_is_salted():
    assert hash_password("same-password") != hash_password("same-password")
