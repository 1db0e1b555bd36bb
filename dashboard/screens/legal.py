"""Legal review: flagged items (accusations, boycott calls, escalations) with their evidence summary and
hashes (and, under a later capture, the text edited on the platform with its label), the decision, and
the evidence ZIP."""

from __future__ import annotations

import html

import streamlit as st

from classifiers.text import detect_language
from dashboard import auth, data, ui, views
from monitor import actions, edits
from monitor.errors import MonitorError
from monitor.i18n import error_text, gettext_for, ngettext_for
from monitor.records import QueueFilter
from monitor.triage import LEGAL_SCOPE
from monitor.workflow import DECISIONS

user = auth.require("page:legal")
store, now = data.store(), data.now()
lang, tz = ui.language(), ui.timezone()
_, n_ = gettext_for(lang), ngettext_for(lang)
st.title(_("Legal review"))
if flash := st.session_state.pop("l_flash", None):
    st.success(flash)

show_closed = st.toggle(_("Include closed and decided items"), key="l_closed")
flt = QueueFilter(legal=LEGAL_SCOPE, include_closed=show_closed)
total = store.queue_count(flt)
items = store.queue(flt, limit=200)
st.markdown(
    n_("**{n}** flagged item", "**{n}** flagged items", total).format(n=views.number(str(total), lang))
    + (_(" (first 200 shown)") if total > 200 else "")
)
if not items:
    st.info(_("No flagged items: nothing is waiting for legal."))
    st.stop()
st.dataframe(
    views.queue_rows(items, now, lang),
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(items), 400),
    column_config={key: st.column_config.Column(head) for key, head in views.queue_columns(lang).items()},
)
ui.queue_download(store, flt, total, lang, "legal")

choices = {
    it.id: f"#{it.id} · {views.label_text(it.label, lang)} · {views.excerpt(it.followed_text, 70)}"
    for it in items
}
item_id = st.selectbox(_("Review item"), list(choices), format_func=choices.__getitem__, key="l_item")
ev = store.evidence(item_id) if item_id is not None else None
if item_id is None or ev is None:  # the item went away since the list was read
    st.warning(_("There is no queue item #{id}. Open one from the Queue.").format(id=item_id))
    st.stop()
q = next(it for it in items if it.id == item_id)
st.html(views.post_html(q.text, q.language))
posted = html.escape(_("posted {time}")).format(time=f"<bdi>{html.escape(ui.when(q.created_at, lang))}</bdi>")
platform = html.escape(views.name_of(views.PLATFORM_NAMES, q.platform, lang))
st.html(views.author_html(q.author, q.author_followers, lang, f" · {platform} · {posted}"))
if warning := views.hidden_warning(q.author, lang):
    st.warning(warning)
if q.deleted_at:
    st.error(
        _("Deleted or hidden on the platform since {time}; the stored copy is kept.").format(
            time=ui.stamp(q.deleted_at, lang)
        )
    )

st.subheader(_("Evidence"))
raw = ev["raw"]
c1, c2, c3, c4 = st.columns(4)
c1.metric(_("Captures"), 1 + len(ev["captures"]) if raw else len(ev["captures"]))
c2.metric(_("Shares recorded"), len(ev["shares"]))
c3.metric(_("Quotes"), len(ev["quotes"]))
c4.metric(_("Metric readings"), len(ev["snapshots"]))
if raw:
    st.text(
        _("First capture {time} · SHA-256 {hash}").format(
            time=ui.stamp(raw["captured_at"], lang),
            hash=views.number(raw["sha256"], lang),
        )
    )
