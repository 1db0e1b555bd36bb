"""`repmon bench dashboard`: the Queue page's data load and render with 1,000 and 100,000 mentions.

Each database is filled with realistic posts, classified and triaged as the pipeline would (labels drawn
at the corpus's rough mix, priorities spread over 0-100); then the real app runs in Streamlit's AppTest
as a signed-in manager, and each figure is the median of several full reruns of the Queue page (query,
count, table build and render), after a warm-up run.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dashboard
from classifiers import LABELS, Prediction
from classifiers.virality import Virality
from monitor.bench.pipeline import synthetic_mentions
from monitor.errors import BenchError
from monitor.records import Label, Role, TriageDecision
from monitor.storage import Store
from monitor.users import hash_password

APP = Path(dashboard.__file__).resolve().parent / "app.py"
BATCH = 5000
LABEL_MIX = {
    Label.COMPLAINT: 0.4,
    Label.NEUTRAL: 0.25,
    Label.PRAISE: 0.2,
    Label.DEFAMATION: 0.08,
    Label.BOYCOTT: 0.07,
}


def fill(store: Store, texts: Sequence[str], n: int, now: datetime, seed: int = 0) -> None:
    """Store ``n`` mentions with a classification and an open queue item each."""
    rng = random.Random(seed)
    mentions = synthetic_mentions(texts, n, now, seed=seed)
    labels, weights = list(LABEL_MIX), list(LABEL_MIX.values())
    for i in range(0, n, BATCH):
        chunk = mentions[i : i + BATCH]
        store.save_page("bench", chunk, [], {"offset": i + len(chunk)}, now)
        ids = store.unclassified("bench-1", BATCH)
        preds = []
        for mid, _text in ids:
            label = rng.choices(labels, weights)[0]
            scores = {lab: (0.8 if lab == label else 0.05) for lab in LABELS}
            preds.append((mid, Prediction(label, scores, rng.choice(("he", "en", "mixed")), "bench-1")))
        store.save_classifications(preds, now)
        decisions = []
        for (mid, _), (_, p) in zip(ids, preds):
            vir = Virality(rng.uniform(0, 100), 0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0)
            decision = TriageDecision(
                "reply", round(rng.uniform(0, 100), 1), now + timedelta(hours=rng.uniform(-4, 8)), (),
                label=p.label, language=p.language,
            )  # fmt: skip
            decisions.append((mid, decision, vir))
        store.save_triage(decisions, now)


def time_queue_page(data_dir: Path, runs: int = 7) -> float:
    """Median milliseconds of a full rerun of the Queue page for a signed-in manager."""
    from streamlit.testing.v1 import AppTest

    # The app must read the bench's SQLite file, not a database that REPMON_DATABASE_URL names.
    bench_env = {"REPMON_DATA_DIR": str(data_dir), "REPMON_DATABASE_URL": ""}
    previous = {name: os.environ.get(name) for name in bench_env}
    os.environ.update(bench_env)
    try:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["user"] = {"name": "bench", "role": Role.MANAGER}
        at.run()  # warm-up: imports, the store's first open, Streamlit's caches
        if at.exception:
            raise BenchError(f"the Queue page failed: {at.exception[0].value}")
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - t0) * 1000)
        if len(at.dataframe) != 1 or len(at.dataframe[0].value) != 50:
            raise BenchError("the Queue page did not show a full page of 50 items")
        return statistics.median(times)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def bench_dashboard(
    texts: Sequence[str], sizes: Sequence[int] = (1000, 100_000), runs: int = 7
) -> dict[str, Any]:
    """The figures the dashboard issue asks for, with their targets."""
    now = datetime.now(UTC)
    result: dict[str, Any] = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store.open(Path(tmp))
            t0 = time.perf_counter()
            fill(store, texts, n, now)
            store.add_user("bench", Role.MANAGER, hash_password("bench-password"), now)
            fill_s = time.perf_counter() - t0
            key = f"{n // 1000}k" if n % 1000 == 0 else str(n)
            result[f"queue_ms_{key}"] = round(time_queue_page(Path(tmp), runs), 1)
            result[f"fill_{key}_s"] = round(fill_s, 1)
            store.engine.dispose()
    small, big = result.get("queue_ms_1k"), result.get("queue_ms_100k")
    if small and big:
        result["ratio_100k_to_1k"] = round(big / small, 2)
        result["targets"] = {"queue_ms_100k": "< 1500", "ratio_100k_to_1k": "<= 1.5"}
        result["meets_targets"] = big < 1500 and big <= 1.5 * small
    return result
