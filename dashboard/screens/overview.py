"""Overview: volume per day by label, the share that is negative, spikes, response times and SLA per
platform, the fastest-spreading items and what is open with legal."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import auth, data, ui, views
from monitor import i18n
from monitor.i18n import gettext_for, label_name
from monitor.storage import reports
from monitor.triage import LEGAL_PLAYBOOKS

auth.require("page:overview")
store, now = data.store(), data.now()
lang, tz = ui.language(), ui.timezone()
_ = gettext_for(lang)
st.title(_("Overview"))
days = st.segmented_control(
    _("Window"), [7, 14, 30], default=14, format_func=lambda d: _("{n} days").format(n=d), key="o_days"
)
days = days or 14

volumes = reports.volume_by_day(store, now, days)
total = sum(v.count for v in volumes)
shares = reports.negative_share(volumes)
# Spikes are judged against the 7 days before each day, so the baseline reaches back 7 more days.
spike_days = reports.window_days(now, days + 7)
first = reports.first_mention_at(store)
spikes = reports.daily_spikes(
    reports.volume_by_day(store, now, days + 7), spike_days, history_start=first.date() if first else None
)
legal = reports.open_legal(store, now, LEGAL_PLAYBOOKS)
counts = store.counts()

c1, c2, c3, c4 = st.columns(4)
c1.metric(_("Mentions, {n} days").format(n=days), i18n.format_number(total, lang))
today = now.date()
c2.metric(_("Negative today"), i18n.format_percent(shares[today], lang) if today in shares else "—")
c3.metric(_("Open items"), i18n.format_number(counts.open_items, lang))
c4.metric(_("Open with legal"), i18n.format_number(len(legal), lang))


def day(d: date) -> str:
    """A chart's day (``06 Dec``, ``06 בדצמ׳``) in the user's language."""
    return i18n.format_date(datetime.combine(d, time.min), lang, tz, style="dd MMM")


st.subheader(_("Mentions per day by label"))
if volumes:
    frame = pd.DataFrame(
        [{"day": day(v.day), "label": label_name(v.label, lang), "mentions": v.count} for v in volumes]
    )
    st.altair_chart(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("day:O", title=None, sort=None),
            y=alt.Y("sum(mentions):Q", title=_("mentions")),
            color=alt.Color("label:N", legend=alt.Legend(orient="top", title=None)),
            tooltip=["day", "label", "mentions"],
        )
        .properties(height=260),
        width="stretch",
    )
    if shares:
        neg = pd.DataFrame([{"day": day(d), "negative": v} for d, v in sorted(shares.items())])
        st.markdown("**" + _("Share of negative mentions") + "**")
        st.altair_chart(
            alt.Chart(neg)
            .mark_line(point=True)
            .encode(
                x=alt.X("day:O", title=None, sort=None),
                y=alt.Y("negative:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            )
            .properties(height=150),
            width="stretch",
        )  # fmt: skip
else:
    st.info(_("No mentions in this window yet."))
if spikes.mentions or spikes.negative:

    def days_list(found: Iterable[date]) -> str:
        return ", ".join(views.number(day(d), lang) for d in found)

    parts = [_("all mentions on {days}").format(days=days_list(spikes.mentions))] * bool(spikes.mentions)
    parts += [_("negative mentions on {days}").format(days=days_list(spikes.negative))] * bool(
        spikes.negative
    )
    st.warning(_("Spikes: {what}").format(what="; ".join(parts)))
else:
    st.caption(
        _(
            "No daily spike in this window (a spike: above the mean + 3σ of the 7 days before, at least 5 "
            "mentions; judged once the monitor has a week of history)."
        )
    )

st.subheader(_("Response times (last 30 days)"))
kpis = reports.response_kpis(store, now, 30)
st.dataframe(
    [
        {
            _("platform"): views.name_of(views.PLATFORM_NAMES, k.platform, lang),
            _("items"): k.items,
            _("responded"): k.responded,
            _("median first response"): views.duration(k.median_first_response_s, lang)
            if k.median_first_response_s
            else "—",
            _("SLA breached"): i18n.format_percent(k.sla_breach_rate, lang)
            if k.sla_breach_rate is not None
            else "—",
        }
        for k in kpis
    ],
    hide_index=True,
    width="stretch",
)

left, right = st.columns(2)
with left:
    st.subheader(_("Spreading fastest"))
    st.dataframe(
        [
            {
                "#": v.id,
                _("label"): views.label_text(v.label, lang),
                _("virality"): round(v.virality),
                _("forecast 24 h"): round(v.forecast_24h or 0),
                _("author"): views.handle(v.author),
                _("post"): views.excerpt(v.excerpt, reports.EXCERPT_CHARS),
            }
            for v in reports.top_viral(store, now, 10)
        ],
        hide_index=True,
        width="stretch",
    )
with right:
    st.subheader(_("Open with legal"))
    st.dataframe(
        [
            {
                "#": x.id,
                _("label"): views.label_text(x.label, lang),
                _("status"): views.status_name(x.status, lang),
                _("priority"): round(x.priority),
                _("in queue"): views.duration(x.age.total_seconds(), lang),
                _("assignee"): x.assignee or "",
            }
            for x in legal
        ],
        hide_index=True,
        width="stretch",
    )
