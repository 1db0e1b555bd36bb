"""What every `repmon` command shares: stderr, the classifier and the playbooks loaded once per process,
the store, the clock, one pipeline pass, and the ``ID --by USER`` arguments of the workflow commands.

Tests replace ``classifier`` and ``now`` here (``monkeypatch.setattr("monitor.cli.common.classifier",
...)``): every command module calls them through this module, never a copy.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.errors import ClassifierError, MonitorError
from monitor.i18n import (
    N_,
    direction,
    format_datetime,
    gettext_for,
    label_name,
    ngettext_for,
    status_name,
    terminal_language,
)
from monitor.records import MAX_ITEM_ID, parse_item_id
from monitor.text_safety import for_terminal, isolate

if TYPE_CHECKING:
    from classifiers.model import Classifier
    from monitor.pipeline import PassReport, Predictor
    from monitor.sources import Source
    from monitor.storage import Store
    from playbooks.engine import LibraryHolder

Subparsers = argparse._SubParsersAction  # what ``add_subparsers`` returns
Gettext = Callable[[str], str]  # the ``_`` of one language (``monitor.i18n.gettext_for``)


def language() -> str:
    """The language of the CLI's human output and help: ``REPMON_UI_LANGUAGE`` when it is set explicitly
    (environment or settings file), else the terminal's locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``)
    when it names an interface language, else English (``monitor.i18n.terminal_language``). JSON output
    is the same in every language."""
    from monitor.settings import current

    try:
        settings = current()
        explicit = settings.ui_language if settings.is_set("REPMON_UI_LANGUAGE") else None
    except MonitorError:  # settings with a problem: `repmon settings` lists it, in the language asked for
        explicit = os.environ.get("REPMON_UI_LANGUAGE") or None
    return terminal_language(os.environ, explicit)


def gettext() -> Gettext:
    """The ``_`` of the CLI's language (``language()``)."""
    return gettext_for(language())


def tr(message: str) -> str:
    """``message`` in the CLI's language (a module's ``_ = common.tr`` where it has no ``_`` of its own)."""
    return gettext_for(language())(message)


_ = tr  # this module's own lines; ``with_actor`` takes the parser's ``_``


def ngettext() -> Callable[[str, str, int], str]:
    """The plural ``n_`` of the CLI's language."""
    return ngettext_for(language())


def err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def shown_name(value: str | None, lang: str) -> str:
    """An untrusted name (a user, a handle, an address) inside a line in ``lang``: its hidden characters
    as markers (``text_safety.for_terminal``) and, in a right-to-left language, isolated in FSI ... PDI
    (``text_safety.isolate``) so that a Latin name and the numbers beside it keep their order in a Hebrew
    sentence."""
    return isolate(value) if direction(lang) == "rtl" else for_terminal(value)


def key_name(key: str | None, lang: str) -> str:
    """A status, playbook or platform key as the CLI shows it: in English the key itself (what the
    commands take: ``escalate_legal``, ``in_progress``), in another language its catalogue name
    (``monitor.i18n.status_name``)."""
    return (key or "") if lang == "en" else status_name(key, lang)


# The roles' names in the catalogue.
ROLE_NAMES: dict[str, str] = {"manager": N_("manager"), "legal": N_("legal"), "owner": N_("owner")}


def role_name(role: str, lang: str) -> str:
    """A role as the CLI shows it: the key in English (what ``--role`` takes), else its catalogue name."""
    return role if lang == "en" or role not in ROLE_NAMES else gettext_for(lang)(ROLE_NAMES[role])


def label_shown(label: str | None, lang: str) -> str:
    """A label as the CLI shows it: the key in English (what ``repmon correct`` takes), else its
    catalogue name (``monitor.i18n.label_name``); ``?`` when unclassified."""
    if label is None:
        return "?"
    return label if lang == "en" else label_name(label, lang)


def when(moment: datetime | None, lang: str, never: str = "-") -> str:
    """A moment for a person: ISO 8601 to the second in English (as the CLI always printed it), the
    language's date and time in the business's time zone (``REPMON_TIMEZONE``) otherwise."""
    if moment is None:
        return never
    if lang == "en":
        return moment.isoformat(timespec="seconds")
    from monitor.settings import current

    return format_datetime(moment, lang, current().timezone)


