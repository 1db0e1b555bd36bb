import pytest

from monitor.errors import ConfigError
from monitor.settings import SETTINGS, reading


def as_written() -> dict[str, str]:
    """Every setting's value as written: environment, then the TOML file, then the default."""
    return dict(reading.read().values)


def test_defaults_environment_and_toml_file(tmp_path, monkeypatch):
    for s in SETTINGS:
        monkeypatch.delenv(s.name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert as_written() == {s.name: s.default for s in SETTINGS}
    (tmp_path / "repmon.toml").write_text('threads = 1\nREPMON_PRECISION = "int8"\n')
    values = as_written()
    assert (values["REPMON_THREADS"], values["REPMON_PRECISION"]) == ("1", "int8")
    monkeypatch.setenv("REPMON_THREADS", "2")
    assert as_written()["REPMON_THREADS"] == "2"  # the environment wins


def test_bad_config_files_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repmon.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        as_written()
    (tmp_path / "repmon.toml").write_text("threads = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        as_written()
    monkeypatch.setenv("REPMON_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        as_written()


def test_an_empty_repmon_config_means_no_settings_file(tmp_path, monkeypatch):
    # "empty, or an existing file" is what REPMON_CONFIG allows; empty was read as the path "." and
    # refused as a folder
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repmon.toml").write_text("threads = 1\n")
    for empty in ("", " "):
        monkeypatch.setenv("REPMON_CONFIG", empty)
        assert as_written()["REPMON_THREADS"] == "0"


# -- every setting has a kind; every command checks them all at start (issue 13, point 8) --------------

import os  # noqa: E402

from monitor.cli import main  # noqa: E402
from monitor.settings import current as current_settings  # noqa: E402
from monitor.settings import settings_listing  # noqa: E402


def settings_problems() -> list[str]:
    return settings_listing()[1]


def bearer_token() -> str:
    return current_settings().x_bearer_token.get_secret_value()


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


def test_a_misspelled_key_in_the_secrets_file_is_named_not_ignored(clean, monkeypatch, capsys):
    # the token under a typo was ignored in silence: the token was "not set" and the monitor fell back to
    # the demo stream without a word
    path = clean / "secrets.toml"
    path.write_text('x_bearer_tokn = "AAAAsecret-part"\n')
    path.chmod(0o600)
    monkeypatch.setenv("REPMON_SECRETS_FILE", str(path))
    assert main(["queue"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: 'x_bearer_tokn' is not a token (did you mean x_bearer_token?)" in err
    assert "secret-part" not in err
    path.write_text('REPMON_X_BEARER_TOKEN = "AAAAtoken"\nsmtp_password = "pw"\n')
    assert bearer_token() == "AAAAtoken"
    assert settings_problems() == []


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
        bearer_token()


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
            bearer_token()
    path.chmod(0o600)
    assert bearer_token() == "AAAAtoken"
    assert settings_problems() == []


# -- typed settings, loaded once; classifiers receive their configuration (issue 15, points 4 and 9) ----

import ast  # noqa: E402
import dataclasses  # noqa: E402
import typing  # noqa: E402
from datetime import time  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from pydantic import SecretStr  # noqa: E402

from monitor.settings import SECRETS, Settings, current, load, reset  # noqa: E402
from monitor.settings.report import readme_block, readme_table  # noqa: E402

ROOT = Path(__file__).parents[1]


def _accepts(value, hint) -> bool:
    """Whether ``value`` is of the (possibly union, possibly tuple) type ``hint``."""
    if typing.get_origin(hint) in (typing.Union, __import__("types").UnionType):
        return any(_accepts(value, h) for h in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, tuple) and all(_accepts(v, item) for v in value)
    if hint is type(None):
        return value is None
    return isinstance(value, hint)


def test_every_setting_has_a_typed_field_a_default_that_parses_help_and_a_readme_row():
    hints = typing.get_type_hints(Settings)
    fields = [f.name for f in dataclasses.fields(Settings) if f.name not in ("explicit", "texts")]
    assert fields == [s.field for s in SETTINGS]  # one typed field per setting, in the table's order
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert s.name.startswith("REPMON_") and s.help.strip() and s.kind.allowed, s.name
        value = s.kind.parse(s.default)
        assert _accepts(value, hints[s.field]), (s.name, value, hints[s.field])
        assert (s.name in SECRETS) == s.kind.secret == (hints[s.field] is SecretStr), s.name
        assert f"| `{s.name}` |" in readme, s.name


def test_the_readme_table_is_the_generated_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_block(readme) == readme_table(), (
        "the README's settings table is out of date: run `python -m monitor.settings --write README.md`"
    )


def test_values_are_typed(clean, monkeypatch):
    for name, value in {
        "REPMON_SMTP_PORT": "2525",
        "REPMON_POLL_INTERVAL": "0.5",
        "REPMON_X_WATCH_QUOTES": "TRUE",
        "REPMON_DIGEST_TIME": "7:05",
        "REPMON_TIMEZONE": "Europe/London",
        "REPMON_ALERT_LABELS": "boycott, defamation,",
        "REPMON_DIGEST_RECIPIENTS": "a@x.co.il, B@y.com:en, a@x.co.il:en",
        "REPMON_APPROVERS": " dana , avi,",
        "REPMON_SMTP_PASSWORD": "hunter2-secret",
    }.items():
        monkeypatch.setenv(name, value)
    s = load()
    assert (s.smtp_port, s.poll_interval, s.x_watch_quotes) == (2525, 0.5, True)
    assert (s.digest_time, s.timezone) == (time(7, 5), ZoneInfo("Europe/London"))
    assert s.alert_labels == ("boycott", "defamation") and s.approvers == ("dana", "avi")
    # No language written: "" here; the mailer gives the address its user's language, else REPMON_UI_LANGUAGE.
    assert [tuple(a) for a in s.digest_recipients] == [("a@x.co.il", ""), ("B@y.com", "en")]
    assert s.data_dir == clean / "data" and s.threads == 0 and s.smtp_tls == "starttls"
    assert s.smtp_password.get_secret_value() == "hunter2-secret"
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.smtp_password)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.threads = 3  # type: ignore[misc]


def test_loaded_once_and_never_pushed_into_the_environment(clean, monkeypatch):
    (clean / "repmon.toml").write_text("threads = 1\nsmtp_host = 'mail.example.co.il'\n")
    assert main(["status"]) == 0
    assert current().threads == 1 and current().smtp_host == "mail.example.co.il"
    assert "REPMON_THREADS" not in os.environ and "REPMON_SMTP_HOST" not in os.environ
    held = current()
    (clean / "repmon.toml").write_text("threads = 2\n")  # the file is not read again per call
    assert current() is held and current().threads == 1
    reset()
    assert current().threads == 2 and current() is not held
    monkeypatch.setenv("REPMON_THREADS", "0")  # another environment: its own settings
    assert current().threads == 0


def test_a_bad_value_is_refused_when_the_settings_load(clean, monkeypatch):
    monkeypatch.setenv("REPMON_SMTP_PORT", "70000")
    with pytest.raises(ConfigError) as err:
        current()
    assert str(err.value).splitlines()[1].strip().startswith("REPMON_SMTP_PORT='70000' (environment)")


@pytest.mark.parametrize(
    ("name", "value"),
    [("REPMON_FACEBOOK_PAGE_ID", "\u0661\u0662\u0663"), ("REPMON_FACEBOOK_GRAPH_VERSION", "v\u0662\u0665.0")],
)
def test_an_id_or_version_in_other_than_ascii_digits_is_refused(clean, monkeypatch, name, value):
    # \d and str.isdigit take Arabic-Indic digits too: no Graph id or version is written in them
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        current()
    assert str(err.value).splitlines()[1].strip().startswith(f"{name}={value!r} (environment)")


def test_the_classifier_gets_its_configuration_from_the_settings(clean, monkeypatch):
    from classifiers import model
    from monitor.wiring import classifier_options

    unset = classifier_options(load())
    assert unset["head_dir"] is None and unset["encoder"] is None  # the shipped head, its own encoder
    assert (unset["threads"], unset["precision"]) == (0, "auto")
    assert unset["model_cache"] == Path("~/.cache/repmon/models").expanduser()
    (clean / "repmon.toml").write_text(
        f"threads = 1\nprecision = 'fp32'\nmodel_cache = '{clean / 'cache'}'\n"
        f"head_dir = '{model.DEFAULT_HEAD_DIR}'\n"
    )
    options = classifier_options(load())
    assert options["head_dir"] == model.DEFAULT_HEAD_DIR and options["model_cache"] == clean / "cache"
    seen = {}

    class FakeEncoder:
        def __init__(self, name, **kwargs):
            seen.update(kwargs, name=name)
            self.precision = kwargs["precision"]
            self.version = model.Head.load(model.DEFAULT_HEAD_DIR).config.encoder_version

    monkeypatch.setattr(model, "Encoder", FakeEncoder)
    model.load_classifier(**options)
    assert (seen["threads"], seen["precision"], seen["model_cache"]) == (1, "fp32", clean / "cache")


def test_measuring_scripts_load_the_classifier_as_the_settings_say(clean, monkeypatch, tmp_path):
    """configured_classifier (the probe and compare scripts): REPMON_PRECISION and the other settings apply,
    and a model directory given on the command line replaces REPMON_HEAD_DIR."""
    import classifiers
    from monitor.wiring import configured_classifier

    seen = []
    monkeypatch.setattr(classifiers, "load_classifier", lambda **kw: seen.append(kw) or "loaded")
    monkeypatch.setenv("REPMON_PRECISION", "fp32")
    assert configured_classifier() == "loaded"
    assert (seen[-1]["precision"], seen[-1]["head_dir"]) == ("fp32", None)
    monkeypatch.setenv("REPMON_PRECISION", "int8")
    configured_classifier(str(tmp_path))
    assert (seen[-1]["precision"], seen[-1]["head_dir"]) == ("int8", tmp_path)


def test_classifiers_never_read_the_environment():
    readers = []
    for path in sorted((ROOT / "classifiers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
            if name in ("environ", "getenv", "environb", "getenvb"):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                readers += [f"{path.relative_to(ROOT)}:{node.lineno}" for a in node.names if "env" in a.name]
    assert readers == [], "classifiers/ takes its configuration as arguments, never from os.environ"
