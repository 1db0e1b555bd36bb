"""Alerts that cannot wait for tomorrow's digest: an accusation or boycott call that spreads, and an hour
whose mention volume (all, or negative) spikes above its 7-day baseline.

Finding what to alert on reads the store; rendering the e-mail is pure (``render_item_alert``,
``render_spike_alert``) in the recipient's language, every word from the message catalogue
(``monitor.i18n``); sending goes through ``monitor.email.mailer.deliver``, so each alert goes to each
recipient once.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime

from markupsafe import Markup

from monitor import i18n
from monitor.email.spikes import BASELINE_HOURS, SPIKE_K, SPIKE_MIN_COUNT, Spike
from monitor.records import Label, QueueFilter, QueueItem
from monitor.storage import Store
from monitor.storage.reports import detect_spikes, first_mention_at, hourly_volume
from monitor.text_safety import for_header, for_html, for_terminal, one_line

# The hour of a spike alert as a CLDR date pattern (Babel), translated like any other string.
SPIKE_HOUR = i18n.N_("yyyy-MM-dd HH:mm")

__all__ = [
    "AlertRule",
    "Spike",
    "alert_key",
    "items_to_alert",
    "render_item_alert",
    "render_spike_alert",
    "volume_spikes",
]


@dataclass(frozen=True)
class AlertRule:
    """Which items raise an immediate alert: an open item with one of ``labels`` (its triage label, a
    person's correction winning) whose virality reached ``min_virality``."""

    labels: tuple[str, ...] = (Label.DEFAMATION, Label.BOYCOTT)
    min_virality: float = 60.0


def alert_key(item: QueueItem) -> str:
    """Which alert an item's is, sent once to each recipient: one per version of the post triage followed.
    An item triaged on its first text is ``item:ID``; when an edit made on the platform becomes the version
    triage follows (a complaint edited into an accusation, or an accusation edited into another), the
    alert is ``item:ID:edit:EDIT_ID``, sent again quoting the edit: the published text legal must see
    changed. An edit triage does not follow (an accusation softened) raises nothing new."""
    return f"item:{item.id}" + (f":edit:{item.edit.id}" if item.edit else "")


def items_to_alert(store: Store, rule: AlertRule, limit: int = 100) -> list[QueueItem]:
    """Open items that meet the alert rule, most urgent first."""
    if not rule.labels:
        return []
    return store.queue(QueueFilter(labels=rule.labels, min_virality=rule.min_virality), limit=limit)


def volume_spikes(
    store: Store, now: datetime, k: float = SPIKE_K, min_count: int = SPIKE_MIN_COUNT
) -> list[Spike]:
    """Spikes in the last complete hour before ``now``, judged against the 7 days before it."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=BASELINE_HOURS + 1)
    first = first_mention_at(store)
    if first is None or first > start:
        return []  # less than a week of history: hours before the monitor existed are not a baseline
    hours = hourly_volume(store, start, end)
    out = []
    for kind in ("all", "negative"):
        counts = [h.total if kind == "all" else h.negative for h in hours]
        if len(counts) - 1 in detect_spikes(counts, k=k, min_count=min_count, baseline=BASELINE_HOURS):
            base = counts[-BASELINE_HOURS - 1 : -1]
            hour = hours[-1].start
            out.append(Spike(hour, hour + timedelta(hours=1), counts[-1], sum(base) / len(base), kind))
    return out


def _message(
    subject: str, sender: str, recipient: str, now: datetime, key: str, text: str, body: str, lang: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, sender, recipient
    msg["Date"] = format_datetime(now)
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    msg["Message-ID"] = f"<repmon-alert-{key.replace(':', '-')}-{digest}@repmon.local>"
    # As the digest: 7-bit clean whatever the SMTP server supports (left to itself, set_content sends a
    # short English alert quoting a Hebrew or emoji post as 8bit).
    direction = i18n.direction(lang)
    cte = "base64" if direction == "rtl" else "quoted-printable"
    msg.set_content(text, cte=cte)
    msg.add_alternative(
        f'<!doctype html><html lang="{lang}" dir="{direction}"><body style="font-family: Arial, sans-serif; '
        f'direction: {direction}">{body}</body></html>',
        subtype="html",
        cte=cte,
    )
    msg["Content-Language"] = lang  # after the parts: set_content() drops Content-* headers
    return msg


def _ltr(value: object) -> Markup:
    """A number, id or address inside a sentence, in its own left-to-right box."""
    return Markup('<span dir="ltr">{}</span>').format(value)


def render_item_alert(
    item: QueueItem, language: str, sender: str, recipient: str, dashboard_url: str, now: datetime
) -> EmailMessage:
    """The alert for one spreading item in ``language`` (``i18n.LANGUAGES``; another falls back to the
    default); the post's text (the edited version the label is of, for an item triaged on an edit made on
    the platform) is inert, and the author's handle shows its hidden characters as markers
    (``monitor.text_safety``). In HTML the handle, the numbers and the link each sit in their own
    direction box."""
    language = i18n.language_or_default(language)
    _ = i18n.gettext_for(language)
    label = for_header(i18n.label_name(item.label, language))
    platform = i18n.status_name(item.platform, language)
    link = f"{dashboard_url.rstrip('/')}/item?id={item.id}"
    # An item triaged on an edit made on the platform is quoted as edited: the version its label is of.
    excerpt = one_line(item.edit.text if item.edit else item.text, 280)
    post_language = (item.edit.language if item.edit else None) or item.language
    edited = _("Edited on the platform: the label is of the edited text quoted below.") if item.edit else ""
    virality = f"{item.virality or 0:.0f}"
    forecast = f"{item.forecast_24h or 0:.0f}"
    subject = _("repmon alert: {label} spreading (virality {virality}) · item #{id}").format(
        label=label, virality=virality, id=item.id
    )
    spreading = _("{label} on {platform} by @{author} is spreading: virality {virality}/100.")
    forecast_line = _("24-hour forecast: {n} interactions.")
    keep = _("Do not delete the post. Preserve the evidence and pass it to legal.")
    lines = [
        spreading.format(label=label, platform=platform, author=for_terminal(item.author), virality=virality),
        forecast_line.format(n=forecast),
        keep,
        *([edited] if edited else []),
        "",
        excerpt,
        "",
        link,
    ]
    intro = Markup.escape(spreading).format(
        label=Markup("<b>{}</b>").format(label),
        platform=platform,
        author=Markup(for_html(item.author, tag="span")),
        virality=_ltr(virality),
    )
    post_dir = i18n.text_direction(excerpt, post_language)
    action = html.escape(_("Open in dashboard"))
    body = (
        f"<p>{intro}</p>"
        f"<p>{Markup.escape(forecast_line).format(n=_ltr(forecast))}</p>"
        + (f"<p>{html.escape(edited)}</p>" if edited else "")
        + f'<blockquote dir="{post_dir}" style="white-space: pre-wrap; overflow-wrap: anywhere; '
        f"word-break: break-word; border-inline-start: 4px solid #c62828; padding: 8px 12px; "
        f'background: #fff5f5">{html.escape(excerpt)}</blockquote>'
        f"<p>{html.escape(keep)}</p>"
        f'<p><a href="{html.escape(link, quote=True)}">{action}</a></p>'
    )
    return _message(subject, sender, recipient, now, alert_key(item), "\n".join(lines), body, language)


def render_spike_alert(
    spike: Spike,
    language: str,
    sender: str,
    recipient: str,
    dashboard_url: str,
    now: datetime,
    tz: tzinfo = UTC,
) -> EmailMessage:
    """The alert for an hour's volume spike in ``language``, its hour in the business's time zone ``tz``
    (``REPMON_TIMEZONE``)."""
    language = i18n.language_or_default(language)
    _, n_ = i18n.gettext_for(language), i18n.ngettext_for(language)
    hour = i18n.format_datetime(spike.start, language, tz, _(SPIKE_HOUR))
    when = f"{hour} {getattr(tz, 'key', tz)}"
    if spike.kind == "negative":
        subject = n_(
            "repmon alert: spike in negative mentions: {n} in an hour ({when})",
            "repmon alert: spike in negative mentions: {n} in an hour ({when})",
            spike.count,
        )
        text = n_(
            "{n} negative mention in the hour from {when}, against a mean of {mean} last week.",
            "{n} negative mentions in the hour from {when}, against a mean of {mean} last week.",
            spike.count,
        )
    else:
        subject = n_(
            "repmon alert: spike in mentions: {n} in an hour ({when})",
            "repmon alert: spike in mentions: {n} in an hour ({when})",
            spike.count,
        )
        text = n_(
            "{n} mention in the hour from {when}, against a mean of {mean} last week.",
            "{n} mentions in the hour from {when}, against a mean of {mean} last week.",
            spike.count,
        )
    mean = f"{spike.baseline_mean:.1f}"
    link = f"{dashboard_url.rstrip('/')}/queue"
    action = html.escape(_("Open the queue"))
    plain = text.format(n=spike.count, when=when, mean=mean)
    sentence = Markup.escape(text).format(n=_ltr(spike.count), when=_ltr(when), mean=_ltr(mean))
    body = f'<p>{sentence}</p><p><a href="{html.escape(link, quote=True)}">{action}</a></p>'
    return _message(
        subject.format(n=spike.count, when=when), sender, recipient, now, f"spike-{spike.key}",
        f"{plain}\n\n{link}", body, language,
    )  # fmt: skip
