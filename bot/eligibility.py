"""The eligibility self-check: a pure state machine, `state + input -> new state + reply`.

The state is plain JSON-serialisable data, so a half-finished check survives a restart. All words come
from knowledge/eligibility.yaml; the diagram of the dialogue is eligibility.mmd beside this file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from .replies import Button, Reply
from .textnorm import for_quote_check, plain
from .yamlfile import LineDict, LineList, Problem

ELIGIBILITY_ACTION_PREFIX = "elig:"
StepKind = Literal["yes_no", "years", "choice"]
Group = Literal["essential", "desirable", "commitment"]
_KINDS = {"yes_no", "years", "choice"}
_GROUPS = {"essential", "desirable", "commitment"}
_SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
_MAX_YEARS = 50
_MESSAGES = {
    "intro", "progress", "prefilled", "reask_choice", "reask_years", "reask_years_range", "cancelled",
    "restarted", "verdict_heading", "all_essential_met", "unmet_heading", "unmet_item", "unsure_heading",
    "unsure_item", "commitments_heading", "commitment_item", "desirable_count", "desirable_missing", "next_steps",
}
_BUTTONS = {"yes", "no", "unsure", "back", "restart", "cancel"}

# Free-text answers. Checked longest first, so "not sure" is never read as "no".
_UNSURE = ("not sure", "unsure", "dont know", "do not know", "dunno", "no idea", "idk", "maybe", "perhaps",
           "not certain", "possibly", "kind of", "sort of")
_NO = ("no", "n", "nope", "nah", "not really", "not yet", "never", "i dont", "i do not", "i am not", "im not",
       "i havent", "i have not", "none")
_YES = ("yes", "y", "yep", "yeah", "yup", "ya", "yes i do", "i do", "i am", "im", "i have", "ive", "sure",
        "definitely", "absolutely", "of course", "correct", "certainly", "ok", "okay", "true")
_NUMBER_WORDS = {
    "zero": 0, "none": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40,
}
_NUMBER = r"(-?\d+(?:\.\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_DURATION = re.compile(
    _NUMBER + r"(\s+and\s+a\s+half|\s*½)?\s*(years?|yrs?|months?|mths?)?\b(\s+and\s+a\s+half)?"
)
_SINCE = re.compile(r"\bsince\s+(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\w*\s+)?((?:19|20)\d\d)\b")
_HALF_A_YEAR = re.compile(r"\bhalf\s+a\s+year\b|\b6\s+months\b")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    words: tuple[str, ...]


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
    min_years: float = 0.0
    choices: tuple[Choice, ...] = ()
    meets: tuple[str, ...] = ()

    def is_met(self, value: Any) -> bool | None:
        """True or False once answered; None for "not sure"."""
        if value == "unsure":
            return None
        if self.kind == "years":
            return float(value) >= self.min_years
        if self.kind == "choice":
            return value in self.meets
        return bool(value == "yes")


@dataclass(frozen=True)
class Criteria:
    steps: tuple[Step, ...]
    messages: dict[str, str]
    buttons: dict[str, str]

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)


@dataclass(frozen=True)
class StepResult:
    state: dict[str, Any] | None  # None once the dialogue has ended
    reply: Reply
    understood: bool
    finished: bool = False
    cancelled: bool = False


def parse_criteria(data: Any, file_name: str, problems: list[Problem]) -> Criteria | None:
    """Read eligibility.yaml; every problem is appended as `file:line: message`."""
    start = len(problems)

    def problem(line: int, message: str) -> None:
        problems.append(Problem(file_name, line, message))

    if not isinstance(data, LineDict):
        problem(1, "the file must be a mapping with 'source', 'buttons', 'messages' and 'steps'")
        return None
    source_text = ""
    source = data.get("source")
    try:
        source_text = for_quote_check((_SOURCES / str(source)).read_text(encoding="utf-8"))
    except OSError:
        problem(data.line_of("source"), f"source document 'sources/{source}' not found")
    texts: dict[str, dict[str, str]] = {}
    for key, required in (("messages", _MESSAGES), ("buttons", _BUTTONS)):
        section = data.get(key)
        if not isinstance(section, LineDict):
            problem(data.line_of(key), f"'{key}' must be a mapping")
            continue
        for name in sorted(required - set(section)):
            problem(section.line, f"missing {key[:-1]} '{name}'")
        for name, value in section.items():
            if name not in required:
                problem(section.line_of(name), f"unknown {key[:-1]} '{name}'")
            elif not isinstance(value, str) or not value.strip():
                problem(section.line_of(name), f"{key[:-1]} '{name}' must be non-empty text")
        texts[key] = {k: str(v).strip() for k, v in section.items()}
    steps: list[Step] = []
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, LineList) or not raw_steps:
        problem(data.line_of("steps"), "'steps' must be a non-empty list")
        raw_steps = LineList()
        raw_steps.item_lines = []
    seen: set[str] = set()
    for raw, line in zip(raw_steps, raw_steps.item_lines, strict=True):
        step = _parse_step(raw, line, problem, source_text, seen)
        if step is not None:
            steps.append(step)
    if len(problems) > start:
        return None
    return Criteria(tuple(steps), texts["messages"], texts["buttons"])


def _parse_step(
    raw: Any, line: int, problem: Callable[[int, str], None], source_text: str, seen: set[str]
) -> Step | None:
    if not isinstance(raw, LineDict):
        problem(line, "a step must be a mapping")
        return None
    text_fields = ("id", "group", "kind", "question", "criterion", "asks", "what_counts", "advice", "quote")
    allowed = {*text_fields, "min_years", "choices", "meets"}
    for key in raw:
        if key not in allowed:
            problem(raw.line_of(key), f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")
    values: dict[str, str] = {}
    for key in text_fields:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            problem(raw.line_of(key), f"missing required field '{key}'" if value is None else f"'{key}' must be text")
        else:
            values[key] = plain(value)
    if len(values) < len(text_fields):
        return None
    ok = True
    if values["id"] in seen:
        problem(raw.line_of("id"), f"duplicate step id '{values['id']}'")
        ok = False
    seen.add(values["id"])
    if values["kind"] not in _KINDS:
        problem(raw.line_of("kind"), f"unknown answer kind '{values['kind']}' (known: {', '.join(sorted(_KINDS))})")
        ok = False
    if values["group"] not in _GROUPS:
        problem(raw.line_of("group"), f"unknown group '{values['group']}' (known: {', '.join(sorted(_GROUPS))})")
        ok = False
    if source_text and for_quote_check(values["quote"]) not in source_text:
        problem(raw.line_of("quote"), f"quote not found in the source document: {values['quote']!r}")
        ok = False
    min_years = raw.get("min_years", 0)
    if values["kind"] == "years" and (isinstance(min_years, bool) or not isinstance(min_years, int | float)):
        problem(raw.line_of("min_years"), "'min_years' must be a number")
        ok = False
    choices: list[Choice] = []
    if values["kind"] == "choice":
        raw_choices = raw.get("choices")
        if not isinstance(raw_choices, LineList) or not raw_choices:
            problem(raw.line_of("choices"), "a choice step needs a list of 'choices'")
            return None
        for item, item_line in zip(raw_choices, raw_choices.item_lines, strict=True):
            if not isinstance(item, LineDict) or not all(isinstance(item.get(k), str) for k in ("value", "label")):
                problem(item_line, "each choice needs 'value' and 'label' text and may list 'words'")
                ok = False
                continue
            words = item.get("words", [])
            choices.append(Choice(item["value"], item["label"], tuple(str(w).lower() for w in words)))
        meets = raw.get("meets")
        known = {c.value for c in choices}
        if not isinstance(meets, LineList) or not set(meets) <= known:
            problem(raw.line_of("meets"), f"'meets' must list choice values ({', '.join(sorted(known))})")
            ok = False
    if not ok:
        return None
    return Step(
        id=values["id"], group=values["group"], kind=values["kind"], question=values["question"],  # type: ignore[arg-type]
        criterion=values["criterion"], asks=values["asks"], what_counts=values["what_counts"],
        advice=values["advice"], quote=values["quote"], min_years=float(min_years),
        choices=tuple(choices), meets=tuple(raw.get("meets", ()) or ()),
    )


def _normalise(text: str) -> str:
    text = plain(text).lower().replace("'", "")
    return re.sub(r"[^\w?½.\- ]+", " ", text).strip(" .!")


def parse_years(text: str, today: date) -> float | None:
    """Years of experience from "3", "three", "2.5", "18 months", "two and a half years", "since 2019"."""
    normalised = _normalise(text)
    since = _SINCE.search(normalised)
    if since:
        return float(today.year - int(since.group(1)))
    if _HALF_A_YEAR.search(normalised):
        return 0.5
    match = _DURATION.search(normalised)
    if not match:
        return None
    number, half, unit, trailing_half = match.groups()
    value = float(_NUMBER_WORDS[number]) if number in _NUMBER_WORDS else float(number)
    if number in ("a", "an") and not unit:
        return None  # "a" alone is not a number
    if half or trailing_half:
        value += 0.5
    if unit and unit.startswith("m"):
        value /= 12
    return round(value, 2)


def _parse_yes_no(text: str) -> str | None:
    normalised = f" {_normalise(text).rstrip('?')} "
    if any(f" {phrase} " in normalised for phrase in _UNSURE):
        return "unsure"  # anywhere in the text: "I'm not sure" must not read as "I'm" (yes)
    for words, value in ((_NO, "no"), (_YES, "yes")):
        if any(normalised.startswith(f" {phrase} ") for phrase in sorted(words, key=len, reverse=True)):
            return value
    return None


class EligibilityEngine:
    """Runs the self-check. `start` and `step` return the new state and the reply to show."""

    def __init__(self, criteria: Criteria, today: Callable[[], date] = date.today) -> None:
        self.criteria = criteria
        self.today = today
        self.messages = criteria.messages
        self.buttons = criteria.buttons

    def start(self, prefill: dict[str, Any] | None = None) -> tuple[dict[str, Any], Reply]:
        known = {s.id for s in self.criteria.steps}
        answers = {k: v for k, v in (prefill or {}).items() if k in known}
        state: dict[str, Any] = {"answers": answers, "asked": [], "prefilled": sorted(answers)}
        lines = [self.messages["intro"].format(total=len(self.criteria.steps))]
        if answers:
            facts = "; ".join(f"{self.criteria.step(k).criterion}: {self._describe(k, v)}" for k, v in answers.items())
            lines.append(self.messages["prefilled"].format(facts=facts))
        return self._ask_next(state, lines)

    def current_reply(self, state: dict[str, Any]) -> Reply:
        """The question the dialogue is waiting on, asked again."""
        return self._ask_next(state, [])[1]

    def expects_number(self, state: dict[str, Any]) -> bool:
        step = self._next_step(state)
        return step is not None and step.kind == "years"

    def step(self, state: dict[str, Any], text: str) -> StepResult:
        """Apply one input (typed text, a button label, or an `elig:` action) to the dialogue."""
        state = {"answers": dict(state.get("answers", {})), "asked": list(state.get("asked", [])),
                 "prefilled": list(state.get("prefilled", []))}
        current = self._next_step(state)
        command = self._command(text)
        if command == "cancel":
            return StepResult(None, Reply(self.messages["cancelled"]), True, cancelled=True)
        if command == "restart":
            new_state, reply = self.start()
            return StepResult(new_state, Reply(f"{self.messages['restarted']}\n\n{reply.text}", reply.buttons), True)
        if command == "back":
            if state["asked"]:
                previous = state["asked"].pop()
                state["answers"].pop(previous, None)
            elif state["prefilled"]:
                state["answers"].pop(state["prefilled"].pop(), None)
            new_state, reply = self._ask_next(state, [])
            return StepResult(new_state, reply, True)
        if current is None:  # already finished; show the verdict again
            return StepResult(None, self.verdict(state["answers"]), True, finished=True)
        value, reask = self._read_answer(current, text)
        if value is None:
            _, question = self._ask_next(state, [])
            return StepResult(state, Reply(f"{reask}\n\n{question.text}", question.buttons), False)
        state["answers"][current.id] = value
        state["asked"].append(current.id)
        if self._next_step(state) is None:
            return StepResult(None, self.verdict(state["answers"]), True, finished=True)
        new_state, reply = self._ask_next(state, [])
        return StepResult(new_state, reply, True)

    def _command(self, text: str) -> str | None:
        stripped = text.strip()
        if stripped.startswith(ELIGIBILITY_ACTION_PREFIX):
            stripped = stripped[len(ELIGIBILITY_ACTION_PREFIX):]
            if stripped in ("back", "restart", "cancel"):
                return stripped
        normalised = _normalise(stripped).lstrip("/")
        for name in ("back", "restart", "cancel"):
            if normalised in (name, self.buttons[name].lower()) or (name == "restart" and normalised == "start again"):
                return name
        if normalised in ("stop", "quit", "exit"):
            return "cancel"
        return None

    def _read_answer(self, step: Step, text: str) -> tuple[Any, str]:
        """The answer's value, or None and the polite re-ask."""
        stripped = text.strip()
        action = stripped[len(ELIGIBILITY_ACTION_PREFIX):] if stripped.startswith(ELIGIBILITY_ACTION_PREFIX) else None
        if step.kind == "yes_no":
            labels = {self.buttons[k].lower(): k for k in ("yes", "no", "unsure")}
            value = action if action in ("yes", "no", "unsure") else labels.get(stripped.lower()) or _parse_yes_no(stripped)
            options = ", ".join(self.buttons[k] for k in ("yes", "no", "unsure"))
            return value, self.messages["reask_choice"].format(options=options)
        if step.kind == "choice":
            return self._read_choice(step, stripped, action)
        if action == "unsure" or _parse_yes_no(stripped) == "unsure":
            return "unsure", ""
        years = parse_years(stripped, self.today())
        if years is None:
            return None, self.messages["reask_years"]
        if not 0 <= years <= _MAX_YEARS:
            return None, self.messages["reask_years_range"]
        return years, ""

    def _read_choice(self, step: Step, text: str, action: str | None) -> tuple[Any, str]:
        options = ", ".join(c.label for c in step.choices)
        reask = self.messages["reask_choice"].format(options=options)
        if action == "unsure" or _parse_yes_no(text) == "unsure":
            return "unsure", ""
        for choice in step.choices:
            if action == choice.value or text.lower() == choice.label.lower():
                return choice.value, ""
        normalised = f" {_normalise(text)} "
        found = {c.value for c in step.choices for w in c.words if f" {w} " in normalised}
        if len(found) == 1:
            return found.pop(), ""
        both = next((c.value for c in step.choices if "both" in c.words), None)
        neither = next((c.value for c in step.choices if "neither" in c.words), None)
        if found and both is not None and neither not in found:
            return both, ""  # "resit and functional skills" names two choices: that is "both"
        return None, reask

    def _next_step(self, state: dict[str, Any]) -> Step | None:
        return next((s for s in self.criteria.steps if s.id not in state["answers"]), None)

    def _ask_next(self, state: dict[str, Any], lead: list[str]) -> tuple[dict[str, Any], Reply]:
        step = self._next_step(state)
        if step is None:
            return state, self.verdict(state["answers"])
        number = self.criteria.steps.index(step) + 1
        progress = self.messages["progress"].format(number=number, total=len(self.criteria.steps))
        text = "\n\n".join([*lead, f"{progress}\n{step.question}"])
        if step.kind == "choice":
            answers = [Button(c.label, f"{ELIGIBILITY_ACTION_PREFIX}{c.value}") for c in step.choices]
        elif step.kind == "yes_no":
            answers = [Button(self.buttons[k], f"{ELIGIBILITY_ACTION_PREFIX}{k}") for k in ("yes", "no")]
        else:
            answers = []
        answers.append(Button(self.buttons["unsure"], f"{ELIGIBILITY_ACTION_PREFIX}unsure"))
        controls = [Button(self.buttons[k], f"{ELIGIBILITY_ACTION_PREFIX}{k}") for k in ("back", "restart", "cancel")]
        if not state["asked"] and not state["prefilled"]:
            controls = controls[2:]  # nothing to go back to or restart yet
        return state, Reply(text, tuple(answers + controls))

    def _describe(self, step_id: str, value: Any) -> str:
        step = self.criteria.step(step_id)
        if value == "unsure":
            return self.buttons["unsure"]
        if step.kind == "years":
            years = float(value)
            return f"{years:g} year" + ("" if years == 1 else "s")
        if step.kind == "choice":
            return next(c.label for c in step.choices if c.value == value)
        return self.buttons["yes"] if value == "yes" else self.buttons["no"]

    def verdict(self, answers: dict[str, Any]) -> Reply:
        """The end of the check: what is met, what is not and why, what to check, and next steps."""
        m = self.messages
        steps = self.criteria.steps
        essential = [s for s in steps if s.group == "essential"]
        unmet = [s for s in essential if s.is_met(answers.get(s.id)) is False]
        unsure = [s for s in steps if s.group != "desirable" and answers.get(s.id) == "unsure"]
        parts = [m["verdict_heading"]]
        if unmet:
            items = [
                m["unmet_item"].format(
                    criterion=s.criterion, asks=s.asks, answer=self._describe(s.id, answers[s.id]), advice=s.advice
                )
                for s in unmet
            ]
            parts.append("\n".join([m["unmet_heading"], *items]))
        elif not unsure:
            parts.append(m["all_essential_met"])
        if unsure:
            parts.append("\n".join([m["unsure_heading"], *(m["unsure_item"].format(criterion=s.criterion, what_counts=s.what_counts) for s in unsure)]))
        commitments = [s for s in steps if s.group == "commitment" and s.is_met(answers.get(s.id)) is False]
        if commitments:
            parts.append("\n".join([m["commitments_heading"], *(m["commitment_item"].format(criterion=s.criterion, advice=s.advice) for s in commitments)]))
        desirable = [s for s in steps if s.group == "desirable"]
        met = [s for s in desirable if s.is_met(answers.get(s.id))]
        desirable_text = m["desirable_count"].format(met=len(met), total=len(desirable))
        missing = [s.advice for s in desirable if s not in met]
        if missing:
            desirable_text += " " + m["desirable_missing"].format(missing="; ".join(missing))
        parts.append(desirable_text)
        parts.append(m["next_steps"])
        return Reply("\n\n".join(parts))


def prefill_from_question(criteria: Criteria, text: str, today: date) -> dict[str, Any]:
    """Answers a question already states: "I've taught maths for 3 years in an FE college" -> years and setting."""
    normalised = _normalise(text)
    prefill: dict[str, Any] = {}
    years_step = next((s for s in criteria.steps if s.kind == "years"), None)
    has_duration = re.search(r"\b(years?|yrs?|months?|since\s+(19|20)\d\d)\b", normalised)
    if years_step is not None and has_duration:
        years = parse_years(normalised, today)
        if years is not None and 0 <= years <= _MAX_YEARS:
            prefill[years_step.id] = years
    setting = next((s for s in criteria.steps if s.id == "fe_setting"), None)
    if setting is not None and re.search(r"\b(fe|further education|gfe)\b|\bfe college\b", normalised):
        prefill[setting.id] = "yes"
    return prefill
