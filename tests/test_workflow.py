"""The workflow: every allowed and illegal transition, assignment, the audit chain and tamper detection."""

import threading
from datetime import timedelta

import pytest
from conftest import NOW, add_users, open_store
from sqlalchemy import select, text

from monitor import workflow
from monitor.cli import main
from monitor.pipeline import run_pass
from monitor.workflow import DECISIONS, STATES, TRANSITIONS, WorkflowError, allowed_actions, next_state


def test_happy_paths():
    state = "new"
    for action in ("start", "submit", "respond", "resolve", "close"):
        state = next_state(state, action)
    assert state == "closed"
    state = "new"
    for action in ("escalate", "review"):
        state = next_state(state, action)
    assert next_state(state, "decide", decision="takedown_requested") == "decided"
    assert next_state("in_progress", "dismiss", reason="spam") == "dismissed"


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_illegal_transition_is_refused_with_a_clear_message(state, action):
    extra = {"decision": DECISIONS[0], "reason": "duplicate"}
    if state in TRANSITIONS[action][0]:
        assert next_state(state, action, **extra) == TRANSITIONS[action][1]
    else:
        with pytest.raises(
            WorkflowError, match=f"cannot {action} an item that is {state}: allowed from {state}"
        ):
            next_state(state, action, **extra)


def test_decisions_and_reasons_are_required():
    with pytest.raises(WorkflowError, match="must be one of no_action, notice_sent"):
        next_state("legal_review", "decide", decision="sue_everyone")
    with pytest.raises(WorkflowError, match="needs a reason"):
        next_state("new", "dismiss", reason="  ")
    assert allowed_actions("closed") == []


