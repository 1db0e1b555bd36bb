"""Which sources run, built from the settings (the only place that reads tokens for the pollers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from monitor.errors import ConfigError
from monitor.settings import secret, setting
from monitor.sources import Source
from monitor.storage import Store
from monitor.triage import LEGAL_PLAYBOOKS

KNOWN = ("demo", "x-mentions", "x-search", "x-quotes", "x-metrics", "facebook", "facebook-metrics")


def wanted_sources() -> list[str]:
    """The configured source names; ``auto`` is every source whose settings are complete, else the demo."""
    wanted = [s.strip() for s in setting("REPMON_SOURCES").split(",") if s.strip()]
    unknown = [w for w in wanted if w not in (*KNOWN, "auto")]
    if unknown:
        raise ConfigError(
            f"REPMON_SOURCES names unknown source(s) {', '.join(unknown)}: "
            f"known sources are {', '.join(KNOWN)}"
        )
    if wanted not in ([], ["auto"]):
        return wanted
    auto = []
    if secret("REPMON_X_BEARER_TOKEN"):
        if setting("REPMON_X_ACCOUNT_ID"):
            auto.append("x-mentions")
        if setting("REPMON_X_QUERY"):
            auto.append("x-search")
        if setting("REPMON_X_WATCH_QUOTES").lower() == "true":
            auto.append("x-quotes")
        auto.append("x-metrics")
    if secret("REPMON_FACEBOOK_PAGE_TOKEN") and setting("REPMON_FACEBOOK_PAGE_ID"):
        auto += ["facebook", "facebook-metrics"]
    return auto or ["demo"]


def _int(name: str) -> int:
    value = setting(name)
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number") from None


def watched_posts(store: Store, now: datetime) -> list[str]:
    """The X posts whose quotes the x-quotes source fetches: the business's own posts of the last 7 days,
    and every open post on a legal playbook (``escalate_legal`` and ``crisis``, the most viral of them),
    since who quotes a defamatory post is evidence."""
    legal = [r["external_id"] for r in store.open_mentions("x") if r["playbook"] in LEGAL_PLAYBOOKS]
    own = store.business_posts("x", now - timedelta(days=7))
    return list(dict.fromkeys(own + legal))


def build_sources(store: Store) -> list[Source]:
    """Construct every wanted source; a missing setting is a ``ConfigError`` naming it."""
    names = wanted_sources()
    sources: list[Source] = []
    x_names = [n for n in names if n.startswith("x-")]
    if x_names:
        from monitor.sources.x import XMetricsSource, XSource, make_client, reads_today

        token = secret("REPMON_X_BEARER_TOKEN")
        if not token:
            raise ConfigError(
                f"sources {', '.join(x_names)} need REPMON_X_BEARER_TOKEN (environment or secrets file)"
            )
        client = make_client(token)
        budget = _int("REPMON_X_DAILY_READ_BUDGET")
        if budget < 0:
            raise ConfigError(f"REPMON_X_DAILY_READ_BUDGET={budget} is negative: set 0 (no limit) or more")

        def elsewhere(me: str) -> Callable[[datetime], int]:
            """Reads today by the other X sources: one budget for all of them."""
            return lambda now: sum(
                reads_today(s.cursor, now)
                for s in store.sources()
                if s.name.startswith("x-") and s.name != me
            )

        def watched() -> list[str]:
            return watched_posts(store, datetime.now(UTC))

        for name in x_names:
            if name == "x-metrics":
                sources.append(
                    XMetricsSource(
                        name,
                        client,
                        lambda: store.open_mentions("x"),
                        daily_budget=budget,
                        reads_elsewhere=elsewhere(name),
                    )
                )
                continue
            kind = name.removeprefix("x-")
            account, query = setting("REPMON_X_ACCOUNT_ID") or None, setting("REPMON_X_QUERY") or None
            if kind == "mentions" and not account:
                raise ConfigError(
                    "source x-mentions needs REPMON_X_ACCOUNT_ID (the business's numeric X user id)"
                )
            if kind == "search" and not query:
                raise ConfigError("source x-search needs REPMON_X_QUERY (the brand search query)")
            sources.append(
                XSource(
                    name,
                    kind,
                    client,
                    account_id=account,
                    query=query,
                    watched=watched,
                    daily_budget=budget,
                    reads_elsewhere=elsewhere(name),
                )
            )
    fb_names = [n for n in names if n.startswith("facebook")]
    if fb_names:
        sources += _facebook_sources(store, fb_names)
    for src in sources:
        src.min_interval = poll_interval(src.name)
    if "demo" in names:
        from monitor.sources.demo import DemoSource

        sources.append(DemoSource())
    return sources


def poll_interval(name: str) -> timedelta:
    """The least time between two polls of a source: its platform's interval (the demo: every pass)."""
    platform = name.split("-")[0]
    if platform == "x":
        return timedelta(seconds=_int("REPMON_X_POLL_INTERVAL"))
    if platform == "facebook":
        return timedelta(seconds=_int("REPMON_FACEBOOK_POLL_INTERVAL"))
    value = setting("REPMON_POLL_INTERVAL")
    try:
        return timedelta(seconds=float(value))
    except ValueError:
        raise ConfigError(f"REPMON_POLL_INTERVAL={value!r} is not a number of seconds") from None


def _facebook_sources(store: Store, names: list[str]) -> list[Source]:
    from monitor.sources.facebook import FacebookMetricsSource, FacebookSource

    token, page = secret("REPMON_FACEBOOK_PAGE_TOKEN"), setting("REPMON_FACEBOOK_PAGE_ID")
    if not token or not page:
        raise ConfigError(
            "the Facebook sources need REPMON_FACEBOOK_PAGE_ID and REPMON_FACEBOOK_PAGE_TOKEN "
            "(token in the environment or the secrets file)"
        )
    source = FacebookSource("facebook", page, token, version=setting("REPMON_FACEBOOK_GRAPH_VERSION"))
    out: list[Source] = []
    if "facebook" in names:
        out.append(source)
    if "facebook-metrics" in names:
        out.append(FacebookMetricsSource(source, store))
    return out
