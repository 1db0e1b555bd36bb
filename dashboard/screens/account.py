"""Account: who you are and your interface language (the dashboard's and your e-mails'); owners also
set where their daily digest goes."""

from __future__ import annotations

import streamlit as st
from babel import Locale

from dashboard import auth, data, ui, views
from monitor import actions
from monitor.email.addresses import email_problem
from monitor.errors import MonitorError
from monitor.i18n import LANGUAGES, N_, error_text, gettext_for


def own_name(code: str) -> str:
    """A language by its own name (עברית, English), so that a reader finds theirs whatever the page's."""
    return (Locale.parse(code).get_display_name(code) or code).capitalize()


user = auth.require("page:account")
store = data.store()
lang = ui.language()
_ = gettext_for(lang)
st.title(_("Account"))
me = next((u for u in store.users() if u.name == user["name"]), None)
st.markdown(
    _("Signed in as **{name}** ({role}).").format(
        name=views.markdown_text(user["name"]), role=views.name_of(views.ROLE_NAMES, user["role"], lang)
    )
)
if me is None:
    st.warning(_("Your user no longer exists: sign out."))
    st.stop()
if flash := st.session_state.pop("a_flash", None):
    st.success(_(flash))

st.subheader(_("Language"))
with st.form("language"):
    chosen = st.radio(
        _("Interface language"),
        list(LANGUAGES),
        index=list(LANGUAGES).index(me.language) if me.language in LANGUAGES else 0,
        horizontal=True,
        format_func=own_name,
        key="a_language",
        help=_("The dashboard and the e-mails repmon sends you are in this language."),
    )
    if st.form_submit_button(_("Save language")):
        try:
            actions.set_language(store, user["name"], chosen, data.now())
        except MonitorError as exc:
            st.error(error_text(exc, lang))
        else:
            # Shown after the rerun, in the new language (translated there).
            st.session_state["a_flash"] = N_("Language saved.")
            st.rerun()

if auth.allowed("digest_settings"):
    st.subheader(_("Daily digest"))
    with st.form("digest"):
        email = st.text_input(_("E-mail address"), value=me.email or "", key="a_email")
        wanted = st.checkbox(_("Send me the daily digest"), value=me.digest, key="a_digest")
        saved = st.form_submit_button(_("Save"))
    st.caption(_("The digest is in your interface language."))
    if saved and auth.refuse_unless("digest_settings"):
        problem = email_problem(email.strip()) if (wanted or email.strip()) else None
        if problem:
            st.error(
                _("{address} is not an e-mail address ({problem}): the digest needs one.").format(
                    address=repr(email.strip()), problem=problem
                )
            )
        else:
            try:
                actions.set_digest_prefs(
                    store, user["name"], email.strip() or None, me.language, wanted, data.now()
                )
            except MonitorError as exc:  # e.g. the role was changed since sign-in
                st.error(error_text(exc, lang))
            else:
                st.success(_("Saved."))
else:
    st.caption(_("Digest settings are for owners."))
