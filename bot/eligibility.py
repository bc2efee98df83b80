"""The eligibility self-check: a pure state machine, `state + input -> new state + reply`.

The state is plain JSON-serialisable data, so a half-finished check survives a restart. Every word the
user sees comes from knowledge/eligibility.yaml; the dialogue's diagram is eligibility.mmd beside this file.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

from .replies import Button, Reply
from .textnorm import plain
from .yamlfile import LineDict, LineList, Problem

ELIGIBILITY_ACTION_PREFIX = "elig:"
MAX_YEARS = 50
MESSAGE_LIMIT = 4096  # Telegram's limit for one message; the verdict must fit in one
UNSURE = "unsure"

StepKind = Literal["yes_no", "years", "choice"]
Group = Literal["essential", "desirable", "commitment"]
State = dict[str, Any]

_KINDS = ("choice", "years", "yes_no")
_GROUPS = ("essential", "desirable", "commitment")  # also the order the steps must come in
_RULE_SHAPES = {
    "years": ("at_least", "{at_least: <years>}"),
    "choice": ("one_of", "{one_of: [<choice values>]}"),
    "yes_no": ("equals", '{equals: "yes"} or {equals: "no"}'),
}
_CONTROLS = ("back", "restart", "cancel")
_BUTTONS = ("yes", "no", UNSURE, *_CONTROLS)
# Typed words, besides the buttons: "what counts?" explains the question without answering it.
_EXPLAIN = "explain"
_ANSWER_WORD_NAMES = (*_BUTTONS, _EXPLAIN)
_TOP_FIELDS = {"source", "buttons", "answer_words", "messages", "steps"}
_STEP_TEXT = ("id", "group", "kind", "question", "criterion", "asks", "what_counts", "advice", "quote")
_STEP_FIELDS = {*_STEP_TEXT, "rule", "noted", "answer_words", "choices"}
_CHOICE_FIELDS = {"value", "label", "words", "covers"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_SOURCES_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
_MAX_ANSWER_CHARS = 500  # longer text is never read as an answer

# Each message the engine shows, with exactly the {placeholders} it fills in.
_MESSAGES: dict[str, frozenset[str]] = {
    "intro": frozenset({"total"}),
    "progress": frozenset({"number", "total"}),
    "noted_generic": frozenset({"criterion", "answer"}),
    "noted_end": frozenset(),
    "unsure_noted": frozenset({"what_counts"}),
    "explain": frozenset({"what_counts"}),
    "no_earlier_question": frozenset(),
    "reask_choice": frozenset({"options"}),
    "reask_years": frozenset(),
    "reask_years_range": frozenset({"max"}),
    "reask_years_estimate": frozenset(),
    "years_answer": frozenset({"years"}),
    "years_answer_one": frozenset({"years"}),
    "cancelled": frozenset(),
    "restarted": frozenset(),
    "verdict_heading": frozenset(),
    "all_essential_met": frozenset(),
    "some_essential_unsure": frozenset({"met", "total"}),
    "unmet_heading": frozenset({"count", "total"}),
    "unmet_item": frozenset({"criterion", "asks", "answer", "advice"}),
    "unsure_heading": frozenset(),
    "unsure_item": frozenset({"criterion", "what_counts"}),
    "commitments_heading": frozenset(),
    "commitment_item": frozenset({"criterion", "advice"}),
    "desirable_count": frozenset({"met", "total"}),
    "desirable_missing": frozenset({"missing"}),
    "next_steps": frozenset(),
}


# English grammar the parser needs, not curated content: the answers themselves are in the YAML.
def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_NEGATIONS = _wordset(
    "not no never none nor neither nothing dont doesnt didnt havent hasnt hadnt isnt arent wasnt werent "
    "cant cannot couldnt wont wouldnt shouldnt aint"
)
_PRONOUNS = _wordset("i im ive id ill my me we were weve our they theyd theyre theyve it its")
_FIRST_PERSON = _wordset("i im ive id ill my me myself")
_QUESTION_WORDS = _wordset("how what when where why who which is are do does did can could should will would")
_RULE_WORDS = _wordset("need needs require required requirement requirements minimum least must")
_UNITS = _wordset("year years yr yrs month months mth mths")
_NUMBER_WORDS = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50,
}  # fmt: skip
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: n for n, m in enumerate(_MONTH_NAMES, start=1)}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b")
_COMPOUND = re.compile(r"\b(twenty|thirty|forty)[ -](one|two|three|four|five|six|seven|eight|nine)\b")
_HALF = r"\s+and\s+a\s+half"
_COMPONENT = re.compile(
    rf"\b(?P<num>\d+(?:\.\d+)?|an?(?=\s))(?P<half>{_HALF})?\s*(?P<unit>years?|yrs?|y|months?|mths?)\b(?P<half2>{_HALF})?"
)
_SINCE = re.compile(
    r"\b(?:since|started|start|began|from)\b(?:\s+[a-z]+){0,4}?\s+"
    r"(?:(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+)?(?P<year>(?:19|20)\d\d)\b"
)
_ESTIMATE = re.compile(
    r"\b(?:less than|fewer than|under|nearly|almost|not quite|just under|below|not even)\s+(?:\d|an?\s+(?:year|month))"
    r"|\d\s*(?:-|to|or)\s*\d"
)
_NEGATIVE = re.compile(r"(?:^|\s)-\s*\d")
_FILLER = re.compile(
    r"\b(?:just over|over|more than|at least|or more|plus|about|around|roughly|approximately|approx|just|"
    r"i think|maybe|probably|i have|ive)\b"
)
_BARE = re.compile(rf"(?P<num>\d+(?:\.\d+)?)(?P<half>{_HALF})?(?:\s*ish)?")


def _words(text: str) -> str:
    """Lower-case words joined by single spaces; apostrophes, punctuation and emoji dropped."""
    return " ".join(re.findall(r"[a-z0-9]+", plain(text).lower().replace("'", "")))


def _has(words: str, phrase: str) -> bool:
    return f" {phrase} " in f" {words} "


def _is_question(text: str) -> bool:
    """A question put instead of an answer ("is it free?"); short replies such as "yes?" are answers."""
    tokens = _words(text).split()
    asks = bool(tokens) and tokens[0] in _QUESTION_WORDS
    return ("?" in text and (asks or len(tokens) > 3)) or (asks and len(tokens) > 3)


def _quote_form(text: str) -> str:
    """How a quote is found in its source: whitespace collapsed, quotes straightened, bullets dropped."""
    return plain(text.replace("•", " "))


@dataclass(frozen=True)
class Choice:
    """One option of a choice step; `covers` names the options a "both" option stands for."""

    value: str
    label: str
    words: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One question of the self-check, with its rule and what to say about it."""

    id: str
    group: Group
    kind: StepKind
    question: str
    criterion: str
    asks: str
    what_counts: str
    advice: str
    quote: str
    passing: tuple[str, ...] = ()  # yes_no and choice: the answers that meet the criterion
    min_years: float = 0.0  # years: the least that meets the criterion
    choices: tuple[Choice, ...] = ()
    noted: str = ""
    answer_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def is_met(self, value: Any) -> bool | None:
        """True or False once answered; None for "not sure" or no answer."""
        if value is None or value == UNSURE:
            return None
        if self.kind == "years":
            return float(value) >= self.min_years
        return value in self.passing

    def accepts(self, value: Any) -> str | float | None:
        """The answer in its stored form, or None if it is not a valid answer to this step."""
        if value == UNSURE:
            return UNSURE
        if self.kind == "years":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_YEARS:
                return None
            return float(value)
        valid = ("yes", "no") if self.kind == "yes_no" else tuple(c.value for c in self.choices)
        return value if isinstance(value, str) and value in valid else None


