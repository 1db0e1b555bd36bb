"""`repmon user add/list`, the stored hash, and the dashboard command line."""

import io
import re
import sys
from datetime import timedelta

import pytest
from conftest import NOW, USER_PASSWORD, add_users, open_store

from monitor.actions import sign_in
from monitor.cli import main
from monitor.cli.run import dashboard_command as _dashboard_command
from monitor.errors import AccessDenied, InputError
from monitor.users import User, check_name, hash_password, password_matches, retry_at, skeleton


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
    assert row.role == "manager" and row.password_hash.startswith("$argon2id$")
    assert "s3cret-pass" not in row.password_hash
    assert password_matches(row.password_hash, "s3cret-pass")
    assert not password_matches(row.password_hash, "s3cret-pasS")
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
    assert row.role == "owner" and password_matches(row.password_hash, "another-pass")
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


@pytest.mark.parametrize("command", [["dashboard"], ["demo", "--once"], ["run", "--once"]])
@pytest.mark.parametrize("bad", ["0", "70000", "65536", "-1", "http", "\u0661\u0662"])
def test_a_port_out_of_range_is_refused_before_anything_is_printed(
    capsys, data_dir, monkeypatch, command, bad
):
    # `dashboard --port 70000` printed "dashboard: http://127.0.0.1:70000" before the refusal, and
    # `--port 0` silently served the default port
    from monitor.cli import common

    def started() -> None:
        raise AssertionError(f"{command[0]} --port {bad} got past the argument check")

    monkeypatch.setattr(common, "open_store", started)  # the first thing each of the commands does
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--port", bad])
    out, err = capsys.readouterr()
    assert stopped.value.code == 2 and out == ""
    assert f"argument --port: {bad!r} is not a port number from 1 to 65535" in err
    assert "dashboard: http" not in err and "Traceback" not in err


def test_hash_is_salted():
    assert hash_password("same-password") != hash_password("same-password")


# -- names: one person, one name (issue 13, points 4 and 9) ----------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("demo-owner\n", "invisible or control character U+000A at position 11"),
        ("maya\u200f", "invisible or control character U+200F at position 5"),
        ("\u202emaya", "invisible or control character U+202E at position 1"),
        ("ma\u200bya", "invisible or control character U+200B at position 3"),
        (" maya", "starts or ends with a space"),
        ("maya\u00a0", "starts or ends with a space"),
        ("repmon:admin", "names starting with 'repmon:' are the monitor's own"),
        ("x", "use 2-100 letters"),
    ],
)
def test_check_name_refuses_what_would_forge_or_hide_a_name(name, why):
    with pytest.raises(InputError, match=re.escape(why)):
        check_name(name)


def test_check_name_normalises_and_keeps_hebrew():
    assert check_name("ｍａｙａ") == "maya"  # full-width letters: NFKC
    assert check_name("מאיה.כהן") == "מאיה.כהן"
    assert check_name("cafe\u0301") == "café"  # composed (NFC within NFKC)


def test_a_trailing_newline_does_not_make_a_second_user(capsys, data_dir, monkeypatch):
    assert add(monkeypatch, "demo-owner", "--role", "owner") == 0
    capsys.readouterr()
    assert add(monkeypatch, "demo-owner\n", "--role", "manager") == 2
    err = capsys.readouterr().err
    assert err == (
        "repmon: user name 'demo-owner\\n' contains the invisible or control character U+000A at "
        "position 11: type the name without it\n"
    )
    assert [(u.name, u.role) for u in open_store(data_dir).users()] == [("demo-owner", "owner")]


@pytest.mark.parametrize("twin", ["MAYA", "mаya", "mayа", "mαya", "maуa", "rnaya"])
def test_a_look_alike_of_an_existing_name_is_refused(capsys, data_dir, monkeypatch, twin):
    assert add(monkeypatch, "maya", "--role", "manager") == 0
    capsys.readouterr()
    assert add(monkeypatch, twin, "--role", "legal") == 2
    assert f"user name {twin!r} looks like the existing user 'maya'" in capsys.readouterr().err
    assert [u.name for u in open_store(data_dir).users()] == ["maya"]
    assert skeleton("maya") != skeleton("maia")


def test_user_changes_are_recorded_as_the_administrator(data_dir, monkeypatch):
    add(monkeypatch, "lea", "--role", "legal")
    assert main(["user", "disable", "lea"]) == 0
    assert main(["user", "enable", "lea"]) == 0
    store = open_store(data_dir)
    from sqlalchemy import select

    from monitor.storage.models import AuditEventRow

    with store.session() as s:
        events = [(e.actor, e.action) for e in s.scalars(select(AuditEventRow))]
    assert events == [
        ("repmon:admin", "user_add"),
        ("repmon:admin", "user_disable"),
        ("repmon:admin", "user_enable"),
    ]


# -- signing in: a throttle kept in the database (issue 13, point 5) --------------------------------


@pytest.fixture
def people(store):
    add_users(store, maya="manager", lea="legal")
    return store


def fail(store, name, at, address=None):
    with pytest.raises(AccessDenied, match="Wrong user name or password"):
        sign_in(store, name, "wrong-password", address, at)


