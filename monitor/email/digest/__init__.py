"""The owners' daily digest: ``collect_digest`` reads the last full day from the store into a
``DigestSummary`` (``collect``, the only I/O), ``render_digest`` turns it into an e-mail in the
recipient's language (``render``, pure), and ``monitor.email.mailer`` sends it once per recipient."""

from monitor.email.digest.collect import (
    DigestItem,
    DigestLegalItem,
    DigestSummary,
    LabelCount,
    SourceProblem,
    clean_text,
    collect_digest,
    day_bounds,
    hourly_spikes,
    item_link,
)
from monitor.email.digest.render import (
    digest_subject,
    headline,
    long_day,
    message_id,
    render_digest,
    short_day,
)
from monitor.email.spikes import Spike
from monitor.storage.reports import HourVolume, ResponseKpi

__all__ = [
    "DigestItem",
    "DigestLegalItem",
    "DigestSummary",
    "HourVolume",
    "LabelCount",
    "ResponseKpi",
    "SourceProblem",
    "Spike",
    "clean_text",
    "collect_digest",
    "day_bounds",
    "digest_subject",
    "headline",
    "hourly_spikes",
    "item_link",
    "long_day",
    "message_id",
    "render_digest",
    "short_day",
]