# Each later capture's text against the first one's: an edit made on the platform is shown under the
# capture that first holds it, as inert text; a capture that repeats it, or restores the first text, says so.
# Each edit's label is the classifier's (the monitor classifies every version); the item's label and
# triage follow the most serious version, which is said under it.
first = edits.first_text(q.platform, raw["body"] if raw else None, ev["mention"]["text"])
texts = edits.capture_texts(q.platform, first, [cap["body"] for cap in ev["captures"]])
versions = {v.version_key: v for v in store.edits(q.platform, q.external_id)}
for cap, seen in zip(ev["captures"], texts, strict=True):
    st.text(
        _("Later capture {time} · SHA-256 {hash}").format(
            time=ui.stamp(cap["captured_at"], lang),
            hash=views.number(cap["sha256"], lang),
        )
    )
    if seen.text is not None and seen.edited and seen.changed:
        st.warning(_("Edited on the platform: the text in this capture differs from the first capture's:"))
        ui.show_post(seen.text, detect_language(seen.text), lang)
        version = versions.get(edits.version_key(seen.text))
        if version is None or version.label is None:
            st.caption(_("Not classified yet: the monitor classifies this version at its next pass."))
        elif q.edit is not None and q.edit.id == version.id:
            st.caption(
                _(
                    "Label of this version: {label}. The item's label and triage follow it, the most serious "
                    "version of the post."
                ).format(label=views.version_label(version, lang))
            )
        else:
            st.caption(_("Label of this version: {label}").format(label=views.version_label(version, lang)))
    elif seen.text is not None and seen.edited:
        st.caption(_("Edited on the platform: the same text as the edit above."))
    elif seen.text is not None and seen.changed:
        st.caption(_("The text in this capture is the first capture's again."))
# Edited on X: each version is a post with its own id and item, kept in the queue; each names the others.
if (target := ui.show_versions(store.versions(q.platform, q.external_id), lang, "l")) is not None:
    st.session_state["item_id"] = target
    st.switch_page("screens/item.py")
if ev["shares"]:
    with st.expander(_("Who shared it (sharing a defamatory post is also publication)")):
        st.dataframe(
            [
                {
                    _("handle"): views.handle(s["handle"]),
                    _("followers"): s["followers"],
                    _("kind"): s["kind"],
                    _("first seen"): views.when(s["first_seen_at"], lang, tz),
                }
                for s in ev["shares"]
            ],
            hide_index=True,
            width="stretch",
        )
if ev["quotes"]:
    with st.expander(_("Quotes of it")):
        st.dataframe(
            [
                {
                    _("author"): views.handle(x["author"]),
                    _("posted"): views.when(x["created_at"], lang, tz),
                    _("text"): views.excerpt(x["text"]),
                }
                for x in ev["quotes"]
            ],
            hide_index=True,
            width="stretch",
        )

st.subheader(_("Decision"))
status = q.status
decided: str | None = ev["item"]["decision"]
st.caption(
    _("Status: {status}").format(status=views.status_name(status, lang))
    + (
        _(" · decision {decision}").format(decision=views.name_of(views.DECISION_NAMES, decided, lang))
        if decided
        else ""
    )
)


def run(done: str, fn) -> None:  # noqa: ANN001
    auth.run_action("legal_review", done, fn, "l_flash")


cols = st.columns(3)
if status in ("new", "in_progress", "awaiting_approval", "responded") and cols[0].button(
    _("Escalate to legal"), key="l_escalate"
):
    if auth.refuse_unless("escalate"):
        run(_("Escalated."), lambda: actions.perform(store, q.id, "escalate", user["name"], data.now()))
if status == "escalated" and cols[0].button(_("Start legal review"), key="l_review"):
    run(_("In legal review."), lambda: actions.perform(store, q.id, "review", user["name"], data.now()))
if status == "legal_review":
    decision = cols[0].selectbox(
        _("Decision"), DECISIONS, key="l_decision",
        format_func=lambda d: views.name_of(views.DECISION_NAMES, d, lang),
    )  # fmt: skip
    note = cols[1].text_input(_("Note (kept in the audit trail)"), key="l_note")
    if cols[2].button(_("Record decision"), key="l_decide"):
        run(
            _("Decision recorded: {decision}.").format(
                decision=views.name_of(views.DECISION_NAMES, decision, lang)
            ),
            lambda: actions.perform(
                store, q.id, "decide", user["name"], data.now(), decision=decision, note=note or None
            ),
        )
if status == "decided" and cols[0].button(_("Close"), key="l_close"):
    run(_("Closed."), lambda: actions.perform(store, q.id, "close", user["name"], data.now()))

if auth.allowed("evidence"):
    if st.button(_("Prepare evidence bundle"), key="l_evidence", type="primary"):
        try:
            name, blob, digest = actions.export_evidence(store, q.id, user["name"], data.now())
        except MonitorError as exc:  # e.g. the role was changed since sign-in, or the disk is full
            st.error(error_text(exc, lang))
        else:
            st.session_state["l_bundle"] = (q.id, name, blob, digest)
    ui.evidence_download(q.id, "l", lang, show_name=True)
if st.button(_("Open the full item"), key="l_open"):
    st.session_state["item_id"] = q.id
    st.switch_page("screens/item.py")
