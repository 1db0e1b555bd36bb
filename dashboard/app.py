"""repmon's dashboard: sign in, then the pages your role may see.

Run with ``repmon dashboard`` (or ``streamlit run dashboard/app.py``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import auth
from monitor.users import can

HERE = Path(__file__).parent

# (script, title, icon, permission, url path)
PAGES = (
    ("screens/queue.py", "Queue", "📥", "page:queue", "queue"),
    ("screens/item.py", "Item", "📄", "page:item", "item"),
    ("screens/legal.py", "Legal review", "⚖️", "page:legal", "legal"),
    ("screens/overview.py", "Overview", "📈", "page:overview", "overview"),
    ("screens/sources.py", "Sources", "🔄", "page:sources", "sources"),
    ("screens/playbooks.py", "Playbooks", "📖", "page:playbooks", "playbooks"),
    ("screens/account.py", "Account", "👤", "page:account", "account"),
)
HOME = {"manager": "queue", "legal": "legal", "owner": "overview"}

# Emoji, not Material icons: Streamlit uses the current page's icon as the tab's favicon, and fetches a
# Material icon's favicon from fonts.gstatic.com (an emoji becomes an inline data: image). The dashboard
# fetches nothing from the internet (tests/test_hardening.py).
st.set_page_config(page_title="repmon", layout="wide")
user = auth.current_user()
if user is None:
    st.navigation([st.Page(auth.login_page, title="Sign in", url_path="login")], position="hidden").run()
else:
    pages = [
        st.Page(
            str(HERE / script), title=title, icon=icon, url_path=path, default=HOME.get(user["role"]) == path
        )
        for script, title, icon, permission, path in PAGES
        if can(user["role"], permission)
    ]
    with st.sidebar:
        st.markdown(f"**{user['name']}** · {user['role']}")
        if st.button("Sign out", key="sign_out"):
            auth.logout()
            st.rerun()
    st.navigation(pages).run()
