"""Queue: every open item by priority, filtered and searched in SQL, a page at a time; bulk actions."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from classifiers import LABELS
from dashboard import auth, data, ui, views
from monitor import actions
from monitor.i18n import N_, error_text, gettext_for, label_name, ngettext_for
from monitor.records import UNASSIGNED, QueueFilter
from monitor.workflow import STATES

PAGE_SIZE = 50
# The choices' values are these English words (a link or a test may set them); they show translated.
WINDOWS = {N_("any time"): None, N_("last 24 hours"): 1, N_("last 7 days"): 7, N_("last 30 days"): 30,
           N_("dates…"): -1}  # fmt: skip
PLACES = {N_("anywhere"): None, N_("our page"): True, N_("elsewhere"): False}
ANYONE = N_("anyone")
FILTERS = ("q_search", "q_labels", "q_platforms", "q_statuses", "q_languages", "q_assignee", "q_window",
           "q_place", "q_dates", "q_page")  # fmt: skip

user = auth.require("page:queue")
store, now = data.store(), data.now()
lang = ui.language()
_, n_ = gettext_for(lang), ngettext_for(lang)
data.restore_widgets(FILTERS)  # the filters survive a visit to an item and back
st.title(_("Queue"))
if flash := st.session_state.pop("q_flash", None):
    st.success(flash[0])
    for failure in flash[1]:
        st.warning(failure)

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    search = c1.text_input(
        _("Search posts and authors"), key="q_search", placeholder=_("text, @handle or name")
    )
    labels = c2.multiselect(
        _("Label"), LABELS, key="q_labels", placeholder=_("any label"),
        format_func=lambda x: label_name(x, lang),
    )  # fmt: skip
    platforms = c3.multiselect(
        _("Platform"), ["x", "facebook"], key="q_platforms", placeholder=_("X and Facebook"),
        format_func=lambda x: views.name_of(views.PLATFORM_NAMES, x, lang),
    )  # fmt: skip
    statuses = c4.multiselect(
        _("Status"), STATES, key="q_statuses", placeholder=_("open items"),
        format_func=lambda x: views.status_name(x, lang),
    )  # fmt: skip
    c5, c6, c7, c8 = st.columns([2, 2, 2, 2])
    languages = c5.multiselect(
        _("Language"), ["he", "en", "mixed", "und"], key="q_languages", placeholder=_("any"),
        format_func=lambda x: views.name_of(views.POST_LANGUAGE_NAMES, x, lang),
    )  # fmt: skip
    people = [ANYONE, UNASSIGNED, *sorted({*store.assignees(), *(u.name for u in store.users())})]
    assignee = c6.selectbox(
        _("Assignee"), people, key="q_assignee",
        format_func=lambda x: _(ANYONE) if x == ANYONE else _("(unassigned)") if x == UNASSIGNED else x,
    )  # fmt: skip
    window = c7.selectbox(_("Posted"), list(WINDOWS), key="q_window", format_func=_)
    place = c8.selectbox(_("Where"), list(PLACES), key="q_place", format_func=_)
    since = until = None
    span = WINDOWS[window]
    if span == -1:
        picked = st.date_input(
            _("Posted between"), value=(now.date() - timedelta(days=7), now.date()), key="q_dates"
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            since = datetime.combine(picked[0], time.min, tzinfo=now.tzinfo)
            until = datetime.combine(picked[1], time.max, tzinfo=now.tzinfo)
    elif span:
        since = now - timedelta(days=span)
data.save_widgets(FILTERS)

flt = QueueFilter(
    platforms=tuple(platforms),
    labels=tuple(labels),
    statuses=tuple(statuses),
    languages=tuple(languages),
    assignee=None if assignee == ANYONE else assignee,
    since=since,
    until=until,
    own_page=PLACES[place],
    search=search,
)
total = store.queue_count(flt)
pages = max(1, -(-total // PAGE_SIZE))
if st.session_state.get("q_page", 1) > pages:
    st.session_state["q_page"] = 1
top = st.columns([6, 2], vertical_alignment="bottom")
page = top[1].number_input(
    _("Page (of {pages})").format(pages=pages), min_value=1, max_value=pages, step=1, key="q_page"
)
items = store.queue(flt, limit=PAGE_SIZE, offset=(int(page) - 1) * PAGE_SIZE)
top[0].markdown(
    n_(
        "**{n}** item matches · highest priority first", "**{n}** items match · highest priority first", total
    ).format(n=views.number(str(total), lang))
)

if not items:
    st.info(_("Nothing matches these filters.") if total == 0 else _("No items on this page."))
    st.stop()

heads = views.queue_columns(lang)
table = st.dataframe(
    views.queue_rows(items, now, lang),
    key="queue_table",
    on_select="rerun",
    selection_mode="multi-row",
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(items), 720),
    column_config={
        **{key: st.column_config.TextColumn(head) for key, head in heads.items()},
        "id": st.column_config.NumberColumn("#", width="small", format="%d"),
        "priority": st.column_config.ProgressColumn(heads["priority"], min_value=0, max_value=100,
                                                    format="%.0f", width="small"),
        "label": st.column_config.TextColumn(heads["label"], width="medium"),
        "post": st.column_config.TextColumn(heads["post"], width="large"),
        "virality": st.column_config.ProgressColumn(heads["virality"], min_value=0, max_value=100,
                                                    format="%d", width="small"),
    },
)  # fmt: skip
ui.queue_download(store, flt, total, lang, "queue")
rows = table.selection.rows if table is not None else []
selected = [items[i].id for i in rows if i < len(items)]
target = selected[0] if selected else items[0].id

c1, c2 = st.columns([1, 3])
with c1:
    help_text = (
        _("the first ticked row") if selected else _("the top item on this page; tick a row to pick another")
    )
    if st.button(_("Open item #{id}").format(id=target), type="primary", key="q_open", help=help_text):
        st.session_state["item_id"] = int(target)
        st.switch_page("screens/item.py")
with c2:
    if selected:
        st.caption(
            n_("{n} item ticked: {ids}", "{n} items ticked: {ids}", len(selected)).format(
                n=len(selected), ids=", ".join(f"#{i}" for i in selected)
            )
        )
        if auth.allowed("assign"):
            a1, a2 = st.columns([2, 1], vertical_alignment="bottom")
            names = [u.name for u in store.users() if u.role != "owner"]
            mine = names.index(user["name"]) if user["name"] in names else 0
            who = a1.selectbox(_("Assign to"), names, index=mine, key="q_bulk_who")
            if a2.button(_("Assign ticked"), key="q_bulk_assign") and auth.refuse_unless("assign") and who:
                done, failed = 0, []
                for item_id in selected:
                    try:
                        actions.assign(store, item_id, who, user["name"], data.now())
                        done += 1
                    except Exception as exc:  # one item's refusal does not stop the others
                        failed.append(f"#{item_id}: {error_text(exc, lang)}")
                st.session_state["q_flash"] = (
                    n_("Assigned {n} item to {who}.", "Assigned {n} item(s) to {who}.", done).format(
                        n=done, who=who
                    ),
                    failed,
                )
                st.rerun()
        if auth.allowed("dismiss"):
            d1, d2 = st.columns([2, 1], vertical_alignment="bottom")
            reason = d1.text_input(
                _("Reason for dismissing"), key="q_bulk_reason", placeholder=_("e.g. spam, duplicate")
            )
            if d2.button(_("Dismiss ticked"), key="q_bulk_dismiss") and auth.refuse_unless("dismiss"):
                if not reason.strip():
                    st.error(_("Dismissing needs a reason: it is kept in the audit trail."))
                else:
                    done, failed = 0, []
                    for item_id in selected:
                        try:
                            actions.perform(
                                store, item_id, "dismiss", user["name"], data.now(), reason=reason.strip()
                            )
                            done += 1
                        except Exception as exc:
                            failed.append(f"#{item_id}: {error_text(exc, lang)}")
                    st.session_state["q_flash"] = (
                        n_("Dismissed {n} item.", "Dismissed {n} item(s).", done).format(n=done),
                        failed,
                    )
                    st.rerun()
    else:
        st.caption(_("Tick rows in the table to open one, or to assign or dismiss several at once."))
