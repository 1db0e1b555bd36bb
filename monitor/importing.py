"""`repmon import`: storing saved API responses (one response body per file), then classifying and
triaging what is new unless workers are left to do it.

Every file that cannot be read and every item that is not stored is named (through ``warn`` and in the
summary); one bad file never stops the next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import BadPayload, InputError
from monitor.inputs import max_input_bytes, read_limited
from monitor.records import Platform, valid_text

if TYPE_CHECKING:
    from monitor.records import SourcePage
    from monitor.sources.x import ParsedResponse
    from monitor.storage import Store


@dataclass
class ImportReport:
    """What an import stored, and every file and item it could not."""

    source: str
    files: int
    new_mentions: int = 0
    new_snapshots: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: list[dict[str, object]] = field(default_factory=list)
    skipped_lines: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The JSON summary `repmon import` prints."""
        return {
            "files": self.files,
            "new_mentions": self.new_mentions,
            "new_snapshots": self.new_snapshots,
            "failed": self.failed,
            "skipped": len(self.skipped),
            "skipped_items": self.skipped,
        }


# "not an X API response", "not a Facebook API response": the platform's name, with its article
_API_NAMES = {"x": "an X", "facebook": "a Facebook"}


def _parser(platform: str) -> Callable[[bytes, datetime, str], ParsedResponse | SourcePage]:
    """The poller's own parser of one saved ``platform`` ("x" or "facebook") response body."""
    if platform == Platform.X:
        from monitor.sources.x import parse_response as parse_x

        return parse_x
    from monitor.sources.facebook import parse_response as parse_facebook

    return parse_facebook


def store_responses(
    store: Store, platform: str, names: Sequence[str], now: datetime, warn: Callable[[str], None]
) -> ImportReport:
    """Parse and store each saved ``platform`` response in ``names``; ``warn`` hears of each skipped item
    and each file that could not be read, as it happens."""
    parse_response = _parser(platform)
    limit = max_input_bytes()
    report = ImportReport(source=f"import-{platform}", files=len(names))
    for name in names:
        path = Path(name)
        shown = valid_text(str(path))  # a file name may hold bytes that are not UTF-8
        try:
            parsed = parse_response(read_limited(path, limit), now, report.source)
        except InputError as exc:
            reason = valid_text(str(exc))
        except BadPayload as exc:
            api = _API_NAMES.get(str(platform), f"a {platform}")
            reason = f"{shown}: not {api} API response: {valid_text(str(exc))}"
        else:
            for item in parsed.skipped:
                warn(f"repmon: {shown}: {item}")
                report.skipped.append(
                    {"file": shown, "item": item.index, "id": item.external_id, "reason": item.reason}
                )
                report.skipped_lines.append(f"{shown}: {item.item}: {item.reason}")
            saved = store.save_page(report.source, parsed.mentions, parsed.metrics, None, now)
            report.new_mentions += saved.new_mentions
            report.new_snapshots += saved.new_snapshots
            continue
        warn(f"repmon: {reason}")
        report.failed.append(reason)
    return report


def finish_import(
    store: Store,
    report: ImportReport,
    classifier: Any | None,
    started: datetime,
    finished: Callable[[], datetime],
) -> dict[str, Any]:
    """Classify and triage the new mentions with ``classifier`` (none: leave them to workers), record the
    import as a job (what `repmon status` shows: its counts, the first skipped items and failures) and
    return the summary."""
    from monitor.pipeline import classify_new, triage_open

    summary = report.summary()
    if classifier is not None:
        summary["classified"] = classify_new(store, classifier.predict, classifier.model_version, started)
        summary["triaged"] = triage_open(store, classifier.model_version, started)
    status = "partial" if report.failed or report.skipped else "ok"
    detail = summary | {"skipped_items": report.skipped_lines[:20], "failed": report.failed[:20]}
    store.record_job(report.source, started, finished(), status, detail)
    return summary
