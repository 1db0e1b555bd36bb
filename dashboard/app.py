"""repmon's dashboard: sign in, then the pages your role may see.

Run with ``repmon dashboard`` (or ``streamlit run dashboard/app.py``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import auth, ui, views
from monitor.i18n import N_, gettext_for
from monitor.users import can

HERE = Path(__file__).parent

# (script, title, icon, permission, url path)
PAGES = (
    ("screens/queue.py", N_("Queue"), "📥", "page:queue", "queue"),
    ("screens/item.py", N_("Item"), "📄", "page:item", "item"),
    ("screens/legal.py", N_("Legal review"), "⚖️", "page:legal", "legal"),
    ("screens/overview.py", N_("Overview"), "📈", "page:overview", "overview"),
    ("screens/sources.py", N_("Sources"), "🔄", "page:sources", "sources"),
    ("screens/playbooks.py", N_("Playbooks"), "📖", "page:playbooks", "playbooks"),
    ("screens/account.py", N_("Account"), "👤", "page:account", "account"),
)
HOME = {"manager": "queue", "legal": "legal", "owner": "overview"}

# Emoji, not Material icons: Streamlit uses the current page's icon as the tab's favicon, and fetches a
# Material icon's favicon from fonts.gstatic.com (an emoji becomes an inline data: image). The dashboard
# fetches nothing from the internet (tests/test_hardening.py).
st.set_page_config(page_title="repmon", layout="wide")
# The tables' own CSV export and copy write a post that starts with "=" as a live spreadsheet formula: off,
# however the app is started. The Queue and Legal pages download CSV with such cells as text
# (ui.queue_download).
st.set_option("client.disableDataExport", True)
user = auth.current_user()
# The signed-in user's language (the sign-in page: REPMON_UI_LANGUAGE), its direction on the whole page.
lang = ui.language()
_ = gettext_for(lang)
ui.apply_direction(lang)
if user is None:
    st.navigation([st.Page(auth.login_page, title=_("Sign in"), url_path="login")], position="hidden").run()
else:
    pages = [
        st.Page(
            str(HERE / script),
            title=_(title),
            icon=icon,
            url_path=path,
            default=HOME.get(user["role"]) == path,
        )
        for script, title, icon, permission, path in PAGES
        if can(user["role"], permission)
    ]
    with st.sidebar:
        role = views.name_of(views.ROLE_NAMES, user["role"], lang)
        st.markdown(f"**{views.markdown_text(user['name'])}** · {role}")
        if st.button(_("Sign out"), key="sign_out"):
            auth.logout()
            st.rerun()
    st.navigation(pages).run()
