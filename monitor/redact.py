"""The one secret scrubber: what a token looks like, and how it is hidden from messages, logs and evidence.

Every message repmon logs, stores, prints or mails may quote a vendor error, a request line or a URL; the
sources, the pipeline, the runner and the HTTP loggers all clean it here. What is hidden:

- an ``Authorization`` header's credential (``Bearer ...``, ``OAuth ...``, OAuth 1.0a's ``oauth_token``
  and ``oauth_signature``);
- ``access_token=`` and ``appsecret_proof=`` in a URL query (facebook-sdk sends the Page token so, and
  Graph echoes it into ``paging.next`` links);
- a Facebook token quoted bare (``EAA...``: Graph quotes a malformed token back in its error text);
- the password in a URL's user part (``postgresql://user:password@host``);
- any value the caller knows is secret (a source's own token), and, in ``redact``, the value of every
  secret setting in use (``monitor.settings.secret_values``).

``scrub`` is pure (patterns and the values given); ``redact`` adds the secret settings and makes the
message valid text; ``scrub_bytes`` cleans an item's raw bytes for the evidence store without changing
anything else in them; ``redact_http_logs`` fits urllib3's and requests' loggers with a filter.
"""

from __future__ import annotations

import logging
import re

from monitor.records import valid_text

REDACTED = "[redacted]"
_SECRETS = re.compile(
    r"(?i:(Bearer\s+|OAuth\s+|(?:access_token|appsecret_proof|oauth_token|oauth_signature)=[\"']?))"
    r"[^\s'\"&]+"  # a credential after its name
    r"|(?i:(\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]*:))[^\s/@'\"]+(?=@)"  # the password in a URL's user part
    r"|\bEAA[A-Za-z0-9]{16,}"  # a Facebook token, quoted bare
)
_SECRET_BYTES = re.compile(rb"((?:access_token|appsecret_proof)=)[^&\s'\"\\]+")
_HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "requests", "tweepy.client")


def _hide(match: re.Match[str]) -> str:
    prefix = match.group(1) or match.group(2)
    return f"{prefix}{REDACTED}" if prefix else REDACTED


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` without the given secret values and without anything shaped like a credential."""
    for value in secrets:
        if value:
            text = text.replace(value, REDACTED)
    return _SECRETS.sub(_hide, text)


def redact(message: str) -> str:
    """A message made safe to log, store or print: without anything that looks like a token or is the
    value of a secret setting, and as valid text (``valid_text``: it may quote a hostile payload)."""
    from monitor.settings import secret_values

    return valid_text(scrub(message, *secret_values()))


def scrub_bytes(raw: bytes) -> bytes:
    """An item's bytes as received, except a token in a query string (Graph echoes the caller's token
    into an embedded edge's ``paging.next``): the evidence store must never hold a credential."""
    if b"access_token=" not in raw and b"appsecret_proof=" not in raw:
        return raw
    return _SECRET_BYTES.sub(rb"\1" + REDACTED.encode(), raw)


class RedactingFilter(logging.Filter):
    """Scrubs each record's message (urllib3 logs each request line, query string and token included, at
    DEBUG; tweepy logs the Authorization header)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def redact_http_logs() -> None:
    """Make sure request lines logged by urllib3, requests and tweepy never carry a token (idempotent)."""
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def hide_url_password(url: str) -> str:
    """A database URL without its password, for messages (``postgresql+psycopg://repmon:***@db/repmon``)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"
