"""Reply drafts: the post's language, the business's words, and nothing hostile from the post."""

import pytest

from playbooks.drafts import draft_language, render_draft, safe_name
from playbooks.engine import load_library

LIB = load_library()
CHANNELS = {"he": "בהודעה פרטית", "en": "a direct message"}


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("נועה כהן", "נועה כהן"),
        ("<script>alert(1)</script>", "script alert 1 script"),
        ("[click](http://evil.example)", "click"),
        ("**Dan** @everyone", "Dan everyone"),
        ("{contact}{business.__class__}", "contact business. class"),
        ("\u202egnp.exe\u200f", "gnp.exe"),
        ("x" * 100, "x" * 40),
        ("🙂🙂", ""),
        (None, ""),
    ],
)
def test_safe_name(name, safe):
    assert safe_name(name) == safe


def test_drafts_follow_the_post_language():
    assert (draft_language("en"), draft_language("he"), draft_language("mixed"), draft_language(None)) == (
        "en",
        "he",
        "he",
        "he",
    )
    he, lang = render_draft(LIB.playbooks["reply"], "he", "noa_k", "קפה לימון", CHANNELS, "*3000")
    assert lang == "he" and "noa k" in he and "בהודעה פרטית" in he and "{" not in he
    en, lang = render_draft(LIB.playbooks["thank"], "en", "Dan", "Cafe Limon", CHANNELS, "*3000")
    assert lang == "en" and en.startswith(LIB.playbooks["thank"].templates.en.split("{")[0]) and "Dan" in en


def test_hostile_author_cannot_inject_markup_or_placeholders():
    for playbook in LIB.playbooks.values():
        for lang in ("he", "en"):
            text, _ = render_draft(
                playbook, lang, "<b onmouseover=x>{contact}</b>[a](javascript:x)", "Cafe", CHANNELS, "*3000"
            )
            assert not any(ch in text for ch in "<>[]{}`"), (playbook.name, text)
            assert "javascript" not in text or "javascript x" in text


def test_every_demo_item_gets_a_draft_in_its_language_or_none_by_design():
    for playbook in LIB.playbooks.values():
        for lang in ("he", "en"):
            text, got = render_draft(playbook, lang, "Someone", "Cafe Limon", CHANNELS, "*3000")
            assert got == lang and (text or not getattr(playbook.templates, lang).strip())
