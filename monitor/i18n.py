"""One message catalogue for every human-facing word repmon says: the dashboard, the digest, the alerts,
the evidence summary and the CLI's human output.

The catalogues are gettext ``.po`` files managed with Babel, one per language, in
``monitor/locale/<lang>/LC_MESSAGES/repmon.po``; the source strings (msgids) are English. The steps:

    bash scripts/i18n.sh      # pybabel extract (every marked string) and pybabel update (each .po)
    # then translate the new entries in each .po; a catalogue is compiled when first used (no .mo to keep)

Code marks a string with ``_ = gettext_for(lang)`` then ``_("Queue")``, a plural with
``n_ = ngettext_for(lang)`` then ``n_("{n} item", "{n} items", n).format(n=n)``, and a string
that must be translated later, at display time, with ``N_("...")``. Placeholders are ``{name}`` and are
filled after translation with ``.format(...)``. ``tests/test_i18n.py`` fails when a marked string is
missing from a catalogue, when a catalogue holds an entry no code uses, or when a translation loses a
placeholder. The product's errors are raised from ``N_`` templates and their values
(``raise WorkflowError(N_("no queue item {item_id}: ..."), item_id=7)``, see ``monitor/errors.py``) and
shown with ``error_text(exc, language)``.

Adding a language: copy ``monitor/locale/en`` to ``monitor/locale/<code>``, translate its ``.po``, and add
the code to ``LANGUAGES`` (and its direction to ``RTL_LANGUAGES`` if it is written right to left).
"""

from __future__ import annotations

import io
import string
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from monitor.text_safety import for_terminal

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "repmon"
# The interface languages, first the default. Adding one: a catalogue file and a line here.
LANGUAGES: tuple[str, ...] = ("he", "en")
DEFAULT_LANGUAGE = "he"
# Languages written right to left (interface and posts alike).
RTL_LANGUAGES: frozenset[str] = frozenset({"he", "iw", "ar", "fa", "ur", "yi"})  # iw: Hebrew's old code
# A post's detected language "mixed" is Hebrew with English words in it: read right to left.
MIXED = "mixed"


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue without translating it now (translate it where it is shown)."""
    return message


# The five labels' names, written once; every surface shows them through ``label_name``.
LABEL_NAMES: dict[str, str] = {
    "praise": N_("Praise"),
    "neutral": N_("Neutral"),
    "complaint": N_("Complaint"),
    "defamation": N_("Defamation"),
    "boycott": N_("Boycott call"),
}


def language_or_default(language: str | None) -> str:
    """``language`` when the interface has it, else the default (Hebrew)."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


# The variables that name a terminal's message language, in the order gettext reads them.
LOCALE_VARIABLES: tuple[str, ...] = ("LC_ALL", "LC_MESSAGES", "LANG")
# Old codes of the interface languages (a terminal may still say ``iw_IL``).
_OLD_CODES = {"iw": "he"}


def terminal_language(environ: Mapping[str, str], explicit: str | None = None) -> str:
    """The language a command line speaks: ``explicit`` (``REPMON_UI_LANGUAGE`` when it was set) if the
    interface has it; else the terminal's locale, the first of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG``
    that is set (gettext's order), when it names an interface language (``he_IL.UTF-8`` → ``he``); else
    English (a server's ``C.UTF-8`` or ``POSIX`` terminal)."""
    if explicit in LANGUAGES:
        return explicit
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
            code = _OLD_CODES.get(code, code)
            return code if code in LANGUAGES else "en"
    return "en"


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (English passes strings through)."""
    language = language_or_default(language)
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext_for(language: str | None) -> Callable[[str], str]:
    """The ``_`` of one language: ``_ = gettext_for("he"); _("Queue")`` → ``"תור"``."""
    return translations(language_or_default(language)).gettext


def ngettext_for(language: str | None) -> Callable[[str, str, int], str]:
    """The plural form of one language: ``n_("{n} item", "{n} items", n).format(n=n)``."""
    return translations(language_or_default(language)).ngettext


def label_name(label: str | None, language: str | None) -> str:
    """A label's name in ``language`` (``complaint`` → ``תלונה``); an unknown label is shown as it is."""
    _ = gettext_for(language)
    if label is None:
        return _("Unclassified")
    source = LABEL_NAMES.get(label)
    return _(source) if source else label


