"""Sources: each poller's health (last success, last error, next poll, reads today) and "poll now"."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, views
from monitor import actions
from monitor.errors import ConfigError
from monitor.wiring import poll_interval

user = auth.require("page:sources")
store, now = data.store(), data.now()
st.title("Sources")
if flash := st.session_state.pop("s_flash", None):
    st.success(flash)

states = store.sources()
if not states:
    st.info("No source has been polled yet: start the monitor (`repmon demo` or `repmon poll --once`).")
    st.stop()


def next_poll(src) -> str:  # noqa: ANN001 - a SourceState
    if src.status == "rate_limited" and src.reset_at and src.reset_at > now:
        return f"rate limited until {src.reset_at:%H:%M} UTC"
    if src.poll_requested_at and (src.last_success_at is None or src.poll_requested_at > src.last_success_at):
        return "next pass (requested)"
    try:
        interval = poll_interval(src.name)
    except ConfigError as exc:
        return str(exc)
    if src.last_success_at is None or src.status != "ok":
        return "next pass"
    due = src.last_success_at + interval
    left = (due - now).total_seconds()
    return "next pass" if left < 60 else f"in {views.age(left)}"


rows = []
for src in states:
    reads = src.cursor.get("reads") if isinstance(src.cursor.get("reads"), dict) else {}
    rows.append(
        {
            "source": src.name,
            "health": {"ok": "✅ ok", "failing": "❌ failing", "rate_limited": "⏳ rate limited"}.get(
                src.status, src.status
            ),
            "last success": f"{src.last_success_at:%Y-%m-%d %H:%M} UTC" if src.last_success_at else "never",
            "next poll": next_poll(src),
            "reads today": reads.get("count", 0) if reads.get("day") == now.date().isoformat() else 0,
            "last error": src.last_error or "",
        }
    )
st.dataframe(rows, hide_index=True, width="stretch")

if auth.allowed("poll_now"):
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox("Source", [s.name for s in states], key="s_source")
    if c2.button("Poll now", key="s_poll", type="primary"):
        auth.run_action(
            "poll_now",
            f"{name}: the running monitor polls it at its next pass (a rate limit still holds).",
            lambda: actions.request_poll(store, name, user["name"], data.now()),
            "s_flash",
        )

jobs = store.last_jobs(10)
if jobs:
    st.subheader("Last passes")
    st.dataframe(
        [
            {
                "started": f"{j.started_at:%Y-%m-%d %H:%M:%S}",
                "job": j.job,
                "status": j.status,
                "new": (j.detail or {}).get("new_mentions", 0),
                "classified": (j.detail or {}).get("classified", 0),
                "errors": "; ".join((j.detail or {}).get("errors", []))[:300],
            }
            for j in jobs
        ],
        hide_index=True,
        width="stretch",
    )
