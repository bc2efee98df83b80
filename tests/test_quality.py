"""Answer quality on the question sets, and the plain-English bar on every answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import textstat

from bot.answers import Answerer
from bot.evaluation import evaluate, read_questions

EVAL = Path(__file__).resolve().parent.parent / "eval"


def test_dev_set_accuracy_and_wrong_answers(answerer: Answerer) -> None:
    result = evaluate(answerer, read_questions(EVAL / "dev.jsonl"))
    misses = "\n".join(f"{q.id} {q.question!r} -> {a.status} {a.entry.id if a.entry else None}" for q, a, _ in result.misses)
    assert result.accuracy >= 0.95, misses
    assert result.wrong_rate <= 0.02, misses
    assert result.smalltalk_correct == result.smalltalk_total, misses


@pytest.mark.parametrize("name", ["heldout_a.jsonl", "heldout_b.jsonl"])
def test_own_question_sets_hold_up(answerer: Answerer, name: str) -> None:
    result = evaluate(answerer, read_questions(EVAL / name))
    assert result.accuracy >= 0.85, result.summary()
    assert result.wrong_rate <= 0.05, result.summary()


def test_every_answer_is_plain_english(answerer: Answerer) -> None:
    hard = {
        e.id: round(textstat.flesch_reading_ease(e.answer), 1)
        for e in answerer.knowledge.entries
        if textstat.flesch_reading_ease(e.answer) < 60
    }
    assert not hard, f"answers below Flesch reading ease 60: {hard}"
