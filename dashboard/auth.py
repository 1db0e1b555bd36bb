"""Signing in and the role check every page and action goes through."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import streamlit as st

from dashboard import data, ui, views
from monitor import i18n
from monitor.actions import sign_in
from monitor.errors import AccessDenied, MonitorError
from monitor.i18n import gettext_for
from monitor.users import can


def current_user() -> dict[str, str] | None:
    user = st.session_state.get("user")
    return user if isinstance(user, dict) and user.get("name") and user.get("role") else None


def allowed(permission: str) -> bool:
    user = current_user()
    return bool(user and can(user["role"], permission))


def require(permission: str) -> dict[str, str]:
    """The signed-in user if their role holds ``permission``; otherwise the page stops with a message."""
    user = current_user()
    if user is None:
        st.error(gettext_for(ui.language())("Please sign in."))
        st.stop()
    if not can(user["role"], permission):
        _ = gettext_for(ui.language())
        st.error(
            _("Your role ({role}) may not do this ({permission}). Ask an administrator.").format(
                role=_role(user["role"]), permission=permission
            )
        )
        st.stop()
    return user


def _role(role: str | None) -> str:
    lang = ui.language()
    return views.name_of(views.ROLE_NAMES, role, lang) if role else gettext_for(lang)("signed out")


def refuse_unless(permission: str) -> bool:
    """For action handlers: True if allowed, else shows why not and returns False (nothing is done)."""
    if allowed(permission):
        return True
    user = current_user()
    _ = gettext_for(ui.language())
    st.error(
        _("Refused: your role ({role}) may not do this ({permission}).").format(
            role=_role(user["role"] if user else None), permission=permission
        )
    )
    return False


def run_action(permission: str, done: str, fn: Callable[[], object], flash_key: str) -> None:
    """Run a page's action if the role allows it. Its refusal (a workflow or input error) shows at once;
    its success shows after the rerun, from ``st.session_state[flash_key]``."""
    if not refuse_unless(permission):
        return
    try:
        fn()
    except MonitorError as exc:
        st.error(i18n.error_text(exc, ui.language()))
        return
    st.session_state[flash_key] = done
    st.rerun()


def login_page() -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _login_form()


def client_address() -> str | None:
    """The browser's address as Streamlit sees it (None when unknown: then only the user name is
    throttled). Behind a reverse proxy this is the proxy's address."""
    try:
        address = st.context.ip_address
    except AttributeError:  # an older Streamlit
        address = None
    return address if isinstance(address, str) and address else None  # (a test harness mocks it)


def _login_form() -> None:
    _ = gettext_for(ui.default_language())
    st.title("repmon")
    st.caption(_("Social-media reputation monitor"))
    with st.form("login"):
        name = st.text_input(_("User name"))
        password = st.text_input(_("Password"), type="password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if submitted:
        # The throttle lives in the database, per user name and per address: a reload keeps it.
        try:
            user = sign_in(data.store(), name.strip(), password, client_address(), data.now())
        except AccessDenied as exc:
            st.error(_sign_in_refusal(exc, _))
        else:
            st.session_state["user"] = {"name": user.name, "role": user.role}
            st.rerun()
    st.caption(_("No account yet? Ask your administrator."))


def _sign_in_refusal(exc: AccessDenied, _: Callable[[str], str]) -> str:
    """Why a sign-in was refused, in the sign-in page's language: a wrong name or password, or the
    throttle (with how long to wait)."""
    retry_at = getattr(exc, "retry_at", None)
    if retry_at is None:
        return _("Wrong user name or password.")
    wait = i18n.format_duration(max(retry_at - data.now(), timedelta(seconds=1)), ui.default_language())
    return _(
        "Too many failed sign-ins: try again in {time}, or ask an administrator "
        "(`repmon user enable NAME` lifts a lockout)."
    ).format(time=wait)


def logout() -> None:
    for key in list(st.session_state.keys()):
        if key != "clock":
            del st.session_state[key]