# The queue statuses, playbooks and platforms, named once for every surface (``status_name``).
STATUS_NAMES: dict[str, str] = {
    "new": N_("new"),
    "in_progress": N_("in progress"),
    "awaiting_approval": N_("awaiting approval"),
    "responded": N_("responded"),
    "resolved": N_("resolved"),
    "escalated": N_("escalated to legal"),
    "legal_review": N_("legal review"),
    "decided": N_("decided"),
    "closed": N_("closed"),
    "dismissed": N_("dismissed"),
    "escalate_legal": N_("escalate to legal"),
    "crisis": N_("crisis response"),
    "ok": N_("ok"),
    "failing": N_("failing"),
    "rate_limited": N_("rate limited"),
    "x": N_("X"),
    "facebook": N_("Facebook"),
}


def status_name(key: str | None, language: str | None) -> str:
    """The name of a queue status, a playbook, a source status or a platform in ``language``
    (``legal_review`` → ``בבדיקה משפטית``); an unknown key is shown with spaces for underscores."""
    source = STATUS_NAMES.get(key or "")
    return gettext_for(language)(source) if source else (key or "").replace("_", " ")


def direction(language: str | None) -> str:
    """``rtl`` or ``ltr``: the direction of the interface in ``language``."""
    return "rtl" if language_or_default(language) in RTL_LANGUAGES else "ltr"


def text_direction(text: str, language: str | None = None) -> str:
    """``rtl`` or ``ltr`` for a piece of text from outside (a post, a handle): from its language when
    known (right-to-left languages and ``mixed`` Hebrew-English posts are ``rtl``), else from its first
    strong letter, as ``dir="auto"`` would (not every mail client has it)."""
    if language in RTL_LANGUAGES or language == MIXED:
        return "rtl"
    if language == "en":
        return "ltr"
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _locale(language: str | None) -> Locale:
    return Locale.parse(language_or_default(language))


def format_datetime(moment: datetime, language: str | None, tz: tzinfo, style: str = "medium") -> str:
    """``moment`` in the business's time zone, written the way ``language`` writes dates and times."""
    return babel_dates.format_datetime(moment, format=style, tzinfo=tz, locale=_locale(language))


def format_date(moment: datetime, language: str | None, tz: tzinfo, style: str = "medium") -> str:
    """The date of ``moment`` in the business's time zone (``6 Dec 2026``, ``6 בדצמ׳ 2026``)."""
    local = moment.astimezone(tz) if moment.tzinfo else moment
    return babel_dates.format_date(local.date(), format=style, locale=_locale(language))


def format_time(moment: datetime, language: str | None, tz: tzinfo) -> str:
    """The time of ``moment`` in the business's time zone (``14:05``)."""
    return babel_dates.format_time(moment, format="HH:mm", tzinfo=tz, locale=_locale(language))


def format_duration(delta: timedelta, language: str | None, threshold: float = 0.85) -> str:
    """A rounded span of time in words: ``2 hours``, ``שעתיים``, ``40 minutes``."""
    return babel_dates.format_timedelta(abs(delta), threshold=threshold, locale=_locale(language))


