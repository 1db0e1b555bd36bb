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

``python -m monitor.settings`` prints the README's table of settings (a test keeps them equal).
"""

from __future__ import annotations

from monitor.settings import reading, report
from monitor.settings.fields import BY_NAME, SECRETS, SETTINGS, Setting
from monitor.settings.kinds import Addressee, Kind
from monitor.settings.loading import current, load, reset, secret_values
from monitor.settings.typed import Settings

__all__ = [
    "BY_NAME",
    "SECRETS",
    "SETTINGS",
    "Addressee",
    "Kind",
    "Setting",
    "Settings",
    "current",
    "load",
    "reset",
    "secret_values",
    "settings_listing",
]


def settings_listing() -> tuple[list[str], list[str]]:
    """``repmon settings``: the listing of every setting, and every problem."""
    snapshot = reading.read()
    return report.listing(snapshot), report.problems(snapshot)
