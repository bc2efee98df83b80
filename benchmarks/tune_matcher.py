"""Sweep the matcher's decision thresholds over question sets and print accuracy and wrong answers.

Run: .venv/bin/python benchmarks/tune_matcher.py eval/dev.jsonl eval/heldout_a.jsonl
Ranks each question once, then replays only the decision with every threshold combination, so the sweep
is fast. Pick settings with few wrong answers first, then high accuracy; write them to knowledge/matcher.yaml.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers import load_answerer  # noqa: E402
from bot.evaluation import read_questions, satisfies  # noqa: E402
from bot.matcher import decide  # noqa: E402

WRONG_COST = 3


def main(paths: list[str]) -> None:
    answerer = load_answerer()
    questions = [q for path in paths for q in read_questions(Path(path))]
    ranked = [answerer.matcher.rank_best_segment(q.question) for q in questions]
    base = answerer.knowledge.matcher
    rows = []
    for answer, margin, suggest in itertools.product(
        [0.40, 0.42, 0.44, 0.46, 0.48, 0.50, 0.55, 0.60],
        [0.0, 0.02, 0.04, 0.06, 0.08, 0.10],
        [0.25, 0.30, 0.35],
    ):
        config = dataclasses.replace(
            base, answer_threshold=answer, answer_margin=margin, suggest_threshold=suggest
        )
        correct = wrong = 0
        for question, candidates in zip(questions, ranked, strict=True):
            match = decide(candidates, config)
            if question.kind == "faq":
                ok = match.status == "answered" and satisfies(
                    answerer.knowledge.answer_text(match.best.entry, answerer.today()),
                    question.expect,  # type: ignore[union-attr]
                )
                correct += ok
                wrong += match.status == "answered" and not ok
            elif question.kind == "out_of_scope":
                correct += match.status in ("suggest", "fallback")
                wrong += match.status == "answered"
            else:
                correct += match.status == "smalltalk"
                wrong += match.status == "answered"
        # A wrong answer costs more than an honest "not sure": rank by correct - WRONG_COST * wrong.
        rows.append((correct - WRONG_COST * wrong, correct, wrong, answer, margin, suggest))
    rows.sort(reverse=True)
    total = len(questions)
    print(f"{total} questions; best settings by correct - {WRONG_COST} x wrong:")
    print("answer_threshold answer_margin suggest_threshold  accuracy  wrong")
    for _, correct, wrong, answer, margin, suggest in rows[:15]:
        print(f"{answer:16.2f} {margin:13.2f} {suggest:17.2f}  {correct / total:8.3f}  {wrong / total:5.3f}")


if __name__ == "__main__":
    main(sys.argv[1:] or [str(ROOT / "eval" / "dev.jsonl")])
