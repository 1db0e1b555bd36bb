"""Account: who you are; owners set where and in which language their daily digest goes."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data
from monitor import actions
from monitor.email.addresses import email_problem
from monitor.errors import MonitorError

user = auth.require("page:account")
store = data.store()
st.title("Account")
me = next((u for u in store.users() if u["name"] == user["name"]), None)
st.markdown(f"Signed in as **{user['name']}** ({user['role']}).")
if me is None:
    st.warning("Your user no longer exists: sign out.")
    st.stop()

if auth.allowed("digest_settings"):
    st.subheader("Daily digest")
    with st.form("digest"):
        email = st.text_input("E-mail address", value=me["email"] or "")
        language = st.radio(
            "Language",
            ["he", "en"],
            index=0 if me["language"] == "he" else 1,
            horizontal=True,
            format_func={"he": "עברית", "en": "English"}.get,
        )
        wanted = st.checkbox("Send me the daily digest", value=bool(me["digest"]))
        saved = st.form_submit_button("Save")
    if saved and auth.refuse_unless("digest_settings"):
        problem = email_problem(email.strip()) if (wanted or email.strip()) else None
        if problem:
            st.error(f"{email.strip()!r} is not an e-mail address ({problem}): the digest needs one.")
        else:
            try:
                actions.set_digest_prefs(
                    store, user["name"], email.strip() or None, language, wanted, data.now()
                )
            except MonitorError as exc:  # e.g. the role was changed since sign-in
                st.error(str(exc))
            else:
                st.success("Saved.")
else:
    st.caption("Digest settings are for owners.")
