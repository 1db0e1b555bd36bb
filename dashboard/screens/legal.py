"""Legal review: flagged items (accusations, boycott calls, escalations) with their evidence summary and
hashes, the decision, and the evidence ZIP."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, views
from monitor import actions
from monitor.records import QueueFilter
from monitor.triage import LEGAL_SCOPE
from monitor.workflow import DECISIONS

user = auth.require("page:legal")
store, now = data.store(), data.now()
st.title("Legal review")
if flash := st.session_state.pop("l_flash", None):
    st.success(flash)

show_closed = st.toggle("Include closed and decided items", key="l_closed")
flt = QueueFilter(legal=LEGAL_SCOPE, include_closed=show_closed)
total = store.queue_count(flt)
items = store.queue(flt, limit=200)
st.markdown(
    f"**{total}** flagged item{'s' if total != 1 else ''}" + (" (first 200 shown)" if total > 200 else "")
)
if not items:
    st.info("No flagged items: nothing is waiting for legal.")
    st.stop()
st.dataframe(
    views.queue_rows(items, now), hide_index=True, width="stretch", height=min(38 + 35 * len(items), 400)
)

choices = {
    it.id: f"#{it.id} · {views.LABEL_ICONS.get(it.label or '', it.label)} · {views.excerpt(it.text, 70)}"
    for it in items
}
item_id = st.selectbox("Review item", list(choices), format_func=choices.get, key="l_item")
ev = store.evidence(item_id)
q = next(it for it in items if it.id == item_id)
st.html(views.post_html(q.text, q.language))
posted = f"posted {q.created_at:%Y-%m-%d %H:%M} UTC"
st.text(f"{views.author_line(q.author, q.author_followers)} · {q.platform} · {posted}")
if warning := views.hidden_warning(q.author):
    st.warning(warning)
if q.deleted_at:
    st.error(
        f"Deleted or hidden on the platform since {q.deleted_at:%Y-%m-%d %H:%M} UTC; the stored copy is kept."
    )

st.subheader("Evidence")
raw = ev["raw"] if ev else None
c1, c2, c3, c4 = st.columns(4)
c1.metric("Captures", 1 + len(ev["captures"]) if raw else len(ev["captures"]))
c2.metric("Shares recorded", len(ev["shares"]))
c3.metric("Quotes", len(ev["quotes"]))
c4.metric("Metric readings", len(ev["snapshots"]))
if raw:
    st.text(f"First capture {views.when(raw['captured_at'])} · SHA-256 {raw['sha256']}")
for cap in ev["captures"]:
    st.text(f"Later capture {views.when(cap['captured_at'])} · SHA-256 {cap['sha256']}")
if ev["shares"]:
    with st.expander("Who shared it (sharing a defamatory post is also publication)"):
        st.dataframe(
            [
                {
                    "handle": views.handle(str(s["sharer_handle"])),
                    "followers": s["sharer_followers"],
                    "kind": s["kind"],
                    "first seen": views.when(s["first_seen_at"]),
                }
                for s in ev["shares"]
            ],
            hide_index=True,
            width="stretch",
        )
if ev["quotes"]:
    with st.expander("Quotes of it"):
        st.dataframe(
            [
                {
                    "author": views.handle(str(x["author"])),
                    "posted": views.when(x["created_at"]),
                    "text": views.excerpt(str(x["text"])),
                }
                for x in ev["quotes"]
            ],
            hide_index=True,
            width="stretch",
        )

st.subheader("Decision")
status = q.status
st.caption(
    f"Status: {status.replace('_', ' ')}"
    + (f" · decision {ev['item']['decision']}" if ev["item"]["decision"] else "")
)


def run(done: str, fn) -> None:  # noqa: ANN001
    auth.run_action("legal_review", done, fn, "l_flash")


cols = st.columns(3)
if status in ("new", "in_progress", "awaiting_approval", "responded") and cols[0].button(
    "Escalate to legal", key="l_escalate"
):
    if auth.refuse_unless("escalate"):
        run("Escalated.", lambda: actions.perform(store, q.id, "escalate", user["name"], data.now()))
if status == "escalated" and cols[0].button("Start legal review", key="l_review"):
    run("In legal review.", lambda: actions.perform(store, q.id, "review", user["name"], data.now()))
if status == "legal_review":
    decision = cols[0].selectbox("Decision", DECISIONS, key="l_decision")
    note = cols[1].text_input("Note (kept in the audit trail)", key="l_note")
    if cols[2].button("Record decision", key="l_decide"):
        run(
            f"Decision recorded: {decision}.",
            lambda: actions.perform(
                store, q.id, "decide", user["name"], data.now(), decision=decision, note=note or None
            ),
        )
if status == "decided" and cols[0].button("Close", key="l_close"):
    run("Closed.", lambda: actions.perform(store, q.id, "close", user["name"], data.now()))

if auth.allowed("evidence"):
    if st.button("Prepare evidence bundle", key="l_evidence", type="primary"):
        name, blob, digest = actions.export_evidence(store, q.id, user["name"], data.now())
        st.session_state["l_bundle"] = (q.id, name, blob, digest)
    bundle = st.session_state.get("l_bundle")
    if bundle and bundle[0] == q.id:
        st.download_button(
            "Download evidence ZIP", bundle[2], file_name=bundle[1], mime="application/zip", key="l_download"
        )
        st.caption(f"{bundle[1]} · SHA-256 {bundle[3]}")
if st.button("Open the full item", key="l_open"):
    st.session_state["item_id"] = q.id
    st.switch_page("screens/item.py")
