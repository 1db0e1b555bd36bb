"""What a setting allows (its kind): the words that say it, the check of a value, and the parser that
turns an allowed value (or the default) into its typed value."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr

from monitor.email.addresses import email_problem, sender_problem
from monitor.i18n import LANGUAGES
from monitor.vocabulary import Label


class Addressee(NamedTuple):
    """One recipient of a recipients setting: the address and the language of what it is sent."""

    address: str
    language: str = "he"


def _same(value: str) -> str:
    return value


def _stripped(value: str) -> str:
    return value.strip()


@dataclass(frozen=True)
class Kind:
    """What a setting allows: ``allowed`` says it to people; ``problem(value)`` is None for a good value,
    else what is wrong with it; ``parse(value)`` is the typed value of a good one (or of the default).
    ``secret``: the value is never shown."""

    allowed: str
    problem: Callable[[str], str | None]
    secret: bool = False
    parse: Callable[[str], Any] = _same
    documented: str = ""  # ``allowed`` as the README says it, where it depends on the machine

    @property
    def readme(self) -> str:
        return self.documented or self.allowed


def whole(low: int, high: int, note: str = "") -> Kind:
    """A whole number from ``low`` to ``high``."""

    def problem(value: str) -> str | None:
        try:
            number = int(value.strip())
        except ValueError:
            return "not a whole number"
        return None if low <= number <= high else "out of range"

    allowed = f"a whole number from {low:,} to {high:,}" + (f" ({note})" if note else "")
    return Kind(allowed, problem, parse=lambda v: int(v.strip()))


def number(low: float, high: float) -> Kind:
    """A number (decimals allowed) from ``low`` to ``high``."""

    def problem(value: str) -> str | None:
        try:
            x = float(value.strip())
        except ValueError:
            return "not a number"
        return None if low <= x <= high else "out of range"  # NaN is out of every range

    return Kind(f"a number from {low:g} to {high:g}", problem, parse=lambda v: float(v.strip()))


def choice(*values: str) -> Kind:
    """One of ``values`` (case as written)."""
    return Kind(
        "one of " + ", ".join(values),
        lambda v: None if v.strip() in values else "not an allowed value",
        parse=_stripped,
    )


def _optional(kind: Kind) -> Kind:
    return Kind(
        f"empty, or {kind.allowed}",
        lambda v: kind.problem(v) if v.strip() else None,
        kind.secret,
        parse=lambda v: kind.parse(v) if v.strip() else None,
    )


def cpus() -> int:
    return os.cpu_count() or 1


def threads() -> Kind:
    """0 (all cores) up to this machine's number of cores."""
    kind = whole(0, cpus(), "0: all cores")
    return Kind(
        kind.allowed,
        kind.problem,
        parse=kind.parse,
        documented="a whole number from 0 to the number of cores (0: all cores)",
    )


def _text(value: str) -> str | None:
    return "holds a control character" if any(ord(c) < 32 and c not in "\t" for c in value) else None


def _token(value: str) -> str | None:
    return (
        "holds a space or a control character inside: paste the token again"
        if any(c.isspace() or ord(c) < 32 for c in value.strip())
        else None
    )


def _boolean(value: str) -> str | None:
    return None if value.strip().lower() in ("true", "false") else "not true or false"


def _port(value: str) -> str | None:
    return whole(1, 65535).problem(value) and "not a port number"


def _host(value: str) -> str | None:
    value = value.strip()
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    good = all(re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", x) for x in labels)
    return None if value and good else "not a host name or IP address"


def _directory(must_exist: bool) -> Callable[[str], str | None]:
    def problem(value: str) -> str | None:
        if not value.strip():
            return "empty"
        path = Path(value).expanduser()
        if path.exists() and not path.is_dir():
            return "names a file, not a folder"
        if must_exist and not path.is_dir():
            return "no such folder"
        return None

    return problem


def _file(value: str) -> str | None:
    if not value.strip():
        return None
    path = Path(value).expanduser()
    if path.is_dir():
        return "names a folder, not a file"
    return None if path.is_file() else "no such file"


def _path(value: str) -> Path:
    return Path(value).expanduser()


def _optional_path(value: str) -> Path | None:
    return Path(value).expanduser() if value.strip() else None


def _database_url(value: str) -> str | None:
    if not value.strip():
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value.strip())
    except ArgumentError:
        return "not a database URL"
    return None if url.get_backend_name() in ("sqlite", "postgresql") else "not a sqlite or postgresql URL"


def _names(value: str) -> tuple[str, ...]:
    """A comma-separated list, each name stripped, the empty ones left out."""
    return tuple(x.strip() for x in value.split(",") if x.strip())


