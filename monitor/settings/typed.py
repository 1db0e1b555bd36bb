"""The typed settings: one frozen ``Settings`` with one field per setting (same order and names as the
table in ``monitor.settings.fields``, ``REPMON_SMTP_PORT`` -> ``smtp_port``), built from one snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from monitor.errors import ConfigError
from monitor.settings.fields import SECRETS, SETTINGS
from monitor.settings.kinds import Addressee
from monitor.settings.reading import Snapshot


@dataclass(frozen=True)
class Settings:
    """Every setting's typed value. Tokens and passwords are ``SecretStr`` (never shown by repr or str;
    ``.get_secret_value()`` where they are used). ``explicit``: the settings given in the environment,
    the settings file or the secrets file rather than left at their default."""

    config: Path | None
    encoder: str
    model_cache: Path
    head_dir: Path
    precision: str
    threads: int
    data_dir: Path
    audit_key_file: Path | None
    database_url: str
    sources: tuple[str, ...]
    poll_interval: float
    dashboard_port: int
    dashboard_address: str
    secrets_file: Path | None
    x_bearer_token: SecretStr
    x_account_id: str
    x_query: str
    x_watch_quotes: bool
    x_daily_read_budget: int
    x_poll_interval: int
    facebook_poll_interval: int
    facebook_comment_days: int
    business_name: str
    contact: str
    default_language: str
    ui_language: str
    approvers: tuple[str, ...]
    cli_user: str
    post_replies: bool
    outbox_max_attempts: int
    x_api_key: SecretStr
    x_api_secret: SecretStr
    x_access_token: SecretStr
    x_access_token_secret: SecretStr
    facebook_page_id: str
    facebook_page_token: SecretStr
    facebook_graph_version: str
    smtp_host: str
    smtp_port: int | None
    smtp_tls: str
    smtp_ca_file: Path | None
    smtp_user: str
    smtp_password: SecretStr
    digest_from: str
    digest_recipients: tuple[Addressee, ...]
    digest_time: time
    timezone: ZoneInfo
    dashboard_url: str
    alert_recipients: tuple[Addressee, ...]
    alert_labels: tuple[str, ...]
    alert_virality: float
    spike_k: float
    spike_min_count: int
    max_input_bytes: int
    explicit: frozenset[str] = field(default=frozenset(), repr=False)

    def is_set(self, name: str) -> bool:
        """True when ``name`` (``REPMON_*``) was given rather than left at its default."""
        return name in self.explicit

    def secret(self, name: str) -> str:
        """A token's value by its ``REPMON_*`` name, for the code that sends it ("" when not set)."""
        if name not in SECRETS:
            raise ConfigError(f"{name} is not a secret setting")
        value: SecretStr = getattr(self, name.removeprefix("REPMON_").lower())
        return value.get_secret_value()

    def secret_values(self) -> list[str]:
        """The values of the secret settings in use, longest first, to scrub out of messages (values
        under 4 characters are left out: they would scrub ordinary words)."""
        values = {v for v in (self.secret(n) for n in SECRETS) if len(v) >= 4}
        return sorted(values, key=len, reverse=True)


def build(snapshot: Snapshot) -> Settings:
    """The typed settings of a snapshot whose values are all allowed (see ``report.problems``)."""
    typed: dict[str, Any] = {s.field: s.kind.parse(snapshot.values[s.name]) for s in SETTINGS}
    given = frozenset(n for n, origin in snapshot.origins.items() if origin not in ("default", "not set"))
    return Settings(**typed, explicit=given)