@dataclass(frozen=True)
class Criteria:
    """The whole self-check as loaded from eligibility.yaml: steps in order, and every word it shows."""

    steps: tuple[Step, ...]
    messages: Mapping[str, str]
    buttons: Mapping[str, str]
    answer_words: Mapping[str, tuple[str, ...]]

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)


@dataclass(frozen=True)
class StepResult:
    state: State | None  # None once the dialogue has ended (verdict given, or cancelled)
    reply: Reply
    understood: bool  # False when the text was not a valid answer; the reply is then a polite re-ask
    finished: bool = False  # a verdict was given
    cancelled: bool = False


# --- Reading eligibility.yaml ---------------------------------------------------------------------------


class _Checker:
    """Collects problems while reading the file, so a bad file reports everything at once."""

    def __init__(self, file_name: str, problems: list[Problem]) -> None:
        self.file_name = file_name
        self.problems = problems

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file_name, line, message))

    def mapping(self, value: Any, line: int, what: str) -> LineDict | None:
        if not isinstance(value, LineDict):
            self.problem(line, f"{what} must be a mapping")
            return None
        return value

    def text(self, data: LineDict, key: str, *, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(data.line, f"missing required field '{key}'")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(data.line_of(key), f"'{key}' must be non-empty text")
            return None
        return value.strip()

    def unknown_keys(self, data: LineDict, allowed: set[str] | frozenset[str], what: str = "field") -> None:
        for key in data:
            if key not in allowed:
                hint = " (quote yes and no)" if key in ("True", "False") else ""
                self.problem(
                    data.line_of(key), f"unknown {what} '{key}'{hint} (allowed: {', '.join(sorted(allowed))})"
                )

    def phrases(self, value: Any, line: int, what: str) -> tuple[str, ...]:
        """A list of words or phrases, each normalised as typed text is."""
        if not isinstance(value, LineList) or not value:
            self.problem(line, f"{what} must be a non-empty list of words")
            return ()
        found: list[str] = []
        for item, item_line in zip(value, value.item_lines, strict=True):
            if isinstance(item, bool):
                self.problem(
                    item_line, f'{what}: write "yes" and "no" in quotes, or YAML reads them as true/false'
                )
            elif not isinstance(item, str) or not _words(item):
                self.problem(item_line, f"{what}: {item!r} is not a word or phrase")
            else:
                found.append(_words(item))
        return tuple(found)

    def placeholders(self, text: str, line: int, what: str, allowed: frozenset[str], *, exact: bool) -> None:
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            self.problem(line, f"{what} has a broken {{placeholder}}: {exc}")
            return
        if (used != allowed) if exact else not used <= allowed:
            want = ", ".join(f"{{{p}}}" for p in sorted(allowed)) or "no placeholders"
            self.problem(line, f"{what} must use {want}" if exact else f"{what} may only use {want}")


def parse_criteria(
    data: Any, file_name: str, problems: list[Problem], sources_dir: Path = DEFAULT_SOURCES_DIR
) -> Criteria | None:
    """Read eligibility.yaml (as loaded by bot.yamlfile); append every problem found as `file:line: message`."""
    check = _Checker(file_name, problems)
    start = len(problems)
    if not isinstance(data, LineDict):
        check.problem(1, f"the file must be a mapping with {', '.join(sorted(_TOP_FIELDS))}")
        return None
    check.unknown_keys(data, _TOP_FIELDS)
    source_text = _read_source(check, data, sources_dir)
    buttons = _read_texts(check, data, "buttons", dict.fromkeys(_BUTTONS, frozenset()))
    messages = _read_texts(check, data, "messages", _MESSAGES)
    answer_words = _read_answer_words(check, data)
    steps = _read_steps(check, data, source_text)
    if len(problems) > start:
        return None
    criteria = Criteria(tuple(steps), messages, buttons, answer_words)
    longest = _longest_verdict(criteria)
    if longest > MESSAGE_LIMIT:
        check.problem(
            data.line_of("steps"), f"the verdict can be {longest} characters; Telegram allows {MESSAGE_LIMIT}"
        )
        return None
    return criteria


def _read_source(check: _Checker, data: LineDict, sources_dir: Path) -> str:
    source = check.text(data, "source")
    if source is None:
        return ""
    try:
        return _quote_form((sources_dir / source).read_text(encoding="utf-8"))
    except OSError:
        check.problem(data.line_of("source"), f"source document 'sources/{source}' not found")
        return ""


def _read_texts(
    check: _Checker, data: LineDict, key: str, required: Mapping[str, frozenset[str]]
) -> dict[str, str]:
    """A mapping of name to text (buttons, messages), each with exactly its placeholders."""
    what = key[:-1]
    section = check.mapping(data.get(key), data.line_of(key), f"'{key}'")
    if section is None:
        return {}
    check.unknown_keys(section, set(required), what)
    texts: dict[str, str] = {}
    for name, placeholders in required.items():
        if name not in section:
            check.problem(section.line, f"missing {what} '{name}'")
            continue
        value, line = section[name], section.line_of(name)
        if not isinstance(value, str) or not value.strip():
            check.problem(line, f"{what} '{name}' must be non-empty text")
            continue
        check.placeholders(value, line, f"{what} '{name}'", placeholders, exact=True)
        texts[name] = value.strip()
    return texts


def _read_answer_words(check: _Checker, data: LineDict) -> dict[str, tuple[str, ...]]:
    section = check.mapping(data.get("answer_words"), data.line_of("answer_words"), "'answer_words'")
    if section is None:
        return {}
    check.unknown_keys(section, set(_ANSWER_WORD_NAMES), "answer")
    words: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name in _ANSWER_WORD_NAMES:
        if name not in section:
            check.problem(section.line, f"missing answer words for '{name}'")
            continue
        words[name] = check.phrases(section[name], section.line_of(name), f"answer words for '{name}'")
        for phrase in words[name]:
            if owner.setdefault(phrase, name) != name:
                check.problem(
                    section.line_of(name), f"'{phrase}' is listed under both '{owner[phrase]}' and '{name}'"
                )
    return words


def _read_steps(check: _Checker, data: LineDict, source_text: str) -> list[Step]:
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, LineList) or not raw_steps:
        check.problem(data.line_of("steps"), "'steps' must be a non-empty list")
        return []
    steps: list[Step] = []
    for raw, line in zip(raw_steps, raw_steps.item_lines, strict=True):
        step = _read_step(check, raw, line, source_text)
        if step is None:
            continue
        if any(s.id == step.id for s in steps):
            check.problem(line, f"duplicate step id '{step.id}'")
        if steps and _GROUPS.index(step.group) < _GROUPS.index(steps[-1].group):
            check.problem(
                line,
                f"step '{step.id}' ({step.group}) comes after a {steps[-1].group} step; "
                f"keep the groups in this order: {', '.join(_GROUPS)}",
            )
        steps.append(step)
    if steps and not any(s.group == "essential" for s in steps):
        check.problem(raw_steps.line, "there must be at least one essential step")
    return steps


