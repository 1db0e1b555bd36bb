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