def parser_class(_: Gettext) -> type[argparse.ArgumentParser]:
    """An ``ArgumentParser`` whose own words (``usage:``, the section titles, ``-h``'s help) are in the
    language of ``_``; its subparsers are of the same class. argparse's error messages stay English."""

    class Formatter(argparse.HelpFormatter):
        def add_usage(
            self, usage: str | None, actions: object, groups: object, prefix: str | None = None
        ) -> None:
            super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)  # type: ignore[arg-type]

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs.setdefault("formatter_class", Formatter)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._positionals.title = _("positional arguments")
            self._optionals.title = _("options")
            for action in self._actions:
                if isinstance(action, argparse._HelpAction):
                    action.help = _("show this help message and exit")

    return Parser


def item_id(value: str) -> int:
    """argparse type of an item id: a whole number from 1 to ``MAX_ITEM_ID`` (2^31-1: what the id column
    holds in PostgreSQL), so a larger one is "no queue item N", never a database overflow."""
    number = parse_item_id(value)
    if number is None:
        raise argparse.ArgumentTypeError(
            f"no queue item {for_terminal(value)}: an item id is a whole number from 1 to {MAX_ITEM_ID}; "
            "see `repmon queue --all`"
        )
    return number


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """argparse type of a count such as ``--limit`` or ``--batch``: a whole number from ``low`` to
    ``high``, so 0, a negative number or one no database column holds is named at once, never an empty
    answer, a silent "all" or a database overflow."""

    def parse(value: str) -> int:
        try:
            number = int(value) if value.isascii() else None  # int() would read Arabic-Indic digits too
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise argparse.ArgumentTypeError(
                f"{for_terminal(value)!r} is not a whole number from {low:,} to {high:,}"
            )
        return number

    return parse


def port_number(value: str) -> int:
    """argparse type of ``--port``: a TCP port from 1 to 65535, checked before anything is printed or
    started. 0 (which would ask the system for any free port) is refused by name: the dashboard's address
    is printed before it starts, so it must be a known port."""
    number = int(value) if value.isascii() and value.isdigit() else None  # not Arabic-Indic digits
    if number is None or not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{for_terminal(value)!r} is not a port number from 1 to 65535")
    return number


def with_actor(parser: argparse.ArgumentParser, _: Gettext) -> argparse.ArgumentParser:
    """The ``ID`` and ``--by USER`` arguments of a workflow command."""
    parser.add_argument("id", type=item_id, metavar="ID")
    parser.add_argument(
        "--by", help=_("the user who does it (default: REPMON_CLI_USER); their role must allow it")
    )
    return parser


def actor(args: argparse.Namespace) -> str:
    """Who a workflow command acts as: --by, else REPMON_CLI_USER (never $USER). The action checks that
    the user exists, is active, and that their role allows it (``monitor.actions.authorize``)."""
    from monitor.settings import current

    return str(args.by or current().cli_user)


def quiet_libraries() -> None:
    """No download bars or hub chatter: everything here runs offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


@functools.cache
def classifier() -> Classifier:
    """The classifier, loaded once per process."""
    from classifiers import ClassifierError as BaseClassifierError
    from classifiers import load_classifier
    from monitor.settings import current
    from monitor.wiring import classifier_options

    quiet_libraries()
    try:
        return load_classifier(progress=err, **classifier_options(current()))
    except BaseClassifierError as exc:
        raise ClassifierError(str(exc)) from exc
    except OSError as exc:
        raise ClassifierError(
            f"could not load the encoder ({exc}): check REPMON_ENCODER and REPMON_MODEL_CACHE"
        ) from exc


def open_store(migrate: bool = True) -> Store:
    from monitor.settings import current
    from monitor.storage import Store

    settings = current()
    return Store.open(
        settings.data_dir, settings.database_url or None, migrate=migrate, key_file=settings.audit_key_file
    )


def now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def playbooks() -> LibraryHolder:
    from playbooks.engine import LibraryHolder

    return LibraryHolder()


def run_pass(store: Store, sources: Sequence[Source], clf: Predictor) -> PassReport:
    """One pipeline pass with the playbooks as they are now; each problem on stderr."""
    from monitor.pipeline import run_pass as pipeline_pass

    holder = playbooks()
    if holder.reload():  # an edited playbook that does not load: say so, keep the last good one
        err(_("repmon: playbooks: {error}").format(error=holder.last_error))
    report = pipeline_pass(store, sources, clf, now(), library=holder.library)
    for error in report.errors:
        err(f"repmon: {error}")
    return report
