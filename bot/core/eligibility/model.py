"""The self-check's data: its steps, their rules and every word it shows; the shape of a dialogue in progress.

Loaded from knowledge/eligibility.yaml by bot.content; used by the engine, the answer reader and the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

ELIGIBILITY_ACTION_PREFIX = "elig:"
MAX_YEARS = 50
UNSURE = "unsure"

StepKind = Literal["yes_no", "years", "choice"]
Group = Literal["essential", "desirable", "commitment"]

KINDS = ("choice", "years", "yes_no")
GROUPS = ("essential", "desirable", "commitment")  # also the order the steps must come in
CONTROLS = ("back", "restart", "cancel")
BUTTONS = ("yes", "no", UNSURE, *CONTROLS)
# Typed words, besides the buttons: "what counts?" explains the question without answering it.
EXPLAIN = "explain"
ANSWER_WORD_NAMES = (*BUTTONS, EXPLAIN)


class DialogueState(TypedDict):
    """A self-check in progress, as saved in the chat's state (plain data, so it survives a restart).

    `answers` maps step id to the stored answer ("yes", "no", a choice value, "unsure" or years);
    `asked` lists the steps answered in this dialogue, in order; `prefilled` those taken from the question.
    """

    answers: dict[str, Any]
    asked: list[str]
    prefilled: list[str]


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
