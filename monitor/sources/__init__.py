"""Sources: where mentions come from. Each turns vendor payloads into records at the edge.

A source yields one ``SourcePage`` at a time (a generator of pages); the pipeline stores each page with
its cursor in one transaction before asking for the next, so a crash never loses or repeats work.

- ``base``: the ``Source`` protocol and the value checks the parsers share.
- ``http``: the HTTP policy of both platforms (timeouts, one retry/backoff loop, rate-limit headers).
- ``x/``, ``facebook/``: the platforms (client, parsing, walkers, metrics refresh, replies).
- ``demo``: the demo stream; ``payloads``: exact item bytes; ``refresh``: when to re-read counters.
- ``monitor.redact``: the one secret scrubber every message and log line goes through.
"""

from __future__ import annotations

from monitor.sources.base import Source

__all__ = ["Source"]
