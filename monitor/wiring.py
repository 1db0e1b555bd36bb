"""Which sources run, built from the settings (the only place that reads tokens for the pollers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from monitor.errors import ConfigError
from monitor.records import Platform
from monitor.settings import Settings, current
from monitor.sources import Source
from monitor.storage import Store
from monitor.triage import legal_playbooks
from playbooks.engine import Library, LibraryHolder

if TYPE_CHECKING:
    from classifiers.model import Classifier

KNOWN = ("demo", "x-mentions", "x-search", "x-quotes", "x-metrics", "facebook", "facebook-metrics")


class ClassifierOptions(TypedDict):
    """The classifier's configuration, as ``classifiers.load_classifier`` takes it."""

    head_dir: Path | None
    encoder: str | None
    threads: int
    precision: str
    model_cache: Path


def classifier_options(settings: Settings) -> ClassifierOptions:
    """The classifier's arguments from the settings. The head and the encoder are passed only when set:
    unset, the head shipped with repmon and the encoder it was trained on are used."""
    return ClassifierOptions(
        head_dir=settings.head_dir if settings.is_set("REPMON_HEAD_DIR") else None,
        encoder=settings.encoder if settings.is_set("REPMON_ENCODER") else None,
        threads=settings.threads,
        precision=settings.precision,
        model_cache=settings.model_cache,
    )


def wanted_sources() -> list[str]:
    """The configured source names; ``auto`` is every source whose settings are complete, else the demo."""
    settings = current()
    wanted = list(settings.sources)
    unknown = [w for w in wanted if w not in (*KNOWN, "auto")]
    if unknown:
        raise ConfigError(
            f"REPMON_SOURCES names unknown source(s) {', '.join(unknown)}: "
            f"known sources are {', '.join(KNOWN)}"
        )
    if wanted not in ([], ["auto"]):
        return wanted
    auto = []
    if settings.x_bearer_token.get_secret_value():
        if settings.x_account_id:
            auto.append("x-mentions")
        if settings.x_query:
            auto.append("x-search")
        if settings.x_watch_quotes:
            auto.append("x-quotes")
        auto.append("x-metrics")
    if settings.facebook_page_token.get_secret_value() and settings.facebook_page_id:
        auto += ["facebook", "facebook-metrics"]
    return auto or ["demo"]


def watched_posts(store: Store, now: datetime, library: Library | None = None) -> list[str]:
    """The X posts whose quotes the x-quotes source fetches: the business's own posts of the last 7 days,
    and every open post on a legal playbook (one whose YAML says ``legal: true``, in ``library`` or the
    default library: ``escalate_legal`` and ``crisis``), since who quotes a defamatory post is evidence."""
    legal_names = legal_playbooks(library)
    legal = [r.external_id for r in store.open_mentions(Platform.X) if r.playbook in legal_names]
    own = store.business_posts(Platform.X, now - timedelta(days=7))
    return list(dict.fromkeys(own + legal))


def build_sources(store: Store, library: Library | LibraryHolder | None = None) -> list[Source]:
    """Construct every wanted source; a missing setting is a ``ConfigError`` naming it. ``library``: the
    playbooks whose legal ones the x-quotes source watches (a holder: the library in force at each poll;
    None: the default library)."""
    settings = current()
    names = wanted_sources()
    sources: list[Source] = []
    x_names = [n for n in names if n.startswith("x-")]
    if x_names:
        from monitor.sources.x import XMetricsSource, XSource, make_client, reads_today

        token = settings.x_bearer_token.get_secret_value()
        if not token:
            raise ConfigError(
                f"sources {', '.join(x_names)} need REPMON_X_BEARER_TOKEN (environment or secrets file)"
            )
        client = make_client(token)
        budget = settings.x_daily_read_budget  # 0 (no limit) or more: checked when the settings load

        def elsewhere(me: str) -> Callable[[datetime], int]:
            """Reads today by the other X sources: one budget for all of them."""
            return lambda now: sum(
                reads_today(s.cursor, now)
                for s in store.sources()
                if s.name.startswith("x-") and s.name != me
            )

        def watched() -> list[str]:
            held = library.library if isinstance(library, LibraryHolder) else library
            return watched_posts(store, datetime.now(UTC), held)

        for name in x_names:
            if name == "x-metrics":
                sources.append(
                    XMetricsSource(
                        name,
                        client,
                        lambda: store.open_mentions(Platform.X),
                        daily_budget=budget,
                        reads_elsewhere=elsewhere(name),
                    )
                )
                continue
            kind = name.removeprefix("x-")
            account, query = settings.x_account_id or None, settings.x_query or None
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
    platform, settings = name.split("-")[0], current()
    if platform == Platform.X:
        return timedelta(seconds=settings.x_poll_interval)
    if platform == Platform.FACEBOOK:
        return timedelta(seconds=settings.facebook_poll_interval)
    return timedelta(seconds=settings.poll_interval)


def _facebook_sources(store: Store, names: list[str]) -> list[Source]:
    from monitor.sources.facebook import FacebookMetricsSource, FacebookSource

    settings = current()
    token, page = settings.facebook_page_token.get_secret_value(), settings.facebook_page_id
    if not token or not page:
        raise ConfigError(
            "the Facebook sources need REPMON_FACEBOOK_PAGE_ID and REPMON_FACEBOOK_PAGE_TOKEN "
            "(token in the environment or the secrets file)"
        )
    source = FacebookSource(
        "facebook",
        page,
        token,
        version=settings.facebook_graph_version,
        comment_window=timedelta(days=settings.facebook_comment_days),
    )
    out: list[Source] = []
    if "facebook" in names:
        out.append(source)
    if "facebook-metrics" in names:
        out.append(FacebookMetricsSource(source, store))
    return out


def configured_classifier(head_dir: Path | str | None = None) -> Classifier:
    """The classifier as the settings configure it (``REPMON_PRECISION``, ``REPMON_THREADS``, ...), with
    ``head_dir`` (a model written by ``repmon train --output``) instead of ``REPMON_HEAD_DIR`` when given:
    for the scripts that measure a trained model, so that they read it in the arithmetic the settings name."""
    from classifiers import load_classifier

    options = classifier_options(current())
    if head_dir is not None:
        options["head_dir"] = Path(head_dir)
    return load_classifier(**options)
