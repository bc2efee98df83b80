"""Matcher speed and memory: median and p99 time per question, start-up time, peak memory.

Run: .venv/bin/python benchmarks/bench_matcher.py
Prints figures for the shipped knowledge base and for a synthetic one of 5,000 entries.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_answerer  # noqa: E402
from bot.core.answers import Answerer  # noqa: E402
from bot.core.knowledge import Entry  # noqa: E402
from bot.core.matching import Matcher  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def questions() -> list[str]:
    lines = (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def time_questions(answerer: Answerer, asked: list[str], rounds: int) -> tuple[float, float]:
    timings = []
    for _ in range(rounds):
        for question in asked:
            start = time.perf_counter()
            answerer.ask(question)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def synthetic_answerer(base: Answerer, size: int) -> Answerer:
    """A knowledge base of `size` entries: the real ones plus made-up ones.

    Each made-up phrasing takes 2 words from the real vocabulary and 4 from 20,000 invented words drawn
    with a Zipf-like skew (answers: 4 and 16), so word frequencies look like a large real FAQ: a few
    common words, many rare ones.
    """
    rng = random.Random(7)
    vocabulary = sorted({w for e in base.knowledge.entries for p in e.phrasings for w in p.lower().split()})
    invented = [f"zq{n}x" for n in range(20000)]
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(invented))))

    def made_up(real: int, rare: int) -> str:
        return " ".join(rng.sample(vocabulary, real) + rng.choices(invented, cum_weights=cumulative, k=rare))

    entries = list(base.knowledge.entries)
    while len(entries) < size:
        template = rng.choice(base.knowledge.faq_entries)
        phrasings = [made_up(2, 4) for _ in range(len(template.phrasings))]
        entries.append(
            dataclasses.replace(
                template,
                id=f"synthetic_{len(entries)}",
                question=phrasings[0],
                alternates=tuple(phrasings[1:]),
                answer=made_up(4, 16),
                related=(),
            )
        )
    knowledge = dataclasses.replace(base.knowledge, entries=tuple(entries), by_id={e.id: e for e in entries})
    return Answerer(knowledge, Matcher(knowledge), base.today)


def main() -> None:
    start = time.perf_counter()
    answerer = load_answerer()
    startup_ms = (time.perf_counter() - start) * 1000
    asked = questions()
    answerer.ask("warm up")
    median, p99 = time_questions(answerer, asked, rounds=20)
    entries: list[Entry] = list(answerer.knowledge.entries)
    print(f"shipped knowledge base ({len(entries)} entries, {len(asked)} questions x 20):")
    print(f"  per question: median {median:.3f} ms, p99 {p99:.3f} ms   (targets: < 0.5 ms, < 2 ms)")
    print(f"  start-up to a loaded, validated knowledge base: {startup_ms:.0f} ms   (target: < 1000 ms)")
    print(f"  peak memory so far (RSS high-water mark): {peak_rss_mb():.1f} MB")
    build = time.perf_counter()
    large = synthetic_answerer(answerer, 5000)
    build_ms = (time.perf_counter() - build) * 1000
    large.ask("warm up")
    median, p99 = time_questions(large, asked, rounds=3)
    print(f"synthetic knowledge base (5000 entries, index built in {build_ms:.0f} ms):")
    print(f"  per question: median {median:.3f} ms, p99 {p99:.3f} ms   (target: p99 < 20 ms)")
    print(f"  peak memory, whole run (RSS high-water mark): {peak_rss_mb():.1f} MB")


if __name__ == "__main__":
    main()
