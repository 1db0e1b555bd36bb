"""Small rule layers on top of the model: boycott calls, short accusations, and short gripes.

**Boycott calls**: what a post does with the word, not the word itself.

``boycott_cue(text)`` says whether a post

- ``"call"``: explicitly calls on others to avoid the business (an imperative to the crowd, "everyone",
  "share/RT", "until they ...", a #BoycottX or #חרם_על_X hashtag), or
- ``"not_call"``: uses boycott words without calling: a boycott that is over, refused or only reported,
  or another sense of the word (confiscation, להחרים סחורה; ostracism at school), or
- ``None``: neither; the model alone decides.

``apply_boycott_rules`` moves the model's boycott probability accordingly: a ``not_call`` caps it below
the legal threshold, a ``call`` lifts it to at least the threshold. Whether the layer is used is the
model's config (``boycott_rules`` in ``config.json``): it is kept only when it measurably helps on the dev
parts (see the model card).

**Short accusations** (``accusation_cue``): a post of a few words that calls the business thieves,
crooks, frauds, scammers, cheats or liars ("גנבים!", "רמאות!", "thieves!", "they are crooks, they stole my
money"), which the model, having learnt that very short exclamations are mostly praise, can read as praise
or neutral. Not when it is a question, negated, about prices (LABELING.md: "שודדים" said of prices is a
complaint), in jest or praise ("גנבתם לי את הלב"), or a warning about impersonators.
``apply_accusation_rules`` then lifts the defamation score to ``ACCUSATION_FLOOR`` and caps praise at
``PRAISE_CAP``; the model's config (``accusation_rules``) says whether it is used.

**Short gripes** (``gripe_cue``): the same mechanism for a very short gripe ("השירות היה נוראי!", "איכס!"),
lifting complaint instead (``apply_gripe_rules``; ``gripe_rules``, off: measured without a gain on real
posts, see the model card).
"""

from __future__ import annotations

import re

_F = re.IGNORECASE

# A refusal, an ending, a report or another sense: checked first, it wins over a call in the same post.
_NOT_CALL = [
    re.compile(p, _F)
    for p in (
        r"\bboycott('?s| is| was| has)? (is |was )?(over|ended|done|finished)\b",
        r"\b(end(ed|ing)?|stop(ped)?|drop(ped)?|call(ed)? off) (my|the|our|this) boycott\b",
        r"\b(not|never|won'?t|will not|refuse to|ain'?t) (be )?(join(ing)?|support(ing)?|tak(e|ing) part in) "
        r"(th(e|is|at)|any|your|the whole)? ?#?boycott",
        r"\b(calling|calls|called|call) (for (a |an )?|to )boycott",
        r"\bconfiscat",
        r"(החרם|חרם) (נגמר|הסתיים|בוטל|הוסר)",
        r"(נגמר|הסתיים|בוטל) (ה)?חרם",
        r"(לא|לעולם לא) (מצטרפ|אצטרפ|משתתפ|אשתתפ)\w* ל?(ה)?חרם",
        r"(קוראים|קראו|קורא|קוראות|קריאות?|קריאה) (ל)?(החרים|חרם)",
        r"(המשטרה|המכס|העירייה|פקחי\w*|השוטרים) (החרימ|החרים)",
        r"עשו (עליו|עליה|עלי|עלינו|עליהם) חרם",
    )
]

