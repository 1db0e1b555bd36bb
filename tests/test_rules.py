"""The boycott rule layer: a call by meaning, not by word."""

import pytest

from classifiers.rules import CALL_FLOOR, NOT_CALL_CAP, apply_boycott_rules, boycott_cue

CALLS = [
    "אל תקנו שם! תחרימו אותם ותעבירו הלאה",
    "לא לתת להם שקל עד שיחזירו את הכסף לכולם",
    "#חרם_על_פיצה_רומא עד שיתנצלו",
    "#BoycottBurgerBarn until they pay their staff",
    "everyone please avoid this place, share it",
    "Don't buy from them ever again! RT",
    "3 bad visits in a row. not going back, and neither should you",
]

NOT_CALLS = [
    "החרם נגמר מבחינתי, חזרנו אתמול והיה מעולה",
    "אני לא מצטרפת לחרם הזה, הם תיקנו הכל",
    "ראיתי שקוראים להחרים אותם, מישהו יודע למה?",
    "המשטרה החרימה סחורה מחנות אחרת ברחוב",
    "בכיתה של הבן שלי עשו עליו חרם, שבור לב",
    "the boycott is over, I'm back for the fries",
    "not joining this boycott, they fixed it within a day",
    "people are calling for a boycott of them, anyone know why?",
    "customs confiscated my order at the border",
]

NEITHER = [
    "I'm never flying with you again",  # one person's decision: the model decides (a complaint)
    "לא חוזרת לשם יותר, פעם שלישית שההזמנה לא נכונה",
    "thanks for sorting it, see you next trip!",
    "what time do you open on Friday?",
]


@pytest.mark.parametrize("text", CALLS)
def test_explicit_calls(text):
    assert boycott_cue(text) == "call"


@pytest.mark.parametrize("text", NOT_CALLS)
def test_boycott_words_that_are_not_calls(text):
    assert boycott_cue(text) == "not_call"


@pytest.mark.parametrize("text", NEITHER)
def test_posts_without_either_cue(text):
    assert boycott_cue(text) is None


def test_a_refusal_wins_over_a_hashtag_in_the_same_post():
    assert boycott_cue("not joining the #BoycottThreadly thing, it's more complicated") == "not_call"


def test_apply_modes():
    ended = "the boycott is over, I'm back"
    call = "#BoycottBurgerBarn until they pay their staff"
    assert apply_boycott_rules(ended, 0.9, "none") == 0.9
    assert apply_boycott_rules(ended, 0.9, "cap") == NOT_CALL_CAP
    assert apply_boycott_rules(ended, 0.1, "cap") == 0.1
    assert apply_boycott_rules(call, 0.2, "cap") == 0.2
    assert apply_boycott_rules(call, 0.2, "cap+floor") == CALL_FLOOR
    assert apply_boycott_rules(call, 0.9, "cap+floor") == 0.9
    assert apply_boycott_rules("nice coffee", 0.42, "cap+floor") == 0.42
