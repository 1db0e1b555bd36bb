"""The one error tree of repmon. Every message says what happened, to what, and what to do.

```
MonitorError
  x SourceError(source)   + RateLimited(reset_at)   + AuthExpired   + BadPayload
  x ClassifierError   x StorageError   x PlaybookError   x ConfigError
  x InputError (a file given on the command line has a bad line or column)
```
"""

from __future__ import annotations

from classifiers.model import ClassifierError as _ClassifierError


class MonitorError(Exception):
    """Base of every error repmon reports to its user."""


class ConfigError(MonitorError):
    """A setting or configuration file is missing or invalid."""


class InputError(MonitorError):
    """An input file cannot be read as asked (missing file, unknown column, wrong format)."""


class ClassifierError(MonitorError, _ClassifierError):
    """The classifier could not be loaded or run."""