def _read_step(check: _Checker, raw: Any, line: int, source_text: str) -> Step | None:
    data = check.mapping(raw, line, "a step")
    if data is None:
        return None
    check.unknown_keys(data, _STEP_FIELDS)
    values = {key: check.text(data, key) for key in _STEP_TEXT}
    kind, group, step_id, quote = values["kind"], values["group"], values["id"], values["quote"]
    ok = True
    if step_id is not None and not _ID.match(step_id):
        check.problem(data.line_of("id"), f"id '{step_id}' must be snake_case (a-z, 0-9, _)")
        ok = False
    if kind is not None and kind not in _KINDS:
        check.problem(data.line_of("kind"), f"unknown answer kind '{kind}' (known: {', '.join(_KINDS)})")
        kind = None
    if group is not None and group not in _GROUPS:
        check.problem(data.line_of("group"), f"unknown group '{group}' (known: {', '.join(_GROUPS)})")
        ok = False
    if quote is not None and source_text and _quote_form(quote) not in source_text:
        check.problem(data.line_of("quote"), f"quote not found in the source document: {quote!r}")
        ok = False
    noted = check.text(data, "noted", required=False) or ""
    if noted:
        check.placeholders(noted, data.line_of("noted"), "'noted'", frozenset({"answer"}), exact=False)
    choices: tuple[Choice, ...] = ()
    if kind == "choice":
        choices = _read_choices(check, data)
    elif "choices" in data:
        check.problem(data.line_of("choices"), "'choices' is only for steps of kind 'choice'")
    answer_words: dict[str, tuple[str, ...]] = {}
    if "answer_words" in data:
        answer_words = _read_step_words(check, data, kind)
    rule = _read_rule(check, data, kind, choices) if kind is not None else None
    if rule is None or not ok or None in values.values():
        return None
    text = {key: plain(str(value)) for key, value in values.items()}
    passing, min_years = rule
    return Step(
        id=text["id"],
        group=cast(Group, text["group"]),
        kind=cast(StepKind, text["kind"]),
        question=text["question"],
        criterion=text["criterion"],
        asks=text["asks"],
        what_counts=text["what_counts"],
        advice=text["advice"],
        quote=text["quote"],
        passing=passing,
        min_years=min_years,
        choices=choices,
        noted=plain(noted),
        answer_words=answer_words,
    )