_CALL = [
    re.compile(p, _F)
    for p in (
        r"#boycott\w+",
        r"#חרם\w*",
        r"#לא_?קונים\w*",
        r"\b(everyone|everybody|y'?all|people|guys|all of you|you all)\b[^.!?\n]{0,30}\b(avoid|boycott|stop "
        r"(buying|shopping|using|ordering|flying)|stay away|don'?t (buy|go|shop|order|fly))",
        r"(^|[.!?\n]\s*|\b(so|please|pls|just|and)\s+)(don'?t|do not|never|stop) (buy(ing)?|shop(ping)?|"
        r"order(ing)?|eat(ing)?|fly(ing)?|book(ing)?|giv(e|ing) them)\b[^.!?\n]{0,40}"
        r"(!|\b(rt|share|spread|until|everyone|ever again)\b)",
        r"\b(spread the word|pass it on|rt to|retweet (this|so|to))\b",
        r"\bboycott (them|these (guys|people|clowns)|this (place|company|shop|store|chain))\b[^.?\n]{0,20}"
        r"(!|\b(now|until|today|everyone)\b)",
        r"\b(neither should you|you shouldn'?t either|and you shouldn'?t)\b",
        r"תחרימו",
        r"בואו נחרים",
        r"(^|\s)אל ת(קנו|זמינו|טוסו|לכו|אכלו|שתמשו|דרכו|גיעו|יכנסו|תנו להם|עבדו איתם)",
        r"לא לקנות (שם|אצלם|מהם|ב)",
        r"לא לתת להם (שקל|פרנסה|כסף|אגורה|לעבוד)",
        r"(לא|אף אחד לא) (קונים|קונה) (שם|אצלם|מהם) (יותר|עד)",
        r"תעבירו הלאה",
        r"שכולם (יחרימו|ידעו ולא|יפסיקו)",
        r"וגם אתם (לא צריכים|אל)",
    )
]


def boycott_cue(text: str) -> str | None:
    """``"not_call"``, ``"call"`` or ``None`` (see the module's docstring)."""
    if any(p.search(text) for p in _NOT_CALL):
        return "not_call"
    if any(p.search(text) for p in _CALL):
        return "call"
    return None


NOT_CALL_CAP = 0.3
CALL_FLOOR = 0.55


RULE_MODES = ("none", "cap", "cap+floor")


def apply_boycott_rules(text: str, boycott: float, mode: str = "cap+floor") -> float:
    """The boycott probability after the rule layer in ``mode`` (one of ``RULE_MODES``)."""
    if mode == "none":
        return boycott
    cue = boycott_cue(text)
    if cue == "not_call":
        return min(boycott, NOT_CALL_CAP)
    if cue == "call" and mode == "cap+floor":
        return max(boycott, CALL_FLOOR)
    return boycott


# -- short accusations --------------------------------------------------------------------------------

ACCUSATION_MAX_WORDS = 8
ACCUSATION_FLOOR = 0.7
PRAISE_CAP = 0.3
ACCUSATION_MODES = ("none", "floor")

_ACCUSE = [
    re.compile(p, _F)
    for p in (
        r"\b(thie(f|ves)|crooks?|frauds?|fraudsters?|scam(mer)?s?|cheats?|cheaters|liars?|con ?artists?|"
        r"swindlers?)\b",
        r"\b(stole|steal(ing)?|robbed|ripped off|scammed|conned|swindled|defrauded) "
        r"(my|me|from (me|us|customers))\b",
        r"\bit'?s (a )?(scam|fraud|theft)\b",
        # Bare נוכל is also "we can", so only its other forms; a prefix ו ("and") is left out for that too.
        r"(^|[\s\"'(])(ה|של |הם |אתם )?(גנב(ים|ות|ת)?|נוכל(ים|ות|ת)|רמא(י|ים|יות|ית|ות)|שקרנ(ים|ית|יות)|שקרן|"
        r"עוקצים|מושחתים|פושעים|הונאה|גניבה|עוקץ)(?=$|[\s!.,?\"')])",
        r"(גנבו|גונבים|עקצו|רימו|עבדו) (לי|אותי|עליי|עלינו|אותנו|מלקוחות)",
    )
]

_NOT_ACCUSE = [
    re.compile(p, _F)
    for p in (
        r"\?",  # a question: a sincere one is neutral, an insinuating one is left to the model
        r"\b(not|no|never|isn'?t|aren'?t|wasn'?t|weren'?t|ain'?t)\b( an?| the)? ?"
        r"(thie|crook|fraud|scam|cheat|liar)",
        r"(^|\s)(לא|אינם|אינכם|בכלל לא) ?(ה)?(גנב|נוכל|רמא|שקרנ|עוקצ|מושחת|פושע|הונאה|עוקץ)",
        r"\b(price|prices|pricing|priced|cost|costs|\$\d|₪)|(מחיר|מחירים|תמחור|₪|שקל|עולה)|\d+[.,]\d\d\b",
        r"(חח|lol|lmao|haha|😂|🤣|😍|❤|♥|💕|😋|🤤)",
        r"(את הלב|my heart|illegal(ly)? (good|delicious|tasty)|should be illegal|so good|טעים|מושלם|אהבתי)",
        r"(impersonat|fake (page|account|profile)|phishing|מתחז|פישינג|דף מזויף|חשבון מזויף)",
    )
]


