"""Playbooks: what each playbook says to do, and the rules that pick one (read-only here; edit the YAML)."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, views

auth.require("page:playbooks")
library, error = data.playbooks()
st.title("Playbooks")
if error:
    st.error(f"The playbook files have an error; the last good version stays in force.\n\n{error}")
st.caption("Edit `playbooks/*.yaml`; the running monitor picks up changes at its next pass.")

for name, pb in library.playbooks.items():
    with st.expander(f"{pb.title.en} · {pb.title.he}  ({name})", expanded=False):
        st.markdown(f"**When:** {pb.applies_when}")
        st.markdown(
            f"**Owner:** {pb.owner} · **first response:** {pb.sla.own_page} on our page, "
            f"{pb.sla.elsewhere} elsewhere"
        )
        st.markdown("**Steps**\n" + "\n".join(f"{n}. {s}" for n, s in enumerate(pb.steps, 1)))
        c1, c2 = st.columns(2)
        c1.markdown("**Do**\n" + "\n".join(f"- {d}" for d in pb.do))
        c2.markdown("**Don't**\n" + "\n".join(f"- {d}" for d in pb.dont))
        if pb.templates.he or pb.templates.en:
            st.markdown("**Reply templates**")
            st.html(views.post_html(pb.templates.he, "he"))
            st.text(pb.templates.en)

st.subheader("Rules (first match wins)")
st.dataframe(
    [{"rule": r.name, "playbook": r.playbook, "priority boost": r.priority_boost} for r in library.rules],
    hide_index=True,
    width="stretch",
)
