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
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.errors import ClassifierError
from monitor.records import MAX_ITEM_ID, parse_item_id
from monitor.text_safety import for_terminal

if TYPE_CHECKING:
    from classifiers.model import Classifier
    from monitor.pipeline import PassReport, Predictor
    from monitor.sources import Source
    from monitor.storage import Store
    from playbooks.engine import LibraryHolder

Subparsers = argparse._SubParsersAction  # what ``add_subparsers`` returns


def err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


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


def with_actor(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``ID`` and ``--by USER`` arguments of a workflow command."""
    parser.add_argument("id", type=item_id, metavar="ID")
    parser.add_argument(
        "--by", help="the user who does it (default: REPMON_CLI_USER); their role must allow it"
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
        err(f"repmon: playbooks: {holder.last_error}")
    report = pipeline_pass(store, sources, clf, now(), library=holder.library)
    for error in report.errors:
        err(f"repmon: {error}")
    return report
