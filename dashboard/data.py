"""The dashboard's only door to data: the store, the playbooks, the clock and the signed-in user.

Everything here is cached per server process (one store and one playbook library), so a page's rerun
costs only its own queries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from monitor import settings
from monitor.storage import Store
from playbooks.engine import Library, LibraryHolder


@st.cache_resource(show_spinner=False)
def _open_store(data_dir: Path, url: str, key_file: Path | None) -> Store:
    return Store.open(data_dir, url or None, key_file=key_file)


def store() -> Store:
    """The store the settings point at (REPMON_DATA_DIR / REPMON_DATABASE_URL; the settings are loaded
    once per environment, see ``monitor.settings.current``)."""
    s = settings.current()
    return _open_store(s.data_dir, s.database_url, s.audit_key_file)


@st.cache_resource(show_spinner=False)
def _holder() -> LibraryHolder:
    return LibraryHolder()


def playbooks() -> tuple[Library, str | None]:
    """The playbooks in force and, if an edit broke them, the error (the last good ones stay)."""
    holder = _holder()
    error = holder.reload()
    return holder.library, error


def now() -> datetime:
    """The current time (tests freeze it with ``st.session_state["clock"]``)."""
    frozen = st.session_state.get("clock")
    return frozen if isinstance(frozen, datetime) else datetime.now(UTC)


def restore_widgets(keys: tuple[str, ...]) -> None:
    """Give widgets back the values they had when their page was last shown.

    Streamlit forgets a widget's value when a run does not draw it (another page was shown); a copy
    kept under another key survives and is put back before the widgets are drawn.
    """
    for key in keys:
        saved = f"_saved_{key}"
        if key not in st.session_state and saved in st.session_state:
            st.session_state[key] = st.session_state[saved]


def save_widgets(keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in st.session_state:
            st.session_state[f"_saved_{key}"] = st.session_state[key]
