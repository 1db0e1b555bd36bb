"""Triage: which playbook, how urgent, and by when (pure: the playbook library is passed in).

The playbook comes from the editable rules (``playbooks/rules.yaml``): the first rule that matches the
item's label, scores, virality, reach, place and confirmation wins. By default, a defamation or boycott
score of 0.5 or more goes to legal even when another label is primary (a missed accusation costs more
than an extra look), and to the crisis playbook when it is also spreading fast.

Priority (0-100) adds up what makes a post urgent:

- the label's weight (defamation 60, boycott 55, complaint 35, neutral 10, praise 5; an item sent to
  legal weighs as its strongest legal label), scaled by the classifier's confidence;
- virality (0.3 x the 0-100 virality score);
- the author's reach (5 x log10 of followers, at most 15);
- a complaint on the business's own page (+5: everyone visiting the page sees it unanswered);
- the matching rule's ``priority_boost``;
- minus age (a week-old post is 15 points less urgent than a fresh one);

and the sum is mapped into 0-100 by ``100 * tanh(sum / 100)``, which keeps the order of very urgent items
instead of clamping them all to 100.

A post edited on the platform after it was first captured has several versions, each classified
(``monitor.edits``): an item is triaged on the most serious one (``most_serious``), the one triage itself
ranks first: a legal playbook (an accusation or a boycott call, by the rules' own scores) before any
other, then the highest priority (the label's weight and the classifier's confidence, the strongest legal
label's for a legal playbook); a tie goes to the newest version. So an edit that adds an accusation sends
the item to legal, and an edit that removes one leaves it there: the published version is evidence.

The SLA is the playbook's first-response time for the business's own page or elsewhere, halved for a
reply to a fast-spreading post. Its clock starts when the post was published, or when repmon first saw
it if that was later (a post found late is not born breached). Posts by the business itself are stored
and classified (they are thread context) but never queued.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from datetime import datetime

from classifiers.virality import Virality
from monitor import i18n
from monitor.i18n import N_
from monitor.records import Label, LegalScope, Status, TriageDecision
from playbooks.engine import Facts, Library, load_library

LABEL_WEIGHT: dict[str, float] = {
    Label.DEFAMATION: 60.0,
    Label.BOYCOTT: 55.0,
    Label.COMPLAINT: 35.0,
    Label.NEUTRAL: 10.0,
    Label.PRAISE: 5.0,
}
LEGAL = (Label.DEFAMATION, Label.BOYCOTT)
LEGAL_STATUSES = (Status.ESCALATED, Status.LEGAL_REVIEW, Status.DECIDED)


@functools.cache
def default_library() -> Library:
    """The playbooks and rules shipped in ``playbooks/``, loaded once."""
    return load_library()


def legal_playbooks(library: Library | None = None) -> tuple[str, ...]:
    """The playbooks whose YAML says ``legal: true`` (of ``library``, else of the default library)."""
    return (library or default_library()).legal_playbooks


def legal_scope(library: Library | None = None) -> LegalScope:
    """The queue items that are legal's business: a legal playbook or label, or escalated to legal."""
    return LegalScope(playbooks=legal_playbooks(library), labels=LEGAL, statuses=LEGAL_STATUSES)


# The default library's: ("escalate_legal", "crisis") as shipped.
LEGAL_PLAYBOOKS = legal_playbooks()
LEGAL_SCOPE = legal_scope()
VIRAL_SCORE = 60.0

# Why an item got its playbook and priority: each reason is one of these templates, stored filled in
# English (the database keeps what triage said) and shown in a reader's language by ``reason_in``.
REASON_LABEL = N_("label {label} ({score})")
REASON_RULE = N_("rule: {rule}")
REASON_LEGAL_SCORE = N_("{label} score {score}")
REASON_SPREADING = N_("spreading fast (virality {virality}, 24 h forecast {forecast})")
REASON_REACH = N_("author reach {followers}")
REASON_OWN_PAGE = N_("on the business's own page")
REASONS = (REASON_LABEL, REASON_RULE, REASON_LEGAL_SCORE, REASON_SPREADING, REASON_REACH, REASON_OWN_PAGE)


@functools.cache
def _reason_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(pattern)


def reason_in(reason: str, language: str | None) -> str:
    """A stored reason (English, one of ``REASONS``) in ``language``, label names included; a reason of
    another shape (written by an older version) is shown as it is."""
    _ = i18n.gettext_for(language)
    for template in REASONS:
        found = _reason_pattern(template).fullmatch(reason)
        if found:
            values = found.groupdict()
            if "label" in values:
                values["label"] = i18n.label_name(values["label"], language)
            return _(template).format(**values)
    return reason


def decide(
    label: str,
    scores: dict[str, float],
    virality: Virality,
    followers: int | None,
    own_page: bool,
    created_at: datetime,
    first_seen_at: datetime,
    now: datetime,
    library: Library,
    confirmed: bool = False,
) -> TriageDecision:
    """The playbook, priority and SLA due time for one classified mention."""
    facts = Facts(label, scores, virality.score, followers, own_page, confirmed)
    playbook, rule = library.choose(facts)
    reasons: list[str] = [REASON_LABEL.format(label=label, score=f"{scores.get(label, 0.0):.2f}")]
    if rule is not None:
        reasons.append(REASON_RULE.format(rule=rule.name))
    weight, confidence = LABEL_WEIGHT.get(label, 10.0), scores.get(label, 0.0)
    if playbook.legal:
        strongest = max(LEGAL, key=lambda lab: scores.get(lab, 0.0))
        if label not in LEGAL:
            reasons.append(
                REASON_LEGAL_SCORE.format(label=strongest, score=f"{scores.get(strongest, 0.0):.2f}")
            )
        weight = max(weight, LABEL_WEIGHT[strongest])
        confidence = max(confidence, scores.get(strongest, 0.0))
    priority = weight * (0.6 + 0.4 * confidence)
    priority += 0.3 * virality.score
    if virality.score >= VIRAL_SCORE:
        reasons.append(
            REASON_SPREADING.format(virality=f"{virality.score:.0f}", forecast=f"{virality.forecast_24h:.0f}")
        )
    priority += min(15.0, 5.0 * math.log10(1 + max(followers or 0, 0)))
    if (followers or 0) >= 10_000:
        reasons.append(REASON_REACH.format(followers=f"{followers:,}"))
    if own_page and playbook.name in ("reply", "apologize"):
        priority += 5.0
        reasons.append(REASON_OWN_PAGE)
    priority += rule.priority_boost if rule else 0.0
    age_h = max((now - created_at).total_seconds() / 3600.0, 0.0)
    priority -= min(15.0, 5.0 * math.log2(1 + age_h / 24.0))
    sla = playbook.sla_for(own_page)
    if virality.score >= VIRAL_SCORE and playbook.name in ("reply", "apologize"):
        sla /= 2
    return TriageDecision(
        playbook=playbook.name,
        # tanh keeps 0-100 without flattening the top: two crises never tie at a clamped 100.
        priority=round(100.0 * math.tanh(max(priority, 0.0) / 100.0), 1),
        sla_due_at=max(created_at, first_seen_at) + sla,
        reasons=tuple(reasons),
        label=label,
    )


def most_serious(decisions: Sequence[TriageDecision], library: Library) -> int:
    """Of the decisions for the versions of one post (oldest first: the first text, then its edits), the
    index of the one to follow: a legal playbook first, then the highest priority, then the newest."""
    legal = set(library.legal_playbooks)
    return max(
        range(len(decisions)), key=lambda i: (decisions[i].playbook in legal, decisions[i].priority, i)
    )
