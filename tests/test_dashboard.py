"""The dashboard with Streamlit's AppTest: every page, action and role, on a small fixed database."""

import json
import re
from datetime import timedelta

import pytest
from conftest import NOW, open_store
from streamlit.testing.v1 import AppTest
from support.dashboard_data import HOSTILE, PASSWORD, build, edit_on_x, process, recapture

from monitor.records import Mention, RawPayload, Share
from monitor.users import PERMISSIONS, can

APP = "../dashboard/app.py"
PAGES = ("queue", "item", "legal", "overview", "sources", "playbooks", "account")
TITLES = {"queue": "Queue", "legal": "Legal review", "overview": "Overview", "sources": "Sources",
          "playbooks": "Playbooks", "account": "Account"}  # fmt: skip
NAMES = {"manager": "maya", "legal": "lea", "owner": "oren"}


@pytest.fixture
def db(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("REPMON_DATA_DIR", str(data_dir))
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "en")  # the sign-in page; the users are English too
    ids = build(data_dir)
    return open_store(data_dir), ids


def app(role=None, **state):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["clock"] = NOW
    if role:
        at.session_state["user"] = {"name": NAMES.get(role, role), "role": role}
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def page(at, name):
    return at.switch_page(f"screens/{name}.py").run()


def button(at, key):
    return next(b for b in at.button if b.key == key)


def html_bodies(at):
    return [h.proto.body for h in at.get("html")]


def posts(at):
    """The HTML of the posts shown (``st.html`` also carries the page's direction)."""
    return [h.proto.body for h in at.get("html") if 'class="repmon-post"' in h.proto.body]


def no_exception(at):
    assert [e.value for e in at.exception] == []


# -- signing in ------------------------------------------------------------------------------------


def test_sign_in_rejects_a_wrong_password_and_accepts_the_right_one(db):
    at = app()
    assert [t.value for t in at.title] == ["repmon"]
    at.text_input[0].input("maya")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert "user" not in at.session_state
    at.text_input[0].input("maya")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state["user"] == {"name": "maya", "role": "manager"}
    assert [t.value for t in at.title] == ["Queue"]  # a manager lands on the queue


def sign_in(at, name, password):
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def test_sign_in_stops_after_repeated_failures_and_a_reload_does_not_clear_it(db):
    at = app()
    for _ in range(5):
        sign_in(at, "maya", "nope-nope")
        assert [e.value for e in at.error] == ["Wrong user name or password."]
    sign_in(at, "maya", PASSWORD)  # even the right password waits (the clock is frozen)
    assert "Too many failed sign-ins: try again in 1 second" in at.error[0].value
    assert "user" not in at.session_state
    reloaded = sign_in(app(), "maya", PASSWORD)  # a new browser session
    assert "Too many failed sign-ins" in reloaded.error[0].value
    assert "user" not in reloaded.session_state
    later = app(clock=NOW + timedelta(seconds=1))
    sign_in(later, "maya", PASSWORD)
    assert later.session_state["user"] == {"name": "maya", "role": "manager"}


def test_a_disabled_or_unknown_user_cannot_sign_in(db):
    at = app()
    at.text_input[0].input("nobody")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert "user" not in at.session_state


# -- roles: pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "legal", "owner"])
def test_each_role_gets_exactly_its_pages(db, role):
    at = app(role)
    no_exception(at)
    home = {"manager": "Queue", "legal": "Legal review", "owner": "Overview"}[role]
    assert at.title[0].value == home
    for name in PAGES:
        if can(role, f"page:{name}"):
            page(at, name)
            no_exception(at)
            if name in TITLES:
                assert at.title[0].value == TITLES[name]
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"screens/{name}.py")


@pytest.mark.parametrize(("role", "name"), [("owner", "queue"), ("owner", "legal"), ("manager", "legal")])
def test_a_page_refuses_a_role_that_reaches_it_directly(db, role, name):
    at = AppTest.from_file(f"../dashboard/screens/{name}.py", default_timeout=60)
    at.session_state["user"] = {"name": NAMES[role], "role": role}
    at.session_state["clock"] = NOW
    at.run()
    assert [e.value for e in at.error] == [
        f"Your role ({role}) may not do this (page:{name}). Ask an administrator."
    ]
    assert len(at.dataframe) == 0


def test_permissions_table_names_only_known_roles():
    assert {r for roles in PERMISSIONS.values() for r in roles} == {"manager", "legal", "owner"}
    assert not can(None, "page:queue") and not can("admin", "assign") and not can("manager", "nonsense")


# -- queue ------------------------------------------------------------------------------------------


def queue_ids(at):
    return list(at.dataframe[0].value["id"])


def test_queue_sorted_by_priority_with_sla_author_and_excerpt(db):
    store, ids = db
    at = app("manager")
    no_exception(at)
    frame = at.dataframe[0].value
    assert list(frame["id"]) == [q.id for q in store.queue(limit=50)]
    assert list(frame["priority"]) == sorted(frame["priority"], reverse=True)
    first = frame.iloc[0]
    assert first["id"] == ids["p1"] and first["label"] == "⚖️ Defamation 0.90"
    assert first["author"] == "@user_p1 · 50k" and first["SLA"].startswith(("due in", "LATE"))
    assert first["post"].startswith("They are thieves") and list(frame.columns)[:4] == [
        "id",
        "priority",
        "label",
        "post",
    ]
    assert at.markdown[0].value == "**5** items match · highest priority first"


def test_queue_filters_and_search(db):
    _, ids = db
    at = app("manager")
    at.multiselect(key="q_labels").set_value(["complaint"]).run()
    assert sorted(queue_ids(at)) == sorted([ids["p3"], ids["p5"]])
    at.multiselect(key="q_labels").set_value([]).run()
    at.multiselect(key="q_platforms").set_value(["facebook"]).run()
    assert sorted(queue_ids(at)) == sorted([ids["p2"], ids["p5"]])
    at.multiselect(key="q_platforms").set_value([]).run()
    at.multiselect(key="q_languages").set_value(["he", "mixed"]).run()
    assert sorted(queue_ids(at)) == sorted([ids["p2"], ids["p4"]])
    at.multiselect(key="q_languages").set_value([]).run()
    at.selectbox(key="q_place").set_value("our page").run()
    assert sorted(queue_ids(at)) == sorted([ids["p2"], ids["p5"]])
    at.selectbox(key="q_place").set_value("anywhere").run()
    at.selectbox(key="q_window").set_value("last 24 hours").run()
    assert ids["p4"] not in queue_ids(at) and len(queue_ids(at)) == 4
    at.selectbox(key="q_window").set_value("any time").run()
    at.text_input(key="q_search").input("cold coffee").run()
    assert queue_ids(at) == [ids["p3"]]
    at.text_input(key="q_search").input("no such words").run()
    assert len(at.dataframe) == 0 and at.info[0].value == "Nothing matches these filters."


