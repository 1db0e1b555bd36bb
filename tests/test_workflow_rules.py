"""The rules storage receives from monitor.workflow, pure: drafts, approval, assignment, corrections."""

import pytest

from monitor.workflow import (
    WorkflowError,
    check_approval,
    check_assignable,
    check_correction,
    draft_move,
)


def test_a_draft_starts_a_new_item_and_is_refused_once_the_reply_is_past():
    assert draft_move(7, "new") == ("start", "in_progress")
    assert draft_move(7, "in_progress") is None
    assert draft_move(7, "awaiting_approval") is None
    for state in ("responded", "resolved", "escalated", "closed", "dismissed"):
        with pytest.raises(WorkflowError, match=f"item 7 is {state}: its reply can no longer be drafted"):
            draft_move(7, state)


def test_approval_needs_a_submitted_draft_an_approver_and_another_person():
    check_approval(3, "awaiting_approval", "dana", "avi", ["dana"])
    check_approval(3, "awaiting_approval", "dana", "avi", [])  # no approvers configured: any manager
    with pytest.raises(
        WorkflowError, match=r"item 3 is in_progress: submit the draft first \(`repmon act 3 submit`\)"
    ):
        check_approval(3, "in_progress", "dana", "avi", ["dana"])
    with pytest.raises(WorkflowError, match=r"maya may not approve replies: the approvers are dana, lea"):
        check_approval(3, "awaiting_approval", "maya", "avi", ["dana", "lea"])
    with pytest.raises(WorkflowError, match="dana wrote this draft: another person must approve it"):
        check_approval(3, "awaiting_approval", "dana", "dana", ["dana"])


def test_done_items_take_no_assignment():
    for state in ("new", "in_progress", "escalated", "legal_review", "decided", "responded"):
        check_assignable(1, state)
    for state in ("closed", "dismissed", "resolved"):
        with pytest.raises(WorkflowError, match=f"item 1 is {state}: it cannot be assigned"):
            check_assignable(1, state)


def test_a_correction_names_a_label_and_a_reason():
    check_correction("praise", "sarcasm misread")
    with pytest.raises(WorkflowError, match="'nice' is not a label"):
        check_correction("nice", "because")
    with pytest.raises(WorkflowError, match=r"a correction needs a reason \(--reason\)"):
        check_correction("praise", "  ")
