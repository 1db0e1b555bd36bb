"""Posts longer than the encoder's 256 tokens: read whole, in overlapping windows (``long_posts: windows``).

The probes are the project's own: ordinary long posts (a dinner, a hotel weekend) that end in an accusation
or a boycott call, which a reader of the first 256 tokens never reaches.
"""

import dataclasses
import itertools
from types import SimpleNamespace

import numpy as np
import pytest

from classifiers.encoder import MAX_WINDOWS, WINDOW_OVERLAP
from classifiers.errors import ClassifierError
from classifiers.head import Head
from classifiers.model import Classifier, combine_windows

HE_STORY = (
    "אז ככה, רציתי לשתף את החוויה שלנו מהשבוע שעבר כי הרבה חברים שאלו אותי איך היה. "
    "הגענו ביום חמישי בערב, שישה אנשים, הזמנו שולחן מראש דרך האתר וקיבלנו אישור בהודעה. "
    "החניה הייתה קצת בעייתית כי יש עבודות ברחוב, אז חנינו בחניון הציבורי ליד הבנק והלכנו חמש דקות ברגל. "
    "המקום עצמו מעוצב יפה, יש מרפסת גדולה עם עציצים ותאורה נעימה, והמוזיקה לא הייתה חזקה מדי, אפשר היה לדבר. "
    "המלצרית הסבירה לנו על התפריט, יש מנות ראשונות, פסטות, דגים וגם כמה אפשרויות טבעוניות בשביל אחותי. "
    "הזמנו פוקצ'ה, סלט עגבניות, קרפצ'יו וטחינה עם פטריות, ואחר כך כל אחד לקח מנה עיקרית משלו. "
    "אני לקחתי את הדג של היום עם ירקות צלויים, בעלי לקח ניוקי, והילדים התחלקו בפיצה מרגריטה גדולה. "
    "האוכל הגיע אחרי בערך עשרים דקות, המנות היו בגודל סביר והטעמים היו בסדר, לא משהו שלא אכלתי בעבר. "
    "לקינוח לקחנו מלבי ועוגת גבינה, והזמנו קפה הפוך ותה נענע. ישבנו שם בערך שעתיים ודיברנו על הטיול הבא. "
    "בסוף הערב ביקשנו חשבון, שילמנו בכרטיס אשראי והשארנו טיפ של חמישה עשר אחוז כמו תמיד. "
    "ביום ראשון בבוקר הסתכלתי בפירוט של הכרטיס כי משהו נראה לי מוזר בסכום. "
)
HE_ACCUSATION = (
    "התברר שחייבו אותנו פעמיים על אותה ארוחה, ועוד הוסיפו מנות שלא הזמנו בכלל. "
    "כשהתקשרתי הבעלים צעק עליי וסירב להחזיר. אלה פשוט גנבים, הם גונבים מלקוחות בכוונה, תיזהרו מהם."
)
EN_STORY = (
    "Long post, sorry, but a few friends asked how our weekend at the hotel went, so here is the "
    "whole story. "
    "We booked the family room about a month ago through their website and got a confirmation email "
    "right away. "
    "The drive up took about three hours because of traffic near the junction, and we stopped once "
    "for coffee. "
    "Check-in was at three, the lobby is big and bright, and the receptionist explained where "
    "breakfast is served. "
    "The room was on the fourth floor with a view of the garden, two beds, a sofa bed for our son "
    "and a small balcony. "
    "In the afternoon the kids went to the pool while my husband and I sat on the deck and read for a while. "
    "Dinner was a buffet with salads, fish, pasta and a grill station, and we ate until we could not move. "
    "On Saturday we walked to the old town, bought some souvenirs, had ice cream and came back for a nap. "
    "In the evening there was live music in the bar, a guy with a guitar playing old songs, which was nice. "
    "Breakfast on Sunday was similar to Saturday, eggs made to order, cheeses, fresh bread and good coffee. "
    "We checked out at eleven, paid the bill at the desk with a credit card and drove home. "
    "A week later I looked at my card statement because the total seemed higher than what we agreed on. "
)
EN_ACCUSATION = (
    "They had charged us twice for the room and added a minibar bill for things we never touched. "
    "The manager refused to refund it. These people are thieves, they steal from their guests on purpose. "
    "This hotel is a scam."
)
EN_CALL = (
    "Everyone please share this and stop booking with them until they refund every family they cheated. "
    "#BoycottThisHotel"
)
PROBES = {
    "he_accusation": HE_STORY + HE_ACCUSATION,
    "en_accusation": EN_STORY + EN_ACCUSATION,
    "en_call": EN_STORY + EN_CALL,
    "he_story": HE_STORY,
    "en_story": EN_STORY,
    "he_short_acc": HE_ACCUSATION,
    "en_short_acc": EN_ACCUSATION,
}


