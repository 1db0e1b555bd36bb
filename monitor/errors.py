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
"""

from __future__ import annotations

from datetime import datetime

from classifiers.errors import ClassifierError as _ClassifierError


class MonitorError(Exception):
    """Base of every error repmon reports to its user."""


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

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class BenchError(MonitorError):
    """A benchmark could not be measured: a step it ran failed or gave a wrong count."""


class JobError(MonitorError):
    """A scheduled job ran, and part of it failed (e.g. one source of a poll); the rest was done."""
