"""Answering one free-text question: the matcher's decision turned into the words the user reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .knowledge import Entry, Knowledge
from .matching import Matcher, Status
from .replies import Button, Reply
from .text import MESSAGE_LIMIT

Clock = Callable[[], date]

# Longer messages are cut before matching (nobody types a real question that long).
MAX_QUESTION_CHARS = MESSAGE_LIMIT


@dataclass(frozen=True)
class Answer:
    """One question's outcome: the machine-readable contract of `python -m bot ask --json`."""

    question: str
    status: Status
    entry: Entry | None
    score: float
    text: str
    suggestions: tuple[Entry, ...]
    related: tuple[Entry, ...] = ()
    also: tuple[Entry, ...] = ()  # further entries answered in the same text

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "entry_id": self.entry.id if self.entry else None,
            "score": self.score,
            "text": self.text,
            "suggestions": [{"entry_id": e.id, "question": e.question} for e in self.suggestions],
        }

    def reply(self, messages: Mapping[str, str]) -> Reply:
        """The message to show: suggestions or related questions become buttons."""
        buttons = [Button(e.question, f"faq:{e.id}") for e in self.suggestions or self.related]
        answered = (self.entry, *self.also) if self.entry is not None and self.status == "answered" else ()
        if any(e.offer == "eligibility" for e in answered):
            buttons.insert(0, Button(messages["button_eligibility"], "eligibility"))
        if self.status == "fallback":
            buttons.append(Button(messages["button_topics"], "topics"))
        return Reply(self.text, tuple(buttons))


class Answerer:
    """Knowledge + matcher + clock: answers questions, and entries chosen from a button."""

    def __init__(self, knowledge: Knowledge, matcher: Matcher, today: Clock = date.today) -> None:
        self.knowledge = knowledge
        self.matcher = matcher
        self.today = today

    def ask(self, question: str) -> Answer:
        question = question[:MAX_QUESTION_CHARS]
        messages = self.knowledge.messages
        if not question.strip():
            return Answer(question, "fallback", None, 0.0, messages["empty_question"], ())
        match = self.matcher.match(question)
        score = match.best.score if match.best else 0.0
        if match.status == "suggest":
            return Answer(question, "suggest", None, score, messages["suggest_intro"], match.suggestions)
        if match.status == "fallback":
            # A known gap ("the documents don't say where training happens") answers more honestly than
            # the generic fallback, but only when the matcher was confident it is that gap.
            entry = match.best.entry if match.best and match.best.entry.kind == "not_covered" else None
            confident = entry is not None and score >= self.knowledge.matcher.answer_threshold
            if entry is not None and confident:
                return Answer(question, "fallback", entry, score, entry.answer, ())
            return Answer(question, "fallback", None, score, messages["fallback"], ())
        assert match.best is not None
        if match.also:
            entries = (match.best.entry, *match.also)
            notes = dict.fromkeys(self.knowledge.stale_note(e, self.today()) for e in entries)
            text = "\n\n".join([e.answer for e in entries] + [n for n in notes if n])
            related = tuple(
                dict.fromkeys(
                    self.knowledge.by_id[r]
                    for e in entries
                    for r in e.related
                    if r not in {x.id for x in entries}
                )
            )
            return Answer(question, "answered", match.best.entry, score, text, (), related, also=match.also)
        return self.entry_answer(match.best.entry, question, match.status, score)

    def entry_answer(
        self, entry: Entry, question: str = "", status: Status = "answered", score: float = 1.0
    ) -> Answer:
        """The answer to a known entry, e.g. when the user presses its button."""
        related = tuple(self.knowledge.by_id[r] for r in entry.related)
        text = self.knowledge.answer_text(entry, self.today())
        return Answer(question or entry.question, status, entry, score, text, (), related)
