"""E-mail out: the SMTP settings, who gets what, and sending each owed e-mail exactly once.

Rendering is pure and lives elsewhere (``monitor.email.digest``, ``monitor.email.alerts``); here is the
I/O: an SMTP connection (SSL, STARTTLS or plain, with an optional login) and the delivery ledger in the
store, which makes every digest, alert and spike notice go out once per recipient, retried with a growing
delay while the server is down. A crash after the server accepted a message but before the ledger
recorded it sends that message again on restart, with the same Message-ID, so mail clients show it once.

Each recipient gets e-mail in one language: the one written after its address in the setting
(``a@x.co.il:en``), else, when the address is a user's, that user's language, else ``REPMON_UI_LANGUAGE``.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from monitor import i18n
from monitor.email.addresses import email_problem
from monitor.errors import ConfigError, MailError
from monitor.redact import scrub
from monitor.settings import Addressee, current
from monitor.settings.kinds import addressees
from monitor.storage import Store

TLS_MODES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
MAX_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str = i18n.DEFAULT_LANGUAGE


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str
    user: str = ""
    password: str = ""
    sender: str = ""
    timeout: float = 30.0
    ca_file: str = ""  # a PEM CA bundle for a relay with a private CA; empty: the system's CAs

    def __repr__(self) -> str:  # never show the password
        return f"SmtpConfig(host={self.host!r}, port={self.port}, tls={self.tls!r}, user={self.user!r})"


def ui_language() -> str:
    """``REPMON_UI_LANGUAGE``: the language of e-mail to an address that is not a user's."""
    return i18n.language_or_default(current().ui_language)


def parse_recipients(
    value: str, setting_name: str, languages: Mapping[str, str] | None = None
) -> list[Recipient]:
    """'a@x.co.il:he, b@y.com:en' -> recipients. An address without a language gets its user's
    (``languages``: lower-case address -> language), else ``REPMON_UI_LANGUAGE``."""
    found = addressees(value)  # split, each address once
    for address, language in found:
        if problem := email_problem(address):
            raise ConfigError(f"{setting_name}: {address!r} is not an e-mail address ({problem})")
        if language and language not in i18n.LANGUAGES:
            choices = ", ".join(i18n.LANGUAGES)
            raise ConfigError(f"{setting_name}: language {language!r} for {address} is not one of {choices}")
    return _recipients(found, languages)


def _recipients(found: tuple[Addressee, ...], languages: Mapping[str, str] | None = None) -> list[Recipient]:
    """Each addressee with its language: as written, else its user's, else ``REPMON_UI_LANGUAGE``."""
    known = languages or {}
    return [Recipient(a.address, a.language or known.get(a.address.lower()) or ui_language()) for a in found]


def user_languages(store: Store) -> dict[str, str]:
    """Each active user's e-mail address (lower case) and their language."""
    return {
        u.email.lower(): i18n.language_or_default(u.language or ui_language())
        for u in store.users()
        if u.email and not u.disabled
    }


def digest_recipients(store: Store, problems: list[str] | None = None) -> list[Recipient]:
    """REPMON_DIGEST_RECIPIENTS, plus owners who asked for the digest on the dashboard. A stored address
    that is not a valid e-mail address is left out, and what is wrong is added to ``problems``."""
    out = _recipients(current().digest_recipients, user_languages(store))
    known = {r.address.lower() for r in out}
    for user in store.users():
        if user.digest and user.email and not user.disabled and (problem := email_problem(user.email)):
            if problems is not None:
                problems.append(
                    f"user {user.name}'s digest address {user.email!r} is not an e-mail address "
                    f"({problem}): no digest goes to it; fix it on the dashboard's Account page"
                )
            continue
        if user.digest and user.email and not user.disabled and user.email.lower() not in known:
            language = i18n.language_or_default(user.language or ui_language())
            out.append(Recipient(user.email, language))
            known.add(user.email.lower())
    return out


def alert_recipients(store: Store) -> list[Recipient]:
    """REPMON_ALERT_RECIPIENTS, or the digest's recipients when it is empty."""
    own = _recipients(current().alert_recipients, user_languages(store))
    return own or digest_recipients(store)


def smtp_config() -> SmtpConfig | None:
    """The SMTP settings, or None when REPMON_SMTP_HOST is empty (e-mail is off)."""
    settings = current()
    host = settings.smtp_host
    if not host:
        return None
    tls = settings.smtp_tls
    port = settings.smtp_port or DEFAULT_PORTS[tls]
    sender = settings.digest_from
    if not sender:
        raise ConfigError("REPMON_DIGEST_FROM is empty: set the From address of the digest and alerts")
    return SmtpConfig(
        host, port, tls, settings.smtp_user, settings.smtp_password.get_secret_value(), sender,
        ca_file=str(settings.smtp_ca_file or ""),
    )  # fmt: skip


def send(message: EmailMessage, config: SmtpConfig) -> None:
    """Hand one message to the SMTP server; ``MailError`` (without the password) if it is not accepted."""
    where = f"SMTP server {config.host}:{config.port} ({config.tls})"
    try:
        context = ssl.create_default_context(cafile=config.ca_file or None)
        client: smtplib.SMTP
        if config.tls == "ssl":
            client = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with client:
            if config.tls == "starttls":
                client.starttls(context=context)
            if config.user:
                client.login(config.user, config.password)
            refused = client.send_message(message)
            if refused:  # accepted for some recipients only: not delivered to these
                raise MailError(f"{where} refused the recipient(s) {', '.join(refused)}")
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"{where} refused the login of {config.user!r} ({exc.smtp_code}): check REPMON_SMTP_USER and "
            "REPMON_SMTP_PASSWORD"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"{where} refused the recipient(s) {', '.join(exc.recipients)}") from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        reason = scrub(str(exc), config.password)
        raise MailError(f"{where}: {type(exc).__name__}: {reason}; repmon will retry") from None


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4, 8 ... minutes, at most 30."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver(
    store: Store,
    kind: str,
    key: str,
    recipient: Recipient,
    build: Callable[[], EmailMessage],
    transport: Callable[[EmailMessage], None],
    now: datetime,
) -> str:
    """Send the e-mail ``(kind, key)`` to ``recipient`` unless it was sent already; returns ``sent``,
    ``already`` (sent before), ``waiting`` (a retry is not due yet) or ``failed`` (retry scheduled)."""
    address = recipient.address
    existing = next(
        (d for d in store.deliveries(kind=kind, limit=1000) if d.key == key and d.recipient == address),
        None,
    )
    if existing and existing.status == "sent":
        return "already"
    if not store.delivery_due(kind, key, address, now):
        return "waiting"
    message = build()
    try:
        transport(message)
    except MailError as exc:
        attempts = (existing.attempts if existing else 0) + 1
        store.delivery_result(kind, key, address, now, error=str(exc), retry_at=now + backoff(attempts))
        return "failed"
    store.delivery_result(kind, key, address, now, message_id=str(message.get("Message-ID", "")) or None)
    return "sent"