def test_after_five_failures_even_the_right_password_waits(people):
    store = people
    for n in range(5):
        fail(store, "maya", NOW + timedelta(seconds=n))
    last = NOW + timedelta(seconds=4)
    with pytest.raises(AccessDenied, match=r"Too many failed sign-ins: try again in 1 s") as refused:
        sign_in(store, "maya", USER_PASSWORD, None, last)
    assert refused.value.retry_at == last + timedelta(seconds=1)
    assert sign_in(store, "maya", USER_PASSWORD, None, last + timedelta(seconds=1)) == User("maya", "manager")
    # a success clears the name's count
    fail(store, "maya", last + timedelta(seconds=2))
    assert sign_in(store, "maya", USER_PASSWORD, None, last + timedelta(seconds=3)).name == "maya"


def test_the_delay_grows_and_survives_a_restart(people, tmp_path):
    at = last = NOW
    for _ in range(8):  # each failure as soon as it is allowed
        fail(people, "maya", at)
        last = at
        at = retry_at(people.sign_in_failures([("user", "maya")])[("user", "maya")], at) or at
    assert at - last == timedelta(seconds=2 ** (8 - 5))
    reopened = open_store(tmp_path / "data")  # a new process: the count is in the database
    assert reopened.sign_in_failures([("user", "maya")])[("user", "maya")].count == 8
    with pytest.raises(AccessDenied, match="try again in 8 s"):
        sign_in(reopened, "maya", USER_PASSWORD, None, last)
    assert sign_in(reopened, "maya", USER_PASSWORD, None, at).name == "maya"


def test_twenty_failures_lock_the_name_and_audit_it(people):
    store, at = people, NOW
    for _ in range(20):
        f = store.sign_in_failures([("user", "maya")])[("user", "maya")]
        at = max(at, retry_at(f, at) or at)
        fail(store, "maya", at)
    f = store.sign_in_failures([("user", "maya")])[("user", "maya")]
    assert (f.count, f.locked_until) == (20, at + timedelta(hours=1))
    with pytest.raises(AccessDenied, match="Too many failed sign-ins: try again in 30 minutes"):
        sign_in(store, "maya", USER_PASSWORD, None, at + timedelta(minutes=30))
    events = [
        (e["actor"], e["action"], e["detail"]["user"], e["detail"]["failures"])
        for e in store_events(store)
        if e["action"] == "sign_in_lockout"
    ]
    assert events == [("repmon:sign-in", "sign_in_lockout", "maya", 20)]
    assert store.verify() == []
    # an administrator lifts it; or it ends after the hour
    store.set_user_disabled("maya", False, at)
    assert sign_in(store, "maya", USER_PASSWORD, None, at + timedelta(minutes=1)).name == "maya"


def test_a_lockout_ends_after_an_hour(people):
    store, at = people, NOW
    for _ in range(20):
        f = store.sign_in_failures([("user", "lea")])[("user", "lea")]
        at = max(at, retry_at(f, at) or at)
        fail(store, "lea", at)
    assert sign_in(store, "lea", USER_PASSWORD, None, at + timedelta(hours=1)).name == "lea"


def test_one_address_trying_many_names_is_throttled(people):
    for n, name in enumerate(["maya", "lea", "dana", "avi", "oren"]):
        fail(people, name, NOW + timedelta(seconds=n), address="203.0.113.9")
    with pytest.raises(AccessDenied, match="Too many failed sign-ins"):
        sign_in(people, "lea", USER_PASSWORD, "203.0.113.9", NOW + timedelta(seconds=4))
    # another address, and the same name from it, is not held up by that address
    assert sign_in(people, "lea", USER_PASSWORD, "198.51.100.7", NOW + timedelta(seconds=4)).name == "lea"


def test_an_unknown_user_costs_the_same_hash_as_a_wrong_password(people, monkeypatch):
    import monitor.users as users

    calls = []
    real = users._hasher

    class Spy:
        def verify(self, hash_, password):
            calls.append(hash_.split("$")[3])  # the cost parameters: m=..,t=..,p=..
            return real.verify(hash_, password)

    monkeypatch.setattr(users, "_hasher", Spy())
    fail(people, "maya", NOW)  # a real user, a wrong password
    fail(people, "nobody", NOW)  # no such user
    fail(people, "bad\nname", NOW)  # not even a valid name
    people.set_user_disabled("lea", True, NOW)
    with pytest.raises(AccessDenied, match="Wrong user name or password"):
        sign_in(people, "lea", USER_PASSWORD, None, NOW)  # disabled: the right password is not enough
    assert len(calls) == 4 and len(set(calls)) == 1


def store_events(store):
    from sqlalchemy import select

    from monitor.storage.models import AuditEventRow

    with store.session() as s:
        return [
            {"actor": e.actor, "action": e.action, "detail": e.detail}
            for e in s.scalars(select(AuditEventRow).order_by(AuditEventRow.id))
        ]


def test_a_new_user_gets_the_ui_language_unless_language_is_given(data_dir, monkeypatch):
    assert add(monkeypatch, "maya", "--role", "manager") == 0
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "en")
    assert add(monkeypatch, "lea", "--role", "legal") == 0
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "he")
    assert add(monkeypatch, "oren", "--role", "owner", "--language", "en") == 0
    store = open_store(data_dir)
    assert [store.user(n).language for n in ("maya", "lea", "oren")] == ["he", "en", "en"]
    assert add(monkeypatch, "lea", "--role", "owner", "--replace", password="another-pass") == 0
    assert open_store(data_dir).user("lea").language == "en"  # a change keeps the language
    assert add(monkeypatch, "lea", "--role", "owner", "--replace", "--language", "he") == 0
    assert open_store(data_dir).user("lea").language == "he"
    with pytest.raises(SystemExit):
        add(monkeypatch, "dana", "--role", "manager", "--language", "fr")