@pytest.fixture(scope="module")
def windowed(classifier):
    """The committed classifier, reading long posts in windows and, beside it, by their first window."""

    def with_mode(mode):
        config = dataclasses.replace(classifier.head.config, long_posts=mode)
        return Classifier(classifier.encoder, Head(config, classifier.head.network))

    return with_mode("windows"), with_mode("first")


def test_a_post_that_fits_is_one_window_with_the_ids_and_embedding_that_embed_reads(classifier):
    encoder = classifier.encoder
    texts = ["the soup was cold", "גנבים!", HE_ACCUSATION]
    windows = encoder.token_windows(texts)
    expected = encoder.tokenizer([encoder.prefix + t for t in texts])["input_ids"]
    assert windows.ids == expected and windows.owners.tolist() == [0, 1, 2] and not any(windows.capped)
    embeddings, _ = encoder.embed_windows(texts)
    np.testing.assert_allclose(embeddings, encoder.embed(texts), atol=1e-5)


def test_a_long_post_is_covered_to_its_end_by_overlapping_windows(classifier):
    encoder = classifier.encoder
    text = EN_STORY + EN_ACCUSATION
    full = encoder.tokenizer(encoder.prefix + text)["input_ids"]
    assert len(full) > encoder.max_length  # the probe is long enough to need windows
    windows = encoder.token_windows([text])
    assert len(windows.ids) >= 2 and windows.owners.tolist() == [0] * len(windows.ids)
    # the first window is what the encoder read before (truncation); every window fits the encoder
    truncated = encoder.tokenizer(encoder.prefix + text, truncation=True, max_length=encoder.max_length)
    assert windows.ids[0] == truncated["input_ids"]
    assert all(len(w) <= encoder.max_length for w in windows.ids)
    start = 1 + len(encoder.tokenizer("query:", add_special_tokens=False)["input_ids"])  # <s> query:
    content = full[start:-1]
    pieces = [w[start:-1] for w in windows.ids]
    assert all(w[:start] == full[:start] and w[-1] == full[-1] for w in windows.ids)
    for before, after in itertools.pairwise(pieces):
        assert before[-WINDOW_OVERLAP:] == after[:WINDOW_OVERLAP]  # consecutive windows share 64 tokens
    assert pieces[-1][-20:] == content[-20:]  # the last window reaches the post's end
    assert windows.tokens_read == [len(content)] and windows.capped == [False]


def test_a_huge_post_is_read_up_to_the_window_limit_and_says_so(classifier, windowed):
    encoder = classifier.encoder
    huge = (EN_STORY + " ") * 13  # about 3,800 tokens, under the 20,000 characters that are read at all
    assert len(huge) < 20_000
    windows = encoder.token_windows([huge, "short"])
    assert windows.owners.tolist().count(0) == MAX_WINDOWS and windows.capped == [True, False]
    prediction = windowed[0].predict([huge])[0]
    assert prediction.notes == (
        f"very long post: only its first {windows.tokens_read[0]:,} tokens were read",
    )


def test_combine_windows_takes_the_most_negative_part_and_the_least_friendly_one():
    labels = ("praise", "neutral", "complaint", "defamation", "boycott")
    rows = np.array(
        [
            [0.9, 0.3, 0.1, 0.0, 0.0],  # post 0, a friendly window
            [0.2, 0.1, 0.4, 0.9, 0.1],  # post 0, an accusing window
            [0.7, 0.2, 0.3, 0.1, 0.6],  # post 1, its only window
        ]
    )
    combined = combine_windows(rows, np.array([0, 0, 1]), 2, labels)
    np.testing.assert_allclose(combined, [[0.2, 0.1, 0.4, 0.9, 0.1], [0.7, 0.2, 0.3, 0.1, 0.6]])


