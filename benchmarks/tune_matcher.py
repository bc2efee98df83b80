"""Sweep the matcher's answer thresholds over question sets; print accuracy and wrong-answer rate.

Run: .venv/bin/python benchmarks/tune_matcher.py eval/dev.jsonl eval/heldout_a.jsonl ...
Each setting replays every question through the real answer path. Settings are ranked by
correct - 3 x wrong (a wrong answer costs more than an honest "not sure"); write the chosen ones
to knowledge/matcher.yaml.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_answerer  # noqa: E402
from bot.curation.evaluation import evaluate, read_questions  # noqa: E402

WRONG_COST = 3
GRID = {
    "answer_threshold": [0.40, 0.42, 0.44, 0.46, 0.48, 0.50, 0.55, 0.60],
    "answer_margin": [0.0, 0.02, 0.04, 0.06, 0.08],
}


def main(paths: list[str]) -> None:
    answerer = load_answerer()
    questions = [q for path in paths for q in read_questions(Path(path))]
    base = answerer.knowledge.matcher
    rows = []
    for values in itertools.product(*GRID.values()):
        settings = dict(zip(GRID, values, strict=True))
        answerer.matcher.config = dataclasses.replace(base, **settings)
        result = evaluate(answerer, questions)
        rows.append(
            (result.correct - WRONG_COST * result.wrong, result.accuracy, result.wrong_rate, settings)
        )
    rows.sort(key=lambda row: row[0], reverse=True)
    print(f"{len(questions)} questions; best settings by correct - {WRONG_COST} x wrong:")
    for _, accuracy, wrong_rate, settings in rows[:10]:
        print(f"accuracy {accuracy:.3f}  wrong {wrong_rate:.3f}  {settings}")
    current = {name: getattr(base, name) for name in GRID}
    for _, accuracy, wrong_rate, settings in rows:
        if settings == current:
            print(f"current: accuracy {accuracy:.3f}  wrong {wrong_rate:.3f}  {settings}")


if __name__ == "__main__":
    main(sys.argv[1:] or [str(ROOT / "eval" / "dev.jsonl")])
