import pytest

from classifiers.text import MAX_CHARS, clean, detect_language, has_content


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("השירות היה מזעזע", "he"),
        ("The service was awful", "en"),
        ("השירות פה is a joke, ממש בושה", "mixed"),
        ("🙂🙂🙂", "und"),
        ("", "und"),
        ("השירות היה גרוע ממש bad", "he"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_clean_removes_nul_and_lone_surrogates():
    result = clean("a\x00b\ud800c")
    assert result.text == "a b\ufffdc"
    assert result.notes == ("invalid Unicode (lone surrogates) replaced", "control characters removed")


def test_clean_caps_huge_text():
    result = clean("x" * 100_000)
    assert len(result.text) == MAX_CHARS
    assert result.notes == (f"text longer than {MAX_CHARS:,} characters: only the start was read",)


def test_clean_non_strings_and_whitespace():
    assert clean(None) == clean(None).__class__("", ("no text",))
    assert clean(42).text == "42"
    assert clean(" \t\u200f ").notes == ("no words to classify",)


def test_has_content():
    assert has_content("😡")
    assert has_content("5")
    assert not has_content(" \u200b\u200f ")