def format_span(seconds: float, language: str | None) -> str:
    """A measured span exact to the minute, in the catalogue's short units: ``3h05m``, ``2d4h``, ``45m``
    (``3 שע׳ 05 דק׳`` in Hebrew); negative with a minus sign."""
    _ = gettext_for(language)
    sign, s = ("-" if seconds < 0 else ""), abs(int(seconds))
    if s >= 86400:
        return sign + _("{days}d{hours}h").format(days=s // 86400, hours=(s % 86400) // 3600)
    if s >= 3600:
        return sign + _("{hours}h{minutes:02d}m").format(hours=s // 3600, minutes=(s % 3600) // 60)
    return sign + _("{minutes}m").format(minutes=s // 60)


def format_relative(delta: timedelta, language: str | None) -> str:
    """A span relative to now: a negative ``delta`` is past (``2 hours ago``, ``לפני שעתיים``), a positive
    one is future (``in 40 minutes``, ``בעוד 40 דקות``)."""
    return babel_dates.format_timedelta(delta, add_direction=True, locale=_locale(language))


def format_number(value: float, language: str | None) -> str:
    """A number with the grouping of ``language`` (``12,345``)."""
    return babel_numbers.format_decimal(value, locale=_locale(language))


def format_percent(value: float, language: str | None) -> str:
    """A share as a percentage (``0.25`` → ``25%``)."""
    return babel_numbers.format_percent(value, locale=_locale(language))


# The roles, workflow actions and legal decisions, named once for every surface (the dashboard too).
ROLE_NAMES: dict[str, str] = {"manager": N_("manager"), "legal": N_("legal"), "owner": N_("owner")}
ACTION_NAMES: dict[str, str] = {
    "start": N_("Start"),
    "submit": N_("Submit"),
    "respond": N_("Respond"),
    "escalate": N_("Escalate"),
    "review": N_("Review"),
    "decide": N_("Decide"),
    "resolve": N_("Resolve"),
    "close": N_("Close"),
    "dismiss": N_("Dismiss"),
}
DECISION_NAMES: dict[str, str] = {
    "no_action": N_("no action"),
    "notice_sent": N_("notice sent"),
    "takedown_requested": N_("takedown requested"),
    "lawsuit": N_("lawsuit"),
}


def _named(names: dict[str, str]) -> Callable[[str, str], str]:
    def name(code: str, language: str) -> str:
        source = names.get(code)
        return gettext_for(language)(source) if source else code.replace("_", " ")

    return name


# How an error message's values are shown in a reader's language, by the placeholder's name; any other
# value (a user name, an item id, a file) is shown as it is, isolated in a right-to-left language.
_ERROR_VALUES: dict[str, Callable[[str, str], str]] = {
    "label": lambda code, language: label_name(code, language),
    "labels": lambda code, language: label_name(code, language),
    "state": status_name,
    "playbook": status_name,
    "platform": status_name,
    "role": _named(ROLE_NAMES),
    "roles": _named(ROLE_NAMES),
    "holders": _named(ROLE_NAMES),
    "action": _named(ACTION_NAMES),
    "actions": _named(ACTION_NAMES),
    "allowed": _named(ACTION_NAMES),
    "decision": _named(DECISION_NAMES),
    "decisions": _named(DECISION_NAMES),
}


# How a list of values is joined in a message: all of them, or one of them.
_ALL_OF = N_(", ")
_ONE_OF = N_(" or ")


class _Shown(str):
    """A value already written for the reader: its ``!r`` in the template is not applied."""


class _ErrorFormatter(string.Formatter):
    def convert_field(self, value: object, conversion: str | None) -> object:
        return value if isinstance(value, _Shown) else super().convert_field(value, conversion)


def _error_value(key: str, value: object, language: str) -> object:
    from monitor.errors import OneOf  # (monitor.errors imports nothing of the interface)

    if isinstance(value, timedelta):
        return _Shown(format_duration(value, language))
    if isinstance(value, list | tuple):
        shown = [str(_error_value(key, v, language)) for v in value]
        joiner = gettext_for(language)(_ONE_OF if isinstance(value, OneOf) else _ALL_OF)
        return _Shown(joiner.join(shown))
    named = _ERROR_VALUES.get(key)
    if named is not None and isinstance(value, str):
        return _Shown(named(value, language))
    text = for_terminal(str(value))
    return _Shown(f"\u2068{text}\u2069" if direction(language) == "rtl" else text)


def error_text(exc: BaseException, language: str | None) -> str:
    """What ``exc`` says, in ``language``: an error raised from a catalogue template (``MonitorError``'s
    ``template`` and ``values``) is translated, its labels, statuses, roles, actions and decisions shown by
    their names and other values (names, ids) isolated in a right-to-left language; in English, and for
    an error raised with a plain message (a platform's, a driver's), it is ``str(exc)``."""
    language = language_or_default(language)
    template, values = getattr(exc, "template", None), getattr(exc, "values", None)
    if language == "en" or not isinstance(template, str) or not template:
        return str(exc)
    translated = gettext_for(language)(template)
    if not values:
        return translated
    shown = {key: _error_value(key, value, language) for key, value in values.items()}
    return _ErrorFormatter().format(translated, **shown)
