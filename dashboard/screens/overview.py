"""Overview: volume per day by label, the share that is negative, spikes, response times and SLA per
platform, the fastest-spreading items and what is open with legal."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import auth, data, views
from monitor.storage import reports
from monitor.triage import LEGAL_PLAYBOOKS

auth.require("page:overview")
store, now = data.store(), data.now()
st.title("Overview")
days = st.segmented_control(
    "Window", [7, 14, 30], default=14, format_func=lambda d: f"{d} days", key="o_days"
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
c1.metric(f"Mentions, {days} days", total)
today = now.date()
c2.metric("Negative today", f"{shares[today]:.0%}" if today in shares else "—")
c3.metric("Open items", counts["open_items"])
c4.metric("Open with legal", len(legal))

st.subheader("Mentions per day by label")
if volumes:
    frame = pd.DataFrame(
        [{"day": v.day.strftime("%d %b"), "label": v.label, "mentions": v.count} for v in volumes]
    )
    st.altair_chart(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("day:O", title=None, sort=None),
            y=alt.Y("sum(mentions):Q", title="mentions"),
            color=alt.Color("label:N", legend=alt.Legend(orient="top", title=None)),
            tooltip=["day", "label", "mentions"],
        )
        .properties(height=260),
        width="stretch",
    )
    if shares:
        neg = pd.DataFrame([{"day": d.strftime("%d %b"), "negative": v} for d, v in sorted(shares.items())])
        st.markdown("**Share of negative mentions**")
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
    st.info("No mentions in this window yet.")
if spikes.mentions or spikes.negative:
    st.warning(
        "Spikes: "
        + "; ".join(
            [f"all mentions on {', '.join(str(d) for d in spikes.mentions)}"] * bool(spikes.mentions)
            + [f"negative mentions on {', '.join(str(d) for d in spikes.negative)}"] * bool(spikes.negative)
        )
    )
else:
    st.caption(
        "No daily spike in this window (a spike: above the mean + 3σ of the 7 days before, at least 5 "
        "mentions; judged once the monitor has a week of history)."
    )

st.subheader("Response times (last 30 days)")
kpis = reports.response_kpis(store, now, 30)
st.dataframe(
    [
        {
            "platform": k.platform,
            "items": k.items,
            "responded": k.responded,
            "median first response": views.age(k.median_first_response_s)
            if k.median_first_response_s
            else "—",
            "SLA breached": f"{k.sla_breach_rate:.0%}" if k.sla_breach_rate is not None else "—",
        }
        for k in kpis
    ],
    hide_index=True,
    width="stretch",
)

left, right = st.columns(2)
with left:
    st.subheader("Spreading fastest")
    st.dataframe(
        [
            {
                "#": v.id,
                "label": views.LABEL_ICONS.get(v.label, v.label),
                "virality": round(v.virality),
                "forecast 24 h": round(v.forecast_24h or 0),
                "author": views.handle(v.author),
                "post": v.excerpt,
            }
            for v in reports.top_viral(store, now, 10)
        ],
        hide_index=True,
        width="stretch",
    )
with right:
    st.subheader("Open with legal")
    st.dataframe(
        [
            {
                "#": x.id,
                "label": views.LABEL_ICONS.get(x.label, x.label),
                "status": x.status.replace("_", " "),
                "priority": round(x.priority),
                "in queue": views.age(x.age.total_seconds()),
                "assignee": x.assignee or "",
            }
            for x in legal
        ],
        hide_index=True,
        width="stretch",
    )
