"""`repmon train`: fine-tune the classifier (``classifiers.finetune``) on the own corpus, the real sets
and, on request, the labels people corrected in the database."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, err
from monitor.errors import InputError

if TYPE_CHECKING:
    from classifiers.finetune import DevLogits
    from classifiers.head import Head
    from classifiers.realsets import RealExample


def add_train(sub: Subparsers, _: Gettext) -> None:
    from classifiers.finetune import Settings
    from classifiers.realsets import trainable_sets

    p = sub.add_parser(
        "train", help=_("fine-tune the classifier on classifiers/data/train and the real sets in --datasets")
    )
    p.add_argument("--data", help=_("directory of *.jsonl training files (default: the bundled corpus)"))
    p.add_argument(
        "--datasets",
        help=_("folder of the real labelled sets, read in place (default: ../shared/datasets)"),
    )
    p.add_argument("--own-only", action="store_true", help=_("train on the own corpus alone"))
    p.add_argument(
        "--without",
        action="append",
        default=[],
        choices=trainable_sets(),
        metavar="SET",
        help=_("leave out one real set, for training and calibration, as if it were absent (repeatable)"),
    )
    p.add_argument("--epochs", type=float, default=Settings().epochs, help=_("passes over the training data"))
    p.add_argument(
        "--real-weight",
        type=float,
        default=Settings().real_weight,
        help=_("how much a real set's post counts in the loss; an own post counts 1"),
    )
    p.add_argument("--no-progress", action="store_true", help=_("no progress bar (a line every 50 steps)"))
    p.add_argument(
        "--calibrate-only",
        action="store_true",
        help=_("fit calibration and thresholds again for the trained model in --output, without training"),
    )
    p.add_argument("--output", help=_("where to write the adapter and head (default: REPMON_HEAD_DIR)"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--with-corrections",
        action="store_true",
        help=_("also train on the labels people corrected in the database (the business's own domain)"),
    )
    p.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from classifiers import LABELS
    from classifiers.encoder import DEFAULT_ENCODER, resolve_encoder
    from classifiers.finetune import Settings, finetune, real_dev_sets
    from classifiers.model import DEFAULT_HEAD_DIR
    from classifiers.realsets import DEFAULT_DATASETS, find_training_sets
    from classifiers.training import CorpusError, load_examples, training_files
    from monitor.settings import current

    common.quiet_libraries()
    _ = common.gettext()
    files = training_files(Path(args.data)) if args.data else training_files()
    if not files:
        raise InputError(f"no *.jsonl training files in {args.data or 'classifiers/data/train'}")
    try:
        examples = load_examples(files, LABELS)
    except CorpusError as exc:
        raise InputError(f"{exc}: fix the line and train again") from exc
    if args.with_corrections:
        from classifiers.text import detect_language
        from classifiers.training import Example

        corrected = common.open_store().corrections()
        examples += [
            Example(text, (label,), detect_language(text), "correction") for text, label in corrected
        ]
        err(_("Adding {n} corrected examples from the database").format(n=len(corrected)))
    err(
        _("Own corpus: {examples} examples from {files} files").format(
            examples=len(examples), files=len(files)
        )
    )
    root = Path(args.datasets) if args.datasets else DEFAULT_DATASETS
    if args.own_only:
        real: list[RealExample] = []
        found: list[str] = []
        dev = {}
        err(_("repmon train: WARNING: --own-only: the real datasets are not read"))
    else:
        warning = _("repmon train: WARNING: {warning}")
        if args.without:
            err(_("Real sets left out on request: {sets}").format(sets=", ".join(args.without)))
        real, found = find_training_sets(
            root, LABELS, warn=lambda m: err(warning.format(warning=m)), without=args.without
        )
        dev = real_dev_sets(root, LABELS, without=args.without)
    err(_("Real sets found: {sets}").format(sets=", ".join(found) if found else _("none")))
    configured = current()
    out = Path(
        args.output
        or (configured.head_dir if configured.is_set("REPMON_HEAD_DIR") else None)
        or DEFAULT_HEAD_DIR
    )
    if args.calibrate_only:
        from classifiers.finetune import recalibrate

        head, summary = recalibrate(out, examples, dev, progress=err, model_cache=configured.model_cache)
        _print_result(
            head, summary, dev, out, _("saved the calibration and thresholds to {folder} ({version})")
        )
        return 0
    settings = Settings(epochs=args.epochs, seed=args.seed, real_weight=args.real_weight)
    name = configured.encoder if configured.is_set("REPMON_ENCODER") else DEFAULT_ENCODER
    head, summary = finetune(
        resolve_encoder(name, err, cache=configured.model_cache),
        examples,
        real,
        dev,
        LABELS,
        encoder=name,
        base_version=f"{name}@256",
        found_sets=found,
        out_dir=out,
        settings=settings,
        progress=err,
        bar=not args.no_progress,
    )
    _print_result(head, summary, dev, out, _("saved the adapter and head to {folder} ({version})"))
    return 0


def _print_result(
    head: Head, summary: DevLogits, dev: dict[str, list[RealExample]], out: Path, saved: str
) -> None:
    """What a training or calibration run scored on the dev parts, its thresholds, and where it was saved
    (``saved``: a translated line with ``{folder}`` and ``{version}``)."""
    from classifiers.evaluation import dev_summary

    _ = common.gettext()
    print(_("On the dev parts (never trained on):"))
    for line in dev_summary(head, summary, dev):
        print(f"  {line}")
    print(_("thresholds: {thresholds}").format(thresholds=json.dumps(head.config.thresholds)))
    print(saved.format(folder=out, version=head.config.version))
