"""The signed-in user's language on every page: which catalogue, which direction, which time zone.

A page starts with ``lang = ui.language()`` and ``_ = gettext_for(lang)`` (see ``monitor/i18n.py``). The
language is the user's own (``users.language``, chosen on the Account page), read on each run so that a
change shows at once; before sign-in it is ``REPMON_UI_LANGUAGE``. ``ui.direction_style(lang)`` is the
style block that lays the whole app out right to left in Hebrew: Streamlit has no switch for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import streamlit as st

from dashboard import data, views
from monitor import i18n
from monitor.settings import current
from monitor.stored import newest_other_version

if TYPE_CHECKING:
    from monitor.records import QueueFilter
    from monitor.storage import Store
    from monitor.stored import PostVersion

# Right to left: the app's root, main pane and sidebar read right to left and the sidebar moves to the
# right (Streamlit lays them out as a flex row, which follows the direction). Tables, alerts and captions
# align right; what is typed into a box takes the direction of its first letter (unicode-bidi:
# plaintext); code, numbers in a number box and charts stay left to right.
_RTL_CSS = """
<style>
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"], [data-testid="stSidebar"],
[data-testid="stHeader"] { direction: rtl; }
[data-testid="stMain"] .stMarkdown, [data-testid="stSidebar"] .stMarkdown, [data-testid="stCaptionContainer"],
[data-testid="stAlertContainer"], [data-testid="stWidgetLabel"], [data-testid="stMetric"],
[data-testid="stExpander"] summary, h1, h2, h3, label, .stText { text-align: right; }
[data-testid="stSidebar"] { border-left: 1px solid rgba(49, 51, 63, 0.1); border-right: none; }
[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea { unicode-bidi: plaintext; }
[data-testid="stNumberInput"] input, code, pre { direction: ltr; }
/* Charts measure and place their labels left to right: laid out right to left they clip them. */
[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"] { direction: ltr; }
[data-testid="stDataFrame"] { direction: rtl; }
</style>
"""


def language() -> str:
    """The interface language: the signed-in user's, else ``REPMON_UI_LANGUAGE`` (Hebrew by default)."""
    user = st.session_state.get("user")
    if isinstance(user, dict) and user.get("name"):
        row = data.store().user(str(user["name"]))
        if row is not None and row.language in i18n.LANGUAGES:
            return row.language
    return default_language()


def default_language() -> str:
    """The language of the sign-in page and of new users (``REPMON_UI_LANGUAGE``)."""
    return i18n.language_or_default(current().ui_language)


def timezone() -> tzinfo:
    """The business's time zone (``REPMON_TIMEZONE``, checked when the settings were loaded)."""
    return current().timezone


def direction_style(lang: str) -> str:
    """The HTML that sets the page's direction: for a right-to-left language the style block above and
    the ``dir``/``lang`` attributes of the document root; for a left-to-right one the attributes only."""
    direction = i18n.direction(lang)
    script = (
        f"<script>document.documentElement.setAttribute('dir', '{direction}');"
        f"document.documentElement.setAttribute('lang', '{i18n.language_or_default(lang)}');</script>"
    )
    return (_RTL_CSS if direction == "rtl" else "") + script


def apply_direction(lang: str) -> None:
    """Lay the page out in ``lang``'s direction (call once per run, from the app)."""
    st.html(direction_style(lang), unsafe_allow_javascript=True)


def when(moment: datetime | str | None, lang: str) -> str:
    """A stored time in the business's time zone, as ``lang`` writes it (see ``views.when``)."""
    return views.when(moment, lang, timezone())


def stamp(moment: datetime | str | None, lang: str) -> str:
    """A stored time for a sentence: as ``when``, isolated in a right-to-left interface so its digits
    keep their order among Hebrew words."""
    return views.number(when(moment, lang), lang)


def show_post(text: str, language: str | None, lang: str) -> None:
    """A post (an item's, one of its thread, or a version of it captured later) as inert text, and a
    warning in ``lang`` naming the invisible characters that change how it displays, if it holds any."""
    st.html(views.post_html(text, language))
    hidden = views.invisible_characters(text)
    if hidden:
        _ = i18n.gettext_for(lang)
        st.warning(
            _("This post contains invisible characters that change how it displays: {names}").format(
                names=", ".join(hidden)
            )
        )


def show_versions(
    versions: Sequence[PostVersion],
    lang: str,
    prefix: str,
    on_open: Callable[[int], None] | None = None,
) -> int | None:
    """The other stored versions of a post edited on X (an edit there is a post with its own id and its
    own item), oldest first: each one's time and item number, its text inert, and a button opening its
    item (``on_open(item id)`` is the button's callback, if given). Returns the item whose button was
    clicked, if one was; nothing is shown when there is no other version."""
    others = [v for v in versions if not v.this]
    if not others:
        return None
    _ = i18n.gettext_for(lang)
    st.warning(_("Edited on X: other versions of this post"))
    latest = newest_other_version(versions)
    if latest is not None:
        st.info(
            _(
                "A newer version of this post exists (item #{id}): reply there, where its readers see it."
            ).format(id=latest.item_id)
        )
    clicked = None
    for v in others:
        if v.item_id is None:
            st.caption(_("Posted {time} · not queued").format(time=stamp(v.created_at, lang)))
        else:
            st.caption(_("Posted {time} · item #{id}").format(time=stamp(v.created_at, lang), id=v.item_id))
        show_post(v.text, v.language, lang)
        if v.item_id is not None and st.button(
            _("Open item #{id}").format(id=v.item_id),
            key=f"{prefix}_version_{v.item_id}",
            on_click=on_open,
            args=(v.item_id,) if on_open else None,
        ):
            clicked = v.item_id
    return clicked


def evidence_download(item_id: int, prefix: str, lang: str, *, show_name: bool = False) -> None:
    """The download button of the evidence bundle prepared for this item, if there is one: it is kept in
    ``st.session_state[f"{prefix}_bundle"]`` as (item id, file name, ZIP bytes, SHA-256); then its digest
    (and, with ``show_name``, its file name)."""
    bundle = st.session_state.get(f"{prefix}_bundle")
    if not bundle or bundle[0] != item_id:
        return
    _ = i18n.gettext_for(lang)
    st.download_button(
        _("Download evidence ZIP"),
        bundle[2],
        file_name=bundle[1],
        mime="application/zip",
        key=f"{prefix}_download",
    )
    name = f"{views.number(bundle[1], lang)} · " if show_name else ""
    st.caption(f"{name}SHA-256 {views.number(bundle[3], lang)}")


def queue_download(store: Store, flt: QueueFilter, total: int, lang: str, key: str) -> None:
    """A button that downloads every item ``flt`` matches (at most ``views.EXPORT_LIMIT``) as a CSV file
    (``views.queue_csv``), made when clicked. The tables' own CSV export is turned off (``dashboard/app.py``
    sets ``client.disableDataExport``): it writes a post that starts with "=" as a live spreadsheet
    formula."""
    _, n_ = i18n.gettext_for(lang), i18n.ngettext_for(lang)
    count = min(total, views.EXPORT_LIMIT)
    day = datetime.now(timezone()).strftime("%Y-%m-%d")
    st.download_button(
        n_("Download {n} item as CSV", "Download {n} items as CSV", count).format(n=count),
        lambda: views.queue_csv(store.queue(flt, limit=views.EXPORT_LIMIT), lang, timezone()),
        file_name=f"repmon-{key}-{day}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        help=_(
            "Whole posts with their labels, scores and links, for a spreadsheet. A post that starts "
            "like a formula (=, +, -, @) is written as text."
        )
        + (_(" Only the first {n} items.").format(n=views.EXPORT_LIMIT) if count < total else ""),
    )
