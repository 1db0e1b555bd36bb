"""Labels, statuses, platforms and roles are StrEnums, one definition each, equal to the stored strings."""

import classifiers
from monitor import records, users, workflow
from monitor.cli.actions import LABEL_CHOICES
from monitor.records import Label, Platform, Role, Status
from monitor.settings.kinds import LABELS as LABELS_KIND
from playbooks import engine


def test_label_is_the_classifiers_labels_in_their_order():
    assert tuple(Label) == classifiers.LABELS
    assert engine.LABELS == classifiers.LABELS
    assert LABEL_CHOICES == list(classifiers.LABELS) and all(type(c) is str for c in LABEL_CHOICES)
    assert set(classifiers.NEGATIVE_LABELS) | set(classifiers.LEGAL_LABELS) <= set(Label)
    assert LABELS_KIND.allowed == "comma-separated labels: praise, neutral, complaint, defamation, boycott"


def test_statuses_platforms_and_roles():
    assert records.STATES == tuple(Status) == (
        "new", "in_progress", "awaiting_approval", "responded", "resolved", "escalated", "legal_review",
        "decided", "closed", "dismissed",
    )  # fmt: skip
    assert set(records.OPEN_STATUSES) <= set(Status) and set(records.AWAITING_FIRST_RESPONSE) <= set(Status)
    assert {target for _, target in workflow.TRANSITIONS.values()} <= set(Status)
    assert records.PLATFORMS == ("x", "facebook") and tuple(Platform) == ("x", "facebook", "demo")
    assert users.ROLES == tuple(Role) == ("manager", "legal", "owner")
    assert all(set(holders) <= set(Role) for holders in users.PERMISSIONS.values())


def test_a_member_is_its_stored_string():
    assert Status.NEW == "new" and f"{Status.LEGAL_REVIEW}" == "legal_review" and str(Role.OWNER) == "owner"
    assert {"defamation": 1}[Label.DEFAMATION] == 1 and {Label.DEFAMATION: 1}["defamation"] == 1
    assert "escalated" in (Status.ESCALATED,) and users.can("manager", "assign")
    assert workflow.next_state("new", "start") == "in_progress"


def test_a_member_is_sealed_as_its_string():
    """Seals hash the repr of plain values: a member must seal as the string stored and read back."""
    from monitor.storage.audit import seal

    assert seal(Status.NEW, "x", 1) == seal("new", "x", 1)
