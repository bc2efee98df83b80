"""The eligibility self-check: a pure state machine, `state + input -> new state + reply`.

The state is plain JSON-serialisable data (`DialogueState`), so a half-finished check survives a restart.
Every word the user sees comes from knowledge/eligibility.yaml; the dialogue's diagram is diagram.mmd beside
this file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..replies import Button, Reply
from ..text import joined_words
from .model import (
    CONTROLS,
    ELIGIBILITY_ACTION_PREFIX,
    EXPLAIN,
    MAX_YEARS,
    UNSURE,
    Criteria,
    DialogueState,
    Step,
)
from .understanding import (
    MAX_ANSWER_CHARS,
    has_phrase,
    is_question,
    read_choice,
    read_years,
    read_yes_no,
)
from .verdict import describe, verdict_text


@dataclass(frozen=True)
class StepResult:
    state: DialogueState | None  # None once the dialogue has ended (verdict given, or cancelled)
    reply: Reply
    understood: bool  # False when the text was not a valid answer; the reply is then a polite re-ask
    finished: bool = False  # a verdict was given
    cancelled: bool = False


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
            for name in CONTROLS
            for phrase in (*criteria.answer_words[name], joined_words(criteria.buttons[name]))
        }
        self._commands.update({phrase: EXPLAIN for phrase in criteria.answer_words[EXPLAIN]})

    def start(self, prefill: dict[str, Any] | None = None) -> tuple[DialogueState, Reply]:
        """A new dialogue; answers in `prefill` (step id -> answer) are noted and their steps skipped."""
        answers: dict[str, Any] = {}
        for step in self.criteria.steps:
            value = step.accepts(prefill[step.id]) if prefill and step.id in prefill else None
            if value is not None:
                answers[step.id] = value
        state: DialogueState = {"answers": answers, "asked": [], "prefilled": list(answers)}
        lead = [self.messages["intro"].format(total=len(self.criteria.steps))]
        if answers:
            notes = [self._noted(self._by_id[step_id], value) for step_id, value in answers.items()]
            lead.append("\n".join([*notes, self.messages["noted_end"]]))
        return state, self._ask(state, lead)

    def step(self, state: Mapping[str, Any], text: str) -> StepResult:
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
        if command == EXPLAIN:
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

    def current_reply(self, state: Mapping[str, Any]) -> Reply:
        """The question the dialogue is waiting on, asked again."""
        return self._ask(self._checked(state), [])

    def expects_number(self, state: Mapping[str, Any]) -> bool:
        """Whether the dialogue waits for a number of years (so a typed "3" is an answer)."""
        try:
            step = self._next_step(self._checked(state))
        except ValueError:
            return False
        return step is not None and step.kind == "years"

    def verdict(self, answers: Mapping[str, Any]) -> Reply:
        """The end of the check: what is met, what is not and why, what to check, and next steps."""
        return Reply(verdict_text(self.criteria, answers))

    def _checked(self, state: Any) -> DialogueState:
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
            return action if action in CONTROLS else None
        return self._commands.get(joined_words(stripped)) if len(stripped) <= MAX_ANSWER_CHARS else None

    def _back(self, state: DialogueState) -> Reply:
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
        words = joined_words(stripped)
        if not words or len(stripped) > MAX_ANSWER_CHARS:
            return None, reask
        by_label = {joined_words(label): value for label, value in answers}
        if words in by_label:
            return by_label[words], reask
        question = is_question(stripped)
        vocab = self.criteria.answer_words
        if step.kind == "yes_no":
            return read_yes_no(words, vocab, step, question), reask
        if step.kind == "choice":
            return read_choice(words, vocab, step, question), reask
        if question:
            return None, reask
        years, estimate = read_years(stripped, self.today())
        if estimate:
            return None, self.messages["reask_years_estimate"]
        if years is not None:
            in_range = 0 <= years <= MAX_YEARS
            return (years if in_range else None), self.messages["reask_years_range"].format(max=MAX_YEARS)
        if any(has_phrase(words, phrase) for phrase in vocab[UNSURE]):
            return UNSURE, reask
        return None, reask

    def _next_step(self, state: DialogueState) -> Step | None:
        return next((s for s in self.criteria.steps if s.id not in state["answers"]), None)

    def _ask(self, state: DialogueState, lead: list[str]) -> Reply:
        """The next unanswered question, with its progress and buttons; the verdict if none is left."""
        step = self._next_step(state)
        if step is None:
            return self.verdict(state["answers"])
        number = self.criteria.steps.index(step) + 1
        progress = self.messages["progress"].format(number=number, total=len(self.criteria.steps))
        text = "\n\n".join([*lead, f"{progress}\n{step.question}"])
        # Back and Restart only once there is something to go back to.
        controls = CONTROLS if state["asked"] or state["prefilled"] else ("cancel",)
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
        answer = describe(self.criteria, step, value)
        if step.noted:
            return step.noted.format(answer=answer)
        return self.messages["noted_generic"].format(criterion=step.criterion, answer=answer)
