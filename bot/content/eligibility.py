"""Reading knowledge/eligibility.yaml into the self-check's Criteria, every problem as `file:line: message`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from ..core.eligibility.model import (
    ANSWER_WORD_NAMES,
    BUTTONS,
    GROUPS,
    KINDS,
    MAX_YEARS,
    Choice,
    Criteria,
    Group,
    Step,
    StepKind,
)
from ..core.eligibility.verdict import longest_verdict
from ..core.problems import Problem
from ..core.text import MESSAGE_LIMIT, plain, quote_form
from .validator import ID_PATTERN, Reader
from .yamlfile import LineDict, LineList

_RULE_SHAPES = {
    "years": ("at_least", "{at_least: <years>}"),
    "choice": ("one_of", "{one_of: [<choice values>]}"),
    "yes_no": ("equals", '{equals: "yes"} or {equals: "no"}'),
}
_TOP_FIELDS = {"source", "buttons", "answer_words", "messages", "steps"}
_STEP_TEXT = ("id", "group", "kind", "question", "criterion", "asks", "what_counts", "advice", "quote")
_STEP_FIELDS = {*_STEP_TEXT, "rule", "noted", "answer_words", "choices"}
_CHOICE_FIELDS = {"value", "label", "words", "covers"}

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


def parse_criteria(data: Any, file_name: str, problems: list[Problem], sources_dir: Path) -> Criteria | None:
    """Read eligibility.yaml (as loaded by bot.yamlfile); append every problem found as `file:line: message`."""
    check = Reader(file_name, problems)
    start = len(problems)
    if not isinstance(data, LineDict):
        check.problem(1, f"the file must be a mapping with {', '.join(sorted(_TOP_FIELDS))}")
        return None
    check.unknown_keys(data, _TOP_FIELDS)
    source_text = _read_source(check, data, sources_dir)
    buttons = _read_texts(check, data, "buttons", dict.fromkeys(BUTTONS, frozenset()))
    messages = _read_texts(check, data, "messages", _MESSAGES)
    answer_words = _read_answer_words(check, data)
    steps = _read_steps(check, data, source_text)
    if len(problems) > start:
        return None
    criteria = Criteria(tuple(steps), messages, buttons, answer_words)
    longest = longest_verdict(criteria)
    if longest > MESSAGE_LIMIT:
        check.problem(
            data.line_of("steps"), f"the verdict can be {longest} characters; Telegram allows {MESSAGE_LIMIT}"
        )
        return None
    return criteria


def _read_source(check: Reader, data: LineDict, sources_dir: Path) -> str:
    source = check.text(data, "source")
    if source is None:
        return ""
    try:
        return quote_form((sources_dir / source).read_text(encoding="utf-8"))
    except OSError:
        check.problem(data.line_of("source"), f"source document 'sources/{source}' not found")
        return ""


def _read_texts(
    check: Reader, data: LineDict, key: str, required: Mapping[str, frozenset[str]]
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


def _read_answer_words(check: Reader, data: LineDict) -> dict[str, tuple[str, ...]]:
    section = check.mapping(data.get("answer_words"), data.line_of("answer_words"), "'answer_words'")
    if section is None:
        return {}
    check.unknown_keys(section, set(ANSWER_WORD_NAMES), "answer")
    words: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name in ANSWER_WORD_NAMES:
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


def _read_steps(check: Reader, data: LineDict, source_text: str) -> list[Step]:
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
        if steps and GROUPS.index(step.group) < GROUPS.index(steps[-1].group):
            check.problem(
                line,
                f"step '{step.id}' ({step.group}) comes after a {steps[-1].group} step; "
                f"keep the groups in this order: {', '.join(GROUPS)}",
            )
        steps.append(step)
    if steps and not any(s.group == "essential" for s in steps):
        check.problem(raw_steps.line, "there must be at least one essential step")
    return steps


def _read_step(check: Reader, raw: Any, line: int, source_text: str) -> Step | None:
    data = check.mapping(raw, line, "a step")
    if data is None:
        return None
    check.unknown_keys(data, _STEP_FIELDS)
    values = {key: check.text(data, key) for key in _STEP_TEXT}
    kind, group, step_id, quote = values["kind"], values["group"], values["id"], values["quote"]
    ok = True
    if step_id is not None and not ID_PATTERN.match(step_id):
        check.problem(data.line_of("id"), f"id '{step_id}' must be snake_case (a-z, 0-9, _)")
        ok = False
    if kind is not None and kind not in KINDS:
        check.problem(data.line_of("kind"), f"unknown answer kind '{kind}' (known: {', '.join(KINDS)})")
        kind = None
    if group is not None and group not in GROUPS:
        check.problem(data.line_of("group"), f"unknown group '{group}' (known: {', '.join(GROUPS)})")
        ok = False
    if quote is not None and source_text and quote_form(quote) not in source_text:
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


def _read_choices(check: Reader, data: LineDict) -> tuple[Choice, ...]:
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
        if not ID_PATTERN.match(value) or value in BUTTONS:
            check.problem(
                choice.line_of("value"),
                f"choice value '{value}' must be snake_case and not one of {', '.join(BUTTONS)}",
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


def _read_step_words(check: Reader, data: LineDict, kind: str | None) -> dict[str, tuple[str, ...]]:
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
    check: Reader, data: LineDict, kind: str, choices: tuple[Choice, ...]
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
