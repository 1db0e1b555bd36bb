"""`repmon classify`, `repmon evaluate` and `repmon evaluate-virality`: parsing and printing; the scoring
is in ``classifiers.evaluation`` and ``classifiers.cascades``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, err
from monitor.errors import InputError
from monitor.inputs import Row, no_posts, read_rows
from monitor.text_safety import json_for_terminal

if TYPE_CHECKING:
    from classifiers.model import Prediction

_ = common.tr  # the CLI's language; a function with its own `_` shadows it


def add_classify(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("classify", help=_("classify posts; one JSON object per post on stdout"))
    p.add_argument("texts", nargs="*", metavar="TEXT")
    p.add_argument("--input", help=_("file: plain text (one post a line), .jsonl or .csv/.tsv; - for stdin"))
    p.add_argument(
        "--text-column", default="text", help=_("field or column holding the text (default: text)")
    )
    p.add_argument("--batch-size", type=common.whole_number(1, 100_000), default=32)
    p.set_defaults(func=cmd_classify)


def prediction_json(text: str, pred: Prediction) -> dict[str, object]:
    out: dict[str, object] = {
        "text": text,
        "label": pred.label,
        "scores": pred.scores,
        "language": pred.language,
    }
    if pred.notes:
        out["notes"] = list(pred.notes)
    return out


def cmd_classify(args: argparse.Namespace) -> int:
    if args.input and args.texts:
        raise InputError("give either TEXT arguments or --input FILE, not both")
    if args.input:
        rows = list(read_rows(Path(args.input), args.text_column))
        if not rows:  # an empty answer and exit 0 would look like success
            raise no_posts(Path(args.input))
    elif args.texts:
        rows = [Row(i, {"text": t}) for i, t in enumerate(args.texts, 1)]
    else:
        raise InputError("nothing to classify: give TEXT arguments or --input FILE (see repmon classify -h)")
    clf = common.classifier()
    good = [r for r in rows if r.error is None]
    preds = iter(clf.predict([r.fields[args.text_column] for r in good], batch_size=args.batch_size))
    failed = 0
    for row in rows:
        if row.error is not None:
            failed += 1
            err(row.error)
            print(json_for_terminal({"line": row.line, "error": row.error}))
            continue
        text = row.fields[args.text_column]
        print(json_for_terminal(prediction_json(text if isinstance(text, str) else str(text), next(preds))))
    if failed:
        err(
            _("{failed} of {n} lines could not be read; the others were classified").format(
                failed=failed, n=len(rows)
            )
        )
        return 1
    return 0


def add_evaluate(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("evaluate", help=_("precision, recall and F1 against a labelled file"))
    p.add_argument("--input", required=True, help=_(".jsonl, .csv or .tsv with a text and a gold label"))
    p.add_argument("--label-column", required=True, help=_("field or column holding the gold label(s)"))
    p.add_argument("--text-column", default="text")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="GOLD=LABEL",
        help=_("map a gold value to a label or group (repeatable)"),
    )
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME=LABEL,LABEL",
        help=_("score several predicted labels as one (e.g. negative=complaint,defamation,boycott)"),
    )
    p.add_argument("--by", help=_("also report per value of this column (e.g. lang)"))
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help=_("score only these rows (repeatable)"),
    )
    p.add_argument(
        "--dev-part",
        action="store_true",
        help=_("score only the fixed dev part of a set split by text hash (the part training never reads)"),
    )
    p.add_argument(
        "--sample", type=common.whole_number(1, 1_000_000_000), help=_("score a random sample of N rows")
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=common.whole_number(1, 100_000), default=32)
    p.add_argument("--json", action="store_true", help=_("print JSON instead of a table"))
    p.set_defaults(func=cmd_evaluate)


def parse_pairs(pairs: Sequence[str], flag: str) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise InputError(f"{flag} {pair!r}: expected GOLD=LABEL")
        out[key] = value
    return out


def _read_scored_rows(args: argparse.Namespace) -> list[Row]:
    """The rows of --input that --where and --dev-part keep; an unreadable row is named, not scored."""
    rows = []
    read = 0
    for row in read_rows(Path(args.input), args.text_column):
        read += 1
        if row.error is not None:  # named, not dropped silently; the readable rows are still scored
            err(f"repmon: {row.error}")
            continue
        rows.append(row)
    if not read:  # not "no row has a gold label ... check --label-column": there was no row at all
        raise no_posts(Path(args.input))
    where = parse_pairs(args.where, "--where")
    if rows and any(col not in rows[0].fields for col in where):
        missing = [col for col in where if col not in rows[0].fields]
        raise InputError(f"{args.input}: --where names no column {', '.join(map(repr, missing))}")
    rows = [r for r in rows if all(str(r.fields.get(c)) == v for c, v in where.items())]
    if args.dev_part:
        from classifiers.realsets import in_dev

        rows = [r for r in rows if isinstance(text := r.fields.get(args.text_column), str) and in_dev(text)]
    if rows and args.label_column not in rows[0].fields:
        raise InputError(
            f"{args.input}: no column {args.label_column!r} "
            f"(columns: {', '.join(rows[0].fields)}): name it with --label-column"
        )
    return rows


def cmd_evaluate(args: argparse.Namespace) -> int:
    from classifiers import LABELS
    from classifiers.evaluation import calibration_text, evaluate, map_gold

    mapping = parse_pairs(args.map, "--map")
    groups: dict[str, str] = {}
    for name, members in parse_pairs(args.group, "--group").items():
        for lab in members.split(","):
            if lab not in LABELS:
                raise InputError(f"--group {name}: {lab!r} is not a label ({', '.join(LABELS)})")
            groups[lab] = name
    targets = set(LABELS) | set(groups.values())
    rows = _read_scored_rows(args)
    data = map_gold(
        (r.fields for r in rows),
        text_column=args.text_column,
        label_column=args.label_column,
        mapping=mapping,
        groups=groups,
        targets=targets,
        by=args.by,
    ).sample(args.sample, args.seed)
    if not data.texts:
        raise InputError(
            f"{args.input}: no row has a gold label that maps to a label or group "
            f"({data.skipped} skipped): check --label-column and --map"
        )
    clf = common.classifier()
    preds = clf.predict(data.texts, batch_size=args.batch_size)
    result = evaluate(
        preds,
        data,
        labels=LABELS,
        groups=groups,
        thresholds=clf.thresholds if data.multi else None,
        by=bool(args.by),
    )
    if args.json:
        out = {"input": str(args.input), "skipped": data.skipped, "model_version": clf.model_version}
        out.update(result.overall.as_dict())
        if result.by:
            out["by_" + args.by] = {k: v.as_dict() for k, v in result.by.items()}
        out.update(result.calibration)
        print(json_for_terminal(out, indent=2))
    else:
        _ = common.gettext()
        print(
            _("{input}: {n} items scored, {skipped} skipped (no mapped gold label)").format(
                input=args.input, n=result.overall.n, skipped=data.skipped
            )
        )
        print(_("model: {version}").format(version=clf.model_version) + "\n")
        print(result.overall.table())
        print(calibration_text(result.calibration))
        for key, rep in result.by.items():
            print(f"\n{args.by} = {key}\n{rep.table()}")
    return 0


def add_evaluate_virality(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser(
        "evaluate-virality",
        help=_("the 24-hour virality forecast on real retweet cascades, beside two reference forecasters"),
    )
    p.add_argument(
        "--cascades", help=_("folder of cascade files (default: ../shared/datasets/virality-cascades)")
    )
    p.add_argument(
        "--fit",
        action="store_true",
        help=_("refit reach and band on RT1-RT35, print them with their leave-one-out coverage"),
    )
    p.set_defaults(func=cmd_evaluate_virality)


def cmd_evaluate_virality(args: argparse.Namespace) -> int:
    from classifiers import virality
    from classifiers.cascades import (
        CascadeError,
        evaluate,
        fit_forecast,
        growth_constants,
        loco_band_coverage,
        read_cascades,
        report,
    )
    from classifiers.realsets import DEFAULT_DATASETS

    folder = Path(args.cascades) if args.cascades else DEFAULT_DATASETS / "virality-cascades"
    try:
        cascades = read_cascades(folder)
    except CascadeError as exc:
        raise InputError(str(exc)) from None
    fit = [c for c in cascades if not c.held_aside]
    held = [c for c in cascades if c.held_aside]
    # "seen x a constant" learns its constants on the fit part, or on the cascades themselves without one
    constants = growth_constants(fit or held)
    if args.fit:
        if not fit:
            raise InputError(f"{folder}: no fit part (RT1 to RT35): --fit needs the shared cascades")
        fitted = fit_forecast(fit)
        print(
            f"REACH_CENTRE = {fitted.reach_centre}\nREACH_SLOPE = {fitted.reach_slope}\n"
            f"BAND_LOW = {fitted.band_low}\nBAND_HIGH = {fitted.band_high}"
        )
        same = (fitted.reach_centre, fitted.reach_slope, fitted.band_low, fitted.band_high) == (
            virality.REACH_CENTRE,
            virality.REACH_SLOPE,
            virality.BAND_LOW,
            virality.BAND_HIGH,
        )
        _ = common.gettext()
        coverage = ", ".join(
            (f"{h * 60:.0f} min" if h < 1 else f"{h:g} h") + f" {100 * v:.0f} %"
            for h, v in loco_band_coverage(fit).items()
        )
        print(
            _("80 % band coverage on the fit part, each cascade left out of its own fit: {coverage}").format(
                coverage=coverage
            )
        )
        print(
            _("the same as classifiers/virality.py")
            if same
            else _("classifiers/virality.py holds other values")
        )
        return 0 if same else 1
    _ = common.gettext()
    parts = [(_("Held aside (never fitted or tuned on)"), held), (_("Fit part (RT1-RT35)"), fit)]
    tables = [
        report(
            evaluate(group, constants),
            _("{title}: {n} cascades in {folder}").format(title=title, n=len(group), folder=folder),
        )
        for title, group in parts
        if group
    ]
    print("\n\n".join(tables))
    return 0
