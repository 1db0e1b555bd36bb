"""The owners' daily digest, part two: a ``DigestSummary`` (``monitor.email.digest.collect``) as an e-mail
in any interface language (pure: no I/O beyond reading the templates).

Every word comes from the message catalogue (``monitor.i18n``): the templates mark their strings with
``{{ _("...") }}`` (Jinja's i18n extension), label names come from ``i18n.label_name``, statuses and
platforms from ``i18n.status_name``, dates, times and relative times from ``i18n.format_*`` in the
business's time zone (the summary's). Right-to-left languages get a right-to-left e-mail
(``i18n.direction``), and every piece that can run the other way (a handle, a link, an id, a number in a
sentence) sits in its own direction box.

Post texts and names are hostile: the HTML template escapes everything (Jinja2 autoescape), every
excerpt shows its bidi overrides and controls as visible markers and loses its isolates
(``monitor.text_safety``), every handle, assignee and source name shows all its hidden characters as
markers, and each sits in its own ``dir`` box, so no markup, image, script or reordering trick from a
post or a name reaches the reader.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from classifiers import NEGATIVE_LABELS
from monitor import i18n
from monitor.email.digest.collect import DigestSummary, SourceProblem, Spike, clean_text
from monitor.errors import ConfigError
from monitor.storage.reports import UNCLASSIFIED
from monitor.text_safety import for_header
from monitor.vocabulary import Label

TEMPLATES = Path(__file__).parent.parent / "templates"
LANGUAGES = i18n.LANGUAGES
N_ = i18n.N_
# Date patterns (CLDR, as Babel reads them), translated like any other string: a day in a subject line
# and a day written out in full.
SHORT_DAY = N_("d MMM")
LONG_DAY = N_("EEEE d MMMM y")

# Arrow colours: more praise is good news, more of anything negative is bad news.
_GOOD, _BAD, _FLAT = "#1e7b45", "#c0392b", "#6b7280"
LABEL_COLORS = {
    Label.PRAISE: "#1e7b45",
    Label.NEUTRAL: "#6b7280",
    Label.COMPLAINT: "#c76a00",
    Label.DEFAMATION: "#7c3aed",
    Label.BOYCOTT: "#c0392b",
    UNCLASSIFIED: "#9ca3af",
}


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ConfigError(f"digest language {language!r} is not one of {', '.join(LANGUAGES)}")
    return language


def _tz(summary: DigestSummary) -> tzinfo:
    try:
        return ZoneInfo(summary.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = summary.generated_at.tzinfo
        return tz if tz is not None else UTC


def _day(day: date, language: str, pattern: str, tz: tzinfo) -> str:
    """A local date written with a (translated) CLDR pattern: '22 Nov' / '22.11'."""
    return i18n.format_date(
        datetime.combine(day, time(12), tz), language, tz, i18n.gettext_for(language)(pattern)
    )


def short_day(day: date, language: str, tz: tzinfo = UTC) -> str:
    """'22 Nov' in English, '22.11' in Hebrew."""
    return _day(day, _language(language), SHORT_DAY, tz)


def long_day(day: date, language: str, tz: tzinfo = UTC) -> str:
    """'Sunday 22 November 2026', 'יום ראשון, 22 בנובמבר 2026'."""
    return _day(day, _language(language), LONG_DAY, tz)


def _count(n: int, one: str, many: Callable[[int], str]) -> str:
    """``one`` when ``n`` is 1 (a language may say it without the digit: 'אזכור אחד'), else ``many(n)``."""
    return one if n == 1 else many(n)


def _volume_phrase(total: int, negative: int, language: str) -> str:
    _, n_ = i18n.gettext_for(language), i18n.ngettext_for(language)
    mentions = _count(total, _("1 mention"), lambda n: n_("{n} mention", "{n} mentions", n).format(n=n))
    negatives = _count(negative, _("1 negative"), lambda n: n_("{n} negative", "{n} negative", n).format(n=n))
    return _("{mentions} ({negatives})").format(mentions=mentions, negatives=negatives)


def headline(summary: DigestSummary, language: str) -> str:
    """The day's headline numbers in words: mentions, negative ones, items with legal and spikes, e.g.
    '37 mentions (12 negative), 2 for legal, 1 spike'."""
    _, n_ = i18n.gettext_for(_language(language)), i18n.ngettext_for(language)
    spikes = summary.spike_count
    spiked = (
        _("no spikes")
        if spikes == 0
        else _count(spikes, _("1 spike"), lambda n: n_("{n} spike", "{n} spikes", n).format(n=n))
    )
    return _("{volume}, {legal} for legal, {spikes}").format(
        volume=_volume_phrase(summary.total, summary.negative, language),
        legal=summary.legal_count,
        spikes=spiked,
    )


def digest_subject(summary: DigestSummary, language: str) -> str:
    """The subject line: the day and its headline numbers, e.g. 'repmon daily digest 22 Nov: 37 mentions
    (12 negative), 2 for legal, 1 spike' or 'סיכום יומי repmon 22.11: 37 אזכורים (12 שליליים), ...'."""
    _ = i18n.gettext_for(_language(language))
    return _("repmon daily digest {day}: {headline}").format(
        day=short_day(summary.day, language, _tz(summary)), headline=headline(summary, language)
    )


