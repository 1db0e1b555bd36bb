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


# -- short accusations ----------------------------------------------------------------------------------

from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402

from classifiers.model import Classifier  # noqa: E402
from classifiers.rules import (  # noqa: E402
    ACCUSATION_FLOOR,
    PRAISE_CAP,
    accusation_cue,
    apply_accusation_rules,
)

SHORT_ACCUSATIONS = [
    "גנבים!",
    "רמאים. שילמתי ולא קיבלתי כלום",
    "הם נוכלים!!",
    "גנבו לי את הפיקדון",
    "thieves!!",
    "they scammed me",
    "you are liars and cheats",
    "it's a scam",
]

NOT_SHORT_ACCUSATIONS = [
    "מחירים של גנבים",  # price hyperbole is a complaint (LABELING.md)
    "24.90 לקוטג', גנבים!!!",
    "is this SMS a scam or really from you?",  # a sincere question is neutral
    "not a scam, legit shop",
    "הם לא נוכלים, פשוט איטיים",
    "גנבתם לי את הלב",  # praise in words of crime
    "this cake should be illegal",
    "thieves lol",
    "זהירות, דף מזויף מתחזה לחנות",  # a warning about impersonators
    "תתרגם ונוכל להפיץ",  # נוכל is also "we can"
    "they are thieves who charge my card twice every month and nobody there ever answers",  # long: the model
    "the service was terrible!",
]


@pytest.mark.parametrize("text", SHORT_ACCUSATIONS)
def test_short_accusations(text):
    assert accusation_cue(text)


@pytest.mark.parametrize("text", NOT_SHORT_ACCUSATIONS)
def test_not_short_accusations(text):
    assert not accusation_cue(text)


def test_the_accusation_floor_lifts_defamation_and_caps_praise_only_where_the_cue_fires():
    scores = {"praise": 0.9, "neutral": 0.1, "complaint": 0.2, "defamation": 0.1, "boycott": 0.05}
    lifted = apply_accusation_rules("גנבים!", scores, "floor")
    assert lifted == scores | {"defamation": ACCUSATION_FLOOR, "praise": PRAISE_CAP}
    assert scores["praise"] == 0.9  # a new dict: the model's scores are left as they were
    assert apply_accusation_rules("גנבים!", scores, "none") == scores
    assert apply_accusation_rules("lovely staff", scores, "floor") == scores
    assert apply_accusation_rules("thieves!", scores | {"defamation": 0.95}, "floor")["defamation"] == 0.95


def _classifier(accusation_rules, gripe_rules="none"):
    """A Classifier over stand-ins: the head reads every post as praise."""
    labels = ("praise", "neutral", "complaint", "defamation", "boycott")
    config = SimpleNamespace(
        labels=labels,
        thresholds=dict.fromkeys(labels, 0.5),
        boycott_rules="none",
        accusation_rules=accusation_rules,
        gripe_rules=gripe_rules,
        long_posts="first",
        version="h1",
        calibration={},  # none: a score is the sigmoid of the logit
    )
    praise = np.array([0.9, 0.1, 0.2, 0.1, 0.05])
    head = SimpleNamespace(
        config=config, logits=lambda x: np.tile(np.log(praise / (1 - praise)), (len(x), 1))
    )
    encoder = SimpleNamespace(
        version="e1", precision="fp32", embed=lambda texts, batch=32: np.zeros((len(texts), 4))
    )
    return Classifier(encoder, head)


def test_the_classifier_applies_the_layer_its_config_names_and_says_so_in_its_version():
    off, on = _classifier("none"), _classifier("floor")
    assert off.predict(["גנבים!"])[0].label == "praise" and off.model_version == "h1+e1+fp32"
    thief, coffee = on.predict(["גנבים!", "lovely coffee"])
    assert (thief.label, thief.scores["defamation"]) == ("defamation", ACCUSATION_FLOOR)
    assert coffee.label == "praise"
    assert on.model_version == "h1+acc-floor+e1+fp32"


