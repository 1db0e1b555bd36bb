"""The CLI's human output and help in the terminal's language (issue 16, point 1 for the CLI): Hebrew with
``LANG=he_IL.UTF-8`` or ``REPMON_UI_LANGUAGE=he``, English on a ``C.UTF-8`` server; JSON the same in both."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from conftest import NOW, add_users, open_store

from monitor import i18n
from monitor.cli import common, main
from monitor.pipeline import run_pass

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*(?:[:!][^{}]*)?\}")
HEBREW = re.compile(r"[\u0590-\u05ff]")


# -- which language the CLI speaks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "explicit", "expected"),
    [
        ({"LANG": "he_IL.UTF-8"}, None, "he"),  # the terminal's locale names Hebrew
        ({"LANG": "en_US.UTF-8"}, None, "en"),
        ({"LANG": "C.UTF-8"}, None, "en"),  # a server's terminal
        ({"LANG": "POSIX"}, None, "en"),
        ({}, None, "en"),  # nothing set
        ({"LANG": "fr_FR.UTF-8"}, None, "en"),  # a locale the catalogue does not have: English
        ({"LANG": "iw_IL.UTF-8"}, None, "he"),  # Hebrew's old code
        ({"LANG": "he_IL.UTF-8", "LC_MESSAGES": "C"}, None, "en"),  # LC_MESSAGES before LANG
        ({"LANG": "C", "LC_MESSAGES": "he_IL.utf8"}, None, "he"),
        ({"LC_ALL": "he_IL.UTF-8", "LC_MESSAGES": "C", "LANG": "C"}, None, "he"),  # LC_ALL first
        ({"LC_ALL": "", "LANG": "he_IL"}, None, "he"),  # an empty variable is not set
        ({"LANG": "he_IL.UTF-8"}, "en", "en"),  # REPMON_UI_LANGUAGE set explicitly wins
        ({"LANG": "C.UTF-8"}, "he", "he"),
    ],
)
def test_terminal_language_follows_the_setting_then_the_locale_then_english(environ, explicit, expected):
    assert i18n.terminal_language(environ, explicit) == expected


def test_the_cli_reads_ui_language_only_when_it_is_set(monkeypatch):
    monkeypatch.setenv("LANG", "he_IL.UTF-8")
    assert common.language() == "he"  # REPMON_UI_LANGUAGE's default (he) is not a choice
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert common.language() == "en"  # ... so a server speaks English though the default is Hebrew
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "he")
    assert common.language() == "he"
    monkeypatch.setenv("LANG", "he_IL.UTF-8")
    monkeypatch.setenv("REPMON_UI_LANGUAGE", "en")
    assert common.language() == "en"


# -- the English words the CLI marks must not show in its Hebrew output ------------------------------------


def _cli_msgids() -> list[str]:
    """Every msgid marked in monitor/cli/ (singular and plural forms)."""
    found = []
    keywords = {"_": None, "n_": (1, 2), "N_": None}
    for path in sorted((ROOT / "monitor" / "cli").glob("*.py")):
        for _line, message, _comments, _context in extract_from_file("python", str(path), keywords=keywords):
            found.extend(m for m in (message if isinstance(message, tuple) else (message,)) if m)
    return found


@pytest.fixture(scope="module")
def english_fragments() -> set[str]:
    """The English words of the CLI's msgids that Hebrew translates: each run of text between
    placeholders that has a Latin word and is not kept as it is in the Hebrew (command names, flags and
    setting names are kept in Latin)."""
    he = i18n.gettext_for("he")
    fragments = set()
    for msgid in _cli_msgids():
        translated = he(msgid)
        if translated == msgid:
            continue
        for fragment in PLACEHOLDER.split(msgid):
            fragment = fragment.strip(" ,;:()[]")
            if len(fragment) >= 4 and re.search(r"[a-z]{3}", fragment) and fragment not in translated:
                fragments.add(fragment)
    assert len(fragments) > 150  # the CLI's words are in the catalogue
    return fragments


def _command_names() -> set[str]:
    """The names of the commands and their actions, which every language writes in Latin."""
    import argparse

    from monitor.cli import build_parser

    names: set[str] = set()
    todo = [build_parser("en")]
    while todo:
        for action in todo.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                names.update(action.choices)
                todo.extend(action.choices.values())
            elif action.choices:  # --role's and --platform's values, the actions of `repmon act`
                names.update(map(str, action.choices))
    return names


COMMAND_NAMES = _command_names()


def _english_in(text: str, fragments: set[str]) -> list[str]:
    """The fragments found in ``text``: a phrase anywhere, a single word as a whole word that is not a
    command's name."""
    return sorted(
        f
        for f in fragments
        if (" " in f and f in text)
        or (f not in COMMAND_NAMES and re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text))
    )