def _read_choices(check: _Checker, data: LineDict) -> tuple[Choice, ...]:
    raw = data.get("choices")
    if not isinstance(raw, LineList) or len(raw) < 2:
        check.problem(data.line_of("choices"), "a choice step needs a list of at least two 'choices'")
        return ()
    choices: list[Choice] = []
    covers_lines: list[int] = []
    for item, line in zip(raw, raw.item_lines, strict=True):
        choice = check.mapping(item, line, "a choice")
        if choice is None:
            continue
        check.unknown_keys(choice, _CHOICE_FIELDS)
        value, label = check.text(choice, "value"), check.text(choice, "label")
        if value is None or label is None:
            continue
        if not _ID.match(value) or value in _BUTTONS:
            check.problem(
                choice.line_of("value"),
                f"choice value '{value}' must be snake_case and not one of {', '.join(_BUTTONS)}",
            )
        if any(c.value == value for c in choices):
            check.problem(choice.line_of("value"), f"duplicate choice value '{value}'")
        words = (
            check.phrases(choice["words"], choice.line_of("words"), "'words'") if "words" in choice else ()
        )
        covers = (
            check.phrases(choice["covers"], choice.line_of("covers"), "'covers'")
            if "covers" in choice
            else ()
        )
        choices.append(Choice(value, plain(label), words, covers))
        covers_lines.append(choice.line_of("covers"))
    known = {c.value for c in choices}
    for option, line in zip(choices, covers_lines, strict=True):
        unknown = set(option.covers) - known
        if unknown:
            check.problem(line, f"'covers' names unknown choices: {', '.join(sorted(unknown))}")
    return tuple(choices)


def _read_step_words(check: _Checker, data: LineDict, kind: str | None) -> dict[str, tuple[str, ...]]:
    section = check.mapping(data["answer_words"], data.line_of("answer_words"), "'answer_words'")
    if section is None:
        return {}
    if kind != "yes_no":
        check.problem(data.line_of("answer_words"), "'answer_words' is only for steps of kind 'yes_no'")
        return {}
    check.unknown_keys(section, {"yes", "no"}, "answer")
    return {
        name: check.phrases(section[name], section.line_of(name), f"answer words for '{name}'")
        for name in ("yes", "no")
        if name in section
    }


