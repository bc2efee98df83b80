"""Answer quality on the question sets, and the plain-English bar on every answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import textstat

from bot.core.answers import Answerer
from bot.curation.evaluation import evaluate, read_questions

EVAL = Path(__file__).resolve().parent.parent / "eval"


def test_dev_set_accuracy_and_wrong_answers(answerer: Answerer) -> None:
    result = evaluate(answerer, read_questions(EVAL / "dev.jsonl"))
    misses = "\n".join(
        f"{q.id} {q.question!r} -> {a.status} {a.entry.id if a.entry else None}" for q, a, _ in result.misses
    )
    assert result.accuracy >= 0.95, misses
    assert result.wrong_rate <= 0.02, misses
    assert result.smalltalk_correct == result.smalltalk_total, misses


# Our own sets (written blind from the sources; see the README for how each was used). Set q's writers
# were deliberately odd personas, so it is held to a looser wrong-answer bar.
OWN_SETS = [f"heldout_{letter}.jsonl" for letter in "abcdefghijklmnoprst"]


@pytest.mark.parametrize(("name", "max_wrong"), [*((n, 0.05) for n in OWN_SETS), ("heldout_q.jsonl", 0.07)])
def test_own_question_sets_hold_up(answerer: Answerer, name: str, max_wrong: float) -> None:
    result = evaluate(answerer, read_questions(EVAL / name))
    assert result.accuracy >= 0.85, result.summary()
    assert result.wrong_rate <= max_wrong, result.summary()


# Programme names ("Essence of Mathematics Teaching for Mastery", "Qualified Teacher Learning and Skills")
# cost points we cannot avoid, so each answer must reach MIN_EACH and the answers together MIN_MEAN.
MIN_MEAN, MIN_EACH = 60, 30


def reading_ease(answer: str) -> float:
    """Flesch reading ease, reading each bullet as a sentence of its own (as a reader does)."""
    sentences = [line.lstrip("• ").rstrip(".:") + "." for line in answer.splitlines() if line.strip()]
    return float(textstat.flesch_reading_ease(" ".join(sentences)))


def test_answers_are_plain_english(answerer: Answerer) -> None:
    scores = {e.id: reading_ease(e.answer) for e in answerer.knowledge.entries}
    hard = {entry_id: round(score) for entry_id, score in scores.items() if score < MIN_EACH}
    mean = sum(scores.values()) / len(scores)
    assert not hard, f"answers below Flesch reading ease {MIN_EACH}: {hard}"
    assert mean >= MIN_MEAN, f"mean Flesch reading ease {mean:.1f}"


def test_the_bots_other_messages_are_plain_english(answerer: Answerer) -> None:
    # Flesch is noise on a few words ("Weekly report:", button labels), so only messages of a sentence or more.
    scores = {
        key: reading_ease(text) for key, text in answerer.knowledge.messages.items() if len(text.split()) >= 8
    }
    hard = {key: round(score) for key, score in scores.items() if score < 50}
    assert not hard, f"messages below Flesch reading ease 50: {hard}"
    assert sum(scores.values()) / len(scores) >= 70