@pytest.fixture
def stocked(tmp_path, monkeypatch, make_mention, fake_classifier):
    """A database with two items, one assigned and with an audit trail, two users and a source."""
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(common, "now", lambda: NOW)
    store = open_store(tmp_path / "data")
    store.save_page(
        "t",
        [
            make_mention(external_id="1", text="the coffee was cold"),
            make_mention(external_id="2", text="great, thanks"),
        ],
        [],
        {},
        NOW,
    )
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, dana="manager", miri="legal")
    store.mark_source("brand-search", NOW, status="ok")
    from monitor import workflow

    workflow.assign(store, 1, "dana", "dana", NOW)
    return store


HUMAN = [["status"], ["queue"], ["queue", "--all"], ["item", "1"], ["user", "list"]]


@pytest.mark.parametrize("how", ["LANG", "REPMON_UI_LANGUAGE"])
@pytest.mark.parametrize("argv", HUMAN, ids=" ".join)
def test_human_output_is_hebrew(stocked, capsys, monkeypatch, english_fragments, how, argv):
    if how == "LANG":
        monkeypatch.setenv("LANG", "he_IL.UTF-8")
    else:
        monkeypatch.setenv("REPMON_UI_LANGUAGE", "he")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert HEBREW.search(out), out
    # a playbook's steps are the business's own text (playbooks/*.yaml), like a post's, and an item's
    # reasons were stored by triage when it was made (README, Languages): neither is the CLI's
    why = i18n.gettext_for("he")("why: {reasons}").split("{")[0]
    words = "\n".join(line for line in out.splitlines() if not line.startswith(("  [", why)))
    assert _english_in(words, english_fragments) == [], out


@pytest.mark.parametrize("argv", HUMAN, ids=" ".join)
def test_human_output_is_english_on_a_c_terminal(stocked, capsys, monkeypatch, argv):
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(argv) == 0
    out = capsys.readouterr().out
    words = "\n".join(line for line in out.splitlines() if not line.startswith("playbook: "))
    assert not HEBREW.search(words), out  # (the playbook line shows its Hebrew title beside the English)