def _read_rule(
    check: _Checker, data: LineDict, kind: str, choices: tuple[Choice, ...]
) -> tuple[tuple[str, ...], float] | None:
    """The rule as (passing answers, least years); None (with a problem) when it is missing or bad."""
    key, shape = _RULE_SHAPES[kind]
    if "rule" not in data:
        check.problem(data.line, f"missing required field 'rule' (for a {kind} step: {shape})")
        return None
    rule = data["rule"]
    line = data.line_of("rule")
    if not isinstance(rule, LineDict) or set(rule) != {key}:
        check.problem(line, f"bad rule: for a {kind} step write rule: {shape}")
        return None
    value = rule[key]
    if kind == "years":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_YEARS:
            check.problem(line, f"bad rule: 'at_least' must be a number of years from 0 to {MAX_YEARS}")
            return None
        return (), float(value)
    if kind == "yes_no":
        answer = ("yes" if value else "no") if isinstance(value, bool) else value  # YAML reads yes as true
        if answer not in ("yes", "no"):
            check.problem(line, f'bad rule: \'equals\' must be "yes" or "no", not {value!r}')
            return None
        return (str(answer),), 0.0
    known = [c.value for c in choices]
    if not isinstance(value, LineList) or not value or not all(v in known for v in value):
        check.problem(line, f"bad rule: 'one_of' must list some of the choice values ({', '.join(known)})")
        return None
    return tuple(str(v) for v in value), 0.0


# --- Understanding answers --------------------------------------------------------------------------------


def _clean_years_text(text: str) -> str:
    text = plain(text.replace("½", " and a half")).lower().replace("'", "")
    text = re.sub(r"(\d)\s*1/2\b", r"\1 and a half", text)
    text = re.sub(r"[^a-z0-9.\- ]+", " ", text)
    text = _COMPOUND.sub(lambda m: str(_NUMBER_WORDS[m[1]] + _NUMBER_WORDS[m[2]]), text)
    text = _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m[1]]), text)
    text = re.sub(r"\ba couple of\b", "2", text)
    text = re.sub(r"\bhalf an? year\b", "6 months", text)
    return re.sub(r"\s+", " ", text).strip(" .")


def _read_years(text: str, today: date) -> tuple[float | None, bool]:
    """(years, False) when the text says how long; (None, True) for an estimate such as "under 2" or "2-3"."""
    cleaned = _clean_years_text(text)
    cleaned = re.sub(r"\s+", " ", _FILLER.sub(" ", cleaned)).strip()  # "over 5 years", "2 or more"
    since = _SINCE.search(cleaned)
    if since:
        months = (today.year - int(since["year"])) * 12
        if since["month"]:
            months += today.month - _MONTHS[since["month"]]
        return round(months / 12, 2), False
    if _ESTIMATE.search(cleaned):
        return None, True
    if _NEGATIVE.search(cleaned):
        return -1.0, False
    total, found = 0.0, False
    for part in _COMPONENT.finditer(cleaned):
        number = 1.0 if part["num"] in ("a", "an") else float(part["num"])
        number += 0.5 if part["half"] or part["half2"] else 0.0
        total += number / 12 if part["unit"].startswith("m") else number
        found = True
    if found:
        return round(total, 2), False
    bare = _BARE.fullmatch(cleaned)
    if bare:
        return float(bare["num"]) + (0.5 if bare["half"] else 0.0), False
    return None, False


def parse_years(text: str, today: date) -> float | None:
    """Years of experience from "3", "three", "2.5", "18 months", "two and a half years", "since 2019"."""
    return _read_years(text, today)[0]


def _read_yes_no(words: str, vocab: Mapping[str, tuple[str, ...]], step: Step, question: bool) -> str | None:
    """Yes, no or not sure from typed words; None when the words do not clearly say which."""
    for value in (UNSURE, "yes", "no"):
        if words in vocab[value]:
            return value
    if question:
        return None
    if any(_has(words, phrase) for phrase in vocab[UNSURE]):
        return UNSURE  # anywhere: "I'm not sure" must not be read as a statement
    tokens = words.split()
    # "yes I have", "no, I teach in a school"; but "I have no observation" is not a yes.
    if tokens[0] not in _PRONOUNS:
        for value in ("yes", "no"):
            lead = next((p for p in vocab[value] if len(p) > 1 and words.startswith(p + " ")), None)
            if lead is not None:
                negated = value == "yes" and words[len(lead) + 1 :].split()[0] in ("not", "no")
                return "no" if negated else value  # "definitely not"
    if _NEGATIONS.intersection(tokens):
        return "no"
    # The longest phrase found decides: "working towards QTLS" is a no, though "QTLS" alone is a yes.
    longest = {
        value: max((len(p) for p in phrases if _has(words, p)), default=0)
        for value, phrases in step.answer_words.items()
    }
    ranked = sorted((length, value) for value, length in longest.items() if length)
    if not ranked or (len(ranked) > 1 and ranked[-1][0] == ranked[-2][0]):
        return None
    return ranked[-1][1]