def message_id(day: date, recipient: str) -> str:
    """The digest's Message-ID for a day and a recipient: the same for a repeated send (so mail clients
    show it once), different for each mailbox (compared without case) and each day."""
    address = (parseaddr(recipient)[1] or recipient).strip().lower()
    return (
        f"<repmon-digest-{day.isoformat()}-{hashlib.sha256(address.encode()).hexdigest()[:16]}@repmon.local>"
    )


def span(seconds: float | None, language: str) -> str:
    """A measured duration, exact to the minute, in ``language`` ('3h05m', '2d4h', '45m' in English:
    ``i18n.format_span``); '—' when unknown."""
    return "—" if seconds is None else i18n.format_span(seconds, language)


@dataclass(frozen=True)
class _Change:
    """A day-over-day change as shown: arrow and number, and its colour."""

    text: str
    color: str


def _change(count: int, before: int, label: str | None = None) -> _Change:
    diff = count - before
    if diff == 0:
        return _Change("=", _FLAT)
    if label == Label.PRAISE:
        color = _GOOD if diff > 0 else _BAD
    elif label in NEGATIVE_LABELS or label == "negative":
        color = _BAD if diff > 0 else _GOOD
    else:
        color = _FLAT
    return _Change(f"▲ {diff}" if diff > 0 else f"▼ {-diff}", color)


