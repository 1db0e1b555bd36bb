"""Playbooks: what each playbook says to do, and the rules that pick one (read-only here; edit the YAML)."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import auth, data, ui, views
from monitor import i18n
from monitor.i18n import gettext_for

auth.require("page:playbooks")
lang = ui.language()
_ = gettext_for(lang)
library, error = data.playbooks()
st.title(_("Playbooks"))
if error:
    st.error(_("The playbook files have an error; the last good version stays in force.") + f"\n\n{error}")
st.caption(_("Edit `playbooks/*.yaml`; the running monitor picks up changes at its next pass."))


def sla(span: timedelta) -> str:
    return views.number(i18n.format_duration(span, lang), lang)


for name, pb in library.playbooks.items():
    shown = pb.shown(lang)
    with st.expander(f"{shown.title}  ({name})", expanded=False):
        st.markdown(_("**When:** {text}").format(text=shown.applies_when))
        st.markdown(
            _(
                "**Owner:** {owner} · **first response:** {own_page} on our page, {elsewhere} elsewhere"
            ).format(
                owner=views.name_of(views.ROLE_NAMES, pb.owner, lang),
                own_page=sla(pb.sla_for(True)),
                elsewhere=sla(pb.sla_for(False)),
            )
        )
        steps = "\n".join(f"{n}. {s}" for n, s in enumerate(shown.steps, 1))
        st.markdown("**" + _("Steps") + "**\n" + steps)
        c1, c2 = st.columns(2)
        c1.markdown("**" + _("Do") + "**\n" + "\n".join(f"- {d}" for d in shown.do))
        c2.markdown("**" + _("Don't") + "**\n" + "\n".join(f"- {d}" for d in shown.dont))
        if pb.templates.he or pb.templates.en:
            st.markdown("**" + _("Reply templates") + "**")
            st.html(views.post_html(pb.templates.he, "he"))
            st.html(views.post_html(pb.templates.en, "en"))

st.subheader(_("Rules (first match wins)"))
st.dataframe(
    [
        {_("rule"): r.name, _("playbook"): r.playbook, _("priority boost"): r.priority_boost}
        for r in library.rules
    ],
    hide_index=True,
    width="stretch",
)