def _read_choice(words: str, vocab: Mapping[str, tuple[str, ...]], step: Step, question: bool) -> str | None:
    """One of the step's choices from typed words; None when unclear."""
    for choice in step.choices:
        if words == choice.value or words in choice.words:
            return choice.value
    if words in vocab[UNSURE]:
        return UNSURE
    if question:
        return None
    if any(_has(words, phrase) for phrase in vocab[UNSURE]):
        return UNSURE
    choice_tokens = {t for c in step.choices for w in c.words for t in w.split()}
    if (_NEGATIONS - choice_tokens).intersection(words.split()):
        return None  # "not GCSE": too easy to misread, so ask again
    found = {c.value for c in step.choices if any(_has(words, w) for w in c.words)}
    if len(found) == 1:
        return found.pop()
    for choice in step.choices:
        rest = found - {choice.value}
        if (
            choice.covers
            and rest
            and (rest == set(choice.covers) or (choice.value in found and rest <= set(choice.covers)))
        ):
            return choice.value  # "resit and functional skills" is "both"
    return None


# --- The dialogue -----------------------------------------------------------------------------------------


class EligibilityEngine:
    """Runs the self-check: `start` begins a dialogue, `step` applies one input to it. No I/O."""

    def __init__(self, criteria: Criteria, today: Callable[[], date] = date.today) -> None:
        self.criteria = criteria
        self.today = today
        self.messages = criteria.messages
        self.buttons = criteria.buttons
        self._by_id = {s.id: s for s in criteria.steps}
        self._commands = {
            phrase: name
            for name in _CONTROLS
            for phrase in (*criteria.answer_words[name], _words(criteria.buttons[name]))
        }
        self._commands.update({phrase: _EXPLAIN for phrase in criteria.answer_words[_EXPLAIN]})

    def start(self, prefill: dict[str, Any] | None = None) -> tuple[State, Reply]:
        """A new dialogue; answers in `prefill` (step id -> answer) are noted and their steps skipped."""
        answers: dict[str, Any] = {}
        for step in self.criteria.steps:
            value = step.accepts(prefill[step.id]) if prefill and step.id in prefill else None
            if value is not None:
                answers[step.id] = value
        state: State = {"answers": answers, "asked": [], "prefilled": list(answers)}
        lead = [self.messages["intro"].format(total=len(self.criteria.steps))]
        if answers:
            notes = [self._noted(self._by_id[step_id], value) for step_id, value in answers.items()]
            lead.append("\n".join([*notes, self.messages["noted_end"]]))
        return state, self._ask(state, lead)

    def step(self, state: State, text: str) -> StepResult:
        """Apply one input: typed text, a button's label, or a button's action such as `elig:yes`."""
        state = self._checked(state)
        command = self._command(text)
        if command == "cancel":
            return StepResult(None, Reply(self.messages["cancelled"]), understood=True, cancelled=True)
        if command == "restart":
            fresh, reply = self.start()
            restarted = Reply(f"{self.messages['restarted']}\n\n{reply.text}", reply.buttons)
            return StepResult(fresh, restarted, understood=True)
        if command == "back":
            return StepResult(state, self._back(state), understood=True)
        current = self._next_step(state)
        if current is None:  # every step answered (a saved dialogue): give the verdict
            return StepResult(None, self.verdict(state["answers"]), understood=True, finished=True)
        if command == _EXPLAIN:
            lead = [self.messages["explain"].format(what_counts=current.what_counts)]
            return StepResult(state, self._ask(state, lead), understood=True)
        value, reask = self._read(current, text)
        if value is None:
            question = self._ask(state, [])
            return StepResult(state, Reply(f"{reask}\n\n{question.text}", question.buttons), understood=False)
        state["answers"][current.id] = value
        state["asked"].append(current.id)
        if self._next_step(state) is None:
            return StepResult(None, self.verdict(state["answers"]), understood=True, finished=True)
        lead = (
            [self.messages["unsure_noted"].format(what_counts=current.what_counts)] if value == UNSURE else []
        )
        return StepResult(state, self._ask(state, lead), understood=True)

    def current_reply(self, state: State) -> Reply:
        """The question the dialogue is waiting on, asked again."""
        return self._ask(self._checked(state), [])

    def expects_number(self, state: State) -> bool:
        """Whether the dialogue waits for a number of years (so a typed "3" is an answer)."""
        try:
            step = self._next_step(self._checked(state))
        except ValueError:
            return False
        return step is not None and step.kind == "years"

    def verdict(self, answers: Mapping[str, Any]) -> Reply:
        """The end of the check: what is met, what is not and why, what to check, and next steps."""
        return Reply(_verdict_text(self.criteria, answers))

    def _checked(self, state: State) -> State:
        """A clean copy of a saved state; answers to steps that no longer exist are dropped."""
        if not isinstance(state, dict):
            raise ValueError(f"not an eligibility dialogue state: {state!r:.200}")
        answers, asked, prefilled = state.get("answers"), state.get("asked"), state.get("prefilled")
        if not isinstance(answers, dict) or not isinstance(asked, list) or not isinstance(prefilled, list):
            raise ValueError(f"not an eligibility dialogue state: {state!r:.200}")
        clean: dict[str, Any] = {}
        for step in self.criteria.steps:
            value = step.accepts(answers[step.id]) if step.id in answers else None
            if value is not None:
                clean[step.id] = value
        kept_asked = list(dict.fromkeys(a for a in asked if a in clean))
        kept_prefilled = [p for p in dict.fromkeys(prefilled) if p in clean and p not in kept_asked]
        return {"answers": clean, "asked": kept_asked, "prefilled": kept_prefilled}

    def _command(self, text: str) -> str | None:
        stripped = text.strip()
        if stripped.startswith(ELIGIBILITY_ACTION_PREFIX):
            action = stripped[len(ELIGIBILITY_ACTION_PREFIX) :]
            return action if action in _CONTROLS else None
        return self._commands.get(_words(stripped)) if len(stripped) <= _MAX_ANSWER_CHARS else None

    def _back(self, state: State) -> Reply:
        """Forget the last answer given (or noted from the question) and ask that step again."""
        if state["asked"]:
            state["answers"].pop(state["asked"].pop())
        elif state["prefilled"]:
            state["answers"].pop(state["prefilled"].pop())
        else:
            return self._ask(state, [self.messages["no_earlier_question"]])
        return self._ask(state, [])

    def _read(self, step: Step, text: str) -> tuple[str | float | None, str]:
        """The answer's stored value, or None and the polite re-ask."""
        stripped = text.strip()
        answers = self._answers(step)
        if step.kind == "years":
            reask = self.messages["reask_years"]
        else:
            reask = self.messages["reask_choice"].format(options=", ".join(label for label, _ in answers))
        if stripped.startswith(ELIGIBILITY_ACTION_PREFIX):
            return step.accepts(stripped[len(ELIGIBILITY_ACTION_PREFIX) :]), reask
        words = _words(stripped)
        if not words or len(stripped) > _MAX_ANSWER_CHARS:
            return None, reask
        by_label = {_words(label): value for label, value in answers}
        if words in by_label:
            return by_label[words], reask
        question = _is_question(stripped)
        vocab = self.criteria.answer_words
        if step.kind == "yes_no":
            return _read_yes_no(words, vocab, step, question), reask
        if step.kind == "choice":
            return _read_choice(words, vocab, step, question), reask
        if question:
            return None, reask
        years, estimate = _read_years(stripped, self.today())
        if estimate:
            return None, self.messages["reask_years_estimate"]
        if years is not None:
            in_range = 0 <= years <= MAX_YEARS
            return (years if in_range else None), self.messages["reask_years_range"].format(max=MAX_YEARS)
        if any(_has(words, phrase) for phrase in vocab[UNSURE]):
            return UNSURE, reask
        return None, reask

    def _next_step(self, state: State) -> Step | None:
        return next((s for s in self.criteria.steps if s.id not in state["answers"]), None)

    def _ask(self, state: State, lead: list[str]) -> Reply:
        """The next unanswered question, with its progress and buttons; the verdict if none is left."""
        step = self._next_step(state)
        if step is None:
            return self.verdict(state["answers"])
        number = self.criteria.steps.index(step) + 1
        progress = self.messages["progress"].format(number=number, total=len(self.criteria.steps))
        text = "\n\n".join([*lead, f"{progress}\n{step.question}"])
        # Back and Restart only once there is something to go back to.
        controls = _CONTROLS if state["asked"] or state["prefilled"] else ("cancel",)
        offered = [*self._answers(step), *((self.buttons[k], k) for k in controls)]
        return Reply(
            text, tuple(Button(label, f"{ELIGIBILITY_ACTION_PREFIX}{value}") for label, value in offered)
        )

    def _answers(self, step: Step) -> list[tuple[str, str]]:
        """(label, value) of each answer button the step offers, "Not sure" last."""
        if step.kind == "choice":
            answers = [(c.label, c.value) for c in step.choices]
        else:
            answers = [(self.buttons[k], k) for k in (("yes", "no") if step.kind == "yes_no" else ())]
        return [*answers, (self.buttons[UNSURE], UNSURE)]

    def _noted(self, step: Step, value: Any) -> str:
        answer = _describe(self.criteria, step, value)
        if step.noted:
            return step.noted.format(answer=answer)
        return self.messages["noted_generic"].format(criterion=step.criterion, answer=answer)