@functools.cache
def _environment(language: str) -> Environment:
    """The templates' environment for one language, its ``_``/``gettext``/``ngettext`` from the catalogue."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=lambda name: (name or "").endswith(".html.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # added to the environment by the i18n extension, hence unknown to the type checker
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext_for(language), i18n.ngettext_for(language), newstyle=False
    )
    env.globals["n_"] = i18n.ngettext_for(language)
    env.filters["inert"] = lambda text, limit=None: clean_text(str(text) if text is not None else "", limit)
    # a name (handle, assignee, source): every hidden character as a marker, one line
    env.filters["shown_name"] = lambda text, limit=None: for_header(
        str(text) if text is not None else "", limit
    )
    return env


def _context(summary: DigestSummary, language: str, html: bool) -> dict[str, object]:
    """What the templates show, in ``language``; ``html``: values placed into sentences are escaped and
    the ones that can run the other way (numbers, days, ids) isolated in a ``dir="ltr"`` span."""
    tz = _tz(summary)
    rtl = i18n.direction(language) == "rtl"
    day, before = (
        short_day(summary.day, language, tz),
        short_day(summary.day - timedelta(days=1), language, tz),
    )
    peak = max((h.total for h in summary.hours), default=0)

    def label(key: str | None) -> str:
        return i18n.label_name(None if key in (None, UNCLASSIFIED) else key, language)

    def name(key: str | None) -> str:
        return i18n.status_name(key, language)

    def iso(value: object) -> object:
        """A number or a day inside a sentence, in its own left-to-right box."""
        return Markup('<span dir="ltr">{}</span>').format(value) if html else value

    def fmt(template: str, **values: object) -> str:
        """A translated sentence with its ``{placeholders}`` filled (escaped in HTML)."""
        return Markup.escape(template).format(**values) if html else template.format(**values)

    def bar(count: int) -> int:
        return round(64 * count / peak) if peak else 0

    def clock(moment: datetime) -> str:
        return i18n.format_time(moment, language, tz)

    def hour_range(start: datetime) -> str:
        return f"{clock(start)}–{clock(start + timedelta(hours=1))}"

    def spike_line(s: Spike) -> str:
        n_ = i18n.ngettext_for(language)
        line = n_(
            "{hours}: {n} mention (usually {mean} an hour)",
            "{hours}: {n} mentions (usually {mean} an hour)",
            s.count,
        )
        return fmt(
            line, hours=iso(f"{clock(s.start)}–{clock(s.end)}"), n=s.count, mean=f"{s.baseline_mean:.1f}"
        )

    def worked(source: SourceProblem) -> str:
        _ = i18n.gettext_for(language)
        if source.last_success_at is None:
            return _("has not worked yet")
        ago = i18n.format_relative(source.last_success_at - summary.generated_at, language)
        return _("last worked {ago}").format(ago=ago)

    return {
        "s": summary,
        "lang": language,
        "dir": "rtl" if rtl else "ltr",
        "start": "right" if rtl else "left",
        "end": "left" if rtl else "right",
        "subject": digest_subject(summary, language),
        "headline": headline(summary, language),
        "previous_volume": _volume_phrase(summary.previous_total, summary.previous_negative, language),
        "day": day,
        "before": before,
        "long_day": long_day(summary.day, language, tz),
        "label": label,
        "name": name,
        "color": lambda key: LABEL_COLORS.get(key or UNCLASSIFIED, _FLAT),
        "change": _change,
        "fmt": fmt,
        "iso": iso,
        "bar": bar,
        "hour_range": hour_range,
        "spike_line": spike_line,
        "spike_hours": summary.spike_hours,
        "worked": worked,
        "direction": i18n.text_direction,
        "duration": lambda seconds: span(seconds, language),
        "percent": lambda rate: "—" if rate is None else i18n.format_percent(rate, language),
        "number": lambda value: "—" if value is None else f"{value:.0f}",
        "made": f"{_day(summary.generated_at.astimezone(tz).date(), language, SHORT_DAY, tz)} "
        f"{clock(summary.generated_at)}",
        "overview": f"{summary.dashboard_url}/overview",
        "account": f"{summary.dashboard_url}/account",
    }


def render_digest(summary: DigestSummary, language: str, sender: str, recipient: str) -> EmailMessage:
    """The digest as an e-mail to one recipient, in one of ``i18n.LANGUAGES`` (Hebrew right-to-left).

    multipart/alternative: a text/plain and a text/html part, both UTF-8. The HTML is self-contained
    (inline styles, tables, no images, scripts or external resources) and every text from a post,
    author or source is escaped and cleaned of bidi controls. Headers: From, To, Subject (the day's
    headline numbers), Date (when the summary was made), Content-Language and a Message-ID that is the
    same for the same day and recipient (``message_id``). ``ValueError`` for a language the interface
    does not have. Pure: no I/O beyond reading the templates.
    """
    language = _language(language)
    env = _environment(language)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = digest_subject(summary, language)
    msg["Date"] = format_datetime(summary.generated_at)
    msg["Message-ID"] = message_id(summary.day, recipient)
    # Base64 keeps Hebrew compact and any line length safe; English reads fine as quoted-printable. Either
    # way the message is 7-bit clean, whatever the SMTP server supports.
    cte = "base64" if i18n.direction(language) == "rtl" else "quoted-printable"
    text = env.get_template("digest.txt.j2").render(_context(summary, language, html=False))
    msg.set_content(text, subtype="plain", charset="utf-8", cte=cte)
    html = env.get_template("digest.html.j2").render(_context(summary, language, html=True))
    msg.add_alternative(html, subtype="html", charset="utf-8", cte=cte)
    msg["Content-Language"] = language  # after the content: set_content clears Content-* headers
    return msg
