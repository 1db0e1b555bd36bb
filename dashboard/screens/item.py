"""Item: the post (inert, right-to-left for Hebrew), its thread, reach and spread, the scores, the
playbook's checklist, the reply editor, the actions the item's state and your role allow, label
correction, evidence and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from classifiers import LABELS
from dashboard import auth, data, views
from monitor import actions
from monitor.errors import MonitorError
from monitor.records import MAX_ITEM_ID
from monitor.settings import current
from monitor.users import action_permission, can
from monitor.workflow import DECISIONS, allowed_actions

user = auth.require("page:item")
store, now = data.store(), data.now()

# An id from a link or the session may be anything: one no item can have is "no queue item", never a
# database overflow (nor a number too large for the browser's number box).
item_id, unknown = views.requested_item(st.session_state.get("item_id") or st.query_params.get("id"))
top = st.columns([1, 1, 6], vertical_alignment="bottom")
if top[0].button("← Queue", key="i_back"):
    st.switch_page("screens/queue.py")
picked = top[1].number_input(
    "Item #",
    min_value=1,
    max_value=MAX_ITEM_ID,
    value=None if unknown else item_id or 1,
    step=1,
    key="i_pick",
)
if picked is not None and (item_id is None or int(picked) != item_id):
    item_id, unknown = int(picked), None
    st.session_state["item_id"] = item_id

q = store.queue_item(item_id) if item_id is not None else None
found = store.item(item_id) if item_id is not None else None
if q is None or found is None:
    st.warning(f"There is no queue item #{unknown or item_id}. Open one from the Queue.")
    st.stop()
row, audit = found["item"], found["audit"]
library, playbook_error = data.playbooks()
playbook = library.playbooks.get(q.playbook)


def act(permission: str, done: str, fn: Callable[[], object]) -> None:
    auth.run_action(permission, done, fn, "i_flash")


st.title(f"#{q.id} · {views.label_text(q.label)}")
title = f"{playbook.title.en} / {playbook.title.he}" if playbook else q.playbook
sla = views.sla_text(q.sla_due_at, q.status, now)
badges = st.container(horizontal=True)
with badges:
    st.badge(q.status.replace("_", " "), color="blue")
    st.badge(f"SLA {sla}", color="red" if sla.startswith("LATE") else "green" if sla == "—" else "orange")
    st.badge(f"priority {q.priority:.0f}", color="violet")
    st.badge(f"assignee {q.assignee or '—'}", color="gray")
    if row["decision"]:
        st.badge(f"decision {row['decision']}", color="red")
st.caption(f"playbook {title}")
if flash := st.session_state.pop("i_flash", None):
    st.success(flash)
if playbook_error:
    st.warning(f"Playbooks: {playbook_error}")

left, right = st.columns([3, 2], gap="large")
with left:
    st.html(views.post_html(q.text, q.language))
    hidden = views.invisible_characters(q.text)
    if hidden:
        st.warning(
            "This post contains invisible characters that change how it displays: " + ", ".join(hidden)
        )
    where = "our page" if q.own_page else "elsewhere"
    st.markdown(
        f"**{q.platform}** · {where} · posted {q.created_at:%Y-%m-%d %H:%M} UTC "
        f"({views.age((now - q.created_at).total_seconds())} ago)" + (" · demo data" if q.is_demo else "")
    )
    st.text(views.author_line(q.author, q.author_followers))
    if warning := views.hidden_warning(q.author):
        st.warning(warning)
    if q.deleted_at:
        st.error(
            f"Deleted or hidden on the platform since {q.deleted_at:%Y-%m-%d %H:%M} UTC; "
            "the stored copy is kept."
        )
    url = views.safe_url(q.url)
    if url:
        st.link_button("Open the original ↗", url)

    thread = store.thread(q.id)
    if len(thread) > 1:
        with st.expander(f"Thread ({len(thread)} posts)", expanded=False):
            for post in thread:
                who = "the business" if post.from_business else views.handle(post.author)
                mark = " ← this item" if post.this else ""
                st.caption(f"{views.markdown_text(who)} · {post.created_at:%Y-%m-%d %H:%M}{mark}")
                st.html(views.post_html(post.text, post.language))

    st.subheader("Engagement")
    mid = store.mention_id_of(q.id)
    history = store.snapshots([mid]).get(mid, []) if mid else []
    if history:
        points = [{"time": x.at, "interactions": x.engagement, "series": "measured"} for x in history]
        if q.forecast_24h is not None:
            end = max(q.created_at + timedelta(hours=24), history[-1].at)
            points += [
                {"time": history[-1].at, "interactions": history[-1].engagement, "series": "forecast (24 h)"},
                {"time": end, "interactions": q.forecast_24h, "series": "forecast (24 h)"},
            ]
        chart = (
            alt.Chart(pd.DataFrame(points))
            .mark_line(point=True)
            .encode(
                x=alt.X("time:T", title=None, axis=alt.Axis(format="%d %b %H:%M")),
                y=alt.Y("interactions:Q", title="likes + shares + replies + quotes"),
                color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
                strokeDash=alt.StrokeDash("series:N", legend=None),
            )
            .properties(height=220)
        )
        st.altair_chart(chart, width="stretch")
        st.caption(
            f"virality {q.virality or 0:.0f}/100 · forecast {q.forecast_24h or 0:.0f} interactions by 24 h "
            f"after posting · {len(history)} readings"
        )
    else:
        st.caption("No engagement readings yet.")

    st.subheader("Audit trail")
    if audit:
        st.dataframe(
            [
                {
                    "time": e["at"].strftime("%Y-%m-%d %H:%M:%S"),
                    "who": e["actor"],
                    "action": e["action"],
                    "detail": ", ".join(f"{k}: {v}" for k, v in e["detail"].items()),
                }
                for e in audit
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("Nothing done on this item yet.")

with right:
    st.subheader("Classification")
    if q.scores:
        st.bar_chart(pd.DataFrame({"score": q.scores}).reindex(list(LABELS)), horizontal=True, height=180)
    st.caption(
        "Why: " + "; ".join(row["reasons"]) + (f" · model {q.model_version}" if q.model_version else "")
    )

    if playbook:
        st.subheader("Playbook")
        done = {}
        for e in audit:
            if e["action"] == "checklist":
                done[e["detail"].get("step")] = bool(e["detail"].get("done"))
        may_check = auth.allowed("workflow") or auth.allowed("legal_review")
        for n, step in enumerate(playbook.steps, 1):
            box, text = st.columns([1, 14], vertical_alignment="top")
            ticked = box.checkbox(
                f"step {n}", value=done.get(n, False), key=f"i_step_{q.id}_{n}", disabled=not may_check,
                label_visibility="collapsed",
            )  # fmt: skip
            text.markdown(f"~~{step}~~" if ticked else step)
            if ticked != done.get(n, False) and may_check:
                try:
                    actions.tick_step(store, q.id, n, ticked, user["name"], data.now())
                except MonitorError as exc:  # e.g. the role was changed since sign-in
                    st.error(str(exc))
                else:
                    st.rerun()
        with st.expander("Do and don't"):
            st.markdown(
                "\n".join(f"- ✅ {d}" for d in playbook.do)
                + "\n"
                + "\n".join(f"- ⛔ {d}" for d in playbook.dont)
            )

    reply = store.reply(q.id)
    drafting = auth.allowed("draft") and q.status in ("new", "in_progress", "awaiting_approval", "responded")
    if drafting:
        st.subheader("Reply")
        template, lang = actions.draft_for(q, library)
        text = str(reply["text"]) if reply else template
        if reply:
            st.caption(
                f"{reply['status']} · last edit by {views.markdown_text(str(reply['edited_by']))}"
                + (
                    f" · approved by {views.markdown_text(str(reply['approved_by']))}"
                    if reply["approved_by"]
                    else ""
                )
            )
        outbox = store.outbox.latest(q.id)  # posting: the monitor's, never this process's
        waiting = outbox is not None and outbox.status in ("queued", "posting")
        if outbox is not None:
            by = f"queued by {views.markdown_text(outbox.queued_by)} {outbox.queued_at:%Y-%m-%d %H:%M} UTC"
            problem = views.markdown_text(outbox.last_error or "")
            if outbox.status == "posted":
                posted_as = views.markdown_text(outbox.platform_reply_id or "")
                st.success(
                    f"Reply posted on the platform as {posted_as} ({by})"
                    + (f". {problem}" if problem else "")
                )
            elif outbox.status == "failed":
                st.error(f"Posting the reply failed after {outbox.attempts} attempt(s) ({by}): {problem}")
            else:
                retry = f"; attempt {outbox.attempts} failed: {problem}" if problem else ""
                st.info(f"Reply {outbox.status}: the monitor posts it ({by}){retry}")
        rtl = (reply["language"] if reply else lang) == "he"
        if rtl:  # the editor itself right-to-left, so a Hebrew reply reads as it will be posted
            st.html(f"<style>.st-key-i_reply_{q.id} textarea {{direction: rtl; text-align: right}}</style>")
        edited = st.text_area(
            "Reply (public)" + (" · עברית" if rtl else ""), value=text, height=150, key=f"i_reply_{q.id}"
        )
        b1, b2 = st.columns(2)
        if q.status in ("new", "in_progress", "awaiting_approval"):
            if b1.button("Save draft", key="i_save", width="stretch"):
                act(
                    "draft",
                    "Draft saved.",
                    lambda: actions.save_draft(store, q.id, user["name"], data.now(), library, edited),
                )
            if q.status in ("new", "in_progress") and b2.button(
                "Submit for approval", key="i_submit", width="stretch"
            ):

                def submit() -> None:
                    actions.save_draft(store, q.id, user["name"], data.now(), library, edited)
                    actions.perform(store, q.id, "submit", user["name"], data.now())

                act("draft", "Draft submitted for approval.", submit)
            if (
                q.status == "awaiting_approval"
                and reply
                and b2.button("Approve reply", key="i_approve", width="stretch")
            ):
                act(
                    "approve",
                    "Reply approved.",
                    lambda: actions.approve(store, q.id, user["name"], data.now()),
                )
        if q.status in ("in_progress", "awaiting_approval"):
            b3, b4 = st.columns(2)
            if b3.button(
                "Mark responded",
                key="i_respond",
                help="The reply was posted on the platform by hand",
                width="stretch",
            ):
                act(
                    "workflow",
                    "Marked responded.",
                    lambda: actions.perform(
                        store,
                        q.id,
                        "respond",
                        user["name"],
                        data.now(),
                        note="posted by hand from the dashboard",
                    ),
                )
            if current().post_replies and b4.button(
                "Post reply to the platform",
                key="i_post",
                width="stretch",
                disabled=waiting,
                help="Queued here; the running monitor posts it and marks the item responded",
            ):
                act(
                    "workflow",
                    "Reply queued: the monitor posts it shortly.",
                    lambda: actions.queue_reply(store, q.id, user["name"], data.now()),
                )

    st.subheader("Actions")
    allowed_now = [a for a in allowed_actions(q.status) if can(user["role"], action_permission(a, q.status))]
    if drafting:  # submit and respond are the reply's own buttons above
        allowed_now = [a for a in allowed_now if a not in ("submit", "respond")]
    if not allowed_now:
        st.caption(
            f"Nothing your role ({user['role']}) can do while the item is {q.status.replace('_', ' ')}."
        )

    def perform(action: str) -> None:
        actions.perform(store, q.id, action, user["name"], data.now())
        if action == "start" and not q.assignee:  # whoever starts an unassigned item owns it
            actions.assign(store, q.id, user["name"], user["name"], data.now())

    simple = [a for a in allowed_now if a not in ("dismiss", "decide")]
    if simple:
        cols = st.columns(len(simple))
        for col, action in zip(cols, simple):
            if col.button(action.capitalize(), key=f"i_act_{action}", width="stretch"):
                act(
                    action_permission(action, q.status),
                    f"{action.capitalize()}: done.",
                    lambda action=action: perform(action),
                )
    if "decide" in allowed_now:
        d1, d2 = st.columns([2, 1], vertical_alignment="bottom")
        decision = d1.selectbox("Legal decision", DECISIONS, key="i_decision")
        if d2.button("Record decision", key="i_decide", width="stretch"):
            act(
                "legal_review",
                f"Decision recorded: {decision}.",
                lambda: actions.perform(store, q.id, "decide", user["name"], data.now(), decision=decision),
            )
    if "dismiss" in allowed_now:
        d1, d2 = st.columns([2, 1], vertical_alignment="bottom")
        reason = d1.text_input("Reason for dismissing", key="i_dismiss_reason")
        if d2.button("Dismiss", key="i_dismiss", width="stretch"):
            act(
                "dismiss",
                "Dismissed.",
                lambda: actions.perform(store, q.id, "dismiss", user["name"], data.now(), reason=reason),
            )
    if auth.allowed("assign") and q.status not in ("closed", "dismissed", "resolved"):
        a1, a2 = st.columns([2, 1], vertical_alignment="bottom")
        people = [u["name"] for u in store.users() if u["role"] != "owner"]
        default = q.assignee if q.assignee in people else user["name"]
        who = a1.selectbox(
            "Assign to", people, index=people.index(default) if default in people else 0, key="i_assignee"
        )
        if a2.button("Assign", key="i_assign", width="stretch") and who:
            act(
                "assign",
                f"Assigned to {who}.",
                lambda: actions.assign(store, q.id, who, user["name"], data.now()),
            )

    if auth.allowed("correct"):
        with st.expander("Correct the label"):
            new_label = st.selectbox(
                "Label", LABELS, index=LABELS.index(q.label) if q.label in LABELS else 0, key="i_label"
            )
            why = st.text_input(
                "Reason", key="i_label_reason", placeholder="e.g. sarcasm, not a real accusation"
            )
            if st.button("Save correction", key="i_correct"):
                act(
                    "correct",
                    f"Label corrected to {new_label}; the item was re-triaged.",
                    lambda: actions.correct_label(
                        store, q.id, new_label, why, user["name"], data.now(), library
                    ),
                )

    if auth.allowed("evidence"):
        st.subheader("Evidence")
        if st.button("Prepare evidence bundle", key="i_evidence"):
            if auth.refuse_unless("evidence"):
                name, blob, digest = actions.export_evidence(store, q.id, user["name"], data.now())
                st.session_state["i_bundle"] = (q.id, name, blob, digest)
        bundle = st.session_state.get("i_bundle")
        if bundle and bundle[0] == q.id:
            st.download_button(
                "Download evidence ZIP",
                bundle[2],
                file_name=bundle[1],
                mime="application/zip",
                key="i_download",
            )
            st.caption(f"SHA-256 {bundle[3]}")