def _short_cue(text: str, max_words: int, vetoes: list[re.Pattern[str]], cues: list[re.Pattern[str]]) -> bool:
    """A post of at most ``max_words`` words that matches a cue and no veto."""
    words = text.split()
    if not words or len(words) > max_words or any(p.search(text) for p in vetoes):
        return False
    return any(p.search(text) for p in cues)


def _floor(scores: dict[str, float], label: str, floor: float) -> dict[str, float]:
    """A new dict with ``label`` lifted to ``floor`` and praise capped at ``PRAISE_CAP``."""
    out = dict(scores)
    if label in out:
        out[label] = max(out[label], floor)
    if "praise" in out:
        out["praise"] = min(out["praise"], PRAISE_CAP)
    return out


def accusation_cue(text: str) -> bool:
    """Whether ``text`` is a short accusation (see the module's docstring)."""
    return _short_cue(text, ACCUSATION_MAX_WORDS, _NOT_ACCUSE, _ACCUSE)


def apply_accusation_rules(text: str, scores: dict[str, float], mode: str = "floor") -> dict[str, float]:
    """The scores after the short-accusation layer in ``mode`` (one of ``ACCUSATION_MODES``): a new dict;
    labels other than defamation and praise are left as they are."""
    if mode == "none" or not accusation_cue(text):
        return dict(scores)
    return _floor(scores, "defamation", ACCUSATION_FLOOR)


# -- short gripes -------------------------------------------------------------------------------------

GRIPE_MAX_WORDS = 6
GRIPE_COMPLAINT_FLOOR = 0.65
GRIPE_MODES = ("none", "floor")

_GRIPE = [
    re.compile(p, _F)
    for p in (
        r"\b(terrible|awful|horrible|horrendous|disgusting|worst|gross|garbage|trash|pathetic|shameful|"
        r"useless|a joke|rubbish|appalling)\b",
        # Hebrew: the adjective forms only (bare נורא is also the intensifier "very").
        r"(^|[\s\"'(])(ה|ו)?(נורא(י|ית|יים|יות)|מגעיל(ה|ים|ות)?|איכס|גרוע(ה|ים|ות)?|זוועה|דוחה|מזעזע(ת|ים|ות)?|"
        r"חרא|בושה|ביזיון)(?=$|[\s!.,?\"')])",
    )
]

_NOT_GRIPE = [
    re.compile(p, _F)
    for p in (
        r"\?",
        r"\b(not|never|isn'?t|wasn'?t|ain'?t|no)\b",
        r"(^|\s)(לא|אינו|אינה|בכלל לא|ממש לא)(\s|$)",
        r"(חח|lol|lmao|haha|😂|🤣|😍|❤|♥|💕|😋|🤤|👏|🙏|💯|🔥)",
        r"\b(but|love|loved|great|amazing|best|thanks?|thank you)\b",
        r"(אבל|אוהב|אהבתי|מעולה|מדהים|תודה|טעים|מושלם|הכי טוב|ממליצ)",
    )
]


def gripe_cue(text: str) -> bool:
    """Whether ``text`` is a very short gripe: a few words holding a plainly negative word about quality or
    service, not negated, not a question, with no praise, thanks, laughter or heart in it."""
    return _short_cue(text, GRIPE_MAX_WORDS, _NOT_GRIPE, _GRIPE)


def apply_gripe_rules(text: str, scores: dict[str, float], mode: str = "floor") -> dict[str, float]:
    """The scores after the short-gripe layer in ``mode`` (one of ``GRIPE_MODES``): a new dict in which a
    short gripe's praise is capped at ``PRAISE_CAP`` and its complaint lifted to ``GRIPE_COMPLAINT_FLOOR``;
    defamation and boycott (what sends a post to legal) are left as they are."""
    if mode == "none" or not gripe_cue(text):
        return dict(scores)
    return _floor(scores, "complaint", GRIPE_COMPLAINT_FLOOR)
