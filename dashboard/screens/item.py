"""Item: the post (inert, right-to-left for Hebrew) and, if it was edited on the platform since, the
version its label and triage follow and its newest text with their labels, its thread, reach and spread,
the scores, the playbook's checklist, the reply editor, the actions the item's state and your role allow,
label correction, evidence and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from classifiers import LABELS
from classifiers.text import detect_language
from dashboard import auth, data, ui, views
from monitor import actions, edits
from monitor.errors import MonitorError
from monitor.i18n import error_text, gettext_for, label_name, ngettext_for
from monitor.records import MAX_ITEM_ID, QueueItem
from monitor.settings import current
from monitor.triage import reason_in
from monitor.users import action_permission, can
from monitor.workflow import DECISIONS, allowed_actions

user = auth.require("page:item")
store, now = data.store(), data.now()
lang = ui.language()
_, n_ = gettext_for(lang), ngettext_for(lang)
tz = ui.timezone()

# An id from a link or the session may be anything: one no item can have is "no queue item", never a
# database overflow (nor a number too large for the browser's number box).
item_id, unknown = views.requested_item(st.session_state.get("item_id") or st.query_params.get("id"))
top = st.columns([1, 1, 6], vertical_alignment="bottom")
back = "→" if lang == "he" else "←"
if top[0].button(f"{back} {_('Queue')}", key="i_back"):
    st.switch_page("screens/queue.py")
picked = top[1].number_input(
    _("Item #"),
    min_value=1,
    max_value=MAX_ITEM_ID,
    value=None if unknown else item_id or 1,
    step=1,
    key="i_pick",
)
if picked is not None and (item_id is None or int(picked) != item_id):
    item_id, unknown = int(picked), None
    st.session_state["item_id"] = item_id

shown_item = store.queue_item(item_id) if item_id is not None else None
found = store.item(item_id) if item_id is not None else None
if shown_item is None or found is None:
    st.warning(_("There is no queue item #{id}. Open one from the Queue.").format(id=unknown or item_id))
    st.stop()
# Typed without None, so that the page's actions (closures, run later) read it as the item it is.
q: QueueItem = shown_item
row, audit = found.item, found.audit
library, playbook_error = data.playbooks()
playbook = library.playbooks.get(q.playbook)


def open_version(target: int) -> None:
    """Open another version's item (a button's callback: the item number box may still be set here)."""
    st.session_state["item_id"] = target
    st.session_state["i_pick"] = target


def act(permission: str, done: str, fn: Callable[[], object]) -> None:
    auth.run_action(permission, done, fn, "i_flash")


shown = playbook.shown(lang) if playbook else None
st.title(f"#{q.id} · {views.label_text(q.label, lang)}")
sla = views.sla_text(q.sla_due_at, q.status, now, lang)
late = views.sla_late(q.sla_due_at, q.status, now)
badges = st.container(horizontal=True)
with badges:
    st.badge(views.status_name(q.status, lang), color="blue")
    st.badge(_("SLA {sla}").format(sla=sla), color="red" if late else "green" if sla == "—" else "orange")
    st.badge(_("priority {n}").format(n=views.number(f"{q.priority:.0f}", lang)), color="violet")
    st.badge(_("assignee {name}").format(name=q.assignee or "—"), color="gray")
    if row.decision:
        decision_name = views.name_of(views.DECISION_NAMES, row.decision, lang)
        st.badge(_("decision {decision}").format(decision=decision_name), color="red")
st.caption(_("playbook {title}").format(title=views.markdown_text(shown.title if shown else q.playbook)))
if flash := st.session_state.pop("i_flash", None):
    st.success(flash)
if playbook_error:
    st.warning(_("Playbooks: {error}").format(error=playbook_error))

left, right = st.columns([3, 2], gap="large")
with left:
    ui.show_post(q.text, q.language, lang)
    # Edited on the platform since first captured: each version is classified, and the label, the scores
    # and the triage follow the most serious one (an edit that removes an accusation never lowers it).
    versions = store.edits(q.platform, q.external_id)
    if q.edit is not None:
        st.warning(
            _(
                "The label, the scores and the triage follow the text as edited on the platform and captured "
                "{time}, the most serious version of the post:"
            ).format(time=ui.stamp(q.edit.captured_at, lang))
        )
        ui.show_post(q.edit.text, q.edit.language or detect_language(q.edit.text), lang)
    elif versions:
        st.caption(
            _(
                "Edited on the platform since: the label, the scores and the triage follow the text above, "
                "as first captured, the most serious version of the post."
            )
        )
    captures = store.captures(q.platform, q.external_id)
    if captures:  # the newest text, when it is an edit other than the one followed
        stored = store.raw_payload(q.platform, q.external_id)
        first = edits.first_text(q.platform, stored[0] if stored else None, q.text)
        newest = edits.latest_edit(edits.capture_texts(q.platform, first, [c.body for c in captures]))
        key = edits.version_key(newest[1]) if newest is not None else None
        if newest is not None and (q.edit is None or key != q.edit.version_key):
            version = next((v for v in versions if v.version_key == key), None)
            time = ui.stamp(captures[newest[0]].captured_at, lang)
            if version is not None and version.label is not None:
                st.info(
                    _(
                        "Edited on the platform: the newest capture ({time}) reads as below; the classifier "
                        "labels this version {label}."
                    ).format(time=time, label=views.version_label(version, lang))
                )
            else:
                st.info(
                    _(
                        "Edited on the platform: the newest capture ({time}) reads as below; this version is "
                        "not classified yet (the monitor classifies it at its next pass)."
                    ).format(time=time)
                )
            ui.show_post(newest[1], detect_language(newest[1]), lang)
    # Edited on X: each version is a post with its own id and item, kept in the queue; each names the others.
    ui.show_versions(store.versions(q.platform, q.external_id), lang, "i", open_version)
    where = _("our page") if q.own_page else _("elsewhere")
    st.markdown(
        _("**{platform}** · {where} · posted {time} ({ago})").format(
            platform=views.name_of(views.PLATFORM_NAMES, q.platform, lang),
            where=where,
            time=ui.stamp(q.created_at, lang),
            ago=views.ago(q.created_at, now, lang),
        )
        + (_(" · demo data") if q.is_demo else "")
    )
    st.html(views.author_html(q.author, q.author_followers, lang))
    if warning := views.hidden_warning(q.author, lang):
        st.warning(warning)
    if q.deleted_at:
        st.error(
            _("Deleted or hidden on the platform since {time}; the stored copy is kept.").format(
                time=ui.stamp(q.deleted_at, lang)
            )
        )
    url = views.safe_url(q.url)
    if url:
        st.link_button(_("Open the original ↗"), url)

    thread = store.thread(q.id)
    if len(thread) > 1:
        with st.expander(n_("Thread ({n} post)", "Thread ({n} posts)", len(thread)).format(n=len(thread))):
            for post in thread:
                who = _("the business") if post.from_business else views.handle(post.author)
                mark = _(" ← this item") if post.this else ""
                at = ui.stamp(post.created_at, lang)
                st.caption(f"{views.markdown_text(who)} · {at}{mark}")
                ui.show_post(post.text, post.language, lang)

    st.subheader(_("Engagement"))
    mid = store.mention_id_of(q.id)
    history = store.snapshots([mid]).get(mid, []) if mid else []
    if history:
        measured, forecast = _("measured"), _("forecast (24 h)")
        points = [{"time": x.at, "interactions": x.engagement, "series": measured} for x in history]
        if q.forecast_24h is not None:
            end = max(q.created_at + timedelta(hours=24), history[-1].at)
            points += [
                {"time": history[-1].at, "interactions": history[-1].engagement, "series": forecast},
                {"time": end, "interactions": q.forecast_24h, "series": forecast},
            ]
        chart = (
            alt.Chart(pd.DataFrame(points))
            .mark_line(point=True)
            .encode(
                x=alt.X("time:T", title=None, axis=alt.Axis(format="%d %b %H:%M")),
                y=alt.Y("interactions:Q", title=_("likes + shares + replies + quotes")),
                color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
                strokeDash=alt.StrokeDash("series:N", legend=None),
            )
            .properties(height=220)
        )
        st.altair_chart(chart, width="stretch")
        st.caption(
            n_(
                "virality {virality}/100 · forecast {forecast} interactions by 24 h after posting · "
                "{n} reading",
                "virality {virality}/100 · forecast {forecast} interactions by 24 h after posting · "
                "{n} readings",
                len(history),
            ).format(
                virality=views.number(f"{q.virality or 0:.0f}", lang),
                forecast=views.number(f"{q.forecast_24h or 0:.0f}", lang),
                n=len(history),
            )
        )
    else:
        st.caption(_("No engagement readings yet."))

    st.subheader(_("Audit trail"))
    if audit:
        st.dataframe(
            [
                {
                    _("time"): views.when(e.at, lang, tz),
                    _("who"): e.actor,
                    _("action"): views.name_of(views.AUDIT_NAMES, e.action, lang),
                    _("detail"): ", ".join(f"{k}: {v}" for k, v in e.detail.items()),
                }
                for e in audit
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(_("Nothing done on this item yet."))

with right:
    st.subheader(_("Classification"))
    if q.scores:
        scores = {label_name(k, lang): v for k, v in q.scores.items()}
        order = [label_name(k, lang) for k in LABELS]
        st.bar_chart(pd.DataFrame({_("score"): scores}).reindex(order), horizontal=True, height=180)
    model = _(" · model {version}").format(version=q.model_version) if q.model_version else ""
    why = "; ".join(reason_in(r, lang) for r in row.reasons)
    st.caption(_("Why: {reasons}").format(reasons=why) + model)

    if playbook and shown:
        st.subheader(_("Playbook"))
        done: dict[object, bool] = {}
        for e in audit:
            if e.action == "checklist":
                done[e.detail.get("step")] = bool(e.detail.get("done"))
        may_check = auth.allowed("workflow") or auth.allowed("legal_review")
        for n, step in enumerate(shown.steps, 1):
            box, text = st.columns([1, 14], vertical_alignment="top")
            ticked = box.checkbox(
                _("step {n}").format(n=n), value=done.get(n, False), key=f"i_step_{q.id}_{n}",
                disabled=not may_check, label_visibility="collapsed",
            )  # fmt: skip
            text.markdown(f"~~{step}~~" if ticked else step)
            if ticked != done.get(n, False) and may_check:
                try:
                    actions.tick_step(store, q.id, n, ticked, user["name"], data.now())
                except MonitorError as exc:  # e.g. the role was changed since sign-in
                    st.error(error_text(exc, lang))
                else:
                    st.rerun()
        with st.expander(_("Do and don't")):
            st.markdown(
                "\n".join(f"- ✅ {d}" for d in shown.do) + "\n" + "\n".join(f"- ⛔ {d}" for d in shown.dont)
            )

    reply = store.reply(q.id)
    drafting = auth.allowed("draft") and q.status in ("new", "in_progress", "awaiting_approval", "responded")
    if drafting:
        st.subheader(_("Reply"))
        template, reply_lang = actions.draft_for(q, library)
        draft_text = reply.text if reply else template
        if reply:
            st.caption(
                _("{status} · last edit by {name}").format(
                    status=views.name_of(views.REPLY_STATUS_NAMES, reply.status, lang),
                    name=views.markdown_text(reply.edited_by),
                )
                + (
                    _(" · approved by {name}").format(name=views.markdown_text(reply.approved_by))
                    if reply.approved_by
                    else ""
                )
            )
        outbox = store.outbox.latest(q.id)  # posting: the monitor's, never this process's
        waiting = outbox is not None and outbox.status in ("queued", "posting")
        if outbox is not None:
            by = _("queued by {who} {when}").format(
                who=views.markdown_text(outbox.queued_by), when=ui.stamp(outbox.queued_at, lang)
            )
            problem = views.markdown_text(outbox.last_error or "")
            if outbox.status == "posted":
                posted_as = views.markdown_text(outbox.platform_reply_id or "")
                st.success(
                    _("Reply posted on the platform as {id} ({by})").format(id=posted_as, by=by)
                    + (f". {problem}" if problem else "")
                )
            elif outbox.status == "failed":
                st.error(
                    n_(
                        "Posting the reply failed after {n} attempt ({by}): {problem}",
                        "Posting the reply failed after {n} attempts ({by}): {problem}",
                        outbox.attempts,
                    ).format(n=outbox.attempts, by=by, problem=problem)
                )
            else:
                retry = (
                    _("; attempt {n} failed: {problem}").format(n=outbox.attempts, problem=problem)
                    if problem
                    else ""
                )
                state = views.name_of(views.REPLY_STATUS_NAMES, outbox.status, lang)
                st.info(
                    _("Reply {state}: the monitor posts it ({by}){retry}").format(
                        state=state, by=by, retry=retry
                    )
                )
        rtl = (reply.language if reply else reply_lang) == "he"
        # The editor in the reply's own direction, so it reads as it will be posted, whatever the page's.
        side = "direction: rtl; text-align: right" if rtl else "direction: ltr; text-align: left"
        st.html(f"<style>.st-key-i_reply_{q.id} textarea {{{side}}}</style>")
        edited = st.text_area(
            _("Reply (public)") + (_(" · in Hebrew") if rtl and lang != "he" else ""),
            value=draft_text,
            height=150,
            key=f"i_reply_{q.id}",
        )
        b1, b2 = st.columns(2)
        if q.status in ("new", "in_progress", "awaiting_approval"):
            if b1.button(_("Save draft"), key="i_save", width="stretch"):
                act(
                    "draft",
                    _("Draft saved."),
                    lambda: actions.save_draft(store, q.id, user["name"], data.now(), library, edited),
                )
            if q.status in ("new", "in_progress") and b2.button(
                _("Submit for approval"), key="i_submit", width="stretch"
            ):

                def submit() -> None:
                    actions.save_draft(store, q.id, user["name"], data.now(), library, edited)
                    actions.perform(store, q.id, "submit", user["name"], data.now())

                act("draft", _("Draft submitted for approval."), submit)
            if (
                q.status == "awaiting_approval"
                and reply
                and b2.button(_("Approve reply"), key="i_approve", width="stretch")
            ):
                act(
                    "approve",
                    _("Reply approved."),
                    lambda: actions.approve(store, q.id, user["name"], data.now()),
                )
        if q.status in ("in_progress", "awaiting_approval"):
            b3, b4 = st.columns(2)
            if b3.button(
                _("Mark responded"),
                key="i_respond",
                help=_("The reply was posted on the platform by hand"),
                width="stretch",
            ):
                act(
                    "workflow",
                    _("Marked responded."),
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
                _("Post reply to the platform"),
                key="i_post",
                width="stretch",
                disabled=waiting,
                help=_("Queued here; the running monitor posts it and marks the item responded"),
            ):
                act(
                    "workflow",
                    _("Reply queued: the monitor posts it shortly."),
                    lambda: actions.queue_reply(store, q.id, user["name"], data.now()),
                )

    st.subheader(_("Actions"))
    allowed_now = [a for a in allowed_actions(q.status) if can(user["role"], action_permission(a, q.status))]
    if drafting:  # submit and respond are the reply's own buttons above
        allowed_now = [a for a in allowed_now if a not in ("submit", "respond")]
    if not allowed_now:
        st.caption(
            _("Nothing your role ({role}) can do while the item is {status}.").format(
                role=views.name_of(views.ROLE_NAMES, user["role"], lang),
                status=views.status_name(q.status, lang),
            )
        )

    def perform(action: str) -> None:
        actions.perform(store, q.id, action, user["name"], data.now())
        if action == "start" and not q.assignee:  # whoever starts an unassigned item owns it
            actions.assign(store, q.id, user["name"], user["name"], data.now())

    simple = [a for a in allowed_now if a not in ("dismiss", "decide")]
    if simple:
        cols = st.columns(len(simple))
        for col, action in zip(cols, simple):
            action_name = views.name_of(views.ACTION_NAMES, action, lang)
            if col.button(action_name, key=f"i_act_{action}", width="stretch"):
                act(
                    action_permission(action, q.status),
                    _("{action}: done.").format(action=action_name),
                    partial(perform, action),
                )
    if "decide" in allowed_now:
        d1, d2 = st.columns([2, 1], vertical_alignment="bottom")
        decision = d1.selectbox(
            _("Legal decision"), DECISIONS, key="i_decision",
            format_func=lambda d: views.name_of(views.DECISION_NAMES, d, lang),
        )  # fmt: skip
        if d2.button(_("Record decision"), key="i_decide", width="stretch"):
            act(
                "legal_review",
                _("Decision recorded: {decision}.").format(
                    decision=views.name_of(views.DECISION_NAMES, decision, lang)
                ),
                lambda: actions.perform(store, q.id, "decide", user["name"], data.now(), decision=decision),
            )
    if "dismiss" in allowed_now:
        d1, d2 = st.columns([2, 1], vertical_alignment="bottom")
        reason = d1.text_input(_("Reason for dismissing"), key="i_dismiss_reason")
        if d2.button(_("Dismiss"), key="i_dismiss", width="stretch"):
            act(
                "dismiss",
                _("Dismissed."),
                lambda: actions.perform(store, q.id, "dismiss", user["name"], data.now(), reason=reason),
            )
    if auth.allowed("assign") and q.status not in ("closed", "dismissed", "resolved"):
        a1, a2 = st.columns([2, 1], vertical_alignment="bottom")
        people = [u.name for u in store.users() if u.role != "owner"]
        default = q.assignee if q.assignee in people else user["name"]
        who = a1.selectbox(
            _("Assign to"), people, index=people.index(default) if default in people else 0, key="i_assignee"
        )
        if a2.button(_("Assign"), key="i_assign", width="stretch") and who:
            act(
                "assign",
                _("Assigned to {name}.").format(name=who),
                lambda: actions.assign(store, q.id, who, user["name"], data.now()),
            )

    if auth.allowed("correct"):
        with st.expander(_("Correct the label")):
            new_label = st.selectbox(
                _("Label"), LABELS, index=LABELS.index(q.label) if q.label in LABELS else 0, key="i_label",
                format_func=lambda x: label_name(x, lang),
            )  # fmt: skip
            why = st.text_input(
                _("Reason"), key="i_label_reason", placeholder=_("e.g. sarcasm, not a real accusation")
            )
            if st.button(_("Save correction"), key="i_correct"):
                act(
                    "correct",
                    _("Label corrected to {label}; the item was re-triaged.").format(
                        label=label_name(new_label, lang)
                    ),
                    lambda: actions.correct_label(
                        store, q.id, new_label, why, user["name"], data.now(), library
                    ),
                )

    if auth.allowed("evidence"):
        st.subheader(_("Evidence"))
        if st.button(_("Prepare evidence bundle"), key="i_evidence"):
            if auth.refuse_unless("evidence"):
                try:
                    name, blob, digest = actions.export_evidence(store, q.id, user["name"], data.now())
                except MonitorError as exc:  # e.g. the role was changed since sign-in
                    st.error(error_text(exc, lang))
                else:
                    st.session_state["i_bundle"] = (q.id, name, blob, digest)
        ui.evidence_download(q.id, "i", lang)
