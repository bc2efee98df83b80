"""The curator's report: what teachers asked, what the bot could not answer, and what to add."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import yaml
from rapidfuzz import fuzz

from ..core.matching import Matcher
from .interaction_log import Interaction

_PERIOD = re.compile(r"^(\d+)([hdw])$")
_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}
# Questions whose matching terms are at least this similar (rapidfuzz token_sort_ratio, 0-100) are one
# group in the report; so are questions that both came at least GROUP_NEAREST_SCORE close to one entry.
GROUP_SIMILARITY = 70
GROUP_NEAREST_SCORE = 0.7


def parse_period(text: str) -> float:
    """Seconds in a period such as "7d", "24h" or "2w"."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(f"not a period: {text!r} (use e.g. 7d, 24h or 2w)")
    return int(match.group(1)) * _SECONDS[match.group(2)]


@dataclass(frozen=True)
class QuestionGroup:
    questions: tuple[str, ...]
    nearest_entry: str | None
    nearest_score: float


@dataclass(frozen=True)
class Report:
    total: int
    answered: int
    unanswered_groups: tuple[QuestionGroup, ...]
    not_helpful: tuple[Interaction, ...]
    most_asked: tuple[tuple[str, int], ...]

    @property
    def answer_rate(self) -> float:
        return self.answered / self.total if self.total else 0.0


def group_questions(questions: list[str], matcher: Matcher) -> list[QuestionGroup]:
    """Greedy grouping, largest groups first, each with the entry it came closest to.

    Two questions share a group when their matching terms (typos corrected, synonyms folded, stopwords
    dropped, stemmed) are similar, or when both came clearly closest to the same entry: "is it online?"
    and "where are the training days held?" share few words but the same missing answer.
    """
    groups: list[list[tuple[str, str, str | None]]] = []
    for question in questions:
        ranked = matcher.rank(question)
        nearest = ranked[0].entry.id if ranked and ranked[0].score >= GROUP_NEAREST_SCORE else None
        terms = " ".join(sorted(set(matcher.analyzer.terms(question))))
        for group in groups:
            if any(
                (nearest is not None and nearest == their_nearest)
                or fuzz.token_sort_ratio(terms, their_terms) >= GROUP_SIMILARITY
                for _, their_terms, their_nearest in group
            ):
                group.append((question, terms, nearest))
                break
        else:
            groups.append([(question, terms, nearest)])
    result = []
    for group in sorted(groups, key=len, reverse=True):
        ranked = matcher.rank(group[0][0])
        result.append(
            QuestionGroup(
                tuple(q for q, _, _ in group),
                ranked[0].entry.id if ranked else None,
                ranked[0].score if ranked else 0.0,
            )
        )
    return result


def build_report(rows: list[Interaction], matcher: Matcher) -> Report:
    unanswered = [r.question for r in rows if r.status in ("suggest", "fallback") and r.question.strip()]
    asked = Counter(r.entry_id for r in rows if r.status == "answered" and r.entry_id)
    return Report(
        total=len(rows),
        answered=sum(r.status in ("answered", "smalltalk") for r in rows),
        unanswered_groups=tuple(group_questions(unanswered, matcher)),
        not_helpful=tuple(r for r in rows if r.feedback == "not_helpful"),
        most_asked=tuple(asked.most_common(10)),
    )


def render_text(report: Report, period: str) -> str:
    lines = [
        f"Interactions in the last {period}: {report.total}",
        f"Answer rate (answered or small talk): {report.answer_rate:.0%}",
        "",
        "Unanswered and unsure questions, grouped:",
    ]
    for group in report.unanswered_groups:
        nearest = f"{group.nearest_entry} ({group.nearest_score:.2f})" if group.nearest_entry else "none"
        lines.append(f"- {len(group.questions)} x {group.questions[0]!r}  nearest entry: {nearest}")
        lines.extend(f"    {q!r}" for q in group.questions[1:5])
    if not report.unanswered_groups:
        lines.append("- none")
    lines += ["", "Answers marked not helpful:"]
    lines += [f"- {r.entry_id}: {r.question!r}" for r in report.not_helpful] or ["- none"]
    lines += ["", "Most asked entries:"]
    lines += [f"- {entry_id}: {count}" for entry_id, count in report.most_asked] or ["- none"]
    return "\n".join(lines)


def render_csv(report: Report) -> str:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["group", "questions_in_group", "question", "nearest_entry", "nearest_score"])
    for number, group in enumerate(report.unanswered_groups, start=1):
        for question in group.questions:
            writer.writerow(
                [
                    number,
                    len(group.questions),
                    question,
                    group.nearest_entry or "",
                    f"{group.nearest_score:.3f}",
                ]
            )
    return output.getvalue()


def render_suggestions(report: Report, close_enough: float, entry_files: Mapping[str, str]) -> str:
    """Ready-to-paste YAML: new alternates for a near entry (by the file it lives in), or a new entry skeleton."""
    alternates_by_file: dict[str, dict[str, list[str]]] = {}
    new_entries = []
    for number, group in enumerate(report.unanswered_groups, start=1):
        if group.nearest_entry and group.nearest_score >= close_enough:
            file = entry_files.get(group.nearest_entry, "knowledge/faq.yaml")
            alternates_by_file.setdefault(file, {}).setdefault(group.nearest_entry, []).extend(
                group.questions
            )
        else:
            new_entries.append(
                {
                    "id": f"new_entry_{number}",
                    "topic": "TOPIC_ID",
                    "question": group.questions[0],
                    "alternates": list(group.questions[1:]),
                    "answer": "WRITE THE ANSWER FROM THE SOURCE DOCUMENTS",
                    "source": {"file": "SOURCE_FILE", "section": "SECTION", "quote": "VERBATIM QUOTE"},
                }
            )
    parts = [
        f"# Add to the `alternates:` of these entries in {file}:\n"
        + yaml.safe_dump(alternates, sort_keys=False, allow_unicode=True)
        for file, alternates in sorted(alternates_by_file.items())
    ]
    if new_entries:
        parts.append(
            "# New entries for knowledge/faq.yaml (or not_covered.yaml if the documents do not say):\n"
            + yaml.safe_dump(new_entries, sort_keys=False, allow_unicode=True)
        )
    return "\n".join(parts) or "# Nothing to suggest.\n"


def since_timestamp(period: str) -> float:
    return time.time() - parse_period(period)