def test_combine_windows_refuses_windows_out_of_text_order_and_takes_an_empty_batch():
    labels = ("praise", "neutral", "complaint", "defamation", "boycott")
    rows = np.full((3, 5), 0.5)
    with pytest.raises(ClassifierError, match="windows out of order"):
        combine_windows(rows, np.array([0, 1, 0]), 2, labels)
    with pytest.raises(ClassifierError, match="windows out of order"):
        combine_windows(rows, np.array([0, 0, 0]), 2, labels)  # the second text has no window
    assert combine_windows(np.zeros((0, 5)), np.zeros(0, dtype=np.int64), 0, labels).shape == (0, 5)


def test_an_empty_batch_embeds_to_nothing_in_both_readings(classifier, windowed):
    assert classifier.encoder.embed([]).shape == (0, classifier.encoder.dim)
    embeddings, windows = classifier.encoder.embed_windows([])
    assert embeddings.shape == (0, classifier.encoder.dim) and windows.ids == []
    assert windowed[0].predict([]) == [] and windowed[1].predict([]) == []


def _stand_in(long_posts):
    labels = ("praise", "neutral", "complaint", "defamation", "boycott")
    config = SimpleNamespace(
        labels=labels,
        thresholds=dict.fromkeys(labels, 0.5),
        boycott_rules="none",
        accusation_rules="none",
        gripe_rules="none",
        long_posts=long_posts,
        version="h1",
        calibration={},  # none: a score is the sigmoid of the logit
    )
    # a window's embedding is its text's length; the head reads a length over 10 as an accusation
    accusing, friendly = [0.1, 0.1, 0.2, 0.9, 0.001], [0.9, 0.05, 0.05, 0.05, 0.05]

    def logits(x):
        probs = np.array([accusing if v > 10 else friendly for v in x[:, 0]])
        return np.log(probs / (1 - probs))

    head = SimpleNamespace(config=config, logits=logits)

    def embed_windows(texts, batch=32):  # a text "a b c" has one window per word
        words = [t.split() for t in texts]
        ids = [[len(w)] for ws in words for w in ws]
        owners = np.array([n for n, ws in enumerate(words) for _ in ws])
        windows = SimpleNamespace(
            ids=ids, owners=owners, tokens_read=[len(ws) for ws in words], capped=[False] * len(texts)
        )
        return np.array(ids, dtype=np.float32), windows  # fmt: skip

    encoder = SimpleNamespace(
        version="e1",
        precision="fp32",
        embed_windows=embed_windows,
        embed=lambda texts, batch=32: np.array([[len(t.split()[0])] for t in texts]),
    )
    return Classifier(encoder, head)


def test_the_classifier_reads_long_posts_as_its_config_says_and_names_it_in_its_version():
    first, windows = _stand_in("first"), _stand_in("windows")
    post = "fine nice thieves-and-crooks"
    assert first.predict([post])[0].label == "praise" and first.model_version == "h1+e1+fp32"
    read = windows.predict([post, "fine"])
    assert [p.label for p in read] == ["defamation", "praise"] and read[0].scores["praise"] == 0.1
    assert windows.model_version == "h1+long-windows+e1+fp32"
    with pytest.raises(ClassifierError, match="sets long_posts to 'all': it must be one of first, windows"):
        _stand_in("all")


@pytest.mark.parametrize(
    ("name", "legal_label"),
    [("he_accusation", "defamation"), ("en_accusation", "defamation"), ("en_call", "boycott")],
)
def test_an_accusation_or_a_call_at_the_end_of_a_long_post_reaches_legal_only_when_read_whole(
    windowed, name, legal_label
):
    whole, first = windowed
    text = PROBES[name]
    assert whole.predict([text])[0].scores[legal_label] >= 0.5
    assert first.predict([text])[0].scores[legal_label] < 0.5  # what the first 256 tokens alone miss


@pytest.mark.parametrize("name", ["he_story", "en_story"])
def test_the_long_stories_alone_do_not_reach_legal_when_read_whole(windowed, name):
    scores = windowed[0].predict([PROBES[name]])[0].scores
    assert scores["defamation"] < 0.5 and scores["boycott"] < 0.5
