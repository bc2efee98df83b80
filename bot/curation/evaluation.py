"""Scoring a question set (format: ../shared/eval/README.md) against the answerer."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.answers import Answer, Answerer


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    kind: str
    expect: tuple[tuple[str, ...], ...]
    topic: str


@dataclass
class EvalResult:
    total: int = 0
    correct: int = 0
    faq_total: int = 0
    faq_correct: int = 0
    faq_wrong: int = 0
    out_of_scope_total: int = 0
    out_of_scope_abstained: int = 0
    smalltalk_total: int = 0
    smalltalk_correct: int = 0
    wrong: int = 0
    misses: list[tuple[EvalQuestion, Answer, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def wrong_rate(self) -> float:
        """Wrong answers over all questions (the foundation issue's 2 % bar)."""
        return self.wrong / self.total if self.total else 0.0

    @property
    def faq_wrong_rate(self) -> float:
        return self.faq_wrong / self.faq_total if self.faq_total else 0.0

    def summary(self) -> str:
        def pct(part: int, whole: int) -> str:
            return f"{part}/{whole} = {part / whole:.3f}" if whole else "n/a"

        return "\n".join(
            [
                f"overall accuracy:        {pct(self.correct, self.total)}",
                f"FAQ top-1 accuracy:      {pct(self.faq_correct, self.faq_total)}",
                f"wrong answers (FAQ):     {pct(self.faq_wrong, self.faq_total)}",
                f"wrong answers (all):     {pct(self.wrong, self.total)}",
                f"out-of-scope abstention: {pct(self.out_of_scope_abstained, self.out_of_scope_total)}",
                f"small talk recognised:   {pct(self.smalltalk_correct, self.smalltalk_total)}",
            ]
        )


def read_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw: dict[str, Any] = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(raw["id"]),
                    question=str(raw["question"]),
                    kind=str(raw["kind"]),
                    expect=tuple(tuple(group) for group in raw.get("expect", [])),
                    topic=str(raw.get("topic", "")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid question line ({exc})") from None
    return questions


def satisfies(text: str, expect: Iterable[Iterable[str]]) -> bool:
    lowered = text.lower()
    return all(any(phrase.lower() in lowered for phrase in group) for group in expect)


def evaluate(answerer: Answerer, questions: list[EvalQuestion]) -> EvalResult:
    result = EvalResult()
    for question in questions:
        answer = answerer.ask(question.question)
        result.total += 1
        correct, wrong = False, False
        if question.kind == "faq":
            result.faq_total += 1
            if answer.status == "answered":
                correct = satisfies(answer.text, question.expect)
                wrong = not correct
            result.faq_correct += correct
            result.faq_wrong += wrong
        elif question.kind == "out_of_scope":
            result.out_of_scope_total += 1
            correct = answer.status in ("suggest", "fallback")
            wrong = answer.status == "answered"
            result.out_of_scope_abstained += correct
        elif question.kind == "smalltalk":
            result.smalltalk_total += 1
            correct = answer.status == "smalltalk"
            wrong = answer.status == "answered"
            result.smalltalk_correct += correct
        result.correct += correct
        result.wrong += wrong
        if not correct:
            result.misses.append((question, answer, "WRONG" if wrong else "miss"))
    return result
