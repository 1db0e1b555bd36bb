"""Settings as data, typed, loaded once.

Each setting has a name, a default, help text and a kind (what it allows and the type of its value):
``monitor.settings.fields``. Values come from environment variables ``REPMON_*``, or from a TOML file
named by ``REPMON_CONFIG`` (default ``repmon.toml`` in the working directory, if present); the
environment wins. Tokens come from the environment or from ``REPMON_SECRETS_FILE`` (a TOML file only its
owner may read), never from the TOML file (``monitor.settings.reading``).

A command (and the dashboard) calls ``load()`` at its start: one read of everything, every problem listed
at once (the setting, its value, never a token's, what is allowed and where the value came from), and a
frozen typed ``Settings`` (``monitor.settings.typed``) held for ``current()``. Code reads typed fields:
``current().poll_interval``, ``current().smtp_password.get_secret_value()``.

``setting(name) -> str`` and ``secret(name)`` are transitional, for call sites not yet converted.

``python -m monitor.settings`` prints the README's table of settings (a test keeps them equal).
"""

from __future__ import annotations

from monitor.settings import reading, report
from monitor.settings.fields import BY_NAME, SECRETS, SETTINGS, Setting
from monitor.settings.kinds import Addressee, Kind
from monitor.settings.loading import current, load, reset, secret, secret_values, setting
from monitor.settings.typed import Settings

__all__ = [
    "BY_NAME",
    "SECRETS",
    "SETTINGS",
    "Addressee",
    "Kind",
    "Setting",
    "Settings",
    "apply_file_settings",
    "check_settings",
    "current",
    "load",
    "load_settings",
    "read_secrets_file",
    "reset",
    "secret",
    "secret_values",
    "setting",
    "setting_origins",
    "settings_listing",
    "settings_problems",
]


def load_settings() -> dict[str, str]:
    """Every setting's value as written: environment, then the TOML file, then the default (a token:
    the environment or empty; its value is never listed)."""
    env = reading.environment()
    reading._check_environment(env)
    from_file = reading.file_values(env)
    return {s.name: env.get(s.name, from_file.get(s.name, s.default)) for s in SETTINGS}


def setting_origins() -> dict[str, str]:
    """Where each setting's value comes from: ``environment``, ``settings file PATH`` or ``default``
    (a token: ``environment``, ``secrets file PATH`` or ``not set``)."""
    return dict(reading.read().origins)


def read_secrets_file() -> dict[str, object]:
    """The tokens in REPMON_SECRETS_FILE ({} when it is not set); ``ConfigError`` when it cannot be used
    (missing, a folder, not TOML, readable by others: ``chmod 600``)."""
    env = reading.environment()
    return reading.read_secrets(reading.secrets_path(env, reading.file_values(env)))


def settings_problems() -> list[str]:
    """Every problem with the settings as they are now, one line each (see ``report.problems``)."""
    return report.problems(reading.read())


def check_settings() -> None:
    """``ConfigError`` listing every bad setting, or nothing."""
    found = settings_problems()
    if found:
        raise report.problems_error(found)


def settings_listing() -> tuple[list[str], list[str]]:
    """``repmon settings``: the listing of every setting, and every problem."""
    snapshot = reading.read()
    return report.listing(snapshot), report.problems(snapshot)


def apply_file_settings() -> None:
    """Transitional name for ``load()`` without the check (the CLI checks next, or lists the problems):
    reads the settings once for this command. Nothing is exported to the environment any more."""
    reset()
    reading._check_environment(reading.environment())
    reading.file_values(reading.environment())