# -- short gripes ---------------------------------------------------------------------------------------

from classifiers.rules import GRIPE_COMPLAINT_FLOOR, apply_gripe_rules, gripe_cue  # noqa: E402

SHORT_GRIPES = [
    "השירות היה נוראי!",
    "איכס!",
    "מגעיל!!",
    "the service was terrible!",
    "worst app ever",
    "זוועה",
]
NOT_SHORT_GRIPES = [
    "נורא טעים",  # נורא alone is "very"
    "not terrible at all",
    "לא נוראי",
    "השירות נוראי אבל האוכל מעולה",  # mixed: the model decides
    "is it that bad? terrible reviews",
    "gross 😂",
    "they are thieves",
    "the delivery came two hours late and the soup was cold and terrible",  # long: the model decides
]


@pytest.mark.parametrize("text", SHORT_GRIPES)
def test_short_gripes(text):
    assert gripe_cue(text)


@pytest.mark.parametrize("text", NOT_SHORT_GRIPES)
def test_not_short_gripes(text):
    assert not gripe_cue(text)


def test_the_gripe_floor_lifts_complaint_caps_praise_and_leaves_the_legal_labels():
    scores = {"praise": 0.62, "neutral": 0.1, "complaint": 0.53, "defamation": 0.2, "boycott": 0.1}
    lifted = apply_gripe_rules("השירות היה נוראי!", scores, "floor")
    assert lifted == scores | {"complaint": GRIPE_COMPLAINT_FLOOR, "praise": PRAISE_CAP}
    assert apply_gripe_rules("השירות היה נוראי!", scores, "none") == scores
    assert apply_gripe_rules("lovely staff", scores, "floor") == scores


def test_the_classifier_applies_the_gripe_layer_its_config_names_and_says_so_in_its_version():
    on = _classifier("floor", "floor")
    gripe, coffee = on.predict(["השירות היה נוראי!", "lovely coffee"])
    assert (gripe.label, gripe.scores["complaint"], gripe.scores["praise"]) == (
        "complaint",
        GRIPE_COMPLAINT_FLOOR,
        PRAISE_CAP,
    )
    assert coffee.label == "praise"
    assert on.model_version == "h1+acc-floor+gripe-floor+e1+fp32"


def test_a_rule_mode_the_layer_does_not_know_is_refused_at_load():
    from classifiers.errors import ClassifierError

    with pytest.raises(ClassifierError, match="sets gripe_rules to 'flor': it must be one of none, floor"):
        _classifier("floor", "flor")


# -- what the kept accusation layer was decided on (the model card's table): regex only, no model ---------


def test_the_accusation_cue_finds_short_accusations_of_the_candidate_file_and_nothing_else_there():
    """classifiers/data/candidates/short_posts.jsonl (never trained on): the cue fired on 36 of its 60
    accusations and on none of its 180 other posts when the layer was kept."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "classifiers" / "data" / "candidates" / "short_posts.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    fired = [r["labels"][0] for r in rows if accusation_cue(r["text"])]
    assert fired.count("defamation") >= 36
    assert [lab for lab in fired if lab != "defamation"] == []


def test_the_accusation_cue_fires_on_no_post_of_the_dev_parts():
    """The layer was kept because it changes nothing on the own dev part and the real dev parts (they are
    read in place from ../shared/datasets when it is there)."""
    from classifiers import LABELS
    from classifiers.finetune import own_split, real_dev_sets
    from classifiers.realsets import DEFAULT_DATASETS
    from classifiers.training import load_examples, training_files

    _, dev = own_split(load_examples(training_files(), LABELS))
    assert [e.text for e in dev if accusation_cue(e.text)] == []
    for name, rows in real_dev_sets(DEFAULT_DATASETS, LABELS).items():
        assert sum(accusation_cue(r.text) for r in rows) == 0, name