def _describe(criteria: Criteria, step: Step, value: Any) -> str:
    """An answer as the user would recognise it: a button label, a choice, or "1.5 years"."""
    if value == UNSURE or value in ("yes", "no"):
        return criteria.buttons[str(value)]
    if step.kind == "years":
        years = float(value)
        template = criteria.messages["years_answer_one" if years == 1 else "years_answer"]
        return template.format(years=f"{years:g}")
    return next((c.label for c in step.choices if c.value == value), str(value))


def _verdict_text(criteria: Criteria, answers: Mapping[str, Any]) -> str:
    m = criteria.messages
    steps = criteria.steps
    essential = [s for s in steps if s.group == "essential"]
    unmet = [s for s in essential if s.is_met(answers.get(s.id)) is False]
    unsure = [s for s in steps if answers.get(s.id) == UNSURE]
    parts = [m["verdict_heading"]]
    if unmet:
        items = [
            m["unmet_item"].format(
                criterion=s.criterion,
                asks=s.asks,
                answer=_describe(criteria, s, answers[s.id]),
                advice=s.advice,
            )
            for s in unmet
        ]
        parts.append("\n".join([m["unmet_heading"].format(count=len(unmet), total=len(essential)), *items]))
    elif any(s.group == "essential" for s in unsure):
        met = sum(1 for s in essential if s.is_met(answers.get(s.id)))
        parts.append(m["some_essential_unsure"].format(met=met, total=len(essential)))
    else:
        parts.append(m["all_essential_met"])
    if unsure:
        items = [m["unsure_item"].format(criterion=s.criterion, what_counts=s.what_counts) for s in unsure]
        parts.append("\n".join([m["unsure_heading"], *items]))
    commitments = [s for s in steps if s.group == "commitment" and s.is_met(answers.get(s.id)) is False]
    if commitments:
        items = [m["commitment_item"].format(criterion=s.criterion, advice=s.advice) for s in commitments]
        parts.append("\n".join([m["commitments_heading"], *items]))
    desirable = [s for s in steps if s.group == "desirable"]
    if desirable:
        met_desirable = sum(1 for s in desirable if s.is_met(answers.get(s.id)))
        text = m["desirable_count"].format(met=met_desirable, total=len(desirable))
        missing = [s.advice for s in desirable if s.is_met(answers.get(s.id)) is False]
        if missing:
            text += " " + m["desirable_missing"].format(missing="; ".join(missing))
        parts.append(text)
    parts.append(m["next_steps"])
    return "\n\n".join(parts)


