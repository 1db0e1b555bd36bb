import pytest

from monitor.errors import ConfigError
from monitor.settings import SETTINGS, load_settings


def test_defaults_environment_and_toml_file(tmp_path, monkeypatch):
    for s in SETTINGS:
        monkeypatch.delenv(s.name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_settings() == {s.name: s.default for s in SETTINGS}
    (tmp_path / "repmon.toml").write_text('threads = 1\nREPMON_PRECISION = "int8"\n')
    values = load_settings()
    assert (values["REPMON_THREADS"], values["REPMON_PRECISION"]) == ("1", "int8")
    monkeypatch.setenv("REPMON_THREADS", "2")
    assert load_settings()["REPMON_THREADS"] == "2"  # the environment wins


def test_bad_config_files_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repmon.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings()
    (tmp_path / "repmon.toml").write_text("threads = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()
    monkeypatch.setenv("REPMON_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


# -- every setting has a kind; every command checks them all at start (issue 13, point 8) --------------

import os  # noqa: E402

from monitor.cli import main  # noqa: E402
from monitor.settings import secret, settings_problems  # noqa: E402


@pytest.fixture
def clean(tmp_path, monkeypatch):
    """No REPMON_* setting from the shell, no repmon.toml: the defaults, in an empty folder."""
    for name in [n for n in os.environ if n.startswith("REPMON_") and n != "REPMON_DATABASE_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_the_defaults_are_all_allowed(clean):
    assert settings_problems() == []


HOSTILE = {
    "REPMON_DASHBOARD_PORT": "abc",
    "REPMON_THREADS": "-4",
    "REPMON_PRECISION": "bogus",
    "REPMON_DEFAULT_LANGUAGE": "fr",
    "REPMON_X_DAILY_READ_BUDGET": "-5",
    "REPMON_X_POLL_INTERVAL": "soon",
    "REPMON_POLL_INTERVAL": "0",
    "REPMON_SMTP_PORT": "70000",
    "REPMON_ALERT_VIRALITY": "250",
    "REPMON_DIGEST_TIME": "25:00",
    "REPMON_X_WATCH_QUOTES": "yes",
}


def test_every_bad_setting_is_listed_at_once_and_no_command_starts(clean, monkeypatch, capsys):
    for name, value in HOSTILE.items():
        monkeypatch.setenv(name, value)
    for command in (["init"], ["queue"], ["status"]):
        assert main(command) == 2
        out, err = capsys.readouterr()
        assert out == "" and "Traceback" not in err
        lines = err.splitlines()
        assert lines[0] == (
            f"repmon: {len(HOSTILE)} setting(s) cannot be used; fix them and run again "
            "(`repmon settings` shows what each allows):"
        )
        assert sorted(line.split("=")[0].strip() for line in lines[1:]) == sorted(HOSTILE)
    assert not (clean / "data").exists()  # nothing started: no database was made
    problems = "\n".join(settings_problems())
    for line in (
        "REPMON_DASHBOARD_PORT='abc' (environment): not a port number; "
        "allowed: a port number from 1 to 65535",
        "REPMON_THREADS='-4' (environment): out of range; allowed: a whole number from 0 to "
        f"{os.cpu_count()} (0: all cores)",
        "REPMON_PRECISION='bogus' (environment): not an allowed value; "
        "allowed: one of auto, bf16, int8, fp32",
        "REPMON_DEFAULT_LANGUAGE='fr' (environment): not an allowed value; allowed: one of he, en",
        "REPMON_X_DAILY_READ_BUDGET='-5' (environment): out of range; allowed: a whole number from 0 to "
        "10,000,000 (0: no limit)",
        "REPMON_POLL_INTERVAL='0' (environment): out of range; allowed: a number from 0.1 to 86400",
    ):
        assert line in problems


def test_a_bad_value_in_the_settings_file_names_the_file(clean, monkeypatch, capsys):
    for name in ("REPMON_THREADS", "REPMON_DASHBOARD_PORT"):  # main() exports the file's values: undo it
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    (clean / "repmon.toml").write_text("threads = -4\ndashboard_port = 8502\n")
    assert main(["queue"]) == 2
    err = capsys.readouterr().err
    assert f"REPMON_THREADS='-4' (settings file {'repmon.toml'}): out of range" in err
    assert "DASHBOARD_PORT" not in err


def test_settings_show_what_each_allows_and_list_the_problems(clean, monkeypatch, capsys):
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert (
        "REPMON_DASHBOARD_PORT=8501\n    Port of the dashboard started by `repmon dashboard` and "
        "`repmon demo`. "
        "(default: 8501; allowed: a port number from 1 to 65535)\n"
    ) in out
    monkeypatch.setenv("REPMON_PRECISION", "bogus")
    assert main(["settings"]) == 2
    out, err = capsys.readouterr()
    assert "REPMON_PRECISION=bogus\n" in out
    assert err == (
        "repmon: REPMON_PRECISION='bogus' (environment): not an allowed value; "
        "allowed: one of auto, bf16, int8, fp32\n"
    )


def test_a_bad_token_is_named_but_never_shown(clean, monkeypatch, capsys):
    path = clean / "secrets.toml"
    path.write_text('x_bearer_token = "AAAA secret-part"\n')
    path.chmod(0o600)
    monkeypatch.setenv("REPMON_SECRETS_FILE", str(path))
    assert main(["queue"]) == 2
    err = capsys.readouterr().err
    assert f"REPMON_X_BEARER_TOKEN (secrets file {path}): holds a space or a control character" in err
    assert "secret-part" not in err


def test_a_secrets_file_that_is_a_folder_or_unreadable_is_a_clear_error(clean, monkeypatch, capsys):
    folder = clean / "secrets"
    folder.mkdir()
    monkeypatch.setenv("REPMON_SECRETS_FILE", str(folder))
    assert main(["queue"]) == 2
    err = capsys.readouterr().err
    assert (
        f"REPMON_SECRETS_FILE names {folder}, which is a folder: name the TOML file of tokens instead" in err
    )
    assert "Traceback" not in err
    with pytest.raises(ConfigError, match="which is a folder"):
        secret("REPMON_X_BEARER_TOKEN")


def test_a_secrets_file_others_may_read_is_refused(clean, monkeypatch, capsys):
    path = clean / "secrets.toml"
    path.write_text('x_bearer_token = "AAAAtoken"\n')
    monkeypatch.setenv("REPMON_SECRETS_FILE", str(path))
    for mode in (0o644, 0o640, 0o604):
        path.chmod(mode)
        assert main(["queue"]) == 2
        err = capsys.readouterr().err
        assert f"may be read by other users (mode {mode:04o}): run `chmod 600 {path}`" in err
        with pytest.raises(ConfigError, match="chmod 600"):
            secret("REPMON_X_BEARER_TOKEN")
    path.chmod(0o600)
    assert secret("REPMON_X_BEARER_TOKEN") == "AAAAtoken"
    assert settings_problems() == []