def test_item_view_in_hebrew_names_statuses_labels_and_isolates_nothing_twice(stocked, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "he_IL.UTF-8")
    assert main(["item", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("פריט 1 [")
    assert "ציונים: " in out and "מסלול ביקורת:" in out and "מותר עכשיו:" in out
    assert i18n.label_name("complaint", "he") in out  # the label's one Hebrew name
    assert "מטפל: \u2068dana\u2069;" in out  # a Latin name in a Hebrew line is isolated (FSI ... PDI)
    assert "@\u2068someone\u2069 (120 עוקבים)" in out


def test_help_is_hebrew(capsys, monkeypatch, english_fragments):
    monkeypatch.setenv("LANG", "he_IL.UTF-8")
    for argv in (["--help"], ["queue", "--help"], ["user", "add", "--help"], ["digest", "--help"]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("שימוש: repmon") and "אפשרויות:" in out, out
        assert _english_in(out, english_fragments) == [], out
    monkeypatch.setenv("LANG", "C.UTF-8")
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: repmon") and "Social-media reputation monitor." in out


def test_json_outputs_are_the_same_in_both_languages(stocked, capsys, monkeypatch):
    outputs = {}
    for lang in ("he", "en"):
        monkeypatch.setenv("REPMON_UI_LANGUAGE", lang)
        got = []
        for argv in (["queue", "--json", "--all"], ["item", "1", "--json"]):
            assert main(argv) == 0
            got.append(capsys.readouterr().out)
        outputs[lang] = got
    assert outputs["he"] == outputs["en"]
    assert json.loads(outputs["he"][1])["label"] == "complaint"  # keys, not names


def _feed(good_id: str) -> bytes:
    """A Facebook feed page with one post and one without a creation time (skipped, named in the summary)."""
    return (
        b'{"data": [{"id": "%s", "message": "great service", "created_time": "2026-11-20T10:00:00+0000"},'
        b' {"id": "1_3", "message": "hi", "created_time": null}]}' % good_id.encode()
    )


def test_import_summary_is_json_in_both_languages_and_its_human_line_hebrew(
    tmp_path, capsys, monkeypatch, english_fragments
):
    monkeypatch.setattr(common, "now", lambda: NOW)
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    results = {}
    for lang, good_id in (("he", "1_2"), ("en", "1_4")):  # one database on PostgreSQL: a new post each
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "feed.json").write_bytes(_feed(good_id))
        monkeypatch.chdir(tmp_path / lang)
        monkeypatch.setenv("LANG", "he_IL.UTF-8" if lang == "he" else "C.UTF-8")
        code = main(["import", "--platform", "facebook", "--defer", "feed.json"])
        results[lang] = (code, *capsys.readouterr())
    (code_he, out_he, err_he), (code_en, out_en, err_en) = results["he"], results["en"]
    assert code_he == code_en == 1
    assert out_he == out_en and json.loads(out_he)["new_mentions"] == 1
    assert "repmon: 1 item skipped in 1 file; the rest were imported" in err_en
    # the importer's own line about the skipped post may stay English (README, Languages); the CLI's is Hebrew
    summary = err_he.splitlines()[-1]
    assert summary == "repmon: 1 פריט דולג ב-1 קובץ; השאר יובאו"
    assert _english_in(summary, english_fragments) == [], err_he


def test_workflow_and_user_messages_are_hebrew(stocked, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "he_IL.UTF-8")
    assert main(["assign", "2", "miri", "--by", "dana"]) == 0
    assert capsys.readouterr().out == "פריט 2: הוקצה ל-\u2068miri\u2069\n"
    assert main(["act", "2", "start", "--by", "dana"]) == 0
    assert capsys.readouterr().out == f"פריט 2: start ← {i18n.status_name('in_progress', 'he')}\n"
    assert main(["user", "disable", "miri"]) == 0
    assert capsys.readouterr().out == "המשתמש \u2068miri\u2069 הושבת\n"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["assign", "2", "dana", "--by", "dana"]) == 0
    assert capsys.readouterr().out == "item 2: assigned to dana\n"


def test_refusals_are_printed_in_the_terminals_language(stocked, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "he_IL.UTF-8")
    assert main(["act", "999", "start", "--by", "dana"]) == 2
    assert capsys.readouterr().err == "repmon: אין פריט \u2068999\u2069 בתור: ראו `repmon queue --all`\n"
    assert main(["act", "1", "review", "--by", "dana"]) == 2  # a legal-only action by a manager
    err = capsys.readouterr().err
    assert err == (
        "repmon: למשתמש \u2068dana\u2069 (מנהל/ת) אין הרשאה לכך (\u2068legal_review\u2069): "
        "נדרש התפקיד משפטית\n"
    )
    assert main(["act", "1", "review", "--by", "miri"]) == 2  # a state that does not allow it
    err = capsys.readouterr().err
    _ = i18n.gettext_for("he")
    new, review = i18n.status_name("new", "he"), _("Review")
    assert err.startswith(f"repmon: הפעולה „{review}” אינה אפשרית לפריט במצב {new}. "), err
    assert not re.search("[A-Za-z]{3,}", err.removeprefix("repmon:")), err  # statuses and actions by name
    monkeypatch.setenv("LANG", "C.UTF-8")  # English: the text as it always was
    assert main(["act", "999", "start", "--by", "dana"]) == 2
    assert capsys.readouterr().err == "repmon: no queue item 999: see `repmon queue --all`\n"
