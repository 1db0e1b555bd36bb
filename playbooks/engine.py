"""Playbooks and rules as YAML a business can edit, and the small engine that picks one.

``load_library(directory)`` reads every ``*.yaml`` playbook and ``rules.yaml``, validates them and reports
any error with its file, line and field. ``LibraryHolder`` keeps the last good library in force when an
edited file is broken, so the running monitor never goes down over a typo.
"""

from __future__ import annotations

import io
import re
import string
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

# A playbook or rules file is invalid; the message names file, line and field. One class, in repmon's tree.
from monitor.errors import PlaybookError as PlaybookError
from monitor.vocabulary import Label, Role

DEFAULT_DIR = Path(__file__).parent
PLACEHOLDERS = frozenset({"author", "business", "channel", "contact"})
REQUIRED = ("reply", "apologize", "escalate_legal", "thank", "monitor", "crisis")
LABELS: tuple[Label, ...] = tuple(Label)  # classifiers.LABELS, as monitor.vocabulary's enum


# The longest first-response time a playbook may set: a longer one is a typo, and one past timedelta's
# range (99999999999999h) raised OverflowError instead of a PlaybookError naming the file and line.
MAX_SLA = timedelta(days=365)


def _duration(value: str) -> timedelta:
    m = re.fullmatch(r"(\d+)(m|h)", str(value).strip())
    if not m:
        raise ValueError(f"{value!r} is not a duration like 30m or 4h")
    n = int(m.group(1))
    minutes = n if m.group(2) == "m" else n * 60
    if minutes > MAX_SLA.total_seconds() // 60:
        raise ValueError(f"{value!r} is longer than a year (at most 8760h)")
    return timedelta(minutes=minutes)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    he: str
    en: str


class Sla(_Strict):
    own_page: str
    elsewhere: str

    @field_validator("own_page", "elsewhere")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        _duration(value)
        return value


class Guidance(_Strict):
    """A playbook's words for people in one more language (``he:`` in the YAML): when it applies, its
    steps, do and don't. The steps, when given, are as many as the English ones (a ticked step is one
    number in both)."""

    applies_when: str | None = None
    steps: list[str] | None = None
    do: list[str] | None = None
    dont: list[str] | None = None


@dataclass(frozen=True)
class Shown:
    """What the dashboard shows of a playbook in one language."""

    title: str
    applies_when: str
    steps: list[str]
    do: list[str]
    dont: list[str]


class Playbook(_Strict):
    """What to do about an item: ordered steps, who owns it, how fast, and reply templates. The
    ``applies_when``, ``steps``, ``do`` and ``dont`` fields are English; ``he`` holds them in Hebrew.

    ``legal: true`` makes the playbook a legal one: its items go to legal review (the legal page, the
    digest's open-legal section) and their evidence is preserved (X quotes of the post are watched).
    ``owner`` stays who leads: the crisis playbook is legal, and led by the owner."""

    name: str
    title: Bilingual
    applies_when: str
    owner: Role
    legal: StrictBool = False
    sla: Sla
    steps: list[str] = Field(min_length=1)
    templates: Bilingual
    do: list[str]
    dont: list[str]
    he: Guidance | None = None

    @model_validator(mode="after")
    def _same_steps(self) -> Playbook:
        if self.he and self.he.steps is not None and len(self.he.steps) != len(self.steps):
            raise ValueError(
                f"he.steps has {len(self.he.steps)} steps and steps has {len(self.steps)}: "
                "give each step in both languages"
            )
        return self

    def shown(self, language: str) -> Shown:
        """The playbook's title and guidance in ``language`` (Hebrew where the YAML has it, else English)."""
        other = self.he if language == "he" and self.he else Guidance()
        return Shown(
            title=self.title.he if language == "he" else self.title.en,
            applies_when=other.applies_when or self.applies_when,
            steps=other.steps or self.steps,
            do=other.do or self.do,
            dont=other.dont or self.dont,
        )

    @field_validator("templates")
    @classmethod
    def _placeholders(cls, value: Bilingual) -> Bilingual:
        for lang in ("he", "en"):
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(getattr(value, lang)) if f is not None}
            except ValueError as exc:
                raise ValueError(f"{lang}: {exc}") from None
            unknown = names - PLACEHOLDERS
            if unknown:
                raise ValueError(
                    f"{lang}: unknown placeholder(s) {', '.join('{' + n + '}' for n in sorted(unknown))}; "
                    f"allowed: {', '.join('{' + n + '}' for n in sorted(PLACEHOLDERS))}"
                )
        return value

    def sla_for(self, own_page: bool) -> timedelta:
        return _duration(self.sla.own_page if own_page else self.sla.elsewhere)


class Condition(_Strict):
    """All given conditions must hold; an empty condition always matches."""

    label: list[Label] | None = None
    score_at_least: dict[Label, float] | None = None
    virality_at_least: float | None = None
    followers_at_least: int | None = None
    own_page: bool | None = None
    confirmed: bool | None = None


