"""Triage, first version: which playbook, how urgent, and by when (pure: no I/O).

Priority (0-100) adds up what makes a post urgent:

- the label's weight (defamation 60, boycott 55, complaint 35, neutral 10, praise 5), scaled by the
  classifier's confidence in it;
- virality (0.3 x the 0-100 virality score);
- the author's reach (5 x log10 of followers, at most 15);
- a complaint on the business's own page (+5: everyone visiting the page sees it unanswered);
- minus age (a week-old post is 15 points less urgent than a fresh one).

Posts by the business itself are stored and classified (they are thread context) but never queued.
A defamation or boycott score over 0.5 sends a post to legal even when another label is primary:
a missed accusation costs more than an extra look. The SLA clock starts when the post was published, or
when repmon first saw it if that was later (a post found late is not born breached).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from classifiers.virality import Virality
from monitor.records import TriageDecision

LABEL_WEIGHT = {"defamation": 60.0, "boycott": 55.0, "complaint": 35.0, "neutral": 10.0, "praise": 5.0}
PLAYBOOK_FOR_LABEL = {
    "defamation": "escalate_legal",
    "boycott": "escalate_legal",
    "complaint": "reply",
    "praise": "thank",
    "neutral": "monitor",
}
LEGAL_SCORE = 0.5
VIRAL_SCORE = 60.0


def sla_for(playbook: str, own_page: bool, viral: bool) -> timedelta:
    """First-response time: legal 1 h; a reply 1 h on the business's own page, else 4 h; thanks 24 h."""
    hours = {"escalate_legal": 1.0, "reply": 1.0 if own_page else 4.0, "thank": 24.0, "monitor": 48.0}[
        playbook
    ]
    if viral and playbook in ("escalate_legal", "reply"):
        hours /= 2
    return timedelta(hours=hours)


def decide(
    label: str,
    scores: dict[str, float],
    virality: Virality,
    followers: int | None,
    own_page: bool,
    created_at: datetime,
    first_seen_at: datetime,
    now: datetime,
) -> TriageDecision:
    """The playbook, priority and SLA due time for one classified mention."""
    reasons: list[str] = [f"label {label} ({scores.get(label, 0.0):.2f})"]
    playbook = PLAYBOOK_FOR_LABEL.get(label, "monitor")
    legal = {
        lab: scores.get(lab, 0.0) for lab in ("defamation", "boycott") if scores.get(lab, 0.0) >= LEGAL_SCORE
    }
    if playbook != "escalate_legal" and legal:
        playbook = "escalate_legal"
        lab = max(legal, key=legal.get)
        reasons.append(f"{lab} score {legal[lab]:.2f} over {LEGAL_SCORE}")
    weight = (
        max(LABEL_WEIGHT.get(label, 10.0), *(LABEL_WEIGHT[lab] for lab in legal))
        if legal
        else LABEL_WEIGHT.get(label, 10.0)
    )
    confidence = max([scores.get(label, 0.0), *legal.values()])
    priority = weight * (0.6 + 0.4 * confidence)
    priority += 0.3 * virality.score
    if virality.score >= VIRAL_SCORE:
        reasons.append(
            f"spreading fast (virality {virality.score:.0f}, 24 h forecast {virality.forecast_24h:.0f})"
        )
    reach = min(15.0, 5.0 * math.log10(1 + max(followers or 0, 0)))
    priority += reach
    if (followers or 0) >= 10_000:
        reasons.append(f"author reach {followers:,}")
    if own_page and playbook == "reply":
        priority += 5.0
        reasons.append("on the business's own page")
    age_h = max((now - created_at).total_seconds() / 3600.0, 0.0)
    priority -= min(15.0, 5.0 * math.log2(1 + age_h / 24.0))
    start = max(created_at, first_seen_at)
    due = start + sla_for(playbook, own_page, virality.score >= VIRAL_SCORE)
    return TriageDecision(
        playbook=playbook,
        priority=round(min(100.0, max(0.0, priority)), 1),
        sla_due_at=due,
        reasons=tuple(reasons),
    )
