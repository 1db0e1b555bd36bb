"""Sources: each poller's health (last success, last error, next poll, reads today) and "poll now"."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, ui, views
from monitor import actions
from monitor.errors import ConfigError
from monitor.i18n import N_, error_text, gettext_for
from monitor.wiring import poll_interval

user = auth.require("page:sources")
store, now = data.store(), data.now()
lang, tz = ui.language(), ui.timezone()
_ = gettext_for(lang)
HEALTH = {"ok": N_("✅ ok"), "failing": N_("❌ failing"), "rate_limited": N_("⏳ rate limited")}
PASS_STATUS = {"ok": N_("ok"), "partial": N_("partial")}
st.title(_("Sources"))
if flash := st.session_state.pop("s_flash", None):
    st.success(flash)

states = store.sources()
if not states:
    st.info(_("No source has been polled yet: start the monitor (`repmon demo` or `repmon poll --once`)."))
    st.stop()


def next_poll(src) -> str:  # noqa: ANN001 - a SourceState
    if src.status == "rate_limited" and src.reset_at and src.reset_at > now:
        return _("rate limited until {time}").format(time=ui.stamp(src.reset_at, lang))
    if src.poll_requested_at and (src.last_success_at is None or src.poll_requested_at > src.last_success_at):
        return _("next pass (requested)")
    try:
        interval = poll_interval(src.name)
    except ConfigError as exc:
        return error_text(exc, lang)
    if src.last_success_at is None or src.status != "ok":
        return _("next pass")
    due = src.last_success_at + interval
    left = (due - now).total_seconds()
    return _("next pass") if left < 60 else views.ago(due, now, lang)


rows = []
for src in states:
    found = src.cursor.get("reads")
    reads: dict[str, object] = found if isinstance(found, dict) else {}
    rows.append(
        {
            "source": views.name_text(src.name),
            "health": views.name_of(HEALTH, src.status, lang),
            "last success": views.when(src.last_success_at, lang, tz) if src.last_success_at else _("never"),
            "next poll": next_poll(src),
            "reads today": reads.get("count", 0) if reads.get("day") == now.date().isoformat() else 0,
            "last error": views.message_line(src.last_error),
        }
    )
headings = {
    "source": _("source"),
    "health": _("health"),
    "last success": _("last success"),
    "next poll": _("next poll"),
    "reads today": _("reads today"),
    "last error": _("last error"),
}
st.dataframe(
    rows,
    hide_index=True,
    width="stretch",
    column_config={key: st.column_config.Column(head) for key, head in headings.items()},
)

if auth.allowed("poll_now"):
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox(_("Source"), [s.name for s in states], key="s_source", format_func=views.name_text)
    if c2.button(_("Poll now"), key="s_poll", type="primary"):
        auth.run_action(
            "poll_now",
            _("{source}: the running monitor polls it at its next pass (a rate limit still holds).").format(
                source=views.markdown_text(views.name_text(name))
            ),
            lambda: actions.request_poll(store, name, user["name"], data.now()),
            "s_flash",
        )

jobs = store.last_jobs(10)
if jobs:
    st.subheader(_("Last passes"))
    st.dataframe(
        [
            {
                _("started"): views.when(j.started_at, lang, tz),
                _("job"): j.job,
                _("status"): views.name_of(PASS_STATUS, j.status, lang),
                _("new"): (j.detail or {}).get("new_mentions", 0),
                _("classified"): (j.detail or {}).get("classified", 0),
                _("errors"): views.excerpt("; ".join((j.detail or {}).get("errors", [])), 300),
            }
            for j in jobs
        ],
        hide_index=True,
        width="stretch",
    )
