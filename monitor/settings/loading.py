"""The settings of this process, loaded once: ``load()`` reads and checks everything and returns the
typed ``Settings``; ``current()`` holds the last loaded one (a command and the dashboard load at their
start, the rest ask ``current()``); ``reset()`` forgets it (tests).

The held settings belong to the environment and working directory they were read in: ``current()``
loads again only if a ``REPMON_*`` variable or the working directory changed since (a test's
``monkeypatch.setenv``, the dashboard bench pointing at its own database); it never re-reads the files
otherwise. Nothing is written to ``os.environ``.
"""

from __future__ import annotations

import os

from monitor.errors import ConfigError
from monitor.settings import reading, report
from monitor.settings.fields import BY_NAME, SECRETS
from monitor.settings.typed import Settings, build

_held: Settings | None = None
_held_for: tuple[str, dict[str, str]] | None = None


def _context() -> tuple[str, dict[str, str]]:
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed
        cwd = ""
    return cwd, reading.environment()


def load() -> Settings:
    """Read the environment, the settings file and the secrets file once, check every value and hold
    the typed settings for ``current()``. ``ConfigError`` listing every problem, one line each."""
    global _held, _held_for
    reset()
    context = _context()
    snapshot = reading.read()
    found = report.problems(snapshot)
    if found:
        raise report.problems_error(found)
    _held, _held_for = build(snapshot), context
    return _held


def current() -> Settings:
    """The settings loaded at this command's start (loaded now if not yet, or if the environment or the
    working directory changed since)."""
    if _held is None or _held_for != _context():
        return load()
    return _held


def reset() -> None:
    """Forget the held settings: the next ``current()`` loads them again."""
    global _held, _held_for
    _held, _held_for = None, None


# -- transitional: for the call sites not yet converted to typed fields (monitor/cli.py,
# monitor/storage/, monitor/sources/); new code reads ``current().field`` instead ------------------------


def setting(name: str) -> str:
    """Transitional: one setting's value as written (environment, TOML file, default), from the held
    settings. New code uses the typed field (``current().poll_interval``)."""
    if name not in BY_NAME:
        raise ConfigError(f"{name} is not a setting")
    return current().text(name)


def secret(name: str) -> str:
    """Transitional: a token from the environment, else from REPMON_SECRETS_FILE (never repmon.toml).
    New code uses the typed field (``current().x_bearer_token.get_secret_value()``)."""
    return current().secret(name)


def secret_values() -> list[str]:
    """The values of the secret settings in use, longest first (see ``Settings.secret_values``). Settings
    that cannot be loaded give only the environment's values: this runs while an error is being
    reported, and must not fail."""
    try:
        return current().secret_values()
    except ConfigError:
        values = {v.strip() for n in SECRETS if len(v := os.environ.get(n, "").strip()) >= 4}
        return sorted(values, key=len, reverse=True)