@pytest.fixture
def queued(store, make_mention, fake_classifier):
    from monitor.storage import Store

    page = [make_mention(external_id="1", text="they scam people defamation"), make_mention(external_id="2")]
    store.save_page("t", page, [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    assert isinstance(store, Store)
    return store


def test_transitions_are_recorded_with_who_and_when(queued):
    store = queued
    workflow.assign(store, 2, "dana", "owner-avi", NOW)
    workflow.act(store, 2, "start", "dana", NOW + timedelta(minutes=1))
    workflow.act(store, 2, "respond", "dana", NOW + timedelta(minutes=2), note="answered publicly on X")
    workflow.act(store, 1, "escalate", "dana", NOW + timedelta(minutes=3))
    workflow.act(store, 1, "review", "adv-miri", NOW + timedelta(minutes=4))
    workflow.act(store, 1, "decide", "adv-miri", NOW + timedelta(minutes=5), decision="notice_sent")
    trail = [(e.actor, e.action, e.detail) for e in store.item(2).audit]
    assert trail == [
        ("owner-avi", "assign", {"from": None, "to": "dana"}),
        ("dana", "start", {"from": "new", "to": "in_progress"}),
        ("dana", "respond", {"from": "in_progress", "to": "responded", "note": "answered publicly on X"}),
    ]
    assert store.item(1).item.decision == "notice_sent"
    assert store.item(1).audit[-1].at == NOW + timedelta(minutes=5)
    with pytest.raises(WorkflowError, match="cannot resolve an item that is decided"):
        workflow.act(store, 1, "resolve", "dana", NOW)
    assert store.item(1).item.status == "decided"  # a refused action changes nothing
    assert store.verify() == []


def test_concurrent_writers_keep_one_audit_chain(store):
    """Four threads append 25 events each at once: each event reads the chain's head and must follow the
    one written before it, so the chain verifies and no event is lost."""
    from monitor.storage.models import AuditEventRow

    start = threading.Barrier(4)
    errors = []

    def write(n):
        start.wait()
        try:
            for i in range(25):
                store.record_event(None, f"writer-{n}", "note", {"i": i}, NOW + timedelta(seconds=i))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert store.verify() == []
    with store.session() as s:
        events = s.execute(select(AuditEventRow.actor, AuditEventRow.detail).order_by(AuditEventRow.id)).all()
    assert len(events) == 100
    assert {n: [d["i"] for a, d in events if a == f"writer-{n}"] for n in range(4)} == {
        n: list(range(25)) for n in range(4)
    }


def test_verify_detects_tampering_with_the_audit_chain_and_payloads(queued, tmp_path, monkeypatch, capsys):
    store = queued
    workflow.act(store, 1, "escalate", "dana", NOW)
    workflow.act(store, 1, "review", "miri", NOW)
    workflow.act(store, 2, "dismiss", "dana", NOW, reason="not about us")
    # Events 1-3 are the page's ingest, classification and triage; 4-6 the actions above.
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone-else' WHERE id = 5"))
    assert store.verify() == [
        "audit event 5 (item 1, review by someone-else): its content was changed after it was recorded"
    ]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'miri' WHERE id = 5"))
        conn.execute(text("DELETE FROM audit_events WHERE id = 5"))
    # Stricter since the chain seals rows: the item's status no longer matches its last recorded event.
    assert store.verify() == [
        "audit event 6 (item 2, dismiss by dana): chain broken: it does not follow the event before it",
        "queue item 1: its status, playbook, label, decision or assignee differs from the audit trail "
        "(changed behind repmon's back)",
    ]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE raw_payloads SET body = :body WHERE mention_id = 1"), {"body": b"{}"})
    assert store.verify()[-1] == "raw payload of x/1 (mention 1): SHA-256 mismatch"
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    assert main(["verify"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("audit event 6 (item 2, dismiss by dana): chain broken")
    assert "repmon: 3 integrity problems; the first broken link is listed first" in err


def test_workflow_cli(tmp_path, monkeypatch, capsys, make_mention, fake_classifier):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    store.save_page("t", [make_mention(external_id="1", text="they scam people defamation")], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, avi="manager", dana="manager", miri="legal")
    assert main(["assign", "1", "dana", "--by", "avi"]) == 0
    assert main(["escalate", "1", "--by", "dana"]) == 0
    capsys.readouterr()
    assert main(["item", "1"]) == 0
    out = capsys.readouterr()[0]
    assert "item 1 [escalated] playbook escalate_legal" in out
    assert "** BREACHED **" in out  # nobody picked it up within the legal SLA
    assert "playbook: " in out and "  [1] " in out and "allowed now: review" in out
    assert main(["respond", "1", "--by", "dana"]) == 2
    assert (
        "cannot respond an item that is escalated: allowed from escalated: review" in capsys.readouterr()[1]
    )
    assert main(["act", "1", "review", "--by", "miri"]) == 0
    assert main(["decide", "1", "lawsuit", "--by", "miri"]) == 0
    assert main(["item", "1"]) == 0
    out = capsys.readouterr()[0]
    assert "item 1 [decided] playbook escalate_legal" in out and "BREACHED" not in out
    assert "miri: decide" in out and "decision: lawsuit" in out
    assert main(["verify"]) == 0
    assert main(["dismiss", "99", "--reason", "x", "--by", "dana"]) == 2
    assert "no queue item 99" in capsys.readouterr()[1]


def test_corrections_change_the_label_and_playbook_and_are_audited(
    tmp_path, monkeypatch, capsys, make_mention, fake_classifier
):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    store.save_page("t", [make_mention(external_id="1", text="the coffee was cold praise")], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, dana="manager")
    assert [(q.label, q.playbook) for q in store.queue()] == [("praise", "thank")]
    assert (
        main(["correct", "1", "complaint", "--reason", "sarcasm: the coffee was cold", "--by", "dana"]) == 0
    )
    assert [(q.label, q.playbook) for q in store.queue()] == [("complaint", "reply")]
    assert store.corrections() == [("the coffee was cold praise", "complaint")]
    event = store.item(1).audit[-1]
    assert (event.actor, event.action, event.detail) == (
        "dana",
        "correct",
        {"from": "praise", "to": "complaint", "reason": "sarcasm: the coffee was cold"},
    )
    assert main(["correct", "1", "complaint", "--reason", " ", "--by", "dana"]) == 2
    assert "needs a reason" in capsys.readouterr()[1]
    assert store.verify() == []


@pytest.mark.slow
def test_train_with_corrections_learns_from_the_database(
    tmp_path, monkeypatch, capsys, make_mention, fake_classifier
):
    import json

    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    store.save_page("t", [make_mention(external_id="1", text="קפה קר שוב, ממש לא נעים praise")], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    workflow.correct(store, 1, "complaint", "sarcasm", "dana", NOW)
    # A small corpus and one pass: the real fine-tuning path (the real encoder, LoRA, calibration) in seconds.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [{"text": f"{word} post {i}", "labels": [lab]} for i in range(4) for word, lab in
            (("thanks", "praise"), ("hours?", "neutral"), ("late", "complaint"), ("fraud", "defamation"),
             ("boycott them", "boycott"))]  # fmt: skip
    (corpus / "small.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["train", "--data", str(corpus), "--own-only", "--epochs", "1", "--no-progress"]
    assert main([*args, "--with-corrections", "--output", str(tmp_path / "head")]) == 0
    err = capsys.readouterr()[1]
    assert "Adding 1 corrected examples from the database" in err
    assert "--own-only: the real datasets are not read" in err
    config = json.loads((tmp_path / "head" / "config.json").read_text())
    trained = config["trained_on"]
    assert trained["own_examples"] + trained["own_dev_examples"] == 21
    assert trained["real_sets"] == []
    assert (tmp_path / "head" / "adapter" / "adapter_model.safetensors").is_file()


def test_reply_draft_edit_approve_respond(tmp_path, monkeypatch, capsys, make_mention, fake_classifier):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPMON_APPROVERS", "avi,miri")
    monkeypatch.setenv("REPMON_BUSINESS_NAME", "קפה לימון")
    store = open_store(tmp_path / "data")
    post = make_mention(
        external_id="1", text="הקפה הגיע קר complaint", language="he", author_handle="<b>noa</b>"
    )
    store.save_page("t", [post], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, dana="manager", avi="manager", miri="manager")

    assert main(["draft", "1", "--by", "dana"]) == 0
    reply = store.reply(1)
    assert (reply.language, reply.status, reply.edited_by) == ("he", "draft", "dana")
    assert "<" not in reply.text and "noa" in reply.text
    assert store.item(1).item.status == "in_progress"
    capsys.readouterr()
    assert main(["respond", "1", "--by", "dana"]) == 2
    assert "replies need approval (REPMON_APPROVERS)" in capsys.readouterr()[1]
    assert main(["act", "1", "submit", "--by", "dana"]) == 0
    assert main(["approve", "1", "--by", "dana"]) == 2
    assert "may not approve replies" in capsys.readouterr()[1]
    assert main(["draft", "1", "--text", "היי, מצטערים! שלחנו לך הודעה פרטית \u202e", "--by", "avi"]) == 0
    assert store.reply(1).text == "היי, מצטערים! שלחנו לך הודעה פרטית"  # bidi override dropped
    assert main(["approve", "1", "--by", "avi"]) == 2
    assert "avi wrote this draft: another person must approve it" in capsys.readouterr()[1]
    assert main(["approve", "1", "--by", "miri"]) == 0
    assert main(["respond", "1", "--by", "dana", "--reply-id", "1860000000000099999"]) == 0
    reply = store.reply(1)
    assert (reply.status, reply.approved_by, reply.platform_reply_id) == (
        "sent",
        "miri",
        "1860000000000099999",
    )
    assert [e.action for e in store.item(1).audit] == [
        "start",
        "draft",
        "submit",
        "draft",
        "approve",
        "respond",
    ]
    assert store.verify() == []


# -- who acts at the command line (issue 13, point 4) --------------------------------------------------


@pytest.fixture
def cli_item(tmp_path, monkeypatch, make_mention, fake_classifier):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    store.save_page("t", [make_mention(external_id="1", text="they scam people defamation")], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, dana="manager", lea="legal", oren="owner", gone="manager")
    store.set_user_disabled("gone", True, NOW)
    return store


def refused(capsys, argv):
    capsys.readouterr()
    assert main(argv) == 2, argv
    return capsys.readouterr()[1]


def test_the_cli_acts_only_as_an_existing_active_user(cli_item, capsys, monkeypatch):
    store = cli_item
    monkeypatch.setenv("USER", "dana")  # the login name is not trusted
    monkeypatch.delenv("REPMON_CLI_USER", raising=False)
    assert refused(capsys, ["escalate", "1"]) == (
        "repmon: no user given: pass --by NAME or set REPMON_CLI_USER (a user made with `repmon user add`)\n"
    )
    assert refused(capsys, ["escalate", "1", "--by", "ghost"]) == (
        "repmon: no active user 'ghost': add one with `repmon user add`, or pass --by NAME\n"
    )
    assert "no active user 'gone'" in refused(capsys, ["escalate", "1", "--by", "gone"])
    forged = "dana\n  2026-11-20T12:00:00+00:00 lea: decide"
    assert "invisible or control character U+000A" in refused(capsys, ["escalate", "1", "--by", forged])
    assert "no active user" in refused(capsys, ["assign", "1", "dana", "--by", "demo-owner"])
    assert store.item(1).audit == []  # nothing was done, nothing was written
    monkeypatch.setenv("REPMON_CLI_USER", "lea")
    assert main(["escalate", "1"]) == 0
    assert [(e.actor, e.action) for e in store.item(1).audit] == [("lea", "escalate")]


def test_the_cli_checks_the_dashboards_role_table(cli_item, capsys, tmp_path):
    store = cli_item
    assert refused(capsys, ["escalate", "1", "--by", "oren"]) == (
        "repmon: oren (owner) may not do this (escalate): it needs the role manager or legal\n"
    )
    assert main(["escalate", "1", "--by", "dana"]) == 0
    assert "lea (legal) may not do this (workflow)" in refused(capsys, ["act", "1", "start", "--by", "lea"])
    assert "dana (manager) may not do this (legal_review)" in refused(
        capsys, ["act", "1", "review", "--by", "dana"]
    )
    assert main(["act", "1", "review", "--by", "lea"]) == 0
    assert "oren (owner) may not do this (legal_review)" in refused(
        capsys, ["decide", "1", "lawsuit", "--by", "oren"]
    )
    out = str(tmp_path / "evidence")
    assert "dana (manager) may not do this (evidence)" in refused(
        capsys, ["evidence", "1", "--out", out, "--by", "dana"]
    )
    assert not (tmp_path / "evidence").exists()
    assert "may not do this (correct)" in refused(
        capsys, ["correct", "1", "praise", "--reason", "r", "--by", "oren"]
    )
    assert "cannot assign item 1 to 'oren'" in refused(capsys, ["assign", "1", "oren", "--by", "dana"])
    assert "may not do this (assign)" in refused(capsys, ["assign", "1", "dana", "--by", "lea"])
    assert main(["decide", "1", "lawsuit", "--by", "lea"]) == 0
    assert main(["evidence", "1", "--out", out, "--by", "lea"]) == 0
    assert [(e.actor, e.action) for e in store.item(1).audit] == [
        ("dana", "escalate"),
        ("lea", "review"),
        ("lea", "decide"),
        ("lea", "export_evidence"),
    ]


def test_the_cli_never_lets_a_draft_be_approved_by_its_editor(cli_item, capsys, monkeypatch):
    monkeypatch.delenv("REPMON_APPROVERS", raising=False)  # even with no approvers named
    add_users(cli_item, avi="manager")
    assert main(["draft", "1", "--text", "Sorry! We sent you a message.", "--by", "dana"]) == 0
    assert main(["act", "1", "submit", "--by", "dana"]) == 0
    assert "dana wrote this draft: another person must approve it" in refused(
        capsys, ["approve", "1", "--by", "dana"]
    )
    assert "lea (legal) may not do this (approve)" in refused(capsys, ["approve", "1", "--by", "lea"])
    assert main(["approve", "1", "--by", "avi"]) == 0
    assert cli_item.reply(1).approved_by == "avi"


def test_the_dashboards_other_writes_check_the_users_current_role(store, make_mention, fake_classifier):
    """ "Poll now", checklist ticks and digest settings go through monitor.actions too, so a role changed
    (or a user disabled) after sign-in takes effect at once, as for every other action."""
    from monitor import actions
    from monitor.errors import AccessDenied

    store.save_page("t", [make_mention(external_id="1", text="they scam people defamation")], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    item_id = store.queue()[0].id
    add_users(store, dana="manager", miri="legal", oren="owner")

    actions.request_poll(store, "t", "dana", NOW)
    actions.tick_step(store, item_id, 1, True, "miri", NOW)  # legal ticks the steps of a legal review
    actions.set_digest_prefs(store, "oren", "oren@example.co.il", "he", True, NOW)
    with pytest.raises(AccessDenied, match="owner"):
        actions.request_poll(store, "t", "oren", NOW)
    with pytest.raises(AccessDenied):
        actions.tick_step(store, item_id, 2, True, "oren", NOW)
    with pytest.raises(AccessDenied):
        actions.set_digest_prefs(store, "dana", "dana@example.co.il", "he", True, NOW)

    store.set_user_disabled("dana", True, NOW)  # disabled after signing in
    with pytest.raises(AccessDenied, match="no active user 'dana'"):
        actions.request_poll(store, "t", "dana", NOW)
    ticks = [e.detail for e in store.item(item_id).audit if e.action == "checklist"]
    assert ticks == [{"step": 1, "done": True}]
    assert store.user("oren").email == "oren@example.co.il"