def _sources(value: str) -> str | None:
    from monitor.wiring import KNOWN

    unknown = [n for n in _names(value) if n not in (*KNOWN, "auto")]
    return f"unknown source(s) {', '.join(unknown)}" if unknown else None


def _labels(value: str) -> str | None:
    from classifiers import LABELS

    unknown = [x for x in _names(value) if x not in LABELS]
    return f"unknown label(s) {', '.join(unknown)}" if unknown else None


def recipients_problem(value: str) -> str | None:
    """None for 'a@x.co.il:he, b@y.com:en' (each address valid, each language he or en), else what is
    wrong with the first bad part."""
    for address, language in addressees(value):
        if problem := email_problem(address):
            return f"{address!r}: {problem}"
        if language and language not in LANGUAGES:
            return f"language {language!r} for {address} is not {' or '.join(LANGUAGES)}"
    return None


def addressees(value: str) -> tuple[Addressee, ...]:
    """'a@x.co.il:he, b@y.com:en' -> addressees, each address once; the language is "" when not given
    (the mailer then uses the address's user's language, else REPMON_UI_LANGUAGE)."""
    out: list[Addressee] = []
    for part in _names(value):
        address, _, language = part.partition(":")
        address = address.strip()
        if address.lower() not in {a.address.lower() for a in out}:
            out.append(Addressee(address, language.strip()))
    return tuple(out)


def _clock(value: str) -> str | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    return None if match and int(match[1]) < 24 and int(match[2]) < 60 else "not a time of day HH:MM"


def _clock_time(value: str) -> time:
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def _time_zone(value: str) -> str | None:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return "not a time zone"
    return None


def _url(value: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "not a URL"
    return None if parts.scheme in ("http", "https") and parts.hostname else "not an http(s) address"


TEXT = Kind("any text", _text)
NAMES = Kind("any text", _text, parse=_names)  # a comma-separated list of names
PATH_OPTIONAL = Kind("any text", _text, parse=_optional_path)
TOKEN = Kind("a token (one word, no spaces)", _token, secret=True, parse=lambda v: SecretStr(v.strip()))
BOOLEAN = Kind("true or false", _boolean, parse=lambda v: v.strip().lower() == "true")
PORT = Kind("a port number from 1 to 65535", _port, parse=lambda v: int(v.strip()))
PORT_OPTIONAL = _optional(PORT)
HOST = Kind("a host name or IP address (127.0.0.1, 0.0.0.0, ::1)", _host, parse=_stripped)
HOST_OPTIONAL = Kind(f"empty, or {HOST.allowed}", _optional(HOST).problem, parse=_stripped)
DIRECTORY = Kind("a folder (made if missing)", _directory(False), parse=_path)
EXISTING_DIRECTORY = Kind("an existing folder", _directory(True), parse=_path)
FILE_OPTIONAL = Kind("empty, or an existing file", _file, parse=_optional_path)
# reading.read_secrets says what is wrong with the file (missing, a folder, readable by others)
SECRETS_PATH = Kind(
    "empty, or a TOML file only you may read (chmod 600)", lambda _v: None, parse=_optional_path
)
DATABASE_URL = Kind("empty, or a sqlite:/// or postgresql+psycopg:// URL", _database_url, parse=_stripped)
SOURCES = Kind("auto, or a comma-separated list of sources (see the README)", _sources, parse=_names)
NUMERIC_ID = Kind(
    "empty, or a numeric id",
    lambda v: None if not v.strip() or (v.strip().isascii() and v.strip().isdigit()) else "not a numeric id",
    parse=_stripped,
)
GRAPH_VERSION = Kind(
    "a Graph API version like v25.0",
    lambda v: None if re.fullmatch(r"v?[0-9]+\.[0-9]+", v.strip()) else "not like v25.0",
    parse=_stripped,
)
SENDER = Kind(
    "empty, or an address, or 'Name <address>'",
    lambda v: sender_problem(v) if v.strip() else None,
    parse=_stripped,
)
RECIPIENTS = Kind(
    "comma-separated addresses, each optionally :he or :en", recipients_problem, parse=addressees
)
CLOCK = Kind("a time of day HH:MM (00:00 to 23:59)", _clock, parse=_clock_time)
TIME_ZONE = Kind("a time zone name like Asia/Jerusalem", _time_zone, parse=lambda v: ZoneInfo(v.strip()))
URL = Kind("an http:// or https:// address", _url, parse=_stripped)
LABELS = Kind(f"comma-separated labels: {', '.join(Label)}", _labels, parse=_names)