class Rule(_Strict):
    name: str
    when: Condition = Condition()
    playbook: str
    priority_boost: float = 0.0


class Rules(_Strict):
    rules: list[Rule] = Field(min_length=1)


@dataclass(frozen=True)
class Facts:
    """What the rules look at for one item."""

    label: str
    scores: dict[str, float]
    virality: float
    followers: int | None
    own_page: bool
    confirmed: bool = False


def matches(cond: Condition, f: Facts) -> bool:
    if cond.label is not None and f.label not in cond.label:
        return False
    if cond.score_at_least is not None and not any(
        f.scores.get(lab, 0.0) >= t for lab, t in cond.score_at_least.items()
    ):
        return False
    if cond.virality_at_least is not None and f.virality < cond.virality_at_least:
        return False
    if cond.followers_at_least is not None and (f.followers or 0) < cond.followers_at_least:
        return False
    if cond.own_page is not None and f.own_page != cond.own_page:
        return False
    return not (cond.confirmed is not None and f.confirmed != cond.confirmed)


@dataclass(frozen=True)
class Library:
    """The playbooks by name and the ordered rules; ``choose`` picks the first rule that matches."""

    playbooks: dict[str, Playbook]
    rules: tuple[Rule, ...]

    @property
    def legal_playbooks(self) -> tuple[str, ...]:
        """The names of the playbooks whose YAML says ``legal: true``: the required ones in their order
        (``escalate_legal``, ``crisis``), then the others by name."""
        order = {name: i for i, name in enumerate(REQUIRED)}
        names = sorted(self.playbooks, key=lambda name: (order.get(name, len(order)), name))
        return tuple(name for name in names if self.playbooks[name].legal)

    def choose(self, facts: Facts) -> tuple[Playbook, Rule | None]:
        for rule in self.rules:
            if matches(rule.when, facts):
                return self.playbooks[rule.playbook], rule
        # Never ignore a post: with no matching rule it is still monitored.
        return self.playbooks["monitor"], None


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The line (1-based) of the YAML node at a validation error's location, as near as it exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        else:
            child = None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.safe_load``, but a mapping that holds a key twice (two ``steps:``) is a ``PlaybookError``
    naming file, line and key, instead of PyYAML silently keeping the last. The file is the stream's name."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: dict[object, yaml.Mark] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base` is overridden by design
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the constructor below names it
                continue
            if first is not None:
                again = key_node.start_mark
                raise PlaybookError(
                    f"{again.name}:{again.line + 1}: {key}: appears twice in one mapping (first on line "
                    f"{first.line + 1}); only the last would be read: keep one"
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


_Model = TypeVar("_Model", bound=BaseModel)


def _load(path: Path, model: type[_Model]) -> _Model:
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        stream = io.StringIO(text)
        stream.name = str(path)  # the file a key given twice is named by (_UniqueKeyLoader)
        data = yaml.load(stream, Loader=_UniqueKeyLoader)  # a SafeLoader that refuses a key twice
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PlaybookError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PlaybookError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after")))
            field = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(node, loc)
            problems.append(f"{path}:{line or '?'}: {field}: {err['msg']}")
        raise PlaybookError("\n".join(problems)) from None


def load_library(directory: Path | str = DEFAULT_DIR) -> Library:
    """Read and validate every playbook and the rules in ``directory``."""
    directory = Path(directory)
    playbooks: dict[str, Playbook] = {}
    errors: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "rules.yaml":
            continue
        try:
            pb = _load(path, Playbook)
        except PlaybookError as exc:
            errors.append(str(exc))
            continue
        if pb.name != path.stem:
            errors.append(f"{path}:1: name: {pb.name!r} must match the file name {path.stem!r}")
            continue
        playbooks[pb.name] = pb
    missing = [name for name in REQUIRED if name not in playbooks]
    if missing and not errors:
        errors.append(f"{directory}: missing playbook(s) {', '.join(missing)}")
    rules: Rules | None = None
    try:
        rules = _load(directory / "rules.yaml", Rules)
    except PlaybookError as exc:
        errors.append(str(exc))
    if rules is not None and not errors:  # with a broken playbook, its rules would only repeat the error
        for i, rule in enumerate(rules.rules):
            if rule.playbook not in playbooks:
                errors.append(
                    f"{directory / 'rules.yaml'}: rules.{i}.playbook: unknown playbook {rule.playbook!r}"
                )
    if errors or rules is None:
        raise PlaybookError("\n".join(errors))
    return Library(playbooks, tuple(rules.rules))


class LibraryHolder:
    """Holds the library in force; a reload that fails keeps the last good one and says why."""

    def __init__(self, directory: Path | str = DEFAULT_DIR) -> None:
        self.directory = Path(directory)
        self.library = load_library(self.directory)
        self.last_error: str | None = None

    def reload(self) -> str | None:
        """Load again; returns the error (and keeps the previous library) if the files are broken."""
        try:
            self.library = load_library(self.directory)
            self.last_error = None
        except PlaybookError as exc:
            self.last_error = f"{exc}\n(the last good playbooks stay in force)"
        return self.last_error