def _longest_verdict(criteria: Criteria) -> int:
    """An upper bound on the verdict's length: each step's wordiest answer, plus every heading."""
    passing: dict[str, Any] = {
        s.id: s.min_years if s.kind == "years" else s.passing[0] for s in criteria.steps
    }
    wordiest = dict(passing)
    for step in criteria.steps:
        if step.kind == "years":
            failing: list[Any] = [round(step.min_years - 0.01, 2)] if step.min_years > 0 else []
        elif step.kind == "yes_no":
            failing = [v for v in ("yes", "no") if v not in step.passing]
        else:
            failing = [c.value for c in step.choices if c.value not in step.passing]
        wordiest[step.id] = max(
            [passing[step.id], UNSURE, *failing],
            key=lambda v: len(_verdict_text(criteria, {**passing, step.id: v})),
        )
    m = criteria.messages
    headings = (
        "unmet_heading",
        "some_essential_unsure",
        "unsure_heading",
        "commitments_heading",
        "desirable_missing",
    )
    return len(_verdict_text(criteria, wordiest)) + sum(len(m[h]) + 8 for h in headings)


def prefill_from_question(criteria: Criteria, text: str, today: date) -> dict[str, Any]:
    """Answers the user's question states clearly: "I've taught maths for 3 years in an FE college" -> both.

    Only first-person statements count, and nothing is filled in from a message with a negation ("I haven't
    taught for 2 years") or about the rules themselves ("do I need 2 years?").
    """
    words = _words(text)
    tokens = set(words.split())
    if not tokens & _FIRST_PERSON or tokens & _NEGATIONS:
        return {}
    prefill: dict[str, Any] = {}
    years_step = next((s for s in criteria.steps if s.kind == "years"), None)
    says_duration = tokens & (_UNITS | {"since", "started"})
    if years_step is not None and says_duration and not tokens & _RULE_WORDS:
        years, estimate = _read_years(text, today)
        if years is not None and not estimate and 0 <= years <= MAX_YEARS:
            prefill[years_step.id] = years
    for step in criteria.steps:
        said = {v for v, phrases in step.answer_words.items() if any(_has(words, p) for p in phrases)}
        if step.kind == "yes_no" and said == {"yes"}:
            prefill[step.id] = "yes"
    return prefill
