"""The one error tree of repmon. Every message says what happened, to what, and what to do.

```
MonitorError
  x SourceError(source)   + RateLimited(reset_at)   + AuthExpired   + BadPayload   + StaleCursor (X)
                          + NotFound (Facebook)
  x Transient (a server error or a timeout: retried by sources/http.py, never reaches the user)
  x ClassifierError (also classifiers.model.ClassifierError, the base of classifiers/' own errors:
                     ConversionError, CascadeError, CorpusError)
  x PlaybookError (raised by playbooks/engine.py)   x ConfigError   x BenchError
  x StorageError   + StorageBusy   + StorageFull   + StorageReadOnly   + StorageCorrupt
  x InputError (a file given on the command line has a bad line or column; a value a caller passed)
      + PayloadError (sources/payloads.py: a body or item not in the platform's documented shape)
  x MailError (the SMTP server refused or could not be reached)
  x WorkflowError (an action the item's state does not allow, or that lacks what it needs)
  x AccessDenied (no such active user, or their role may not do this; sign-in throttled)
  x JobError (a scheduled job ran, and part of it failed: a source of a poll pass)
```

A message a person sees when their action is refused is written from a catalogue template and its
values: ``raise WorkflowError(N_("no queue item {item_id}: see `repmon queue --all`"), item_id=5)``.
``str(exc)`` is the English text (logs, tests); ``i18n.error_text(exc, language)`` is the same message in
a reader's language, its values shown by their names there (see ``i18n.error_text``). In English a list
value is joined with ", ", a ``OneOf`` with " or ", a ``Wait`` is written "40 s" or "3 minutes". An error
raised with a plain message (a platform's, a driver's) is shown as it is, in every language.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from classifiers.errors import ClassifierError as _ClassifierError


class OneOf(list[str]):
    """A message value that is a choice between its items: "manager or legal" in English."""


class Wait(timedelta):
    """A message value that is how long to wait: "40 s" or "3 minutes" in English, a duration in words in
    the reader's language (``i18n.error_text``)."""

    def __str__(self) -> str:
        seconds = max(1, math.ceil(self.total_seconds()))
        return f"{seconds} s" if seconds < 120 else f"{(seconds + 59) // 60} minutes"


def english_value(value: object) -> object:
    """A message value as the English text writes it (lists joined, a ``Wait`` in seconds or minutes)."""
    if isinstance(value, OneOf):
        return " or ".join(str(v) for v in value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


class MonitorError(Exception):
    """Base of every error repmon reports to its user. ``message`` is the English text, or a catalogue
    template (marked ``N_``) filled with ``values``; ``template`` and ``values`` are kept for
    ``i18n.error_text``."""

    def __init__(self, message: str = "", /, **values: object) -> None:
        text = message.format(**{k: english_value(v) for k, v in values.items()}) if values else message
        super().__init__(text)
        self.template = message
        self.values = values


class ConfigError(MonitorError):
    """A setting or configuration file is missing or invalid."""


class InputError(MonitorError):
    """An input file cannot be read as asked (missing file, unknown column, wrong format)."""


class ClassifierError(MonitorError, _ClassifierError):
    """The classifier could not be loaded or run."""


class StorageError(MonitorError):
    """The database cannot be opened, migrated or written."""


class StorageBusy(StorageError):
    """Another writer held the database too long (SQLite busy or locked, a PostgreSQL lock timeout or
    deadlock): nothing was stored; trying again is safe."""


class StorageFull(StorageError):
    """The disk that holds the database is full: nothing was stored."""


class StorageReadOnly(StorageError):
    """The database, its folder or its disk is read-only: nothing was stored."""


class StorageCorrupt(StorageError):
    """The database file is damaged or not a database."""


class WorkflowError(MonitorError):
    """An action that the item's current state does not allow, or that lacks what it needs."""


class PlaybookError(MonitorError):
    """A playbook or rules file is invalid."""


class SourceError(MonitorError):
    """A source (X, Facebook, demo) failed; ``source`` names it."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"source {source!r}: {message}")
        self.source = source


class RateLimited(SourceError):
    """The platform refused for now; try again after ``reset_at``."""

    def __init__(self, source: str, message: str, reset_at: datetime | None) -> None:
        super().__init__(source, message)
        self.reset_at = reset_at


class AuthExpired(SourceError):
    """The platform rejected the credentials (401/403)."""


class BadPayload(SourceError):
    """The platform sent something that is not what its documentation describes."""


class MailError(MonitorError):
    """An e-mail could not be sent (server unreachable, refused login, refused recipient)."""


class AccessDenied(MonitorError):
    """The acting user does not exist, is disabled, or their role may not do what was asked; or a
    sign-in is refused (a wrong password, or too many failures: then until ``retry_at``)."""

    def __init__(self, message: str, /, retry_at: datetime | None = None, **values: object) -> None:
        super().__init__(message, **values)
        self.retry_at = retry_at


class BenchError(MonitorError):
    """A benchmark could not be measured: a step it ran failed or gave a wrong count."""


class JobError(MonitorError):
    """A scheduled job ran, and part of it failed (e.g. one source of a poll); the rest was done."""
