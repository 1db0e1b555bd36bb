"""The message catalogue: every marked string is in every language, nothing unused stays, translations keep
their placeholders, and the labels have one name per language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from monitor import i18n

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "n_": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*(?:[:!][^{}]*)?\}")


def _method_map() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    methods, options = [], {}
    section = None
    for raw in (ROOT / "babel.cfg").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            method, pattern = line[1:-1].split(":", 1)
            section = pattern.strip()
            methods.append((section, method.strip()))
            options[section] = {}
        elif section and "=" in line:
            key, value = line.split("=", 1)
            options[section][key.strip()] = value.strip()
    return methods, options


@pytest.fixture(scope="module")
def marked() -> set[str]:
    methods, options = _method_map()
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), methods, options, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        else:
            found.add(message)
    return found


def _catalog(language: str):
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "repmon.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_marked_string_is_in_the_catalogue_and_nothing_unused(marked, language):
    catalog = _catalog(language)
    ids = set()
    for message in catalog:
        if not message.id:
            continue
        ids.update(message.id if isinstance(message.id, tuple) else (message.id,))
    missing = sorted(marked - ids)
    unused = sorted(ids - marked)
    assert not missing, f"{language}: not in the catalogue (run scripts/i18n.sh and translate): {missing}"
    assert not unused, f"{language}: in the catalogue but used nowhere (run scripts/i18n.sh): {unused}"


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != "en"])
def test_every_entry_is_translated_and_keeps_its_placeholders(language):
    problems = []
    for message in _catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def test_labels_have_one_name_per_language():
    assert i18n.label_name("complaint", "he") == "תלונה"
    assert i18n.label_name("defamation", "he") == "לשון הרע"
    assert i18n.label_name("boycott", "he") == "קריאה לחרם"
    assert i18n.label_name("praise", "he") == "שבח"
    assert i18n.label_name("neutral", "he") == "ניטרלי"
    assert i18n.label_name("boycott", "en") == "Boycott call"
    assert i18n.label_name(None, "he") == "לא סווג"
    assert i18n.label_name("mystery", "he") == "mystery"


def test_unknown_language_falls_back_to_the_default_and_direction_follows():
    assert i18n.language_or_default("fr") == "he"
    assert i18n.direction("he") == "rtl"
    assert i18n.direction("en") == "ltr"
    assert i18n.gettext_for("xx")("Complaint") == "תלונה"


def test_dates_and_durations_are_localised_in_the_business_time_zone():
    moment = datetime(2026, 12, 6, 22, 30, tzinfo=UTC)
    tz = ZoneInfo("Asia/Jerusalem")
    # 22:30 UTC is already the 7th in Jerusalem.
    assert "7" in i18n.format_date(moment, "he", tz) and "בדצמ" in i18n.format_date(moment, "he", tz)
    assert i18n.format_time(moment, "en", tz) == "00:30"
    assert i18n.format_relative(-timedelta(hours=2), "he") == "לפני שעתיים"
    assert i18n.format_relative(timedelta(minutes=40), "en") == "in 40 minutes"
    assert i18n.format_duration(timedelta(hours=2), "he") == "שעתיים"
    assert i18n.format_number(12345, "en") == "12,345"


# -- the product's own errors in a reader's language ---------------------------------------------------


def test_an_error_from_a_template_is_english_in_str_and_translated_by_error_text():
    import pickle

    from monitor import workflow
    from monitor.errors import WorkflowError

    with pytest.raises(WorkflowError) as caught:
        workflow.next_state("awaiting_approval", "start")
    exc = caught.value
    assert str(exc) == (
        "cannot start an item that is awaiting_approval: allowed from awaiting_approval: respond, escalate, "
        "dismiss"
    )
    assert i18n.error_text(exc, "en") == str(exc)
    _ = i18n.gettext_for("he")
    waiting = i18n.status_name("awaiting_approval", "he")
    allowed = ", ".join(_(a) for a in ("Respond", "Escalate", "Dismiss"))
    assert i18n.error_text(exc, "he") == (
        f"הפעולה „{_('Start')}” אינה אפשרית לפריט במצב {waiting}. הפעולות האפשריות במצב {waiting}: {allowed}"
    )
    again = pickle.loads(pickle.dumps(exc))  # (a worker process hands errors back)
    assert str(again) == str(exc) and i18n.error_text(again, "he") == i18n.error_text(exc, "he")


def test_error_values_roles_choices_waits_and_names():
    from monitor.errors import AccessDenied, ConfigError, InputError, OneOf, Wait
    from monitor.users import User, check_name, require_permission

    with pytest.raises(AccessDenied) as caught:
        require_permission(User("dana", "owner"), "correct")
    assert str(caught.value) == "dana (owner) may not do this (correct): it needs the role manager or legal"
    assert i18n.error_text(caught.value, "he") == (
        "למשתמש \u2068dana\u2069 (בעלים) אין הרשאה לכך (\u2068correct\u2069): נדרש התפקיד מנהל/ת או משפטית"
    )
    template = (
        "Too many failed sign-ins: try again in {time}, or ask an administrator "
        "(`repmon user enable NAME` lifts a lockout)."
    )
    assert str(AccessDenied(template, time=Wait(seconds=40))).startswith(
        "Too many failed sign-ins: try again in 40 s,"
    )
    assert str(AccessDenied(template, time=Wait(seconds=250))).startswith(
        "Too many failed sign-ins: try again in 5 minutes,"
    )
    assert "בעוד 4 דקות" in i18n.error_text(AccessDenied(template, time=Wait(seconds=250)), "he")
    assert str(InputError("{a} and {b}", a=OneOf(["x", "y"]), b=["x", "y"])) == "x or y and x, y"
    with pytest.raises(InputError) as hostile:
        check_name("ab\u202ecd")  # a name's hidden characters are shown as markers, the name isolated
    shown = i18n.error_text(hostile.value, "he")
    assert "\u2068ab⟨U+202E⟩cd\u2069" in shown and "\u202e" not in shown
    plain = ConfigError("REPMON_X: {not a template}")  # a message that is not ours: as it is
    assert i18n.error_text(plain, "he") == str(plain) == "REPMON_X: {not a template}"