def test_queue_bulk_assign_and_dismiss(db):
    store, ids = db
    at = app("manager")
    order = queue_ids(at)
    picked = [order.index(ids["p3"]), order.index(ids["p4"])]
    at.session_state["queue_table"] = {"selection": {"rows": picked, "columns": [], "cells": []}}
    at.run()
    at.selectbox(key="q_bulk_who").set_value("dana")
    button(at, "q_bulk_assign").click().run()
    no_exception(at)
    assert at.success[0].value == "Assigned 2 item(s) to dana."
    assert {store.queue_item(ids[e]).assignee for e in ("p3", "p4")} == {"dana"}
    at.selectbox(key="q_assignee").set_value("dana").run()
    assert sorted(queue_ids(at)) == sorted([ids["p3"], ids["p4"]])

    at.session_state["queue_table"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    button(at, "q_bulk_dismiss").click().run()
    assert at.error[0].value.startswith("Dismissing needs a reason")
    at.text_input(key="q_bulk_reason").input("duplicate of a handled case")
    button(at, "q_bulk_dismiss").click().run()
    assert at.success[0].value == "Dismissed 2 item(s)."
    assert {store.queue_item(ids[e]).status for e in ("p3", "p4")} == {"dismissed"}
    audit = store.item(ids["p3"]).audit
    assert [(e.actor, e.action) for e in audit] == [("maya", "assign"), ("maya", "dismiss")]


def test_queue_and_legal_download_csv_and_the_tables_own_export_is_off(db):
    from streamlit import config

    at = app("manager")
    no_exception(at)
    (download,) = at.get("download_button")
    assert download.proto.label == "Download 5 items as CSV" and download.key == "queue_csv"
    # The tables' own export writes "=..." as a live formula (tests/test_csv_export.py has the safe one).
    assert config.get_option("client.disableDataExport") is True
    legal = app("legal")
    no_exception(legal)
    assert [d.key for d in legal.get("download_button")] == ["legal_csv"]


def test_legal_sees_the_queue_but_no_bulk_actions(db):
    at = app("legal")
    at = page(at, "queue")
    at.session_state["queue_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    keys = {b.key for b in at.button}
    assert "q_bulk_assign" not in keys and "q_bulk_dismiss" not in keys and "q_open" in keys


def test_open_item_from_the_queue_follows_the_filters_and_the_ticked_row(db):
    _, ids = db
    at = app("manager")
    at.multiselect(key="q_labels").set_value(["complaint"]).run()
    top = queue_ids(at)[0]
    assert button(at, "q_open").label == f"Open item #{top}"  # the top item of the filtered page
    order = queue_ids(at)
    at.session_state["queue_table"] = {
        "selection": {"rows": [order.index(ids["p3"])], "columns": [], "cells": []}
    }
    at.run()
    assert button(at, "q_open").label == f"Open item #{ids['p3']}"
    button(at, "q_open").click().run()
    no_exception(at)
    assert at.title[0].value == f"#{ids['p3']} · 💬 Complaint"
    button(at, "i_back").click().run()  # back to the queue: the filter is still set
    assert at.title[0].value == "Queue" and at.multiselect(key="q_labels").value == ["complaint"]
    assert sorted(queue_ids(at)) == sorted([ids["p3"], ids["p5"]])


# -- item --------------------------------------------------------------------------------------------


def test_a_hostile_post_renders_as_inert_text(db):
    _, ids = db
    at = app("manager", item_id=ids["p5"])
    at = page(at, "item")
    no_exception(at)
    post = posts(at)[0]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in post
    assert "&lt;img src=x onerror=alert(1)&gt;" in post
    assert "<script" not in post and "<img" not in post
    assert "![img](https://evil.example/x.png)" in post  # markdown stays text: st.html is not markdown
    assert 'dir="ltr"' in post
    assert any("RLO" in w.value for w in at.warning)  # the bidi override is pointed out
    assert all(HOSTILE not in m.value for m in at.markdown)  # never passed through markdown


def test_a_word_longer_than_a_line_wraps_inside_the_post_box(db, make_mention):
    """A post of one long unbroken word ran past its box's border (views.post_html: the item, legal and
    playbooks pages), as it did in the e-mails: the box may break a word anywhere."""
    store, ids = db
    word = "defamation" + "A" * 400
    reply = make_mention(external_id="r1", text=word, thread_id="p1", parent_id="p1",
                         created_at=NOW - timedelta(minutes=30))  # fmt: skip
    store.save_page("test", [reply], [], {"since_id": "r1"}, NOW)
    at = page(app("manager", item_id=ids["p1"]), "item")
    no_exception(at)
    boxes = posts(at)
    assert len(boxes) == 3 and any(word in box for box in boxes)  # the item's post, then its thread
    for box in boxes:
        [style] = re.findall(r'style="([^"]*)"', box)
        assert "overflow-wrap: anywhere" in " ".join(style.replace(":", ": ").split())


def test_a_hebrew_post_is_right_to_left(db):
    _, ids = db
    at = page(app("manager", item_id=ids["p2"]), "item")
    assert 'dir="rtl"' in posts(at)[0]


def test_item_shows_scores_playbook_checklist_and_audit(db):
    store, ids = db
    at = page(app("manager", item_id=ids["p3"]), "item")
    no_exception(at)
    subheaders = [h.value for h in at.subheader]
    for expected in ("Engagement", "Audit trail", "Classification", "Playbook", "Reply", "Actions"):
        assert expected in subheaders
    steps = [c for c in at.checkbox if c.key.startswith(f"i_step_{ids['p3']}_")]
    assert len(steps) == 7 and not any(c.value for c in steps)
    steps[1].check().run()
    audit = store.item(ids["p3"]).audit
    assert [(e.action, e.detail) for e in audit] == [("checklist", {"step": 2, "done": True})]
    assert [c.value for c in at.checkbox if c.key.startswith(f"i_step_{ids['p3']}_")][:2] == [False, True]


def test_reply_is_drafted_submitted_approved_by_someone_else_and_responded(db, monkeypatch):
    store, ids = db
    monkeypatch.setenv("REPMON_APPROVERS", "dana")
    at = page(app("manager", item_id=ids["p3"]), "item")
    draft = at.text_area(key=f"i_reply_{ids['p3']}")
    # the playbook's template, in the post's language
    assert draft.value.startswith("Hi user p3, thanks for letting us know")
    draft.input("Hi, we're sorry: please DM us the branch and time.")
    button(at, "i_submit").click().run()
    no_exception(at)
    assert at.success[0].value == "Draft submitted for approval."
    assert store.queue_item(ids["p3"]).status == "awaiting_approval"
    button(at, "i_respond").click().run()
    assert "replies need approval" in at.error[0].value
    button(at, "i_approve").click().run()
    assert at.error[0].value == "maya may not approve replies: the approvers are dana (REPMON_APPROVERS)"

    at2 = page(app("manager", item_id=ids["p3"]), "item")
    at2.session_state["user"] = {"name": "dana", "role": "manager"}
    at2.run()
    button(at2, "i_approve").click().run()
    assert at2.success[0].value == "Reply approved."
    button(at2, "i_respond").click().run()
    assert store.queue_item(ids["p3"]).status == "responded"
    assert store.reply(ids["p3"]).status == "sent"
    actions = [(e.actor, e.action) for e in store.item(ids["p3"]).audit]
    assert actions == [("maya", "start"), ("maya", "draft"), ("maya", "submit"), ("dana", "approve"),
                       ("dana", "respond")]  # fmt: skip


def test_start_makes_the_manager_the_assignee_and_reply_buttons_are_not_repeated(db):
    store, ids = db
    at = page(app("manager", item_id=ids["p3"]), "item")
    keys = {b.key for b in at.button}
    assert "i_act_start" in keys and "i_act_submit" not in keys and "i_act_respond" not in keys
    assert at.selectbox(key="i_assignee").value == "maya"  # assigning defaults to oneself
    button(at, "i_act_start").click().run()
    q = store.queue_item(ids["p3"])
    assert (q.status, q.assignee) == ("in_progress", "maya")
    assert {b.key for b in at.button} >= {"i_save", "i_submit", "i_respond"}


def test_item_actions_follow_the_state_and_the_role(db):
    store, ids = db
    at = page(app("manager", item_id=ids["p1"]), "item")
    keys = {b.key for b in at.button}
    assert {"i_act_start", "i_act_escalate", "i_dismiss", "i_assign"} <= keys
    button(at, "i_act_escalate").click().run()
    assert store.queue_item(ids["p1"]).status == "escalated"
    keys = {b.key for b in at.button}
    assert not any(k.startswith("i_act_") for k in keys)  # review is legal's
    assert "Nothing your role (manager) can do" in at.caption[-1].value or any(
        "Nothing your role" in c.value for c in at.caption
    )
    legal = page(app("legal", item_id=ids["p1"]), "item")
    assert {"i_act_review", "i_evidence"} <= {b.key for b in legal.button}
    assert "i_save" not in {b.key for b in legal.button}  # legal does not draft replies
    button(legal, "i_act_review").click().run()
    legal.selectbox(key="i_decision").set_value("notice_sent")
    button(legal, "i_decide").click().run()
    assert store.item(ids["p1"]).item.decision == "notice_sent"


def test_dismiss_needs_a_reason_and_correction_retriages(db):
    store, ids = db
    at = page(app("manager", item_id=ids["p4"]), "item")
    button(at, "i_dismiss").click().run()
    assert "needs a reason" in at.error[0].value
    at.selectbox(key="i_label").set_value("complaint")
    at.text_input(key="i_label_reason").input("sarcastic praise")
    button(at, "i_correct").click().run()
    no_exception(at)
    q = store.queue_item(ids["p4"])
    assert (q.label, q.playbook) == ("complaint", "reply")
    at.text_input(key="i_dismiss_reason").input("answered by phone")
    button(at, "i_dismiss").click().run()
    assert store.queue_item(ids["p4"]).status == "dismissed"


def test_evidence_bundle_download_for_legal_only(db):
    store, ids = db
    legal = page(app("legal", item_id=ids["p1"]), "item")
    button(legal, "i_evidence").click().run()
    no_exception(legal)
    assert [d.key for d in legal.get("download_button")] == ["i_download"]
    digest = legal.session_state["i_bundle"][3]
    assert f"SHA-256 {digest}" in [c.value for c in legal.caption]
    assert store.item(ids["p1"]).audit[-1].action == "export_evidence"
    manager = page(app("manager", item_id=ids["p1"]), "item")
    assert "i_evidence" not in {b.key for b in manager.button}


def test_a_missing_item_is_a_clear_message(db):
    at = page(app("manager", item_id=9999), "item")
    assert at.warning[0].value == "There is no queue item #9999. Open one from the Queue."


# -- legal review, sources, overview, playbooks, account -------------------------------------------------


def test_legal_review_lists_flagged_items_and_records_the_decision(db):
    store, ids = db
    at = app("legal")
    no_exception(at)
    listed = set(at.dataframe[0].value["id"])
    assert listed == {ids["p1"], ids["p2"]}  # the accusation and the boycott call
    at.selectbox(key="l_item").set_value(ids["p2"]).run()
    assert any("SHA-256" in t.value for t in at.text)
    button(at, "l_escalate").click().run()
    button(at, "l_review").click().run()
    at.selectbox(key="l_decision").set_value("no_action")
    at.text_input(key="l_note").input("opinion, not a statement of fact")
    button(at, "l_decide").click().run()
    button(at, "l_close").click().run()
    assert store.queue_item(ids["p2"]).status == "closed"
    decide = next(e for e in store.item(ids["p2"]).audit if e.action == "decide")
    assert decide.detail["decision"] == "no_action" and decide.actor == "lea"
    button(at, "l_evidence").click().run()
    # The flagged list's CSV (above) and the evidence bundle's ZIP.
    assert [d.key for d in at.get("download_button")] == ["legal_csv", "l_download"]
    _, name, _, digest = at.session_state["l_bundle"]
    assert f"{name} · SHA-256 {digest}" in [c.value for c in at.caption]


def test_legal_review_lists_who_shared_and_quoted_the_post(db):
    """The evidence's shares and quotes show in their tables (the shares by handle and followers)."""
    store, ids = db
    raw = RawPayload(body=b'{"id": "9"}', captured_at=NOW)
    quote = Mention(
        platform="x", external_id="q1", url="https://x.com/u/status/q1", author_id="a-q1",
        author_handle="quoter", author_name="Quoter", author_followers=5, text="look at this",
        language="en", created_at=NOW - timedelta(minutes=30), raw=raw, source="test", quoted_id="p1",
    )  # fmt: skip
    share = Share("x", "p1", "9", "noa_k", "Noa", 340, "retweet", raw)
    store.save_page("test", [quote], [], {}, NOW, [share])
    at = app("legal")
    at.selectbox(key="l_item").set_value(ids["p1"]).run()
    no_exception(at)
    shared, quoted = (t.value for t in at.dataframe[1:3])
    assert (list(shared["handle"]), list(shared["followers"])) == (["@noa_k"], [340])
    assert list(quoted["author"]) == ["@quoter"]
    assert [m.value for m in at.metric][1:3] == ["1", "1"]  # shares recorded, quotes


# Edited on X: the edit is a post of its own (a new id), hostile.
X_EDIT = "They are thieves, defamation <script>alert('x')</script> **bold** \u202eevil"


def test_the_item_page_names_the_other_versions_of_a_post_edited_on_x_and_opens_them(db):
    """Both versions stay in the queue; each item's page shows the other (its time, its text inert, its
    item number) and a button that opens it."""
    store, ids = db
    edit_on_x(store, X_EDIT)
    edit = next(q.id for q in store.queue() if q.external_id == "p1e")
    assert ids["p1"] in [q.id for q in store.queue()]
    at = page(app("manager", item_id=ids["p1"]), "item")
    no_exception(at)
    assert "Edited on X: other versions of this post" in [w.value for w in at.warning]
    assert f"Posted 11/20/26, 1:30\u202fPM · item #{edit}" in [c.value for c in at.caption]
    [shown] = [p for p in posts(at) if "They are thieves, defamation" in p]
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert any("RLO" in w.value for w in at.warning)  # its bidi override is pointed out
    newer = f"A newer version of this post exists (item #{edit}): reply there, where its readers see it."
    assert newer in [i.value for i in at.info]  # the first version points at the newest
    button(at, f"i_version_{edit}").click().run()
    no_exception(at)
    assert at.title[0].value.startswith(f"#{edit} · ")
    assert "Edited on X: other versions of this post" in [w.value for w in at.warning]
    assert not [i.value for i in at.info if "A newer version" in i.value]  # the newest points nowhere
    assert f"i_version_{ids['p1']}" in [b.key for b in at.button]
    plain = page(app("manager", item_id=ids["p3"]), "item")
    assert "Edited on X: other versions of this post" not in [w.value for w in plain.warning]


def test_legal_review_names_the_other_versions_of_a_post_edited_on_x_and_opens_them(db):
    store, ids = db
    edit_on_x(store, X_EDIT)
    edit = next(q.id for q in store.queue() if q.external_id == "p1e")
    at = app("legal")
    at.selectbox(key="l_item").set_value(ids["p1"]).run()
    no_exception(at)
    assert "Edited on X: other versions of this post" in [w.value for w in at.warning]
    assert f"Posted 11/20/26, 1:30\u202fPM · item #{edit}" in [c.value for c in at.caption]
    [shown] = [p for p in posts(at) if "They are thieves, defamation" in p]
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    at.selectbox(key="l_item").set_value(edit).run()
    assert f"item #{ids['p1']}" in " ".join(c.value for c in at.caption)
    button(at, f"l_version_{ids['p1']}").click().run()
    no_exception(at)
    assert at.title[0].value.startswith(f"#{ids['p1']} · ")


# Edited on the platform since the first capture: hostile, in Hebrew, with a right-to-left override.
EDITED = "הם גנבים ושקרנים, אל תקנו אצלם בשום מקרה <script>alert('x')</script> <img src=x> \u202eevil"
P2_TEXT = "חרם על המקום! boycott"


def edit_p2(store):
    """p2 (a Facebook boycott call) re-read five times: white space only, an edit, the same edit with new
    counters, a counters-only read, and the first text again."""
    recapture(
        store,
        "facebook",
        "p2",
        {"id": "p2", "message": "  חרם על המקום!\nboycott ", "like_count": 1},
        {"id": "p2", "message": EDITED, "like_count": 2},
        {"id": "p2", "message": EDITED, "like_count": 5},
        {"id": "p2", "like_count": 6},
        {"id": "p2", "message": P2_TEXT, "like_count": 7},
    )


def evidence_lines(at):
    """The Legal page's evidence, in order: capture lines, the notes under them, and the posts shown."""
    out = []
    for node in at.main:
        kind = getattr(node, "type", "")
        if kind == "text" and "capture" in node.value:
            out.append(("capture", node.value.split(" ")[0]))
        elif kind in ("warning", "caption") and out:
            out.append((kind, node.value))
        elif kind == "html" and 'class="repmon-post"' in node.proto.body and out:
            out.append(("post", node.proto.body))
        elif kind == "subheader" and out:
            break
    return out


def test_legal_review_shows_each_edit_on_the_platform_under_its_capture_as_inert_text_with_its_label(db):
    store, ids = db
    edit_p2(store)
    recapture(store, "x", "p1", {"id": "p1", "text": "...", "public_metrics": {"like_count": 3}})
    at = app("legal")
    at.selectbox(key="l_item").set_value(ids["p2"]).run()
    no_exception(at)
    assert ("caption", "Not classified yet: the monitor classifies this version at its next pass.") in (
        evidence_lines(at)
    )
    process(store)  # the monitor's next pass classifies the edit (FakeClassifier: no keyword, a complaint)
    at = app("legal")
    at.selectbox(key="l_item").set_value(ids["p2"]).run()
    no_exception(at)
    lines = evidence_lines(at)
    posts_shown = [body for kind, body in lines if kind == "post"]
    assert [(k, v) for k, v in lines if k != "post"] == [
        ("capture", "First"),
        ("capture", "Later"),  # white space only: not an edit
        ("capture", "Later"),
        ("warning", "Edited on the platform: the text in this capture differs from the first capture's:"),
        ("warning", "This post contains invisible characters that change how it displays: RLO"),
        ("caption", "Label of this version: 💬 Complaint 0.90"),  # milder: the boycott call stays followed
        ("capture", "Later"),
        ("caption", "Edited on the platform: the same text as the edit above."),
        ("capture", "Later"),  # counters only: says nothing
        ("capture", "Later"),
        ("caption", "The text in this capture is the first capture's again."),
    ]
    assert [k for k, _ in lines].index("post") == 4  # the edit right under its capture's warning
    [edit] = posts_shown
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in edit
    assert "&lt;img src=x&gt;" in edit
    assert "<script" not in edit and "<img" not in edit and 'dir="rtl"' in edit
    shown = [e.value for kind in ("markdown", "caption", "warning", "text") for e in at.get(kind)]
    assert all(EDITED not in value for value in shown)  # never through markdown, nor as plain text

    at.selectbox(key="l_item").set_value(ids["p1"]).run()  # re-read, its text unchanged
    no_exception(at)
    assert evidence_lines(at) == [("capture", "First"), ("capture", "Later")]
    assert not [w.value for w in at.warning if "Edited" in w.value]


# p3, a complaint on X, edited into an accusation and then into a milder text.
P3_ACCUSATION = "They steal from customers, this is defamation"
P3_MILDER = "Cold coffee again, a complaint, sorry for the harsh words"


def test_an_edit_into_an_accusation_brings_the_item_to_legal_review_with_its_label(db):
    store, ids = db
    recapture(store, "x", "p3", {"id": "p3", "text": P3_ACCUSATION, "public_metrics": {"like_count": 3}})
    process(store)
    at = app("legal")
    assert [o for o in at.selectbox(key="l_item").options if o.startswith(f"#{ids['p3']} ")] == [
        f"#{ids['p3']} · ⚖️ Defamation · {P3_ACCUSATION}"  # the version the label is of
    ]
    at.selectbox(key="l_item").set_value(ids["p3"]).run()
    no_exception(at)
    assert [(k, v) for k, v in evidence_lines(at) if k != "post"] == [
        ("capture", "First"),
        ("capture", "Later"),
        ("warning", "Edited on the platform: the text in this capture differs from the first capture's:"),
        (
            "caption",
            "Label of this version: ⚖️ Defamation 0.90. The item's label and triage follow it, the most "
            "serious version of the post.",
        ),
    ]


def test_the_item_page_says_which_version_the_label_and_triage_follow_and_labels_the_newest_edit(db):
    store, ids = db
    recapture(store, "x", "p3", {"id": "p3", "text": P3_ACCUSATION, "public_metrics": {"like_count": 3}})
    process(store)
    at = page(app("manager", item_id=ids["p3"]), "item")
    no_exception(at)
    assert at.title[0].value == f"#{ids['p3']} · ⚖️ Defamation"
    assert [w.value for w in at.warning] == [
        "The label, the scores and the triage follow the text as edited on the platform and captured "
        "11/20/26, 2:01\u202fPM, the most serious version of the post:"
    ]
    first, followed = posts(at)[:2]
    assert "Cold coffee again" in first and P3_ACCUSATION in followed
    assert not at.info

    # Edited again, milder: not classified yet, then labelled; the accusation stays followed.
    recapture(store, "x", "p3", {"id": "p3", "text": P3_MILDER, "public_metrics": {"like_count": 4}})
    at = page(app("manager", item_id=ids["p3"]), "item")
    assert [i.value for i in at.info] == [
        "Edited on the platform: the newest capture (11/20/26, 2:01\u202fPM) reads as below; this version is "
        "not classified yet (the monitor classifies it at its next pass)."
    ]
    process(store, minutes=20)
    at = page(app("manager", item_id=ids["p3"]), "item")
    no_exception(at)
    assert at.title[0].value == f"#{ids['p3']} · ⚖️ Defamation"
    assert [i.value for i in at.info] == [
        "Edited on the platform: the newest capture (11/20/26, 2:01\u202fPM) reads as below; the classifier "
        "labels this version 💬 Complaint 0.90."
    ]
    assert [P3_ACCUSATION in p for p in posts(at)[:3]] == [False, True, False]
    assert P3_MILDER in posts(at)[2]


def test_the_item_page_says_when_the_first_text_is_followed_and_shows_no_stale_warning(db):
    store, ids = db
    edit_p2(store)
    recapture(store, "facebook", "p5", {"id": "p5", "message": EDITED, "like_count": 1})
    process(store)
    at = page(app("manager", item_id=ids["p2"]), "item")  # a boycott call edited, milder, then back
    no_exception(at)
    assert at.title[0].value == f"#{ids['p2']} · 🚫 Boycott call"
    assert [c.value for c in at.caption if c.value.startswith("Edited")] == [
        "Edited on the platform since: the label, the scores and the triage follow the text above, as first "
        "captured, the most serious version of the post."
    ]
    assert not [w.value for w in at.warning if "classified" in w.value or "follow" in w.value]
    assert len(posts(at)) == 1
    # p5: edited into another complaint, as serious as the first text: the newer version is followed.
    at = page(app("manager", item_id=ids["p5"]), "item")
    no_exception(at)
    followed = [w.value for w in at.warning if "follow" in w.value]
    assert followed == [
        "The label, the scores and the triage follow the text as edited on the platform and captured "
        "11/20/26, 2:01\u202fPM, the most serious version of the post:"
    ]
    first, newest = posts(at)[:2]
    assert "&lt;script&gt;" in first and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in newest
    assert "<script" not in newest and "<img" not in newest and 'dir="rtl"' in newest
    assert all(EDITED not in e.value for kind in ("markdown", "caption", "warning") for e in at.get(kind))
    at = page(app("manager", item_id=ids["p4"]), "item")  # never re-read
    no_exception(at)
    assert not [c.value for c in at.caption if "Edited" in c.value] and len(posts(at)) == 1


def test_sources_health_and_poll_now_for_managers(db):
    store, _ = db
    at = page(app("manager"), "sources")
    no_exception(at)
    row = at.dataframe[0].value.iloc[0]
    assert (row["source"], row["health"]) == ("test", "✅ ok")
    button(at, "s_poll").click().run()
    assert store.source_state("test").poll_requested_by == "maya"
    assert at.dataframe[0].value.iloc[0]["next poll"] == "next pass (requested)"
    owner = page(app("owner"), "sources")
    assert "s_poll" not in {b.key for b in owner.button}


def test_the_sources_page_shows_hidden_characters_of_names_and_errors_as_markers(db):
    """The Sources table showed a source's name and last error as stored (an override reversed the
    cell, a line break split the error), while ``repmon status`` and the digest show markers."""
    store, _ = db
    store.mark_source(f"x-{RLO}evil", NOW, status="failing", error=f"HTTP 401:\r\n{RLO}dekcolb {ESC}[2J")
    at = page(app("manager"), "sources")
    no_exception(at)
    table = at.dataframe[0].value
    errors = dict(zip(table["source"], table["last error"], strict=True))
    assert errors == {"test": "", "x-⟨U+202E⟩evil": "HTTP 401:⟨U+000D⟩ ⟨U+202E⟩dekcolb ⟨U+001B⟩[2J"}
    assert "x-⟨U+202E⟩evil" in at.selectbox(key="s_source").options
    assert raw_free(list(table["source"]) + list(table["last error"]) + at.selectbox(key="s_source").options)


def test_an_owner_reads_an_item_but_cannot_act_on_it(db):
    _, ids = db
    at = page(app("owner", item_id=ids["p1"]), "item")
    no_exception(at)
    assert at.title[0].value == f"#{ids['p1']} · ⚖️ Defamation"
    assert {b.key for b in at.button} == {"sign_out", "i_back"}
    assert all(c.disabled for c in at.checkbox)
    assert len(at.text_area) == 0


def test_overview_for_owners(db):
    at = app("owner")
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Mentions, 14 days"] == "5" and metrics["Open items"] == "5"
    assert metrics["Open with legal"] == "2"
    assert len(at.dataframe) == 3  # response times, spreading fastest, open with legal


def test_the_overviews_spreading_posts_show_hidden_characters_as_markers(db):
    """The Spreading fastest table showed the post as stored: an override reversed the cell, as it
    cannot in the Queue's post column (``views.excerpt``)."""
    at = app("owner")
    no_exception(at)
    [spreading] = [d.value for d in at.dataframe if "post" in d.value.columns]
    shown = dict(zip(spreading["author"], spreading["post"], strict=True))
    assert "\u202e" not in "".join(shown.values())
    assert shown["@user_p5"].endswith("<img src=x onerror=alert(1)> ⟨U+202E⟩gnp.exe complaint")
    assert shown["@user_p2"] == "חרם על המקום! boycott"  # a Hebrew post as it is


def test_playbooks_page_lists_every_playbook_and_rule(db):
    from playbooks.engine import load_library

    at = page(app("owner"), "playbooks")
    lib = load_library()
    assert len(at.expander) == len(lib.playbooks)
    assert len(at.dataframe[0].value) == len(lib.rules)


def test_owner_sets_digest_address_and_language(db):
    store, _ = db
    at = page(app("owner"), "account")
    at.text_input(key="a_email").input("not-an-address")
    at.checkbox(key="a_digest").check()
    button(at, "FormSubmitter:digest-Save").click().run()
    assert "is not an e-mail address" in at.error[0].value
    at.text_input(key="a_email").input("oren@example.co.il")
    button(at, "FormSubmitter:digest-Save").click().run()
    oren = next(u for u in store.users() if u.name == "oren")
    assert (oren.email, oren.language, oren.digest) == ("oren@example.co.il", "en", True)
    at.radio(key="a_language").set_value("he")  # the digest follows the interface language
    button(at, "FormSubmitter:language-Save language").click().run()
    oren = next(u for u in store.users() if u.name == "oren")
    assert (oren.email, oren.language, oren.digest) == ("oren@example.co.il", "he", True)
    manager = page(app("manager"), "account")
    assert len(manager.text_input) == 0 and any("for owners" in c.value for c in manager.caption)


def test_poll_now_makes_the_pipeline_poll_before_the_interval(store, make_mention):
    from monitor.pipeline import PassReport, poll_source
    from monitor.records import SourcePage

    class Source:
        name = "x-search"
        min_interval = timedelta(minutes=10)
        calls = 0

        def fetch(self, cursor, now):
            Source.calls += 1
            yield SourcePage([], [], {"n": Source.calls})

    store.mark_source("x-search", NOW, status="ok")
    poll_source(store, Source(), NOW + timedelta(minutes=1), PassReport())
    assert Source.calls == 0  # inside the interval
    store.request_poll("x-search", "maya", NOW + timedelta(minutes=2))
    poll_source(store, Source(), NOW + timedelta(minutes=3), PassReport())
    poll_source(store, Source(), NOW + timedelta(minutes=4), PassReport())
    assert Source.calls == 1  # polled once on request, then the interval holds again


def test_bench_dashboard_times_the_queue_page_on_a_filled_database():
    from monitor.bench.dashboard import bench_dashboard

    texts = ["the coffee was cold", "הם גנבו לי כסף", "great service, thanks"]
    result = bench_dashboard(texts, sizes=(1000, 3000), runs=2)
    assert set(result) == {"queue_ms_1k", "fill_1k_s", "queue_ms_3k", "fill_3k_s"}
    assert 0 < result["queue_ms_1k"] < 10_000 and 0 < result["queue_ms_3k"] < 10_000


def test_item_shows_the_link_the_thread_and_engagement_with_its_forecast(db, make_mention):
    from classifiers.virality import MetricSnapshot
    from monitor.records import MentionMetrics

    store, ids = db
    reply = make_mention(external_id="r1", text="אני מאשרת, גם לי זה קרה", language="he", thread_id="p1",
                         parent_id="p1", created_at=NOW - timedelta(minutes=30))  # fmt: skip
    metrics = [
        MentionMetrics("x", "p1", MetricSnapshot(NOW - timedelta(minutes=50), likes=10, shares=5)),
        MentionMetrics("x", "p1", MetricSnapshot(NOW - timedelta(minutes=10), likes=40, shares=30)),
    ]
    store.save_page("test", [reply], metrics, {"since_id": "r1"}, NOW)
    at = page(app("manager", item_id=ids["p1"]), "item")
    no_exception(at)
    assert [b.proto.url for b in at.get("link_button")] == ["https://x.com/u/status/p1"]
    [thread] = [e for e in at.expander if e.label.startswith("Thread")]
    assert thread.label == "Thread (2 posts)"
    assert any("אני מאשרת" in h.proto.body and 'dir="rtl"' in h.proto.body for h in at.get("html"))
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # the classification scores and the engagement with its forecast
    assert any("2 readings" in c.value for c in at.caption)


def test_a_thread_reply_with_hidden_characters_is_flagged_as_the_post_is(db, make_mention):
    """Only the item's own post was checked: a reply in its thread with an override reversed its box
    unannounced. Each post of the thread now gets the item's warning; a Hebrew reply with its
    right-to-left mark (legitimate) gets none."""
    store, ids = db
    evil = make_mention(external_id="r1", text="\u202etsoh emas eht no era yeht", language="en",
                        thread_id="p1", parent_id="p1", created_at=NOW - timedelta(minutes=30))  # fmt: skip
    hebrew = make_mention(external_id="r2", text="אני מאשרת\u200f, גם לי זה קרה", language="he",
                          thread_id="p1", parent_id="p1", created_at=NOW - timedelta(minutes=20))  # fmt: skip
    store.save_page("test", [evil, hebrew], [], {"since_id": "r2"}, NOW)
    at = page(app("manager", item_id=ids["p1"]), "item")
    no_exception(at)
    [thread] = [e for e in at.expander if e.label.startswith("Thread")]
    assert thread.label == "Thread (3 posts)"
    assert [w.value for w in thread.warning] == [
        "This post contains invisible characters that change how it displays: RLO"
    ]
    assert len([w for w in at.warning if "invisible characters" in w.value]) == 1  # the item's is clean
    assert any("אני מאשרת\u200f, גם לי זה קרה" in p and 'dir="rtl"' in p for p in posts(at))


# -- hostile names and ids (issue 13) -------------------------------------------------------------------

RLO, ESC = "\u202e", "\x1b"
EVIL_HANDLE = f"evil{RLO}\r\nFAKE{ESC}[2J"
EVIL_SHOWN = "evil⟨U+202E⟩⟨U+000D⟩⟨U+000A⟩FAKE⟨U+001B⟩[2J"


def hostile_item(store, make_mention):
    """An accusation from a handle with a right-to-left override, a line break and a terminal escape."""
    from support.dashboard_data import FakeClassifier

    from monitor.pipeline import classify_new, triage_open

    evil = make_mention(external_id="e1", author_handle=EVIL_HANDLE, author_followers=500_000,
                        url=f"https://x.com/{RLO}moc.live/status/e1", text="they lie, defamation",
                        created_at=NOW - timedelta(minutes=10))  # fmt: skip
    store.save_page("test", [evil], [], None, NOW)
    clf = FakeClassifier()
    classify_new(store, clf.predict, clf.model_version, NOW)
    triage_open(store, clf.model_version, NOW)
    return next(q.id for q in store.queue(limit=100) if q.external_id == "e1")


def raw_free(values):
    return all(not set(v) & {RLO, ESC, "\r"} for v in values)


def test_a_hostile_handle_is_isolated_and_flagged_on_the_item_page(db, make_mention):
    store, _ = db
    item_id = hostile_item(store, make_mention)
    at = page(app("manager", item_id=item_id), "item")
    no_exception(at)
    [line] = [h for h in html_bodies(at) if "followers" in h]
    # the handle in an isolate (<bdi>): the count keeps its order
    assert f"<bdi>@{EVIL_SHOWN}</bdi> · 500k followers</div>" in line
    assert any("hidden direction or control characters in the author's handle: RLO, CR, LF, ESC" in w.value
               for w in at.warning)  # fmt: skip
    assert [b.proto.url for b in at.get("link_button")] == ["https://x.com/%E2%80%AEmoc.live/status/e1"]
    assert raw_free(
        [t.value for t in at.text] + [c.value for c in at.caption] + [m.value for m in at.markdown] + [line]
    )


def test_a_hostile_handle_is_isolated_and_flagged_on_the_legal_page_and_in_the_queue(db, make_mention):
    store, _ = db
    item_id = hostile_item(store, make_mention)
    at = app("legal")
    no_exception(at)
    author = dict(zip(at.dataframe[0].value["id"], at.dataframe[0].value["author"]))[item_id]
    assert author == f"@{EVIL_SHOWN} · 500k"
    at.selectbox(key="l_item").set_value(item_id).run()
    [line] = [h for h in html_bodies(at) if "followers" in h]
    assert f"<bdi>@{EVIL_SHOWN}</bdi> · 500k followers · X · posted <bdi>" in line
    assert any("RLO, CR, LF, ESC" in w.value for w in at.warning)
    assert raw_free([t.value for t in at.text] + [line])


@pytest.mark.parametrize("requested", ["9223372036854775808", str(2**64), "-5", "0", "1e3", str(2**31)])
def test_an_item_id_the_database_cannot_hold_is_a_clear_message(db, requested):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["clock"] = NOW
    at.session_state["user"] = {"name": "maya", "role": "manager"}
    at.query_params["id"] = requested
    at = page(at.run(), "item")
    no_exception(at)
    assert [w.value for w in at.warning] == [f"There is no queue item #{requested}. Open one from the Queue."]


def test_a_session_item_id_beyond_the_database_is_a_clear_message(db):
    at = page(app("manager", item_id=2**63), "item")
    no_exception(at)
    assert at.warning[0].value == f"There is no queue item #{2**63}. Open one from the Queue."


# -- the dashboard in Hebrew (issue 16) -----------------------------------------------------------------

HE_PAGES = ("queue", "item", "legal", "overview", "sources", "playbooks", "account")


@pytest.fixture
def he_db(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("REPMON_DATA_DIR", str(data_dir))
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "he")
    ids = build(data_dir, language="he")
    return open_store(data_dir), ids


def english_ui_strings():
    """The catalogue's English strings that Hebrew shows otherwise, and the multi-word parts of those
    with placeholders (``"Open item #{id}"`` → ``"Open item #"``): none may show on a Hebrew page."""
    from babel.messages.pofile import read_po

    from monitor import i18n

    path = i18n.LOCALE_DIR / "he" / "LC_MESSAGES" / "repmon.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="he")
    whole, parts = set(), set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for source in ids:
            if source in strings:  # the same in both (a brand name: "X")
                continue
            whole.add(source)
            for part in re.split(r"\{[a-z_]+\}", source):
                part = part.strip(" ·:.()#*")
                if len(re.findall(r"[A-Za-z]{2,}", part)) >= 2 and not any(part in s for s in strings):
                    parts.add(part)
    return whole, parts


def shown_texts(at):
    """Every piece of interface text on the page: titles, headings, text, alerts, captions, widget labels
    and options, buttons, metrics, expanders and table headings (not the posts and names: those are data)."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error",
                 "success"):  # fmt: skip
        out += [e.value for e in at.get(kind)]
    for kind in ("button", "text_input", "text_area", "number_input", "checkbox", "toggle", "radio",
                 "selectbox", "multiselect", "date_input", "metric", "expander", "download_button",
                 "link_button"):  # fmt: skip
        for e in at.get(kind):
            label = getattr(e, "label", None) or getattr(getattr(e, "proto", None), "label", None)
            out += [label] if label else []
            out += [str(o) for o in getattr(e, "options", [])] if kind in ("selectbox", "multiselect") else []
            placeholder = getattr(getattr(e, "proto", None), "placeholder", "")
            out += [placeholder] if placeholder else []
    for frame in at.dataframe:  # a column's heading: its configured label, else its name
        config = json.loads(frame.proto.columns or "{}")
        out += [(config.get(str(c)) or {}).get("label") or str(c) for c in frame.value.columns]
    return [t for t in out if t]


def untranslated(at, whole, parts):
    found = []
    for text in shown_texts(at):
        plain = text.replace("\\", "")  # markdown escapes
        if plain.strip(" *") in whole:
            found.append(text)
        found += [f"{part!r} in {text!r}" for part in parts if part in plain]
    return found


def hebrew_pages(store, ids):
    """Each dashboard page in Hebrew, in the states that show most of its words."""
    yield "sign-in", AppTest.from_file(APP, default_timeout=60).run()
    for role in ("manager", "legal", "owner"):
        at = app(role)
        yield f"{role}-home", at
        for name in HE_PAGES:
            if can(role, f"page:{name}"):
                yield f"{role}-{name}", page(at, name)
    queue = app("manager")
    queue.session_state["queue_table"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    yield "queue-ticked", queue.run()
    item = page(app("manager", item_id=ids["p3"]), "item")
    yield "item-new", item
    button(item, "i_act_start").click().run()
    yield "item-started", item
    evidence = page(app("legal", item_id=ids["p1"]), "item")
    button(evidence, "i_evidence").click().run()
    yield "item-evidence", evidence
    yield "item-missing", page(app("manager", item_id=9999), "item")
    legal = app("legal")
    button(legal, "l_escalate").click().run()
    button(legal, "l_review").click().run()
    yield "legal-review", legal
    edited = app("legal")  # p2, p3 and p5 edited on the platform (see the test)
    edited.selectbox(key="l_item").set_value(ids["p2"]).run()
    yield "legal-edited", edited
    edited.selectbox(key="l_item").set_value(ids["p3"]).run()
    yield "legal-edit-followed", edited
    yield "item-edited", page(app("manager", item_id=ids["p5"]), "item")
    yield "item-first-followed", page(app("manager", item_id=ids["p2"]), "item")
    yield "item-edit-not-classified", page(app("manager", item_id=ids["p3"]), "item")
    process(store, minutes=20)
    yield "item-edit-labelled", page(app("manager", item_id=ids["p3"]), "item")


def test_every_page_in_hebrew_shows_no_english_interface_string(he_db):
    store, ids = he_db
    edit_p2(store)
    recapture(store, "facebook", "p5", {"id": "p5", "message": EDITED, "like_count": 1})
    recapture(store, "x", "p3", {"id": "p3", "text": P3_ACCUSATION, "public_metrics": {"like_count": 3}})
    process(store)
    recapture(store, "x", "p3", {"id": "p3", "text": P3_MILDER, "public_metrics": {"like_count": 4}})
    edit_on_x(store, "They are thieves, defamation: p1 edited on X")  # p1's pages name this version
    whole, parts = english_ui_strings()
    assert "Queue" in whole and "Open item" in parts  # the scan knows the catalogue
    problems = {}
    for name, at in hebrew_pages(store, ids):
        no_exception(at)
        assert shown_texts(at), name
        if found := untranslated(at, whole, parts):
            problems[name] = found
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_hebrew_dashboard_is_right_to_left_with_isolated_names_and_numbers(he_db):
    _, ids = he_db
    at = app("manager")
    assert at.title[0].value == "תור"
    direction = next(h.proto.body for h in at.get("html") if "documentElement" in h.proto.body)
    assert "setAttribute('dir', 'rtl')" in direction and "direction: rtl" in direction
    frame = at.dataframe[0].value
    assert frame.iloc[0]["label"] == "⚖️ לשון הרע 0.90" and frame.iloc[0]["SLA"].startswith(
        ("בעוד", "באיחור של")
    )
    item = page(app("manager", item_id=ids["p1"]), "item")
    assert item.title[0].value == f"#{ids['p1']} · ⚖️ לשון הרע"
    [line] = [h for h in html_bodies(item) if "עוקבים" in h]
    assert '<div class="repmon-author" dir="rtl"><bdi>@user_p1</bdi> · <bdi>50k</bdi> עוקבים</div>' == line
    english = page(app("manager", item_id=ids["p3"]), "item")  # an English post keeps its own direction
    assert 'dir="ltr"' in posts(english)[0]
    assert 'dir="rtl"' in posts(page(app("manager", item_id=ids["p2"]), "item"))[0]


def refusal(at, whole, parts):
    """The one error on a Hebrew page: in Hebrew, and no English catalogue string anywhere on the page."""
    no_exception(at)
    [error] = [e.value for e in at.error]
    assert re.search("[\u0590-\u05ff]", error), error
    assert untranslated(at, whole, parts) == []
    return error


def test_refusals_in_the_hebrew_dashboard_are_hebrew(he_db, monkeypatch):
    _, ids = he_db
    whole, parts = english_ui_strings()
    monkeypatch.setenv("REPMON_APPROVERS", "maya,dana")
    at = page(app("manager", item_id=ids["p3"]), "item")
    at.text_area(key=f"i_reply_{ids['p3']}").input("Hi, we're sorry: please DM us the branch.")
    button(at, "i_submit").click().run()
    button(at, "i_respond").click().run()  # responding before approval
    assert refusal(at, whole, parts) == (
        f"פריט \u2068{ids['p3']}\u2069: תגובות צריכות אישור (REPMON_APPROVERS): כתבו טיוטה, הגישו אותה ואשרו "
        "אותה קודם"
    )
    button(at, "i_approve").click().run()  # a manager approving their own draft
    assert refusal(at, whole, parts) == "הטיוטה נכתבה על ידי \u2068maya\u2069: אדם אחר צריך לאשר אותה"

    legal = page(app("manager", item_id=ids["p1"]), "item")
    legal.session_state["user"] = {"name": "maya", "role": "legal"}  # the role was changed since sign-in
    button(legal.run(), "i_evidence").click().run()  # a legal-only action by a manager
    assert refusal(legal, whole, parts) == (
        "למשתמש \u2068maya\u2069 (מנהל/ת) אין הרשאה לכך (\u2068evidence\u2069): נדרש התפקיד משפטית"
    )


def test_sign_in_refusals_in_the_hebrew_dashboard_are_hebrew(he_db):
    whole, parts = english_ui_strings()
    at = app()
    for _ in range(5):
        assert refusal(sign_in(at, "maya", "nope-nope"), whole, parts) == "שם המשתמש או הסיסמה שגויים."
    throttled = refusal(sign_in(at, "maya", PASSWORD), whole, parts)
    assert throttled.startswith("יותר מדי ניסיונות כניסה שנכשלו: נסו שוב בעוד "), throttled


def test_the_english_dashboard_is_left_to_right(db):
    at = app("manager")
    direction = next(h.proto.body for h in at.get("html") if "documentElement" in h.proto.body)
    assert "setAttribute('dir', 'ltr')" in direction and "direction: rtl" not in direction


def test_any_user_chooses_their_interface_language_on_the_account_page(db):
    store, _ = db
    at = page(app("manager"), "account")
    assert at.title[0].value == "Account"
    at.radio(key="a_language").set_value("he")
    button(at, "FormSubmitter:language-Save language").click().run()
    no_exception(at)
    assert store.user("maya").language == "he"
    assert at.title[0].value == "חשבון" and at.success[0].value == "השפה נשמרה."
    from sqlalchemy import select

    from monitor.storage.models import AuditEventRow

    with store.session() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.action == "language_settings"))
        events = [(e.actor, e.detail) for e in rows]
    assert events == [("maya", {"user": "maya", "language": "he"})]
    assert page(at, "queue").title[0].value == "תור"  # every page follows at once


def test_sla_and_ages_read_as_words_in_each_language():
    from dashboard import views

    due, late = NOW + timedelta(hours=2), NOW - timedelta(minutes=40)
    assert views.sla_text(due, "new", NOW, "en") == "due in 2 hours"
    assert views.sla_text(due, "new", NOW, "he") == "בעוד שעתיים"
    assert views.sla_text(late, "in_progress", NOW, "en") == "LATE 40 minutes"
    assert views.sla_text(late, "in_progress", NOW, "he") == "באיחור של 40 דקות"
    assert views.sla_text(late, "responded", NOW, "he") == "—"  # the first response is done
    assert views.ago(NOW - timedelta(hours=2), NOW, "he") == "לפני שעתיים"
    assert views.ago(NOW - timedelta(hours=2), NOW, "en") == "2 hours ago"
    assert views.label_text("boycott", "he") == "🚫 קריאה לחרם"
    assert views.status_name("legal_review", "he") == "בבדיקה משפטית"
    assert views.status_name("mystery_state", "he") == "mystery state"  # unknown codes shown as they are
