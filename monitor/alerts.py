"""Alerts that cannot wait for tomorrow's digest: an accusation or boycott call that spreads, and an hour
whose mention volume (all, or negative) spikes above its 7-day baseline.

Finding what to alert on reads the store; rendering the e-mail is pure (``render_item_alert``,
``render_spike_alert``); sending goes through ``monitor.mailer.deliver``, so each alert goes to each
recipient once.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from monitor.records import QueueFilter, QueueItem
from monitor.storage import Store
from monitor.storage.reports import detect_spikes, first_mention_at, hourly_volume
from monitor.text_safety import for_header, for_html, for_terminal, one_line

BASELINE_HOURS = 7 * 24


@dataclass(frozen=True)
class AlertRule:
    """Which items raise an immediate alert: an open item with one of ``labels`` (its triage label, a
    person's correction winning) whose virality reached ``min_virality``."""

    labels: tuple[str, ...] = ("defamation", "boycott")
    min_virality: float = 60.0


@dataclass(frozen=True)
class Spike:
    """The hour from ``start`` whose volume of ``kind`` mentions (all or negative) spiked above its
    baseline."""

    start: datetime
    kind: str
    count: int
    baseline_mean: float

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m-%dT%H}:{self.kind}"


def items_to_alert(store: Store, rule: AlertRule, limit: int = 100) -> list[QueueItem]:
    """Open items that meet the alert rule, most urgent first."""
    if not rule.labels:
        return []
    return store.queue(QueueFilter(labels=rule.labels, min_virality=rule.min_virality), limit=limit)


def volume_spikes(store: Store, now: datetime, k: float = 3.0, min_count: int = 5) -> list[Spike]:
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
            out.append(Spike(hours[-1].start, kind, counts[-1], sum(base) / len(base)))
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
    cte = "base64" if lang == "he" else "quoted-printable"
    msg.set_content(text, cte=cte)
    direction = "rtl" if lang == "he" else "ltr"
    msg.add_alternative(
        f'<!doctype html><html lang="{lang}" dir="{direction}"><body style="font-family: Arial, sans-serif; '
        f'direction: {direction}">{body}</body></html>',
        subtype="html",
        cte=cte,
    )
    msg["Content-Language"] = lang  # after the parts: set_content() drops Content-* headers
    return msg


LABEL_NAMES = {
    "he": {"defamation": "האשמה (לשון הרע)", "boycott": "קריאה לחרם", "complaint": "תלונה",
           "praise": "שבח", "neutral": "ניטרלי"},
    "en": {"defamation": "accusation (defamation)", "boycott": "boycott call", "complaint": "complaint",
           "praise": "praise", "neutral": "neutral"},
}  # fmt: skip


def render_item_alert(
    item: QueueItem, language: str, sender: str, recipient: str, dashboard_url: str, now: datetime
) -> EmailMessage:
    """The alert for one spreading item, in Hebrew or English; the post's text is inert, and the author's
    handle shows its hidden characters as markers (``monitor.text_safety``), in its own isolate in HTML."""
    label = for_header(LABEL_NAMES[language].get(item.label or "", item.label or "?"))
    link = f"{dashboard_url.rstrip('/')}/item?id={item.id}"
    excerpt = one_line(item.text, 280)
    author = for_terminal(item.author)
    post_dir = "rtl" if item.language in ("he", "mixed") else "ltr"
    virality = f"{item.virality or 0:.0f}"
    if language == "he":
        subject = f"התראת repmon: {label} מתפשט/ת (ויראליות {virality}) · פריט #{item.id}"
        lines = [f"{label} ב-{item.platform}, מאת @{author}, ויראליות {virality}/100.",
                 f"תחזית ל-24 שעות: {item.forecast_24h or 0:.0f} תגובות ושיתופים.",
                 "אין למחוק את הפוסט. שמרו ראיות והעבירו לטיפול משפטי.", "", excerpt, "", link]  # fmt: skip
        intro, action = f"<b>{html.escape(label)}</b> מתפשט/ת", "פתיחה בלוח הבקרה"
    else:
        subject = f"repmon alert: {label} spreading (virality {virality}) · item #{item.id}"
        lines = [f"A {label} on {item.platform} by @{author} is spreading: virality {virality}/100.",
                 f"24-hour forecast: {item.forecast_24h or 0:.0f} interactions.",
                 "Do not delete the post. Preserve the evidence and pass it to legal.", "", excerpt, "",
                 link]  # fmt: skip
        intro, action = f"A <b>{html.escape(label)}</b> is spreading", "Open in the dashboard"
    body = (
        f"<p>{intro}: {html.escape(item.platform)} · @{for_html(item.author, tag='span')} · "
        f"{html.escape(virality)}/100</p>"
        f'<blockquote dir="{post_dir}" style="white-space: pre-wrap; border-inline-start: 4px solid #c62828; '
        f'padding: 8px 12px; background: #fff5f5">{html.escape(excerpt)}</blockquote>'
        f"<p>{html.escape(lines[2])}</p>"
        f'<p><a href="{html.escape(link, quote=True)}">{action}</a></p>'
    )
    return _message(subject, sender, recipient, now, f"item-{item.id}", "\n".join(lines), body, language)


def render_spike_alert(
    spike: Spike, language: str, sender: str, recipient: str, dashboard_url: str, now: datetime
) -> EmailMessage:
    """The alert for an hour's volume spike, in Hebrew or English."""
    when = f"{spike.start:%Y-%m-%d %H:00} UTC"
    if language == "he":
        what = "אזכורים שליליים" if spike.kind == "negative" else "אזכורים"
        subject = f"התראת repmon: זינוק ב{what}: {spike.count} בשעה ({when})"
        text = (
            f"{spike.count} {what} בשעה שהחלה ב-{when}, לעומת ממוצע של {spike.baseline_mean:.1f} בשבוע שעבר."
        )
        action = "לתור בלוח הבקרה"
    else:
        what = "negative mentions" if spike.kind == "negative" else "mentions"
        subject = f"repmon alert: spike in {what}: {spike.count} in an hour ({when})"
        text = (
            f"{spike.count} {what} in the hour from {when}, "
            f"against a mean of {spike.baseline_mean:.1f} last week."
        )
        action = "Open the queue"
    link = f"{dashboard_url.rstrip('/')}/queue"
    body = f'<p>{html.escape(text)}</p><p><a href="{html.escape(link, quote=True)}">{action}</a></p>'
    return _message(
        subject, sender, recipient, now, f"spike-{spike.key}", f"{text}\n\n{link}", body, language
    )
